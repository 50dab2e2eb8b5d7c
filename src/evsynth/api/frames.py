"""Data frames and formulas in front of the engine's verbs (issue 26 item 1).

A column is named by a string and looked up in ``data``; moderators are an R-style
(Wilkinson) formula evaluated by formulaic on ``data``: text columns become factors whose
first level (sorted, as R) is the reference, ``C(x, contr.treatment("b"))`` or
``relevel(x, ref="b")`` picks another reference, ``a:b`` and ``a * b`` give interactions,
``- 1`` removes the intercept.  Coefficients are named as metafor prints them
(``intrcpt``, ``ablat``, ``allocrandom``, ``ablat:allocrandom``).  Arrays keep working as
they do with the engine's verbs.
"""

from __future__ import annotations

import importlib
import inspect
import re

import numpy as np

from evsynth.errors import InputError

__all__ = ["escalc", "rma", "rma_mv", "robust", "predict", "formula_matrix", "ESCALC_DATA_ARGS"]

# escalc's arguments that hold data (one value per study): looked up in ``data`` when given as text
ESCALC_DATA_ARGS = ("ai", "bi", "ci", "di", "n1i", "n2i", "x1i", "x2i", "t1i", "t2i", "m1i", "m2i", "sd1i",
                    "sd2i", "xi", "mi", "ri", "ti", "fi", "pi", "sdi", "r2i", "ni", "yi", "vi", "sei")


def engine_verb(name: str):
    """The engine's verb ``name``: the package ``evsynth.engine`` exports every verb,
    whichever module owns it (imported on first use)."""
    return getattr(importlib.import_module("evsynth.engine"), name)


# ------------------------------------------------------------------------------------ columns

def _is_frame(x) -> bool:
    return hasattr(x, "columns") and hasattr(x, "iloc")


def _is_series(x) -> bool:
    return hasattr(x, "to_numpy") and hasattr(x, "name") and not hasattr(x, "columns")


def _columns_text(data) -> str:
    return ", ".join(str(c) for c in data.columns)


def column(x, arg: str, data=None, *, numeric: bool = True, k: int | None = None):
    """The values of argument ``arg``: a column of ``data`` when ``x`` is text (a column
    name, or an expression of columns such as ``"tpos + tneg"``), else ``x`` itself.

    Raises
    ------
    InputError
        Naming ``arg``: text without ``data``, a name that is not a column (the data frame's
        columns listed), non-numeric values, or a length other than ``k``.
    """
    if isinstance(x, str):
        if data is None:
            raise InputError(f"{arg}={x!r} names a column, but no data= was given")
        if not _is_frame(data):
            raise InputError(f"data must be a pandas DataFrame, got {type(data).__name__}")
        if x in data.columns:
            vals = data[x].to_numpy()
        else:
            try:
                vals = np.asarray(data.eval(x))
            except Exception:
                raise InputError(f"{arg}={x!r} is not a column of data (columns: {_columns_text(data)})") from None
            if vals.ndim != 1 or vals.shape[0] != len(data):
                raise InputError(f"{arg}={x!r} is not a column of data (columns: {_columns_text(data)})")
    elif _is_series(x) or _is_frame(x):
        vals = x.to_numpy()
    elif x is None:
        return None
    else:
        vals = np.asarray(x)
    if vals.ndim == 0:
        vals = vals.reshape(1)
    if vals.ndim != 1:
        raise InputError(f"{arg} must be one value per study (a column), got an array of shape {vals.shape}")
    if numeric:
        try:
            vals = vals.astype(float)
        except (TypeError, ValueError):
            bad = next((v for v in vals if not _is_number(v)), None)
            raise InputError(f"{arg}: values must be numeric (found {str(bad)!r})") from None
    if k is not None and vals.shape[0] != k:
        raise InputError(f"{arg} has {vals.shape[0]} values but there are {k} studies")
    return vals


_ANSI = re.compile(r"\x1b\[[0-9;]*m|[\u29da\u29db]")


