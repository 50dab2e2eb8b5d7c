"""Univariate equal- and random-effects models and meta-regression (metafor's ``rma``).

Every computation is O(k p^2): weights are vectors and projections are never formed
(see :mod:`evsynth.linalg`).  Estimators of tau^2: EE, DL, HE, HS, SJ, ML, REML, EB, PM,
with metafor's definitions (Viechtbauer, 2005; Viechtbauer, 2010).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from evsynth.errors import ConvergenceError, InputError, ModelError
from evsynth.engine.linalg import FUSED_BLOCK, WLS, design_matrix, newton_root, power_sums, r_uniroot, wls
from evsynth.engine.results import FitResult, Result, coef_block, fmt_p, wald_test

__all__ = [
    "METHODS",
    "TESTS",
    "RMAResult",
    "ConfintResult",
    "SubgroupResult",
    "rma",
    "estimate_tau2",
    "confint_tau2",
    "subgroup",
    "check_effects",
]

METHODS = ("EE", "FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
TESTS = ("z", "knha", "adhoc")
KH_TESTS = ("knha", "adhoc")  # t/F reference distributions with the s2w scaling


def check_effects(yi, vi, *, where: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Validate effect sizes and sampling variances.

    Parameters
    ----------
    yi, vi : array_like, shape (k,)
        Effect sizes and their sampling variances.
    where : str, optional
        Prefix of the error message (e.g. the file name).

    Returns
    -------
    yi, vi : ndarray
        Float arrays.

    Raises
    ------
    InputError
        Different lengths, missing or non-finite values, or a variance <= 0 (rows named).
    """
    y, v, _ = _checked_effects(yi, vi, where)
    return y, v


def _checked_effects(yi, vi, where: str = ""):
    """:func:`check_effects`, also returning (sum y, sum v) when computed on the way (the
    fused route reuses them), else None."""
    pre = f"{where}: " if where else ""
    y = np.asarray(yi, dtype=float).ravel()
    v = np.asarray(vi, dtype=float).ravel()
    if y.shape != v.shape:
        raise InputError(f"{pre}yi has {y.size} values but vi has {v.size}")
    if y.size:
        sy, sv = np.sum(y), np.sum(v)
        if np.isfinite(sy + sv) and v.min() > 0:
            return y, v, (sy, sv)  # the common case: all finite (a finite sum), no temporaries or index lists
    if np.isfinite(y).all() and np.isfinite(v).all() and (v > 0).all():
        return y, v, None  # finite values whose sum overflows
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        raise InputError(f"{pre}effect size is missing or not finite in row(s) {_rows(bad)}")
    bad = np.flatnonzero(~np.isfinite(v))
    if bad.size:
        raise InputError(f"{pre}sampling variance is missing or not finite in row(s) {_rows(bad)}")
    bad = np.flatnonzero(v <= 0)
    if bad.size:
        raise InputError(
            f"{pre}sampling variance must be > 0; found {v[bad[0]]:g} in row(s) {_rows(bad)}"
        )
    return y, v, None


def _rows(idx) -> str:
    idx = list(np.asarray(idx) + 1)
    s = ", ".join(str(i) for i in idx[:10])
    return s + (f" and {len(idx) - 10} more" if len(idx) > 10 else "")


# --------------------------------------------------------------------------------------
# tau^2 estimation
# --------------------------------------------------------------------------------------

@dataclass
class Tau2Fit:
    tau2: float
    se_tau2: float | None
    iterations: int = 0
    sums: "_Sums | None" = field(default=None, repr=False)  # intercept-only (RE)ML: the sums, for rma


def _is_intercept_only(X) -> bool:
    return X.shape[1] == 1 and bool(np.all(X == 1.0))


class _Sums:
    """Intercept-only models: with w = 1/(v + tau2), every quantity the estimators need is
    a handful of weighted sums.  The weights go into reused buffers (allocating a fresh
    k-vector per evaluation costs more than the arithmetic)."""

    def __init__(self, y, v):
        self.y, self.v, self.y2 = y, v, y * y
        self.w = np.empty_like(v)
        self.w2 = np.empty_like(v)
        self._zero = self._final = self._at = None
        self.u = None  # buffer of the log-likelihood, allocated when first needed

    def zero(self):
        """(sum w, sum w y, sum w y^2, sum w^2) at tau^2 = 0 (the equal-effects sums), once."""
        if self._zero is None:
            w = np.reciprocal(self.v, out=self.w)
            self._at = None  # the buffer now holds other weights
            self._zero = (w.sum(), w @ self.y, w @ self.y2, w @ w)
        return self._zero

    def final(self, tau2: float):
        """(w, sum w, sum w y, sum w y^2, sum w^2, sum w^3) at the estimate, ``w`` in an array
        of its own (the fit's weights); computed once per tau^2."""
        if self._final is None or self._final[0] != tau2:
            w = 1.0 / (self.v + tau2)
            w2 = np.multiply(w, w, out=self.w2)
            self._final = (tau2, (w, w.sum(), w @ self.y, w @ self.y2, w2.sum(), w2 @ w))
        return self._final[1]

    def loglik(self, tau2: float, method: str) -> float:
        """(Restricted) log-likelihood at tau2 (sums reused where already computed)."""
        if tau2 == 0.0:
            sw, swy, swy2, _ = self.zero()
        elif self._final is not None and self._final[0] == tau2:
            _, sw, swy, swy2, _, _ = self._final[1]
        else:
            _, sw, swy, swy2 = self.at(tau2)
        if self.u is None:
            self.u = np.empty_like(self.v)
        u = np.add(self.v, tau2, out=self.u)
        ll = -0.5 * np.sum(np.log(u, out=u)) - 0.5 * _q_from(sw, swy, swy2)
        k = self.y.size
        if method == "REML":
            return float(ll - 0.5 * (k - 1) * np.log(2 * np.pi) - 0.5 * np.log(sw))
        return float(ll - 0.5 * k * np.log(2 * np.pi))

    def at(self, tau2: float):
        """(w, sum w, sum w y, sum w y^2) at tau2 (``w`` in the reused buffer; the last
        evaluation is remembered, so a likelihood check at the same tau^2 costs no new sums)."""
        if self._at is not None and self._at[0] == tau2:
            return self._at[1]
        w = np.add(self.v, tau2, out=self.w)
        np.reciprocal(w, out=w)
        res = (w, w.sum(), w @ self.y, w @ self.y2)
        self._at = (tau2, res)
        return res

    def q(self, tau2: float) -> float:
        _, sw, swy, swy2 = self.at(tau2)
        return _q_from(sw, swy, swy2)

    def scoring(self, tau2: float, method: str) -> float:
        """The Fisher-scoring step for ML or REML at tau2."""
        w, sw, swy, swy2 = self.at(tau2)
        w2 = np.multiply(w, w, out=self.w2)
        return _scoring_step(method, sw, swy, w2.sum(), w2 @ self.y, w2 @ self.y2,
                             (w2 @ w) if method == "REML" else None)


