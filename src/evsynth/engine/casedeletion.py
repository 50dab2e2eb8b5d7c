"""Case deletion: leave-one-out refits (``leave1out``), influence diagnostics
(``influence``) and cumulative meta-analysis (``cumul``) of univariate models, and the
influence diagnostics of multilevel fits (``influence_mv``: metafor's ``cooks.distance``,
``hatvalues`` and ``dfbetas`` for ``rma.mv``), as metafor.

Univariate: the k left-out fits come together from :mod:`evsynth.engine.deletion`
(downdated sums, O(k p^2)); the reference routes that refit k times are kept for the tests.
Multilevel: hat values and the deletions with the variance components held fixed
(``reestimate=False``) are computed row by row from W = V^-1 per block or per cluster (no
k x k matrix, O(k) in all); re-estimated deletions refit the model once per effect size (or
cluster).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from evsynth.errors import EvsynthError, InputError, ModelError
from evsynth.engine._verbs import fmt, records_frame
from evsynth.engine import multilevel as ml
from evsynth.engine import mvblocks
from evsynth.engine.linalg import factorize
from evsynth.engine.mvblocks import evaluate
from evsynth.engine.linalg import inv_pd
from evsynth.engine.deletion import loo_fits
from evsynth.engine.rma_uni import RMAResult, rma
from evsynth.engine.printing import fmt_p, frame_summary, text_table
from evsynth.engine.results import Result, critical_value

__all__ = [
    "Leave1outResult",
    "leave1out",
    "InfluenceResult",
    "influence",
    "CumulResult",
    "cumul",
    "RowNumbers",
    "InfluenceMVResult",
    "influence_mv",
]


def _refit(fit: RMAResult, idx=None, *, yi=None, vi=None, test=None, control=None) -> RMAResult:
    y = fit.yi if yi is None else yi
    v = fit.vi if vi is None else vi
    X = fit.X
    if idx is not None:
        y, v, X = y[idx], v[idx], X[idx]
    return rma(
        y,
        v,
        X,
        intercept=False,
        method=fit.method,
        test=fit.test if test is None else test,
        level=fit.level,
        coef_names=fit.coef_names,
        btt=fit.btt,
        compute_r2=False,
        control=control,
    )


# ------------------------------------------------------------------------------ leave-one-out


class RowNumbers(Sequence):
    """The labels "1" .. "k" of effect sizes without study labels, made when read: building
    k strings up front took about 1 ms of leave1out's 7 ms at k = 1e4 (issue 16 item 4).
    Compares equal to the list of those strings."""

    def __init__(self, k: int):
        self.k = int(k)

    def __len__(self) -> int:
        return self.k

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [str(j + 1) for j in range(*i.indices(self.k))]
        j = range(self.k)[i]  # negative indices and bounds as a list
        return str(j + 1)

    def __iter__(self):
        return map(str, range(1, self.k + 1))

    def __eq__(self, other) -> bool:
        if isinstance(other, RowNumbers):
            return self.k == other.k
        return isinstance(other, (list, tuple)) and list(self) == list(other)

    def __hash__(self):
        return hash(("RowNumbers", self.k))

    def __repr__(self) -> str:
        return f"RowNumbers({self.k})"


def _labels(fit: RMAResult, slab):
    """Labels of the effect sizes: ``slab``, else the fit's, else the row numbers (lazily)."""
    if slab is None:
        return fit.slab or RowNumbers(fit.k)
    labels = [str(x) for x in np.ravel(np.asarray(slab, dtype=object))]
    if len(labels) != fit.k:
        raise InputError(f"slab has {len(labels)} label(s) but the fit has {fit.k} effect sizes")
    return labels


_L1O_FIELDS = ("estimate", "se", "stat", "pval", "ci_lb", "ci_ub", "QE", "QEp", "tau2", "I2", "H2")