def _plain(exc) -> str:
    """The first line of an exception's message without terminal colour codes."""
    return _ANSI.sub("", str(exc)).strip().split("\n")[0]


def _is_number(v) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


def _check_finite(vals, arg: str) -> None:
    bad = np.flatnonzero(~np.isfinite(vals))
    if bad.size:
        rows = ", ".join(str(i + 1) for i in bad[:10]) + (" ..." if bad.size > 10 else "")
        raise InputError(f"{arg} is missing or not finite in row(s) {rows} (NaN in yi or vi is not dropped: "
                         f"remove those rows or pass subset=)")


def _labels(slab, data, k: int):
    if slab is None:
        if data is not None and _is_frame(data) and data.attrs.get("slab") is not None:
            return [str(s) for s in data.attrs["slab"]]
        return None
    vals = column(slab, "slab", data, numeric=False, k=k)
    return [str(s) for s in vals]


def _subset(data, subset, arg="subset"):
    """Rows of ``data`` kept by ``subset`` (a boolean column name, a query text or a mask)."""
    if subset is None or data is None:
        return data
    if isinstance(subset, str):
        if subset in data.columns:
            mask = data[subset].to_numpy()
        else:
            try:
                mask = np.asarray(data.eval(subset))
            except Exception:
                raise InputError(f"subset={subset!r} is not a column or condition of data "
                                 f"(columns: {_columns_text(data)})") from None
    else:
        mask = np.asarray(subset)
    if mask.dtype != bool or mask.shape != (len(data),):
        raise InputError(f"{arg} must be one True/False per row of data ({len(data)} rows)")
    out = data.loc[mask].reset_index(drop=True)
    out.attrs = dict(data.attrs)
    if data.attrs.get("slab") is not None:
        out.attrs["slab"] = [s for s, m in zip(data.attrs["slab"], mask) if m]
    return out


# ------------------------------------------------------------------------------------ formulas

def _levels_of(x) -> tuple[np.ndarray, list]:
    """Values and levels of a factor-like column (levels in their order for a categorical,
    else sorted as R's ``factor``)."""
    import pandas as pd

    x = getattr(x, "__wrapped__", x)
    dtype = getattr(x, "dtype", None)
    values = np.asarray(x, dtype=object)
    if isinstance(dtype, pd.CategoricalDtype):
        return values, list(dtype.categories)
    return values, sorted(set(values.tolist()), key=lambda v: (not _is_number(v), v if _is_number(v) else str(v)))


def _relevel(x, ref):
    """R's ``relevel(factor, ref=)``: the factor with ``ref`` as its first (reference) level."""
    import pandas as pd

    values, levels = _levels_of(x)
    if ref not in levels:
        raise InputError(f"relevel: reference level {ref!r} is not a level of the factor (levels: "
                         f"{', '.join(map(str, levels))})")
    return pd.Series(pd.Categorical(values, categories=[ref] + [lv for lv in levels if lv != ref]))


def _factor(x, levels=None):
    """R's ``factor(x)``: a categorical with sorted levels (or ``levels`` in that order)."""
    import pandas as pd

    values, found = _levels_of(x)
    if levels is None:
        levels = found
    missing = [str(v) for v in found if v not in list(levels)]
    if missing:
        raise InputError(f"factor: value(s) {', '.join(missing)} are not among levels {', '.join(map(str, levels))}")
    return pd.Series(pd.Categorical(values, categories=list(levels)))


_SPECS: dict = {}  # id(X) -> (formulaic model spec, context): handed from formula_matrix to the fit

_LEVEL = re.compile(r"\[(?:T\.)?([^\[\]]*)\]")
_C_CALL = re.compile(r"^C\(\s*([A-Za-z_.][A-Za-z0-9_.]*)\s*,.*\)$")


