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

import inspect
import re

import numpy as np

from evsynth.api.columns import (
    check_finite,
    column,
    columns_text,
    engine_verb,
    is_frame,
    is_series,
    labels_from,
    plain_message,
    subset_rows,
)
from evsynth.engine.effects import ARGUMENTS
from evsynth.api.formulas import FORMULA_SPECS, formula_matrix, moderators
from evsynth.errors import InputError

__all__ = ["escalc", "rma", "rma_mv", "robust", "predict", "formula_matrix", "ESCALC_DATA_ARGS"]

# escalc's statistics (the engine's ARGUMENTS) and the other columns metafor's escalc reads from data=
ESCALC_DATA_ARGS = ARGUMENTS + ("fi", "pi", "sdi", "r2i", "yi", "vi", "sei")


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
    named = {
        n
        for n, p in inspect.signature(verb).parameters.items()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and n != "measure"
    }
    unknown = [a for a in args if a not in ESCALC_DATA_ARGS and a not in named]
    if unknown:  # never swallowed: metafor's arguments only
        raise TypeError(f"escalc() got an unexpected keyword argument {unknown[0]!r}")
    if data is None:
        if slab is not None or subset is not None:
            raise InputError("escalc: slab= and subset= need data= (a data frame)")
        return verb(measure, **args)
    if not is_frame(data):
        raise InputError(f"escalc: data must be a pandas DataFrame, got {type(data).__name__}")
    if len(var_names) != 2 or not all(isinstance(v, str) for v in var_names):
        raise InputError("escalc: var_names must be two column names, e.g. ('yi', 'vi')")
    data = subset_rows(data, subset)
    k = len(data)
    resolved = {}
    for name, value in args.items():
        if name in ESCALC_DATA_ARGS:
            resolved[name] = column(value, name, data, k=k)
        else:
            resolved[name] = value
    labels = labels_from(slab, data, k)
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
    if vi is None and sei is None and is_frame(yi) and data is None:
        data, (yi, vi) = yi, yi.attrs.get("yi_vi", ("yi", "vi"))
    elif vi is None and sei is None and hasattr(yi, "yi") and hasattr(yi, "vi") and not is_frame(yi):
        yi, vi = yi.yi, yi.vi
    elif vi is None and sei is None and yi is None and is_frame(data):
        yi, vi = data.attrs.get("yi_vi", ("yi", "vi"))
    if data is not None and not is_frame(data):
        raise InputError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    y = column(yi, "yi", data)
    if vi is None and sei is None:
        raise InputError("give the sampling variances vi (or the standard errors sei)")
    if vi is not None:
        v = column(vi, "vi", data, k=y.shape[0])
    else:
        v = column(sei, "sei", data, k=y.shape[0]) ** 2
    check_finite(y, "yi")
    check_finite(v, "vi" if vi is not None else "sei")
    return y, v, data


def _attach(fit, data, slab, X=None):
    fit.data = data
    spec = FORMULA_SPECS.pop(id(X), None) if X is not None else None
    fit.formula_spec = spec
    if slab is not None and getattr(fit, "slab", None) is None:
        try:
            fit.slab = slab
        except AttributeError:
            pass
    return fit


def rma(yi=None, vi=None, mods=None, *, data=None, sei=None, slab=None, subset=None, intercept: bool = True, **options):
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
    y, v, data = _effects(yi, vi, data if subset is None else subset_rows(data, subset), sei)
    k = y.shape[0]
    labels = labels_from(slab, data, k)
    X, names, f_intercept = moderators(mods, data, k, intercept=intercept)
    if f_intercept is not None:
        intercept = intercept and f_intercept
    if X is None and names is not None and not intercept:
        raise InputError("mods: the formula leaves no coefficient (no intercept and no moderator)")
    if options.get("coef_names") is None:
        options["coef_names"] = names
    try:
        fit = engine_verb("rma")(y, v, X, intercept=intercept, slab=labels, **options)
    except BaseException:
        FORMULA_SPECS.pop(id(X), None)
        raise
    return _attach(fit, data, labels, X)


_RANDOM = re.compile(r"^\s*~\s*(?P<inner>[^|]+?)\s*\|\s*(?P<outer>.+?)\s*$")