@dataclass(eq=False)
class Leave1outResult(Result):
    """Leave-one-out refits (metafor's ``leave1out``): per omitted effect size (``omitted``
    labels) the estimate, se, stat, pval, ci_lb, ci_ub, QE, QEp, tau2, I2 and H2."""

    omitted: list
    estimate: np.ndarray
    se: np.ndarray
    stat: np.ndarray
    pval: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    QE: np.ndarray
    QEp: np.ndarray
    tau2: np.ndarray
    I2: np.ndarray
    H2: np.ndarray

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({"omitted": self.omitted, **{c: getattr(self, c) for c in _L1O_FIELDS}})

    def summary(self) -> str:
        """As metafor prints a leave1out: one row per omitted effect size, p-values as
        ``<.0001`` (metafor's own data-frame print shows 0.0000 there)."""

        def f4(x):
            return [f"{v:.4f}" for v in x]

        cols = [
            ("estimate", f4(self.estimate)),
            ("se", f4(self.se)),
            ("zval", f4(self.stat)),
            ("pval", [fmt_p(p) for p in self.pval]),
            ("ci.lb", f4(self.ci_lb)),
            ("ci.ub", f4(self.ci_ub)),
            ("Q", f4(self.QE)),
            ("Qp", [fmt_p(p) for p in self.QEp]),
            ("tau2", f4(self.tau2)),
            ("I2", f4(self.I2)),
            ("H2", f4(self.H2)),
        ]
        return "\n".join(text_table(cols, [str(x) for x in self.omitted], gap=1))


def leave1out(fit: RMAResult, slab=None) -> Leave1outResult:
    """Refit the model with each effect size left out in turn (metafor's ``leave1out``).

    All k left-out fits are computed together in O(k p^2) by downdating the weighted sums
    (:mod:`evsynth.engine.deletion`); the tau^2 of each is iterated to full precision
    (metafor stops its iterations earlier, so digits beyond about the sixth may differ).

    Parameters
    ----------
    fit : RMAResult
        A univariate fit.
    slab : list of str, optional
        Labels of the effect sizes (default: the fit's ``slab`` or 1..k).

    Returns
    -------
    Leave1outResult
        One value per omitted effect size (for the first coefficient); ``to_frame()`` gives
        one row per omission.

    References
    ----------
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48.
    """
    if fit.k < 3:
        raise ModelError("leave-one-out needs at least 3 effect sizes")
    if fit.k - fit.p < 2:  # each left-out fit needs a residual degree of freedom, as rma
        raise ModelError(f"leave-one-out needs at least p + 2 = {fit.p + 2} effect sizes for {fit.p} coefficients")
    d = loo_fits(fit)
    df = d["df"]
    est = d["beta"][:, 0]
    se = np.sqrt(d["vb"][:, 0, 0])
    stat = est / se
    if fit.test in ("knha", "adhoc"):
        dist, pval = "t", 2 * special.stdtr(df, -np.abs(stat))
    else:
        dist, pval = "z", 2 * special.ndtr(-np.abs(stat))
    crit = critical_value(fit.level, dist, df if dist == "t" else None)
    QE, tau2 = d["QE"], d["tau2"]
    if fit.method in ("EE", "FE"):
        with np.errstate(divide="ignore", invalid="ignore"):
            I2 = np.where(QE > 0, np.maximum(0.0, 100 * (QE - df) / QE), 0.0)
        H2 = QE / df
    else:
        I2 = 100 * tau2 / (d["vt"] + tau2)
        H2 = tau2 / d["vt"] + 1
    vals = {
        "estimate": est,
        "se": se,
        "stat": stat,
        "pval": pval,
        "ci_lb": est - crit * se,
        "ci_ub": est + crit * se,
        "QE": QE,
        "QEp": special.chdtrc(df, QE),
        "tau2": tau2,
        "I2": I2,
        "H2": H2,
    }
    return Leave1outResult(_labels(fit, slab), **{c: np.asarray(vals[c], float) for c in _L1O_FIELDS})


def _leave1out_refit(fit: RMAResult, control: dict | None = None) -> dict:
    """The k refits one by one (the reference route of :func:`leave1out`, O(k^2))."""
    idx_all = np.arange(fit.k)
    vals = {c: np.empty(fit.k) for c in _L1O_FIELDS}
    for i in idx_all:
        r = _refit(fit, idx_all != i, control=control)
        one = {
            "estimate": r.estimate,
            "se": r.se[0],
            "stat": r.stat[0],
            "pval": r.pval[0],
            "ci_lb": r.ci_lb[0],
            "ci_ub": r.ci_ub[0],
            "QE": r.QE,
            "QEp": r.QEp,
            "tau2": r.tau2,
            "I2": r.I2,
            "H2": r.H2,
        }
        for c in _L1O_FIELDS:
            vals[c][i] = one[c]
    return vals


