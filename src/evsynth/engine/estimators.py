"""Estimators of the between-study variance tau^2 of a univariate model (metafor's
``method=`` of ``rma``): EE, DL, HE, HS, SJ, ML, REML, EB, PM, with metafor's definitions
(Viechtbauer, 2005).  Intercept-only models work from a handful of weighted sums
(:class:`_Sums`; at large k :class:`Fused`, one blocked pass per tau^2); meta-regressions
from weighted least squares (:mod:`evsynth.engine.linalg`).  Also the (restricted)
log-likelihood and the generalised Q statistic these estimators and the Q-profile use.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from evsynth.errors import ConvergenceError, InputError
from evsynth.engine.linalg import FUSED_BLOCK, power_sums, r_uniroot, wls

# (iteration_control, score_root, Fused, fused_of, keep_fused, is_intercept_only, chi2_*: shared with the
# other engine modules, not part of the API)
__all__ = ["METHODS", "DEFAULT_CONTROL", "FUSED_MIN", "Tau2Fit", "estimate_tau2"]

METHODS = ("EE", "FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")


@dataclass
class Tau2Fit:
    tau2: float
    se_tau2: float | None
    iterations: int = 0
    sums: "_Sums | None" = field(default=None, repr=False)  # intercept-only (RE)ML: the sums, for rma


def is_intercept_only(X) -> bool:
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
        return _scoring_step(
            method, sw, swy, w2.sum(), w2 @ self.y, w2 @ self.y2, (w2 @ w) if method == "REML" else None
        )


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


# intercept-only models with at least this many effect sizes take the fused route (Fused);
# below it the per-call cost of the blocked passes is not worth it (measured, REML + KH + PI
# + Q-profile CI, fused vs not: k = 2^14 1.05 vs 1.06 ms, 2^15 1.30 vs 1.92 ms, 1e5 2.2 vs
# 5.5 ms, 1e6 21 vs 71 ms).  A module constant, so that tests can force the route on small data.
FUSED_MIN = 2**15


class Fused(_Sums):
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
        margin = 1e-14 * (
            abs(lam_lo) + abs(lam_hi) + q1 + q2 + k
        )  # rounding of the exact check (~1e-16 x terms x log k)
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
        taylor = t * S0[0, 0] - t * t * S0[1, 0] / 2 + t**3 * S0[2, 0] / 3
        lsum = min(k * np.log1p(t * S0[0, 0] / k), taylor)
        gap = lsum - (_q_of(S0) - _q_of(S))
        if method == "REML":
            gap -= np.log(S0[0, 0] / S[0, 0])
        # rounding of the terms (each computed to about 1e-15 relative) as a margin
        margin = 1e-12 * (abs(lsum) + _q_of(S0) + _q_of(S) + k)
        return float(0.5 * gap + margin)


# the data rows of the most recent fused fit, for its Q-profile: (weak reference to the fit,
# its Fused).  One slot, so at most one such copy is kept, and only while that fit lives.
_LAST_FUSED: list = [None]


def keep_fused(fit, sums: Fused) -> None:
    sums._w, sums._keep_w = None, False  # (kept for the Q-profile, which needs no w)

    def drop(ref):
        if _LAST_FUSED[0] is not None and _LAST_FUSED[0][0] is ref:
            _LAST_FUSED[0] = None

    _LAST_FUSED[0] = (weakref.ref(fit, drop), sums)


def fused_of(fit) -> "Fused | None":
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
        return Fused(y, v, sums_yv=sums_yv)
    return _Sums(y, v) if method != "EB" else None


def _q_gen(tau2: float, y, v, X, io: bool | None = None) -> float:
    """Generalised Q statistic sum w r^2 with w = 1/(v + tau2)."""
    if is_intercept_only(X) if io is None else io:
        return _Sums(y, v).q(tau2)
    return wls(y, X, 1 / (v + tau2), intercept_only=False).rss


# Distribution functions as the special functions scipy.stats itself calls (same values),
# without the per-call cost of scipy.stats' distribution objects (about 40 us each).
def chi2_sf(x, df):
    return special.chdtrc(df, x)


def chi2_isf(q, df):
    return special.chdtri(df, q)


def chi2_ppf(q, df):
    return 2 * special.gammaincinv(df / 2, q)


DEFAULT_CONTROL = {
    "threshold": 1e-5,
    "tol": np.finfo(float).eps ** 0.25,
    "maxiter": 100,
    "tau2_max": 100.0,
    "fallback": True,
}


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


def estimate_tau2(
    y, v, X, method: str = "REML", *, control: dict | None = None, _io: bool | None = None, _sums_yv=None
) -> Tau2Fit:
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
    io = is_intercept_only(X) if _io is None else _io  # X checked once
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
        fused = isinstance(sums, Fused)
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
        se = np.sqrt(
            tau0**2 / (k - p) ** 2 * (2 * f.tr_PDPE(v, v) + 4 * tau2 * f.tr_PDPE(v, None) + 2 * tau2**2 * f.tr_PDPE())
        )
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
        ll_cur = None  # the likelihood at tau2, once computed
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
            if method != "EB" and adj != 0.0:
                # accept a step only if the (restricted) likelihood does not drop; halve it
                # otherwise, so that scoring cannot oscillate or diverge.  Where metafor's plain
                # scoring converges the likelihood rises at every step and the path is the same.
                # (EB is a moment estimator with no likelihood: its fixed point has the PM root
                # as the safeguard below.)
                ll_new = None
                for _h in range(50):
                    keeps = sums.step_keeps_loglik(tau2, tau2 + adj, method) if isinstance(sums, Fused) else None
                    if keeps is None:  # not decided by the bounds (or not the fused route): exactly
                        ll_cur = _loglik(y, v, X, tau2, method, sums) if ll_cur is None else ll_cur
                        ll_new = _loglik(y, v, X, tau2 + adj, method, sums)
                        keeps = ll_new >= ll_cur - 1e-12 * abs(ll_cur)
                    if keeps:
                        break
                    adj /= 2
                    ll_new = None
                ll_cur = ll_new  # the likelihood at the accepted point, when computed
            new = tau2 + adj
            change = abs(new - tau2)
            tau2 = new
            if change < threshold:
                converged = True
                break
        if not converged and con["fallback"]:
            # safeguards: (RE)ML -> the root of the score; EB -> its fixed point, which is the
            # Paule-Mandel root Q(tau^2) = k - p
            root = (
                score_root(y, v, X, method)
                if method != "EB"
                else estimate_tau2(y, v, X, "PM", control={**con, "tol": 1e-13, "maxiter": 1000}).tau2
            )
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
        if (
            method != "EB"
            and tau2 > threshold
            and not (isinstance(sums, Fused) and sums.zero_gap_bound(tau2, method) <= con["tol"])
            and _loglik(y, v, X, 0.0, method, sums) - _loglik(y, v, X, tau2, method, sums) > con["tol"]
        ):
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
            se = np.sqrt(2 * k**2 / (k - p) / sw**2)
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
    if sums is not None or is_intercept_only(X):
        return (sums or _Sums(y, v)).loglik(tau2, method)
    f = wls(y, X, 1 / (v + tau2))
    ll = -0.5 * np.sum(np.log(v + tau2)) - 0.5 * f.rss
    if method == "REML":
        ll += -0.5 * (k - p) * np.log(2 * np.pi) + 0.5 * np.linalg.slogdet(f.M)[1]
    else:
        ll += -0.5 * k * np.log(2 * np.pi)
    return float(ll)