def _metafor_name(col: str) -> str:
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
    if not _is_frame(data):
        raise InputError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    from formulaic import Formula, model_matrix
    from formulaic.errors import FormulaicError

    text = formula.strip()
    if not text.startswith("~"):
        text = "~ " + text
    context = {"relevel": _relevel, "factor": _factor, "log": np.log, "exp": np.exp, "sqrt": np.sqrt}
    try:
        needed = Formula(text).required_variables
    except Exception as exc:
        raise InputError(f"{arg}: cannot read the formula {formula!r} ({_plain(exc)})") from None
    unknown = sorted(str(v) for v in needed if str(v) not in data.columns and str(v) not in context
                     and str(v) not in ("C", "contr", "I", "np"))
    if unknown:
        raise InputError(f"{arg}: formula term(s) {', '.join(unknown)} of {formula!r} are not columns of data "
                         f"(columns: {_columns_text(data)})")
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
        raise InputError(f"{arg}: cannot evaluate the formula {formula!r} on data ({_plain(exc)})") from None
    cols = [str(c) for c in mm.columns]
    intercept = "Intercept" in cols
    keep = [i for i, c in enumerate(cols) if c != "Intercept"]
    X = np.asarray(mm, dtype=float)[:, keep]
    names = [_metafor_name(cols[i]) for i in keep]
    _SPECS[id(X)] = (mm.model_spec, context)
    return X, names, intercept


def _mods(mods, data, k: int, arg: str = "mods", intercept: bool = True):
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
            _SPECS.pop(id(X), None)
            return None, names, intercept
        return X, names, intercept
    if _is_series(mods):
        name = str(mods.name) if mods.name is not None else "x1"
        frame = mods.to_frame(name=name)
        return _frame_mods(frame, k, arg, intercept)
    if _is_frame(mods):
        return _frame_mods(mods, k, arg, intercept)
    M = np.asarray(mods)
    if M.dtype.kind in "OUS":
        raise InputError(f"{arg}: an array of text cannot be a moderator; pass a data frame column or a formula "
                         f"(text columns become factors)")
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


def _frame_mods(frame, k: int, arg: str, intercept: bool = True):
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
            values, levels = _levels_of(col)
            label = {lv: str(lv) for lv in levels}
        for lv in (levels if full else levels[1:]):
            cols.append((values == lv).astype(float))
            names.append(name + label[lv])
        full = False
    X = np.column_stack(cols) if cols else np.zeros((k, 0))
    return X, names, None


# ------------------------------------------------------------------------------------ verbs