_INF_FIELDS = ("rstudent", "dffits", "cooks_distance", "cov_ratio", "tau2_del", "QE_del", "hat", "weight")


@dataclass(eq=False)
class InfluenceResult(Result):
    """Influence diagnostics (metafor's ``influence``), one value per effect size
    (``study`` labels): rstudent, dffits, cooks_distance, cov_ratio, tau2_del, QE_del,
    hat, weight (%) and ``influential`` (metafor's rule of thumb)."""

    study: list
    rstudent: np.ndarray
    dffits: np.ndarray
    cooks_distance: np.ndarray
    cov_ratio: np.ndarray
    tau2_del: np.ndarray
    QE_del: np.ndarray
    hat: np.ndarray
    weight: np.ndarray
    influential: np.ndarray

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(
            {"study": self.study, **{c: getattr(self, c) for c in _INF_FIELDS}, "influential": self.influential}
        )

    def summary(self) -> str:
        return frame_summary("Influence diagnostics (Viechtbauer & Cheung, 2010)", self)


def _dfbetas_above_one(fit: RMAResult, d: dict) -> np.ndarray:
    """metafor's fourth criterion of ``is.infl``: any |DFBETAS| > 1, where DFBETAS_i =
    (b - b_(-i)) / sqrt(s2w_(-i) diag(V_i)) and V_i = (X' diag(1 / (v + tau2_(-i))) X)^-1 over
    all k effects.  V_i grows with tau2_(-i) (Loewner order), so V at the smallest and the
    largest tau2_(-i) bound every DFBETAS; only effects whose bounds straddle 1 get their own
    V_i (usually none, so O(k) overall)."""
    k = fit.k
    X, v = fit.X, fit.vi
    dfb = np.abs(np.asarray(fit.beta, float)[None, :] - np.asarray(d["beta"], float).reshape(k, -1))
    s2w = np.broadcast_to(np.asarray(d["s2w"], float), (k,))
    t = np.broadcast_to(np.asarray(d["tau2"], float), (k,))

    def vdiag(tau2):
        return np.diag(inv_pd(X.T @ (X / (v + tau2)[:, None]), "the coefficient covariance matrix"))

    lo, hi = vdiag(t.min()), vdiag(t.max())
    big = (dfb / np.sqrt(s2w[:, None] * hi[None, :]) > 1).any(axis=1)
    maybe = ~big & (dfb / np.sqrt(s2w[:, None] * lo[None, :]) > 1).any(axis=1)
    for i in np.flatnonzero(maybe):
        big[i] = bool((dfb[i] / np.sqrt(s2w[i] * vdiag(t[i])) > 1).any())
    return big


def _above_chi2_median(x: np.ndarray, df: int) -> np.ndarray:
    """metafor's ``pchisq(x, df) > 0.5``, as x above the median of chi^2(df) (the distribution
    function of 1e4 small Cook's distances took 0.4 ms, a tenth of influence()); the
    distribution function itself only for the x within rounding of the median."""
    med = float(special.chdtri(df, 0.5))
    out = x > med
    near = np.flatnonzero(np.abs(x - med) <= 1e-9 * med)
    out[near] = special.chdtr(df, x[near]) > 0.5
    return out


def influence(fit: RMAResult, slab=None) -> InfluenceResult:
    """Influence diagnostics as metafor's ``influence``.

    Externally studentised residuals, DFFITS, Cook's distance, covariance ratio, tau^2
    and QE when deleted, hat values and weights (%), and metafor's flag of influential
    cases.

    Parameters
    ----------
    fit : RMAResult
        A univariate fit.
    slab : list of str, optional
        Labels of the effect sizes.

    Returns
    -------
    InfluenceResult

    References
    ----------
    Viechtbauer, W., & Cheung, M. W.-L. (2010). Outlier and influence diagnostics for
    meta-analysis. Research Synthesis Methods, 1(2), 112-125.
    """
    k = fit.k
    if k - fit.p < 2:
        raise ModelError("influence diagnostics need at least p + 2 effect sizes")
    w = 1 / (fit.vi + fit.tau2)
    hat = w * np.einsum("ij,jk,ik->i", fit.X, fit.vb / fit.s2w, fit.X)
    d = loo_fits(fit)
    out = _influence_stats(fit, hat, d["beta"], d["vb"], d["tau2"], d["s2w"], d["QE"])
    p = fit.p
    influential = (
        (np.abs(out["dffits"]) > 3 * np.sqrt(p / (k - p)))
        | _above_chi2_median(out["cooks_distance"], p)
        | (hat > 3 * p / k)
        | _dfbetas_above_one(fit, d)
    )
    return InfluenceResult(_labels(fit, slab), **out, hat=hat, weight=100 * w / w.sum(), influential=influential)


