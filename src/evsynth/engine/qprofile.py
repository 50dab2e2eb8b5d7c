"""Q-profile confidence intervals for tau^2, I^2 and H^2 of a univariate model
(Viechtbauer, 2007; metafor's ``confint`` of an ``rma.uni`` fit): exact roots by safeguarded
Newton (Halley on the fused route) or R's ``uniroot`` with metafor's tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evsynth.errors import InputError, ModelError
from evsynth.engine import estimators as _est
from evsynth.engine.checks import level_percent
from evsynth.engine.estimators import chi2_isf, chi2_ppf, Fused, fused_of, is_intercept_only
from evsynth.engine.linalg import newton_root, r_uniroot, wls
from evsynth.engine.printing import text_table
from evsynth.engine.results import Result

__all__ = ["ConfintResult", "confint_tau2", "METAFOR_TOL"]


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
        """As metafor prints confint() of an rma fit (tau^2, tau, I^2(%), H^2), with a note
        below when a bound was capped at the search ceiling."""
        rows = [
            (self.tau2_est, self.tau2_ci_lb, self.tau2_ci_ub),
            (np.sqrt(self.tau2_est), *self.tau_ci),
            (self.I2_est, self.I2_ci_lb, self.I2_ci_ub),
            (self.H2_est, self.H2_ci_lb, self.H2_ci_ub),
        ]
        cols = [(name, [f"{r[j]:.4f}" for r in rows]) for j, name in enumerate(("estimate", "ci.lb", "ci.ub"))]
        lines = text_table(cols, ["tau^2", "tau", "I^2(%)", "H^2"], gap=1)
        return "\n".join(lines + ([f"Note: {self.note}"] if self.note else []))

    def to_frame(self):
        """One row per parameter (tau2, I2, H2): parameter, estimate, ci_lb, ci_ub."""
        import pandas as pd

        return pd.DataFrame(
            [
                {"parameter": "tau2", "estimate": self.tau2_est, "ci_lb": self.tau2_ci_lb, "ci_ub": self.tau2_ci_ub},
                {"parameter": "I2", "estimate": self.I2_est, "ci_lb": self.I2_ci_lb, "ci_ub": self.I2_ci_ub},
                {"parameter": "H2", "estimate": self.H2_est, "ci_lb": self.H2_ci_lb, "ci_ub": self.H2_ci_ub},
            ]
        )


METAFOR_TOL = np.finfo(float).eps ** 0.25  # metafor's default uniroot tolerance (control = list(tol = ...))


def qprofile_tolerance(tol, control):
    """The root-search setting of ``confint_tau2``/``rma_batch``: None (exact, by Newton) or
    the absolute tolerance of R's ``uniroot`` (``"metafor"``: metafor's default)."""
    if control:
        unknown = set(control) - {"tol", "tau2_max", "tau2.max"}
        if unknown:
            raise InputError(f"unknown confint control setting(s) {', '.join(sorted(unknown))}; allowed: tol, tau2_max")
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
    """Q and D = sum w^2 r^2 = -dQ/dtau^2 from the sums ``S`` of :class:`Fused`."""
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


def confint_tau2(
    fit,
    level: float | None = None,
    *,
    tol: float | str | None = None,
    tau2_max: float | None = None,
    control: dict | None = None,
) -> ConfintResult:
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
        Confidence level: 95 or 0.95 both mean 95 % (default: the fit's).
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
    level = fit.level if level is None else level_percent(level)
    a = 1 - level / 100
    y, v, X = fit.yi, fit.vi, fit.X
    df = fit.k - fit.p
    crit_u = chi2_isf(a / 2, df)  # for the lower bound
    crit_l = chi2_ppf(a / 2, df)  # for the upper bound
    hi = max(100.0, 10 * fit.tau2) if tau2_max is None else float(tau2_max)

    stash = fit.extra.get("_fused_sums") if fit.extra else None
    fused = fused_of(fit)  # the fit's own data rows when it is the latest fused fit
    if fused is None and (stash is not None or fit.k >= _est.FUSED_MIN) and (stash is not None or is_intercept_only(X)):
        fused = Fused(y, v, zero=False)  # (the stash is only made for an intercept-only fit)
        fused._keep_w = False  # (no weights wanted here)
        if stash is not None and stash[0] == fit.tau2 and stash[1] == fused.shift:
            fused._memo[fit.tau2] = stash[2]
    if fused is not None:

        def qd(t, deriv=True):
            return fused.q(t), None
    elif is_intercept_only(X):
        qd = _qd_sums(y, v)
    else:

        def qd(t, deriv=True):
            f = wls(y, X, 1 / (v + t), intercept_only=False)
            return max(f.rss, 0.0), (float(np.sum(f.Py**2)) if deriv else None)

    notes = []
    ends = {}

    def q_at(t):  # Q at the ends of the search interval, computed when first needed
        if t not in ends:
            ends[t] = qd(t, deriv=False)[0]
        return ends[t]

    def ceiling(which):
        # metafor: the bound lies above tau2.max and is reported as tau2.max ("> tau2.max")
        notes.append(
            f"{which} bound of tau^2 lies above the search ceiling tau2_max = {hi:g}; "
            f"reported as the ceiling (the true bound is larger)"
        )
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
        step = (
            _halley_steps(fused.sums(fit.tau2, full=True), fit.tau2, fused.sums, target)
            if fused is not None
            else (lambda t: _inv_q_step(qd_memo(t), target))
        )
        r = newton_root(
            step,
            0.0,
            hi,
            lambda: 1.0 / q_at(0.0) - 1.0 / target,
            lambda: 1.0 / q_at(hi) - 1.0 / target,
            start=start,
            increasing=True,
        )
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
    ub = root(crit_l, "upper")
    lb = root(crit_u, "lower")
    vt = fit.vt

    def i2(t):
        return 100 * t / (vt + t)

    def h2(t):
        return t / vt + 1

    return ConfintResult(
        tau2_est=fit.tau2,
        tau2_ci_lb=float(lb),
        tau2_ci_ub=float(ub),
        I2_est=fit.I2,
        I2_ci_lb=float(i2(lb)),
        I2_ci_ub=float(i2(ub)),
        H2_est=fit.H2,
        H2_ci_lb=float(h2(lb)),
        H2_ci_ub=float(h2(ub)),
        level=level,
        note="; ".join(notes),
    )
