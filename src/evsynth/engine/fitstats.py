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

from evsynth.engine._verbs import records_frame, stat_letter
from evsynth.engine.printing import fmt_p, p_text, text_table
from evsynth.engine.results import Result, coef_block, wald_test
from evsynth.errors import InputError, ModelError

__all__ = ["FitStats", "fitstats", "LRTResult", "WaldResult", "anova", "n_parameters", "r_format"]

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
        return (
            float(np.sum(np.log(d))),
            float(np.sum(r * r / d)),
            float(np.linalg.slogdet(XtWX)[1]),
            float(np.sum(np.log(fit.vi))),
        )
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
        """As metafor prints fitstats(): one column headed REML or ML, the numbers as R prints
        a numeric vector (7 significant digits, common decimals)."""
        vals = [self.logLik, self.deviance, self.AIC, self.BIC, self.AICc]
        return "\n".join(
            text_table(
                [("REML" if self.reml else "ML", r_format(vals))],
                ["logLik:", "deviance:", "AIC:", "BIC:", "AICc:"],
                gap=1,
            )
        )

    def to_frame(self):
        """One row with logLik, deviance, AIC, BIC, AICc (pandas DataFrame)."""
        return records_frame(
            {
                "logLik": self.logLik,
                "deviance": self.deviance,
                "AIC": self.AIC,
                "BIC": self.BIC,
                "AICc": self.AICc,
                "k": self.k,
                "parameters": self.n_par,
                "likelihood": "REML" if self.reml else "ML",
            }
        )


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
        ll = (
            -0.5 * (k - p) * _LOG2PI
            + 0.5 * float(np.linalg.slogdet(fit.X.T @ fit.X)[1])
            - 0.5 * logdet
            - 0.5 * logdet_xwx
            - 0.5 * rvr
        )
        dev = -2 * ll
        n = k - p
    else:
        ll = -0.5 * k * _LOG2PI - 0.5 * logdet - 0.5 * rvr
        sat = -0.5 * k * _LOG2PI - 0.5 * logdet0
        dev = -2 * (ll - sat)
        n = k
    nn = max(n, q + 2)
    return FitStats(
        float(ll),
        float(dev),
        float(-2 * ll + 2 * q),
        float(-2 * ll + q * np.log(n)),
        float(-2 * ll + 2 * q * nn / (nn - q - 1)),
        int(k),
        q,
        bool(reml),
    )


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
    n_par_full: int | None = None
    n_par_reduced: int | None = None
    QE_full: float | None = None
    QE_reduced: float | None = None
    tau2_full: float | None = None
    tau2_reduced: float | None = None
    R2: float | None = None

    def summary(self) -> str:
        """As metafor prints anova(full, reduced): df (parameters), AIC, BIC, AICc, logLik,
        LRT and pval, QE, and for univariate random-effects fits tau^2 and R^2; wrapped at
        80 characters as R prints a wide table."""

        def f4(a, b):
            return [f"{a:.4f}", f"{b:.4f}"]

        npar = [self.n_par_full, self.n_par_reduced] if self.n_par_full is not None else ["", self.df]
        cols = [
            ("df", [str(x) for x in npar]),
            ("AIC", f4(self.AIC_full, self.AIC_reduced)),
            ("BIC", f4(self.BIC_full, self.BIC_reduced)),
            ("AICc", f4(self.AICc_full, self.AICc_reduced)),
            ("logLik", f4(self.logLik_full, self.logLik_reduced)),
            ("LRT", ["", f"{self.LRT:.4f}"]),
            ("pval", ["", fmt_p(self.pval)]),
        ]
        if self.QE_full is not None:
            cols.append(("QE", f4(self.QE_full, self.QE_reduced)))
        if self.tau2_full is not None:
            cols.append(("tau^2", f4(self.tau2_full, self.tau2_reduced)))
        if self.R2 is not None:
            cols.append(("R^2", ["", f"{self.R2:.4f}%"]))
        return "\n".join(_wrapped(cols, ["Full", "Reduced"]))

    def to_frame(self):
        """Two rows (full, reduced) with fit statistics; the test on the reduced row."""
        return records_frame(
            {
                "model": ["full", "reduced"],
                "AIC": [self.AIC_full, self.AIC_reduced],
                "BIC": [self.BIC_full, self.BIC_reduced],
                "AICc": [self.AICc_full, self.AICc_reduced],
                "logLik": [self.logLik_full, self.logLik_reduced],
                "df": [np.nan, self.df],
                "LRT": [np.nan, self.LRT],
                "pval": [np.nan, self.pval],
            }
        )


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
    coef_names: list | None = None

    def hypotheses(self) -> list[str]:
        """Each row of L as metafor writes it ("intrcpt + 10*ablat = 0"), with metafor's
        spelling rules (coefficients rounded to 4 decimals, "1*" dropped, "+ -" as "- ")."""
        names = self.coef_names or [f"b{j + 1}" for j in range(self.L.shape[1])]
        out = []
        for row in self.L:
            z = np.round(row, 4)
            h = " + ".join(f"{_r_number(c)}*{n}" for c, n in zip(z, names) if c != 0)
            out.append(h.replace("1*", "").replace("+ -", "- ") + " = 0")
        return out

    def summary(self) -> str:
        """As metafor prints anova(fit, X = L): the hypotheses, the results table and the
        omnibus test."""
        lab = [f"{i + 1}:" for i in range(len(self.estimate))]
        lines = ["Hypotheses:"] + [f"{a} {h}" for a, h in zip(lab, self.hypotheses())] + ["", "Results:"]
        cols = [
            ("estimate", [f"{x:.4f}" for x in self.estimate]),
            ("se", [f"{x:.4f}" for x in self.se]),
            (stat_letter(self.df) + "val", [f"{x:.4f}" for x in self.stat]),
        ]
        if self.df is not None:
            cols.append(("df", [f"{self.df:g}"] * len(lab)))
        cols.append(("pval", [fmt_p(x) for x in self.pval]))
        lines += text_table(cols, lab, gap=1)
        if self.QM is not None:
            lines += ["", "Omnibus Test of Hypotheses:"]
            if self.df is not None:
                lines.append(f"F(df1 = {self.QMdf}, df2 = {self.df}) = {self.QM:.4f}, p-val {p_text(self.QMp)}")
            else:
                lines.append(f"QM(df = {self.QMdf}) = {self.QM:.4f}, p-val {p_text(self.QMp)}")
        return "\n".join(lines)

    def to_frame(self):
        """One row per contrast; the joint test repeated on every row."""
        return records_frame(
            {
                "contrast": np.arange(1, len(self.estimate) + 1),
                "estimate": self.estimate,
                "se": self.se,
                "stat": self.stat,
                "pval": self.pval,
                "df": self.df,
                "QM": self.QM,
                "QMdf": self.QMdf,
                "QMp": self.QMp,
            }
        )


