"""The univariate equal-, random- and mixed-effects model (metafor's ``rma.uni``): the fit
(:func:`rma`), its result (:class:`RMAResult`) and the subgroup analysis built on it.

Every computation is O(k p^2): weights are vectors and projections are never formed
(see :mod:`evsynth.engine.linalg`); tau^2 comes from :mod:`evsynth.engine.estimators`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from evsynth.errors import InputError, ModelError
from evsynth.engine.checks import checked_effects, check_effects, check_test_level, level_percent
from evsynth.engine.estimators import METHODS, chi2_sf, Fused, is_intercept_only, keep_fused, estimate_tau2
from evsynth.engine.linalg import WLS, design_matrix, wls
from evsynth.engine.printing import fit_printout, p_text
from evsynth.engine.results import FitResult, Heterogeneity, Result, fit_fields

__all__ = ["TESTS", "RMAResult", "SubgroupResult", "rma", "subgroup"]

TESTS = ("z", "knha", "adhoc")
KH_TESTS = ("knha", "adhoc")  # t/F reference distributions with the s2w scaling


@dataclass(eq=False, kw_only=True)
class RMAResult(FitResult):
    """A fitted equal-, random- or mixed-effects model (metafor's ``rma.uni``), with
    metafor's field names: the coefficient block (``beta``, ``se``, ``stat``, ``pval``,
    ``ci_lb``, ``ci_ub``, ``vb``; see :class:`~evsynth.engine.results.Coefs`), ``tau2``,
    ``se_tau2``, ``QE``/``QEp``, ``QM``/``QMp``/``QMdf``, ``I2``, ``H2``, ``R2``, ``weights``
    (percent), ``pi_lb``/``pi_ub``."""

    tau2: float
    se_tau2: float | None
    I2: float
    H2: float
    vt: float
    R2: float | None
    weights: np.ndarray  # model weights (sum to 100)
    s2w: float = 1.0
    slab: list[str] | None = None
    extra: dict = field(default_factory=dict)

    def model_weights(self) -> np.ndarray:
        return self.weights

    @property
    def het(self) -> Heterogeneity:
        """The heterogeneity block (tau^2, I^2, H^2, R^2 and the Q test) of this fit."""
        ee = self.method in ("EE", "FE")
        return Heterogeneity(
            QE=self.QE,
            QEdf=self.k - self.p,
            QEp=self.QEp,
            I2=self.I2,
            H2=self.H2,
            tau2=None if ee else self.tau2,
            se_tau2=None if ee else self.se_tau2,
            R2=self.R2,
            residual=self.p > 1,
        )

    def summary(self) -> str:
        """The fit as metafor prints it (print.rma.uni), with the prediction interval of an
        intercept-only random-effects model at the end."""
        if self.method in ("EE", "FE"):
            kind = f"{'Equal-Effects Model' if self.p == 1 else 'Fixed-Effects with Moderators Model'} (k = {self.k})"
        else:
            kind = (
                f"{'Random-Effects Model' if self.p == 1 else 'Mixed-Effects Model'} (k = {self.k}; "
                f"tau^2 estimator: {self.method})"
            )
        return fit_printout(self, [kind])


# --------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------


def rma(
    yi,
    vi=None,
    mods=None,
    *,
    method: str = "REML",
    test: str = "z",
    level: float = 95.0,
    intercept: bool = True,
    coef_names=None,
    btt=None,
    slab=None,
    compute_r2: bool = True,
    control: dict | None = None,
) -> RMAResult:
    """Fit an equal-, random- or mixed-effects meta-analytic model (metafor's ``rma``).

    Parameters
    ----------
    yi, vi : array_like, shape (k,)
        Effect sizes and sampling variances; or ``yi`` an escalc result (or a data frame with
        ``yi`` and ``vi`` columns) and ``vi`` None (metafor's ``rma(dat)`` of an escalc frame).
    mods : array_like (k,) or (k, m) or DataFrame, optional
        Moderators; an intercept is added unless ``intercept=False``.
    method : str
        tau^2 estimator: EE (FE), DL, HE, HS, SJ, ML, REML (default), EB, PM.
    test : {"z", "knha", "adhoc"}
        Normal tests, Knapp & Hartung's t/F tests (``"hksj"`` is accepted as a synonym), or
        ``"adhoc"``: Knapp & Hartung with the scaling factor truncated at 1, so never narrower
        than the z-based interval (metafor's ``test="adhoc"``; Röver, Knapp & Friede 2015).
    level : float
        Confidence level: 95 or 0.95 both mean 95 % (as metafor).
    intercept : bool
        Add an intercept.
    coef_names : list of str, optional
        Names of the moderator columns.
    btt : list of int, optional
        0-based indices of the coefficients in the omnibus test (default: all but the intercept).
    slab : list of str, optional
        Study labels (used by the diagnostics).
    compute_r2 : bool
        Compute the pseudo-R^2 of a meta-regression (an extra intercept-only fit).
    control : dict, optional
        Iteration settings, see :func:`estimate_tau2`.

    Returns
    -------
    RMAResult
        The coefficient block (``beta``, ``se``, ``stat``, ``pval``, ``ci_lb``, ``ci_ub``,
        ``vb``), ``tau2``, ``QE``, ``QM``, ``I2``, ``H2``, ``R2``, ``weights``, ``pi_lb``/``pi_ub``;
        ``summary()``, ``to_frame()``, ``predict()``, ``anova()``.

    References
    ----------
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48.
    Knapp, G., & Hartung, J. (2003). Improved tests for a random effects meta-regression
    with a single covariate. Statistics in Medicine, 22(17), 2693-2710.
    """
    if vi is None:
        yi, vi = _yi_vi(yi)
    level = level_percent(level)
    method = str(method).upper()
    if method not in METHODS:
        raise InputError(f"unknown tau^2 estimator '{method}'; allowed: {', '.join(METHODS)}")
    test = check_test_level(test, TESTS, "z, knha, adhoc", level)
    y, v, sums_yv = checked_effects(yi, vi)
    k = y.size
    X, names = design_matrix(y, mods, intercept, coef_names)
    p = X.shape[1]
    if k == 0:
        raise ModelError("no effect sizes to pool (k = 0)")
    if method not in ("EE", "FE") and k < 2:
        raise ModelError(f"a random-effects model needs at least 2 effect sizes; k = {k}")
    if p > max(k - 1, 1) and not (p == 1 and k == 1):
        raise ModelError(
            f"{p} model coefficients for k = {k} effect sizes: at most k - 1 = {k - 1} coefficients "
            f"(intercept included) can be estimated"
        )
    if test in KH_TESTS and k - p < 1:
        raise ModelError("the Knapp-Hartung test needs k - p >= 1 residual degrees of freedom")

    io = (p == 1 and intercept and mods is None) or (p == 1 and is_intercept_only(X))  # X checked once
    t2 = estimate_tau2(y, v, X, method, control=control, _io=io, _sums_yv=sums_yv)
    tau2 = t2.tau2
    sums = t2.sums
    if isinstance(sums, Fused):  # beta, its variance and Q from the sums at the estimate (no pass)
        _, sw, swy = sums.final(tau2)[:3]
        f = WLS(
            a=None,
            X=X,
            y=y,
            M=np.array([[1.0 / sw]]),
            beta=np.array([sums.shift + swy / sw]),
            resid=None,
            io=True,
            rss_known=sums.q(tau2),
        )
    else:
        f = wls(y, X, 1 / (v + tau2) if sums is None else sums.final(tau2)[0], intercept_only=io)
    vb = f.M.copy()
    s2w = 1.0
    if test in KH_TESTS:
        rss = f.rss
        s2w = rss / (k - p) if rss > np.finfo(float).eps else 0.0
        if s2w == 0.0 and test == "knha":
            raise ModelError(
                "the Knapp-Hartung adjustment is undefined here: the effects fit the model exactly "
                "(weighted residual sum of squares 0, e.g. all effects identical); use test 'z'"
            )
        if test == "adhoc":
            s2w = max(1.0, s2w)
        vb = s2w * vb
    dist = "t" if test in KH_TESTS else "z"

    # heterogeneity (always from the equal-effects fit)
    if k > p:
        if p == 1 and intercept and mods is None:
            if sums is not None:
                sw0, swy0, swy20, sw0w0 = sums.zero()
            else:
                w0 = 1.0 / v
                sw0, swy0, swy20, sw0w0 = w0.sum(), w0 @ y, w0 @ (y * y), w0 @ w0
            QE = float(max(swy20 - swy0**2 / sw0, 0.0))
            trP0 = sw0 - sw0w0 / sw0
        else:
            fe = wls(y, X, 1 / v, intercept_only=io)
            QE = max(0.0, fe.rss)
            trP0 = fe.tr_P()
        vt = (k - p) / trP0
        if method in ("EE", "FE"):
            I2 = max(0.0, 100 * (QE - (k - p)) / QE) if QE > 0 else 0.0
            H2 = QE / (k - p)
        else:
            I2 = 100 * tau2 / (vt + tau2)
            H2 = tau2 / vt + 1
    else:
        QE, I2, H2, vt = 0.0, 0.0, 1.0, 0.0

    R2 = None
    if compute_r2 and intercept and p > 1:
        if method in ("EE", "FE"):
            R2 = _adj_r2_weighted(y, X, 1 / v)
        else:
            tau2_re = estimate_tau2(y, v, np.ones((k, 1)), method, control=control, _io=True).tau2
            R2 = 0.0 if tau2_re == 0 else max(0.0, 100 * (tau2_re - tau2) / tau2_re)

    if isinstance(sums, Fused):
        w = sums.weights_percent(tau2)
    else:
        w = f.a * (100 / f.a.sum())
    res = RMAResult(
        **fit_fields(
            names,
            f.beta,
            vb,
            X=X,
            yi=y,
            vi=v,
            method=method,
            test=test,
            dist=dist,
            level=level,
            QE=QE,
            btt=btt,
            intercept=intercept,
        ),
        tau2=tau2,
        se_tau2=t2.se_tau2,
        I2=float(I2),
        H2=float(H2),
        vt=float(vt),
        R2=R2,
        weights=w,
        s2w=s2w,
        slab=list(slab) if slab is not None else None,
    )
    if res.intercept_only and method not in ("EE", "FE"):
        pr = res.predict()
        res.pi_lb, res.pi_ub = float(pr.pi_lb[0]), float(pr.pi_ub[0])
    res.extra["control"] = control
    res.extra["iterations"] = t2.iterations
    if isinstance(sums, Fused):  # the sums at the estimate: the Q-profile's first step costs no pass
        res.extra["_fused_sums"] = (tau2, sums.shift, sums.sums(tau2, full=True))
        keep_fused(res, sums)
    return res


def _yi_vi(obj):
    """(yi, vi) of an escalc result or a data frame with yi and vi columns (rma(dat))."""
    try:
        return (obj["yi"], obj["vi"]) if hasattr(obj, "columns") else (obj.yi, obj.vi)
    except (AttributeError, KeyError, TypeError):
        raise InputError(
            f"vi: missing; give yi and vi, or an escalc result (or a data frame with yi and vi "
            f"columns) as the first argument; got {type(obj).__name__}"
        ) from None


def _adj_r2_weighted(y, X, w) -> float:
    k, p = X.shape
    f = wls(y, X, w)
    ybar = np.sum(w * y) / np.sum(w)
    tss = np.sum(w * (y - ybar) ** 2)
    if tss <= 0:
        return 0.0
    r2 = 1 - f.rss / tss
    adj = 1 - (1 - r2) * (k - 1) / (k - p)
    return max(0.0, 100 * adj)


@dataclass(eq=False)
class SubgroupResult(Result):
    """Separate random-effects fits per subgroup (``fits``), the between-group test
    (``Q_between``, ``df_between``, ``p_between``) and the meta-regression with the
    subgroup as moderator and a common tau^2 (``moderator_fit``)."""

    groups: list[str]
    fits: dict
    Q_between: float
    df_between: int
    p_between: float
    moderator_fit: RMAResult | None

    def to_frame(self):
        """One row per subgroup (group, k, estimate, se, ci_lb, ci_ub, pval, tau2, I2, QE,
        QEp), with the between-group test and, when fitted, the common-tau^2 QM test."""
        import pandas as pd

        rows = []
        for g in self.groups:
            f = self.fits[g]
            rows.append(
                {
                    "group": g,
                    "k": f.k,
                    "estimate": f.estimate,
                    "se": float(f.se[0]),
                    "ci_lb": float(f.ci_lb[0]),
                    "ci_ub": float(f.ci_ub[0]),
                    "pval": float(f.pval[0]),
                    "tau2": f.tau2,
                    "I2": f.I2,
                    "QE": f.QE,
                    "QEp": f.QEp,
                }
            )
        t = pd.DataFrame(rows)
        t["Q_between"] = self.Q_between
        t["df_between"] = self.df_between
        t["p_between"] = self.p_between
        if self.moderator_fit is not None:
            t["QM_common_tau2"] = self.moderator_fit.QM
            t["QMp_common_tau2"] = self.moderator_fit.QMp
        return t

    def summary(self) -> str:
        t = self.to_frame().iloc[:, :11]
        lines = [
            "Subgroup analysis (separate tau^2 per subgroup)",
            t.to_string(index=False, float_format="%.4f"),
            f"Test for subgroup differences: Q_between(df = {self.df_between}) = {self.Q_between:.4f}, "
            f"p-val {p_text(self.p_between)}",
        ]
        return "\n".join(lines)


def subgroup(
    yi, vi, groups, *, method: str = "REML", test: str = "z", level: float = 95.0, min_k: int = 2
) -> SubgroupResult:
    """Random-effects model within each subgroup and the between-group Q test.

    The between-group test compares the subgroup estimates (separate tau^2 per subgroup);
    the mixed-effects meta-regression with the subgroup as a categorical moderator (a
    common tau^2) is also fitted and returned as ``moderator_fit``.

    Parameters
    ----------
    yi, vi : array_like, shape (k,)
        Effect sizes and sampling variances.
    groups : array_like, shape (k,)
        Subgroup of each effect size (first-appearance order is kept).
    method, test, level
        As in :func:`rma`.
    min_k : int
        Smallest number of effect sizes per subgroup.

    Returns
    -------
    SubgroupResult
        ``fits`` per subgroup, ``Q_between``, ``df_between``, ``p_between``, ``moderator_fit``.

    References
    ----------
    Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009).
    Introduction to meta-analysis. Wiley, chapter 19.
    """
    level = level_percent(level)
    y, v = check_effects(yi, vi)
    g = np.asarray([str(x) for x in groups], dtype=object)
    if g.size != y.size:
        raise InputError(f"groups has {g.size} values but there are {y.size} effect sizes")
    levels = sorted(set(g.tolist()), key=lambda s: list(g).index(s))
    if len(levels) < 2:
        raise ModelError(f"subgroup analysis needs at least two subgroups; found one: '{levels[0]}'")
    fits = {}
    for lev in levels:
        idx = g == lev
        if idx.sum() < min_k:
            raise ModelError(f"subgroup '{lev}' has {int(idx.sum())} effect size(s); at least {min_k} needed")
        fits[lev] = rma(y[idx], v[idx], method=method, test=test, level=level)
    est = np.array([fits[lv].estimate for lv in levels])
    w = 1 / np.array([float(fits[lv].se[0]) ** 2 for lv in levels])
    pooled = np.sum(w * est) / np.sum(w)
    Qb = float(np.sum(w * (est - pooled) ** 2))
    dfb = len(levels) - 1
    mod_fit = None
    D = np.column_stack([(g == lv).astype(float) for lv in levels[1:]])
    if y.size - len(levels) >= 1:
        mod_fit = rma(y, v, D, method=method, test=test, level=level, coef_names=[f"group[{lv}]" for lv in levels[1:]])
    return SubgroupResult(levels, fits, Qb, dfb, float(chi2_sf(Qb, dfb)), mod_fit)
