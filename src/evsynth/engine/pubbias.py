"""Publication bias and small-study effects of univariate models: Egger's regression test
(``regtest``), Begg & Mazumdar's rank test (``ranktest``), Duval & Tweedie's trim-and-fill
(``trimfill``), the fail-safe N (``fsn``), all as metafor, and PET-PEESE (Stanley &
Doucouliagos, 2014).  Selection models live in :mod:`evsynth.engine.selmodel`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from evsynth.errors import InputError, ModelError
from evsynth.engine.checks import check_effects
from evsynth.engine.linalg import wls
from evsynth.engine.rma_uni import RMAResult, rma
from evsynth.engine.printing import fmt_p, p_text
from evsynth.engine.results import Result
from evsynth.engine._verbs import stat_letter

__all__ = [
    "RegtestResult",
    "regtest",
    "RanktestResult",
    "ranktest",
    "TrimfillResult",
    "trimfill",
    "FsnResult",
    "fsn",
    "PetPeeseResult",
    "pet_peese",
    "REGTEST_PREDICTORS",
    "RANKTEST_EXACT_MAX",
]


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

    predictor: str = "sei"
    model: str = "rma"
    equal_effects: bool = False

    def summary(self) -> str:
        """As metafor prints a regtest."""
        if self.model == "lm":
            model = "weighted regression with multiplicative dispersion"
        else:
            model = f"{'fixed' if self.equal_effects else 'mixed'}-effects meta-regression model"
        test_label = "Test for Funnel Plot Asymmetry:"
        lim_label = f"Limit Estimate (as {self.predictor} -> 0):"
        w = max(len(test_label), len(lim_label))
        df = "" if self.df is None else f", df = {self.df}"
        lines = [
            "Regression Test for Funnel Plot Asymmetry",
            "",
            f"Model:     {model}",
            f"Predictor: {_PREDICTOR_TEXT[self.predictor]}",
            "",
            f"{test_label:<{w}s} {stat_letter(self.df)} = {self.stat:.4f}{df}, p {p_text(self.pval)}",
        ]
        if self.limit_estimate is not None:
            lines.append(
                f"{lim_label:<{w}s} b = {self.limit_estimate:.4f} (CI: {self.limit_ci[0]:.4f}, {self.limit_ci[1]:.4f})"
            )
        return "\n".join(lines)

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "stat": self.stat,
                    "df": self.df,
                    "pval": self.pval,
                    "limit_estimate": self.limit_estimate,
                    "limit_ci_lb": self.limit_ci[0] if self.limit_ci else None,
                    "limit_ci_ub": self.limit_ci[1] if self.limit_ci else None,
                    "k": self.k,
                }
            ]
        )


REGTEST_PREDICTORS = ("sei", "vi", "ni", "ninv", "sqrtni", "sqrtninv")
_PREDICTOR_TEXT = {
    "sei": "standard error",
    "vi": "sampling variance",
    "ni": "sample size",
    "ninv": "inverse of the sample size",
    "sqrtni": "square root sample size",
    "sqrtninv": "inverse of the square root sample size",
}


def regtest(fit: RMAResult, predictor: str = "sei", model: str = "rma", ni=None) -> RegtestResult:
    """Regression test for funnel-plot asymmetry (metafor's ``regtest``).

    Parameters
    ----------
    fit : RMAResult
        The fitted model (its moderators are kept).
    predictor : {"sei", "vi", "ni", "ninv", "sqrtni", "sqrtninv"}
        The added predictor: standard error (Egger, default), variance, sample size, its
        inverse (``ninv`` with ``model="lm"`` is Peters' test), square roots.
    model : {"rma", "lm"}
        ``rma``: the fit's model with the predictor as moderator; ``lm``: weighted least
        squares with weights 1/vi and a t test (residual df).
    ni : array_like, optional
        Sample sizes (needed for the ``ni`` predictors).

    Returns
    -------
    RegtestResult
        The predictor's test statistic and p-value; the limit estimate (intercept) for
        intercept-only fits with predictors that vanish as precision grows (sei, vi,
        ninv, sqrtninv), None otherwise.

    References
    ----------
    Egger, M., Davey Smith, G., Schneider, M., & Minder, C. (1997). Bias in meta-analysis
    detected by a simple, graphical test. BMJ, 315(7109), 629-634.
    Peters, J. L., Sutton, A. J., Jones, D. R., Abrams, K. R., & Rushton, L. (2006). Comparison
    of two methods to detect publication bias in meta-analysis. JAMA, 295(6), 676-680.
    """
    if predictor not in REGTEST_PREDICTORS:
        raise InputError(f"regtest: unknown predictor '{predictor}'; allowed: {', '.join(REGTEST_PREDICTORS)}")
    if model not in ("rma", "lm"):
        raise InputError(f"regtest: model must be 'rma' or 'lm', got '{model}'")
    if fit.k - fit.p < 2:
        raise ModelError("the regression test needs at least p + 2 effect sizes")
    if predictor in ("ni", "ninv", "sqrtni", "sqrtninv"):
        if ni is None:
            raise InputError(f"regtest: predictor '{predictor}' needs the sample sizes ni")
        n = np.asarray(ni, float)
        if n.shape != fit.yi.shape or np.any(~np.isfinite(n)) or np.any(n <= 0):
            raise InputError("regtest: ni must give one positive sample size per effect size")
        x = {"ni": n, "ninv": 1 / n, "sqrtni": np.sqrt(n), "sqrtninv": 1 / np.sqrt(n)}[predictor]
    else:
        x = np.sqrt(fit.vi) if predictor == "sei" else fit.vi
    X = np.column_stack([fit.X, x])
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise ModelError("regtest: the model matrix is not of full rank after adding the predictor")
    j = fit.p
    lim = lim_ci = None
    has_limit = predictor in ("sei", "vi", "ninv", "sqrtninv") and fit.intercept_only
    if model == "rma":
        r = rma(
            fit.yi,
            fit.vi,
            X,
            intercept=False,
            method=fit.method,
            test=fit.test,
            level=fit.level,
            coef_names=fit.coef_names + [predictor],
            compute_r2=False,
        )
        stat, pval, df = float(r.stat[j]), float(r.pval[j]), r.df
        if has_limit:
            lim, lim_ci = float(r.beta[0]), (float(r.ci_lb[0]), float(r.ci_ub[0]))
    else:
        w = 1 / fit.vi
        f = wls(fit.yi, X, w)
        df = fit.k - X.shape[1]
        sigma2 = f.rss / df
        se = np.sqrt(np.diag(f.M) * sigma2)
        t = f.beta / se
        stat, pval = float(t[j]), float(2 * stats.t.sf(abs(t[j]), df))
        r = None
        if has_limit:
            crit = stats.t.isf((1 - fit.level / 100) / 2, df)
            lim = float(f.beta[0])
            lim_ci = (lim - crit * float(se[0]), lim + crit * float(se[0]))
    return RegtestResult(stat, pval, df, lim, lim_ci, fit.k, r, predictor, model, fit.method in ("EE", "FE"))


# ------------------------------------------------------------------------------ Begg


@dataclass(eq=False)
class RanktestResult(Result):
    """Begg & Mazumdar's test: Kendall's tau, its p-value, k, exact or not."""

    kendall_tau: float
    pval: float
    k: int
    exact: bool

    def summary(self) -> str:
        return (
            "Rank Correlation Test for Funnel Plot Asymmetry\n\n"
            f"Kendall's tau = {self.kendall_tau:.4f}, p {p_text(self.pval)}"
        )

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([{"kendall_tau": self.kendall_tau, "pval": self.pval, "k": self.k, "exact": self.exact}])


# the largest k with an exact p-value: the exact distribution of Kendall's statistic takes
# O(k^3) (scipy: 0.25 s at k = 500, 17 s at k = 2000; R's pkendall needs k^3 / 2 doubles of
# memory, so metafor itself cannot go far beyond it either)
RANKTEST_EXACT_MAX = 500


def ranktest(x, vi=None, *, exact: bool | None = None) -> RanktestResult:
    """Begg & Mazumdar's rank correlation between standardised effects and variances
    (metafor's ``ranktest``).

    As metafor: R's ``cor.test(method="kendall", exact=TRUE)``, i.e. the exact p-value at
    every k when there are no ties, the normal approximation with the tie-corrected variance
    when there are ties (or with ``exact=False``).

    Parameters
    ----------
    x : RMAResult, EffectSizes or array_like
        A fit without moderators (its yi, vi), an escalc result, or the effect sizes yi.
    vi : array_like, optional
        The sampling variances when ``x`` holds the effect sizes.
    exact : bool, optional
        metafor's ``exact`` (default True: exact unless there are ties; exact p-values are
        computed up to k = 500, beyond which the normal approximation is used).

    Returns
    -------
    RanktestResult
        ``kendall_tau``, ``pval``, ``k``, ``exact`` (whether the p-value is exact).

    References
    ----------
    Begg, C. B., & Mazumdar, M. (1994). Operating characteristics of a rank correlation
    test for publication bias. Biometrics, 50(4), 1088-1101.
    """
    y, v = effects_of(x, vi, "ranktest")
    w = 1 / v
    theta = np.sum(w * y) / np.sum(w)
    ys = (y - theta) / np.sqrt(v - 1 / np.sum(w))
    k = y.size
    if k < 3:
        raise ModelError(f"ranktest needs at least 3 effect sizes; k = {k}")
    ties = min(len(np.unique(ys)), len(np.unique(v))) < k
    use_exact = (True if exact is None else bool(exact)) and not ties and k <= RANKTEST_EXACT_MAX
    res = stats.kendalltau(ys, v, method="exact" if use_exact else "asymptotic")
    return RanktestResult(float(res.statistic), float(res.pvalue), k, use_exact)


def effects_of(x, vi, verb: str):
    """(yi, vi) checked, from a fit without moderators, an escalc result or a data frame
    with ``yi`` and ``vi`` columns (``vi`` None), or from ``x`` = yi and ``vi``."""
    if vi is None:
        if getattr(x, "p", 1) > 1 or (hasattr(x, "intercept_only") and not x.intercept_only):
            raise ModelError(f"{verb} applies to models without moderators (as metafor)")
        try:
            yv = (x["yi"], x["vi"]) if hasattr(x, "columns") else (x.yi, x.vi)
        except (AttributeError, KeyError, TypeError):
            raise InputError(
                f"{verb}: give a fit (rma), an escalc result, or yi and vi; got {type(x).__name__} without vi"
            ) from None
        return check_effects(*yv)
    return check_effects(x, vi)


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
    estimator: str = "L0"
    se_k0: float | None = None
    pval_k0: float | None = None

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
        extra = f" (SE = {self.se_k0:.4f})" if self.se_k0 is not None else ""
        lines = [f"Estimated number of missing studies on the {self.side} side: {self.k0}{extra}"]
        if self.pval_k0 is not None:
            lines.append(f"Test of H0: no missing studies on the {self.side} side:     p-val {p_text(self.pval_k0)}")
        return "\n".join(lines + ["", self.fit.summary()])

    def to_frame(self):
        """One row: k0, side, estimate, se, ci_lb, ci_ub, tau2, k (of the filled model)."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "k0": self.k0,
                    "side": self.side,
                    "estimate": self.beta,
                    "se": self.se,
                    "ci_lb": float(self.fit.ci_lb[0]),
                    "ci_ub": float(self.fit.ci_ub[0]),
                    "tau2": self.tau2,
                    "k": self.k,
                }
            ]
        )

    def filled_frame(self):
        """The filled effect sizes: yi, vi."""
        import pandas as pd

        return pd.DataFrame({"yi": self.filled_yi, "vi": self.filled_vi})