def escalc(measure: str, *, data=None, slab=None, subset=None, var_names=("yi", "vi"), **args):
    """Compute effect sizes and sampling variances (metafor's ``escalc``), from columns of a
    data frame or from arrays.

    Parameters
    ----------
    measure : str
        metafor's measure name: ``"RR"``, ``"OR"``, ``"RD"``, ``"SMD"``, ``"MD"``, ``"ZCOR"``, ...
        (see ``evsynth.engine.effects.MEASURES``).
    data : pandas.DataFrame, optional
        When given, text arguments name its columns (or are expressions of them, e.g.
        ``n1i="tpos + tneg"``) and the result is ``data`` with the columns ``yi`` and ``vi``
        added (as metafor); else the arguments are arrays and the result is the engine's
        :class:`~evsynth.engine.effects.EffectSizes`.
    slab : str or array_like, optional
        Study labels (a column name or one label per row), kept in ``result.attrs["slab"]``
        and used by ``rma`` and the plots.
    subset : str or array of bool, optional
        Rows of ``data`` to keep (a boolean column, a condition such as ``"year > 1950"``,
        or a mask).
    var_names : tuple of str
        Names of the two added columns.
    **args
        The measure's arguments by metafor's names (``ai``, ``bi``, ``ci``, ``di``,
        ``n1i``, ``m1i``, ``sd1i``, ``ri``, ``ni``, ``xi``, ...), and the engine's options
        (passed on unchanged).

    Returns
    -------
    pandas.DataFrame or EffectSizes
        With ``data``: a copy of ``data`` with ``yi`` and ``vi`` appended and
        ``attrs["measure"]`` (and ``attrs["slab"]``); without: the engine's result.

    Raises
    ------
    InputError
        An argument naming no column of ``data`` (the columns listed), non-numeric or
        mismatched columns, or values the measure cannot take.

    References
    ----------
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48 (``escalc``).

    Examples
    --------
    >>> import pandas as pd
    >>> from evsynth import escalc
    >>> d = pd.DataFrame({"tpos": [4, 6], "tneg": [119, 300], "cpos": [11, 29], "cneg": [128, 274]})
    >>> dat = escalc("RR", ai="tpos", bi="tneg", ci="cpos", di="cneg", data=d)
    >>> dat[["yi", "vi"]].round(4)
           yi      vi
    0 -0.8893  0.3256
    1 -1.5854  0.1946
    """
    verb = engine_verb("escalc")
    named = {n for n, p in inspect.signature(verb).parameters.items()
             if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and n != "measure"}
    unknown = [a for a in args if a not in ESCALC_DATA_ARGS and a not in named]
    if unknown:  # never swallowed: metafor's arguments only
        raise TypeError(f"escalc() got an unexpected keyword argument {unknown[0]!r}")
    if data is None:
        if slab is not None or subset is not None:
            raise InputError("escalc: slab= and subset= need data= (a data frame)")
        return verb(measure, **args)
    if not _is_frame(data):
        raise InputError(f"escalc: data must be a pandas DataFrame, got {type(data).__name__}")
    if len(var_names) != 2 or not all(isinstance(v, str) for v in var_names):
        raise InputError("escalc: var_names must be two column names, e.g. ('yi', 'vi')")
    data = _subset(data, subset)
    k = len(data)
    resolved = {}
    for name, value in args.items():
        if name in ESCALC_DATA_ARGS:
            resolved[name] = column(value, name, data, k=k)
        else:
            resolved[name] = value
    labels = _labels(slab, data, k)
    es = verb(measure, **resolved)
    out = data.copy()
    out[var_names[0]] = np.asarray(es.yi, float)
    out[var_names[1]] = np.asarray(es.vi, float)
    out.attrs = dict(data.attrs)
    out.attrs["measure"] = es.measure
    out.attrs["yi_vi"] = tuple(var_names)
    out.attrs["escalc_args"] = {n: v for n, v in args.items() if n in ESCALC_DATA_ARGS and isinstance(v, str)}
    if labels is not None:
        out.attrs["slab"] = labels
    return out


def _effects(yi, vi, data, sei=None):
    """yi and vi arrays (and the data frame) from names, arrays, an escalc frame or EffectSizes."""
    if vi is None and sei is None and _is_frame(yi) and data is None:
        data, (yi, vi) = yi, yi.attrs.get("yi_vi", ("yi", "vi"))
    elif vi is None and sei is None and hasattr(yi, "yi") and hasattr(yi, "vi") and not _is_frame(yi):
        yi, vi = yi.yi, yi.vi
    elif vi is None and sei is None and yi is None and _is_frame(data):
        yi, vi = data.attrs.get("yi_vi", ("yi", "vi"))
    if data is not None and not _is_frame(data):
        raise InputError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    y = column(yi, "yi", data)
    if vi is None and sei is None:
        raise InputError("give the sampling variances vi (or the standard errors sei)")
    if vi is not None:
        v = column(vi, "vi", data, k=y.shape[0])
    else:
        v = column(sei, "sei", data, k=y.shape[0]) ** 2
    _check_finite(y, "yi")
    _check_finite(v, "vi" if vi is not None else "sei")
    return y, v, data


def _attach(fit, data, slab, X=None):
    fit.data = data
    spec = _SPECS.pop(id(X), None) if X is not None else None
    fit.formula_spec = spec
    if slab is not None and getattr(fit, "slab", None) is None:
        try:
            fit.slab = slab
        except AttributeError:
            pass
    return fit


