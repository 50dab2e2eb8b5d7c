"""Publication bias, sensitivity and influence diagnostics for univariate models.

Egger's regression test, Begg & Mazumdar's rank test, Duval & Tweedie's trim-and-fill
(L0), Rosenthal's fail-safe N, leave-one-out, influence diagnostics, cumulative
meta-analysis (all as metafor), PET-PEESE (Stanley & Doucouliagos, 2014) and a
permutation test for moderators with vectorised refits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from evsynth.errors import InputError, ModelError
from evsynth.engine.linalg import inv_pd, wls
from evsynth.engine.models import RMAResult, rma
from evsynth.engine.results import Result, fmt_p, frame_summary

__all__ = [
    "RegtestResult", "regtest", "RanktestResult", "ranktest", "TrimfillResult", "trimfill",
    "FsnResult", "fsn", "Leave1outResult", "leave1out", "InfluenceResult", "influence", "CumulResult", "cumul",
    "PetPeeseResult", "pet_peese", "PermutationResult", "permutest",
]


def _refit(fit: RMAResult, idx=None, *, yi=None, vi=None, test=None) -> RMAResult:
    y = fit.yi if yi is None else yi
    v = fit.vi if vi is None else vi
    X = fit.X
    if idx is not None:
        y, v, X = y[idx], v[idx], X[idx]
    return rma(y, v, X, intercept=False, method=fit.method, test=fit.test if test is None else test,
               level=fit.level, coef_names=fit.coef_names, btt=fit.btt, compute_r2=False)


# ------------------------------------------------------------------------------ Egger

@dataclass(eq=False)
class RegtestResult(Result):
    """Egger's test: ``stat`` (z or t with ``df``), ``pval``, the limit estimate and the
    refitted model ``fit``."""

    stat: float
    pval: float
    df: int | None
    limit_estimate: float | None
    limit_ci: tuple | None
    k: int
    fit: RMAResult

    def summary(self) -> str:
        s = "t" if self.df is not None else "z"
        lines = ["Regression Test for Funnel Plot Asymmetry (Egger; predictor: standard error)",
                 f"test for funnel plot asymmetry: {s} = {self.stat:.4f}, p = {fmt_p(self.pval)}"]
        if self.limit_estimate is not None:
            lines.append(f"limit estimate (as sei -> 0): b = {self.limit_estimate:.4f} "
                         f"(CI: {self.limit_ci[0]:.4f}, {self.limit_ci[1]:.4f})")
        return "\n".join(lines)

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([{"stat": self.stat, "df": self.df, "pval": self.pval,
                              "limit_estimate": self.limit_estimate,
                              "limit_ci_lb": self.limit_ci[0] if self.limit_ci else None,
                              "limit_ci_ub": self.limit_ci[1] if self.limit_ci else None, "k": self.k}])


def regtest(fit: RMAResult) -> RegtestResult:
    """Egger's regression test for funnel plot asymmetry: the model refitted with the
    standard error as an extra moderator (metafor's ``regtest(model="rma", predictor="sei")``).

    Parameters
    ----------
    fit : RMAResult
        A univariate fit (with or without moderators).

    Returns
    -------
    RegtestResult
        ``stat`` (z, or t with ``df`` under Knapp-Hartung), ``pval``, the limit estimate
        (intercept-only models) with its CI, and the refitted model ``fit``.

    References
    ----------
    Egger, M., Davey Smith, G., Schneider, M., & Minder, C. (1997). Bias in meta-analysis
    detected by a simple, graphical test. BMJ, 315(7109), 629-634.
    """
    if fit.k - fit.p < 2:
        raise ModelError("Egger's test needs at least p + 2 effect sizes")
    X = np.column_stack([fit.X, np.sqrt(fit.vi)])
    r = rma(fit.yi, fit.vi, X, intercept=False, method=fit.method, test=fit.test, level=fit.level,
            coef_names=fit.coef_names + ["sei"], compute_r2=False)
    j = fit.p
    lim = None
    lim_ci = None
    if fit.intercept_only:
        lim = float(r.beta[0])
        lim_ci = (float(r.ci_lb[0]), float(r.ci_ub[0]))
    return RegtestResult(float(r.stat[j]), float(r.pval[j]), r.df, lim, lim_ci, fit.k, r)


# ------------------------------------------------------------------------------ Begg

@dataclass(eq=False)
class RanktestResult(Result):
    """Begg & Mazumdar's test: Kendall's tau, its p-value, k, exact or not."""

    kendall_tau: float
    pval: float
    k: int
    exact: bool

    def summary(self) -> str:
        return ("Rank Correlation Test for Funnel Plot Asymmetry (Begg & Mazumdar)\n"
                f"Kendall's tau = {self.kendall_tau:.4f}, p = {fmt_p(self.pval)}"
                f"{' (exact)' if self.exact else ' (normal approximation)'}")

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([{"kendall_tau": self.kendall_tau, "pval": self.pval, "k": self.k, "exact": self.exact}])


def ranktest(yi, vi) -> RanktestResult:
    """Begg & Mazumdar's rank correlation between standardised effects and variances.

    As R's ``cor.test(method="kendall")``: exact p-value when k < 50 and there are no
    ties, otherwise the normal approximation with the tie-corrected variance.

    Parameters
    ----------
    yi, vi : array_like, shape (k,)
        Effect sizes and sampling variances.

    Returns
    -------
    RanktestResult
        ``kendall_tau``, ``pval``, ``k``, ``exact``.

    References
    ----------
    Begg, C. B., & Mazumdar, M. (1994). Operating characteristics of a rank correlation
    test for publication bias. Biometrics, 50(4), 1088-1101.
    """
    y, v = np.asarray(yi, float), np.asarray(vi, float)
    w = 1 / v
    theta = np.sum(w * y) / np.sum(w)
    ys = (y - theta) / np.sqrt(v - 1 / np.sum(w))
    k = y.size
    ties = len(np.unique(ys)) < k or len(np.unique(v)) < k
    exact = k < 50 and not ties
    res = stats.kendalltau(ys, v, method="exact" if exact else "asymptotic")
    return RanktestResult(float(res.statistic), float(res.pvalue), k, exact)


# ------------------------------------------------------------------------------ trim-and-fill

@dataclass(eq=False)
class TrimfillResult(Result):
    """Trim-and-fill: ``k0`` missing studies on ``side``, the model ``fit`` to observed
    plus filled effects, and the filled ``filled_yi``/``filled_vi``."""

    k0: int
    side: str
    fit: RMAResult
    filled_yi: np.ndarray
    filled_vi: np.ndarray

    @property
    def beta(self) -> float:
        return self.fit.estimate

    @property
    def se(self) -> float:
        return float(self.fit.se[0])

    @property
    def tau2(self) -> float:
        return self.fit.tau2

    @property
    def k(self) -> int:
        return self.fit.k

    def summary(self) -> str:
        return (f"Trim-and-fill (L0): estimated number of missing studies on the {self.side} side: {self.k0}\n"
                + self.fit.summary())

    def to_frame(self):
        """One row: k0, side, estimate, se, ci_lb, ci_ub, tau2, k (of the filled model)."""
        import pandas as pd

        return pd.DataFrame([{"k0": self.k0, "side": self.side, "estimate": self.beta, "se": self.se,
                              "ci_lb": float(self.fit.ci_lb[0]), "ci_ub": float(self.fit.ci_ub[0]),
                              "tau2": self.tau2, "k": self.k}])

    def filled_frame(self):
        """The filled effect sizes: yi, vi."""
        import pandas as pd

        return pd.DataFrame({"yi": self.filled_yi, "vi": self.filled_vi})


def trimfill(fit: RMAResult, side: str | None = None, maxiter: int = 100) -> TrimfillResult:
    """Duval & Tweedie's trim-and-fill with the L0 estimator (metafor's ``trimfill``).

    Parameters
    ----------
    fit : RMAResult
        An intercept-only univariate fit.
    side : {"left", "right"}, optional
        Side of the funnel plot where studies are missing (default: from Egger's slope, as metafor).
    maxiter : int
        Iterations of the L0 estimator.

    Returns
    -------
    TrimfillResult
        ``k0``, ``side``, the model ``fit`` to observed plus filled effects, and the filled
        ``filled_yi``/``filled_vi`` (``filled_frame()``).

    References
    ----------
    Duval, S., & Tweedie, R. (2000). Trim and fill: A simple funnel-plot-based method of
    testing and adjusting for publication bias in meta-analysis. Biometrics, 56(2), 455-463.
    """
    if not fit.intercept_only:
        raise ModelError("trim-and-fill applies only to models without moderators")
    y0, v0 = fit.yi, fit.vi
    k = y0.size
    if side is None:
        r = rma(y0, v0, np.sqrt(v0), method=fit.method, compute_r2=False)
        side = "right" if r.beta[1] < 0 else "left"
    if side not in ("left", "right"):
        raise InputError(f"side must be 'left' or 'right', got '{side}'")
    y = -y0 if side == "right" else y0.copy()
    order = np.argsort(y, kind="stable")
    y, v = y[order], v0[order]
    k0, k0_prev, it = 0, -1, 0
    beta = 0.0
    while k0 != k0_prev:
        k0_prev = k0
        it += 1
        if it > maxiter:
            raise ModelError(f"trim-and-fill did not converge in {maxiter} iterations")
        r = rma(y[: k - k0], v[: k - k0], method=fit.method, compute_r2=False)
        beta = r.estimate
        yc = y - beta
        ranks = stats.rankdata(np.abs(yc), method="ordinal")
        srank = np.sign(yc) * ranks
        Sr = srank[srank > 0].sum()
        k0 = (4 * Sr - k * (k + 1)) / (2 * k - 1)
        k0 = int(max(0, np.round(k0)))
        if k0 >= k:
            raise ModelError("trim-and-fill estimated as many missing studies as there are studies")
    if k0 > 0:
        fill_y = 2 * beta - y[k - k0:]
        if side == "right":
            fill_y = -fill_y
        fill_v = v[k - k0:]
        f = rma(np.concatenate([y0, fill_y]), np.concatenate([v0, fill_v]), method=fit.method,
                level=fit.level, compute_r2=False)
    else:
        fill_y, fill_v = np.zeros(0), np.zeros(0)
        f = rma(y0, v0, method=fit.method, level=fit.level, compute_r2=False)
    return TrimfillResult(k0, side, f, fill_y, fill_v)


# ------------------------------------------------------------------------------ fail-safe N

@dataclass(eq=False)
class FsnResult(Result):
    """Rosenthal's fail-safe N ``fsnum``, the observed one-sided p and the target alpha."""

    fsnum: int
    pval: float
    alpha: float

    def summary(self) -> str:
        return (f"Fail-safe N (Rosenthal): {self.fsnum} (observed significance p = {fmt_p(self.pval)}, "
                f"target alpha = {self.alpha})")

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([{"fsnum": self.fsnum, "pval": self.pval, "alpha": self.alpha}])


def fsn(yi, vi, alpha: float = 0.05) -> FsnResult:
    """Rosenthal's fail-safe N (Stouffer's method, one-tailed alpha), rounded up as metafor.

    Parameters
    ----------
    yi, vi : array_like, shape (k,)
        Effect sizes and sampling variances.
    alpha : float
        One-tailed target significance level.

    Returns
    -------
    FsnResult
        ``fsnum``, the observed one-sided ``pval`` and ``alpha``.

    References
    ----------
    Rosenthal, R. (1979). The file drawer problem and tolerance for null results.
    Psychological Bulletin, 86(3), 638-641.
    """
    y, v = np.asarray(yi, float), np.asarray(vi, float)
    k = y.size
    z = y / np.sqrt(v)
    zavg = abs(z.sum() / np.sqrt(k))
    val = max(0.0, k * (zavg / stats.norm.isf(alpha)) ** 2 - k)
    n = int(np.ceil(val)) if abs(val - round(val)) >= np.sqrt(np.finfo(float).eps) else int(round(val))
    return FsnResult(n, float(stats.norm.sf(zavg)), alpha)


# ------------------------------------------------------------------------------ leave-one-out

def _labels(fit: RMAResult, slab) -> list:
    return list(slab) if slab is not None else (fit.slab or [str(i + 1) for i in range(fit.k)])


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
        return frame_summary("Leave-one-out analysis", self)


def leave1out(fit: RMAResult, slab=None) -> Leave1outResult:
    """Refit the model with each effect size left out in turn (metafor's ``leave1out``).

    Parameters
    ----------
    fit : RMAResult
        A univariate fit.
    slab : list of str, optional
        Labels of the effect sizes (default: the fit's ``slab`` or 1..k).

    Returns
    -------
    Leave1outResult
        One value per omitted effect size; ``to_frame()`` gives one row per omission.

    References
    ----------
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48.
    """
    if fit.k < 3:
        raise ModelError("leave-one-out needs at least 3 effect sizes")
    idx_all = np.arange(fit.k)
    vals = {c: np.empty(fit.k) for c in _L1O_FIELDS}
    for i in idx_all:
        r = _refit(fit, idx_all != i)
        one = {"estimate": r.estimate, "se": r.se[0], "stat": r.stat[0], "pval": r.pval[0], "ci_lb": r.ci_lb[0],
               "ci_ub": r.ci_ub[0], "QE": r.QE, "QEp": r.QEp, "tau2": r.tau2, "I2": r.I2, "H2": r.H2}
        for c in _L1O_FIELDS:
            vals[c][i] = one[c]
    return Leave1outResult(_labels(fit, slab), **vals)


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
    pred = fit.X @ fit.beta
    svb = inv_pd(fit.vb, "the coefficient covariance matrix")
    det_full = np.linalg.det(fit.vb)
    out = {k_: np.full(k, np.nan) for k_ in ("rstudent", "dffits", "cooks_distance", "cov_ratio",
                                               "tau2_del", "QE_del")}
    idx_all = np.arange(k)
    for i in idx_all:
        r = _refit(fit, idx_all != i)
        xi = fit.X[i]
        dp = float(xi @ r.beta)
        vdp = float(xi @ r.vb @ xi)
        out["tau2_del"][i] = r.tau2
        out["QE_del"][i] = r.QE
        out["dffits"][i] = (pred[i] - dp) / np.sqrt(r.s2w * hat[i] * (r.tau2 + fit.vi[i]))
        dfb = fit.beta - r.beta
        out["cooks_distance"][i] = dfb @ svb @ dfb
        out["cov_ratio"][i] = np.linalg.det(r.vb) / det_full
        resid = fit.yi[i] - dp
        if abs(resid) < 100 * np.finfo(float).eps:
            resid = 0.0
        out["rstudent"][i] = resid / np.sqrt(fit.vi[i] * r.s2w + vdp + r.tau2 * r.s2w)
    p = fit.p
    influential = ((np.abs(out["dffits"]) > 3 * np.sqrt(p / (k - p)))
                   | (stats.chi2.cdf(out["cooks_distance"], p) > 0.5)
                   | (hat > 3 * p / k))
    return InfluenceResult(_labels(fit, slab), **out, hat=hat, weight=100 * w / w.sum(), influential=influential)


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
    o = np.argsort(np.asarray(order), kind="stable")
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


# ------------------------------------------------------------------------------ PET-PEESE

@dataclass(eq=False)
class PetPeeseResult(Result):
    """PET and PEESE intercepts with their se and p, which one is used, and its estimate."""

    pet_estimate: float
    pet_se: float
    pet_pval: float
    peese_estimate: float
    peese_se: float
    peese_pval: float
    use_peese: bool
    df: int

    @property
    def estimate(self) -> float:
        return self.peese_estimate if self.use_peese else self.pet_estimate

    def summary(self) -> str:
        chosen = "PEESE" if self.use_peese else "PET"
        return (f"PET:   b0 = {self.pet_estimate:.4f} (SE {self.pet_se:.4f}, p = {fmt_p(self.pet_pval)})\n"
                f"PEESE: b0 = {self.peese_estimate:.4f} (SE {self.peese_se:.4f}, p = {fmt_p(self.peese_pval)})\n"
                f"conditional estimate ({chosen}): {self.estimate:.4f}")

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([{"pet_estimate": self.pet_estimate, "pet_se": self.pet_se, "pet_pval": self.pet_pval,
                              "peese_estimate": self.peese_estimate, "peese_se": self.peese_se,
                              "peese_pval": self.peese_pval, "use_peese": self.use_peese,
                              "estimate": self.estimate}])


def _wls_mult(y, x, w):
    """WLS with a multiplicative dispersion (as ``lm(y ~ x, weights = w)``)."""
    X = np.column_stack([np.ones_like(y), x])
    f = wls(y, X, w)
    df = y.size - 2
    s2 = f.rss / df
    se = np.sqrt(np.diag(f.M) * s2)
    t = f.beta / se
    return f.beta, se, 2 * stats.t.sf(np.abs(t), df), df


def pet_peese(yi, vi, alpha: float = 0.05) -> PetPeeseResult:
    """PET (effect regressed on its standard error) and PEESE (on its variance), both
    weighted by 1/vi with a multiplicative error; PEESE is used when PET's intercept is
    significantly different from zero at ``alpha`` (two-sided).

    Parameters
    ----------
    yi, vi : array_like, shape (k,)
        Effect sizes and sampling variances (k >= 3).
    alpha : float
        Level of the PET test that selects PEESE.

    Returns
    -------
    PetPeeseResult
        Both intercepts with se and p, ``use_peese`` and the conditional ``estimate``.

    References
    ----------
    Stanley, T. D., & Doucouliagos, H. (2014). Meta-regression approximations to reduce
    publication selection bias. Research Synthesis Methods, 5(1), 60-78.
    """
    y, v = np.asarray(yi, float), np.asarray(vi, float)
    if y.size < 3:
        raise ModelError("PET-PEESE needs at least 3 effect sizes")
    b1, s1, p1, df = _wls_mult(y, np.sqrt(v), 1 / v)
    b2, s2, p2, _ = _wls_mult(y, v, 1 / v)
    return PetPeeseResult(float(b1[0]), float(s1[0]), float(p1[0]), float(b2[0]), float(s2[0]),
                          float(p2[0]), bool(p1[0] < alpha), df)


# ------------------------------------------------------------------------------ permutation test

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

    def to_frame(self):
        """One row: QM, pval_permutation, pval_asymptotic, iterations, seed."""
        import pandas as pd

        return pd.DataFrame([{"QM": self.QM, "pval_permutation": self.pval_QM, "pval_asymptotic": self.QMp,
                              "iterations": self.iterations, "seed": self.seed}])

    def coef_frame(self):
        """One row per coefficient: term, stat, pval_permutation."""
        import pandas as pd

        return pd.DataFrame({"term": list(self.coef_names), "stat": self.stat, "pval_permutation": self.pval_coef})

    def summary(self) -> str:
        lines = [f"Permutation test ({self.iterations} permutations, seed {self.seed})",
                 f"Test of moderators: QM = {self.QM:.4f}, permutation p = {fmt_p(self.pval_QM)}"]
        for n, s, p in zip(self.coef_names, self.stat, self.pval_coef):
            lines.append(f"  {n:>14s}  stat = {s: .4f}  permutation p = {fmt_p(p)}")
        return "\n".join(lines)


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
    if test == "knha":
        r = Y - beta @ X.T
        s2 = np.sum(w * r**2, 1) / (k - p)
        M = M * s2[:, None, None]
    se = np.sqrt(np.einsum("bpp->bp", M))
    bt = np.asarray(btt)
    Mb = M[:, bt][:, :, bt]
    bb = beta[:, bt]
    QM = np.einsum("bp,bp->b", bb, np.linalg.solve(Mb, bb[..., None])[..., 0])
    if test == "knha":
        QM = QM / len(bt)
    return QM, beta / se


def permutest(fit: RMAResult, iterations: int = 1000, seed: int = 1) -> PermutationResult:
    """Permutation test of the moderators (metafor's ``permutest``): the rows of the data are
    permuted against the model matrix and the model refitted, all permutations at once;
    p = (1 + #{QM* >= QM}) / (1 + B).

    Parameters
    ----------
    fit : RMAResult
        A univariate fit with at least one moderator (EE, DL, ML or REML).
    iterations : int
        Number of permutations B.
    seed : int
        Seed of the random permutations (results are reproducible).

    Returns
    -------
    PermutationResult
        ``QM`` with its permutation p ``pval_QM`` and asymptotic ``QMp``, per coefficient
        ``stat`` and ``pval_coef``.

    References
    ----------
    Higgins, J. P. T., & Thompson, S. G. (2004). Controlling the risk of spurious findings
    from meta-regression. Statistics in Medicine, 23(11), 1663-1682.
    """
    if fit.p < 2:
        raise ModelError("the permutation test needs at least one moderator")
    if iterations < 1:
        raise InputError("iterations must be at least 1")
    rng = np.random.default_rng(seed)
    k = fit.k
    perms = np.argsort(rng.random((iterations, k)), axis=1)
    Y = fit.yi[perms]
    V = fit.vi[perms]
    chunks = []
    stat_chunks = []
    step = max(1, int(2_000_000 // max(k * fit.p * fit.p, 1)))
    for s in range(0, iterations, step):
        t2 = _batch_tau2(Y[s:s + step], V[s:s + step], fit.X, fit.method)
        qm, st = _batch_stats(Y[s:s + step], V[s:s + step], fit.X, t2, fit.test, fit.btt)
        chunks.append(qm)
        stat_chunks.append(st)
    QMs = np.concatenate(chunks)
    STs = np.concatenate(stat_chunks)
    eps = 1e-8 * max(1.0, abs(fit.QM))
    p_qm = (1 + np.sum(QMs >= fit.QM - eps)) / (1 + iterations)
    p_coef = (1 + np.sum(np.abs(STs) >= np.abs(fit.stat)[None, :] - 1e-8, axis=0)) / (1 + iterations)
    return PermutationResult(fit.QM, float(p_qm), fit.coef_names, fit.stat, p_coef, iterations, seed, fit.QMp)