def trimfill(fit: RMAResult, side: str | None = None, maxiter: int = 100, estimator: str = "L0") -> TrimfillResult:
    """Duval & Tweedie's trim-and-fill (metafor's ``trimfill``).

    ``estimator`` "L0" (default) or "R0" (the rightmost run of positive ranks; with the
    one-sided test of no missing studies, ``pval_k0``).  ``se_k0`` is metafor's SE of k0.

    Parameters
    ----------
    fit : RMAResult
        An intercept-only univariate fit.
    side : {"left", "right"}, optional
        Side of the funnel plot where studies are missing (default: from Egger's slope, as metafor).
    maxiter : int
        Iterations of the estimator.
    estimator : {"L0", "R0"}
        The estimator of the number of missing studies.

    Returns
    -------
    TrimfillResult
        ``k0`` (with ``se_k0``; ``pval_k0`` for R0), ``side``, the model ``fit`` to observed plus
        filled effects, and the filled ``filled_yi``/``filled_vi`` (``filled_frame()``).

    References
    ----------
    Duval, S., & Tweedie, R. (2000). Trim and fill: A simple funnel-plot-based method of
    testing and adjusting for publication bias in meta-analysis. Biometrics, 56(2), 455-463.
    """
    estimator = str(estimator).upper()
    if estimator not in ("L0", "R0"):
        raise InputError(f"trimfill: estimator must be L0 or R0, got '{estimator}'")
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
        if estimator == "R0":
            neg = -srank[srank < 0]
            k0f = (k - (neg.max() if neg.size else -np.inf)) - 1
            if not np.isfinite(k0f):
                k0f = k - 1.0  # no negative ranks: R's max() of nothing is -Inf, k0 then capped below
            se_k0 = float(np.sqrt(2 * max(0.0, k0f) + 2))
        else:
            Sr = srank[srank > 0].sum()
            k0f = (4 * Sr - k * (k + 1)) / (2 * k - 1)
            var_sr = (
                k * (k + 1) * (2 * k + 1)
                + 10 * k0f**3
                + 27 * k0f**2
                + 17 * k0f
                - 18 * k * k0f**2
                - 18 * k * k0f
                + 6 * k**2 * k0f
            ) / 24
            se_k0 = float(4 * np.sqrt(var_sr) / (2 * k - 1)) if var_sr >= 0 else float("nan")
        se_k0 = max(0.0, se_k0)
        k0 = int(max(0, _r_round(k0f)))
        if k0 >= k:
            raise ModelError("trim-and-fill estimated as many missing studies as there are studies")
    if k0 > 0:
        fill_y = 2 * beta - y[k - k0 :]
        if side == "right":
            fill_y = -fill_y
        fill_v = v[k - k0 :]
        f = rma(
            np.concatenate([y0, fill_y]),
            np.concatenate([v0, fill_v]),
            method=fit.method,
            level=fit.level,
            compute_r2=False,
        )
    else:
        fill_y, fill_v = np.zeros(0), np.zeros(0)
        f = rma(y0, v0, method=fit.method, level=fit.level, compute_r2=False)
    pval_k0 = None
    if estimator == "R0":
        m = np.arange(-1, k0)
        pval_k0 = float(1 - np.sum(special.comb(m + 1, m + 1) * 0.5 ** (m + 2)))
    return TrimfillResult(k0, side, f, fill_y, fill_v, estimator, se_k0, pval_k0)