def rma(yi=None, vi=None, mods=None, *, data=None, sei=None, slab=None, subset=None, intercept: bool = True,
        **options):
    """Fit an equal-, random- or mixed-effects model (metafor's ``rma``) from columns of a
    data frame, with an R-style formula for the moderators, or from arrays.

    Parameters
    ----------
    yi, vi : str or array_like
        Effect sizes and sampling variances: column names of ``data`` or arrays.  ``yi`` may
        also be an ``escalc`` data frame (or ``EffectSizes``) with ``vi`` left out.
    mods : str, pandas.Series, pandas.DataFrame or array_like, optional
        A formula such as ``"~ ablat + alloc"`` (text columns become factors, the first
        sorted level the reference; ``C()``/``relevel()``, ``a:b``, ``a * b``, ``- 1`` as in
        R), a named Series (its name is the coefficient's), a data frame (text columns
        become factors) or an array (as the engine's ``rma``).
    data : pandas.DataFrame, optional
        Where the names of ``yi``, ``vi``, ``sei``, ``slab`` and the formula's variables are
        looked up.
    sei : str or array_like, optional
        Standard errors in place of ``vi``.
    slab : str or array_like, optional
        Study labels (default: those ``escalc`` kept).
    subset : str or array of bool, optional
        Rows of ``data`` to use.
    intercept : bool
        Add an intercept (a formula's ``- 1`` removes it too).
    **options
        The engine's options, by metafor's names: ``method``, ``test``, ``level``, ``btt``,
        ``control``, ...; an unknown keyword raises ``TypeError``.

    Returns
    -------
    RMAResult
        The engine's result (``beta``, ``se``, ``tau2``, ``QE``, ``QM``, ``summary()``, ...)
        with coefficient names as metafor prints them and ``data`` attached (the plots read
        it).

    Raises
    ------
    InputError
        A name that is not a column (the columns listed), a formula term that is not a
        column, a factor level absent from the data, mismatched lengths, NaN in yi or vi.

    References
    ----------
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48.

    Examples
    --------
    >>> import pandas as pd
    >>> from evsynth import rma
    >>> d = pd.DataFrame({"yi": [-0.89, -1.59, -1.35, -1.44, -0.22], "vi": [0.33, 0.19, 0.42, 0.02, 0.05],
    ...                   "x": [44, 55, 42, 52, 13]})
    >>> fit = rma("yi", "vi", mods="~ x", data=d)
    >>> fit.coefs.names
    ['intrcpt', 'x']
    """
    y, v, data = _effects(yi, vi, data if subset is None else _subset(data, subset), sei)
    k = y.shape[0]
    labels = _labels(slab, data, k)
    X, names, f_intercept = _mods(mods, data, k, intercept=intercept)
    if f_intercept is not None:
        intercept = intercept and f_intercept
    if X is None and names is not None and not intercept:
        raise InputError("mods: the formula leaves no coefficient (no intercept and no moderator)")
    if options.get("coef_names") is None:
        options["coef_names"] = names
    try:
        fit = engine_verb("rma")(y, v, X, intercept=intercept, slab=labels, **options)
    except BaseException:
        _SPECS.pop(id(X), None)
        raise
    return _attach(fit, data, labels, X)


_RANDOM = re.compile(r"^\s*~\s*(?P<inner>[^|]+?)\s*\|\s*(?P<outer>.+?)\s*$")