def _random_terms(random, data):
    """(grouping columns per term, their names per term, the ``~ inner | outer`` terms) from
    metafor's ``random``."""
    if not isinstance(random, (str, list, tuple)):
        raise InputError(
            f"random must be a formula such as '~ 1 | study' or a list of them, got {type(random).__name__}"
        )
    items = [random] if isinstance(random, str) else list(random)
    groups, names, inner_terms = [], [], []
    for item in items:
        if not isinstance(item, str):
            raise InputError(f"random: each term must be a formula such as '~ 1 | study', got {item!r}")
        m = _RANDOM.match(item)
        if not m:
            raise InputError(
                f"random: cannot read {item!r}; write '~ 1 | study', '~ 1 | district/school' "
                f"or '~ outcome | study' (with struct=)"
            )
        outer = [s.strip() for s in m.group("outer").split("/")]
        for o in outer:
            if data is None or not is_frame(data):
                raise InputError(f"random={item!r} names columns: give the data frame (data=)")
            if o not in data.columns:
                raise InputError(f"random: {o!r} in {item!r} is not a column of data (columns: {columns_text(data)})")
        inner = m.group("inner").strip()
        if inner != "1":
            if len(outer) != 1:
                raise InputError(f"random: {item!r}: an inner term needs one outer variable (~ {inner} | study)")
            if inner not in data.columns:
                raise InputError(
                    f"random: {inner!r} in {item!r} is not a column of data (columns: {columns_text(data)})"
                )
            inner_terms.append((inner, outer[0]))
            continue
        for o in outer:
            if data[o].isna().any():
                raise InputError(f"random: column {o!r} has missing values")
        groups.append([data[o].to_numpy() for o in outer])
        names.append(outer)
    nested = [n for n in names if len(n) > 1]
    if nested and len(names) > 1:  # the engine nests successive factors: one nesting term, or single factors
        raise InputError(
            f"random: the nested term '~ 1 | {'/'.join(nested[0])}' cannot be combined with other "
            f"'~ 1 | ...' terms; write the nesting in one term, e.g. '~ 1 | {'/'.join(nested[0])}'"
        )
    return groups, names, inner_terms


def rma_mv(
    yi=None,
    vi=None,
    groups=None,
    mods=None,
    *,
    random=None,
    data=None,
    struct=None,
    slab=None,
    subset=None,
    intercept: bool = True,
    **options,
):
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
    y, v, data = _effects(yi, vi, data if subset is None else subset_rows(data, subset))
    k = y.shape[0]
    labels = labels_from(slab, data, k)
    X, names, f_intercept = moderators(mods, data, k, intercept=intercept)
    if f_intercept is not None:
        intercept = intercept and f_intercept
    s_names = None
    st = None
    if isinstance(groups, str) or (
        isinstance(groups, (list, tuple)) and groups and all(isinstance(g, str) and "|" in g for g in groups)
    ):
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
            st = {
                "type": struct,
                "inner": data[inner].to_numpy(),
                "outer": data[outer].to_numpy(),
                "names": (inner, outer),
            }
        elif struct is not None:
            raise InputError("struct= goes with a random term '~ inner | outer'")
        groups_arr = flat
    else:
        if groups is None and struct is None:
            raise InputError("rma_mv needs random= (e.g. '~ 1 | study/es') or groups=")
        if groups is None:
            group_names, groups_arr = None, []
        elif is_frame(groups):
            group_names = [str(c) for c in groups.columns]
            groups_arr = [groups[c].to_numpy() for c in groups.columns]
        elif is_series(groups) or (isinstance(groups, np.ndarray) and groups.ndim == 1):
            group_names = [str(getattr(groups, "name", None) or "level1")]
            groups_arr = [np.asarray(groups)]
        else:
            groups_arr = [column(g, f"groups[{i}]", data, numeric=False) for i, g in enumerate(groups)]
            group_names = [
                g if isinstance(g, str) else (str(g.name) if is_series(g) and g.name is not None else None)
                for g in groups
            ]
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
        fit = engine_verb("rma_mv")(
            y, v, groups_arr, X, intercept=intercept, group_names=group_names, struct=st, **options
        )
    except BaseException:
        FORMULA_SPECS.pop(id(X), None)
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
                        f"'~ 1 | {names[i]}/{names[j]}'"
                    )


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

    frame = newdata if is_frame(newdata) else pd.DataFrame(newdata)
    model_spec, context = spec
    from formulaic.errors import FormulaicError

    needed = sorted(str(v) for v in model_spec.required_variables if str(v) not in context)
    missing = [v for v in needed if v not in frame.columns]
    if missing:
        raise InputError(
            f"predict: newdata lacks the formula's variable(s) {', '.join(missing)} (columns: {columns_text(frame)})"
        )
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # formulaic warns (and codes NaN) for a level the fit did not see
            mm = model_spec.get_model_matrix(frame, context=context, na_action="raise")
    except (FormulaicError, ValueError, TypeError, KeyError, Warning) as exc:
        raise InputError(f"predict: newdata cannot be coded as the fit's formula ({plain_message(exc)})") from None
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