def _q_from(sw, swy, swy2) -> float:
    """Q = sum w (y - b)^2 from sum w, sum w y and sum w y^2."""
    return float(max(swy2 - swy * swy / sw, 0.0))


def _scoring_step(method: str, sw, swy, sw2, sw2y, sw2y2, sw3) -> float:
    """The Fisher-scoring step of an intercept-only ML or REML fit from the weighted sums
    (sum w^a y^b; ``sw3`` = sum w^3, REML only)."""
    b = swy / sw
    ypp = sw2y2 - 2 * b * sw2y + b * b * sw2  # y'PPy = sum w^2 r^2
    if method == "ML":
        return float((ypp - sw) / sw2)
    trP = sw - sw2 / sw
    trPP = sw2 - 2 * sw3 / sw + (sw2 / sw) ** 2
    return float((ypp - trP) / trPP)


# intercept-only models with at least this many effect sizes take the fused route (_Fused);
# below it the per-call cost of the blocked passes is not worth it (measured, REML + KH + PI
# + Q-profile CI, fused vs not: k = 2^14 1.05 vs 1.06 ms, 2^15 1.30 vs 1.92 ms, 1e5 2.2 vs
# 5.5 ms, 1e6 21 vs 71 ms).  A module constant, so that tests can force the route on small data.
FUSED_MIN = 2 ** 15


class _Fused(_Sums):
    """Intercept-only models at large k: every evaluation at a tau^2 is one blocked pass
    (:func:`~evsynth.engine.linalg.power_sums`) giving the nine sums
    ``S[a, b] = sum w^(a+1) (y - c)^b`` (a, b = 0, 1, 2; c the mean of y, so that the sums
    formulas are free of cancellation).  Same estimators and iterations as :class:`_Sums`;
    the sums ``zero``/``final`` return are of the centred data (Q is shift-invariant).
    Sums are memoised per tau^2 (an estimate, Q-profile step or likelihood check at a
    tau^2 already evaluated costs nothing)."""

    def __init__(self, y, v, block: int | None = None, sums_yv=None, zero: bool = True):
        k = y.size
        self.y, self.v = y, v
        sy, sv = sums_yv if sums_yv is not None else (np.sum(y), np.sum(v))  # (as check_effects)
        self.shift = float(sy / k)
        self.sv = float(sv)
        self.Y = np.empty((3, k))
        self.W = np.empty((4, min(block or FUSED_BLOCK, k)))  # (4 rows: two tau^2 values in one pass)
        self._memo: dict = {}
        self._logs: dict = {}
        self._lock = threading.Lock()  # one pass at a time through the work buffer W
        self._keep_w = True  # a pass with all sums keeps w (the estimate's: the fit's weights)
        self._w = None  # (tau2, w) of the last pass with all sums (the estimate's, mostly)
        if zero:  # the data rows and the sums at tau^2 = 0 (equal-effects fit) in one pass
            self._memo[0.0] = power_sums(v, 0.0, self.Y, self.W, 2, fill=(y, self.shift))[0]
        else:
            self.Y[0] = 1.0
            np.subtract(y, self.shift, out=self.Y[1])
            np.square(self.Y[1], out=self.Y[2])

    def sums(self, tau2: float, full: bool = False, cubes: bool = True) -> np.ndarray:
        """The 3 x 3 sums at tau2 (memoised); ``full=False``: of the third row only sum w^3,
        and that only with ``cubes`` (see :func:`~evsynth.engine.linalg.power_sums`)."""
        S = self._memo.get(tau2)
        if S is None or (full and np.isnan(S[2, 1])) or (cubes and np.isnan(S[2, 0])):
            keep = full and self._keep_w
            w = np.empty_like(self.v) if keep else None  # w itself too: the weights, if tau2 is the estimate
            with self._lock:
                S = power_sums(self.v, tau2, self.Y, self.W, 3 if full else 2, cubes=cubes, w_out=w)[0]
            self._memo[tau2] = S
            if keep:
                self._w = (tau2, w)
        return S

    def prefetch(self, ts) -> None:
        """The sums (squares of w, no sum w^3) at two tau^2 values at once, in one pass."""
        ts = [t for t in dict.fromkeys(ts) if t not in self._memo]
        if len(ts) == 2:
            with self._lock:
                both = power_sums(self.v, tuple(ts), self.Y, self.W, 2, cubes=False)[0]
            for t, S in zip(ts, both):
                self._memo[t] = S

    def weights_percent(self, tau2: float) -> np.ndarray:
        """The model weights in percent, 100 w / sum w at tau2, in an array of their own."""
        sw = self.sums(tau2, full=True)[0, 0]
        if self._w is not None and self._w[0] == tau2:
            w, self._w = self._w[1], None
            return np.multiply(w, 100 / sw, out=w)
        w = np.add(self.v, tau2, out=np.empty_like(self.v))
        return np.divide(100 / sw, w, out=w)

    def zero(self):
        S = self.sums(0.0)
        return S[0, 0], S[0, 1], S[0, 2], S[1, 0]

    def final(self, tau2: float):
        """As :meth:`_Sums.final` but without the weights (``None`` in their place: rma
        computes the model weights in percent directly), from all nine sums (the Q-profile
        starts from them)."""
        S = self.sums(tau2, full=True)
        return None, S[0, 0], S[0, 1], S[0, 2], S[1, 0], S[2, 0]

    def q(self, tau2: float) -> float:
        return _q_of(self.sums(tau2))

    def scoring(self, tau2: float, method: str) -> float:
        S = self.sums(tau2, cubes=method == "REML")  # (sum w^3: REML's tr(PP) only)
        sw = S[0, 0]
        if method == "EB":  # Morris (1983), as metafor: (Q k / (k - p) - k) / sum w
            k = self.y.size
            return float((_q_of(S) * k / (k - 1) - k) / sw)
        return _scoring_step(method, sw, S[0, 1], S[1, 0], S[1, 1], S[1, 2], S[2, 0])

    def logsum(self, tau2: float) -> float:
        """sum log(v + tau2), with the sums at tau2 from the same pass."""
        if tau2 not in self._logs:
            with self._lock:
                S, ls = power_sums(self.v, tau2, self.Y, self.W, 2, log=True)
            self._memo.setdefault(tau2, S)
            self._logs[tau2] = ls
        return self._logs[tau2]

    def loglik(self, tau2: float, method: str) -> float:
        ll = -0.5 * self.logsum(tau2) - 0.5 * _q_of(self.sums(tau2))
        k = self.y.size
        if method == "REML":
            return float(ll - 0.5 * (k - 1) * np.log(2 * np.pi) - 0.5 * np.log(self.sums(tau2)[0, 0]))
        return float(ll - 0.5 * k * np.log(2 * np.pi))

    def step_keeps_loglik(self, t1: float, t2: float, method: str) -> bool | None:
        """Whether loglik(t2) >= loglik(t1) - 1e-12 |loglik(t1)| (the step check of
        estimate_tau2), decided from the sums at t1 and t2 without logarithms; None when the
        bounds do not decide (then the caller computes the log-likelihoods).

        With x_i = (t2 - t1) w1_i, x / (1 + x) <= log(1 + x) <= x gives
        (t2 - t1) sum w2 <= sum log(v + t2) - sum log(v + t1) <= (t2 - t1) sum w1, and by
        Jensen -k log(sum w1 / k) <= sum log(v + t1) <= k log(mean v + t1)."""
        S1, S2 = self.sums(t1, cubes=False), self.sums(t2, full=True)  # (t2 is mostly the estimate: all its sums)
        k = self.y.size
        d = t2 - t1
        sw1, sw2 = S1[0, 0], S2[0, 0]
        q1, q2 = _q_of(S1), _q_of(S2)
        c = -0.5 * np.log(sw2 / sw1) if method == "REML" else 0.0
        lo = -0.5 * d * sw1 - 0.5 * (q2 - q1) + c  # bounds of loglik(t2) - loglik(t1)
        hi = -0.5 * d * sw2 - 0.5 * (q2 - q1) + c
        const = 0.5 * ((k - 1) * np.log(2 * np.pi) + np.log(sw1) if method == "REML" else k * np.log(2 * np.pi))
        lam_lo, lam_hi = -k * np.log(sw1 / k), k * np.log(self.sv / k + t1)
        ll_a, ll_b = -0.5 * lam_hi - 0.5 * q1 - const, -0.5 * lam_lo - 0.5 * q1 - const  # loglik(t1) in [a, b]
        abs_min = 0.0 if ll_a <= 0.0 <= ll_b else min(abs(ll_a), abs(ll_b))
        abs_max = max(abs(ll_a), abs(ll_b))
        margin = 1e-14 * (abs(lam_lo) + abs(lam_hi) + q1 + q2 + k)  # rounding of the exact check (~1e-16 x terms x log k)
        if lo >= -1e-12 * abs_min + margin:
            return True
        if hi < -1e-12 * abs_max - margin:
            return False
        return None

    def zero_gap_bound(self, tau2: float, method: str) -> float:
        """An upper bound of loglik(0) - loglik(tau2) from the sums alone (no logarithms):
        sum log(1 + x_i), x_i = tau2 / v_i, is at most k log(1 + mean x) (Jensen) and at
        most sum x - x^2/2 + x^3/3 (true for every x >= 0).  When the bound is below the
        tolerance of the boundary check, the exact check cannot switch to tau^2 = 0."""
        S0, S = self.sums(0.0), self.sums(tau2)
        k = self.y.size
        t = tau2
        taylor = t * S0[0, 0] - t * t * S0[1, 0] / 2 + t ** 3 * S0[2, 0] / 3
        lsum = min(k * np.log1p(t * S0[0, 0] / k), taylor)
        gap = lsum - (_q_of(S0) - _q_of(S))
        if method == "REML":
            gap -= np.log(S0[0, 0] / S[0, 0])
        # rounding of the terms (each computed to about 1e-15 relative) as a margin
        margin = 1e-12 * (abs(lsum) + _q_of(S0) + _q_of(S) + k)
        return float(0.5 * gap + margin)


