"""Publication bias, sensitivity and influence diagnostics for univariate models.

Egger's regression test, Begg & Mazumdar's rank test, Duval & Tweedie's trim-and-fill
(L0), Rosenthal's fail-safe N, leave-one-out, influence diagnostics, cumulative
meta-analysis (all as metafor), PET-PEESE (Stanley & Doucouliagos, 2014) and a
permutation test for moderators with vectorised refits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from evsynth.errors import ConvergenceError, InputError, ModelError
from evsynth.engine.linalg import inv_pd, wls
from evsynth.engine.deletion import loo_fits
from evsynth.engine.models import RMAResult, rma
from evsynth.engine.results import Result, critical_value, fmt_p, frame_summary
from evsynth.engine._verbs import stat_letter, text_lines

__all__ = [
    "RegtestResult", "regtest", "RanktestResult", "ranktest", "TrimfillResult", "trimfill",
    "FsnResult", "fsn", "Leave1outResult", "leave1out", "InfluenceResult", "influence", "CumulResult", "cumul",
    "PetPeeseResult", "pet_peese", "PermutationResult", "permutest",
]


def _refit(fit: RMAResult, idx=None, *, yi=None, vi=None, test=None, control=None) -> RMAResult:
    y = fit.yi if yi is None else yi
    v = fit.vi if vi is None else vi
    X = fit.X
    if idx is not None:
        y, v, X = y[idx], v[idx], X[idx]
    return rma(y, v, X, intercept=False, method=fit.method, test=fit.test if test is None else test,
               level=fit.level, coef_names=fit.coef_names, btt=fit.btt, compute_r2=False, control=control)


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
        limit = None if self.limit_estimate is None else (
            f"limit estimate (as sei -> 0): b = {self.limit_estimate:.4f} "
            f"(CI: {self.limit_ci[0]:.4f}, {self.limit_ci[1]:.4f})")
        return text_lines("Regression Test for Funnel Plot Asymmetry (Egger; predictor: standard error)",
                          f"test for funnel plot asymmetry: {stat_letter(self.df)} = {self.stat:.4f}, "
                          f"p = {fmt_p(self.pval)}", limit)

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([{"stat": self.stat, "df": self.df, "pval": self.pval,
                              "limit_estimate": self.limit_estimate,
                              "limit_ci_lb": self.limit_ci[0] if self.limit_ci else None,
                              "limit_ci_ub": self.limit_ci[1] if self.limit_ci else None, "k": self.k}])


REGTEST_PREDICTORS = ("sei", "vi", "ni", "ninv", "sqrtni", "sqrtninv")


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
        r = rma(fit.yi, fit.vi, X, intercept=False, method=fit.method, test=fit.test, level=fit.level,
                coef_names=fit.coef_names + [predictor], compute_r2=False)
        stat, pval, df = float(r.stat[j]), float(r.pval[j]), r.df
        if has_limit:
            lim, lim_ci = float(r.beta[0]), (float(r.ci_lb[0]), float(r.ci_ub[0]))
    else:
        from evsynth.engine.linalg import wls

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
    return RegtestResult(stat, pval, df, lim, lim_ci, fit.k, r)


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
        if self.pval_k0 is not None:
            extra += f"; test of no missing studies: p = {fmt_p(self.pval_k0)}"
        return (f"Trim-and-fill ({self.estimator}): estimated number of missing studies on the {self.side} side: "
                f"{self.k0}{extra}\n" + self.fit.summary())

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
            var_sr = (k * (k + 1) * (2 * k + 1) + 10 * k0f**3 + 27 * k0f**2 + 17 * k0f - 18 * k * k0f**2
                      - 18 * k * k0f + 6 * k**2 * k0f) / 24
            se_k0 = float(4 * np.sqrt(var_sr) / (2 * k - 1)) if var_sr >= 0 else float("nan")
        se_k0 = max(0.0, se_k0)
        k0 = int(max(0, _r_round(k0f)))
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
        if self.type == "Orwin":
            return (f"Fail-safe N (Orwin): {self.fsnum} (average effect size {self.mean_es:.4f}, "
                    f"target {self.target:.4f})")
        extra = f", average effect size {self.mean_es:.4f}" if self.mean_es is not None else ""
        return (f"Fail-safe N ({self.type}): {self.fsnum} (observed significance p = {fmt_p(self.pval)}"
                f"{extra}, target alpha = {self.alpha})")

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([{"fsnum": self.fsnum, "pval": self.pval, "alpha": self.alpha, "type": self.type,
                              "mean_es": self.mean_es, "target": self.target}])


def _fsn_round(val: float):
    if np.isinf(val):
        return val
    return int(np.ceil(val)) if abs(val - round(val)) >= np.sqrt(np.finfo(float).eps) else int(round(val))


def fsn(yi, vi, alpha: float = 0.05, *, type: str = "Rosenthal", target: float | None = None) -> FsnResult:
    """Fail-safe N (metafor's ``fsn``), rounded up as metafor.

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances.
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
    y, v = np.asarray(yi, float), np.asarray(vi, float)
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
    return list(slab) if slab is not None else (fit.slab or RowNumbers(fit.k))


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
            r = rma(y, v, X, intercept=False, method=fit.method, test=fit.test, btt=fit.btt, compute_r2=False,
                    control=control)
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
            t2 = _batch_tau2(Y[s:s + step], V[s:s + step], fit.X, fit.method)
            qm, st = _batch_stats(Y[s:s + step], V[s:s + step], fit.X, t2, fit.test, fit.btt)
            out_q.append(qm)
            out_s.append(st)
        return np.concatenate(out_q), np.concatenate(out_s)
    return _loop_stats(Y, V, fit.X, fit)


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
    if iterations < 1:
        raise InputError("iterations must be at least 1")
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
        return PermutationResult(fit.QM, p_qm, list(fit.coef_names), fit.stat, p_coef, int(B), seed, fit.QMp)
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
    return PermutationResult(fit.QM, p_qm, list(fit.coef_names), fit.stat, p_coef, int(B), seed, fit.QMp)


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
            r = rma_mv(y, fit.vi, a["groups"], X, intercept=False, method=a["method"], test=a["test"],
                       coef_names=a["coef_names"], group_names=a["group_names"], btt=a["btt"], V=a.get("V"),
                       struct=a.get("struct"))
        except (ModelError, ConvergenceError, np.linalg.LinAlgError):
            continue
        qm[i], st[i] = r.QM, r.stat
    return qm, st
