"""Predicted values, best linear unbiased predictions and random effects (metafor's
``predict``, ``blup`` and ``ranef`` for univariate fits; ``predict`` for multilevel
fits).  O(k p^2) at most; no k x k matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from evsynth.engine._verbs import fmt, records_frame
from evsynth.engine.checks import level_percent
from evsynth.engine.results import TRANSFORMS, PredictResult, Result
from evsynth.errors import InputError, ModelError

__all__ = ["PredictResult", "predict", "BLUPResult", "blup", "ranef", "TRANSFORMS"]

def _crit(fit, level):
    a = 1 - level / 100
    if fit.test in ("knha", "adhoc", "t"):
        return float(stats.t.isf(a / 2, fit.k - fit.p))
    return float(stats.norm.isf(a / 2))


def _equal_effects(fit) -> bool:
    return getattr(fit, "method", "") in ("EE", "FE")


def predict(fit, newmods=None, *, transf=None, level: float | None = None) -> PredictResult:
    """Predicted average effect(s) of a fit (metafor's ``predict``): ``fit.predict(...)``
    as a verb, with the same defaults and critical values.

    Parameters
    ----------
    fit : RMAResult, RMAMVResult or RobustResult
        The fitted model.
    newmods : array_like, optional
        Moderator values, one row per prediction, one value per coefficient except the
        intercept (dummy columns as 0/1).  None: the pooled effect of an intercept-only
        model, else the fitted value of every study.
    transf : {"exp", "expit", "tanh"} or callable, optional
        Back-transformation of ``pred`` and the interval bounds.
    level : float, optional
        Confidence level (95 or 0.95; default: the fit's).

    Returns
    -------
    PredictResult
        ``pred``, ``se``, CI and prediction interval (which adds tau^2, or the sum of the
        sigma^2 of a multilevel fit, to the variance; t quantiles with the fit's df under
        Knapp-Hartung / t, Satterthwaite df per prediction for a robust fit).

    References
    ----------
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48.
    """
    if not hasattr(fit, "predict") or not hasattr(fit, "coefs"):
        raise InputError(f"fit: predict needs a fitted model (rma, rma_mv or robust), got {type(fit).__name__}")
    return fit.predict(newmods, transf=transf, level=level)


@dataclass(eq=False)
class BLUPResult(Result):
    """Per-study predictions with prediction intervals: ``kind`` "blup" (fitted value plus
    predicted random effect: the study's true effect) or "ranef" (the random effect)."""

    kind: str
    pred: np.ndarray
    se: np.ndarray
    pi_lb: np.ndarray
    pi_ub: np.ndarray
    tau2: float
    k: int
    level: float

    def summary(self) -> str:
        lines = [f"{'BLUPs of the true effects' if self.kind == 'blup' else 'Predicted random effects'} "
                 f"(tau^2 = {fmt(self.tau2)})", f"{'':4s} {'pred':>9s} {'se':>8s} {'pi.lb':>8s} {'pi.ub':>8s}"]
        for i in range(self.k):
            lines.append(f"{i + 1:<4d} {self.pred[i]:9.4f} {self.se[i]:8.4f} {self.pi_lb[i]:8.4f} {self.pi_ub[i]:8.4f}")
        return "\n".join(lines)

    def to_frame(self):
        """One row per study (pandas DataFrame)."""
        return records_frame({"study": np.arange(1, self.k + 1), "pred": self.pred, "se": self.se,
                              "pi_lb": self.pi_lb, "pi_ub": self.pi_ub})


def _blup_parts(fit):
    if hasattr(fit, "sigma2"):
        raise ModelError("blup is defined for univariate (rma) fits, as in metafor; for a multilevel fit use "
                         "ranef (the predicted random effects of each level) and predict")
    X, y, v = fit.X, fit.yi, fit.vi
    li = fit.tau2 / (fit.tau2 + v)
    xb = X @ fit.beta
    xvx = np.einsum("ij,jk,ik->i", X, fit.vb, X)
    return li, xb, xvx, y, v


_BLUP_PARAMETERS = """Parameters
    ----------
    fit : RMAResult
        A univariate fit.
    level : float, optional
        Level of the prediction intervals in percent (default: the fit's)."""

_BLUP_REFERENCES = """References
    ----------
    Raudenbush, S. W., & Bryk, A. S. (1985). Empirical Bayes meta-analysis. Journal of
    Educational Statistics, 10(2), 75-98."""


def _blup_doc(fn):
    """Fill the Parameters and References sections that ``blup`` and ``ranef`` share."""
    fn.__doc__ = fn.__doc__.replace("{parameters}", _BLUP_PARAMETERS).replace("{references}", _BLUP_REFERENCES)
    return fn


def _blup_result(kind, fit, pred, se, level) -> BLUPResult:
    crit = _crit(fit, level)
    return BLUPResult(kind, pred, se, pred - crit * se, pred + crit * se, float(fit.tau2), int(fit.k), level)


@_blup_doc
def blup(fit, *, level: float | None = None) -> BLUPResult:
    """Best linear unbiased predictions of each study's true effect (metafor's ``blup``).

    ``pred = l y + (1 - l) x b`` with ``l = tau^2 / (tau^2 + v)``; variance
    ``l v + (1 - l)^2 x' Var(b) x``; prediction intervals with the model's critical
    value (t with k - p df under Knapp-Hartung).  With tau^2 = 0 the BLUP is the fitted value.

    {parameters}

    Returns
    -------
    BLUPResult
        ``pred``, ``se``, ``pi_lb``, ``pi_ub`` per study.

    {references}
    """
    level = fit.level if level is None else level_percent(level)
    li, xb, xvx, y, v = _blup_parts(fit)
    pred = li * y + (1 - li) * xb
    se = np.sqrt(li * v + (1 - li) ** 2 * xvx)
    return _blup_result("blup", fit, pred, se, level)


@_blup_doc
def ranef(fit, *, level: float | None = None) -> BLUPResult:
    """Predicted random effects of a univariate fit (metafor's ``ranef``); for a multilevel
    fit, those of each level (:func:`evsynth.engine.mvdiag.ranef_mv`).

    ``pred = l (y - x b)``, variance ``l v + l^2 x' Var(b) x`` as metafor 3.8 computes it;
    0 (and se 0) for an equal-effects model.

    {parameters}

    Returns
    -------
    BLUPResult
        ``pred`` (the predicted random effects), ``se``, ``pi_lb``, ``pi_ub`` per study.

    {references}
    """
    if hasattr(fit, "sigma2"):
        from evsynth.engine.mvdiag import ranef_mv

        return ranef_mv(fit, level=level)
    level = fit.level if level is None else level_percent(level)
    li, xb, xvx, y, v = _blup_parts(fit)
    if _equal_effects(fit):
        pred = np.zeros_like(y)
        se = np.zeros_like(y)
    else:
        pred = li * (y - xb)
        se = np.sqrt(li * v + li**2 * xvx)
    return _blup_result("ranef", fit, pred, se, level)
