"""R-style (Wilkinson) formulas through formulaic: the model matrix of ``mods="~ ablat +
alloc"`` on a data frame, text columns as factors (first sorted level the reference, as R),
``C()``/``relevel()``/``factor()``, interactions, ``- 1``, and coefficient names as metafor
prints them; a data frame or named Series of moderators coded the same way."""

from __future__ import annotations

import re

import numpy as np

from evsynth.api.columns import columns_text, is_frame, is_number, is_series, plain_message
from evsynth.errors import InputError

__all__ = [
    "FORMULA_SPECS",
    "formula_matrix",
    "moderators",
    "frame_moderators",
    "levels_of",
    "relevel",
    "factor",
    "metafor_name",
]


def levels_of(x) -> tuple[np.ndarray, list]:
    """Values and levels of a factor-like column (levels in their order for a categorical,
    else sorted as R's ``factor``)."""
    import pandas as pd

    x = getattr(x, "__wrapped__", x)
    dtype = getattr(x, "dtype", None)
    values = np.asarray(x, dtype=object)
    if isinstance(dtype, pd.CategoricalDtype):
        return values, list(dtype.categories)
    return values, sorted(set(values.tolist()), key=lambda v: (not is_number(v), v if is_number(v) else str(v)))


def relevel(x, ref):
    """R's ``relevel(factor, ref=)``: the factor with ``ref`` as its first (reference) level."""
    import pandas as pd

    values, levels = levels_of(x)
    if ref not in levels:
        raise InputError(
            f"relevel: reference level {ref!r} is not a level of the factor (levels: {', '.join(map(str, levels))})"
        )
    return pd.Series(pd.Categorical(values, categories=[ref] + [lv for lv in levels if lv != ref]))


def factor(x, levels=None):
    """R's ``factor(x)``: a categorical with sorted levels (or ``levels`` in that order)."""
    import pandas as pd

    values, found = levels_of(x)
    if levels is None:
        levels = found
    missing = [str(v) for v in found if v not in list(levels)]
    if missing:
        raise InputError(f"factor: value(s) {', '.join(missing)} are not among levels {', '.join(map(str, levels))}")
    return pd.Series(pd.Categorical(values, categories=list(levels)))


FORMULA_SPECS: dict = {}  # id(X) -> (formulaic model spec, context): handed from formula_matrix to the fit

_C_CALL = re.compile(r"^C\(\s*([A-Za-z_.][A-Za-z0-9_.]*)\s*,.*\)$")


def metafor_name(col: str) -> str:
    """formulaic's column name as metafor prints it: ``alloc[T.random]`` -> ``allocrandom``,
    ``alloc[random]`` -> ``allocrandom``, ``C(alloc, ...)[T.b]`` -> ``allocb``; interactions
    part by part."""
    parts = []
    for part in _split_interaction(col):
        m = re.match(r"^(.*)\[(?:T\.)?([^\[\]]*)\]$", part)
        base, level = (m.group(1), m.group(2)) if m else (part, "")
        c = _C_CALL.match(base)
        if c:
            base = c.group(1)
        parts.append(base + level)
    return ":".join(parts)