def _r_round(x: float) -> float:
    """R's round(): half to even (as numpy's)."""
    return float(np.round(x))


# ------------------------------------------------------------------------------ fail-safe N


@dataclass(eq=False)
class FsnResult(Result):
    """Fail-safe N ``fsnum`` (Rosenthal, Orwin or Rosenberg), the observed p (Rosenthal,
    Rosenberg), the target alpha, the mean effect size (Orwin, Rosenberg) and Orwin's target."""

    fsnum: int | float
    pval: float | None
    alpha: float
    type: str = "Rosenthal"
    mean_es: float | None = None
    target: float | None = None

    def summary(self) -> str:
        head = [f"Fail-safe N Calculation Using the {self.type} Approach", ""]
        if self.type == "Orwin":
            body = [("Average Effect Size:", f"{self.mean_es:.4f}"), ("Target Effect Size:", f"{self.target:.4f}")]
        else:
            body = [("Average Effect Size:", f"{self.mean_es:.4f}")] if self.mean_es is not None else []
            body += [
                ("Observed Significance Level:", fmt_p(self.pval)),
                ("Target Significance Level:", f"{self.alpha:g}"),
            ]
        w = max(len(label) for label, _ in body)
        return "\n".join(head + [f"{label:<{w}s} {val}" for label, val in body] + ["", f"Fail-safe N: {self.fsnum}"])

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "fsnum": self.fsnum,
                    "pval": self.pval,
                    "alpha": self.alpha,
                    "type": self.type,
                    "mean_es": self.mean_es,
                    "target": self.target,
                }
            ]
        )