def _wrapped(cols, rownames, width: int = 80) -> list[str]:
    """A table as R prints a wide data frame: as many columns per block as fit in ``width``."""
    rw = max(len(r) for r in rownames)
    out, block, used = [], [], rw
    for c in cols:
        w = max(len(c[0]), *(len(x) for x in c[1]))
        if block and used + 1 + w > width:
            out += text_table(block, rownames, gap=1)
            block, used = [], rw
        block.append(c)
        used += 1 + w
    return out + (text_table(block, rownames, gap=1) if block else [])


def _r_number(x: float) -> str:
    """A number as R's as.character writes it (15 significant digits, no trailing zeros)."""
    return f"{float(x):.15g}"


def r_format(values) -> list[str]:
    """Numbers as R prints a numeric vector (``digits = 7``): each to at most 7 significant
    digits, all with the decimals the most demanding one needs (trailing zeros kept to
    that common number, as R).

    Parameters
    ----------
    values : sequence of float

    Returns
    -------
    list of str
    """
    dec = 0
    for x in values:
        x = float(x)
        if not np.isfinite(x) or x == 0:
            continue
        e = int(np.floor(np.log10(abs(x))))
        s = f"{abs(x):.{max(0, 6 - e)}f}".rstrip("0")  # 7 significant digits, trailing zeros dropped
        dec = max(dec, len(s.split(".")[1]) if "." in s else 0)
    return [f"{float(x):.{dec}f}" if np.isfinite(x) else "NA" for x in values]


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
        rows = coef_block(
            [f"L{i + 1}" for i in range(Lm.shape[0])],
            Lm @ fit.beta,
            Lm @ fit.vb @ Lm.T,
            dist="t" if small else "z",
            df=df,
            level=fit.level,
        )
        est, se, stat, pval = rows.beta, rows.se, rows.stat, rows.pval
        m = Lm.shape[0]
        QM = QMp = QMdf = None
        if np.linalg.matrix_rank(Lm) == m:  # metafor gives no joint test for dependent rows
            w = wald_test(fit.beta, fit.vb, L=Lm, dist="t" if small else "z", df=df)
            QM, QMp, QMdf = float(w.QM), float(w.QMp), m
        return WaldResult(Lm, est, se, stat, pval, QM, QMdf, QMp, df, int(fit.k), fit.test, list(fit.coef_names))
    if fit.k != reduced.k or not np.allclose(fit.yi, reduced.yi):
        raise ModelError("anova: the two models were not fitted to the same effect sizes")
    if fit.method != reduced.method:
        raise ModelError("anova: the two models were fitted with different estimators")
    reml = fit.method == "REML"
    if reml and (fit.X.shape != reduced.X.shape or not np.allclose(fit.X, reduced.X)):
        raise ModelError(
            "anova: REML fits with different moderators cannot be compared by a likelihood-ratio "
            "test; refit both with method ML"
        )
    fa, fb = fitstats(fit), fitstats(reduced)
    if fa.n_par < fb.n_par:
        fa, fb = fb, fa
    df = fa.n_par - fb.n_par
    if df <= 0:
        raise ModelError("anova: the models have the same number of parameters; they are not nested")
    lrt = max(0.0, 2 * (fa.logLik - fb.logLik))
    full, red = (fit, reduced) if fitstats(fit).n_par >= fitstats(reduced).n_par else (reduced, fit)
    uni_re = not _is_mv(full) and full.method not in ("EE", "FE")
    r2 = None
    if uni_re and full.tau2 is not None and red.tau2 > 0 and full.p > red.p:
        r2 = max(0.0, 100 * (red.tau2 - full.tau2) / red.tau2)
    return LRTResult(
        float(lrt),
        int(df),
        float(stats.chi2.sf(lrt, df)),
        fa.logLik,
        fb.logLik,
        fa.AIC,
        fb.AIC,
        fa.BIC,
        fb.BIC,
        fa.AICc,
        fb.AICc,
        int(fit.k),
        reml,
        fa.n_par,
        fb.n_par,
        float(full.QE),
        float(red.QE),
        float(full.tau2) if uni_re else None,
        float(red.tau2) if uni_re else None,
        r2,
    )
