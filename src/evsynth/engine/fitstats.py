"""Fit statistics and model comparison: metafor's ``fitstats``/``logLik``, ``anova(fit1,
fit2)`` (likelihood-ratio test of nested models) and ``anova(fit, X = L)`` (Wald tests of
linear contrasts).

The log-likelihoods are computed from the fit's data and fitted marginal covariance
block by block (diagonal for univariate fits, per-cluster blocks for multilevel fits):
O(k) for bounded cluster sizes, no k x k matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from evsynth.engine._verbs import fmt, fmt_p, records_frame, stat_letter
from evsynth.engine.results import Result, coef_block, p_text, wald_test
from evsynth.errors import InputError, ModelError

__all__ = ["FitStats", "fitstats", "LRTResult", "WaldResult", "anova", "n_parameters"]

_LOG2PI = float(np.log(2 * np.pi))


def _is_mv(fit) -> bool:
    return hasattr(fit, "marginal_blocks")


def n_parameters(fit) -> int:
    """Coefficients plus estimated variance components (metafor's ``parms``).

    Parameters
    ----------
    fit : RMAResult or RMAMVResult
        A fitted model.

    Returns
    -------
    int
        p plus the number of estimated variance components.
    """
    if _is_mv(fit):
        return int(fit.p + getattr(fit, "n_vc", len(np.atleast_1d(fit.sigma2))))
    return int(fit.p + (0 if fit.method in ("EE", "FE") else 1))


def _pieces(fit):
    """(logdet V, r' V^-1 r, logdet X'V^-1X, logdet V0) at the fitted variance components;
    V0 is the sampling covariance alone (for the saturated log-likelihood)."""
    X, y, b = fit.X, fit.yi, fit.beta
    p = X.shape[1]
    if not _is_mv(fit):
        d = fit.vi + fit.tau2
        r = y - X @ b
        XtWX = (X / d[:, None]).T @ X
        return (float(np.sum(np.log(d))), float(np.sum(r * r / d)), float(np.linalg.slogdet(XtWX)[1]),
                float(np.sum(np.log(fit.vi))))
    logdet = rvr = logdet0 = 0.0
    XtWX = np.zeros((p, p))
    for rows, V in fit.marginal_blocks():
        C = np.linalg.cholesky(V)
        logdet += 2 * float(np.sum(np.log(np.einsum("bii->bi", C))))
        r = y[rows] - X[rows] @ b
        z = np.linalg.solve(C, r[..., None])[..., 0]
        rvr += float(np.sum(z * z))
        Z = np.linalg.solve(C, X[rows])
        XtWX += np.einsum("bnp,bnq->pq", Z, Z)
        V0 = fit.sampling_blocks(rows) if hasattr(fit, "sampling_blocks") else None
        if V0 is None:
            logdet0 += float(np.sum(np.log(fit.vi[rows])))
        else:
            logdet0 += float(np.sum(np.linalg.slogdet(V0)[1]))
    return logdet, rvr, float(np.linalg.slogdet(XtWX)[1]), logdet0


@dataclass(eq=False)
class FitStats(Result):
    """Log-likelihood, deviance, AIC, BIC and AICc of a fit (metafor's ``fitstats``)."""

    logLik: float
    deviance: float
    AIC: float
    BIC: float
    AICc: float
    k: int
    n_par: int
    reml: bool

    def summary(self) -> str:
        kind = "REML" if self.reml else "ML"
        return "\n".join([f"Fit statistics ({kind}; k = {self.k}, parameters = {self.n_par})",
                          f"logLik:   {fmt(self.logLik)}", f"deviance: {fmt(self.deviance)}",
                          f"AIC:      {fmt(self.AIC)}", f"BIC:      {fmt(self.BIC)}", f"AICc:     {fmt(self.AICc)}"])

    def to_frame(self):
        """One row with logLik, deviance, AIC, BIC, AICc (pandas DataFrame)."""
        return records_frame({"logLik": self.logLik, "deviance": self.deviance, "AIC": self.AIC,
                              "BIC": self.BIC, "AICc": self.AICc, "k": self.k, "parameters": self.n_par,
                              "likelihood": "REML" if self.reml else "ML"})


def fitstats(fit, *, reml: bool | None = None) -> FitStats:
    """Log-likelihood, deviance, AIC, BIC and AICc of a :func:`rma` or :func:`rma_mv` fit.

    Parameters
    ----------
    fit : RMAResult or RMAMVResult
        The fitted model.
    reml : bool, optional
        Restricted (True) or full (False) likelihood; default: REML for REML fits, else ML
        (as metafor).

    Returns
    -------
    FitStats
        As metafor's ``fitstats(fit)``: the restricted log-likelihood includes
        ``+1/2 log det(X'X) - 1/2 (k - p) log(2 pi)``, its deviance is ``-2 logLik`` and
        BIC/AICc use ``n = k - p``; the ML deviance is ``-2 (logLik - saturated logLik)``.

    References
    ----------
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48.
    """
    if reml is None:
        reml = fit.method == "REML"
    k, p = fit.X.shape
    logdet, rvr, logdet_xwx, logdet0 = _pieces(fit)
    q = n_parameters(fit)
    if reml:
        ll = (-0.5 * (k - p) * _LOG2PI + 0.5 * float(np.linalg.slogdet(fit.X.T @ fit.X)[1])
              - 0.5 * logdet - 0.5 * logdet_xwx - 0.5 * rvr)
        dev = -2 * ll
        n = k - p
    else:
        ll = -0.5 * k * _LOG2PI - 0.5 * logdet - 0.5 * rvr
        sat = -0.5 * k * _LOG2PI - 0.5 * logdet0
        dev = -2 * (ll - sat)
        n = k
    nn = max(n, q + 2)
    return FitStats(float(ll), float(dev), float(-2 * ll + 2 * q), float(-2 * ll + q * np.log(n)),
                    float(-2 * ll + 2 * q * nn / (nn - q - 1)), int(k), q, bool(reml))


@dataclass(eq=False)
class LRTResult(Result):
    """Likelihood-ratio test of a full against a reduced (nested) model."""

    LRT: float
    df: int
    pval: float
    logLik_full: float
    logLik_reduced: float
    AIC_full: float
    AIC_reduced: float
    BIC_full: float
    BIC_reduced: float
    AICc_full: float
    AICc_reduced: float
    k: int
    reml: bool

    def summary(self) -> str:
        lines = [f"{'':8s} {'df':>3s} {'AIC':>9s} {'BIC':>9s} {'AICc':>9s} {'logLik':>9s} {'LRT':>8s} {'pval':>8s}"]
        lines.append(f"{'Full':8s} {'':>3s} {self.AIC_full:9.4f} {self.BIC_full:9.4f} {self.AICc_full:9.4f} "
                     f"{self.logLik_full:9.4f}")
        lines.append(f"{'Reduced':8s} {self.df:3d} {self.AIC_reduced:9.4f} {self.BIC_reduced:9.4f} "
                     f"{self.AICc_reduced:9.4f} {self.logLik_reduced:9.4f} {self.LRT:8.4f} {fmt_p(self.pval):>8s}")
        return "\n".join(lines)

    def to_frame(self):
        """Two rows (full, reduced) with fit statistics; the test on the reduced row."""
        return records_frame({"model": ["full", "reduced"], "AIC": [self.AIC_full, self.AIC_reduced],
                              "BIC": [self.BIC_full, self.BIC_reduced], "AICc": [self.AICc_full, self.AICc_reduced],
                              "logLik": [self.logLik_full, self.logLik_reduced], "df": [np.nan, self.df],
                              "LRT": [np.nan, self.LRT], "pval": [np.nan, self.pval]})


@dataclass(eq=False)
class WaldResult(Result):
    """Wald tests of linear combinations ``L beta`` (one per row of L) and their joint test."""

    L: np.ndarray
    estimate: np.ndarray
    se: np.ndarray
    stat: np.ndarray
    pval: np.ndarray
    QM: float | None
    QMdf: int | None
    QMp: float | None
    df: int | None
    k: int
    test: str

    def summary(self) -> str:
        sname = stat_letter(self.df) + "val"
        lines = ["Hypotheses:", ""]
        lines.append(f"{'':4s} {'estimate':>9s} {'se':>8s} {sname:>8s} {'pval':>8s}")
        for i in range(len(self.estimate)):
            lines.append(f"{i + 1:<4d} {self.estimate[i]:9.4f} {self.se[i]:8.4f} {self.stat[i]:8.4f} "
                         f"{fmt_p(self.pval[i]):>8s}")
        if self.QM is not None:
            lines.append("")
            if self.df is not None:
                lines.append(f"Omnibus Test of Hypotheses: F(df1 = {self.QMdf}, df2 = {self.df}) = {self.QM:.4f}, "
                             f"p-val {p_text(self.QMp)}")
            else:
                lines.append(f"Omnibus Test of Hypotheses: QM(df = {self.QMdf}) = {self.QM:.4f}, p-val {p_text(self.QMp)}")
        return "\n".join(lines)

    def to_frame(self):
        """One row per contrast; the joint test repeated on every row."""
        return records_frame({"contrast": np.arange(1, len(self.estimate) + 1), "estimate": self.estimate,
                              "se": self.se, "stat": self.stat, "pval": self.pval, "df": self.df,
                              "QM": self.QM, "QMdf": self.QMdf, "QMp": self.QMp})


def _small_sample(fit) -> bool:
    return fit.test in ("knha", "t")


def anova(fit, reduced=None, *, L=None):
    """Compare nested models by a likelihood-ratio test, or test linear contrasts.

    Parameters
    ----------
    fit : RMAResult or RMAMVResult
        The full model.
    reduced : RMAResult or RMAMVResult, optional
        A reduced model fitted to the same effect sizes with the same estimator (ML
        fits differing in moderators; REML fits with the same moderators differing in
        their random structure).  Gives an :class:`LRTResult` (metafor's ``anova(fit, reduced)``).
    L : array_like, optional
        Contrast matrix (m x p, one weight per coefficient).  Gives a :class:`WaldResult`
        (metafor's ``anova(fit, X = L)``): per row ``L b``, its se and z (t with k - p
        df under Knapp-Hartung / t); jointly QM = (Lb)'(L V L')^-1 (Lb) on m df (F = QM/m
        under Knapp-Hartung / t), not given when the rows of L are linearly dependent.

    Returns
    -------
    LRTResult or WaldResult
        The likelihood-ratio test with both models' fit statistics, or the per-row and
        joint Wald tests of the contrasts.

    References
    ----------
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48.
    """
    if (reduced is None) == (L is None):
        raise InputError("anova: give either a reduced model (likelihood-ratio test) or a contrast matrix L")
    for name, obj in (("fit", fit), ("reduced", reduced)):
        if obj is not None and not (hasattr(obj, "coefs") and hasattr(obj, "k")):
            raise InputError(f"anova: {name} must be a fitted model (rma or rma_mv), got {type(obj).__name__}")
    if L is not None:
        Lm = np.atleast_2d(np.asarray(L, dtype=float))
        if Lm.shape[1] != fit.p:
            raise InputError(f"anova: L has {Lm.shape[1]} column(s) but the model has {fit.p} coefficient(s)")
        small = _small_sample(fit)
        df = int(fit.k - fit.p) if small else None
        rows = coef_block([f"L{i + 1}" for i in range(Lm.shape[0])], Lm @ fit.beta, Lm @ fit.vb @ Lm.T,
                          dist="t" if small else "z", df=df, level=fit.level)
        est, se, stat, pval = rows.beta, rows.se, rows.stat, rows.pval
        m = Lm.shape[0]
        QM = QMp = QMdf = None
        if np.linalg.matrix_rank(Lm) == m:  # metafor gives no joint test for dependent rows
            w = wald_test(fit.beta, fit.vb, L=Lm, dist="t" if small else "z", df=df)
            QM, QMp, QMdf = float(w.QM), float(w.QMp), m
        return WaldResult(Lm, est, se, stat, pval, QM, QMdf, QMp, df, int(fit.k), fit.test)
    if fit.k != reduced.k or not np.allclose(fit.yi, reduced.yi):
        raise ModelError("anova: the two models were not fitted to the same effect sizes")
    if fit.method != reduced.method:
        raise ModelError("anova: the two models were fitted with different estimators")
    reml = fit.method == "REML"
    if reml and (fit.X.shape != reduced.X.shape or not np.allclose(fit.X, reduced.X)):
        raise ModelError("anova: REML fits with different moderators cannot be compared by a likelihood-ratio "
                         "test; refit both with method ML")
    fa, fb = fitstats(fit), fitstats(reduced)
    if fa.n_par < fb.n_par:
        fa, fb = fb, fa
    df = fa.n_par - fb.n_par
    if df <= 0:
        raise ModelError("anova: the models have the same number of parameters; they are not nested")
    lrt = max(0.0, 2 * (fa.logLik - fb.logLik))
    return LRTResult(float(lrt), int(df), float(stats.chi2.sf(lrt, df)), fa.logLik, fb.logLik, fa.AIC, fb.AIC,
                     fa.BIC, fb.BIC, fa.AICc, fb.AICc, int(fit.k), reml)
