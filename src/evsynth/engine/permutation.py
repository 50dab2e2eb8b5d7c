"""Permutation tests of moderators (Higgins & Thompson, 2004; metafor's ``permutest``):
univariate fits refitted in vectorised batches (EE, DL, ML, REML) or one at a time (every
other estimator, exact tests), multilevel fits refitted one at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evsynth.errors import ConvergenceError, InputError, ModelError
from evsynth.engine.rma_uni import rma
from evsynth.engine.printing import FOOTSYM, SIGNIF_LEGEND, p_text
from evsynth.engine.results import Coefs, Result, WaldTest

__all__ = ["PermutationResult", "permutest"]


@dataclass(eq=False)
class PermutationResult(Result):
    """Permutation test of moderators: the observed ``QM`` with its permutation p-value
    ``pval_QM`` and asymptotic p-value ``QMp``, per coefficient the observed ``stat`` and
    permutation ``pval_coef``; ``iterations`` and ``seed``."""

    QM: float
    pval_QM: float
    coef_names: list
    stat: np.ndarray
    pval_coef: np.ndarray
    iterations: int
    seed: int
    QMp: float | None = None
    coefs: Coefs | None = None  # the fit's coefficient block and omnibus test (for the printout)
    wald: WaldTest | None = None

    def to_frame(self):
        """One row: QM, pval_permutation, pval_asymptotic, iterations, seed."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "QM": self.QM,
                    "pval_permutation": self.pval_QM,
                    "pval_asymptotic": self.QMp,
                    "iterations": self.iterations,
                    "seed": self.seed,
                }
            ]
        )

    def coef_frame(self):
        """One row per coefficient: term, stat, pval_permutation."""
        import pandas as pd

        return pd.DataFrame({"term": list(self.coef_names), "stat": self.stat, "pval_permutation": self.pval_coef})

    def summary(self) -> str:
        """As metafor prints permutest(): the moderator test (when there are moderators) and
        the coefficient table with the permutation p-values (footnoted, as metafor)."""
        if self.coefs is None:
            lines = [
                f"Permutation test ({self.iterations} permutations, seed {self.seed})",
                f"Test of moderators: QM = {self.QM:.4f}, permutation p {p_text(self.pval_QM)}",
            ]
            return "\n".join(lines)
        lines = []
        if self.wald is not None and len(self.coef_names) > 1:
            head, test = self.wald.summary().split("\n")
            test = test[: test.rindex("p-val")] + f"p-val {p_text(self.pval_QM)}"
            lines += [head + FOOTSYM, test, ""]
        c = self.coefs
        perm = Coefs(
            c.names,
            c.beta,
            c.se,
            c.stat,
            np.asarray(self.pval_coef, float),
            c.ci_lb,
            c.ci_ub,
            c.vb,
            c.dist,
            c.df,
            c.level,
        )
        lines += ["Model Results:", ""] + perm.format_rows(footnoted=("pval",)) + [""] + SIGNIF_LEGEND
        return "\n".join(lines + ["", "1) p-values based on permutation testing"])


def _batch_tau2(Y, V, X, method: str, tol=1e-10, maxiter=200):
    """tau^2 for B data sets at once: Y, V are (B, k), X is (k, p) shared."""
    B, k = Y.shape
    p = X.shape[1]

    def parts(w):
        A = np.einsum("bk,kp,kq->bpq", w, X, X)
        M = np.linalg.inv(A)
        beta = np.einsum("bpq,bq->bp", M, np.einsum("bk,kp->bp", w * Y, X))
        r = Y - beta @ X.T
        return M, beta, r

    if method in ("EE", "FE"):
        return np.zeros(B)
    W0 = 1 / V
    M, beta, r = parts(W0)
    Q = np.sum(W0 * r**2, axis=1)
    C2 = np.einsum("bk,kp,kq->bpq", W0**2, X, X)
    trP = W0.sum(1) - np.einsum("bpq,bqp->b", M, C2)
    if method == "DL":
        return np.maximum(0, (Q - (k - p)) / trP)
    if method not in ("ML", "REML"):
        raise InputError(f"vectorised permutation refits support EE, DL, ML and REML, not {method}")
    # HE start, then Fisher scoring
    Mo = np.linalg.inv(X.T @ X)
    bo = (Y @ X) @ Mo
    ro = Y - bo @ X.T
    trPV = V.sum(1) - np.einsum("pq,bqp->b", Mo, np.einsum("bk,kp,kq->bpq", V, X, X))
    tau2 = np.maximum(0, (np.sum(ro**2, 1) - trPV) / (k - p))

    def loglik(t):  # (restricted) log-likelihood of every data set at t, up to a constant
        w = 1 / (V + t[:, None])
        M, _, r = parts(w)
        ll = -0.5 * np.log(V + t[:, None]).sum(1) - 0.5 * np.sum(w * r**2, 1)
        return ll + 0.5 * np.linalg.slogdet(M)[1] if method == "REML" else ll

    ll_cur = None
    for _ in range(maxiter):
        w = 1 / (V + tau2[:, None])
        M, beta, r = parts(w)
        Py = w * r
        if method == "ML":
            adj = (np.sum(Py**2, 1) - w.sum(1)) / np.sum(w**2, 1)
        else:
            C2 = np.einsum("bk,kp,kq->bpq", w**2, X, X)
            h = np.einsum("kp,bpq,kq->bk", X, M, X)
            trP = w.sum(1) - np.einsum("bpq,bqp->b", M, C2)
            MC = M @ C2
            trPP = np.sum(w**2, 1) - 2 * np.sum(w**3 * h, 1) + np.einsum("bpq,bqp->b", MC, MC)
            adj = (np.sum(Py**2, 1) - trP) / trPP
        adj = np.where(np.isfinite(adj), adj, 0.0)
        for _h in range(60):
            neg = tau2 + adj < 0
            if not neg.any():
                break
            adj = np.where(neg, adj / 2, adj)
        # a step is accepted only if the likelihood does not drop, else halved (as rma)
        ll_cur = loglik(tau2) if ll_cur is None else ll_cur
        ll_new = loglik(tau2 + adj)
        for _h in range(50):
            drop = ll_new < ll_cur - 1e-12 * np.abs(ll_cur)
            if not drop.any():
                break
            adj = np.where(drop, adj / 2, adj)
            ll_new = np.where(drop, loglik(tau2 + adj), ll_new)
        ll_cur = ll_new
        new = tau2 + adj
        done = np.all(np.abs(new - tau2) <= tol * np.maximum(1, new))
        tau2 = new
        if done:
            break
    return np.maximum(tau2, 0)


