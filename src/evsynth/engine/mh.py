"""Mantel-Haenszel and Peto pooling of 2x2 tables and person-time data (metafor's
``rma.mh`` and ``rma.peto``).

Defaults as metafor's: the pooled estimate uses the counts as they are (no continuity
correction); the per-study estimates behind QE, I^2 and H^2 come from :func:`escalc`
with 1/2 added to tables with a zero cell and double-zero tables left out (``k_yi``).
Every sum is over studies: O(k).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from evsynth.engine.checks import level_percent
from evsynth.engine._verbs import fmt, records_frame
from evsynth.engine.effects import escalc
from evsynth.engine.printing import fmt_p, p_text, text_table
from evsynth.engine.results import Heterogeneity, Result
from evsynth.errors import InputError, ModelError

__all__ = ["MHResult", "rma_mh", "rma_peto"]

MH_MEASURES = ("OR", "RR", "RD", "IRR", "IRD")


@dataclass(eq=False)
class MHResult(Result):
    """A Mantel-Haenszel (``method`` "MH") or Peto (``method`` "PETO") pooled estimate.

    ``beta`` is on the log scale for OR, RR, IRR and Peto, raw for RD and IRD.  ``MH``/``MHp``:
    the (continuity-corrected) Cochran-Mantel-Haenszel test (OR) or Mantel-Haenszel rate
    test (IRR); ``TA``/``TAp``: Tarone's test of homogeneity of the odds ratios; ``BD``:
    Breslow-Day without Tarone's correction.  None where metafor gives NA."""

    method: str
    measure: str
    beta: float
    se: float
    stat: float
    pval: float
    ci_lb: float
    ci_ub: float
    QE: float
    QEp: float
    I2: float
    H2: float
    k: int
    k_yi: int
    level: float = 95.0
    MH: float | None = None
    MHp: float | None = None
    TA: float | None = None
    TAp: float | None = None
    BD: float | None = None
    BDp: float | None = None
    yi: np.ndarray = field(default=None, repr=False)
    vi: np.ndarray = field(default=None, repr=False)

    coef_names = ["intrcpt"]

    @property
    def estimate(self) -> float:
        return self.beta

    @property
    def vb(self) -> np.ndarray:
        return np.array([[self.se**2]])

    @property
    def het(self) -> Heterogeneity:
        """The heterogeneity block: I^2, H^2 and the Q test of the per-study estimates."""
        return Heterogeneity(QE=self.QE, QEdf=self.k_yi - 1, QEp=self.QEp, I2=self.I2, H2=self.H2)

    def summary(self) -> str:
        """As metafor prints an rma.mh / rma.peto fit."""
        w = len("H^2 (total variability / sampling variability):")
        lines = [
            f"Equal-Effects Model (k = {self.k})",
            "",
            f"{'I^2 (total heterogeneity / total variability):':<{w}s} {fmt(self.I2, 2)}%",
            f"{'H^2 (total variability / sampling variability):':<{w}s} {fmt(self.H2, 2)}",
            "",
            *self.het.format_lines()[-2:],
            "",
        ]
        table = text_table(
            [
                ("estimate", [fmt(self.beta)]),
                ("se", [fmt(self.se)]),
                ("zval", [fmt(self.stat)]),
                ("pval", [fmt_p(self.pval)]),
                ("ci.lb", [fmt(self.ci_lb)]),
                ("ci.ub", [fmt(self.ci_ub)]),
            ]
        )
        scale = {"OR": "OR", "PETO": "OR", "RR": "RR", "IRR": "IRR"}.get(self.measure)
        if scale is None:
            return "\n".join(lines + ["Model Results:", ""] + table)
        lines += ["Model Results (log scale):", ""] + table + ["", f"Model Results ({scale} scale):", ""]
        lines += text_table(
            [
                ("estimate", [fmt(np.exp(self.beta))]),
                ("ci.lb", [fmt(np.exp(self.ci_lb))]),
                ("ci.ub", [fmt(np.exp(self.ci_ub))]),
            ]
        )
        if self.method == "MH" and self.measure == "OR":
            mh, ta = fmt(self.MH), fmt(self.TA)
            wd = max(len(mh) if self.MH is not None else 1, len(ta) if self.TA is not None else 1)
            pad = " " * (len(str(self.k_yi)) - 1)
            lines += [
                "",
                "Cochran-Mantel-Haenszel Test:    "
                + (
                    f"CMH = {mh:>{wd}s}, df = 1,{pad} p-val {fmt_p(self.MHp, showeq=True, sep=' ', add0=True)}"
                    if self.MH is not None
                    else "test value not computable for these data"
                ),
                "Tarone's Test for Heterogeneity: "
                + (
                    f"X^2 = {ta:>{wd}s}, df = {self.k_yi - 1}, p-val {fmt_p(self.TAp, showeq=True, sep=' ', add0=True)}"
                    if self.TA is not None
                    else "test value not computable for these data"
                ),
            ]
        elif self.method == "MH" and self.measure == "IRR":
            lines += [
                "",
                "Mantel-Haenszel Test: "
                + (
                    f"MH = {fmt(self.MH)}, df = 1, p-val {p_text(self.MHp)}"
                    if self.MH is not None
                    else "test value not computable for these data"
                ),
            ]
        return "\n".join(lines)

    def to_frame(self):
        """One row: the pooled estimate with its tests (pandas DataFrame)."""
        return records_frame(
            {
                "method": self.method,
                "measure": self.measure,
                "estimate": self.beta,
                "se": self.se,
                "zval": self.stat,
                "pval": self.pval,
                "ci_lb": self.ci_lb,
                "ci_ub": self.ci_ub,
                "QE": self.QE,
                "QEp": self.QEp,
                "I2": self.I2,
                "H2": self.H2,
                "k": self.k,
                "k_yi": self.k_yi,
                "MH": self.MH,
                "MHp": self.MHp,
                "TA": self.TA,
                "TAp": self.TAp,
            }
        )