def _influence_stats(fit, hat, beta, vb, tau2, s2w, QE) -> dict:
    """metafor's influence statistics from the left-out fits (row i: without effect i)."""
    X = fit.X
    svb = inv_pd(fit.vb, "the coefficient covariance matrix")
    pred = X @ fit.beta
    dp = np.einsum("ip,ip->i", X, beta)
    vdp = np.einsum("ip,ipq,iq->i", X, vb, X)
    dfb = fit.beta[None, :] - beta
    resid = fit.yi - dp
    resid = np.where(np.abs(resid) < 100 * np.finfo(float).eps, 0.0, resid)
    return {
        "rstudent": resid / np.sqrt(fit.vi * s2w + vdp + tau2 * s2w),
        "dffits": (pred - dp) / np.sqrt(s2w * hat * (tau2 + fit.vi)),
        "cooks_distance": np.einsum("ip,pq,iq->i", dfb, svb, dfb),
        "cov_ratio": (vb[:, 0, 0] if fit.p == 1 else np.linalg.det(vb)) / np.linalg.det(fit.vb),
        "tau2_del": np.asarray(tau2, float),
        "QE_del": np.asarray(QE, float),
    }


def _influence_refit(fit: RMAResult, control: dict | None = None) -> dict:
    """The influence statistics from k refits one by one (the reference route, O(k^2))."""
    k = fit.k
    w = 1 / (fit.vi + fit.tau2)
    hat = w * np.einsum("ij,jk,ik->i", fit.X, fit.vb / fit.s2w, fit.X)
    fits = [_refit(fit, np.arange(k) != i, control=control) for i in range(k)]
    return _influence_stats(
        fit,
        hat,
        np.array([r.beta for r in fits]),
        np.array([r.vb for r in fits]),
        np.array([r.tau2 for r in fits]),
        np.array([r.s2w for r in fits]),
        np.array([r.QE for r in fits]),
    )


_CUMUL_FIELDS = ("estimate", "se", "ci_lb", "ci_ub", "pval", "tau2", "I2")


@dataclass(eq=False)
class CumulResult(Result):
    """Cumulative meta-analysis (metafor's ``cumul``): after each added effect size
    (``added`` labels, ``k`` effects so far) the estimate, se, ci_lb, ci_ub, pval, tau2, I2."""

    added: list
    k: np.ndarray
    estimate: np.ndarray
    se: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    pval: np.ndarray
    tau2: np.ndarray
    I2: np.ndarray

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({"added": self.added, "k": self.k, **{c: getattr(self, c) for c in _CUMUL_FIELDS}})

    def summary(self) -> str:
        return frame_summary("Cumulative meta-analysis", self)


def cumul(fit: RMAResult, order, slab=None) -> CumulResult:
    """Cumulative meta-analysis: the model refitted adding one effect at a time.

    Parameters
    ----------
    fit : RMAResult
        An intercept-only univariate fit.
    order : array, shape (k,)
        Sort key (a stable sort: ties keep the data order), e.g. publication year.
    slab : list of str, optional
        Labels of the effect sizes.

    Returns
    -------
    CumulResult

    References
    ----------
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48 (``cumul``).
    """
    if not fit.intercept_only:
        raise ModelError("cumulative meta-analysis applies to models without moderators")
    key = np.asarray(order)
    if key.ndim != 1 or key.size != fit.k:
        raise InputError(f"order has {key.size} value(s) but the fit has {fit.k} effect sizes")
    if key.dtype.kind == "f" and not np.all(np.isfinite(key)):
        raise InputError(
            f"order: missing value in row(s) {', '.join(str(i + 1) for i in np.flatnonzero(~np.isfinite(key))[:10])}"
        )
    o = np.argsort(key, kind="stable")
    labels = _labels(fit, slab)
    vals = {c: np.empty(fit.k) for c in _CUMUL_FIELDS}
    for j in range(1, fit.k + 1):
        idx = o[:j]
        method = fit.method if j > 1 else "EE"
        r = rma(
            fit.yi[idx], fit.vi[idx], method=method, test=fit.test if j > 1 else "z", level=fit.level, compute_r2=False
        )
        one = {
            "estimate": r.estimate,
            "se": r.se[0],
            "ci_lb": r.ci_lb[0],
            "ci_ub": r.ci_ub[0],
            "pval": r.pval[0],
            "tau2": r.tau2,
            "I2": r.I2,
        }
        for c in _CUMUL_FIELDS:
            vals[c][j - 1] = one[c]
    return CumulResult([labels[i] for i in o], np.arange(1, fit.k + 1), **vals)


