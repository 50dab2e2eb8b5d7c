"""The results protocol every fit and diagnostic of the engine follows.

* :class:`Result` -- the base: named fields, ``summary()`` (metafor-style text, also
  ``str(result)``) and ``to_frame()`` (a tidy :class:`pandas.DataFrame`, like metafor's
  ``as.data.frame`` methods; pandas is imported inside ``to_frame()`` only).
* :class:`Coefs` -- the coefficient block shared by every fit (names, beta, se, stat,
  pval, ci_lb, ci_ub, vb, the reference distribution ``dist`` -- ``"z"`` or ``"t"`` --
  its degrees of freedom and the confidence level), built by :func:`coef_block`.
* :func:`wald_test` -- the one omnibus (QM) / F test of a set of coefficients or of a
  contrast matrix, used by every model; it stops with a :class:`ModelError` when the
  covariance matrix of the tested coefficients is singular.
* :class:`Fitted` / :class:`FitResult` -- what every fit offers: metafor's field names read
  from ``coefs`` and ``wald`` (``beta``, ``se``, ``QM`` ...), ``predict()`` (a
  :class:`Prediction`), ``anova()``, ``to_frame()``, ``model_weights()`` and the class flag
  ``multilevel``.  ``RMAResult``, ``RMAMVResult`` derive from FitResult; ``RobustResult``
  derives from Fitted and wraps the fit it came from.  :class:`HasCoefs` (the metafor
  names read from ``coefs``) also serves the selection model and the batch of fits.
* metafor's number formatting and the shared printout are in :mod:`evsynth.engine.printing`.

A new model: a ``@dataclass(eq=False, kw_only=True)`` subclass of FitResult whose fitting
function builds ``coefs = coef_block(...)`` and ``wald = wald_test(...)`` and defines
``summary()``.  A new diagnostic: a ``@dataclass(eq=False)`` subclass of Result with named
fields, ``summary()`` and ``to_frame()`` (pandas imported inside); ``tests/engine/test_results.py``
asks for one example of every public result class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special  # what scipy.stats calls, without its per-call overhead

from evsynth.engine.printing import FOOTSYM, fmt_btt, fmt_p, p_text, signif_stars, text_table
from evsynth.errors import InputError, ModelError

__all__ = [
    "Result",
    "Coefs",
    "coef_block",
    "HasCoefs",
    "WaldTest",
    "wald_test",
    "Fitted",
    "FitResult",
    "fit_fields",
    "Prediction",
    "PredictResult",
    "TRANSFORMS",
    "Heterogeneity",
    "critical_value",
    "DISTS",
]

DISTS = ("z", "t")


def critical_value(level: float, dist: str, df=None):
    """Two-sided critical value of the reference distribution.

    Parameters
    ----------
    level : float
        Confidence level in percent.
    dist : {"z", "t"}
        Reference distribution.
    df : float or array, optional
        Degrees of freedom for ``"t"`` (an array gives one value per entry).

    Returns
    -------
    float or ndarray
    """
    a = 1 - level / 100
    if dist == "t":
        return -special.stdtrit(df, a / 2)  # t.isf
    return -special.ndtri(a / 2)  # norm.isf


class Result:
    """Base of every engine result: ``summary()`` gives metafor-style text (also what
    ``str()`` prints) and ``to_frame()`` a tidy pandas DataFrame."""

    def summary(self) -> str:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def to_frame(self):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def __str__(self) -> str:
        return self.summary()


@dataclass(eq=False)
class Coefs(Result):
    """The coefficient block of a fit (metafor's ``coef(summary(fit))`` plus ``vb``).

    ``dist`` is the reference distribution of the tests and intervals, ``"z"`` (normal)
    or ``"t"``; ``df`` is ``None`` for z, one number for a t test shared by all
    coefficients (Knapp-Hartung, ``test="t"``), or one per coefficient (cluster-robust
    Satterthwaite df).

    A batch of intercept-only fits (:class:`evsynth.engine.batch.RMABatchResult`) holds
    one block whose entries are the analyses: ``names`` is ``"intrcpt"`` once per analysis,
    ``vb`` the variance of each estimate and ``df`` one value per analysis (t) or None (z);
    ``to_frame()`` then gives one row per analysis."""

    names: list
    beta: np.ndarray
    se: np.ndarray
    stat: np.ndarray
    pval: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    vb: np.ndarray
    dist: str
    df: object
    level: float

    @property
    def stat_name(self) -> str:
        """metafor's column name of the test statistic: ``"zval"`` or ``"tval"``."""
        return "tval" if self.dist == "t" else "zval"

    @property
    def df_per_coef(self) -> bool:
        return self.df is not None and np.ndim(self.df) > 0

    def to_frame(self):
        """One row per coefficient: term, estimate, se, zval|tval, [df when it differs per
        coefficient], pval, ci_lb, ci_ub."""
        import pandas as pd

        cols = {"term": list(self.names), "estimate": self.beta, "se": self.se, self.stat_name: self.stat}
        if self.df_per_coef:
            cols["df"] = self.df
        cols.update({"pval": self.pval, "ci_lb": self.ci_lb, "ci_ub": self.ci_ub})
        return pd.DataFrame(cols)

    def format_rows(self, name_width: int | None = None, footnoted=()) -> list[str]:
        """The coefficient table as metafor prints it: estimate, se, zval|tval, [df], pval
        (``<.0001``), ci.lb, ci.ub and the significance symbol; no row names for a lone
        intercept (``name_width``: longest name shown, default all of it).  ``footnoted``:
        columns marked with metafor's footnote symbol (its header gets the symbol, each cell
        a trailing blank, as metafor's ``.addfootsym``)."""

        def f4(x):
            return [f"{v:.4f}" for v in np.asarray(x, float)]

        cols = [("estimate", f4(self.beta)), ("se", f4(self.se)), (self.stat_name, f4(self.stat))]
        if self.df is not None:
            dfs = np.broadcast_to(np.asarray(self.df, float), self.beta.shape)
            cols.append(("df", [f"{d:.0f}" if float(d).is_integer() else f"{d:.2f}" for d in dfs]))
        cols += [("pval", [fmt_p(x) for x in self.pval]), ("ci.lb", f4(self.ci_lb)), ("ci.ub", f4(self.ci_ub))]
        cols = [(h + FOOTSYM, [c + " " for c in cells]) if h in footnoted else (h, cells) for h, cells in cols]
        cols.append(("", [signif_stars(x) for x in self.pval]))
        names = [str(n) for n in self.names]
        if name_width:
            names = [n[:name_width] for n in names]
        rownames = None if names == ["intrcpt"] else names
        return text_table(cols, rownames)

    def summary(self) -> str:
        return "\n".join(self.format_rows())


def coef_block(names, beta, vb, *, dist: str = "z", df=None, level: float = 95.0) -> Coefs:
    """The coefficient block from the estimates and their covariance matrix: standard
    errors, Wald z or t statistics, two-sided p-values and confidence intervals.

    Parameters
    ----------
    names : list of str
        Coefficient names.
    beta : array, shape (p,)
        Estimates.
    vb : array, shape (p, p)
        Their covariance matrix (already scaled, e.g. by Knapp-Hartung or cluster-robust).
    dist : {"z", "t"}
        Reference distribution.
    df : None, float or array
        Degrees of freedom of the t distribution (shared or per coefficient).
    level : float
        Confidence level in percent.

    Returns
    -------
    Coefs
    """
    if dist not in DISTS:
        raise InputError(f"unknown reference distribution '{dist}'; allowed: z, t")
    beta = np.asarray(beta, float)
    vb = np.asarray(vb, float)
    se = np.sqrt(np.diag(vb))
    stat = beta / se
    if dist == "t":
        pval = 2 * special.stdtr(df, -np.abs(stat))  # t.sf
    else:
        df = None
        pval = 2 * special.ndtr(-np.abs(stat))  # norm.sf
    crit = critical_value(level, dist, df)
    return Coefs(list(names), beta, se, stat, pval, beta - crit * se, beta + crit * se, vb, dist, df, level)


_HET_LABELS = {  # metafor's labels: (total, residual)
    "tau2": ("tau^2 (estimated amount of total heterogeneity):", "tau^2 (estimated amount of residual heterogeneity):"),
    "tau": ("tau (square root of estimated tau^2 value):",) * 2,
    "I2": ("I^2 (total heterogeneity / total variability):", "I^2 (residual heterogeneity / unaccounted variability):"),
    "H2": ("H^2 (total variability / sampling variability):", "H^2 (unaccounted variability / sampling variability):"),
    "R2": ("R^2 (amount of heterogeneity accounted for):",) * 2,
}


@dataclass(eq=False)
class Heterogeneity(Result):
    """The heterogeneity block of a fit, shared by every result that carries tau^2, I^2, H^2
    or a Q test (as :class:`Coefs` is for coefficients): ``tau2`` (None for an
    equal-effects model) with ``se_tau2``, ``I2`` (%), ``H2``, ``R2`` (% of heterogeneity
    accounted for by moderators, None without), the Q test ``QE`` with ``QEdf`` degrees of
    freedom and ``QEp``; ``residual`` for a meta-regression (metafor's "residual
    heterogeneity").  ``format_lines()`` gives metafor's lines, ``to_frame()`` one row."""

    QE: float
    QEdf: int
    QEp: float
    I2: float | None = None
    H2: float | None = None
    tau2: float | None = None
    se_tau2: float | None = None
    R2: float | None = None
    residual: bool = False

    def format_lines(self) -> list[str]:
        """metafor's heterogeneity lines (print.rma.uni): tau^2, tau, I^2, H^2, R^2 with
        their labels aligned, a blank line and the Q test."""
        j = int(self.residual)
        width = max(len(_HET_LABELS[key][j]) for key in _HET_LABELS)
        rows = []
        if self.tau2 is not None:
            se = f" (SE = {self.se_tau2:.4f})" if self.se_tau2 is not None and np.isfinite(self.se_tau2) else ""
            rows += [("tau2", f"{self.tau2:.4f}{se}"), ("tau", f"{np.sqrt(self.tau2):.4f}")]
        if self.I2 is not None:
            rows.append(("I2", f"{self.I2:.2f}%"))
        if self.H2 is not None:
            rows.append(("H2", f"{self.H2:.2f}"))
        if self.R2 is not None:
            rows.append(("R2", f"{self.R2:.2f}%"))
        lines = [f"{_HET_LABELS[key][j]:<{width}s} {val}" for key, val in rows]
        q = "QE" if self.residual else "Q"
        lines += ([""] if lines else []) + [
            f"Test for {'Residual ' if self.residual else ''}Heterogeneity:",
            f"{q}(df = {self.QEdf}) = {self.QE:.4f}, p-val {p_text(self.QEp)}",
        ]
        return lines

    def summary(self) -> str:
        return "\n".join(self.format_lines())

    def to_frame(self):
        """One row: tau2, se_tau2, I2, H2, R2, QE, QEdf, QEp."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "tau2": self.tau2,
                    "se_tau2": self.se_tau2,
                    "I2": self.I2,
                    "H2": self.H2,
                    "R2": self.R2,
                    "QE": self.QE,
                    "QEdf": self.QEdf,
                    "QEp": self.QEp,
                }
            ]
        )


@dataclass(eq=False)
class WaldTest(Result):
    """An omnibus Wald test of coefficients (metafor's QM): chi-square with ``m`` df for
    ``dist="z"``; F with (m, df2) -- the statistic divided by m -- for ``dist="t"``."""

    QM: float
    QMp: float
    QMdf: tuple
    dist: str
    btt: list | None = None
    L: np.ndarray | None = None

    def summary(self) -> str:
        if self.btt is not None:  # metafor: "coefficient 2", "coefficients 2:3"
            what = f"coefficient{'s' if len(self.btt) > 1 else ''} {fmt_btt(self.btt)}"
        else:
            what = "contrast(s)"
        if self.dist == "t":
            df2 = self.QMdf[1]
            df2 = f"{df2:.0f}" if float(df2).is_integer() else f"{df2:.2f}"
            test = f"F(df1 = {self.QMdf[0]}, df2 = {df2}) = {self.QM:.4f}, p-val {p_text(self.QMp)}"
        else:
            test = f"QM(df = {self.QMdf[0]}) = {self.QM:.4f}, p-val {p_text(self.QMp)}"
        return f"Test of Moderators ({what}):\n{test}"

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "QM": self.QM,
                    "QM_df1": self.QMdf[0],
                    "QM_df2": self.QMdf[1] if self.QMdf[1] is not None else np.nan,
                    "QMp": self.QMp,
                }
            ]
        )


def wald_test(beta, vb, btt=None, *, L=None, dist: str = "z", df=None) -> WaldTest:
    """Wald test that the coefficients ``btt`` (or the contrasts ``L @ beta``) are all 0.

    Parameters
    ----------
    beta : array, shape (p,)
        Estimates.
    vb : array, shape (p, p)
        Their covariance matrix.
    btt : list of int, optional
        0-based indices of the tested coefficients (default: all).
    L : array, shape (m, p), optional
        A contrast matrix instead of ``btt`` (metafor's ``anova(fit, X = L)``).
    dist : {"z", "t"}
        ``"z"``: QM ~ chi-square(m); ``"t"``: QM / m ~ F(m, df).
    df : float, optional
        Denominator degrees of freedom for ``dist="t"``.

    Returns
    -------
    WaldTest
        Fields ``QM``, ``QMp``, ``QMdf`` (metafor's names).

    Raises
    ------
    ModelError
        When the covariance matrix of the tested coefficients is singular.

    References
    ----------
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48 (the omnibus test of moderators).
    """
    beta = np.asarray(beta, float)
    vb = np.asarray(vb, float)
    if L is not None:
        Lm = np.atleast_2d(np.asarray(L, float))
        if Lm.shape[1] != beta.size:
            raise InputError(
                f"the contrast matrix has {Lm.shape[1]} columns but the model has {beta.size} coefficients"
            )
        b = Lm @ beta
        V = Lm @ vb @ Lm.T
        what, btt = "the contrasts", None
    else:
        btt = list(range(beta.size)) if btt is None else [int(i) for i in btt]
        bt = np.asarray(btt)
        b = beta[bt]
        V = vb[np.ix_(bt, bt)]
        what = f"coefficient(s) {fmt_btt(btt)}"
    try:
        if b.size == 1:  # a 1 x 1 solve is one division, as LAPACK's: no LAPACK call
            if V[0, 0] == 0:
                raise np.linalg.LinAlgError
            QM = float(b[0] * (b[0] / V[0, 0]))
        else:
            QM = float(b @ np.linalg.solve(V, b))
    except np.linalg.LinAlgError:
        raise ModelError(
            f"the test of {what} cannot be computed: the covariance matrix of the tested coefficients is singular"
        ) from None
    if not np.isfinite(QM):
        raise ModelError(
            f"the test of {what} cannot be computed: the covariance matrix of the tested coefficients is singular"
        ) from None
    m = b.size
    if dist == "t":
        QM = QM / m
        return WaldTest(QM, float(special.fdtrc(m, df, QM)), (m, df), "t", btt, None if L is None else Lm)
    return WaldTest(QM, float(special.chdtrc(m, QM)), (m, None), "z", btt, None if L is None else Lm)


# --------------------------------------------------------------------------------------
# fits
# --------------------------------------------------------------------------------------

# metafor's field names of a fit, read from its coefficient block or its Wald test:
# attribute -> (part, field of the part, docstring)
_DELEGATED = {
    "coef_names": ("coefs", "names", "Coefficient names."),
    "beta": ("coefs", "beta", "Estimated coefficients."),
    "se": ("coefs", "se", "Standard errors."),
    "stat": ("coefs", "stat", "Test statistics (metafor's zval or tval)."),
    "pval": ("coefs", "pval", "Two-sided p-values."),
    "ci_lb": ("coefs", "ci_lb", "Lower confidence bounds."),
    "ci_ub": ("coefs", "ci_ub", "Upper confidence bounds."),
    "vb": ("coefs", "vb", "Covariance matrix of the coefficients."),
    "level": ("coefs", "level", "Confidence level in percent."),
    "dist": ("coefs", "dist", 'Reference distribution of tests and intervals: "z" or "t".'),
    "df": ("coefs", "df", "Degrees of freedom of the t distribution (None for z; per coefficient when robust)."),
    "QM": ("wald", "QM", "Omnibus test statistic (None when not computed)."),
    "QMp": ("wald", "QMp", "Its p-value."),
    "QMdf": ("wald", "QMdf", "Its degrees of freedom (df1, df2 or None)."),
}


def _delegating(*attrs: str):
    """Class decorator: read-only properties for ``attrs`` that read the field of the
    ``coefs`` or ``wald`` part named in ``_DELEGATED`` (None when the part is None)."""

    def add(cls):
        for attr in attrs:
            part, name, doc = _DELEGATED[attr]

            def get(self, part=part, name=name):
                obj = getattr(self, part)
                return None if obj is None else getattr(obj, name)

            setattr(cls, attr, property(get, doc=doc))
        return cls

    return add


@_delegating("coef_names", "beta", "se", "stat", "pval", "ci_lb", "ci_ub", "vb")
class HasCoefs:
    """A result holding a :class:`Coefs` block as ``coefs``: metafor's coefficient field
    names (``coef_names``, ``beta``, ``se``, ``stat``, ``pval``, ``ci_lb``, ``ci_ub``,
    ``vb``) read from it.  Used by every fit (:class:`Fitted`), the selection model and
    the batch of intercept-only fits (whose block has one entry per analysis)."""

    coefs: Coefs


@_delegating("level", "dist", "df", "QM", "QMp", "QMdf")
class Fitted(HasCoefs, Result):
    """What every fitted model offers, read from its coefficient block ``coefs`` and its
    Wald test ``wald``: metafor's field names (``beta``, ``se``, ``zval``/``tval`` as
    ``stat``, ``pval``, ``ci_lb``, ``ci_ub``, ``vb``, ``level``, ``dist``, ``df``, ``QM``,
    ``QMp``, ``QMdf``), ``predict()`` and ``to_frame()`` (the coefficient table)."""

    coefs: Coefs
    wald: WaldTest | None

    @property
    def p(self) -> int:
        return int(self.coefs.beta.size)

    @property
    def estimate(self) -> float:
        """The first coefficient (the pooled effect in an intercept-only model)."""
        return float(self.beta[0])

    @property
    def ci(self) -> tuple[float, float]:
        return float(self.ci_lb[0]), float(self.ci_ub[0])

    @property
    def intercept_only(self) -> bool:
        return self.p == 1 and self.coef_names[0] == "intrcpt"

    @property
    def crit(self) -> float:
        """Critical value of the first coefficient's interval."""
        df = self.df[0] if self.coefs.df_per_coef else self.df
        return float(critical_value(self.level, self.dist, df))

    def fitted(self) -> np.ndarray:
        return self.X @ self.beta

    def model_weights(self):
        """Model weights in percent (summing to 100), or None where the model has none
        per effect size (multilevel models)."""
        return None

    def anova(self, btt=None, *, L=None) -> WaldTest:
        """Wald test of the coefficients ``btt`` (0-based) or of the contrasts ``L @ beta``,
        with this fit's covariance matrix and reference distribution (metafor's ``anova``)."""
        return wald_test(self.beta, self.vb, btt, L=L, dist=self.dist, df=self._pred_df(None))

    def _pred_df(self, xs):
        """Degrees of freedom for predictions ``xs @ beta`` (one per row, or shared)."""
        return self.df

    def _pi_variance(self):
        """The between-study variance a prediction interval adds (tau^2); None for an
        equal-effects model, which has no prediction interval (as metafor)."""
        if getattr(self, "method", "") in ("EE", "FE"):
            return None
        return float(self.tau2)

    def predict(self, newmods=None, *, transf=None, level=None) -> "PredictResult":
        """Predicted average effects with confidence and prediction intervals (metafor's
        ``predict``); :func:`evsynth.engine.predict` is this method as a verb.

        Parameters
        ----------
        newmods : array_like, optional
            Moderator values, one row per prediction: one value per coefficient except the
            intercept (which is added), or one per coefficient.  None (default, as
            metafor): the pooled effect of an intercept-only model, else the fitted value
            of every effect size.
        transf : {"exp", "expit", "tanh"} or callable, optional
            Back-transformation of ``pred`` and the interval bounds (``se`` stays on the
            model scale).
        level : float, optional
            Confidence level (95 or 0.95; default: the fit's).

        Returns
        -------
        PredictResult
            ``pred``, ``se``, ``ci_lb``, ``ci_ub``, ``pi_lb``, ``pi_ub`` (None for an
            equal-effects model), the reference distribution's ``df`` and ``level``.  The
            critical values are the fit's: normal, t with the fit's df (Knapp-Hartung,
            ``test="t"``), or the Satterthwaite df of each prediction of a robust fit.
        """
        from evsynth.engine.checks import level_percent

        level = self.level if level is None else level_percent(level)
        if newmods is None:
            xs = np.ones((1, 1)) if self.intercept_only else np.asarray(self.X, float)
        else:
            xs = _design_rows(newmods, self.p, self.coef_names[0] == "intrcpt")
        pred = xs @ self.beta
        se = np.sqrt(np.einsum("ij,jk,ik->i", xs, self.vb, xs))
        df = self._pred_df(xs)
        crit = critical_value(level, self.dist, df)
        ci_lb, ci_ub = pred - crit * se, pred + crit * se
        between = self._pi_variance()
        pi_lb = pi_ub = None
        if between is not None:
            s = np.sqrt(se**2 + between)
            pi_lb, pi_ub = pred - crit * s, pred + crit * s
        f, name = _transform(transf)
        if f is not None:
            pred, ci_lb, ci_ub = f(pred), *_ordered(f(ci_lb), f(ci_ub))
            if pi_lb is not None:
                pi_lb, pi_ub = _ordered(f(pi_lb), f(pi_ub))

        def arr(x):
            return None if x is None else np.asarray(x, float)

        return PredictResult(
            arr(pred), se, arr(ci_lb), arr(ci_ub), arr(pi_lb), arr(pi_ub), xs, int(self.k), float(level), name, df
        )

    def to_frame(self):
        """The coefficient table (see :meth:`Coefs.to_frame`)."""
        return self.coefs.to_frame()


TRANSFORMS = {"exp": np.exp, "expit": special.expit, "tanh": np.tanh}


def _transform(transf):
    """(function, name) of a back-transformation; (None, None) without one."""
    if transf is None:
        return None, None
    if callable(transf):
        return transf, getattr(transf, "__name__", "transf")
    if isinstance(transf, str) and transf in TRANSFORMS:
        return TRANSFORMS[transf], transf
    raise InputError(f"transf: unknown transformation {transf!r}; allowed: {', '.join(TRANSFORMS)} or a function")


def _ordered(a, b):
    return np.minimum(a, b), np.maximum(a, b)


def _design_rows(newmods, p: int, intercept: bool) -> np.ndarray:
    """Rows of the design matrix for new moderator values: the intercept is added when
    the model has one and the rows give the other p - 1 coefficients (a vector of p - 1 > 1
    values is one row; of single values, one row each)."""
    try:
        xs = np.asarray(newmods, dtype=float)
    except (TypeError, ValueError):
        raise InputError("newmods must be numeric (one row per prediction, one column per moderator)") from None
    if xs.ndim == 0:
        xs = xs.reshape(1, 1)
    elif xs.ndim == 1:
        q = p - 1 if intercept else p
        xs = xs.reshape(1, -1) if xs.size == q and q > 1 else xs.reshape(-1, 1)
    elif xs.ndim > 2:
        raise InputError(f"newmods must have at most 2 dimensions, got {xs.ndim}")
    if intercept and xs.shape[1] == p - 1:
        xs = np.column_stack([np.ones(xs.shape[0]), xs])
    if xs.shape[1] != p:
        raise InputError(
            f"newmods has {xs.shape[1]} column(s); the model has {p} coefficient(s)"
            f"{' (intercept added automatically)' if intercept else ''}"
        )
    if not np.all(np.isfinite(xs)):
        raise InputError("newmods must be numeric and non-missing")
    return xs


@dataclass(eq=False)
class PredictResult(Result):
    """Predicted average effects with confidence and prediction intervals (metafor's
    ``predict``).  With ``transf``, ``pred`` and the bounds are back-transformed; ``se``
    stays on the model scale (metafor leaves it out).  ``pi_lb``/``pi_ub`` are None for an
    equal-effects model; ``df`` is the t distribution's (None for z)."""

    pred: np.ndarray
    se: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    pi_lb: np.ndarray | None
    pi_ub: np.ndarray | None
    X: np.ndarray
    k: int
    level: float
    transf: str | None = None
    df: object = None

    def summary(self) -> str:
        cols = [("pred", self.pred)] + ([("se", self.se)] if not self.transf else [])
        cols += [("ci.lb", self.ci_lb), ("ci.ub", self.ci_ub)]
        if self.pi_lb is not None:
            cols += [("pi.lb", self.pi_lb), ("pi.ub", self.pi_ub)]
        n = len(self.pred)
        cells = [[f"{v[i]:.4f}" for i in range(n)] for _, v in cols]
        widths = [max(len(name), *(len(c) for c in col)) for (name, _), col in zip(cols, cells)]
        lab = [str(i + 1) for i in range(n)] if n > 1 else [""]
        lw = max(len(x) for x in lab)
        lines = [" " * lw + " " + " ".join(f"{name:>{w}s}" for (name, _), w in zip(cols, widths))]
        for i in range(n):
            lines.append(f"{lab[i]:<{lw}s} " + " ".join(f"{col[i]:>{w}s}" for col, w in zip(cells, widths)))
        return "\n".join(lines)

    def to_frame(self):
        """One row per prediction: pred, se, ci_lb, ci_ub, pi_lb, pi_ub."""
        import pandas as pd

        n = len(self.pred)
        none = [None] * n
        return pd.DataFrame(
            {
                "pred": self.pred,
                "se": self.se,
                "ci_lb": self.ci_lb,
                "ci_ub": self.ci_ub,
                "pi_lb": none if self.pi_lb is None else self.pi_lb,
                "pi_ub": none if self.pi_ub is None else self.pi_ub,
            }
        )


Prediction = PredictResult  # the name this class had before predict() and Fitted.predict were one


@dataclass(eq=False, kw_only=True)
class FitResult(Fitted):
    """Fields every fitted model has (metafor's names); ``multilevel`` tells a
    multilevel fit (variance components ``sigma2``) from a univariate one (``tau2``)."""

    multilevel = False  # class attribute, overridden by the multilevel result

    coefs: Coefs
    wald: WaldTest | None
    k: int
    method: str
    test: str  # as the user spelled it ("z", "knha" for rma, "t" for rma_mv)
    QE: float
    QEp: float
    btt: list
    yi: np.ndarray
    vi: np.ndarray
    X: np.ndarray
    pi_lb: float | None = None
    pi_ub: float | None = None
    ll: float | None = None


def fit_fields(
    names, beta, vb, *, X, yi, vi, method: str, test: str, dist: str, level: float, QE: float, btt=None, intercept=True
) -> dict:
    """The fields every fitted model shares (:class:`FitResult`'s), from its estimates: the
    coefficient block, the omnibus test of the coefficients ``btt`` (default: all but an
    intercept), ``k``, the test of residual heterogeneity and the data; ``rma`` and ``rma_mv``
    add their own.

    Parameters
    ----------
    names : list of str
        Coefficient names.
    beta, vb : ndarray
        Estimates and their covariance matrix.
    X, yi, vi : ndarray
        Design matrix, effect sizes and sampling variances.
    method, test : str
        As the user gave them.
    dist : {"z", "t"}
        Reference distribution of the tests and intervals (``"t"``: k - p degrees of freedom).
    level : float
        Confidence level in percent.
    QE : float
        The statistic of the test of residual heterogeneity (chi^2 with k - p df; p = 1 when
        k = p).
    btt : list of int, optional
        0-based indices of the tested coefficients.
    intercept : bool
        Whether the first column of ``X`` is an intercept (left out of the default ``btt``).

    Returns
    -------
    dict
        Keyword arguments of :class:`FitResult`.
    """
    k, p = X.shape
    df = k - p if dist == "t" else None
    if btt is None:
        btt = list(range(1, p)) if (p > 1 and intercept) else list(range(p))
    return dict(
        coefs=coef_block(names, beta, vb, dist=dist, df=df, level=level),
        wald=wald_test(beta, vb, btt, dist=dist, df=df),
        k=k,
        method=method,
        test=test,
        QE=QE,
        QEp=float(special.chdtrc(k - p, QE)) if k > p else 1.0,
        btt=list(btt),
        yi=yi,
        vi=vi,
        X=X,
    )
