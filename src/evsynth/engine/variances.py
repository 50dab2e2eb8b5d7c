"""escalc's ``vtype``: the sampling-variance estimators a measure offers besides the large-sample
one ("LS"), as metafor 3.8-1 computes them.

:func:`evsynth.engine.effects.escalc` computes ``yi`` and the "LS" variances; :func:`apply_vtype`
replaces the variances of the rows whose ``vtype`` asks for another estimator. ``vtype`` is one
name for every study or one per study (as metafor). The "AV" estimators use the sample-size
weighted mean over all studies (of the effect, the proportion, or the coefficients of variation),
after the continuity correction (metafor's default ``addvi=TRUE``).

References: Viechtbauer (2010) and metafor's ``?escalc``; Hedges (1982) and Borenstein (2009) for
the SMD; Hedges, Gurevitch and Curtis (1999) for ROM; Bonett (2009) for SMDH; Olkin and Pratt
(1958) for UCOR; Becker (1988) and Morris (2008) for SMCC and SMCR.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from evsynth.engine.conversions import hedges_correction
from evsynth.errors import InputError

__all__ = ["VTYPES", "check_vtype", "apply_vtype", "hyp2f1"]

# the estimators each measure offers (metafor 3.8-1's names and choices; "LS" only for the others)
VTYPES = {
    "SMD": ("LS", "UB", "LS2", "AV"),
    "MD": ("LS", "UB", "HO"),
    "SMDH": ("LS", "LS2"),
    "ROM": ("LS", "HO", "AV", "AVHO"),
    "RD": ("LS", "UB", "AV"),
    "PR": ("LS", "UB", "AV"),
    "PLN": ("LS", "AV"),
    "PLO": ("LS", "AV"),
    "COR": ("LS", "AV"),
    "UCOR": ("LS", "UB", "AV"),
    "SMCC": ("LS", "LS2"),
    "SMCR": ("LS", "LS2"),
}


def check_vtype(vtype, measure: str) -> str | tuple[str, ...]:
    """Check ``vtype`` for ``measure``.

    Parameters
    ----------
    vtype : str or sequence of str
        One estimator's name for every study, or one per study (any case).
    measure : str
        The effect-size measure (upper case).

    Returns
    -------
    str or tuple of str
        The name(s) in upper case: a str for one name, a tuple for one per study.

    Raises
    ------
    InputError
        Naming ``vtype``, the measure and the names it accepts.
    """
    allowed = VTYPES.get(measure, ("LS",))
    if isinstance(vtype, str):
        names = (vtype,)
    else:
        try:
            names = tuple(vtype)
        except TypeError:
            raise InputError(f"vtype: must be a name or one name per study; got {vtype!r}") from None
        if not names:
            raise InputError("vtype: an empty sequence; give a name or one name per study")
    bad = [v for v in names if not isinstance(v, str) or v.upper() not in allowed]
    if bad:
        raise InputError(f"vtype: {bad[0]!r} is not available for measure {measure}; allowed: {', '.join(allowed)}")
    names = tuple(v.upper() for v in names)
    return names[0] if isinstance(vtype, str) else names


def apply_vtype(measure: str, vtype, yi: np.ndarray, vi: np.ndarray, args: dict) -> np.ndarray:
    """The sampling variances under ``vtype``.

    Parameters
    ----------
    measure : str
        The effect-size measure.
    vtype : str or tuple of str
        As returned by :func:`check_vtype`.
    yi, vi : ndarray
        The effect sizes and their "LS" variances.
    args : dict
        escalc's arguments of the measure, after the continuity correction.

    Returns
    -------
    ndarray
        ``vi`` with the rows of another estimator replaced; COR and UCOR have no variance for
        n <= 3 (NaN, as metafor).

    Raises
    ------
    InputError
        When a per-study ``vtype`` has not one name per study.
    """
    k = yi.size
    if not isinstance(vtype, str) and len(vtype) != k:
        raise InputError(f"vtype: {len(vtype)} names for {k} studies (give one name, or one per study)")
    rows = np.full(k, vtype, dtype=object) if isinstance(vtype, str) else np.asarray(vtype, dtype=object)
    out = np.asarray(vi, float).copy()
    for name in sorted(set(rows) - {"LS"}):
        mask = rows == name
        with np.errstate(divide="ignore", invalid="ignore"):
            out[mask] = np.broadcast_to(_ESTIMATORS[measure](name, yi, vi, args), (k,))[mask]
    if measure in ("COR", "UCOR"):
        out[args["ni"] <= 3] = np.nan
    return out


def hyp2f1(a: float, b: float, c, z) -> np.ndarray:
    """Gauss's hypergeometric function 2F1(a, b; c; z) as metafor's ``.Fcalc``.

    Parameters
    ----------
    a, b : float
        The first two parameters.
    c, z : array_like
        The third parameter and the argument (broadcast together).

    Returns
    -------
    ndarray
        NaN unless c > a + b (as metafor); from scipy, with the power series where scipy
        returns NaN (large c with z near 1).
    """
    c = np.asarray(c, float)
    z = np.asarray(z, float)
    c, z = np.broadcast_arrays(c, z)
    ok = c > a + b
    out = np.full(c.shape, np.nan)
    out[ok] = special.hyp2f1(a, b, c[ok], z[ok])
    bad = ok & ~np.isfinite(out)
    if np.any(bad):
        cb, zb = c[bad], z[bad]
        total = np.ones_like(zb)
        term = np.ones_like(zb)
        for n in range(100000):
            term = term * (a + n) * (b + n) / ((cb + n) * (n + 1)) * zb
            total += term
            if np.all(np.abs(term) < 1e-17 * np.abs(total)):
                break
        out[bad] = total
    return out


def _wmean(x, w) -> float:
    """Weighted mean over the rows where both are finite (metafor's ``.wmean(na.rm=TRUE)``)."""
    ok = np.isfinite(x) & np.isfinite(w)
    return float(np.sum(x[ok] * w[ok]) / np.sum(w[ok]))


def _smd(vtype, yi, vi, a):
    n1, n2 = a["n1i"], a["n2i"]
    m = n1 + n2 - 2
    cm = hedges_correction(m)
    if vtype == "UB":
        return 1 / n1 + 1 / n2 + (1 - (m - 2) / (m * cm**2)) * yi**2
    if vtype == "LS2":
        return cm**2 * (1 / n1 + 1 / n2 + (yi / cm) ** 2 / (2 * (n1 + n2)))
    ybar = _wmean(yi, n1 + n2)  # AV
    return 1 / n1 + 1 / n2 + ybar**2 / (2 * (n1 + n2))


def _md(vtype, yi, vi, a):
    if vtype == "UB":
        return vi
    return _pooled_var(a) * (1 / a["n1i"] + 1 / a["n2i"])  # HO


def _pooled_var(a):
    n1, n2 = a["n1i"], a["n2i"]
    return ((n1 - 1) * a["sd1i"] ** 2 + (n2 - 1) * a["sd2i"] ** 2) / (n1 + n2 - 2)


def _smdh(vtype, yi, vi, a):
    # LS2 as metafor 3.8-1 writes it (metafor 4 and later changed this formula)
    n1, n2, s1, s2 = a["n1i"], a["n2i"], a["sd1i"] ** 2, a["sd2i"] ** 2
    tot = s1 + s2
    return yi**2 * s1 / (2 * n1 * tot**2) + yi**2 * s2 / (2 * n2 * tot**2) + 2 * s1 / (n1 * tot) + 2 * s2 / (n2 * tot)


def _rom(vtype, yi, vi, a):
    n1, n2, m1, m2 = a["n1i"], a["n2i"], a["m1i"], a["m2i"]
    if vtype == "HO":
        sp2 = _pooled_var(a)
        return sp2 / (n1 * m1**2) + sp2 / (n2 * m2**2)
    cv1, cv2 = a["sd1i"] / m1, a["sd2i"] / m2
    if vtype == "AV":
        return _wmean(cv1, n1) ** 2 / n1 + _wmean(cv2, n2) ** 2 / n2
    ok = np.isfinite(n1) & np.isfinite(n2) & np.isfinite(cv1) & np.isfinite(cv2)  # AVHO
    cv = (np.sum(n1[ok] * cv1[ok]) + np.sum(n2[ok] * cv2[ok])) / np.sum(n1[ok] + n2[ok])
    return cv**2 * (1 / n1 + 1 / n2)


def _rd(vtype, yi, vi, a):
    n1, n2 = a["ai"] + a["bi"], a["ci"] + a["di"]
    p1, p2 = a["ai"] / n1, a["ci"] / n2
    if vtype == "UB":
        return p1 * (1 - p1) / (n1 - 1) + p2 * (1 - p2) / (n2 - 1)
    m1, m2 = _wmean(p1, n1), _wmean(p2, n2)  # AV
    return m1 * (1 - m1) / n1 + m2 * (1 - m2) / n2


def _pr(vtype, yi, vi, a):
    n = a["ni"]
    p = a["xi"] / n
    if vtype == "UB":
        return p * (1 - p) / (n - 1)
    mp = _wmean(p, n)  # AV
    return mp * (1 - mp) / n


def _pln(vtype, yi, vi, a):
    n = a["ni"]
    mp = _wmean(a["xi"] / n, n)  # AV
    return 1 / (mp * n) - 1 / n


def _plo(vtype, yi, vi, a):
    n = a["ni"]
    mp = _wmean(a["xi"] / n, n)  # AV
    return 1 / (mp * n) + 1 / ((1 - mp) * n)


def _cor(vtype, yi, vi, a):
    n = a["ni"]
    if vtype == "UB":  # UCOR only: Olkin and Pratt's unbiased variance
        r2 = 1 - a["ri"] ** 2
        return yi**2 - (1 - (n - 3) / (n - 2) * r2 * hyp2f1(1, 1, n / 2, r2))
    ybar = _wmean(yi, n)  # AV
    return (1 - ybar**2) ** 2 / (n - 1)


def _smcc(vtype, yi, vi, a):
    # LS2: cm^2 times the LS variance of the uncorrected d (as for the SMD)
    n = a["ni"]
    cm = hedges_correction(n - 1)
    return cm**2 * (1 / n + (yi / cm) ** 2 / (2 * n))


def _smcr(vtype, yi, vi, a):
    n = a["ni"]  # LS2 as for SMCC
    cm = hedges_correction(n - 1)
    return cm**2 * (2 * (1 - a["ri"]) / n + (yi / cm) ** 2 / (2 * n))


_ESTIMATORS = {
    "SMD": _smd,
    "MD": _md,
    "SMDH": _smdh,
    "ROM": _rom,
    "RD": _rd,
    "PR": _pr,
    "PLN": _pln,
    "PLO": _plo,
    "COR": _cor,
    "UCOR": _cor,
    "SMCC": _smcc,
    "SMCR": _smcr,
}
