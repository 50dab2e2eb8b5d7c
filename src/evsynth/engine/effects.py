"""Effect sizes: metafor's ``escalc`` measures, conversions from reported test
statistics, and back-transformations for reporting.

All functions are vectorised over numpy arrays and return plain arrays or an
:class:`EffectSizes` object; nothing is printed or written.

Definitions follow metafor (Viechtbauer, 2010; ``?escalc``): bias-corrected SMD
with the exact gamma-function correction, large-sample variances, and a 1/2
continuity correction added only to studies with a zero cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import special, stats

from evsynth.errors import InputError
from evsynth.engine.results import Result

__all__ = [
    "MEASURES",
    "EffectSizes",
    "escalc",
    "check_statistics",
    "hedges_correction",
    "d_from_t",
    "d_from_f",
    "d_from_p",
    "d_from_prepost",
    "smd_variance",
    "d_to_logor",
    "logor_to_d",
    "d_to_r",
    "r_to_d",
    "partial_r_from_t",
    "back_transform",
    "MEASURE_INFO",
]

# measure -> (required arguments, description, back-transformation name)
MEASURE_INFO: dict[str, tuple[tuple[str, ...], str, str | None]] = {
    "RR": (("ai", "bi", "ci", "di"), "log risk ratio", "exp"),
    "OR": (("ai", "bi", "ci", "di"), "log odds ratio", "exp"),
    "RD": (("ai", "bi", "ci", "di"), "risk difference", None),
    "AS": (("ai", "bi", "ci", "di"), "arcsine square-root risk difference", None),
    "PETO": (("ai", "bi", "ci", "di"), "log odds ratio (Peto)", "exp"),
    "MD": (("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"), "raw mean difference", None),
    "SMD": (("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"), "standardised mean difference (Hedges' g)", None),
    "SMDH": (("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"), "SMD with heteroscedastic SDs", None),
    "ROM": (("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"), "log ratio of means", "exp"),
    "CVR": (("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"), "log coefficient-of-variation ratio", "exp"),
    "VR": (("sd1i", "n1i", "sd2i", "n2i"), "log variability ratio", "exp"),
    "COR": (("ri", "ni"), "raw correlation", None),
    "UCOR": (("ri", "ni"), "bias-corrected correlation", None),
    "ZCOR": (("ri", "ni"), "Fisher's r-to-z", "tanh"),
    "PR": (("xi", "ni"), "raw proportion", None),
    "PLN": (("xi", "ni"), "log proportion", "exp"),
    "PLO": (("xi", "ni"), "logit proportion", "expit"),
    "PAS": (("xi", "ni"), "arcsine square-root proportion", "sin2"),
    "PFT": (("xi", "ni"), "Freeman-Tukey double arcsine proportion", None),
    # one group measured twice (m1i: e.g. post, m2i: pre; ri: their correlation)
    "MC": (("m1i", "m2i", "sd1i", "sd2i", "ni", "ri"), "raw mean change", None),
    "SMCC": (("m1i", "m2i", "sd1i", "sd2i", "ni", "ri"), "standardised mean change (change-score SD)", None),
    "SMCR": (("m1i", "m2i", "sd1i", "ni", "ri"), "standardised mean change (raw-score SD)", None),
    # person-time data
    "IRR": (("x1i", "t1i", "x2i", "t2i"), "log incidence rate ratio", "exp"),
    "IRD": (("x1i", "t1i", "x2i", "t2i"), "incidence rate difference", None),
    "IR": (("xi", "ti"), "raw incidence rate", None),
    "IRLN": (("xi", "ti"), "log incidence rate", "exp"),
    "IRS": (("xi", "ti"), "square-root incidence rate", None),
    "IRFT": (("xi", "ti"), "Freeman-Tukey transformed incidence rate", None),
}
MEASURES = tuple(MEASURE_INFO)

# The 1/2 continuity correction is added to studies with a zero cell (metafor: add=1/2,
# to="only0") for RR, OR, RD, PETO and PR, PLN, PLO; not for AS, PAS and PFT.


@dataclass(eq=False)
class EffectSizes(Result):
    """Computed effect sizes ``yi`` with sampling variances ``vi`` (metafor's ``escalc``
    data frame); ``corrected`` marks rows that received the continuity correction."""

    yi: np.ndarray
    vi: np.ndarray
    measure: str
    corrected: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def k(self) -> int:
        return int(self.yi.shape[0])

    @property
    def sei(self) -> np.ndarray:
        return np.sqrt(self.vi)

    def summary(self) -> str:
        lines = [f"Effect sizes: {MEASURE_INFO[self.measure][1]} ({self.measure}), k = {self.k}"]
        for i, (y, v) in enumerate(zip(self.yi, self.vi), 1):
            lines.append(f"  {i:>4d}  yi = {y: .4f}  vi = {v:.4f}")
        return "\n".join(lines)

    def to_frame(self):
        """One row per study: yi, vi (and ``corrected`` when known)."""
        import pandas as pd

        t = pd.DataFrame({"yi": self.yi, "vi": self.vi})
        if self.corrected.size == self.yi.size:
            t["corrected"] = self.corrected
        return t


def _arr(x, name: str) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: values must be numeric ({exc})") from None
    return np.atleast_1d(a)


def hedges_correction(m) -> np.ndarray:
    """Exact small-sample correction J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2)).

    Parameters
    ----------
    m : array_like
        Degrees of freedom (n1 + n2 - 2 for two groups).

    Returns
    -------
    ndarray
        The factor J(m) by which d is multiplied to give Hedges' g.

    References
    ----------
    Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and
    related estimators. Journal of Educational Statistics, 6(2), 107-128.
    """
    m = np.asarray(m, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.exp(special.gammaln(m / 2) - 0.5 * np.log(m / 2) - special.gammaln((m - 1) / 2))


def escalc(measure: str, **data) -> EffectSizes:
    """Compute effect sizes and sampling variances as metafor's ``escalc``.

    Arguments use metafor's names: ``ai, bi, ci, di`` (2x2 tables), ``n1i, n2i``,
    ``m1i, sd1i, m2i, sd2i`` (means and SDs), ``ri, ni`` (correlations),
    ``xi, ni`` (proportions), ``m1i, m2i, sd1i, sd2i, ni, ri`` (pre-post: MC, SMCC,
    SMCR), ``x1i, t1i, x2i, t2i`` (person-time: IRR, IRD) and ``xi, ti`` (IR, IRLN, IRS,
    IRFT).

    Parameters
    ----------
    measure : str
        One of :data:`MEASURES` (metafor's names).
    **data : array_like
        The measure's arguments, by metafor's names.

    Returns
    -------
    EffectSizes
        ``yi``, ``vi``, ``measure`` and ``corrected`` (rows given the 1/2 continuity
        correction); ``to_frame()`` gives one row per study.

    References
    ----------
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48 (``escalc``).
    """
    measure = str(measure).upper()
    if measure not in MEASURE_INFO:
        raise InputError(f"unknown effect-size measure '{measure}'; allowed: {', '.join(MEASURES)}")
    required = MEASURE_INFO[measure][0]
    if measure in {"RR", "OR", "RD", "AS", "PETO"}:
        # metafor also accepts n1i/n2i in place of bi/di
        if "bi" not in data and "n1i" in data and "ai" in data:
            data["bi"] = _arr(data["n1i"], "n1i") - _arr(data["ai"], "ai")
        if "di" not in data and "n2i" in data and "ci" in data:
            data["di"] = _arr(data["n2i"], "n2i") - _arr(data["ci"], "ci")
    missing = [a for a in required if a not in data]
    if missing:
        raise InputError(f"measure {measure} needs {', '.join(required)}; missing: {', '.join(missing)}")
    a = {name: _arr(data[name], name) for name in required}
    check_statistics(measure, a)
    fn = _DISPATCH[measure]
    yi, vi, corrected = fn(**a)
    return EffectSizes(yi=np.asarray(yi, float), vi=np.asarray(vi, float), measure=measure,
                       corrected=np.asarray(corrected, bool))


def check_statistics(measure: str, a: dict, columns: dict | None = None, first_row: int = 1) -> None:
    """Reject values outside what the statistic can take (all problems at once).

    Parameters
    ----------
    measure : str
        The effect-size measure.
    a : dict
        escalc argument name -> values.
    columns : dict, optional
        escalc argument name -> the user's column name, for the message.
    first_row : int
        Number of the first row in messages (2 for a spreadsheet with a header).

    Returns
    -------
    None

    Raises
    ------
    InputError
        Naming column, rows and what is allowed.
    """
    cols = columns or {}

    def _bad_rows(mask) -> str:
        idx = np.flatnonzero(mask)
        more = f" and {idx.size - 10} more" if idx.size > 10 else ""
        return ", ".join(str(i + first_row) for i in idx[:10]) + more

    def nm(n):
        return f"column '{cols[n]}' ({n})" if n in cols else n

    problems = []
    for name, x in a.items():
        fin = np.isfinite(x)
        if name in ("ai", "bi", "ci", "di", "xi", "x1i", "x2i") and np.any(fin & (x < 0)):
            problems.append(f"{nm(name)}: a count must be >= 0; negative in row(s) {_bad_rows(fin & (x < 0))}")
        if name in ("n1i", "n2i", "ni") and np.any(fin & (x <= 0)):
            problems.append(f"{nm(name)}: a sample size must be > 0; found {x[fin & (x <= 0)][0]:g} in row(s) "
                            f"{_bad_rows(fin & (x <= 0))}")
        if name in ("t1i", "t2i", "ti") and np.any(fin & (x <= 0)):
            problems.append(f"{nm(name)}: a person-time must be > 0; found {x[fin & (x <= 0)][0]:g} in row(s) "
                            f"{_bad_rows(fin & (x <= 0))}")
        if name in ("sd1i", "sd2i") and np.any(fin & (x < 0)):
            problems.append(f"{nm(name)}: a standard deviation must be >= 0; negative in row(s) {_bad_rows(fin & (x < 0))}")
        if name == "ri" and "m2i" in a and np.any(fin & (np.abs(x) > 1)):
            problems.append(f"{nm('ri')}: a pre-post correlation must lie between -1 and 1; found "
                            f"{x[fin & (np.abs(x) > 1)][0]:g} in row(s) {_bad_rows(fin & (np.abs(x) > 1))}")
        elif name == "ri" and "m2i" not in a and np.any(fin & ((x <= -1) | (x >= 1))):
            m = fin & ((x <= -1) | (x >= 1))
            problems.append(f"{nm('ri')}: a correlation must lie strictly between -1 and 1; found {x[m][0]:g} in row(s) "
                            f"{_bad_rows(m)}")
    if "xi" in a and "ni" in a:
        m = np.isfinite(a["xi"]) & np.isfinite(a["ni"]) & (a["xi"] > a["ni"])
        if np.any(m):
            problems.append(f"{nm('xi')} (events) exceeds {nm('ni')} (total): the proportion would be above 1 in "
                            f"row(s) {_bad_rows(m)}")
    if problems:
        raise InputError(f"measure {measure}: " + "; ".join(problems))


def _table(ai, bi, ci, di, correct: bool):
    zero = (ai == 0) | (bi == 0) | (ci == 0) | (di == 0)
    if correct:
        add = np.where(zero, 0.5, 0.0)
        ai, bi, ci, di = ai + add, bi + add, ci + add, di + add
    return ai, bi, ci, di, zero if correct else np.zeros_like(zero)


def _rr(ai, bi, ci, di):
    ai, bi, ci, di, cc = _table(ai, bi, ci, di, True)
    n1, n2 = ai + bi, ci + di
    with np.errstate(divide="ignore", invalid="ignore"):
        yi = np.log(ai / n1) - np.log(ci / n2)
        vi = 1 / ai - 1 / n1 + 1 / ci - 1 / n2
    return yi, vi, cc


def _or(ai, bi, ci, di):
    ai, bi, ci, di, cc = _table(ai, bi, ci, di, True)
    with np.errstate(divide="ignore", invalid="ignore"):
        yi = np.log(ai * di / (bi * ci))
        vi = 1 / ai + 1 / bi + 1 / ci + 1 / di
    return yi, vi, cc


def _rd(ai, bi, ci, di):
    ai, bi, ci, di, cc = _table(ai, bi, ci, di, True)
    n1, n2 = ai + bi, ci + di
    p1, p2 = ai / n1, ci / n2
    return p1 - p2, p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2, cc


def _as(ai, bi, ci, di):
    n1, n2 = ai + bi, ci + di
    yi = np.arcsin(np.sqrt(ai / n1)) - np.arcsin(np.sqrt(ci / n2))
    return yi, 1 / (4 * n1) + 1 / (4 * n2), np.zeros(ai.shape, bool)


def _peto(ai, bi, ci, di):
    ai, bi, ci, di, cc = _table(ai, bi, ci, di, True)
    n1, n2 = ai + bi, ci + di
    nt = n1 + n2
    xt, yt = ai + ci, bi + di
    ei = xt * n1 / nt
    var = xt * yt * (n1 / nt) * (n2 / nt) / (nt - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (ai - ei) / var, 1 / var, cc


def _md(m1i, sd1i, n1i, m2i, sd2i, n2i):
    return m1i - m2i, sd1i**2 / n1i + sd2i**2 / n2i, np.zeros(m1i.shape, bool)


def _smd(m1i, sd1i, n1i, m2i, sd2i, n2i):
    mi = n1i + n2i - 2
    sp = np.sqrt(((n1i - 1) * sd1i**2 + (n2i - 1) * sd2i**2) / mi)
    yi = hedges_correction(mi) * (m1i - m2i) / sp
    return yi, smd_variance(yi, n1i, n2i), np.zeros(m1i.shape, bool)


def smd_variance(g, n1i, n2i) -> np.ndarray:
    """Large-sample variance of a (bias-corrected) SMD, as metafor's default:
    1/n1 + 1/n2 + g^2 / (2 (n1 + n2)).

    Parameters
    ----------
    g : array_like
        Standardised mean differences.
    n1i, n2i : array_like
        Group sizes.

    Returns
    -------
    ndarray
        Sampling variances.

    References
    ----------
    Hedges, L. V., & Olkin, I. (1985). Statistical methods for meta-analysis. Academic
    Press, chapter 5.
    """
    g, n1i, n2i = (np.asarray(x, float) for x in (g, n1i, n2i))
    return 1 / n1i + 1 / n2i + g**2 / (2 * (n1i + n2i))


def _smdh(m1i, sd1i, n1i, m2i, sd2i, n2i):
    # Bonett (2009): standardiser is the unweighted average variance
    cm = hedges_correction(n1i + n2i - 2)
    s2 = (sd1i**2 + sd2i**2) / 2
    yi = cm * (m1i - m2i) / np.sqrt(s2)
    vi = cm**2 * yi**2 * (sd1i**4 / (n1i - 1) + sd2i**4 / (n2i - 1)) / (8 * s2**2) + (
        sd1i**2 / (n1i - 1) + sd2i**2 / (n2i - 1)
    ) / s2 * cm**2
    return yi, vi, np.zeros(m1i.shape, bool)


def _rom(m1i, sd1i, n1i, m2i, sd2i, n2i):
    yi = np.log(m1i / m2i)
    vi = sd1i**2 / (n1i * m1i**2) + sd2i**2 / (n2i * m2i**2)
    return yi, vi, np.zeros(m1i.shape, bool)


def _cvr(m1i, sd1i, n1i, m2i, sd2i, n2i):
    yi = np.log(sd1i / m1i) + 1 / (2 * (n1i - 1)) - np.log(sd2i / m2i) - 1 / (2 * (n2i - 1))
    vi = 1 / (2 * (n1i - 1)) + sd1i**2 / (n1i * m1i**2) + 1 / (2 * (n2i - 1)) + sd2i**2 / (n2i * m2i**2)
    return yi, vi, np.zeros(m1i.shape, bool)


def _vr(sd1i, n1i, sd2i, n2i):
    yi = np.log(sd1i / sd2i) + 1 / (2 * (n1i - 1)) - 1 / (2 * (n2i - 1))
    vi = 1 / (2 * (n1i - 1)) + 1 / (2 * (n2i - 1))
    return yi, vi, np.zeros(sd1i.shape, bool)


def _cor(ri, ni):
    return ri.copy(), (1 - ri**2) ** 2 / (ni - 1), np.zeros(ri.shape, bool)


def _ucor(ri, ni):
    # Olkin & Pratt (1958) unbiased estimator via the Gauss hypergeometric function
    yi = ri * _hyp2f1_half(ni, 1 - ri**2)
    vi = (1 - yi**2) ** 2 / (ni - 1)
    return yi, vi, np.zeros(ri.shape, bool)


def _hyp2f1_half(ni, z):
    """2F1(1/2, 1/2; (n-2)/2; z), from scipy, with the power series where scipy
    returns NaN (large third argument with z near 1)."""
    c = (np.asarray(ni, float) - 2) / 2
    z = np.asarray(z, float)
    out = np.asarray(special.hyp2f1(0.5, 0.5, c, z), float)
    bad = ~np.isfinite(out)
    if np.any(bad):
        cb, zb = c[bad], z[bad]
        total = np.ones_like(zb)
        term = np.ones_like(zb)
        for n in range(100000):
            term = term * (n + 0.5) ** 2 / ((cb + n) * (n + 1)) * zb
            total += term
            if np.all(np.abs(term) < 1e-17 * np.abs(total)):
                break
        out[bad] = total
    return out


def _zcor(ri, ni):
    return np.arctanh(ri), 1 / (ni - 3), np.zeros(ri.shape, bool)


def _prop_cc(xi, ni, correct: bool):
    zero = (xi == 0) | (xi == ni)
    if correct:
        xi = xi + np.where(zero, 0.5, 0.0)
        ni = ni + np.where(zero, 1.0, 0.0)
        return xi, ni, zero
    return xi, ni, np.zeros_like(zero)


def _pr(xi, ni):
    xi, ni, cc = _prop_cc(xi, ni, True)
    p = xi / ni
    return p, p * (1 - p) / ni, cc


def _pln(xi, ni):
    xi, ni, cc = _prop_cc(xi, ni, True)
    with np.errstate(divide="ignore"):
        return np.log(xi / ni), 1 / xi - 1 / ni, cc


def _plo(xi, ni):
    xi, ni, cc = _prop_cc(xi, ni, True)
    with np.errstate(divide="ignore"):
        return np.log(xi / (ni - xi)), 1 / xi + 1 / (ni - xi), cc


def _pas(xi, ni):
    return np.arcsin(np.sqrt(xi / ni)), 1 / (4 * ni), np.zeros(xi.shape, bool)


def _pft(xi, ni):
    yi = 0.5 * (np.arcsin(np.sqrt(xi / (ni + 1))) + np.arcsin(np.sqrt((xi + 1) / (ni + 1))))
    return yi, 1 / (4 * ni + 2), np.zeros(xi.shape, bool)


def _sd_change(sd1i, sd2i, ri):
    return np.sqrt(sd1i**2 + sd2i**2 - 2 * ri * sd1i * sd2i)


def _mc(m1i, m2i, sd1i, sd2i, ni, ri):
    """Raw mean change m1 - m2; var = (sd1^2 + sd2^2 - 2 r sd1 sd2) / n."""
    return m1i - m2i, _sd_change(sd1i, sd2i, ri) ** 2 / ni, np.zeros(ni.shape, bool)


def _smcc(m1i, m2i, sd1i, sd2i, ni, ri):
    """Standardised by the SD of the change scores, bias-corrected with J(n - 1);
    var = 1/n + g^2 / (2n) (metafor's vtype "LS")."""
    with np.errstate(divide="ignore", invalid="ignore"):
        g = hedges_correction(ni - 1) * (m1i - m2i) / _sd_change(sd1i, sd2i, ri)
    return g, 1 / ni + g**2 / (2 * ni), np.zeros(ni.shape, bool)


def _smcr(m1i, m2i, sd1i, ni, ri):
    """Standardised by the SD of the second (pre) measurement, bias-corrected with
    J(n - 1); var = 2(1 - r)/n + g^2 / (2n) (Becker, 1988; metafor's vtype "LS")."""
    with np.errstate(divide="ignore", invalid="ignore"):
        g = hedges_correction(ni - 1) * (m1i - m2i) / sd1i
    return g, 2 * (1 - ri) / ni + g**2 / (2 * ni), np.zeros(ni.shape, bool)


def _rates_cc(x1i, x2i):
    zero = (x1i == 0) | (x2i == 0)
    add = np.where(zero, 0.5, 0.0)
    return x1i + add, x2i + add, zero


def _irr(x1i, t1i, x2i, t2i):
    x1, x2, cc = _rates_cc(x1i, x2i)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x1 / t1i) - np.log(x2 / t2i), 1 / x1 + 1 / x2, cc


def _ird(x1i, t1i, x2i, t2i):
    x1, x2, cc = _rates_cc(x1i, x2i)
    r1, r2 = x1 / t1i, x2 / t2i
    return r1 - r2, r1 / t1i + r2 / t2i, cc


def _rate_cc(xi):
    zero = xi == 0
    return xi + np.where(zero, 0.5, 0.0), zero


def _ir(xi, ti):
    x, cc = _rate_cc(xi)
    return x / ti, x / ti**2, cc


def _irln(xi, ti):
    x, cc = _rate_cc(xi)
    return np.log(x / ti), 1 / x, cc


def _irs(xi, ti):
    return np.sqrt(xi / ti), 1 / (4 * ti), np.zeros(xi.shape, bool)


def _irft(xi, ti):
    return 0.5 * (np.sqrt(xi / ti) + np.sqrt((xi + 1) / ti)), 1 / (4 * ti), np.zeros(xi.shape, bool)


_DISPATCH = {
    "MC": _mc, "SMCC": _smcc, "SMCR": _smcr, "IRR": _irr, "IRD": _ird,
    "IR": _ir, "IRLN": _irln, "IRS": _irs, "IRFT": _irft,
    "RR": _rr, "OR": _or, "RD": _rd, "AS": _as, "PETO": _peto,
    "MD": _md, "SMD": _smd, "SMDH": _smdh, "ROM": _rom, "CVR": _cvr, "VR": _vr,
    "COR": _cor, "UCOR": _ucor, "ZCOR": _zcor,
    "PR": _pr, "PLN": _pln, "PLO": _plo, "PAS": _pas, "PFT": _pft,
}


# --------------------------------------------------------------------------------------
# Conversions from reported statistics (Borenstein et al., 2009, ch. 4 and 7;
# Lipsey & Wilson, 2001, appendix B)
# --------------------------------------------------------------------------------------

def d_from_t(t, n1, n2, hedges: bool = True):
    """SMD from an independent-samples t statistic: d = t sqrt(1/n1 + 1/n2).

    Parameters
    ----------
    t : array_like
        t statistics (sign gives the direction).
    n1, n2 : array_like
        Group sizes.
    hedges : bool
        Apply the small-sample correction (Hedges' g).

    Returns
    -------
    g, vi : ndarray
        Effect sizes and sampling variances.

    References
    ----------
    Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009).
    Introduction to meta-analysis. Wiley, chapter 7.
    """
    t, n1, n2 = (np.asarray(x, float) for x in (t, n1, n2))
    d = t * np.sqrt(1 / n1 + 1 / n2)
    g = hedges_correction(n1 + n2 - 2) * d if hedges else d
    return g, smd_variance(g, n1, n2)


def d_from_f(f, n1, n2, sign=1.0, hedges: bool = True):
    """SMD from a one-degree-of-freedom F statistic (t = sqrt(F)).

    Parameters
    ----------
    f : array_like
        F statistics (>= 0).
    n1, n2 : array_like
        Group sizes.
    sign : float or array_like
        Direction, which F itself does not carry.
    hedges : bool
        Apply the small-sample correction.

    Returns
    -------
    g, vi : ndarray

    References
    ----------
    Lipsey, M. W., & Wilson, D. B. (2001). Practical meta-analysis. Sage, appendix B.
    """
    f = np.asarray(f, float)
    if np.any(f < 0):
        raise InputError("F statistic must be non-negative")
    return d_from_t(np.sign(sign) * np.sqrt(f), n1, n2, hedges=hedges)


def d_from_p(p, n1, n2, sign=1.0, two_sided: bool = True, hedges: bool = True):
    """SMD from an exact p-value of a two-group t test with n1 + n2 - 2 df.

    Parameters
    ----------
    p : array_like
        p-values, strictly between 0 and 1 (two-sided unless ``two_sided=False``).
    n1, n2 : array_like
        Group sizes; the t test has n1 + n2 - 2 degrees of freedom.
    sign, hedges, two_sided
        Direction (+1/-1), Hedges' correction, sidedness of ``p``.

    Returns
    -------
    g, vi : ndarray
        Effect sizes and variances, via :func:`d_from_t` (Lipsey & Wilson, 2001, appendix B).

    References
    ----------
    See :func:`d_from_f`.
    """
    p = np.asarray(p, float)
    if np.any((p <= 0) | (p >= 1)):
        raise InputError("p-value must lie strictly between 0 and 1")
    n1, n2 = np.asarray(n1, float), np.asarray(n2, float)
    q = p / 2 if two_sided else p
    t = stats.t.isf(q, n1 + n2 - 2)
    return d_from_t(np.sign(sign) * t, n1, n2, hedges=hedges)


def d_from_prepost(m_pre, m_post, sd_pre, n, r, sd_post=None, hedges: bool = True):
    """Standardised mean change for a single-group pre-post design (metafor's SMCR):
    standardised by the pre-test SD, with the pre-post correlation ``r``; variance
    2(1 - r)/n + d^2 / (2n).

    Parameters
    ----------
    m_pre, m_post : array_like
        Pre- and post-test means.
    sd_pre : array_like
        Pre-test standard deviations.
    n : array_like
        Sample sizes.
    r : array_like
        Pre-post correlations, strictly between -1 and 1.
    sd_post : array_like, optional
        Not used (the pre-test SD standardises, as SMCR).
    hedges : bool
        Apply the small-sample correction with n - 1 df.

    Returns
    -------
    g, vi : ndarray

    References
    ----------
    Becker, B. J. (1988). Synthesizing standardized mean-change measures. British Journal
    of Mathematical and Statistical Psychology, 41(2), 257-278.
    """
    m_pre, m_post, sd_pre, n, r = (np.asarray(x, float) for x in (m_pre, m_post, sd_pre, n, r))
    if np.any((r <= -1) | (r >= 1)):
        raise InputError("pre-post correlation must lie strictly between -1 and 1")
    d = (m_post - m_pre) / sd_pre
    g = hedges_correction(n - 1) * d if hedges else d
    vi = 2 * (1 - r) / n + g**2 / (2 * n)
    return g, vi


def d_to_logor(d, vd):
    """SMD to log odds ratio: log OR = d pi / sqrt(3); var = vd pi^2 / 3.

    Parameters
    ----------
    d, vd : array_like
        SMDs and their variances.

    Returns
    -------
    logor, vlogor : ndarray

    References
    ----------
    Hasselblad, V., & Hedges, L. V. (1995). Meta-analysis of screening and diagnostic
    tests. Psychological Bulletin, 117(1), 167-178.
    """
    d, vd = np.asarray(d, float), np.asarray(vd, float)
    return d * np.pi / np.sqrt(3), vd * np.pi**2 / 3


def logor_to_d(logor, vlogor):
    """Log odds ratio to SMD (inverse of :func:`d_to_logor`): d = log OR sqrt(3) / pi;
    var = v 3 / pi^2.

    Parameters
    ----------
    logor, vlogor : array_like
        Log odds ratios and their variances.

    Returns
    -------
    d, vd : ndarray

    References
    ----------
    Hasselblad, V., & Hedges, L. V. (1995). Meta-analysis of screening and diagnostic
    tests. Psychological Bulletin, 117(1), 167-178.
    """
    logor, vlogor = np.asarray(logor, float), np.asarray(vlogor, float)
    return logor * np.sqrt(3) / np.pi, vlogor * 3 / np.pi**2


def d_to_r(d, vd, n1, n2):
    """SMD to correlation: r = d / sqrt(d^2 + a), a = (n1 + n2)^2 / (n1 n2);
    var = a^2 vd / (d^2 + a)^3.

    Parameters
    ----------
    d, vd : array_like
        SMDs and their variances.
    n1, n2 : array_like
        Group sizes.

    Returns
    -------
    r, vr : ndarray

    References
    ----------
    Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009).
    Introduction to meta-analysis. Wiley, equations 7.5-7.6.
    """
    d, vd, n1, n2 = (np.asarray(x, float) for x in (d, vd, n1, n2))
    a = (n1 + n2) ** 2 / (n1 * n2)
    r = d / np.sqrt(d**2 + a)
    vr = a**2 * vd / (d**2 + a) ** 3
    return r, vr


def r_to_d(r, vr):
    """Correlation to SMD: d = 2r / sqrt(1 - r^2); var = 4 vr / (1 - r^2)^3.

    Parameters
    ----------
    r, vr : array_like
        Correlations (strictly between -1 and 1) and their variances.

    Returns
    -------
    d, vd : ndarray

    References
    ----------
    Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009).
    Introduction to meta-analysis. Wiley, equations 7.7-7.8.
    """
    r, vr = np.asarray(r, float), np.asarray(vr, float)
    if np.any((r <= -1) | (r >= 1)):
        raise InputError("correlation must lie strictly between -1 and 1")
    return 2 * r / np.sqrt(1 - r**2), 4 * vr / (1 - r**2) ** 3


def partial_r_from_t(t, n, preds):
    """Partial correlation of a regression predictor from its t value (metafor's
    ``escalc("PCOR")``): r = t / sqrt(t^2 + df), df = n - preds - 1; var = (1 - r^2)^2 / df.

    Parameters
    ----------
    t : array_like
        t values of the predictor.
    n : array_like
        Sample sizes.
    preds : array_like
        Number of predictors in the regression.

    Returns
    -------
    r, vr : ndarray

    References
    ----------
    Aloe, A. M., & Thompson, C. G. (2013). The synthesis of partial effect sizes. Journal
    of the Society for Social Work and Research, 4(4), 390-405.
    """
    t, n, preds = (np.asarray(x, float) for x in (t, n, preds))
    df = n - preds - 1
    if np.any(df <= 0):
        raise InputError("partial correlation needs n > number of predictors + 1")
    r = t / np.sqrt(t**2 + df)
    return r, (1 - r**2) ** 2 / df


def back_transform(x, measure: str):
    """Back-transform an estimate (or CI bound) to the scale a reader expects: log ratios to
    ratios, logits to proportions, Fisher z to r, arcsine to proportions.

    Parameters
    ----------
    x : array_like
        Values on the analysis scale.
    measure : str
        The effect-size measure.

    Returns
    -------
    ndarray
        Values on the reporting scale (unchanged for measures without a transformation).

    References
    ----------
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48 (``transf``).
    """
    x = np.asarray(x, float)
    kind = MEASURE_INFO.get(str(measure).upper(), (None, None, None))[2]
    if kind == "exp":
        return np.exp(x)
    if kind == "expit":
        return special.expit(x)
    if kind == "tanh":
        return np.tanh(x)
    if kind == "sin2":
        return np.sin(np.clip(x, 0, np.pi / 2)) ** 2
    return x
