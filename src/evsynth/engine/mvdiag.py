"""Diagnostics for multilevel / multivariate fits (:func:`evsynth.engine.multilevel.rma_mv`):
influence (metafor's ``cooks.distance``, ``hatvalues`` and ``dfbetas`` for ``rma.mv``) and
profile-likelihood confidence intervals for the variance components (``confint`` for
``rma.mv``).

Hat values and the deletions with the variance components held fixed (``reestimate=False``)
are computed row by row from W = V^-1 per block or per cluster (no k x k matrix, O(k) in
all); re-estimated deletions refit the model once per effect size (or cluster)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from evsynth.engine.checks import level_percent
from evsynth.engine._verbs import fmt, records_frame, text_lines
from evsynth.engine import multilevel as ml
from evsynth.engine.linalg import factorize, r_uniroot
from evsynth.engine.multilevel import evaluate
from evsynth.engine.results import Result
from evsynth.errors import ConvergenceError, EvsynthError, InputError, ModelError

__all__ = ["InfluenceMVResult", "influence_mv", "ConfintMVResult", "confint_mv", "RanefMVResult", "ranef_mv"]


@dataclass(eq=False)
class InfluenceMVResult(Result):
    """Per effect size: Cook's distance, hat value (leverage) and DFBETAS (one per coefficient)."""

    cooks_distance: np.ndarray
    hat: np.ndarray
    dfbetas: np.ndarray  # k x p (one row per cluster with cluster=)
    coef_names: list
    k: int
    groups: list | None = None  # labels of the deleted clusters (cluster=); None: one row per effect size

    def summary(self) -> str:
        if self.groups is not None:  # per deleted cluster (hat values are per effect size)
            lines = [f"Influence diagnostics (multilevel fit; k = {self.k}; {len(self.groups)} clusters deleted in turn)",
                     f"{'':12s} {'cook.d':>9s} " + " ".join(f"{('dfbs.' + n)[:12]:>12s}" for n in self.coef_names)]
            for g, c, d in zip(self.groups, self.cooks_distance, self.dfbetas):
                lines.append(f"{str(g)[:12]:12s} {fmt(c):>9s} " + " ".join(f"{fmt(x):>12s}" for x in d))
            return "\n".join(lines)
        lines = [f"Influence diagnostics (multilevel fit; k = {self.k})",
                 f"{'':5s} {'cook.d':>9s} {'hat':>8s} " + " ".join(f"{('dfbs.' + n)[:12]:>12s}" for n in self.coef_names)]
        for i in range(self.k):
            lines.append(f"{i + 1:<5d} {fmt(self.cooks_distance[i]):>9s} {self.hat[i]:8.4f} "
                         + " ".join(f"{fmt(x):>12s}" for x in self.dfbetas[i]))
        return "\n".join(lines)

    def to_frame(self):
        """One row per effect size, or per deleted cluster (then without hat values) (pandas DataFrame)."""
        if self.groups is not None:
            cols = {"cluster": list(self.groups), "cooks_distance": self.cooks_distance}
        else:
            cols = {"row": np.arange(1, self.k + 1), "cooks_distance": self.cooks_distance, "hat": self.hat}
        for j, n in enumerate(self.coef_names):
            cols[f"dfbetas_{n}"] = self.dfbetas[:, j]
        return records_frame(cols)