# ------------------------------------------------------------------------------ multilevel fits


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
            lines = [
                f"Influence diagnostics (multilevel fit; k = {self.k}; {len(self.groups)} clusters deleted in turn)",
                f"{'':12s} {'cook.d':>9s} " + " ".join(f"{('dfbs.' + n)[:12]:>12s}" for n in self.coef_names),
            ]
            for g, c, d in zip(self.groups, self.cooks_distance, self.dfbetas):
                lines.append(f"{str(g)[:12]:12s} {fmt(c):>9s} " + " ".join(f"{fmt(x):>12s}" for x in d))
            return "\n".join(lines)
        lines = [
            f"Influence diagnostics (multilevel fit; k = {self.k})",
            f"{'':5s} {'cook.d':>9s} {'hat':>8s} " + " ".join(f"{('dfbs.' + n)[:12]:>12s}" for n in self.coef_names),
        ]
        for i in range(self.k):
            lines.append(
                f"{i + 1:<5d} {fmt(self.cooks_distance[i]):>9s} {self.hat[i]:8.4f} "
                + " ".join(f"{fmt(x):>12s}" for x in self.dfbetas[i])
            )
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
    :func:`evsynth.engine.mvblocks._evaluate_dr1`) need no block: W_j = D^-1 - g a a'
    (a = 1 / (v + sigma2_within), g = sigma2_between / (1 + sigma2_between sum a)); other
    structures invert each block (batched by size).  O(sum n_j^3), no k x k matrix."""

    def __init__(self, fit):
        k, p = fit.k, fit.p
        bs = fit.structure
        self.outer = bs.outer
        e = fit.yi - fit.X @ fit.beta
        self.dr1 = mvblocks._FAST and fit.spar is None and bs.diag_rank1
        if self.dr1:
            cl, n = bs.codes[0], bs.n_levels[0]
            s_b = float(fit.sigma2[0])
            s_w = float(fit.sigma2[1]) if bs.L == 2 else 0.0
            a = 1.0 / (fit.vi + s_w)
            g = (s_b / (1.0 + s_b * np.bincount(cl, weights=a, minlength=n)))[cl]
            self.a, self.ga = a, g * a
            self.dW = a - g * a * a
            self.Z = a[:, None] * fit.X - self.ga[:, None] * mvblocks._csum(cl, a[:, None] * fit.X, n)[cl]
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
        R = np.stack([members[g] for g in gs])  # (ng, n)
        Wss = wt.pairs(R[:, :, None], R[:, None, :])  # (ng, n, n)
        Zs = wt.Z[R]  # (ng, n, p)
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
    ``keep`` (what :func:`evsynth.engine.mvblocks._evaluate_dr1` reads: the cluster codes;
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
    s2, ev, _ = ml.fisher_scoring(
        fit.yi[keep],
        fit.vi[keep],
        X,
        _RowsLeft(fit.structure, keep),
        np.asarray(fit.sigma2, float),
        fit.method == "REML",
        fixed,
        method=fit.method,
    )
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
                vb_i = evaluate(fit.yi, fit.vi, fit.X, fit.structure, sigma2_i, fit.method == "REML", need_info=False).M
            except (EvsynthError, np.linalg.LinAlgError):
                continue
            dfbs[g] = d / np.sqrt(np.diag(vb_i))
    return InfluenceMVResult(cook, _hat(fit, wt), dfbs, list(fit.coef_names), k, groups=labels)