def _random_terms(random, data):
    """(groups, group names, list form?, struct terms) from metafor's ``random``."""
    if not isinstance(random, (str, list, tuple)):
        raise InputError(f"random must be a formula such as '~ 1 | study' or a list of them, got "
                         f"{type(random).__name__}")
    items = [random] if isinstance(random, str) else list(random)
    groups, names, inner_terms = [], [], []
    for item in items:
        if not isinstance(item, str):
            raise InputError(f"random: each term must be a formula such as '~ 1 | study', got {item!r}")
        m = _RANDOM.match(item)
        if not m:
            raise InputError(f"random: cannot read {item!r}; write '~ 1 | study', '~ 1 | district/school' "
                             f"or '~ outcome | study' (with struct=)")
        outer = [s.strip() for s in m.group("outer").split("/")]
        for o in outer:
            if data is None or not _is_frame(data):
                raise InputError(f"random={item!r} names columns: give the data frame (data=)")
            if o not in data.columns:
                raise InputError(f"random: {o!r} in {item!r} is not a column of data (columns: "
                                 f"{_columns_text(data)})")
        inner = m.group("inner").strip()
        if inner != "1":
            if len(outer) != 1:
                raise InputError(f"random: {item!r}: an inner term needs one outer variable (~ {inner} | study)")
            if inner not in data.columns:
                raise InputError(f"random: {inner!r} in {item!r} is not a column of data (columns: "
                                 f"{_columns_text(data)})")
            inner_terms.append((inner, outer[0]))
            continue
        for o in outer:
            if data[o].isna().any():
                raise InputError(f"random: column {o!r} has missing values")
        if isinstance(random, str) or len(outer) > 1:
            groups.append([data[o].to_numpy() for o in outer])
            names.append(outer)
        else:
            groups.append([data[outer[0]].to_numpy()])
            names.append(outer)
    return groups, names, inner_terms