class _Weights:
    """Per row of a multilevel fit, with W the inverse of the fitted marginal covariance
    (block diagonal) and e = y - X b: ``dW`` (diag W), ``Z`` (W X) and ``We`` (W e), plus
    ``pairs(i, j)`` for the entries W[i, j] of rows of the same block.  Nested random
    intercepts whose covariance per cluster is diagonal plus rank one (see
    :func:`evsynth.engine.multilevel._evaluate_dr1`) need no block: W_j = D^-1 - g a a'
    (a = 1 / (v + sigma2_within), g = sigma2_between / (1 + sigma2_between sum a)); other
    structures invert each block (batched by size).  O(sum n_j^3), no k x k matrix."""

    def __init__(self, fit):
        k, p = fit.k, fit.p
        bs = fit.structure
        self.outer = bs.outer
        e = fit.yi - fit.X @ fit.beta
        self.dr1 = ml._FAST and fit.spar is None and bs.diag_rank1
        if self.dr1:
            cl, n = bs.codes[0], bs.n_levels[0]
            s_b = float(fit.sigma2[0])
            s_w = float(fit.sigma2[1]) if bs.L == 2 else 0.0
            a = 1.0 / (fit.vi + s_w)
            g = (s_b / (1.0 + s_b * np.bincount(cl, weights=a, minlength=n)))[cl]
            self.a, self.ga = a, g * a
            self.dW = a - g * a * a
            self.Z = a[:, None] * fit.X - self.ga[:, None] * ml._csum(cl, a[:, None] * fit.X, n)[cl]
            self.We = a * e - self.ga * np.bincount(cl, weights=a * e, minlength=n)[cl]
            return
        self.dW, self.Z, self.We = np.empty(k), np.empty((k, p)), np.empty(k)
        flat, self.off, self.pos, self.size = [], np.empty(k, np.int64), np.empty(k, np.int64), np.empty(k, np.int64)
        start = 0
        for rows, V in fit.marginal_blocks():
            nb, n = rows.shape
            W = np.linalg.inv(V)
            self.dW[rows] = np.einsum("bii->bi", W)
            self.Z[rows] = W @ fit.X[rows]
            self.We[rows] = np.einsum("bij,bj->bi", W, e[rows])
            self.off[rows] = start + (np.arange(nb) * n * n)[:, None]
            self.pos[rows] = np.arange(n)[None, :]
            self.size[rows] = n
            flat.append(W.ravel())
            start += W.size
        self.flat = np.concatenate(flat)

    def pairs(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """W[i, j] for arrays of row indices (0 across blocks)."""
        same = self.outer[i] == self.outer[j]
        if self.dr1:
            return np.where(same, np.where(i == j, self.a[i], 0.0) - self.ga[i] * self.a[j], 0.0)
        idx = self.off[i] + self.pos[i] * self.size[i] + self.pos[j]
        return np.where(same, self.flat[np.where(same, idx, 0)], 0.0)


def _hat(fit, wt: _Weights | None = None) -> np.ndarray:
    """diag of X (X'WX)^-1 X'W with W the inverse fitted marginal covariance: x_i' M (WX)_i."""
    wt = _Weights(fit) if wt is None else wt
    h = np.einsum("ip,pq,iq->i", fit.X, fit.vb, wt.Z)  # vb of rma.mv is (X'WX)^-1 (no scaling)
    h[h > 1 - 10 * np.finfo(float).eps] = 1.0
    return h


def _groups(cluster, k: int):
    """Row indices of each cluster, clusters sorted by label (as metafor orders the result of
    ``cluster=``; labels of mixed types that do not sort: in order of first appearance), and
    the label of each; (None, None) without ``cluster``: one row each."""
    if cluster is None:
        return None, None
    c = np.asarray(cluster)
    if c.shape[0] != k:
        raise InputError(f"influence_mv: cluster has {c.shape[0]} values but the model has {k} effect sizes")
    codes = factorize(c, what="influence_mv cluster variable")
    try:
        codes = np.unique(c, return_inverse=True)[1].ravel()
    except TypeError:
        pass
    srt = np.argsort(codes, kind="stable")
    members = np.split(srt, np.cumsum(np.bincount(codes))[:-1])
    return members, [c[m[0]] for m in members]


def _fixed_deletion(fit, wt: _Weights, members):
    """beta - beta(-S) for every deleted set S (one row, or one cluster's rows) with the variance
    components held at the full-data values.  Deleting the rows S of a block-diagonal model
    changes X'WX by -Z_S' W_SS^-1 Z_S (the inverse of a principal submatrix, Schur complement),
    so beta - beta(-S) = M Z_S' P_SS^-1 (We)_S with P_SS = W_SS - Z_S M Z_S' (the projection's
    entries); one row: M z_i We_i / P_ii.  O(k p^2) for rows; per cluster O(n_S^3)."""
    M = fit.vb
    MZ = wt.Z @ M  # rows: M z_i
    tiny = 1e-10
    if members is None:
        P = wt.dW - np.einsum("ip,ip->i", MZ, wt.Z)
        ok = P > tiny * wt.dW  # else X without row i is rank deficient: metafor gives NA
        with np.errstate(divide="ignore", invalid="ignore"):
            d = MZ * (wt.We / P)[:, None]
        d[~ok] = np.nan
        return d
    d = np.full((len(members), fit.p), np.nan)
    by_size: dict[int, list[int]] = {}
    for g, m in enumerate(members):
        by_size.setdefault(m.size, []).append(g)
    for n, gs in by_size.items():
        R = np.stack([members[g] for g in gs])                  # (ng, n)
        Wss = wt.pairs(R[:, :, None], R[:, None, :])            # (ng, n, n)
        Zs = wt.Z[R]                                             # (ng, n, p)
        P = Wss - np.einsum("gip,pq,gjq->gij", Zs, M, Zs)
        lam = np.linalg.eigvalsh(P)
        scale = np.max(np.abs(np.einsum("gii->gi", Wss)), axis=1)
        ok = lam[:, 0] > tiny * scale
        if ok.any():
            sol = np.linalg.solve(P[ok], wt.We[R[ok]][:, :, None])[:, :, 0]
            d[np.asarray(gs)[ok]] = np.einsum("pq,giq,gi->gp", M, Zs[ok], sol)
    return d


class _RowsLeft:
    """The nested random-intercept structure of a diagonal-plus-rank-one fit on the rows
    ``keep`` (what :func:`evsynth.engine.multilevel._evaluate_dr1` reads: the cluster codes;
    a cluster left empty adds nothing to the likelihood)."""

    knownV = None
    struct = None
    diag_rank1 = True

    def __init__(self, bs, keep):
        self.L, self.n_levels = bs.L, bs.n_levels
        self.codes = [c[keep] for c in bs.codes]
        self.k = int(keep.sum())


def _refit_lean(fit, keep):
    """beta and sigma^2 without the rows not in ``keep``: Fisher scoring as rma_mv, started at
    the full fit's sigma^2 (as metafor's deletions: ``sigma2.init``), no result object."""
    X = fit.X[keep]
    if X.shape[1] > X.shape[0] - 1:
        raise ModelError("too few effect sizes left")
    fixed = fit._fixed_mask()
    s2, ev, _ = ml.fisher_scoring(fit.yi[keep], fit.vi[keep], X, _RowsLeft(fit.structure, keep),
                                  np.asarray(fit.sigma2, float), fit.method == "REML", fixed, method=fit.method)
    return ev.beta, s2


def _refit_full(fit, keep):
    r = fit.refit(keep)
    return r.beta, r.sigma2


def influence_mv(fit, *, reestimate: bool = True, cluster=None) -> InfluenceMVResult:
    """Cook's distances, hat values and DFBETAS of a multilevel fit (metafor's
    ``cooks.distance``, ``hatvalues`` and ``dfbetas`` for ``rma.mv``): each effect size (or
    each cluster) left out in turn.

    Parameters
    ----------
    fit : RMAMVResult
    reestimate : bool
        True (metafor's default): the variance components are re-estimated without each
        deleted effect (one refit per deletion, so the cost grows with k^2).  False: they are
        held at the full-data values (metafor's ``reestimate=FALSE``); every deletion is then a
        downdate of X'WX and X'Wy, all k in O(k p^2) together (no refit, no k x k matrix).
    cluster : array_like, optional
        Delete whole clusters (metafor's ``cluster=``): one row per cluster, sorted by label
        (``groups`` of the result gives the labels).

    Returns
    -------
    InfluenceMVResult
        ``cooks_distance[i] = (b - b(-i))' Var(b)^-1 (b - b(-i))``; ``hat`` the diagonal of
        ``X (X'WX)^-1 X'W`` (per effect size); ``dfbetas[i] = (b - b(-i)) / se`` with se from
        the full data at the left-out variance components (as metafor; the full fit's se
        when they are held fixed).  NaN where a deletion leaves a model that cannot be fitted.

    References
    ----------
    Viechtbauer, W., & Cheung, M. W.-L. (2010). Outlier and influence diagnostics for
    meta-analysis. Research Synthesis Methods, 1(2), 112-125.
    """
    if not hasattr(fit, "refit"):
        raise InputError("influence_mv needs a multilevel fit (rma_mv)")
    k, p = fit.k, fit.p
    members, labels = _groups(cluster, k)
    wt = _Weights(fit)
    vbi = np.linalg.inv(fit.vb)
    if not reestimate:
        d = _fixed_deletion(fit, wt, members)
        cook = np.einsum("ip,pq,iq->i", d, vbi, d)
        dfbs = d / np.sqrt(np.diag(fit.vb))[None, :]
        return InfluenceMVResult(cook, _hat(fit, wt), dfbs, list(fit.coef_names), k, groups=labels)
    sets = [np.array([i]) for i in range(k)] if members is None else members
    cook = np.full(len(sets), np.nan)
    dfbs = np.full((len(sets), p), np.nan)
    lean = wt.dr1  # nested random intercepts, no V, no struct: scoring on the rows left, warm-started
    for g, rows in enumerate(sets):
        keep = np.ones(k, bool)
        keep[rows] = False
        try:
            beta_i, sigma2_i = _refit_lean(fit, keep) if lean else _refit_full(fit, keep)
        except (EvsynthError, np.linalg.LinAlgError):
            continue
        d = fit.beta - beta_i
        cook[g] = float(d @ vbi @ d)
        if fit.struct_type is None:
            # Var(b) of the full data at the left-out variance components: one evaluation
            # (what a refit with every sigma^2 held fixed returns as vb)
            try:
                vb_i = evaluate(fit.yi, fit.vi, fit.X, fit.structure, sigma2_i, fit.method == "REML",
                                 need_info=False).M
            except (EvsynthError, np.linalg.LinAlgError):
                continue
            dfbs[g] = d / np.sqrt(np.diag(vb_i))
    return InfluenceMVResult(cook, _hat(fit, wt), dfbs, list(fit.coef_names), k, groups=labels)


@dataclass(eq=False)
class ConfintMVResult(Result):
    """Profile-likelihood confidence intervals for the variance components (sigma^2; tau^2
    and rho of a struct), one entry per name in ``names``."""

    sigma2_est: np.ndarray
    sigma2_ci_lb: np.ndarray
    sigma2_ci_ub: np.ndarray
    names: list
    level: float
    notes: list

    def summary(self) -> str:
        lines = [f"Profile-likelihood confidence intervals ({self.level:g}%)",
                 f"{'':14s} {'estimate':>9s} {'ci.lb':>9s} {'ci.ub':>9s}"]
        for n, e, lb, ub in zip(self.names, self.sigma2_est, self.sigma2_ci_lb, self.sigma2_ci_ub):
            label = n if n.startswith(("tau^2", "rho")) else "sigma^2 " + n
            lines.append(f"{label[:14]:14s} {fmt(e):>9s} {fmt(lb):>9s} {fmt(ub):>9s}")
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_frame(self):
        """One row per variance component (pandas DataFrame)."""
        return records_frame({"component": self.names, "estimate": self.sigma2_est, "ci_lb": self.sigma2_ci_lb,
                              "ci_ub": self.sigma2_ci_ub})


class _ProfileFailed(Exception):
    """A profile point whose refit failed (it ends that bound's search only)."""


def _profile_bounds(prof, est: float, lo: float, hi: float, tol: float, name: str, notes: list):
    """Bounds where the profile criterion crosses 0 on [lo, est] and [est, hi] (metafor's
    search: a bound at the end of the range when the criterion is still negative there).
    A refit that fails at a profile point makes that bound NaN, with a warning and a note;
    the other bound and the other components are still searched."""
    def one(which, search):
        try:
            return search()
        except _ProfileFailed as exc:
            msg = f"{which} bound of {name} is NaN: the refit failed at the profile point {exc}"
            warnings.warn(f"confint_mv: {msg}", RuntimeWarning, stacklevel=3)
            notes.append(msg)
            return np.nan

    lb = one("lower", lambda: lo if prof(lo) < 0 else r_uniroot(prof, lo, est, tol=tol, maxiter=1000))
    hi_in = [False]

    def upper():
        hi_in[0] = prof(hi) < 0
        return hi if hi_in[0] else r_uniroot(prof, est, hi, tol=tol, maxiter=1000)
    ub = one("upper", upper)
    return lb, ub, hi_in[0]


def confint_mv(fit, level: float = 95.0, *, tol: float = 1e-10) -> ConfintMVResult:
    """Profile-likelihood confidence intervals for the variance components of a
    multilevel fit (metafor's ``confint`` for ``rma.mv``): each sigma^2 and, with a CS/HCS
    struct, each tau^2 and rho.

    Each bound is where ``2 (logLik_max - logLik_profile(theta)) = chi2_{1, level}``, the
    other components re-estimated at each value.  A bound at 0 (at -1 or 1 for rho): the
    profile does not cross the cut-off inside the range.  The search for the upper bound
    of a variance stops at ``max(10, 100 theta)`` (metafor's ``vc.max``); a bound beyond it is
    reported as that ceiling with a note.  A refit that fails at a profile point (no
    convergence, a singular matrix) makes that one bound NaN with a ``RuntimeWarning`` and a
    note; the other bounds are still searched.

    Parameters
    ----------
    fit : RMAMVResult
        A multilevel fit.
    level : float
        Confidence level in percent.
    tol : float
        Tolerance of the root search on each bound.

    Returns
    -------
    ConfintMVResult
        ``sigma2_est``, ``sigma2_ci_lb``, ``sigma2_ci_ub``: one entry per component named in
        ``names`` (the sigma^2 components, then ``tau^2`` (CS) or ``tau^2.1`` ... (HCS) and
        ``rho`` of a struct), and notes.

    References
    ----------
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48.
    """
    level = level_percent(level)
    if not hasattr(fit, "refit"):
        raise InputError("confint_mv needs a multilevel fit (rma_mv)")
    cut = float(stats.chi2.isf(1 - level / 100, 1))
    ll_max = fit.ll
    L = len(fit.sigma2)
    comps = []  # (name, estimate, profile refit of a value, range low, range high or None)
    for l in range(L):
        def refit_s(val, l=l):
            fixed = np.full(L, np.nan)
            fixed[l] = val
            return fit.refit(None, sigma2_fixed=fixed)
        comps.append((f"{fit.s_names[l]}", float(fit.sigma2[l]), refit_s, 0.0, None))
    if fit.struct_type is not None:
        t2 = np.atleast_1d(np.asarray(fit.struct_tau2, float))
        for j, est in enumerate(t2):
            def refit_t(val, j=j, n=t2.size):
                fixed = np.full(n, np.nan)
                fixed[j] = val
                return fit.refit(None, struct_fixed={"tau2": fixed})
            comps.append(("tau^2" if t2.size == 1 else f"tau^2.{j + 1}", float(est), refit_t, 0.0, None))
        comps.append(("rho", float(fit.struct_rho), lambda val: fit.refit(None, struct_fixed={"rho": val}), -1.0, 1.0))
    names, est_all, lb, ub, notes = [], [], [], [], []
    for name, est, refit, lo, hi in comps:
        def prof(val, refit=refit):
            try:
                ll = refit(val).ll
            except (ConvergenceError, ModelError, np.linalg.LinAlgError, FloatingPointError) as exc:
                raise _ProfileFailed(f"{val:.6g} ({exc})") from None
            if not np.isfinite(ll):
                raise _ProfileFailed(f"{val:.6g} (log-likelihood {ll})")
            return 2 * (ll_max - ll) - cut

        ceiling = hi is None
        if ceiling:
            hi = 10.0 if est <= np.sqrt(np.finfo(float).eps) else max(10.0, est * 100)
        label = name if name.startswith(("tau^2", "rho")) else "sigma^2 " + name
        a, b, hi_in = _profile_bounds(prof, est, lo, hi, tol, label, notes)
        if hi_in and ceiling:
            notes.append(f"upper bound of {label} lies above the search ceiling {hi:g}")
        names.append(name)
        est_all.append(est)
        lb.append(a)
        ub.append(b)
    return ConfintMVResult(np.asarray(est_all, float), np.asarray(lb, float), np.asarray(ub, float), names, level,
                           notes)


@dataclass(eq=False)
class RanefMVResult(Result):
    """Predicted random effects of a multilevel fit (metafor's ``ranef`` for ``rma.mv``): per
    variance component (``components``), per group of its grouping (``groups``, labels as
    ``a/b`` for nested levels; ``inner | outer`` for a struct term) the prediction ``pred``,
    its ``se`` and prediction interval.  ``terms``: the random-effects formula of each
    component (``~ 1 | a/b``; ``~ inner | outer`` for a struct term)."""

    components: list
    groups: list
    pred: list
    se: list
    pi_lb: list
    pi_ub: list
    level: float
    terms: list | None = None

    def summary(self) -> str:
        head = f"{'':12s} {'intrcpt':>9s} {'se':>8s} {'pi.lb':>8s} {'pi.ub':>8s}"
        terms = self.terms or [f"~ 1 | {c}" for c in self.components]
        blocks = (["", t, head]
                  + [f"{str(n)[:12]:12s} {a:9.4f} {b:8.4f} {x:8.4f} {y:8.4f}" for n, a, b, x, y in zip(g, pr, se, lb, ub)]
                  for t, g, pr, se, lb, ub in zip(terms, self.groups, self.pred, self.se, self.pi_lb, self.pi_ub))
        return text_lines(f"Predicted random effects ({self.level:g}% prediction intervals)", *blocks)

    def to_frame(self):
        """One row per component and group (pandas DataFrame)."""
        n = [len(g) for g in self.groups]
        return records_frame({"component": np.repeat(self.components, n), "group": np.concatenate(self.groups),
                              "pred": np.concatenate(self.pred), "se": np.concatenate(self.se),
                              "pi_lb": np.concatenate(self.pi_lb), "pi_ub": np.concatenate(self.pi_ub)})


def _sort_codes(values) -> np.ndarray:
    """Rank of each value among the distinct values in sorted order (numbers numerically,
    text alphabetically, as R's ``order``); first-appearance codes when the values do not sort."""
    a = np.asarray(values)
    try:
        return np.unique(a, return_inverse=True)[1].ravel()
    except TypeError:
        return np.unique(np.array([str(x) for x in a.tolist()]), return_inverse=True)[1].ravel()


def _ranef_struct(fit, e, M):
    """Row-wise prediction and variance of the struct (G) random effect: per block
    ``u = G W e`` and ``Var = diag(G) - diag(G P G)`` with ``P = W - W X (X'WX)^-1 X'W``
    (G the struct covariance of the block's rows: tau_i tau_j, times rho between
    different inner levels of the same outer level)."""
    bs = fit.structure
    tau2, rho = fit.spar
    tau = np.sqrt(np.asarray(tau2, float))
    pred, var = np.empty(fit.k), np.empty(fit.k)
    for bt, (rows, V) in zip(bs.batches, fit.marginal_blocks()):
        t = tau[bt["inner"]]
        G = t[:, :, None] * t[:, None, :] * (rho * (bt["same_outer"] - bt["same_inner"]) + bt["same_inner"])
        GW = np.linalg.solve(V, G).transpose(0, 2, 1)  # G W (V, G symmetric)
        GWX = GW @ fit.X[rows]
        pred[rows] = np.einsum("bij,bj->bi", GW, e[rows])
        var[rows] = (np.einsum("bii->bi", G) - np.einsum("bij,bij->bi", GW, G)
                     + np.einsum("bnp,pq,bnq->bn", GWX, M, GWX))
    return pred, var


def ranef_mv(fit, *, level: float | None = None) -> RanefMVResult:
    """Predicted random effects of each variance component of a multilevel fit (metafor's
    ``ranef`` for ``rma.mv``), the struct (CS/HCS) term included.

    For component l with grouping matrix Z_l: ``pred = sigma2_l Z_l' W e`` (e = y - X b,
    W the inverse marginal covariance) and ``Var = sigma2_l - sigma2_l^2 diag(Z_l' P Z_l)``
    with ``P = W - W X (X'WX)^-1 X'W``, computed block by block (no k x k matrix); prediction
    intervals with the model's critical value (t with k - p df under ``test="t"``).

    For a struct term ``~ inner | outer`` (G: tau_i tau_j within an outer level, times rho
    between different inner levels): per combination of outer and inner level that occurs,
    ``pred = G Z' W e`` and ``Var = G - G Z' P Z G``, per block of the marginal covariance;
    rows sorted by outer, then inner level (as metafor), labelled ``inner | outer``.

    Parameters
    ----------
    fit : RMAMVResult
        A multilevel fit (nested random intercepts, and/or one CS/HCS struct term; name
        the struct's variables with ``struct["names"] = (inner, outer)``, else ``inner``
        and ``outer``).
    level : float, optional
        Level of the prediction intervals in percent (default: the fit's).

    Returns
    -------
    RanefMVResult

    References
    ----------
    Robinson, G. K. (1991). That BLUP is a good thing: the estimation of random effects.
    Statistical Science, 6(1), 15-32.
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48 (``ranef``).
    """
    if not hasattr(fit, "marginal_blocks"):
        raise InputError("ranef_mv needs a multilevel fit (rma_mv)")
    level = fit.level if level is None else level_percent(level)
    bs = fit.structure
    k, p = fit.k, fit.p
    X = fit.X
    e = fit.yi - X @ fit.beta
    We, WX = np.empty(k), np.empty((k, p))
    own = [np.empty(k) for _ in range(bs.L)]  # per row: sum of W over the rows of its own group
    for rows, V in fit.marginal_blocks():
        W = np.linalg.inv(V)
        We[rows] = np.einsum("bij,bj->bi", W, e[rows])
        WX[rows] = W @ X[rows]
        for l in range(bs.L):
            c = bs.codes[l][rows]
            own[l][rows] = np.sum(W * (c[:, :, None] == c[:, None, :]), axis=2)
    M = fit.vb  # (X'WX)^-1: rma_mv does not scale vb under test "t"
    a = 1 - level / 100
    crit = float(stats.t.isf(a / 2, k - p)) if fit.test == "t" else float(stats.norm.isf(a / 2))
    out = {"pred": [], "se": [], "pi_lb": [], "pi_ub": []}
    groups = []

    def add(pred, se):
        pred[np.abs(pred) < 100 * np.finfo(float).eps] = 0.0
        for key, val in (("pred", pred), ("se", se), ("pi_lb", pred - crit * se), ("pi_ub", pred + crit * se)):
            out[key].append(val)

    for l in range(bs.L):
        codes, n, s2 = bs.codes[l], bs.n_levels[l], float(fit.sigma2[l])
        pred = s2 * np.bincount(codes, weights=We, minlength=n)
        XW1 = np.column_stack([np.bincount(codes, weights=WX[:, j], minlength=n) for j in range(p)])
        z = np.bincount(codes, weights=own[l], minlength=n) - np.einsum("gp,pq,gq->g", XW1, M, XW1)
        first = np.zeros(n, int)
        first[codes[::-1]] = np.arange(k)[::-1]  # first row of each group
        parts = [[str(x) for x in np.asarray(g)[first].tolist()] for g in fit.groups[:l + 1]]
        groups.append(["/".join(t) for t in zip(*parts)])
        add(pred, np.sqrt(np.maximum(s2 - s2**2 * z, 0.0)))
    components, terms = list(fit.s_names), [f"~ 1 | {c}" for c in fit.s_names]
    if fit.struct_type is not None:
        st = fit.refit_args["struct"]
        inner_name, outer_name = st.get("names") or ("inner", "outer")
        pred, var = _ranef_struct(fit, e, M)
        # one row per (outer, inner) combination: rows sharing both have the same G row
        key = bs.struct["outer_codes"].astype(np.int64) * len(fit.struct_levels) + bs.struct["inner_codes"]
        _, first = np.unique(key, return_index=True)
        inner, outer = np.asarray(st["inner"]), np.asarray(st["outer"])
        first = first[np.lexsort((_sort_codes(inner)[first], _sort_codes(outer)[first]))]
        groups.append([f"{i} | {o}" for i, o in zip(inner[first].tolist(), outer[first].tolist())])
        add(pred[first], np.sqrt(np.maximum(var[first], 0.0)))
        components.append(f"{inner_name} | {outer_name}")
        terms.append(f"~ {inner_name} | {outer_name}")
    return RanefMVResult(components, groups, level=level, terms=terms, **out)