# the data rows of the most recent fused fit, for its Q-profile: (weak reference to the fit,
# its _Fused).  One slot, so at most one such copy is kept, and only while that fit lives.
_LAST_FUSED: list = [None]


def _keep_fused(fit, sums: _Fused) -> None:
    sums._w, sums._keep_w = None, False  # (kept for the Q-profile, which needs no w)

    def drop(ref):
        if _LAST_FUSED[0] is not None and _LAST_FUSED[0][0] is ref:
            _LAST_FUSED[0] = None
    _LAST_FUSED[0] = (weakref.ref(fit, drop), sums)


def _fused_of(fit) -> "_Fused | None":
    entry = _LAST_FUSED[0]
    if entry is None or entry[0]() is not fit or entry[1].y is not fit.yi or entry[1].v is not fit.vi:
        return None
    return entry[1]


def _q_of(S) -> float:
    """Q = sum w (y - b)^2 from the centred sums."""
    return _q_from(S[0, 0], S[0, 1], S[0, 2])


def _sums_for(y, v, io: bool, method: str, sums_yv=None):
    """The sums object of an intercept-only (RE)ML/EB fit: fused passes at large k;
    None for a meta-regression (and EB at small k, which keeps its WLS route)."""
    if not io:
        return None
    if y.size >= FUSED_MIN:
        return _Fused(y, v, sums_yv=sums_yv)
    return _Sums(y, v) if method != "EB" else None


def _q_gen(tau2: float, y, v, X, io: bool | None = None) -> float:
    """Generalised Q statistic sum w r^2 with w = 1/(v + tau2)."""
    if _is_intercept_only(X) if io is None else io:
        return _Sums(y, v).q(tau2)
    return wls(y, X, 1 / (v + tau2), intercept_only=False).rss


# Distribution functions as the special functions scipy.stats itself calls (same values),
# without the per-call cost of scipy.stats' distribution objects (about 40 us each).
def _chi2_sf(x, df):
    return special.chdtrc(df, x)


def _chi2_isf(q, df):
    return special.chdtri(df, q)


def _chi2_ppf(q, df):
    return 2 * special.gammaincinv(df / 2, q)


DEFAULT_CONTROL = {"threshold": 1e-5, "tol": np.finfo(float).eps ** 0.25, "maxiter": 100, "tau2_max": 100.0,
                   "fallback": True}


def check_test_level(test, allowed, allowed_text: str, level: float) -> str:
    """``test`` lower-cased (``"hksj"`` read as ``"knha"``) and checked against ``allowed``;
    ``level`` checked to lie strictly between 0 and 100.  Raises ``InputError``."""
    test = str(test).lower()
    if test == "hksj":
        test = "knha"
    if test not in allowed:
        raise InputError(f"unknown test '{test}'; allowed: {allowed_text}")
    if not (0 < level < 100):
        raise InputError(f"level must be between 0 and 100, got {level}")
    return test