def _arrs(names, data):
    out = []
    for n in names:
        if data.get(n) is None:
            raise InputError(f"argument {n} is required")
        a = np.atleast_1d(np.asarray(data[n], dtype=float))
        if not np.all(np.isfinite(a)):
            raise InputError(f"{n}: values must be numeric and non-missing")
        out.append(a)
    if len({a.size for a in out}) != 1:
        raise InputError(f"{', '.join(names)} must have the same length")
    return out


def _tables(ai, bi, ci, di, n1i, n2i, who):
    """The four cell counts of 2x2 tables as float arrays (``bi``/``di`` from the group sizes
    when not given); negative counts raise ``InputError`` naming ``who``."""
    if bi is None and n1i is not None and ai is not None:
        bi = np.asarray(n1i, float) - np.asarray(ai, float)
    if di is None and n2i is not None and ci is not None:
        di = np.asarray(n2i, float) - np.asarray(ci, float)
    a, b, c, d = _arrs(("ai", "bi", "ci", "di"), {"ai": ai, "bi": bi, "ci": ci, "di": di})
    if np.any(np.concatenate([a, b, c, d]) < 0):
        raise InputError(f"{who}: counts must be >= 0")
    return a, b, c, d


def _heterogeneity(yi, vi, beta):
    """QE, QEp, I2, H2 from the per-study estimates with a value (metafor's rma.mh)."""
    keep = np.isfinite(yi) & np.isfinite(vi)
    yi, vi = yi[keep], vi[keep]
    k_yi = int(yi.size)
    if k_yi > 1:
        QE = float(max(0.0, np.sum((yi - beta) ** 2 / vi)))
        QEp = float(stats.chi2.sf(QE, k_yi - 1))
        I2 = float(max(0.0, 100 * (QE - (k_yi - 1)) / QE)) if QE > 0 else 0.0
        H2 = QE / (k_yi - 1)
    else:
        QE, QEp, I2, H2 = 0.0, 1.0, 0.0, 1.0
    return QE, QEp, I2, H2, k_yi