def _fsn_round(val: float):
    if np.isinf(val):
        return val
    return int(np.ceil(val)) if abs(val - round(val)) >= np.sqrt(np.finfo(float).eps) else int(round(val))


def fsn(x, vi=None, alpha: float = 0.05, *, type: str = "Rosenthal", target: float | None = None) -> FsnResult:
    """Fail-safe N (metafor's ``fsn``), rounded up as metafor.

    Parameters
    ----------
    x : RMAResult, EffectSizes or array_like
        A fit without moderators, an escalc result, or the effect sizes yi.
    vi : array_like, optional
        The sampling variances when ``x`` holds the effect sizes.
    alpha : float
        Significance level (Rosenthal: one-tailed; Rosenberg: two-tailed).
    type : {"Rosenthal", "Orwin", "Rosenberg"}
        Rosenthal (Stouffer's method); Orwin (number of studies averaging zero that bring
        the unweighted mean of yi down to ``target``, default half of it); Rosenberg
        (number of studies that make the inverse-variance (equal-effects) estimate
        non-significant).
    target : float, optional
        Orwin: the effect size to fall to, on the yi scale.

    Returns
    -------
    FsnResult
        ``fsnum``, ``pval`` (Rosenthal, Rosenberg), ``mean_es`` (Orwin, Rosenberg), ``target`` (Orwin).

    References
    ----------
    Rosenthal, R. (1979). The file drawer problem and tolerance for null results.
    Psychological Bulletin, 86(3), 638-641.
    Orwin, R. G. (1983). A fail-safe N for effect size in meta-analysis. Journal of
    Educational Statistics, 8(2), 157-159.
    Rosenberg, M. S. (2005). The file-drawer problem revisited: A general weighted method for
    calculating fail-safe numbers in meta-analysis. Evolution, 59(2), 464-468.
    """
    if not (0 < alpha < 1):
        raise InputError(f"alpha: must be between 0 and 1, got {alpha!r}")
    y, v = effects_of(x, vi, "fsn")
    k = y.size
    if type == "Rosenthal":
        z = y / np.sqrt(v)
        zavg = abs(z.sum() / np.sqrt(k))
        val = max(0.0, k * (zavg / stats.norm.isf(alpha)) ** 2 - k)
        return FsnResult(_fsn_round(val), float(stats.norm.sf(zavg)), alpha, "Rosenthal")
    if type == "Orwin":
        mean_es = float(np.mean(y))
        tgt = mean_es / 2 if target is None else float(target)
        if tgt == 0:
            val = np.inf
        else:
            if np.sign(tgt) != np.sign(mean_es):
                tgt = -tgt
            val = max(0.0, k * (mean_es - tgt) / tgt)
        return FsnResult(_fsn_round(val), None, alpha, "Orwin", mean_es, tgt)
    if type == "Rosenberg":
        w = 1 / v
        mean_es = float(np.sum(w * y) / np.sum(w))
        zval = mean_es / np.sqrt(1 / np.sum(w))
        wp = (np.sum(w * y) / stats.norm.isf(alpha / 2)) ** 2 - np.sum(w)
        val = max(0.0, k * wp / np.sum(w))
        return FsnResult(_fsn_round(float(val)), float(2 * stats.norm.sf(abs(zval))), alpha, "Rosenberg", mean_es)
    raise InputError(f"fsn: unknown type '{type}'; allowed: Rosenthal, Orwin, Rosenberg")


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
        return (
            f"PET:   b0 = {self.pet_estimate:.4f} (SE {self.pet_se:.4f}, p {p_text(self.pet_pval)})\n"
            f"PEESE: b0 = {self.peese_estimate:.4f} (SE {self.peese_se:.4f}, p {p_text(self.peese_pval)})\n"
            f"conditional estimate ({chosen}): {self.estimate:.4f}"
        )

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "pet_estimate": self.pet_estimate,
                    "pet_se": self.pet_se,
                    "pet_pval": self.pet_pval,
                    "peese_estimate": self.peese_estimate,
                    "peese_se": self.peese_se,
                    "peese_pval": self.peese_pval,
                    "use_peese": self.use_peese,
                    "estimate": self.estimate,
                }
            ]
        )