def iteration_control(control: dict | None) -> dict:
    """The iteration settings of the tau^2 estimators: ``DEFAULT_CONTROL`` updated by
    ``control`` (unknown keys raise ``InputError``)."""
    c = dict(DEFAULT_CONTROL)
    if control:
        unknown = set(control) - set(c)
        if unknown:
            raise InputError(f"unknown control setting(s) {', '.join(sorted(unknown))}; allowed: {', '.join(c)}")
        c.update(control)
    return c


def estimate_tau2(y, v, X, method: str = "REML", *, control: dict | None = None,
                  _io: bool | None = None, _sums_yv=None) -> Tau2Fit:
    """Estimate the between-study variance tau^2 with metafor's estimators.

    Iterative estimators stop as metafor's do (``control``: Fisher scoring until the
    change in tau^2 is below ``threshold``; root searches by R's ``uniroot`` algorithm
    with tolerance ``tol``), so that results agree with metafor to its printed digits.

    Parameters
    ----------
    y, v : ndarray, shape (k,)
        Effect sizes and sampling variances.
    X : ndarray, shape (k, p)
        Model matrix.
    method : {"EE", "FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM"}
        The estimator.
    control : dict, optional
        ``threshold``, ``tol``, ``maxiter``, ``tau2_max``, ``fallback`` (see ``DEFAULT_CONTROL``).

    Returns
    -------
    Tau2Fit
        ``tau2``, its standard error ``se_tau2`` (None where metafor gives none) and the
        number of iterations.

    References
    ----------
    Viechtbauer, W. (2005). Bias and efficiency of meta-analytic variance estimators in
    the random-effects model. Journal of Educational and Behavioral Statistics, 30(3), 261-293.
    """
    con = iteration_control(control)
    io = _is_intercept_only(X) if _io is None else _io  # X checked once
    threshold, maxiter = con["threshold"], int(con["maxiter"])
    method = method.upper()
    k, p = X.shape
    if method in ("EE", "FE"):
        return Tau2Fit(0.0, None)
    if method in ("DL", "HS", "PM"):
        fe = wls(y, X, 1 / v, intercept_only=io)
    if method == "DL":
        trP = fe.tr_P()
        tau2 = max(0.0, (fe.rss - (k - p)) / trP)
        se = np.sqrt((2 * (k - p) + 4 * tau2 * trP + 2 * tau2**2 * fe.tr_PDPE()) / trP**2)
        return Tau2Fit(tau2, float(se))
    if method == "HS":
        sw = float(np.sum(1 / v))
        tau2 = max(0.0, (fe.rss - k) / sw)
        se = np.sqrt((2 * (k - p) + 4 * tau2 * fe.tr_P() + 2 * tau2**2 * fe.tr_PDPE()) / sw**2)
        return Tau2Fit(tau2, float(se))
    sums = _sums_for(y, v, io, method, _sums_yv) if method in ("ML", "REML", "EB") else None
    if io and method in ("ML", "REML", "EB"):  # the HE start from two sums (same quantities)
        fused = isinstance(sums, _Fused)
        r = sums.Y[1] if fused else y - np.sum(y) / k  # the same y - mean
        sv = sums.sv if fused else np.sum(v)
        trPV = sv - sv / k
        tau2_he = (float(r @ r) - trPV) / (k - p)
    else:
        ols = wls(y, X, np.ones(k), intercept_only=io)
        trPV = ols.tr_P(v)
        tau2_he = (ols.rss - trPV) / (k - p)
    if method == "HE":
        tau2 = max(0.0, tau2_he)
        se = np.sqrt((2 * ols.tr_PDPE(v, v) + 4 * tau2 * trPV + 2 * tau2**2 * (k - p)) / (k - p) ** 2)
        return Tau2Fit(tau2, float(se))
    if method == "SJ":
        tau0 = float(np.var(y) if k > 1 else 0.0)  # var(y) (k-1)/k, as metafor
        if tau0 <= 0:
            return Tau2Fit(0.0, None)
        f = wls(y, X, 1 / (v + tau0), intercept_only=io)
        tau2 = max(0.0, tau0 * f.rss / (k - p))
        se = np.sqrt(tau0**2 / (k - p) ** 2 * (2 * f.tr_PDPE(v, v) + 4 * tau2 * f.tr_PDPE(v, None)
                                              + 2 * tau2**2 * f.tr_PDPE()))
        return Tau2Fit(tau2, float(se))
    if method == "PM":
        target = k - p
        if fe.rss < target:
            tau2 = 0.0
        else:
            hi = float(con["tau2_max"])
            while _q_gen(hi, y, v, X, io) > target:
                hi *= 10
                if hi > 1e12:
                    raise ConvergenceError("PM: no tau^2 below 1e12 solves Q(tau^2) = k - p")
            qf = _Sums(y, v).q if io else (lambda t: _q_gen(t, y, v, X, io))
            tau2 = r_uniroot(lambda t: qf(t) - target, 0.0, hi, tol=con["tol"], maxiter=maxiter)
        w = 1 / (v + tau2)
        se = np.sqrt(2 * k**2 / (k - p) / np.sum(w) ** 2)
        return Tau2Fit(float(max(tau2, 0.0)), float(se))
    if method in ("ML", "REML", "EB"):
        tau2 = max(0.0, tau2_he)
        it = 0
        converged = False
        prev_adj = 0.0
        while it < maxiter:
            it += 1
            if sums is not None:
                adj = sums.scoring(tau2, method)
            else:
                f = wls(y, X, 1 / (v + tau2), intercept_only=io)
                Py = f.Py
                w = f.a
                if method == "ML":
                    adj = (np.sum(Py**2) - np.sum(w)) / np.sum(w**2)
                elif method == "REML":
                    adj = (np.sum(Py**2) - f.tr_P()) / f.tr_PDPE()
                else:  # EB (Morris, 1983), as metafor
                    adj = (f.rss * k / (k - p) - k) / np.sum(w)
            if not np.isfinite(adj):
                adj = 0.0
            while tau2 + adj < 0:
                adj /= 2
            if method != "EB" and adj * prev_adj < 0:
                # the step changed sign: accept it only if the likelihood does not drop (step
                # halving), so that scoring cannot oscillate; where metafor's plain scoring
                # converges the likelihood rises and the path is the same
                ll0 = None
                for _h in range(50):
                    keeps = sums.step_keeps_loglik(tau2, tau2 + adj, method) if isinstance(sums, _Fused) else None
                    if keeps is None:  # not decided by the bounds (or not the fused route): exactly
                        ll0 = _loglik(y, v, X, tau2, method, sums) if ll0 is None else ll0
                        keeps = _loglik(y, v, X, tau2 + adj, method, sums) >= ll0 - 1e-12 * abs(ll0)
                    if keeps:
                        break
                    adj /= 2
            prev_adj = adj
            new = tau2 + adj
            change = abs(new - tau2)
            tau2 = new
            if change < threshold:
                converged = True
                break
        if not converged and con["fallback"]:
            # safeguards: (RE)ML -> the root of the score; EB -> its fixed point, which is the
            # Paule-Mandel root Q(tau^2) = k - p
            root = (score_root(y, v, X, method) if method != "EB"
                    else estimate_tau2(y, v, X, "PM", control={**con, "tol": 1e-13, "maxiter": 1000}).tau2)
            if root is not None:
                tau2, converged = root, True
        if not converged:
            raise ConvergenceError(
                f"{method}: Fisher scoring did not converge in {maxiter} iterations (last tau^2 = {tau2:.6g}); "
                "increase control maxiter or use another estimator"
            )
        # metafor's check: a boundary solution with larger likelihood than the interior one
        if sums is not None and tau2 > threshold:
            sums.final(tau2)  # the estimate's sums: needed below and for the check
        if method != "EB" and tau2 > threshold and not (
                isinstance(sums, _Fused) and sums.zero_gap_bound(tau2, method) <= con["tol"]) and \
                _loglik(y, v, X, 0.0, method, sums) - _loglik(y, v, X, tau2, method, sums) > con["tol"]:
            tau2 = 0.0
        tau2 = max(0.0, tau2)
        if sums is not None:  # the sums at the estimate, kept for rma (no second pass)
            _, sw, _, _, sw2, sw3 = sums.final(tau2)
            tr_pdpe = sw2 - 2 * sw3 / sw + (sw2 / sw) ** 2  # tr(PP) of an intercept-only model
        else:
            f = wls(y, X, 1 / (v + tau2), intercept_only=io)
            sw, sw2 = np.sum(f.a), np.sum(f.a**2)
            tr_pdpe = f.tr_PDPE() if method == "REML" else None
        if method == "ML":
            se = np.sqrt(2 / sw2)
        elif method == "REML":
            se = np.sqrt(2 / tr_pdpe)
        else:
            se = np.sqrt(2 * k**2 / (k - p) / sw ** 2)
        return Tau2Fit(float(tau2), float(se), it, sums)
    raise InputError(f"unknown tau^2 estimator '{method}'; allowed: {', '.join(METHODS)}")