def _per_study(measure, data, double_zero):
    es = escalc(measure, **data)
    yi, vi = es.yi.copy(), es.vi.copy()
    yi[double_zero] = np.nan
    vi[double_zero] = np.nan
    return yi, vi


def _wald(beta, se, level):
    z = beta / se
    crit = stats.norm.isf((1 - level / 100) / 2)
    return float(z), float(2 * stats.norm.sf(abs(z))), float(beta - crit * se), float(beta + crit * se)


def rma_mh(
    measure: str = "OR",
    *,
    ai=None,
    bi=None,
    ci=None,
    di=None,
    n1i=None,
    n2i=None,
    x1i=None,
    t1i=None,
    x2i=None,
    t2i=None,
    level: float = 95.0,
    correct: bool = True,
) -> MHResult:
    """Mantel-Haenszel equal-effects pooling (metafor's ``rma.mh``).

    Parameters
    ----------
    measure : {"OR", "RR", "RD", "IRR", "IRD"}
        Odds ratio, risk ratio, risk difference (2x2 tables: ``ai, bi, ci, di`` or
        ``ai, n1i, ci, n2i``) or incidence rate ratio/difference (person-time:
        ``x1i, t1i, x2i, t2i``).
    level : float
        Confidence level: 95 or 0.95 both mean 95 % (as metafor).
    correct : bool
        Continuity correction of the CMH / MH rate test (metafor's default True).

    Returns
    -------
    MHResult
        The pooled estimate (Robins-Breslow-Greenland variance for OR, Greenland-Robins
        for RR, Sato/Greenland-Robins for RD), QE/I^2/H^2 from the per-study estimates,
        the CMH test and Tarone's test (OR), the MH rate test (IRR).

    Notes
    -----
    Equivalent of ``rma.mh(measure=, ai=, bi=, ci=, di=)`` / ``rma.mh(measure=, x1i=, t1i=,
    x2i=, t2i=)`` with metafor's defaults ``add = c(1/2, 0), to = c("only0", "none"),
    drop00 = c(TRUE, FALSE)``.

    References
    ----------
    Mantel, N., & Haenszel, W. (1959). Statistical aspects of the analysis of data from
    retrospective studies of disease. Journal of the National Cancer Institute, 22(4), 719-748.
    Robins, J., Breslow, N., & Greenland, S. (1986). Estimators of the Mantel-Haenszel variance
    consistent in both sparse data and large-strata limiting models. Biometrics, 42(2), 311-323.
    Tarone, R. E. (1985). On heterogeneity tests based on efficient scores. Biometrika, 72(1), 91-95.
    """
    level = level_percent(level)
    measure = str(measure).upper()
    if measure not in MH_MEASURES:
        raise InputError(f"rma_mh: unknown measure '{measure}'; allowed: {', '.join(MH_MEASURES)}")
    if not (0 < level < 100):
        raise InputError(f"level must be between 0 and 100, got {level}")
    MH = MHp = TA = TAp = BD = BDp = None
    if measure in ("OR", "RR", "RD"):
        a, b, c, d = _tables(ai, bi, ci, di, n1i, n2i, "rma_mh")
        k = a.size
        yi, vi = _per_study(measure, {"ai": a, "bi": b, "ci": c, "di": d}, (a == 0) & (c == 0) | (b == 0) & (d == 0))
        n1, n2 = a + b, c + d
        N = n1 + n2
        if np.any(N <= 0):
            raise InputError("rma_mh: every table needs at least one participant")
        if measure == "OR":
            P, Q = (a + d) / N, (b + c) / N
            Ri, Si = a / N * d, b / N * c
            R, S = Ri.sum(), Si.sum()
            if R == 0 or S == 0:
                raise ModelError("rma_mh: the Mantel-Haenszel odds ratio is 0 or infinite (no discordant cells)")
            beta = float(np.log(R / S))
            se = float(
                np.sqrt(0.5 * (np.sum(P * Ri) / R**2 + np.sum(P * Si + Q * Ri) / (R * S) + np.sum(Q * Si) / S**2))
            )
            xt, yt = a + c, b + d
            if xt.sum() > 0 and yt.sum() > 0:
                num = (abs(np.sum(a - n1 / N * xt)) - (0.5 if correct else 0.0)) ** 2
                MH = float(num / np.sum(n1 / N * (n2 / N) * (xt * (yt / (N - 1)))))
                MHp = float(stats.chi2.sf(MH, 1))
            psi = R / S
            if psi == 1:
                N11 = n1 / N * xt
            else:
                A = psi * (n1 + xt) + (n2 - xt)
                B = np.sqrt(A**2 - 4 * n1 * xt * psi * (psi - 1))
                N11 = (A - B) / (2 * (psi - 1))
            pos = (N11 > 0) & (xt > 0) & (yt > 0)
            kpos = int(pos.sum())
            N11 = N11[pos]
            N12 = n1[pos] - N11
            N21 = xt[pos] - N11
            N22 = N11 - n1[pos] - xt[pos] + N[pos]
            w = 1 / (1 / N11 + 1 / N12 + 1 / N21 + 1 / N22)
            dev = a[pos] - N11
            BD = float(max(0.0, np.sum(dev**2 / w)))
            TA = float(max(0.0, BD - dev.sum() ** 2 / w.sum()))
            if kpos > 1:
                BDp, TAp = float(stats.chi2.sf(BD, kpos - 1)), float(stats.chi2.sf(TA, kpos - 1))
        elif measure == "RR":
            R, S = np.sum(a * (n2 / N)), np.sum(c * (n1 / N))
            if a.sum() == 0 or c.sum() == 0:
                raise ModelError("rma_mh: the Mantel-Haenszel risk ratio needs events in both groups")
            beta = float(np.log(R / S))
            se = float(np.sqrt(np.sum(n1 / N * (n2 / N) * (a + c) - a / N * c) / (R * S)))
        else:
            W = np.sum(n1 * (n2 / N))
            beta = float(np.sum(a * (n2 / N) - c * (n1 / N)) / W)
            se = float(
                np.sqrt(
                    (
                        beta * np.sum(c * (n1 / N) ** 2 - a * (n2 / N) ** 2 + n1 / N * (n2 / N) * (n2 - n1) / 2)
                        + np.sum(a * (n2 - c) / N + c * (n1 - a) / N) / 2
                    )
                    / W**2
                )
            )
    else:
        x1, t1, x2, t2 = _arrs(("x1i", "t1i", "x2i", "t2i"), {"x1i": x1i, "t1i": t1i, "x2i": x2i, "t2i": t2i})
        if np.any(np.concatenate([x1, x2]) < 0):
            raise InputError("rma_mh: event counts must be >= 0")
        if np.any(np.concatenate([t1, t2]) <= 0):
            raise InputError("rma_mh: person-times must be > 0")
        k = x1.size
        yi, vi = _per_study(measure, {"x1i": x1, "t1i": t1, "x2i": x2, "t2i": t2}, (x1 == 0) & (x2 == 0))
        T = t1 + t2
        if measure == "IRR":
            R, S = np.sum(x1 * (t2 / T)), np.sum(x2 * (t1 / T))
            if x1.sum() == 0 or x2.sum() == 0:
                raise ModelError("rma_mh: the Mantel-Haenszel rate ratio needs events in both groups")
            beta = float(np.log(R / S))
            se = float(np.sqrt(np.sum(t1 / T * (t2 / T) * (x1 + x2)) / (R * S)))
            xt = x1 + x2
            if xt.sum() > 0:
                MH = float(
                    (abs(np.sum(x1 - xt * (t1 / T))) - (0.5 if correct else 0.0)) ** 2
                    / np.sum(xt * (t1 / T) * (t2 / T))
                )
                MHp = float(stats.chi2.sf(MH, 1))
        else:
            W = np.sum(t1 / T * t2)
            beta = float(np.sum((x1 * t2 - x2 * t1) / T) / W)
            se = float(np.sqrt(np.sum((t1 / T * t2) ** 2 * (x1 / t1**2 + x2 / t2**2))) / W)
    z, p, lb, ub = _wald(beta, se, level)
    QE, QEp, I2, H2, k_yi = _heterogeneity(yi, vi, beta)
    return MHResult(
        "MH", measure, beta, se, z, p, lb, ub, QE, QEp, I2, H2, k, k_yi, level, MH, MHp, TA, TAp, BD, BDp, yi, vi
    )


