"""Step-function selection models (Vevea & Hedges, 1995), metafor's
``selmodel(fit, type = "stepfun", steps = ...)``.

The likelihood of each effect size is its normal density under the (mixed-effects) model,
weighted by the selection weight of the p-value interval it falls in and divided by the
weighted probability of all intervals; weights are relative to the first interval (fixed at
1).  p-values are one-sided (H1: effect > 0).  Maximum likelihood by quasi-Newton with a
Nelder-Mead polish; standard errors from a numerical Hessian.  O(k) per evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from evsynth.engine.checks import level_percent

from evsynth.engine.rma_uni import rma
from evsynth.engine.printing import SIGNIF_LEGEND, fmt_p, p_text, signif_stars, text_table
from evsynth.engine.results import Coefs, HasCoefs, Heterogeneity, Result, coef_block
from evsynth.errors import InputError, ModelError

__all__ = ["SelmodelResult", "selmodel"]


@dataclass(eq=False)
class SelmodelResult(HasCoefs, Result):
    """A fitted step-function selection model: the coefficient block ``coefs`` (Wald z
    tests; ``beta``, ``se`` ... read from it), tau^2 with its standard error and Wald interval,
    the selection weights with theirs (the first weight is fixed at 1: NaN), and the LRT."""

    coefs: Coefs
    tau2: float
    delta: np.ndarray
    steps: np.ndarray
    LRT: float
    LRTp: float
    LRTdf: int
    logLik: float
    k: int
    k_per_interval: np.ndarray
    level: float
    se_tau2: float = np.nan
    tau2_ci_lb: float = np.nan
    tau2_ci_ub: float = np.nan
    se_delta: np.ndarray | None = None
    delta_zval: np.ndarray | None = None
    delta_pval: np.ndarray | None = None
    delta_ci_lb: np.ndarray | None = None
    delta_ci_ub: np.ndarray | None = None
    het_LRT: float | None = None  # the likelihood-ratio test of tau^2 = 0 under the selection model
    het_LRTp: float | None = None

    def summary(self) -> str:
        """As metafor prints a step-function selection model: the model with its tau^2 and the
        likelihood-ratio test of tau^2 = 0, the coefficients, the test of the selection
        parameters and the table of the selection weights (the first fixed: ---)."""
        p = len(self.beta)
        ee = self.het_LRT is None
        if ee:
            kind = f"{'Equal-Effects Model' if p == 1 else 'Fixed-Effects with Moderators Model'} (k = {self.k})"
        else:
            kind = f"{'Random-Effects Model' if p == 1 else 'Mixed-Effects Model'} (k = {self.k}; tau^2 estimator: ML)"
        lines = [kind, ""]
        if not ee:
            het = Heterogeneity(
                QE=np.nan,
                QEdf=1,
                QEp=np.nan,
                tau2=self.tau2,
                se_tau2=None if np.isnan(self.se_tau2) else self.se_tau2,
                residual=p > 1,
            )
            lines += het.format_lines()[:2] + [
                "",
                f"Test for {'Residual ' if p > 1 else ''}Heterogeneity:",
                f"LRT(df = 1) = {self.het_LRT:.4f}, p-val {p_text(self.het_LRTp)}",
                "",
            ]
        lines += ["Model Results:", ""] + self.coefs.format_rows() + [""]
        lines += [
            "Test for Selection Model Parameters:",
            f"LRT(df = {self.LRTdf}) = {self.LRT:.4f}, p-val {p_text(self.LRTp)}",
            "",
            "Selection Model Results:",
            "",
        ]
        lows = np.concatenate([[0.0], self.steps[:-1]])
        lw = max(len(f"{x:g}") for x in lows)
        labels = [f"{f'{lo:g}':<{lw}s} < p <= {hi:g}" for lo, hi in zip(lows, self.steps)]
        se = np.full(self.delta.size, np.nan) if self.se_delta is None else self.se_delta

        def cells(arr, fmt_one):
            return ["---" if j == 0 else fmt_one(arr[j]) for j in range(self.delta.size)]

        cols = [
            ("k", [str(int(c)) for c in self.k_per_interval]),
            ("estimate", [f"{d:.4f}" for d in self.delta]),
            ("se", cells(se, lambda x: f"{x:.4f}")),
            ("zval", cells(self.delta_zval, lambda x: f"{x:.4f}")),
            ("pval", cells(self.delta_pval, fmt_p)),
            ("ci.lb", cells(self.delta_ci_lb, lambda x: f"{x:.4f}")),
            ("ci.ub", cells(self.delta_ci_ub, lambda x: f"{x:.4f}")),
            ("", ["" if j == 0 else signif_stars(self.delta_pval[j]) for j in range(self.delta.size)]),
        ]
        lines += text_table(cols, labels) + [""] + SIGNIF_LEGEND
        return "\n".join(lines)

    def to_frame(self):
        """The coefficient table (pandas DataFrame); tau^2 and LRT repeated per row."""
        frame = self.coefs.to_frame()
        frame["tau2"], frame["se_tau2"], frame["LRT"], frame["LRTp"] = self.tau2, self.se_tau2, self.LRT, self.LRTp
        return frame


def _loglik(beta, tau2, delta, y, v, X, cuts, grp):
    yhat = X @ beta
    s = np.sqrt(v + tau2)
    # P(y > c_j) for each cut point (columns), c_j = z_{1 - step_j} sqrt(v)
    tail = stats.norm.sf((cuts - yhat[:, None]) / s[:, None])  # (k, N-1)
    probs = np.empty((y.size, cuts.shape[1] + 1))
    probs[:, 0] = tail[:, 0]
    if cuts.shape[1] > 1:
        probs[:, 1:-1] = tail[:, 1:] - tail[:, :-1]
    probs[:, -1] = 1 - tail[:, -1]
    A = probs @ delta
    if np.any(A <= 0):
        return -np.inf
    return float(np.sum(np.log(delta[grp]) + stats.norm.logpdf(y, yhat, s) - np.log(A)))


def _hessian(f, x, rel: float = 1e-4):
    """Central-difference Hessian of f at x (steps 1e-4 relative: truncation error of order
    1e-8 relative, rounding error of order eps |f| / h^2)."""
    n = x.size
    h = rel * np.maximum(np.abs(x), 1e-2)
    H = np.empty((n, n))
    f0 = f(x)
    for i in range(n):
        ei = np.zeros(n)
        ei[i] = h[i]
        H[i, i] = (f(x + ei) - 2 * f0 + f(x - ei)) / h[i] ** 2
        for j in range(i + 1, n):
            ej = np.zeros(n)
            ej[j] = h[j]
            H[i, j] = H[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h[i] * h[j])
    return H


def selmodel(fit, type: str = "stepfun", steps=None, *, level: float | None = None) -> SelmodelResult:
    """Step-function selection model for a :func:`rma` fit (metafor's ``selmodel`` with
    ``type = "stepfun"``).

    Parameters
    ----------
    fit : RMAResult
        The unadjusted model; a REML (or other random-effects) fit is refitted by ML first,
        an equal-effects fit keeps tau^2 = 0.
    type : {"stepfun"}
        The selection function (metafor's ``type``); the step function is the one evsynth
        fits (metafor's beta, halfnorm, negexp, logistic, power types are not available).
    steps : sequence of float
        The one-sided p-value cut points (1 is added as the last bound).
    level : float, optional
        Confidence level: 95 or 0.95 both mean 95 % (default: the fit's).

    Returns
    -------
    SelmodelResult
        ML estimates under selection: coefficients with Wald tests (z), tau^2, the
        selection weights ``delta`` (first fixed at 1), and the likelihood-ratio test of
        ``delta = 1`` against the unadjusted ML fit (df = number of steps).  Standard errors
        (``se``, ``se_tau2``, ``se_delta``) from the inverse Hessian of -logLik in (beta, tau^2,
        delta[2:]) as metafor; Wald intervals, bounded below by 0 for tau^2 and the weights,
        and z tests of ``delta = 1``.  With tau^2 at the boundary (below 1e-6) tau^2 is left
        out of the Hessian and ``se_tau2`` is NaN (metafor differentiates at the clipped
        boundary there).

    References
    ----------
    Vevea, J. L., & Hedges, L. V. (1995). A general linear model for estimating effect size in
    the presence of publication bias. Psychometrika, 60(3), 419-435.
    """
    if str(type).lower() != "stepfun":
        raise InputError(f"selmodel: type {type!r} is not available; evsynth fits type='stepfun' (give steps=)")
    if steps is None:
        raise InputError("selmodel: type='stepfun' needs steps (the one-sided p-value cut points)")
    level = fit.level if level is None else level_percent(level)
    if hasattr(fit, "sigma2"):
        raise ModelError("selmodel is available for univariate (rma) fits only")
    try:
        st = np.unique(np.asarray(steps, dtype=float))
    except (TypeError, ValueError):
        raise InputError(f"selmodel: steps must be p-values in (0, 1], got {steps!r}") from None
    if st.size == 0 or np.any((st <= 0) | (st > 1)):
        raise InputError("selmodel: steps must be p-values in (0, 1]")
    if st[-1] != 1:
        st = np.append(st, 1.0)
    y, v, X = fit.yi, fit.vi, fit.X
    k, p = X.shape
    ee = fit.method in ("EE", "FE")
    base = rma(y, v, X, intercept=False, method="EE" if ee else "ML", coef_names=fit.coef_names, compute_r2=False)
    pv = stats.norm.sf(y / np.sqrt(v))
    grp = np.searchsorted(st, pv, side="left")
    grp = np.minimum(grp, st.size - 1)
    counts = np.bincount(grp, minlength=st.size)
    if np.any(counts == 0):
        raise ModelError(
            "selmodel: one or more p-value intervals contain no effect sizes "
            f"(counts per interval: {', '.join(str(c) for c in counts)}); choose other steps"
        )
    cuts = stats.norm.isf(st[:-1])[None, :] * np.sqrt(v)[:, None]
    nd = st.size - 1

    def unpack(th):
        beta = th[:p]
        tau2 = 0.0 if ee else float(np.exp(th[p]))
        if tau2 < 10 * np.finfo(float).eps:
            tau2 = 0.0
        delta = np.concatenate([[1.0], np.exp(th[p + (0 if ee else 1) :])])
        return beta, tau2, delta

    def nll(th):
        b, t2, d = unpack(th)
        val = _loglik(b, t2, d, y, v, X, cuts, grp)
        return -val if np.isfinite(val) else 1e300

    th0 = np.concatenate([base.beta, [] if ee else [np.log(base.tau2 + 0.001)], np.zeros(nd)])
    r1 = optimize.minimize(nll, th0, method="BFGS", options={"gtol": 1e-10, "maxiter": 5000})
    th = r1.x
    # BFGS status 2 (precision loss near the optimum: the gradient is only as exact as the
    # finite differences, which for large k limits gtol) is accepted; a polish by Nelder-Mead
    # (and BFGS again) only when BFGS stopped for another reason (iterations, non-finite values)
    if not r1.success and r1.status != 2:
        r2 = optimize.minimize(
            nll, r1.x, method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-15, "maxiter": 40000, "maxfev": 80000}
        )
        th = r2.x if r2.fun <= r1.fun else r1.x
        r3 = optimize.minimize(nll, th, method="BFGS", options={"gtol": 1e-12, "maxiter": 5000})
        if r3.fun < nll(th):
            th = r3.x
    beta, tau2, delta = unpack(th)
    ll = -nll(th)

    # Hessian of -logLik in the untransformed parameters (beta, tau2, delta[2:]); tau2 is
    # left out when it sits at the boundary 0 (as a fixed value)
    with_tau2 = (not ee) and tau2 > 1e-6

    def nll_raw(par):
        b = par[:p]
        t2 = par[p] if with_tau2 else tau2
        d = np.concatenate([[1.0], par[p + (1 if with_tau2 else 0) :]])
        if t2 < 0 or np.any(d <= 0):
            return 1e300
        return -_loglik(b, t2, d, y, v, X, cuts, grp)

    par = np.concatenate([beta, [tau2] if with_tau2 else [], delta[1:]])
    H = _hessian(nll_raw, par)
    try:
        cov = np.linalg.inv(H)
    except np.linalg.LinAlgError:
        cov = np.full_like(H, np.nan)
    coefs = coef_block(fit.coef_names, beta, cov[:p, :p], dist="z", level=level)
    het_lrt = het_p = None
    if not ee:  # tau^2 = 0 under the selection model: beta and the weights re-estimated

        def nll0(th0):
            val = _loglik(th0[:p], 0.0, np.concatenate([[1.0], np.exp(th0[p:])]), y, v, X, cuts, grp)
            return -val if np.isfinite(val) else 1e300

        start = np.concatenate([beta, np.log(delta[1:])])
        r0 = optimize.minimize(nll0, start, method="BFGS", options={"gtol": 1e-10, "maxiter": 5000})
        if not r0.success and r0.status != 2:  # (as the full fit: precision loss at the optimum accepted)
            r0 = optimize.minimize(nll0, r0.x, method="Powell", options={"xtol": 1e-10, "ftol": 1e-14})
        het_lrt = max(0.0, 2 * (ll + r0.fun))
        het_p = float(stats.chi2.sf(het_lrt, 1))
    ll0 = _loglik(base.beta, 0.0 if ee else base.tau2, np.ones(st.size), y, v, X, cuts, grp)
    lrt = max(0.0, 2 * (ll - ll0))
    crit = float(stats.norm.isf((1 - level / 100) / 2))
    se_tau2 = float(np.sqrt(cov[p, p])) if with_tau2 else np.nan
    nd_cov = np.diag(cov)[p + (1 if with_tau2 else 0) :]
    se_delta = np.concatenate([[np.nan], np.sqrt(nd_cov)])
    z_delta = (delta - 1) / se_delta
    return SelmodelResult(
        coefs,
        float(tau2),
        delta,
        st,
        float(lrt),
        float(stats.chi2.sf(lrt, nd)),
        nd,
        float(ll),
        k,
        counts,
        float(level),
        se_tau2=se_tau2,
        tau2_ci_lb=max(tau2 - crit * se_tau2, 0.0),
        tau2_ci_ub=tau2 + crit * se_tau2,
        se_delta=se_delta,
        delta_zval=z_delta,
        delta_pval=2 * stats.norm.sf(np.abs(z_delta)),
        delta_ci_lb=np.maximum(delta - crit * se_delta, 0.0),
        delta_ci_ub=delta + crit * se_delta,
        het_LRT=het_lrt,
        het_LRTp=het_p,
    )