def _score(y, v, X, tau2: float, method: str) -> float:
    """Derivative of the (RE)ML log-likelihood in tau^2, times 2."""
    f = wls(y, X, 1 / (v + tau2))
    if method == "ML":
        return float(np.sum(f.Py**2) - np.sum(f.a))
    return float(np.sum(f.Py**2) - f.tr_P())


def score_root(y, v, X, method: str):
    """Safeguard when Fisher scoring does not converge: the stationary point of the
    likelihood by bracketing the score (boundary 0 when the score is negative there)."""
    s0 = _score(y, v, X, 0.0, method)
    if s0 <= 0:
        return 0.0
    hi = max(1.0, 10 * float(np.var(y)))
    for _ in range(60):
        if _score(y, v, X, hi, method) < 0:
            break
        hi *= 4
    else:
        return None
    return float(r_uniroot(lambda t: _score(y, v, X, t, method), 0.0, hi, tol=1e-13, maxiter=1000))


def _loglik(y, v, X, tau2: float, method: str, sums: "_Sums | None" = None) -> float:
    """(Restricted) log-likelihood at tau2; ``sums``: the data's :class:`_Sums` when the
    model is intercept-only (reused buffers), None for a meta-regression."""
    k, p = X.shape
    if sums is not None or _is_intercept_only(X):
        return (sums or _Sums(y, v)).loglik(tau2, method)
    f = wls(y, X, 1 / (v + tau2))
    ll = -0.5 * np.sum(np.log(v + tau2)) - 0.5 * f.rss
    if method == "REML":
        ll += -0.5 * (k - p) * np.log(2 * np.pi) + 0.5 * np.linalg.slogdet(f.M)[1]
    else:
        ll += -0.5 * k * np.log(2 * np.pi)
    return float(ll)


# --------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------

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

    def summary(self) -> str:
        kind = "Equal-Effects Model" if self.method in ("EE", "FE") else (
            "Random-Effects Model" if self.p == 1 else "Mixed-Effects Model")
        lines = [f"{kind} (k = {self.k}; tau^2 estimator: {self.method})", ""]
        if self.method not in ("EE", "FE"):
            se = f" (SE = {self.se_tau2:.4f})" if self.se_tau2 is not None else ""
            lines.append(f"tau^2 (estimated amount of {'residual ' if self.p > 1 else ''}heterogeneity): "
                         f"{self.tau2:.4f}{se}")
            lines.append(f"tau (square root of estimated tau^2 value):  {np.sqrt(self.tau2):.4f}")
        lines.append(f"I^2 ({'residual ' if self.p > 1 else ''}heterogeneity / unaccounted variability): {self.I2:.2f}%")
        lines.append(f"H^2 (unaccounted variability / sampling variability):   {self.H2:.2f}")
        if self.R2 is not None:
            lines.append(f"R^2 (amount of heterogeneity accounted for):            {self.R2:.2f}%")
        lines += ["", f"Test for {'Residual ' if self.p > 1 else ''}Heterogeneity:",
                  f"QE(df = {self.k - self.p}) = {self.QE:.4f}, p-val {fmt_p(self.QEp)}", ""]
        if self.p > 1 or self.dist == "t":
            lines += [self.wald.summary(), ""]
        lines.append("Model Results:")
        lines.append("")
        lines += self.coefs.format_rows(12)
        if self.pi_lb is not None:
            lines += ["", f"Prediction interval: [{self.pi_lb:.4f}, {self.pi_ub:.4f}]"]
        return "\n".join(lines)


# --------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------