def rma_peto(ai=None, bi=None, ci=None, di=None, *, n1i=None, n2i=None, level: float = 95.0) -> MHResult:
    """Peto's one-step pooled log odds ratio (metafor's ``rma.peto``).

    Parameters
    ----------
    ai, bi, ci, di : array_like
        2x2 table cells (or ``n1i``/``n2i`` in place of ``bi``/``di``).
    level : float
        Confidence level: 95 or 0.95 both mean 95 % (as metafor).

    Returns
    -------
    MHResult
        ``beta = sum(O - E) / sum(V)`` with ``se = 1/sqrt(sum V)``; QE is Peto's
        heterogeneity statistic ``sum (O - E)^2 / V - (sum (O - E))^2 / sum V`` with
        ``k_yi - 1`` df, ``k_yi`` the tables with a Peto log odds ratio (double-zero
        tables left out).

    References
    ----------
    Yusuf, S., Peto, R., Lewis, J., Collins, R., & Sleight, P. (1985). Beta blockade during and
    after myocardial infarction: An overview of the randomized trials. Progress in
    Cardiovascular Diseases, 27(5), 335-371.
    """
    level = level_percent(level)
    a, b, c, d = _tables(ai, bi, ci, di, n1i, n2i, "rma_peto")
    if not (0 < level < 100):
        raise InputError(f"level must be between 0 and 100, got {level}")
    k = a.size
    yi, vi = _per_study("PETO", {"ai": a, "bi": b, "ci": c, "di": d}, (a == 0) & (c == 0) | (b == 0) & (d == 0))
    n1, n2 = a + b, c + d
    N = n1 + n2
    xt, yt = a + c, b + d
    E = xt * n1 / N
    V = xt * yt * (n1 / N) * (n2 / N) / (N - 1)
    sV = V.sum()
    if sV == 0:
        raise ModelError("rma_peto: all tables have zero variance (no events or no non-events)")
    beta = float(np.sum(a - E) / sV)
    se = float(np.sqrt(1 / sV))
    z, p, lb, ub = _wald(beta, se, level)
    pos = V > 0
    kpos = int(pos.sum())
    k_yi = int(np.sum(np.isfinite(yi)))
    QE = float(max(0.0, np.sum((a[pos] - E[pos]) ** 2 / V[pos]) - np.sum(a - E) ** 2 / V[pos].sum()))
    if kpos > 1:
        QEp = float(stats.chi2.sf(QE, k_yi - 1))
        I2 = float(max(0.0, 100 * (QE - (k_yi - 1)) / QE)) if QE > 0 else 0.0
        H2 = QE / (k_yi - 1)
    else:
        QEp, I2, H2 = 1.0, 0.0, 1.0
    return MHResult("PETO", "PETO", beta, se, z, p, lb, ub, QE, QEp, I2, H2, k, k_yi, level, yi=yi, vi=vi)