def _wls_mult(y, x, w):
    """WLS with a multiplicative dispersion (as ``lm(y ~ x, weights = w)``)."""
    X = np.column_stack([np.ones_like(y), x])
    f = wls(y, X, w)
    df = y.size - 2
    s2 = f.rss / df
    se = np.sqrt(np.diag(f.M) * s2)
    t = f.beta / se
    return f.beta, se, 2 * stats.t.sf(np.abs(t), df), df


def pet_peese(x, vi=None, alpha: float = 0.05) -> PetPeeseResult:
    """PET (effect regressed on its standard error) and PEESE (on its variance), both
    weighted by 1/vi with a multiplicative error; PEESE is used when PET's intercept is
    significantly different from zero at ``alpha`` (two-sided).

    Parameters
    ----------
    x : RMAResult, EffectSizes or array_like
        A fit without moderators, an escalc result, or the effect sizes yi (k >= 3).
    vi : array_like, optional
        The sampling variances when ``x`` holds the effect sizes.
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
    if not (0 < alpha < 1):
        raise InputError(f"alpha: must be between 0 and 1, got {alpha!r}")
    y, v = effects_of(x, vi, "pet_peese")
    if y.size < 3:
        raise ModelError("PET-PEESE needs at least 3 effect sizes")
    b1, s1, p1, df = _wls_mult(y, np.sqrt(v), 1 / v)
    b2, s2, p2, _ = _wls_mult(y, v, 1 / v)
    return PetPeeseResult(
        float(b1[0]), float(s1[0]), float(p1[0]), float(b2[0]), float(s2[0]), float(p2[0]), bool(p1[0] < alpha), df
    )
