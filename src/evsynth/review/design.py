"""Moderator specifications to model matrices, with clear errors for unknown columns,
unknown levels, single-level factors and too many moderators."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evsynth.errors import InputError, ModelError


@dataclass(frozen=True)
class Moderator:
    """One moderator: ``numeric`` (the column as is) or ``categorical`` (dummy columns for
    every level but the reference, named ``column[level]``)."""

    column: str
    type: str = "numeric"
    levels: tuple | None = None  # categorical: all levels, reference first
    reference: str | None = None

    @classmethod
    def from_spec(cls, spec) -> "Moderator":
        if isinstance(spec, str):
            return cls(column=spec)
        if isinstance(spec, Moderator):
            return spec
        if not isinstance(spec, dict) or "column" not in spec:
            raise InputError(f"moderator specification must name a column; got {spec!r}")
        t = spec.get("type", "numeric")
        if t not in ("numeric", "categorical"):
            raise InputError(f"moderator '{spec['column']}': type must be numeric or categorical, got '{t}'")
        levels = spec.get("levels")
        return cls(
            column=str(spec["column"]),
            type=t,
            levels=tuple(str(x) for x in levels) if levels is not None else None,
            reference=None if spec.get("reference") is None else str(spec.get("reference")),
        )


def as_text(s: pd.Series) -> pd.Series:
    """A column as text the way a config value is compared with it: whole-number floats
    (``2.0``, as pandas reads an integer column with gaps) lose their ``.0``."""

    def one(x):
        if isinstance(x, float) and x.is_integer():
            return str(int(x))
        return str(x)

    return s.map(one)


def moderator_columns(mods) -> list[str]:
    return [Moderator.from_spec(m).column for m in (mods or [])]


def build_design(data: pd.DataFrame, mods, *, where: str = "data") -> tuple[pd.DataFrame, list[str]]:
    """Model matrix (without intercept) for the moderators, and the coefficient names
    (intercept first).  Rows must already be complete in the moderator columns."""
    specs = [Moderator.from_spec(m) for m in (mods or [])]
    cols: dict[str, np.ndarray] = {}
    for m in specs:
        if m.column not in data.columns:
            raise InputError(
                f"{where}: unknown moderator '{m.column}'; columns are: {', '.join(map(str, data.columns))}"
            )
        s = data[m.column]
        if m.type == "numeric":
            vals = pd.to_numeric(s, errors="coerce")
            bad = vals.isna() & s.notna()
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(f"{where}: moderator '{m.column}' must be numeric; found '{s.iloc[i]}' in row {i + 1}")
            arr = vals.to_numpy(float)
            if np.nanstd(arr) == 0:
                raise ModelError(
                    f"{where}: moderator '{m.column}' has the same value ({arr[0]:g}) in every "
                    "row; it cannot be estimated"
                )
            cols[m.column] = arr
        else:
            text = as_text(s)
            present = list(dict.fromkeys(text.tolist()))
            if m.levels is not None:
                unknown = sorted(set(present) - set(m.levels))
                if unknown:
                    raise InputError(
                        f"{where}: moderator '{m.column}' has unknown level(s) "
                        f"{', '.join(repr(u) for u in unknown)}; allowed: {', '.join(m.levels)}"
                    )
                levels = [lv for lv in m.levels if lv in present]
            else:
                levels = sorted(present)
            if m.reference is not None:
                if m.reference not in levels:
                    raise InputError(
                        f"{where}: reference level '{m.reference}' of moderator '{m.column}' "
                        f"does not occur; levels present: {', '.join(levels)}"
                    )
                levels = [m.reference] + [lv for lv in levels if lv != m.reference]
            if len(levels) < 2:
                raise ModelError(
                    f"{where}: moderator '{m.column}' has only one level ('{levels[0]}') in the "
                    "data analysed; it cannot be estimated"
                )
            for lv in levels[1:]:
                cols[f"{m.column}[{lv}]"] = (text == lv).to_numpy(float)
    X = pd.DataFrame(cols, index=data.index)
    k = len(data)
    if X.shape[1] + 1 > max(k - 1, 1) and X.shape[1] > 0:
        raise ModelError(
            f"{where}: {X.shape[1]} moderator coefficient(s) plus the intercept for k = {k} "
            f"effect sizes; at most k - 1 = {k - 1} coefficients can be estimated"
        )
    return X, ["intrcpt"] + list(X.columns)