def _batch_stats(Y, V, X, tau2, test: str, btt):
    w = 1 / (V + tau2[:, None])
    A = np.einsum("bk,kp,kq->bpq", w, X, X)
    M = np.linalg.inv(A)
    beta = np.einsum("bpq,bq->bp", M, np.einsum("bk,kp->bp", w * Y, X))
    k, p = X.shape
    if test in ("knha", "adhoc"):
        r = Y - beta @ X.T
        s2 = np.sum(w * r**2, 1) / (k - p)
        if test == "adhoc":
            s2 = np.maximum(1.0, s2)
        M = M * s2[:, None, None]
    se = np.sqrt(np.einsum("bpp->bp", M))
    bt = np.asarray(btt)
    Mb = M[:, bt][:, :, bt]
    bb = beta[:, bt]
    QM = np.einsum("bp,bp->b", bb, np.linalg.solve(Mb, bb[..., None])[..., 0])
    if test in ("knha", "adhoc"):
        QM = QM / len(bt)
    return QM, beta / se


_VECTORISED = ("EE", "FE", "DL", "ML", "REML")


def _loop_stats(Ys, Vs, X, fit):
    """QM and coefficient statistics by refitting one data set at a time (any estimator)."""
    qm = np.empty(len(Ys))
    st = np.empty((len(Ys), X.shape[1]))
    # as metafor: a refit whose estimator does not converge is left out (no safeguard root search)
    control = {**((fit.extra or {}).get("control") or {}), "fallback": False}
    for i, (y, v) in enumerate(zip(Ys, Vs)):
        try:
            r = rma(
                y,
                v,
                X,
                intercept=False,
                method=fit.method,
                test=fit.test,
                btt=fit.btt,
                compute_r2=False,
                control=control,
            )
            qm[i], st[i] = r.QM, r.stat
        except (ModelError, ConvergenceError):
            qm[i], st[i] = np.nan, np.nan
    return qm, st


