"""Profile-likelihood confidence intervals for the variance components of a multilevel fit
(metafor's ``confint`` for ``rma.mv``): each sigma^2 and, with a CS/HCS struct, each tau^2 and
rho, the other components re-estimated at every profile point."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from evsynth.engine.checks import level_percent
from evsynth.engine._verbs import fmt, records_frame
from evsynth.engine.linalg import r_uniroot
from evsynth.engine.results import Result
from evsynth.errors import ConvergenceError, InputError, ModelError

__all__ = ["ConfintMVResult", "confint_mv"]


@dataclass(eq=False)
class ConfintMVResult(Result):
    """Profile-likelihood confidence intervals for the variance components (sigma^2; tau^2
    and rho of a struct), one entry per name in ``names``."""

    sigma2_est: np.ndarray
    sigma2_ci_lb: np.ndarray
    sigma2_ci_ub: np.ndarray
    names: list
    level: float
    notes: list

    def summary(self) -> str:
        lines = [
            f"Profile-likelihood confidence intervals ({self.level:g}%)",
            f"{'':14s} {'estimate':>9s} {'ci.lb':>9s} {'ci.ub':>9s}",
        ]
        for n, e, lb, ub in zip(self.names, self.sigma2_est, self.sigma2_ci_lb, self.sigma2_ci_ub):
            label = n if n.startswith(("tau^2", "rho")) else "sigma^2 " + n
            lines.append(f"{label[:14]:14s} {fmt(e):>9s} {fmt(lb):>9s} {fmt(ub):>9s}")
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_frame(self):
        """One row per variance component (pandas DataFrame)."""
        return records_frame(
            {
                "component": self.names,
                "estimate": self.sigma2_est,
                "ci_lb": self.sigma2_ci_lb,
                "ci_ub": self.sigma2_ci_ub,
            }
        )


class _ProfileFailed(Exception):
    """A profile point whose refit failed (it ends that bound's search only)."""


def _profile_bounds(prof, est: float, lo: float, hi: float, tol: float, name: str, notes: list):
    """Bounds where the profile criterion crosses 0 on [lo, est] and [est, hi] (metafor's
    search: a bound at the end of the range when the criterion is still negative there).
    A refit that fails at a profile point makes that bound NaN, with a warning and a note;
    the other bound and the other components are still searched."""

    def one(which, search):
        try:
            return search()
        except _ProfileFailed as exc:
            msg = f"{which} bound of {name} is NaN: the refit failed at the profile point {exc}"
            warnings.warn(f"confint_mv: {msg}", RuntimeWarning, stacklevel=3)
            notes.append(msg)
            return np.nan

    lb = one("lower", lambda: lo if prof(lo) < 0 else r_uniroot(prof, lo, est, tol=tol, maxiter=1000))
    hi_in = [False]

    def upper():
        hi_in[0] = prof(hi) < 0
        return hi if hi_in[0] else r_uniroot(prof, est, hi, tol=tol, maxiter=1000)

    ub = one("upper", upper)
    return lb, ub, hi_in[0]


def confint_mv(fit, level: float = 95.0, *, tol: float = 1e-10) -> ConfintMVResult:
    """Profile-likelihood confidence intervals for the variance components of a
    multilevel fit (metafor's ``confint`` for ``rma.mv``): each sigma^2 and, with a CS/HCS
    struct, each tau^2 and rho.

    Each bound is where ``2 (logLik_max - logLik_profile(theta)) = chi2_{1, level}``, the
    other components re-estimated at each value.  A bound at 0 (at -1 or 1 for rho): the
    profile does not cross the cut-off inside the range.  The search for the upper bound
    of a variance stops at ``max(10, 100 theta)`` (metafor's ``vc.max``); a bound beyond it is
    reported as that ceiling with a note.  A refit that fails at a profile point (no
    convergence, a singular matrix) makes that one bound NaN with a ``RuntimeWarning`` and a
    note; the other bounds are still searched.

    Parameters
    ----------
    fit : RMAMVResult
        A multilevel fit.
    level : float
        Confidence level: 95 or 0.95 both mean 95 % (as metafor).
    tol : float
        Tolerance of the root search on each bound.

    Returns
    -------
    ConfintMVResult
        ``sigma2_est``, ``sigma2_ci_lb``, ``sigma2_ci_ub``: one entry per component named in
        ``names`` (the sigma^2 components, then ``tau^2`` (CS) or ``tau^2.1`` ... (HCS) and
        ``rho`` of a struct), and notes.

    References
    ----------
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48.
    """
    level = level_percent(level)
    if not hasattr(fit, "refit"):
        raise InputError("confint_mv needs a multilevel fit (rma_mv)")
    cut = float(stats.chi2.isf(1 - level / 100, 1))
    ll_max = fit.ll
    L = len(fit.sigma2)
    comps = []  # (name, estimate, profile refit of a value, range low, range high or None)
    for l in range(L):

        def refit_s(val, l=l):
            fixed = np.full(L, np.nan)
            fixed[l] = val
            return fit.refit(None, sigma2_fixed=fixed)

        comps.append((f"{fit.s_names[l]}", float(fit.sigma2[l]), refit_s, 0.0, None))
    if fit.struct_type is not None:
        t2 = np.atleast_1d(np.asarray(fit.struct_tau2, float))
        for j, est in enumerate(t2):

            def refit_t(val, j=j, n=t2.size):
                fixed = np.full(n, np.nan)
                fixed[j] = val
                return fit.refit(None, struct_fixed={"tau2": fixed})

            comps.append(("tau^2" if t2.size == 1 else f"tau^2.{j + 1}", float(est), refit_t, 0.0, None))
        comps.append(("rho", float(fit.struct_rho), lambda val: fit.refit(None, struct_fixed={"rho": val}), -1.0, 1.0))
    names, est_all, lb, ub, notes = [], [], [], [], []
    for name, est, refit, lo, hi in comps:

        def prof(val, refit=refit):
            try:
                ll = refit(val).ll
            except (ConvergenceError, ModelError, np.linalg.LinAlgError, FloatingPointError) as exc:
                raise _ProfileFailed(f"{val:.6g} ({exc})") from None
            if not np.isfinite(ll):
                raise _ProfileFailed(f"{val:.6g} (log-likelihood {ll})")
            return 2 * (ll_max - ll) - cut

        ceiling = hi is None
        if ceiling:
            hi = 10.0 if est <= np.sqrt(np.finfo(float).eps) else max(10.0, est * 100)
        label = name if name.startswith(("tau^2", "rho")) else "sigma^2 " + name
        a, b, hi_in = _profile_bounds(prof, est, lo, hi, tol, label, notes)
        if hi_in and ceiling:
            notes.append(f"upper bound of {label} lies above the search ceiling {hi:g}")
        names.append(name)
        est_all.append(est)
        lb.append(a)
        ub.append(b)
    return ConfintMVResult(
        np.asarray(est_all, float), np.asarray(lb, float), np.asarray(ub, float), names, level, notes
    )
