"""Predicted values, best linear unbiased predictions and random effects (metafor's
``predict``, ``blup`` and ``ranef`` for univariate fits; ``predict`` for multilevel
fits).  O(k p^2) at most; no k x k matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from evsynth.engine._verbs import fmt, records_frame, text_lines
from evsynth.engine.checks import level_percent
from evsynth.engine.results import TRANSFORMS, PredictResult, Result
from evsynth.errors import InputError, ModelError

__all__ = ["PredictResult", "predict", "BLUPResult", "blup", "ranef", "RanefMVResult", "ranef_mv", "TRANSFORMS"]


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
        lines = [
            f"{'BLUPs of the true effects' if self.kind == 'blup' else 'Predicted random effects'} "
            f"(tau^2 = {fmt(self.tau2)})",
            f"{'':4s} {'pred':>9s} {'se':>8s} {'pi.lb':>8s} {'pi.ub':>8s}",
        ]
        for i in range(self.k):
            lines.append(f"{i + 1:<4d} {self.pred[i]:9.4f} {self.se[i]:8.4f} {self.pi_lb[i]:8.4f} {self.pi_ub[i]:8.4f}")
        return "\n".join(lines)

    def to_frame(self):
        """One row per study (pandas DataFrame)."""
        return records_frame(
            {
                "study": np.arange(1, self.k + 1),
                "pred": self.pred,
                "se": self.se,
                "pi_lb": self.pi_lb,
                "pi_ub": self.pi_ub,
            }
        )


def _blup_parts(fit):
    if hasattr(fit, "sigma2"):
        raise ModelError(
            "blup is defined for univariate (rma) fits, as in metafor; for a multilevel fit use "
            "ranef (the predicted random effects of each level) and predict"
        )
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
        Level of the prediction intervals: 95 or 0.95 both mean 95 % (default: the fit's)."""

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
    fit, those of each level (:func:`ranef_mv`).

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


# ------------------------------------------------------------------------------ multilevel fits


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
        blocks = (
            ["", t, head]
            + [f"{str(n)[:12]:12s} {a:9.4f} {b:8.4f} {x:8.4f} {y:8.4f}" for n, a, b, x, y in zip(g, pr, se, lb, ub)]
            for t, g, pr, se, lb, ub in zip(terms, self.groups, self.pred, self.se, self.pi_lb, self.pi_ub)
        )
        return text_lines(f"Predicted random effects ({self.level:g}% prediction intervals)", *blocks)

    def to_frame(self):
        """One row per component and group (pandas DataFrame)."""
        n = [len(g) for g in self.groups]
        return records_frame(
            {
                "component": np.repeat(self.components, n),
                "group": np.concatenate(self.groups),
                "pred": np.concatenate(self.pred),
                "se": np.concatenate(self.se),
                "pi_lb": np.concatenate(self.pi_lb),
                "pi_ub": np.concatenate(self.pi_ub),
            }
        )


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
        var[rows] = np.einsum("bii->bi", G) - np.einsum("bij,bij->bi", GW, G) + np.einsum("bnp,pq,bnq->bn", GWX, M, GWX)
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
        Level of the prediction intervals: 95 or 0.95 both mean 95 % (default: the fit's).

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
        parts = [[str(x) for x in np.asarray(g)[first].tolist()] for g in fit.groups[: l + 1]]
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