def rma(yi, vi, mods=None, *, method: str = "REML", test: str = "z", level: float = 95.0,
        intercept: bool = True, coef_names=None, btt=None, slab=None,
        compute_r2: bool = True, control: dict | None = None) -> RMAResult:
    """Fit an equal-, random- or mixed-effects meta-analytic model (metafor's ``rma``).

    Parameters
    ----------
    yi, vi : array_like, shape (k,)
        Effect sizes and sampling variances.
    mods : array_like (k,) or (k, m) or DataFrame, optional
        Moderators; an intercept is added unless ``intercept=False``.
    method : str
        tau^2 estimator: EE (FE), DL, HE, HS, SJ, ML, REML (default), EB, PM.
    test : {"z", "knha", "adhoc"}
        Normal tests, Knapp & Hartung's t/F tests (``"hksj"`` is accepted as a synonym), or
        ``"adhoc"``: Knapp & Hartung with the scaling factor truncated at 1, so never narrower
        than the z-based interval (metafor's ``test="adhoc"``; Röver, Knapp & Friede 2015).
    level : float
        Confidence level in percent.
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
    method = str(method).upper()
    if method not in METHODS:
        raise InputError(f"unknown tau^2 estimator '{method}'; allowed: {', '.join(METHODS)}")
    test = check_test_level(test, TESTS, "z, knha, adhoc", level)
    y, v, sums_yv = _checked_effects(yi, vi)
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

    io = (p == 1 and intercept and mods is None) or (p == 1 and _is_intercept_only(X))  # X checked once
    t2 = estimate_tau2(y, v, X, method, control=control, _io=io, _sums_yv=sums_yv)
    tau2 = t2.tau2
    sums = t2.sums
    if isinstance(sums, _Fused):  # beta, its variance and Q from the sums at the estimate (no pass)
        _, sw, swy = sums.final(tau2)[:3]
        f = WLS(a=None, X=X, y=y, M=np.array([[1.0 / sw]]), beta=np.array([sums.shift + swy / sw]), resid=None,
                io=True, rss_known=sums.q(tau2))
    else:
        f = wls(y, X, 1 / (v + tau2) if sums is None else sums.final(tau2)[0], intercept_only=io)
    vb = f.M.copy()
    s2w = 1.0
    if test in KH_TESTS:
        rss = f.rss
        s2w = rss / (k - p) if rss > np.finfo(float).eps else 0.0
        if s2w == 0.0 and test == "knha":
            raise ModelError("the Knapp-Hartung adjustment is undefined here: the effects fit the model exactly "
                             "(weighted residual sum of squares 0, e.g. all effects identical); use test 'z'")
        if test == "adhoc":
            s2w = max(1.0, s2w)
        vb = s2w * vb
    if btt is None:
        btt = list(range(1, p)) if (p > 1 and intercept) else list(range(p))
    dist, df = ("t", k - p) if test in KH_TESTS else ("z", None)
    coefs = coef_block(names, f.beta, vb, dist=dist, df=df, level=level)
    wald = wald_test(f.beta, vb, btt, dist=dist, df=df)

    # heterogeneity (always from the equal-effects fit)
    if k > p:
        if p == 1 and intercept and mods is None:
            if sums is not None:
                sw0, swy0, swy20, sw0w0 = sums.zero()
            else:
                w0 = 1.0 / v
                sw0, swy0, swy20, sw0w0 = w0.sum(), w0 @ y, w0 @ (y * y), w0 @ w0
            QE = float(max(swy20 - swy0 ** 2 / sw0, 0.0))
            trP0 = sw0 - sw0w0 / sw0
        else:
            fe = wls(y, X, 1 / v, intercept_only=io)
            QE = max(0.0, fe.rss)
            trP0 = fe.tr_P()
        QEp = float(_chi2_sf(QE, k - p))
        vt = (k - p) / trP0
        if method in ("EE", "FE"):
            I2 = max(0.0, 100 * (QE - (k - p)) / QE) if QE > 0 else 0.0
            H2 = QE / (k - p)
        else:
            I2 = 100 * tau2 / (vt + tau2)
            H2 = tau2 / vt + 1
    else:
        QE, QEp, I2, H2, vt = 0.0, 1.0, 0.0, 1.0, 0.0

    R2 = None
    if compute_r2 and intercept and p > 1:
        if method in ("EE", "FE"):
            R2 = _adj_r2_weighted(y, X, 1 / v)
        else:
            tau2_re = estimate_tau2(y, v, np.ones((k, 1)), method, control=control, _io=True).tau2
            R2 = 0.0 if tau2_re == 0 else max(0.0, 100 * (tau2_re - tau2) / tau2_re)

    if isinstance(sums, _Fused):
        w = sums.weights_percent(tau2)
    else:
        w = f.a * (100 / f.a.sum())
    res = RMAResult(
        coefs=coefs, wald=wald, k=k, method=method, test=test, QE=QE, QEp=QEp, btt=list(btt), yi=y, vi=v,
        X=X, tau2=tau2, se_tau2=t2.se_tau2, I2=float(I2), H2=float(H2), vt=float(vt), R2=R2, weights=w,
        s2w=s2w, slab=list(slab) if slab is not None else None,
    )
    if res.intercept_only and method not in ("EE", "FE"):
        pr = res.predict()
        res.pi_lb, res.pi_ub = float(pr.pi_lb[0]), float(pr.pi_ub[0])
    res.extra["control"] = control
    res.extra["iterations"] = t2.iterations
    if isinstance(sums, _Fused):  # the sums at the estimate: the Q-profile's first step costs no pass
        res.extra["_fused_sums"] = (tau2, sums.shift, sums.sums(tau2, full=True))
        _keep_fused(res, sums)
    return res


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


# --------------------------------------------------------------------------------------
# Q-profile confidence intervals for tau^2, I^2 and H^2
# --------------------------------------------------------------------------------------

@dataclass(eq=False)
class ConfintResult(Result):
    """Q-profile confidence intervals for tau^2, I^2 and H^2 (metafor's ``confint``)."""

    tau2_est: float
    tau2_ci_lb: float
    tau2_ci_ub: float
    I2_est: float
    I2_ci_lb: float
    I2_ci_ub: float
    H2_est: float
    H2_ci_lb: float
    H2_ci_ub: float
    level: float
    note: str = ""

    @property
    def tau_ci(self) -> tuple[float, float]:
        return float(np.sqrt(self.tau2_ci_lb)), float(np.sqrt(self.tau2_ci_ub))

    def summary(self) -> str:
        return "\n".join([
            f"{'':8s} {'estimate':>9s} {'ci.lb':>9s} {'ci.ub':>9s}   (Q-profile, {self.level:g}%)",
            *([f"Note: {self.note}"] if self.note else []),
            f"{'tau^2':8s} {self.tau2_est:9.4f} {self.tau2_ci_lb:9.4f} {self.tau2_ci_ub:9.4f}",
            f"{'tau':8s} {np.sqrt(self.tau2_est):9.4f} {self.tau_ci[0]:9.4f} {self.tau_ci[1]:9.4f}",
            f"{'I^2(%)':8s} {self.I2_est:9.4f} {self.I2_ci_lb:9.4f} {self.I2_ci_ub:9.4f}",
            f"{'H^2':8s} {self.H2_est:9.4f} {self.H2_ci_lb:9.4f} {self.H2_ci_ub:9.4f}",
        ])

    def to_frame(self):
        """One row per parameter (tau2, I2, H2): parameter, estimate, ci_lb, ci_ub."""
        import pandas as pd

        return pd.DataFrame([
            {"parameter": "tau2", "estimate": self.tau2_est, "ci_lb": self.tau2_ci_lb, "ci_ub": self.tau2_ci_ub},
            {"parameter": "I2", "estimate": self.I2_est, "ci_lb": self.I2_ci_lb, "ci_ub": self.I2_ci_ub},
            {"parameter": "H2", "estimate": self.H2_est, "ci_lb": self.H2_ci_lb, "ci_ub": self.H2_ci_ub},
        ])


METAFOR_TOL = np.finfo(float).eps ** 0.25  # metafor's default uniroot tolerance (control = list(tol = ...))


def qprofile_tolerance(tol, control):
    """The root-search setting of ``confint_tau2``/``rma_batch``: None (exact, by Newton) or
    the absolute tolerance of R's ``uniroot`` (``"metafor"``: metafor's default)."""
    if control:
        unknown = set(control) - {"tol", "tau2_max", "tau2.max"}
        if unknown:
            raise InputError(f"unknown confint control setting(s) {', '.join(sorted(unknown))}; "
                             "allowed: tol, tau2_max")
        tol = control.get("tol", tol)
    if tol is None or (isinstance(tol, str) and tol.lower() == "exact"):
        return None
    if isinstance(tol, str):
        if tol.lower() != "metafor":
            raise InputError(f"confint tol must be a number, 'exact' or 'metafor'; got '{tol}'")
        return METAFOR_TOL
    tol = float(tol)
    if not tol > 0:
        raise InputError(f"confint tol must be > 0; got {tol:g}")
    return tol


def _qd_sums(y, v):
    """Q(tau^2) and sum w^2 r^2 (= -dQ/dtau^2) of an intercept-only model, from weighted sums
    of the data centred at its mean (Q does not change with a shift of y; centring keeps the
    sums formula free of cancellation); ``deriv=False``: Q only.  Buffers are reused (a new
    temporary of k doubles costs more than the arithmetic at large k)."""
    yc = y - y.mean()
    w, wy = np.empty_like(v), np.empty_like(v)

    def qd(t, deriv=True):
        np.add(v, t, out=w)
        np.reciprocal(w, out=w)
        np.multiply(w, yc, out=wy)
        sw, swy, swy2 = w.sum(), wy.sum(), wy @ yc
        b = swy / sw
        q = max(swy2 - b * swy, 0.0)
        if not deriv:
            return q, None
        # sum w^2 (y - b)^2 = sum (wy)^2 - 2 b sum w (wy) + b^2 sum w^2
        return q, (wy @ wy) - 2 * b * (wy @ w) + b * b * (w @ w)
    return qd


def _inv_q_step(qd_value, target):
    q, d = qd_value
    return 1.0 / q - 1.0 / target, d / (q * q)


def _q_d(S):
    """Q and D = sum w^2 r^2 = -dQ/dtau^2 from the sums ``S`` of :class:`_Fused`."""
    sw = S[0, 0]
    b = S[0, 1] / sw
    return max(S[0, 2] - b * S[0, 1], 0.0), S[1, 2] - 2 * b * S[1, 1] + b * b * S[1, 0]


def _inv_q_curvature(S) -> float:
    """g'' of g = 1/Q at the full sums ``S`` (all nine): with r = y - b, D = sum w^2 r^2
    and dD/dtau^2 = -2 sum w^3 r^2 + 2 (sum w^2 r)^2 / sum w (b moves with tau^2),
    g' = D / Q^2 and g'' = D' / Q^2 + 2 D^2 / Q^3."""
    q, d = _q_d(S)
    sw = S[0, 0]
    b = S[0, 1] / sw
    sw2r = S[1, 1] - b * S[1, 0]
    sw3r2 = S[2, 2] - 2 * b * S[2, 1] + b * b * S[2, 0]
    dd = -2 * sw3r2 + 2 * sw2r * sw2r / sw
    return dd / (q * q) + 2 * d * d / (q * q * q)


def _halley_steps(S_est, t_est, sums, target):
    """The step function of the Q-profile search on the fused route: ``t -> (g, d)`` with
    g = 1/Q - 1/target and d = g' - g g'' / (2 g'), so that newton_root's step x - g/d is a
    Halley step (cubic convergence: from the estimate one evaluation per bound typically
    reaches the root to double precision).  g'' is exact at the estimate (from its nine sums,
    :func:`_inv_q_curvature`); at later points, whose sums have only the squares of w, it is
    extrapolated from the change of g' since the previous point (g'' taken as linear over the
    step: g''(x1) = 2 (g'(x1) - g'(x0)) / (x1 - x0) - g''(x0)), close enough that the error
    after the step is far below the rounding of the root."""
    q, d = _q_d(S_est)
    prev = [t_est, d / (q * q), _inv_q_curvature(S_est)]  # x, g', g'' at the last point

    def fd(t):
        q, d = _q_d(S_est if t == t_est else sums(t, cubes=False))
        g1 = d / (q * q)
        x0, g1_0, g2_0 = prev
        g2 = g2_0 if t == x0 else 2 * (g1 - g1_0) / (t - x0) - g2_0
        prev[:] = [t, g1, g2]
        g = 1.0 / q - 1.0 / target
        return g, (g1 - g * g2 / (2 * g1) if g1 != 0.0 else g1)
    return fd


def confint_tau2(fit: RMAResult, level: float | None = None, *, tol: float | str | None = None,
                 tau2_max: float | None = None, control: dict | None = None) -> ConfintResult:
    """Q-profile confidence interval for tau^2 (Viechtbauer, 2007), and the implied
    intervals for I^2 and H^2, as metafor's ``confint``.

    The bounds are the roots of Q(tau^2) = chi^2 quantile (k - p df), Q the generalised
    Q statistic.  By default they are found to full double precision by safeguarded Newton
    steps with the analytic derivative dQ/dtau^2 = -sum w^2 r^2 (applied to 1/Q, which is
    close to linear in tau^2, so a few steps suffice); metafor's default search (R's
    ``uniroot``) stops at an absolute tolerance of about 1.2e-4 on tau^2 instead.

    Parameters
    ----------
    fit : RMAResult
        A random-effects fit.
    level : float, optional
        Confidence level in percent (default: the fit's).
    tol : float or "metafor", optional
        None (default): the exact roots.  A number: R's ``uniroot`` with that absolute
        tolerance on tau^2, as metafor's ``control = list(tol = ...)``; ``"metafor"``:
        metafor's default ``.Machine$double.eps^0.25`` (reproduces metafor's printed digits).
    tau2_max : float, optional
        Search ceiling (metafor's ``tau2.max``, default ``max(100, 10 tau^2)``).  A bound
        above the ceiling is reported as the ceiling, as metafor does, and ``note`` says so.
    control : dict, optional
        metafor's names: ``{"tol": ..., "tau2_max": ...}`` (override ``tol``/``tau2_max``).

    Returns
    -------
    ConfintResult
        Estimates and bounds for tau^2, I^2 and H^2 (``tau2_ci_lb`` ...); ``to_frame()``
        gives one row per parameter.

    References
    ----------
    Viechtbauer, W. (2007). Confidence intervals for the amount of heterogeneity in
    meta-analysis. Statistics in Medicine, 26(1), 37-52.
    """
    if fit.method in ("EE", "FE"):
        raise ModelError("an equal-effects model has no tau^2 to give a confidence interval for")
    rtol = qprofile_tolerance(tol, control)
    if control:
        tau2_max = control.get("tau2_max", control.get("tau2.max", tau2_max))
    level = fit.level if level is None else level
    a = 1 - level / 100
    y, v, X = fit.yi, fit.vi, fit.X
    df = fit.k - fit.p
    crit_u = _chi2_isf(a / 2, df)  # for the lower bound
    crit_l = _chi2_ppf(a / 2, df)  # for the upper bound
    hi = max(100.0, 10 * fit.tau2) if tau2_max is None else float(tau2_max)

    stash = fit.extra.get("_fused_sums") if fit.extra else None
    fused = _fused_of(fit)  # the fit's own data rows when it is the latest fused fit
    if fused is None and (stash is not None or fit.k >= FUSED_MIN) and (stash is not None or _is_intercept_only(X)):
        fused = _Fused(y, v, zero=False)  # (the stash is only made for an intercept-only fit)
        fused._keep_w = False  # (no weights wanted here)
        if stash is not None and stash[0] == fit.tau2 and stash[1] == fused.shift:
            fused._memo[fit.tau2] = stash[2]
    if fused is not None:
        def qd(t, deriv=True):
            return fused.q(t), None
    elif _is_intercept_only(X):
        qd = _qd_sums(y, v)
    else:
        def qd(t, deriv=True):
            f = wls(y, X, 1 / (v + t), intercept_only=False)
            return max(f.rss, 0.0), (float(np.sum(f.Py ** 2)) if deriv else None)
    notes = []
    ends = {}

    def q_at(t):  # Q at the ends of the search interval, computed when first needed
        if t not in ends:
            ends[t] = qd(t, deriv=False)[0]
        return ends[t]

    def ceiling(which):
        # metafor: the bound lies above tau2.max and is reported as tau2.max ("> tau2.max")
        notes.append(f"{which} bound of tau^2 lies above the search ceiling tau2_max = {hi:g}; "
                     f"reported as the ceiling (the true bound is larger)")
        return hi

    memo = {}

    def qd_memo(t):  # both bounds start at the estimate: one evaluation there serves both
        if t not in memo:
            memo[t] = qd(t)
        return memo[t]

    def root(target, which):
        if rtol is not None:
            if q_at(0.0) < target:
                return 0.0
            if q_at(hi) > target:
                return ceiling(which)
            return r_uniroot(lambda t: qd(t, deriv=False)[0] - target, 0.0, hi, tol=rtol, maxiter=1000)
        # Newton steps on 1/Q(tau^2) - 1/target (increasing in tau^2; derivative sum w^2 r^2 / Q^2);
        # Q at 0 and at the ceiling are computed only when a step goes beyond them: a root below 0
        # (Q(0) < target) gives 0, one above the ceiling the ceiling, as metafor
        start = fit.tau2
        if fused is not None and not 0.0 < start < hi:  # tau^2 = 0: start at the Newton point from 0
            q0, d0 = _q_d(fused.sums(0.0, cubes=False))  # (the fit's equal-effects sums)
            if q0 <= target:
                return 0.0  # Q(0) <= target: the root is 0 (newton_root's answer from any start)
            if d0 > 0:
                start = (1.0 / target - 1.0 / q0) * q0 * q0 / d0
        step = (_halley_steps(fused.sums(fit.tau2, full=True), fit.tau2, fused.sums, target) if fused is not None
                else (lambda t: _inv_q_step(qd_memo(t), target)))
        r = newton_root(step, 0.0, hi,
                        lambda: 1.0 / q_at(0.0) - 1.0 / target, lambda: 1.0 / q_at(hi) - 1.0 / target,
                        start=start, increasing=True)
        return ceiling(which) if r == hi and q_at(hi) > target else r

    if fused is not None and rtol is None and 0.0 < fit.tau2 < hi:
        # both searches start at the estimate: their first Halley points, evaluated in one pass
        S_est = fused.sums(fit.tau2, full=True)
        firsts = []
        for target in (crit_l, crit_u):
            g, d = _halley_steps(S_est, fit.tau2, fused.sums, target)(fit.tau2)
            firsts.append(fit.tau2 - g / d if d != 0.0 and np.isfinite(d) else -1.0)
        if all(0.0 < x < hi for x in firsts):
            fused.prefetch(firsts)
    ub = root(crit_l, 'upper')
    lb = root(crit_u, 'lower')
    vt = fit.vt

    def i2(t):
        return 100 * t / (vt + t)

    def h2(t):
        return t / vt + 1

    return ConfintResult(
        tau2_est=fit.tau2, tau2_ci_lb=float(lb), tau2_ci_ub=float(ub),
        I2_est=fit.I2, I2_ci_lb=float(i2(lb)), I2_ci_ub=float(i2(ub)),
        H2_est=fit.H2, H2_ci_lb=float(h2(lb)), H2_ci_ub=float(h2(ub)), level=level,
        note="; ".join(notes),
    )


# --------------------------------------------------------------------------------------
# subgroup analysis
# --------------------------------------------------------------------------------------

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
            rows.append({"group": g, "k": f.k, "estimate": f.estimate, "se": float(f.se[0]),
                         "ci_lb": float(f.ci_lb[0]), "ci_ub": float(f.ci_ub[0]), "pval": float(f.pval[0]),
                         "tau2": f.tau2, "I2": f.I2, "QE": f.QE, "QEp": f.QEp})
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
        lines = ["Subgroup analysis (separate tau^2 per subgroup)", t.to_string(index=False, float_format="%.4f"),
                 f"Test for subgroup differences: Q_between(df = {self.df_between}) = {self.Q_between:.4f}, "
                 f"p-val {fmt_p(self.p_between)}"]
        return "\n".join(lines)


def subgroup(yi, vi, groups, *, method: str = "REML", test: str = "z", level: float = 95.0,
             min_k: int = 2) -> SubgroupResult:
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
        mod_fit = rma(y, v, D, method=method, test=test, level=level,
                      coef_names=[f"group[{lv}]" for lv in levels[1:]])
    return SubgroupResult(levels, fits, Qb, dfb, float(_chi2_sf(Qb, dfb)), mod_fit)

