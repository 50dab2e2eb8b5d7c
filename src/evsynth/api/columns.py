"""Columns of a data frame as the engine's arrays: a name (or an expression of columns)
looked up in ``data``, checked for type, length and missing values, with one message naming
the argument and the data frame's columns; the engine's verbs by name."""

from __future__ import annotations

import importlib
import re

import numpy as np

from evsynth.errors import InputError

__all__ = [
    "engine_verb",
    "is_frame",
    "is_series",
    "columns_text",
    "column",
    "plain_message",
    "is_number",
    "check_finite",
    "labels_from",
    "subset_rows",
]


def engine_verb(name: str):
    """The engine's verb ``name``: the package ``evsynth.engine`` exports every verb,
    whichever module owns it (imported on first use)."""
    return getattr(importlib.import_module("evsynth.engine"), name)


def is_frame(x) -> bool:
    return hasattr(x, "columns") and hasattr(x, "iloc")


def is_series(x) -> bool:
    return hasattr(x, "to_numpy") and hasattr(x, "name") and not hasattr(x, "columns")


def columns_text(data) -> str:
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
        if not is_frame(data):
            raise InputError(f"data must be a pandas DataFrame, got {type(data).__name__}")
        if x in data.columns:
            vals = data[x].to_numpy()
        else:
            try:
                vals = np.asarray(data.eval(x))
            except Exception:
                raise InputError(f"{arg}={x!r} is not a column of data (columns: {columns_text(data)})") from None
            if vals.ndim != 1 or vals.shape[0] != len(data):
                raise InputError(f"{arg}={x!r} is not a column of data (columns: {columns_text(data)})")
    elif is_series(x) or is_frame(x):
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
            bad = next((v for v in vals if not is_number(v)), None)
            raise InputError(f"{arg}: values must be numeric (found {str(bad)!r})") from None
    if k is not None and vals.shape[0] != k:
        raise InputError(f"{arg} has {vals.shape[0]} values but there are {k} studies")
    return vals


_ANSI = re.compile(r"\x1b\[[0-9;]*m|[\u29da\u29db]")


def plain_message(exc) -> str:
    """The first line of an exception's message without terminal colour codes."""
    return _ANSI.sub("", str(exc)).strip().split("\n")[0]


def is_number(v) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


def check_finite(vals, arg: str) -> None:
    bad = np.flatnonzero(~np.isfinite(vals))
    if bad.size:
        rows = ", ".join(str(i + 1) for i in bad[:10]) + (" ..." if bad.size > 10 else "")
        raise InputError(
            f"{arg} is missing or not finite in row(s) {rows} (NaN in yi or vi is not dropped: "
            f"remove those rows or pass subset=)"
        )


def labels_from(slab, data, k: int):
    if slab is None:
        if data is not None and is_frame(data) and data.attrs.get("slab") is not None:
            return [str(s) for s in data.attrs["slab"]]
        return None
    vals = column(slab, "slab", data, numeric=False, k=k)
    return [str(s) for s in vals]


def subset_rows(data, subset, arg="subset"):
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
                raise InputError(
                    f"subset={subset!r} is not a column or condition of data (columns: {columns_text(data)})"
                ) from None
    else:
        mask = np.asarray(subset)
    if mask.dtype != bool or mask.shape != (len(data),):
        raise InputError(f"{arg} must be one True/False per row of data ({len(data)} rows)")
    out = data.loc[mask].reset_index(drop=True)
    out.attrs = dict(data.attrs)
    if data.attrs.get("slab") is not None:
        out.attrs["slab"] = [s for s, m in zip(data.attrs["slab"], mask) if m]
    return out