def _perm_stats(Y, V, fit, exact: bool = False):
    # an exact test compares statistics within metafor's tolerance (sqrt(eps)): every refit then
    # goes through rma itself, converging exactly as the observed fit did
    if fit.method in _VECTORISED and not exact:
        out_q, out_s = [], []
        step = max(1, int(2_000_000 // max(fit.k * fit.p * fit.p, 1)))
        for s in range(0, Y.shape[0], step):
            t2 = _batch_tau2(Y[s : s + step], V[s : s + step], fit.X, fit.method)
            qm, st = _batch_stats(Y[s : s + step], V[s : s + step], fit.X, t2, fit.test, fit.btt)
            out_q.append(qm)
            out_s.append(st)
        return np.concatenate(out_q), np.concatenate(out_s)
    return _loop_stats(Y, V, fit.X, fit)


def _whole(x, name: str, least):
    """A whole number (an integral float accepted), or an InputError naming the argument."""
    ok = not isinstance(x, bool) and isinstance(x, (int, float, np.integer, np.floating)) and float(x).is_integer()
    if not ok or (least is not None and x < least):
        raise InputError(
            f"{name}: must be a whole number{f' of at least {least}' if least is not None else ''}, got {x!r}"
        )
    return int(x)


def permutest(fit, iterations: int = 1000, seed: int = 1, *, exact: bool | None = None) -> PermutationResult:
    """Permutation test (Higgins & Thompson, 2004; metafor's ``permutest``).

    Parameters
    ----------
    fit : RMAResult or RMAMVResult
        Any tau^2 estimator.  With moderators, the rows of the data are permuted against
        the model matrix and the model refitted (QM and each coefficient); for an
        intercept-only model, the signs of the effect sizes are flipped.  Multilevel fits
        are refitted with the rows of the model matrix permuted (random structure and V
        kept with the effect sizes).
    iterations : int
        Number of random permutations (approximate test).
    seed : int
        Seed of the random permutations.
    exact : bool, optional
        Enumerate every permutation (k! orderings, or 2^k sign vectors for an
        intercept-only model).  Default: exact when that number is at most ``iterations``
        (as metafor).

    Returns
    -------
    PermutationResult
        Exact test: p = share of all permutations (the observed one included) with a
        statistic at least as extreme (metafor's definition).  Approximate: p = (1 + #{stat*
        >= stat}) / (1 + B).

    References
    ----------
    Higgins, J. P. T., & Thompson, S. G. (2004). Controlling the risk of spurious findings
    from meta-regression. Statistics in Medicine, 23(11), 1663-1682.
    """
    iterations, seed = _whole(iterations, "iterations", 1), _whole(seed, "seed", None)
    import itertools
    import math

    k = fit.k
    multilevel = hasattr(fit, "sigma2")
    intercept_only = fit.p == 1 and fit.coef_names[0] == "intrcpt"
    n_exact = 2**k if intercept_only else math.factorial(k)
    if exact is None:
        exact = n_exact <= iterations
    if exact and n_exact > 5_000_000:
        raise InputError(f"an exact permutation test would need {n_exact:.3g} refits; use exact=False")
    rng = np.random.default_rng(seed)
    B = n_exact if exact else iterations
    comptol = np.sqrt(np.finfo(float).eps)
    if intercept_only:
        if exact:
            signs = np.array(list(itertools.product((1.0, -1.0), repeat=k)))
        else:
            signs = rng.choice(np.array([-1.0, 1.0]), size=(iterations, k))
        if multilevel:
            qms, sts = _mv_perm(fit, signs=signs)
        else:
            qms, sts = _perm_stats(signs * fit.yi[None, :], np.broadcast_to(fit.vi, signs.shape).copy(), fit, exact)
        z = np.abs(fit.stat)
        valid = np.isfinite(sts[:, 0])
        if exact:
            p_coef = np.array([np.mean(np.abs(sts[valid, 0]) >= z[0] - comptol)])
            p_qm = float(np.mean(qms[valid] >= fit.QM - comptol))
        else:
            p_coef = np.array([(1 + np.sum(np.abs(sts[valid, 0]) >= z[0] - 1e-8)) / (1 + valid.sum())])
            p_qm = float((1 + np.sum(qms[valid] >= fit.QM - 1e-8 * max(1.0, abs(fit.QM)))) / (1 + valid.sum()))
        return PermutationResult(
            fit.QM, p_qm, list(fit.coef_names), fit.stat, p_coef, int(B), seed, fit.QMp, fit.coefs, fit.wald
        )
    if exact:
        perms = np.array(list(itertools.permutations(range(k))))
    else:
        perms = np.argsort(rng.random((iterations, k)), axis=1)
    if multilevel:
        qms, sts = _mv_perm(fit, perms=perms)
    else:
        qms, sts = _perm_stats(fit.yi[perms], fit.vi[perms], fit, exact)
    valid = np.isfinite(qms)
    qms, sts = qms[valid], sts[valid]
    if exact:
        p_qm = float(np.mean(qms >= fit.QM - comptol))
        p_coef = np.mean(np.abs(sts) >= np.abs(fit.stat)[None, :] - comptol, axis=0)
    else:
        eps = 1e-8 * max(1.0, abs(fit.QM))
        p_qm = float((1 + np.sum(qms >= fit.QM - eps)) / (1 + qms.size))
        p_coef = (1 + np.sum(np.abs(sts) >= np.abs(fit.stat)[None, :] - 1e-8, axis=0)) / (1 + qms.size)
    return PermutationResult(
        fit.QM, p_qm, list(fit.coef_names), fit.stat, p_coef, int(B), seed, fit.QMp, fit.coefs, fit.wald
    )


def _mv_perm(fit, *, perms=None, signs=None):
    """Multilevel refits: rows of X permuted (perms) or signs of yi flipped (signs)."""
    n = len(perms) if perms is not None else len(signs)
    qm = np.full(n, np.nan)
    st = np.full((n, fit.p), np.nan)
    a = fit.refit_args
    from evsynth.engine.multilevel import rma_mv

    for i in range(n):
        y = fit.yi * signs[i] if signs is not None else fit.yi
        X = fit.X[perms[i]] if perms is not None else fit.X
        try:
            r = rma_mv(
                y,
                fit.vi,
                a["groups"],
                X,
                intercept=False,
                method=a["method"],
                test=a["test"],
                coef_names=a["coef_names"],
                group_names=a["group_names"],
                btt=a["btt"],
                V=a.get("V"),
                struct=a.get("struct"),
            )
        except (ModelError, ConvergenceError, np.linalg.LinAlgError):
            continue
        qm[i], st[i] = r.QM, r.stat
    return qm, st
