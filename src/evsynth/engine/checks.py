"""Argument checks shared by the engine's verbs: effect sizes and sampling variances,
the test and the confidence level.  Every message names the argument (``yi``, ``vi``,
``level`` ...) and the rows concerned; nothing here computes a statistic."""

from __future__ import annotations

import numpy as np

from evsynth.errors import InputError

__all__ = ["check_effects", "check_test_level", "level_percent"]


def check_effects(yi, vi, *, where: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Validate effect sizes and sampling variances.

    Parameters
    ----------
    yi, vi : array_like, shape (k,)
        Effect sizes and their sampling variances.
    where : str, optional
        Prefix of the error message (e.g. the file name).

    Returns
    -------
    yi, vi : ndarray
        Float arrays.

    Raises
    ------
    InputError
        Different lengths, missing or non-finite values, or a variance <= 0 (rows named).
    """
    y, v, _ = checked_effects(yi, vi, where)
    return y, v


def checked_effects(yi, vi, where: str = ""):
    """:func:`check_effects`, also returning (sum y, sum v) when computed on the way (the
    fused route reuses them), else None."""
    pre = f"{where}: " if where else ""
    y = as_vector(yi, "yi", pre)
    v = as_vector(vi, "vi", pre)
    if y.shape != v.shape:
        raise InputError(f"{pre}yi has {y.size} values but vi has {v.size}")
    if y.size:
        sy, sv = np.sum(y), np.sum(v)
        if np.isfinite(sy + sv) and v.min() > 0 and sv <= VI_MAX:  # (all v > 0: their sum bounds each)
            return y, v, (sy, sv)  # the common case: all finite (a finite sum), no temporaries or index lists
    if np.isfinite(y).all() and np.isfinite(v).all() and (v > 0).all() and (v <= VI_MAX).all():
        return y, v, None  # finite values whose sum overflows
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        raise InputError(f"{pre}yi: effect size is missing or not finite in row(s) {_rows(bad)}")
    bad = np.flatnonzero(~np.isfinite(v))
    if bad.size:
        raise InputError(f"{pre}vi: sampling variance is missing or not finite in row(s) {_rows(bad)}")
    bad = np.flatnonzero(v <= 0)
    if bad.size:
        raise InputError(f"{pre}vi: sampling variance must be > 0; found {v[bad[0]]:g} in row(s) {_rows(bad)}")
    bad = np.flatnonzero(v > VI_MAX)
    raise InputError(
        f"{pre}vi: sampling variance {v[bad[0]]:g} in row(s) {_rows(bad)} is above {VI_MAX:g}: "
        "its weight 1/vi (and the sums of its powers) underflow; check the variance's units"
    )


# a larger sampling variance is refused: the scoring steps need sums of w^3 = 1/(v + tau^2)^3,
# which underflow to 0 beyond about 1e100 (a variance of 1e300 gave divisions by zero and NaN)
VI_MAX = 1e100


def as_vector(x, name: str, pre: str = "") -> np.ndarray:
    """``x`` as a 1-D float array, or an InputError naming the argument (text values, a
    table with several columns)."""
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{pre}{name}: must be numeric (one number per effect size); got {_first_text(x)}") from None
    if a.ndim > 1 and sum(d > 1 for d in a.shape) > 1:
        raise InputError(f"{pre}{name}: must be one value per effect size (1-D); got shape {a.shape}")
    return a.ravel()


def _first_text(x) -> str:
    try:
        for i, val in enumerate(np.ravel(np.asarray(x, dtype=object))):
            try:
                float(val)
            except (TypeError, ValueError):
                return f"{val!r} in row {i + 1}"
    except Exception:  # pragma: no cover - an object numpy cannot even hold
        pass
    return f"a {type(x).__name__}"


def _rows(idx) -> str:
    idx = list(np.asarray(idx) + 1)
    s = ", ".join(str(i) for i in idx[:10])
    return s + (f" and {len(idx) - 10} more" if len(idx) > 10 else "")


def check_test_level(test, allowed, allowed_text: str, level: float) -> str:
    """The ``test`` and ``level`` arguments of a fitting verb, checked.

    Parameters
    ----------
    test : str
        The test as the user spelled it; lower-cased, ``"hksj"`` read as ``"knha"``.
    allowed : tuple of str
        The tests the verb knows.
    allowed_text : str
        The same, as the message lists them.
    level : float
        Confidence level in percent, strictly between 0 and 100.

    Returns
    -------
    str
        The test's canonical name.

    Raises
    ------
    InputError
        An unknown test or a level outside (0, 100), naming the argument.
    """
    test = str(test).lower()
    if test == "hksj":
        test = "knha"
    if test not in allowed:
        raise InputError(f"unknown test '{test}'; allowed: {allowed_text}")
    level_percent(level)
    return test


def level_percent(level, *, name: str = "level") -> float:
    """A confidence level as metafor reads it, in percent.

    Parameters
    ----------
    level : float
        95 or 0.95 both mean 95 %: a value of at least 1 is a percentage, one in (0.5, 1) a
        proportion, one in (0, 0.5] the error rate alpha (metafor's ``.level``: 0.05 is 95 %).
    name : str
        The argument's name in the message.

    Returns
    -------
    float
        The level in percent (a percentage is returned unchanged).

    Raises
    ------
    InputError
        Not a number, or not strictly between 0 and 100.
    """
    if isinstance(level, bool) or not isinstance(level, (int, float, np.integer, np.floating)):
        raise InputError(f"{name} must be a number (95 or 0.95 for a 95% interval), got {level!r}")
    lv = float(level)
    if not (0 < lv < 100):
        raise InputError(f"{name} must be between 0 and 100 (95 or 0.95 for a 95% interval), got {level!r}")
    if lv >= 1:
        return lv
    return 100 * lv if lv > 0.5 else 100 * (1 - lv)