def _split_interaction(col: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in col:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == ":" and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return out + [cur]


def formula_matrix(formula: str, data, arg: str = "mods"):
    """The model matrix of an R-style formula on ``data``.

    Parameters
    ----------
    formula : str
        A one-sided formula such as ``"~ ablat + alloc"`` (the ``~`` may be left out).
    data : pandas.DataFrame
        The data the formula's variables are columns of.
    arg : str
        The argument's name in error messages.

    Returns
    -------
    X : ndarray, shape (k, m)
        The columns without the intercept.
    names : list of str
        Their names as metafor prints them.
    intercept : bool
        Whether the formula has an intercept.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"x": [1.0, 2.0, 3.0], "g": ["b", "a", "b"]})
    >>> X, names, intercept = formula_matrix("~ x + g", d)
    >>> names, intercept
    (['x', 'gb'], True)
    >>> X[:, 1]
    array([1., 0., 1.])
    """
    if data is None:
        raise InputError(f"{arg}={formula!r} is a formula: give the data frame its variables are in (data=)")
    if not is_frame(data):
        raise InputError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    from formulaic import Formula, model_matrix
    from formulaic.errors import FormulaicError

    text = formula.strip()
    if not text.startswith("~"):
        text = "~ " + text
    context = {"relevel": relevel, "factor": factor, "log": np.log, "exp": np.exp, "sqrt": np.sqrt}
    try:
        needed = Formula(text).required_variables
    except Exception as exc:
        raise InputError(f"{arg}: cannot read the formula {formula!r} ({plain_message(exc)})") from None
    unknown = sorted(
        str(v)
        for v in needed
        if str(v) not in data.columns and str(v) not in context and str(v) not in ("C", "contr", "I", "np")
    )
    if unknown:
        raise InputError(
            f"{arg}: formula term(s) {', '.join(unknown)} of {formula!r} are not columns of data "
            f"(columns: {columns_text(data)})"
        )
    used = [str(v) for v in needed if str(v) in data.columns]
    for name in used:
        col = data[name]
        if col.isna().any():
            rows = ", ".join(str(i + 1) for i in np.flatnonzero(col.isna().to_numpy())[:10])
            raise InputError(f"{arg}: column {name!r} of the formula has missing values in row(s) {rows}")
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # formulaic warns (and codes NaN) for a value outside a factor's levels
            mm = model_matrix(text, data, ensure_full_rank=True, na_action="raise", context=context)
    except InputError:
        raise
    except (FormulaicError, ValueError, TypeError, KeyError, Warning) as exc:
        raise InputError(f"{arg}: cannot evaluate the formula {formula!r} on data ({plain_message(exc)})") from None
    cols = [str(c) for c in mm.columns]
    intercept = "Intercept" in cols
    keep = [i for i, c in enumerate(cols) if c != "Intercept"]
    X = np.asarray(mm, dtype=float)[:, keep]
    names = [metafor_name(cols[i]) for i in keep]
    FORMULA_SPECS[id(X)] = (mm.model_spec, context)
    return X, names, intercept


def moderators(mods, data, k: int, arg: str = "mods", intercept: bool = True):
    """(array or None, names or None, intercept or None) from formula, Series, DataFrame or array;
    intercept None: as the caller's ``intercept`` argument says."""
    if mods is None:
        return None, None, None
    if isinstance(mods, str):
        if "~" in mods or data is None or mods not in getattr(data, "columns", ()):
            X, names, intercept = formula_matrix(mods, data, arg)
        else:  # one column by name
            X, names, intercept = formula_matrix("~ " + mods, data, arg)
        if X.shape[0] != k:
            raise InputError(f"{arg}: the formula gives {X.shape[0]} rows but there are {k} studies")
        if not X.shape[1]:
            FORMULA_SPECS.pop(id(X), None)
            return None, names, intercept
        return X, names, intercept
    if is_series(mods):
        name = str(mods.name) if mods.name is not None else "x1"
        frame = mods.to_frame(name=name)
        return frame_moderators(frame, k, arg, intercept)
    if is_frame(mods):
        return frame_moderators(mods, k, arg, intercept)
    M = np.asarray(mods)
    if M.dtype.kind in "OUS":
        raise InputError(
            f"{arg}: an array of text cannot be a moderator; pass a data frame column or a formula "
            f"(text columns become factors)"
        )
    try:
        M = M.astype(float)
    except (TypeError, ValueError):
        raise InputError(f"{arg}: values must be numeric") from None
    if M.ndim == 0 or M.ndim > 2:
        raise InputError(f"{arg} must be one value (or one row) per study, got shape {M.shape}")
    if M.shape[0] != k:
        raise InputError(f"{arg} has {M.shape[0]} rows but there are {k} studies")
    if not np.all(np.isfinite(M)):
        raise InputError(f"{arg}: values must be numeric and non-missing")
    return M, None, None


def frame_moderators(frame, k: int, arg: str, intercept: bool = True):
    """A data frame of moderators: numeric columns as they are, text, categorical and bool
    columns as factors (first sorted level the reference; all levels of the first factor
    without an intercept, as R), names as metafor prints them (``allocrandom``, ``flagTRUE``)."""
    import pandas as pd

    if len(frame) != k:
        raise InputError(f"{arg} has {len(frame)} rows but there are {k} studies")
    cols, names = [], []
    full = not intercept
    for c in frame.columns:
        col = frame[c]
        name = str(c)
        if col.isna().any():
            rows = ", ".join(str(i + 1) for i in np.flatnonzero(col.isna().to_numpy())[:10])
            raise InputError(f"{arg}: column {name!r} has missing values in row(s) {rows}")
        if pd.api.types.is_bool_dtype(col):
            values, levels = col.to_numpy(dtype=object), [False, True]
            label = {False: "FALSE", True: "TRUE"}
        elif pd.api.types.is_numeric_dtype(col):
            cols.append(col.to_numpy(dtype=float))
            names.append(name)
            continue
        else:
            values, levels = levels_of(col)
            label = {lv: str(lv) for lv in levels}
        for lv in levels if full else levels[1:]:
            cols.append((values == lv).astype(float))
            names.append(name + label[lv])
        full = False
    X = np.column_stack(cols) if cols else np.zeros((k, 0))
    return X, names, None
