"""Effect sizes: metafor's ``escalc`` measures, conversions from reported test
statistics, and back-transformations for reporting.

All functions are vectorised over numpy arrays and return plain arrays or an
:class:`EffectSizes` object; nothing is printed or written.

Definitions follow metafor (Viechtbauer, 2010; ``?escalc``): bias-corrected SMD
with the exact gamma-function correction, large-sample variances, and a 1/2
continuity correction added only to studies with a zero cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from evsynth.errors import InputError
from evsynth.engine.conversions import (
    d_from_f,
    d_from_p,
    d_from_prepost,
    d_from_t,
    d_to_logor,
    d_to_r,
    hedges_correction,
    logor_to_d,
    partial_r_from_t,
    r_to_d,
    smd_variance,
)
from evsynth.engine.results import Result
from evsynth.engine.variances import VTYPES, apply_vtype, check_vtype, hyp2f1

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
    "ARGUMENTS",
    "VTYPES",
    "TO",
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

# The continuity correction (metafor's add, to, drop00) is applied by escalc before the measure:
# by default 1/2 to every cell of a study with a zero cell; the default add is 0 for AS, PAS, PFT,
# IRS and IRFT (as metafor).


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


# the arguments escalc knows (metafor's names); each measure uses those of MEASURE_INFO
ARGUMENTS = (
    "ai",
    "bi",
    "ci",
    "di",
    "n1i",
    "n2i",
    "x1i",
    "x2i",
    "t1i",
    "t2i",
    "m1i",
    "m2i",
    "sd1i",
    "sd2i",
    "xi",
    "mi",
    "ri",
    "ti",
    "ni",
)
TO = ("only0", "all", "if0all", "none")
# measures whose counts receive metafor's continuity correction: the cells tested for zero
_CELLS = {
    **{m: ("ai", "bi", "ci", "di") for m in ("RR", "OR", "RD", "AS", "PETO")},
    **{m: ("xi", "mi") for m in ("PR", "PLN", "PLO", "PAS", "PFT")},
    **{m: ("x1i", "x2i") for m in ("IRR", "IRD")},
    **{m: ("xi",) for m in ("IR", "IRLN", "IRS", "IRFT")},
}
# metafor's default add is 0 for these (1/2 for the other measures with counts)
_ADD0 = ("AS", "PAS", "PFT", "IRS", "IRFT")


def escalc(
    measure: str,
    ai=None,
    bi=None,
    ci=None,
    di=None,
    n1i=None,
    n2i=None,
    x1i=None,
    x2i=None,
    t1i=None,
    t2i=None,
    m1i=None,
    m2i=None,
    sd1i=None,
    sd2i=None,
    xi=None,
    mi=None,
    ri=None,
    ti=None,
    ni=None,
    *,
    add: float | None = None,
    to: str = "only0",
    drop00: bool = False,
    vtype: str | Sequence[str] = "LS",
) -> EffectSizes:
    """Compute effect sizes and sampling variances as metafor's ``escalc``.

    Arguments use metafor's names: ``ai, bi, ci, di`` (2x2 tables; ``n1i, n2i`` may replace
    ``bi, di``), ``m1i, sd1i, n1i, m2i, sd2i, n2i`` (means and SDs), ``ri, ni``
    (correlations), ``xi, ni`` or ``xi, mi`` (proportions: events and total, or events and
    non-events), ``m1i, m2i, sd1i, sd2i, ni, ri`` (pre-post: MC, SMCC, SMCR),
    ``x1i, t1i, x2i, t2i`` (person-time: IRR, IRD) and ``xi, ti`` (IR, IRLN, IRS, IRFT).
    An argument the function does not know raises ``TypeError`` naming it; a known one the
    measure does not use is ignored (as metafor).

    Parameters
    ----------
    measure : str
        One of :data:`MEASURES` (metafor's names).
    ai, bi, ci, di, n1i, n2i, x1i, x2i, t1i, t2i, m1i, m2i, sd1i, sd2i, xi, mi, ri, ti, ni : array_like
        The measure's arguments (all of one length).
    add : float, optional
        Amount added to counts (metafor's ``add``): 1/2 by default, 0 for AS, PAS, PFT, IRS
        and IRFT.
    to : {"only0", "all", "if0all", "none"}
        Which studies get ``add``: those with a zero cell (default), all, all when any has a
        zero cell, none.
    drop00 : bool
        Studies with no events (or only events) in both groups get NaN (2x2 tables, IRR, IRD).
    vtype : str or sequence of str
        The sampling-variance estimator, one for all studies or one per study (metafor
        3.8-1's choices, :data:`VTYPES`): "LS" (default, large sample); SMD also "UB"
        (unbiased), "LS2", "AV" (with the sample-size weighted mean effect); MD "UB", "HO"
        (pooled SD); SMDH "LS2"; ROM "HO", "AV", "AVHO" (weighted mean coefficients of
        variation, per group or pooled); RD, PR "UB", "AV"; PLN, PLO, COR "AV"; UCOR "UB",
        "AV"; SMCC, SMCR "LS2". Another name raises ``InputError`` listing those accepted.

    Returns
    -------
    EffectSizes
        ``yi``, ``vi``, ``measure`` and ``corrected`` (rows that received ``add``);
        ``to_frame()`` gives one row per study.

    References
    ----------
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48 (``escalc``).
    """
    given = {
        k: v
        for k, v in dict(
            ai=ai,
            bi=bi,
            ci=ci,
            di=di,
            n1i=n1i,
            n2i=n2i,
            x1i=x1i,
            x2i=x2i,
            t1i=t1i,
            t2i=t2i,
            m1i=m1i,
            m2i=m2i,
            sd1i=sd1i,
            sd2i=sd2i,
            xi=xi,
            mi=mi,
            ri=ri,
            ti=ti,
            ni=ni,
        ).items()
        if v is not None
    }
    measure = str(measure).upper()
    if measure not in MEASURE_INFO:
        raise InputError(f"measure: unknown effect-size measure '{measure}'; allowed: {', '.join(MEASURES)}")
    vtype = check_vtype(vtype, measure)
    if to not in TO:
        raise InputError(f"to: must be one of {', '.join(TO)}; got {to!r}")
    if add is None:
        add = 0.0 if measure in _ADD0 else 0.5
    if isinstance(add, bool) or not isinstance(add, (int, float, np.integer, np.floating)) or not add >= 0:
        raise InputError(f"add: must be a number >= 0; got {add!r}")
    a = {name: _arr(val, name) for name, val in given.items()}
    lens = {name: x.size for name, x in a.items()}
    if len(set(lens.values())) > 1:
        first = next(iter(lens))
        other = next(n for n in lens if lens[n] != lens[first])
        raise InputError(
            f"escalc: {first} has {lens[first]} values but {other} has {lens[other]} "
            "(every argument gives one value per study)"
        )
    required = MEASURE_INFO[measure][0]
    if measure in {"RR", "OR", "RD", "AS", "PETO"}:
        # metafor also accepts n1i/n2i in place of bi/di
        if "bi" not in a and "n1i" in a and "ai" in a:
            a["bi"] = a["n1i"] - a["ai"]
        if "di" not in a and "n2i" in a and "ci" in a:
            a["di"] = a["n2i"] - a["ci"]
    if measure in _CELLS and _CELLS[measure] == ("xi", "mi") and "ni" not in a and "xi" in a and "mi" in a:
        a["ni"] = a["xi"] + a["mi"]  # proportions: events and non-events
    missing = [name for name in required if name not in a]
    if missing:
        raise InputError(f"measure {measure} needs {', '.join(required)}; missing: {', '.join(missing)}")
    args = {name: a[name] for name in required}
    check_statistics(measure, args)
    args, corrected, dropped = _continuity(measure, args, float(add), to, bool(drop00))
    yi, vi, _ = _DISPATCH[measure](**args)
    yi, vi = np.asarray(yi, float).copy(), np.asarray(vi, float).copy()
    vi = apply_vtype(measure, vtype, yi, vi, args)
    yi[dropped], vi[dropped] = np.nan, np.nan
    return EffectSizes(yi=yi, vi=vi, measure=measure, corrected=np.asarray(corrected, bool))


def _continuity(measure, args, add, to, drop00):
    """metafor's drop00 and continuity correction: (arguments, corrected rows, dropped rows)."""
    k = next(iter(args.values())).size
    none = np.zeros(k, bool)
    if measure not in _CELLS:
        return args, none, none
    if measure in ("PR", "PLN", "PLO", "PAS", "PFT"):
        cells = {"xi": args["xi"], "mi": args["ni"] - args["xi"]}
    else:
        cells = {c: args[c] for c in _CELLS[measure]}
    dropped = none
    if drop00 and measure in ("RR", "OR", "RD", "AS", "PETO"):
        dropped = ((cells["ai"] == 0) & (cells["ci"] == 0)) | ((cells["bi"] == 0) & (cells["di"] == 0))
    elif drop00 and measure in ("IRR", "IRD"):
        dropped = (cells["x1i"] == 0) & (cells["x2i"] == 0)
    zero = np.zeros(k, bool)
    for x in cells.values():
        zero |= x == 0
    zero &= ~dropped
    if to == "all":
        rows = ~dropped
    elif to == "only0":
        rows = zero
    elif to == "if0all":
        rows = ~dropped if zero.any() else none
    else:
        rows = none
    if add == 0:
        rows = none
    if rows.any():
        cells = {c: x + np.where(rows, add, 0.0) for c, x in cells.items()}
        args = dict(args)
        if "mi" in cells:
            args["xi"], args["ni"] = cells["xi"], cells["xi"] + cells["mi"]
        else:
            args.update(cells)
    return args, rows, dropped


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
            problems.append(
                f"{nm(name)}: a sample size must be > 0; found {x[fin & (x <= 0)][0]:g} in row(s) "
                f"{_bad_rows(fin & (x <= 0))}"
            )
        if name in ("t1i", "t2i", "ti") and np.any(fin & (x <= 0)):
            problems.append(
                f"{nm(name)}: a person-time must be > 0; found {x[fin & (x <= 0)][0]:g} in row(s) "
                f"{_bad_rows(fin & (x <= 0))}"
            )
        if name in ("sd1i", "sd2i") and np.any(fin & (x < 0)):
            problems.append(
                f"{nm(name)}: a standard deviation must be >= 0; negative in row(s) {_bad_rows(fin & (x < 0))}"
            )
        if name == "ri" and "m2i" in a and np.any(fin & (np.abs(x) > 1)):
            problems.append(
                f"{nm('ri')}: a pre-post correlation must lie between -1 and 1; found "
                f"{x[fin & (np.abs(x) > 1)][0]:g} in row(s) {_bad_rows(fin & (np.abs(x) > 1))}"
            )
        elif name == "ri" and "m2i" not in a and np.any(fin & ((x <= -1) | (x >= 1))):
            m = fin & ((x <= -1) | (x >= 1))
            problems.append(
                f"{nm('ri')}: a correlation must lie strictly between -1 and 1; found {x[m][0]:g} in row(s) "
                f"{_bad_rows(m)}"
            )
    if "xi" in a and "ni" in a:
        m = np.isfinite(a["xi"]) & np.isfinite(a["ni"]) & (a["xi"] > a["ni"])
        if np.any(m):
            problems.append(
                f"{nm('xi')} (events) exceeds {nm('ni')} (total): the proportion would be above 1 in "
                f"row(s) {_bad_rows(m)}"
            )
    if problems:
        raise InputError(f"measure {measure}: " + "; ".join(problems))


def _table(ai, bi, ci, di, correct: bool):
    """The cells as given (the continuity correction is escalc's, before the measure)."""
    return ai, bi, ci, di, np.zeros(ai.shape, bool)


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


def _smdh(m1i, sd1i, n1i, m2i, sd2i, n2i):
    # Bonett (2009): standardiser is the unweighted average variance
    cm = hedges_correction(n1i + n2i - 2)
    s2 = (sd1i**2 + sd2i**2) / 2
    yi = cm * (m1i - m2i) / np.sqrt(s2)
    vi = (
        cm**2 * yi**2 * (sd1i**4 / (n1i - 1) + sd2i**4 / (n2i - 1)) / (8 * s2**2)
        + (sd1i**2 / (n1i - 1) + sd2i**2 / (n2i - 1)) / s2 * cm**2
    )
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
    # Olkin & Pratt (1958) unbiased estimator via the Gauss hypergeometric function (NaN for
    # n <= 4, as metafor)
    yi = ri * hyp2f1(0.5, 0.5, (ni - 2) / 2, 1 - ri**2)
    vi = (1 - yi**2) ** 2 / (ni - 1)
    return yi, vi, np.zeros(ri.shape, bool)


def _zcor(ri, ni):
    return np.arctanh(ri), 1 / (ni - 3), np.zeros(ri.shape, bool)


def _prop_cc(xi, ni, correct: bool):
    """As given (the continuity correction is escalc's, before the measure)."""
    return xi, ni, np.zeros(xi.shape, bool)


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
    """As given (the continuity correction is escalc's, before the measure)."""
    return x1i, x2i, np.zeros(x1i.shape, bool)


def _irr(x1i, t1i, x2i, t2i):
    x1, x2, cc = _rates_cc(x1i, x2i)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x1 / t1i) - np.log(x2 / t2i), 1 / x1 + 1 / x2, cc


def _ird(x1i, t1i, x2i, t2i):
    x1, x2, cc = _rates_cc(x1i, x2i)
    r1, r2 = x1 / t1i, x2 / t2i
    return r1 - r2, r1 / t1i + r2 / t2i, cc


def _rate_cc(xi):
    """As given (the continuity correction is escalc's, before the measure)."""
    return xi, np.zeros(xi.shape, bool)


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
    "MC": _mc,
    "SMCC": _smcc,
    "SMCR": _smcr,
    "IRR": _irr,
    "IRD": _ird,
    "IR": _ir,
    "IRLN": _irln,
    "IRS": _irs,
    "IRFT": _irft,
    "RR": _rr,
    "OR": _or,
    "RD": _rd,
    "AS": _as,
    "PETO": _peto,
    "MD": _md,
    "SMD": _smd,
    "SMDH": _smdh,
    "ROM": _rom,
    "CVR": _cvr,
    "VR": _vr,
    "COR": _cor,
    "UCOR": _ucor,
    "ZCOR": _zcor,
    "PR": _pr,
    "PLN": _pln,
    "PLO": _plo,
    "PAS": _pas,
    "PFT": _pft,
}


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