def rma_mv(yi=None, vi=None, groups=None, mods=None, *, random=None, data=None, struct=None, slab=None,
           subset=None, intercept: bool = True, **options):
    """Fit a multilevel / multivariate model (metafor's ``rma.mv``) with metafor's
    ``random`` formulas on a data frame, or with arrays as the engine's ``rma_mv``.

    Parameters
    ----------
    yi, vi : str or array_like
        Effect sizes and sampling variances (column names of ``data`` or arrays).
    groups : list of array_like, DataFrame, str or list of str, optional
        The engine's form (third positional argument, as before): nested grouping arrays,
        outermost first (a data frame's columns in order, named by their names); a formula
        (or list of formulas) here is taken as ``random``.
    mods : str or array_like, optional
        Moderators, as for :func:`rma` (a formula such as ``"~ year"``).
    random : str or list of str
        ``"~ 1 | district/school"`` (nested: components ``district`` and
        ``district/school``), or the list form ``["~ 1 | district", "~ 1 | study"]``
        (components ``district`` and ``study``; each later factor must be nested in the
        earlier ones -- crossed random effects are not fitted), or ``"~ outcome | study"``
        with ``struct="CS"`` or ``"HCS"``.
    data : pandas.DataFrame, optional
        Where names are looked up.
    struct : {"CS", "HCS"} or dict, optional
        The structure of an ``~ inner | outer`` term (or the engine's struct dict).
    slab : str or array_like, optional
        Study labels.
    subset : str or array of bool, optional
        Rows of ``data`` to use.
    intercept : bool
        Add an intercept (a formula's ``- 1`` removes it too).
    **options
        The engine's options (``method``, ``test``, ``level``, ``btt``, ``V``,
        ``sigma2_fixed``, ...).

    Returns
    -------
    RMAMVResult
        The engine's result, its variance components named as metafor names them
        (``s_names``), with ``data`` attached.

    Raises
    ------
    InputError
        A column that does not exist, a random term that cannot be read, crossed factors in
        the list form, mismatched lengths, NaN in yi or vi.

    References
    ----------
    Konstantopoulos, S. (2011). Fixed effects and variance components estimation in
    three-level meta-analysis. Research Synthesis Methods, 2(1), 61-76.
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48.

    Examples
    --------
    >>> import pandas as pd
    >>> from evsynth import rma_mv
    >>> d = pd.DataFrame({"yi": [0.1, 0.3, -0.2, 0.5, 0.4, 0.0], "vi": [0.05] * 6,
    ...                   "district": [1, 1, 2, 2, 3, 3], "school": [1, 2, 1, 2, 1, 2]})
    >>> fit = rma_mv("yi", "vi", random="~ 1 | district/school", data=d)
    >>> fit.s_names
    ['district', 'district/school']
    """
    y, v, data = _effects(yi, vi, data if subset is None else _subset(data, subset))
    k = y.shape[0]
    labels = _labels(slab, data, k)
    X, names, f_intercept = _mods(mods, data, k, intercept=intercept)
    if f_intercept is not None:
        intercept = intercept and f_intercept
    s_names = None
    st = None
    if isinstance(groups, str) or (isinstance(groups, (list, tuple)) and groups
                                   and all(isinstance(g, str) and "|" in g for g in groups)):
        if random is not None:
            raise InputError("rma_mv: give random= or groups=, not both")
        groups, random = None, groups
    if random is not None:
        if groups is not None:
            raise InputError("rma_mv: give random= or groups=, not both")
        terms, tnames, inner_terms = _random_terms(random, data)
        list_form = not isinstance(random, str)
        flat, gnames = [], []
        for g, n in zip(terms, tnames):
            flat += g
            gnames += n
        if list_form and len(flat) > 1:
            _check_nested(flat, gnames)
            s_names = gnames
        group_names = gnames
        if inner_terms:
            if len(inner_terms) > 1:
                raise InputError("random: at most one '~ inner | outer' term")
            if struct is None:
                raise InputError(f"random: '~ {inner_terms[0][0]} | {inner_terms[0][1]}' needs struct='CS' or 'HCS'")
            inner, outer = inner_terms[0]
            st = {"type": struct, "inner": data[inner].to_numpy(), "outer": data[outer].to_numpy(),
                  "names": (inner, outer)}
        elif struct is not None:
            raise InputError("struct= goes with a random term '~ inner | outer'")
        groups_arr = flat
    else:
        if groups is None and struct is None:
            raise InputError("rma_mv needs random= (e.g. '~ 1 | study/es') or groups=")
        if groups is None:
            group_names, groups_arr = None, []
        elif _is_frame(groups):
            group_names = [str(c) for c in groups.columns]
            groups_arr = [groups[c].to_numpy() for c in groups.columns]
        elif _is_series(groups) or (isinstance(groups, np.ndarray) and groups.ndim == 1):
            group_names = [str(getattr(groups, "name", None) or "level1")]
            groups_arr = [np.asarray(groups)]
        else:
            groups_arr = [column(g, f"groups[{i}]", data, numeric=False) for i, g in enumerate(groups)]
            group_names = [g if isinstance(g, str) else (str(g.name) if _is_series(g) and g.name is not None
                                                         else None) for g in groups]
            group_names = None if any(n is None for n in group_names) else group_names
        st = struct
    for i, g in enumerate(groups_arr):
        if len(g) != k:
            raise InputError(f"random/groups: grouping variable {i + 1} has {len(g)} values but there are {k} studies")
    if "group_names" in options:
        group_names = options.pop("group_names")
    if options.get("coef_names") is None:
        options["coef_names"] = names
    try:
        fit = engine_verb("rma_mv")(y, v, groups_arr, X, intercept=intercept, group_names=group_names, struct=st,
                                    **options)
    except BaseException:
        _SPECS.pop(id(X), None)
        raise
    if s_names is not None:
        fit.s_names = list(s_names)
    return _attach(fit, data, labels, X)


def _check_nested(groups, names) -> None:
    """The list form fits nested factors only: each factor's levels within one level of
    every earlier factor."""
    for j in range(1, len(groups)):
        for i in range(j):
            outer_of = {}
            for a, b in zip(groups[i], groups[j]):
                if outer_of.setdefault(b, a) != a:
                    raise InputError(
                        f"random: {names[j]!r} is not nested in {names[i]!r} (level {b!r} occurs in more than one "
                        f"{names[i]}); crossed random effects are not fitted -- for nested factors write "
                        f"'~ 1 | {names[i]}/{names[j]}'")


