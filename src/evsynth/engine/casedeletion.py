"""Case deletion of univariate models: leave-one-out refits (``leave1out``), influence
diagnostics (``influence``) and cumulative meta-analysis (``cumul``), as metafor.  The k
left-out fits come together from :mod:`evsynth.engine.deletion` (downdated sums, O(k p^2));
the reference routes that refit k times are kept for the tests.  The multilevel
counterpart is :func:`evsynth.engine.mvdiag.influence_mv`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from evsynth.errors import InputError, ModelError
from evsynth.engine.linalg import inv_pd
from evsynth.engine.deletion import loo_fits
from evsynth.engine.rma_uni import RMAResult, rma
from evsynth.engine.results import Result, critical_value, fmt_p, frame_summary, text_table

__all__ = ["Leave1outResult", "leave1out", "InfluenceResult", "influence", "CumulResult", "cumul", "RowNumbers"]


def _refit(fit: RMAResult, idx=None, *, yi=None, vi=None, test=None, control=None) -> RMAResult:
    y = fit.yi if yi is None else yi
    v = fit.vi if vi is None else vi
    X = fit.X
    if idx is not None:
        y, v, X = y[idx], v[idx], X[idx]
    return rma(y, v, X, intercept=False, method=fit.method, test=fit.test if test is None else test,
               level=fit.level, coef_names=fit.coef_names, btt=fit.btt, compute_r2=False, control=control)


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
        cols = [("estimate", f4(self.estimate)), ("se", f4(self.se)), ("zval", f4(self.stat)),
                ("pval", [fmt_p(p) for p in self.pval]), ("ci.lb", f4(self.ci_lb)), ("ci.ub", f4(self.ci_ub)),
                ("Q", f4(self.QE)), ("Qp", [fmt_p(p) for p in self.QEp]), ("tau2", f4(self.tau2)),
                ("I2", f4(self.I2)), ("H2", f4(self.H2))]
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
    vals = {"estimate": est, "se": se, "stat": stat, "pval": pval, "ci_lb": est - crit * se, "ci_ub": est + crit * se,
            "QE": QE, "QEp": special.chdtrc(df, QE), "tau2": tau2, "I2": I2, "H2": H2}
    return Leave1outResult(_labels(fit, slab), **{c: np.asarray(vals[c], float) for c in _L1O_FIELDS})


def _leave1out_refit(fit: RMAResult, control: dict | None = None) -> dict:
    """The k refits one by one (the reference route of :func:`leave1out`, O(k^2))."""
    idx_all = np.arange(fit.k)
    vals = {c: np.empty(fit.k) for c in _L1O_FIELDS}
    for i in idx_all:
        r = _refit(fit, idx_all != i, control=control)
        one = {"estimate": r.estimate, "se": r.se[0], "stat": r.stat[0], "pval": r.pval[0], "ci_lb": r.ci_lb[0],
               "ci_ub": r.ci_ub[0], "QE": r.QE, "QEp": r.QEp, "tau2": r.tau2, "I2": r.I2, "H2": r.H2}
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

        return pd.DataFrame({"study": self.study, **{c: getattr(self, c) for c in _INF_FIELDS},
                             "influential": self.influential})

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
    influential = ((np.abs(out["dffits"]) > 3 * np.sqrt(p / (k - p)))
                   | _above_chi2_median(out["cooks_distance"], p)
                   | (hat > 3 * p / k)
                   | _dfbetas_above_one(fit, d))
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
    return {"rstudent": resid / np.sqrt(fit.vi * s2w + vdp + tau2 * s2w),
            "dffits": (pred - dp) / np.sqrt(s2w * hat * (tau2 + fit.vi)),
            "cooks_distance": np.einsum("ip,pq,iq->i", dfb, svb, dfb),
            "cov_ratio": (vb[:, 0, 0] if fit.p == 1 else np.linalg.det(vb)) / np.linalg.det(fit.vb),
            "tau2_del": np.asarray(tau2, float), "QE_del": np.asarray(QE, float)}


def _influence_refit(fit: RMAResult, control: dict | None = None) -> dict:
    """The influence statistics from k refits one by one (the reference route, O(k^2))."""
    k = fit.k
    w = 1 / (fit.vi + fit.tau2)
    hat = w * np.einsum("ij,jk,ik->i", fit.X, fit.vb / fit.s2w, fit.X)
    fits = [_refit(fit, np.arange(k) != i, control=control) for i in range(k)]
    return _influence_stats(fit, hat, np.array([r.beta for r in fits]), np.array([r.vb for r in fits]),
                            np.array([r.tau2 for r in fits]), np.array([r.s2w for r in fits]),
                            np.array([r.QE for r in fits]))


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
        raise InputError(f"order: missing value in row(s) {', '.join(str(i + 1) for i in np.flatnonzero(~np.isfinite(key))[:10])}")
    o = np.argsort(key, kind="stable")
    labels = _labels(fit, slab)
    vals = {c: np.empty(fit.k) for c in _CUMUL_FIELDS}
    for j in range(1, fit.k + 1):
        idx = o[:j]
        method = fit.method if j > 1 else "EE"
        r = rma(fit.yi[idx], fit.vi[idx], method=method, test=fit.test if j > 1 else "z", level=fit.level,
                compute_r2=False)
        one = {"estimate": r.estimate, "se": r.se[0], "ci_lb": r.ci_lb[0], "ci_ub": r.ci_ub[0], "pval": r.pval[0],
               "tau2": r.tau2, "I2": r.I2}
        for c in _CUMUL_FIELDS:
            vals[c][j - 1] = one[c]
    return CumulResult([labels[i] for i in o], np.arange(1, fit.k + 1), **vals)