def predict(fit, newmods=None, *, newdata=None, **options):
    """Predicted average effects (metafor's ``predict``), with new moderator values given
    as a data frame of the formula's variables (``newdata``) when the fit was made with a
    formula.

    Parameters
    ----------
    fit : RMAResult, RMAMVResult or RobustResult
        A fitted model.
    newmods : array_like, optional
        Moderator values as metafor's ``newmods``: one row per prediction, one value per
        coefficient except the intercept (dummy columns as 0/1).
    newdata : pandas.DataFrame or dict, optional
        Values of the formula's variables (text for factors, e.g. ``{"ablat": [10, 30],
        "alloc": ["random", "random"]}``), coded as the fit's formula coded the data (same
        reference levels); a level the fit did not see is an error.
    **options
        The engine's options: ``transf``, ``level``.

    Returns
    -------
    PredictResult
        ``pred``, ``se``, ``ci_lb``, ``ci_ub``, ``pi_lb``, ``pi_ub``.

    References
    ----------
    Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package.
    Journal of Statistical Software, 36(3), 1-48 (``predict.rma``).

    Examples
    --------
    >>> import pandas as pd
    >>> from evsynth import predict, rma
    >>> d = pd.DataFrame({"yi": [0.1, 0.3, 0.2, 0.6, 0.5], "vi": [0.02] * 5,
    ...                   "g": ["a", "a", "b", "b", "b"]})
    >>> fit = rma("yi", "vi", mods="~ g", data=d)
    >>> round(float(predict(fit, newdata={"g": ["b"]}).pred[0]), 4)
    0.4333
    """
    verb = engine_verb("predict")
    if newdata is None:
        return verb(fit, newmods, **options)
    if newmods is not None:
        raise InputError("predict: give newmods= (numbers) or newdata= (the formula's variables), not both")
    spec = getattr(getattr(fit, "fit", fit), "formula_spec", None) or getattr(fit, "formula_spec", None)
    if spec is None:
        raise InputError("predict: newdata= needs a fit made with a formula (mods='~ ...'); give newmods= instead")
    import pandas as pd

    frame = newdata if _is_frame(newdata) else pd.DataFrame(newdata)
    model_spec, context = spec
    from formulaic.errors import FormulaicError

    needed = sorted(str(v) for v in model_spec.required_variables if str(v) not in context)
    missing = [v for v in needed if v not in frame.columns]
    if missing:
        raise InputError(f"predict: newdata lacks the formula's variable(s) {', '.join(missing)} "
                         f"(columns: {_columns_text(frame)})")
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # formulaic warns (and codes NaN) for a level the fit did not see
            mm = model_spec.get_model_matrix(frame, context=context, na_action="raise")
    except (FormulaicError, ValueError, TypeError, KeyError, Warning) as exc:
        raise InputError(f"predict: newdata cannot be coded as the fit's formula ({_plain(exc)})") from None
    cols = [str(c) for c in mm.columns]
    X = np.asarray(mm, dtype=float)[:, [i for i, c in enumerate(cols) if c != "Intercept"]]
    return verb(fit, X, **options)


def robust(fit, cluster, *, data=None, **options):
    """Cluster-robust inference (metafor's ``robust(fit, cluster, clubSandwich=TRUE)``),
    with the cluster given as a column name of the fit's data.

    Parameters
    ----------
    fit : RMAResult or RMAMVResult
        A fitted model.
    cluster : str or array_like
        A column of ``data`` (default: the data the fit was made from) or one cluster per
        effect size.
    data : pandas.DataFrame, optional
        Where ``cluster`` is looked up.
    **options
        The engine's options (``level``).

    Returns
    -------
    RobustResult
        CR2 standard errors, Satterthwaite df, tests and intervals.

    References
    ----------
    Pustejovsky, J. E., & Tipton, E. (2018). Small-sample methods for cluster-robust
    variance estimation and hypothesis testing in fixed effects models. Journal of
    Business & Economic Statistics, 36(4), 672-683.
    """
    if data is None:
        data = getattr(fit, "data", None)
    cl = column(cluster, "cluster", data, numeric=False, k=fit.k)
    return engine_verb("robust")(fit, cl, **options)
