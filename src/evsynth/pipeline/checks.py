"""Checking a table read by :func:`evsynth.pipeline.reading.read_table` against its JSON
schema (``schemas/<name>.schema.json``): every cell coerced and validated, column by column,
every problem reported together in spreadsheet order.  :func:`load_table` reads and checks."""

from __future__ import annotations

import json
import re
import warnings
from importlib import resources

import numpy as np
import pandas as pd

from evsynth.errors import TableProblems, quote
from evsynth.pipeline.reading import NA_MARKERS, Table, parse_numbers, read_table, release_memory

__all__ = ["check_table", "load_table", "table_schema", "allowed_text"]


def table_schema(name: str) -> dict:
    with resources.files("evsynth.pipeline").joinpath(f"schemas/{name}.schema.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def _types(prop: dict) -> set:
    t = prop.get("type", "string")
    return set(t) if isinstance(t, list) else {t}


def _texts(col: pd.Series) -> np.ndarray:
    """A column's cells as an object array of str (the readers give str cells; anything else,
    as a frame built by hand may hold, is written as text)."""
    a = col.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(a, skipna=False) in ("string", "empty"):
        return a
    return col.astype(str).to_numpy(dtype=object)


_NA_OTHER = [m for m in NA_MARKERS if m]


def _missing(s: np.ndarray) -> np.ndarray:
    """Cells holding one of the spellings of a missing value (:data:`NA_MARKERS`): the empty
    cells found by one comparison, the other spellings looked for among the rest."""
    out = s == ""
    rest = np.flatnonzero(~out)
    if len(rest):
        out[rest] = _per_value(s[rest], lambda u: pd.Series(u, dtype=object).isin(_NA_OTHER).to_numpy())
    return out


def _per_value(values: np.ndarray, test) -> np.ndarray:
    """``test`` (a function of an array of distinct cells giving one boolean each) for every cell
    of ``values``, computed once per distinct cell: a column of a million rows repeats its
    values (study ids, domains, URLs)."""
    codes, uniques = pd.factorize(values)
    return np.asarray(test(np.asarray(uniques, dtype=object)), dtype=bool)[codes]


def check_table(table: Table, schema: dict, consume: bool = False) -> tuple[pd.DataFrame, list[str]]:
    """Coerce and validate every cell (column by column, vectorised); return the typed frame
    and all problems, in spreadsheet order.  With ``consume`` each text column is taken out of
    ``table.data`` once read (a table of a million rows is then not held twice)."""

    path = table.path
    df = table.data
    props = schema.get("properties", {})
    required = schema.get("required", [])
    problems: list[str] = []
    cols = list(df.columns)
    if any(c == "" for c in cols):
        problems.append(f"{path}: row 1: a column has no name")
    dup = sorted({c for c in cols if cols.count(c) > 1})
    for c in dup:
        problems.append(f"{path}: row 1, column {quote(c)}: the column name appears more than once")
    for c in required:
        if c not in cols:
            hint = ""
            if len(cols) == 1 and any(ch in cols[0] for ch in ";,\t|"):
                hint = " (the header was read as a single column: check the delimiter)"
            problems.append(f"{path}: row 1: required column '{c}' is missing{hint}")
    if schema.get("additionalProperties") is False:
        extra = [c for c in cols if c not in props and c != ""]
        pattern_ok = schema.get("x-extra-column-pattern")
        if pattern_ok:
            extra = [c for c in extra if not re.match(pattern_ok, c)]
        for c in extra:
            problems.append(f"{path}: row 1, column {quote(c)}: unknown column; allowed: {', '.join(props)}")
    if problems:
        raise TableProblems(path, problems)
    n = len(df)
    if n == 0 and schema.get("x-min-rows", 1) > 0:
        raise TableProblems(path, [f"{path}: the table has a header but no data rows"])
    rows = table.rows if table.rows is not None and len(table.rows) == n else np.arange(n) + 2
    found: list[tuple[int, int, str]] = []  # (row position, column position, message)

    def add(mask, j, c, fmt):
        for i in np.flatnonzero(mask):
            found.append((int(i), j, f"{path}: row {int(rows[i])}, column '{c}': {fmt(int(i))}"))

    out = {}
    for j, c in enumerate(cols):
        prop = props.get(c, {})
        types = _types(prop)
        s = _texts(df[c]) if n else np.array([], dtype=object)
        if consume:
            del df[c]
        ss = pd.Series(s, dtype=object)
        missing = _missing(s)
        numeric = "number" in types or "integer" in types
        intonly = "integer" in types and "number" not in types
        num = np.full(n, np.nan)
        is_num = np.zeros(n, dtype=bool)
        strmask = np.zeros(n, dtype=bool)
        boolv = None
        if numeric:
            num, bad = parse_numbers(ss.where(~missing, ""), table.decimal)
            if "string" in types:
                strmask, bad = bad, np.zeros(n, dtype=bool)
            else:
                add(bad, j, c, lambda i: f"found {quote(s[i])}; expected a number")
            ok = ~missing & ~bad & ~strmask
            if intonly:
                frac = ok & (num != np.floor(np.where(ok, num, 0)))
                add(frac, j, c, lambda i: f"found {quote(s[i])}; expected a whole number")
                ok &= ~frac
            num = np.where(ok, num, np.nan)
            is_num = ok
            present = ok | strmask
        elif "boolean" in types:
            low = ss.str.lower()
            t_ = low.isin(["true", "yes", "ja", "1"]).to_numpy()
            f_ = low.isin(["false", "no", "nee", "0"]).to_numpy()
            bad = ~missing & ~t_ & ~f_
            add(bad, j, c, lambda i: f"found {quote(s[i])}; expected yes or no")
            boolv = t_
            present = ~missing & ~bad
        else:
            strmask = ~missing
            present = ~missing

        def shown(i, s=s, num=num, is_num=is_num, intonly=intonly):
            if is_num[i]:
                return int(num[i]) if intonly else float(num[i])
            return s[i]

        # the schema's rules, column-wise
        if "enum" in prop and present.any():
            allowed = prop["enum"]
            inn = np.ones(n, dtype=bool)
            if is_num.any():
                inn[is_num] = np.isin(num[is_num], [a for a in allowed if isinstance(a, (int, float))])
            if strmask.any():
                texts = [a for a in allowed if isinstance(a, str)]
                inn[strmask] = _per_value(s[strmask], lambda u, t=texts: pd.Series(u).isin(t).to_numpy())
            if boolv is not None:
                inn[present] = np.isin(boolv[present], [a for a in allowed if isinstance(a, bool)])
            bad = present & ~inn
            add(bad, j, c, lambda i: f"found {quote(shown(i))}; allowed: {', '.join(map(str, allowed))}")
        if "minLength" in prop and strmask.any():
            short = strmask.copy()
            short[strmask] = _per_value(s[strmask], lambda u: np.fromiter(map(len, u), int, len(u)) < prop["minLength"])
            add(short, j, c, lambda i: f"found {quote(s[i])}; {prop['minLength']} or more characters")
        if "pattern" in prop and strmask.any():
            nomatch = strmask.copy()

            def unmatched(u, pattern=prop["pattern"]):
                with warnings.catch_warnings():  # "has match groups": only the match matters here
                    warnings.simplefilter("ignore", UserWarning)
                    return ~pd.Series(u, dtype=object).str.contains(pattern, regex=True).to_numpy(dtype=bool)

            nomatch[strmask] = _per_value(s[strmask], unmatched)
            add(nomatch, j, c, lambda i: f"found {quote(s[i])}; must match the pattern {prop['pattern']}")
        if is_num.any():
            for key, op, word in (
                ("minimum", np.less, ">="),
                ("exclusiveMinimum", np.less_equal, ">"),
                ("maximum", np.greater, "<="),
                ("exclusiveMaximum", np.greater_equal, "<"),
            ):
                if key in prop:
                    with np.errstate(invalid="ignore"):
                        badv = is_num & op(num, prop[key])
                    add(badv, j, c, lambda i, w=word, k=key: f"found {quote(shown(i))}; must be {w} {prop[k]}")
        if c in required:
            add(missing, j, c, lambda i: "a value is required")
        if numeric and "string" not in types:
            col = pd.Series(num.astype(np.int64)) if intonly and n and present.all() else pd.Series(num)
        elif boolv is not None:
            col = (
                pd.Series(boolv)
                if n and present.all()
                else pd.Series(np.where(present, boolv, None), dtype=object).where(present, np.nan)
            )
        else:
            typed = np.where(present, s, np.nan).astype(object) if n else np.array([], dtype=object)
            if numeric and is_num.any():
                typed[is_num] = num[is_num]
            col = pd.Series(typed, dtype=object)
        out[c] = col
    typed_df = (
        pd.DataFrame(out, columns=cols, copy=False)
        if n
        else pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    )
    for lo, hi in schema.get("x-ordered", []):  # pairs of columns where lo <= hi
        if lo in typed_df and hi in typed_df:
            a = pd.to_numeric(typed_df[lo], errors="coerce").to_numpy(float)
            b = pd.to_numeric(typed_df[hi], errors="coerce").to_numpy(float)
            with np.errstate(invalid="ignore"):
                badm = a > b
            add(
                badm,
                len(cols),
                lo,
                lambda i: f"found {quote(typed_df[lo].iloc[i])}, larger than '{hi}' ({quote(typed_df[hi].iloc[i])})",
            )
    found.sort(key=lambda t: (t[0], t[1]))
    problems = [m for _, _, m in found]
    for c in schema.get("x-unique", []):
        if c in typed_df.columns:
            vals = typed_df[c]
            dups = vals[vals.notna() & vals.duplicated(keep=False)]
            if len(dups):
                groups = (
                    pd.Series(np.flatnonzero((vals.notna() & vals.duplicated(keep=False)).to_numpy()))
                    .groupby(dups.to_numpy(), sort=False)
                    .apply(list)
                )
                for v in dict.fromkeys(dups.tolist()):
                    rws = [int(rows[i]) for i in groups[v]]
                    problems.append(
                        f"{path}: rows {', '.join(map(str, rws))}, column '{c}': duplicate value "
                        f"{quote(v)}; each must be unique"
                    )
    return typed_df, problems


_RULE_TEXT = {
    "minimum": "must be >= {}",
    "exclusiveMinimum": "must be > {}",
    "maximum": "must be <= {}",
    "exclusiveMaximum": "must be < {}",
    "pattern": "must match the pattern {}",
    "type": "expected {}",
}


def allowed_text(err) -> str:
    """What a failed JSON-schema rule allows, in words (for tables and config)."""
    if err.validator == "enum":
        return "allowed: " + ", ".join(map(str, err.validator_value))
    rule = _RULE_TEXT.get(err.validator)
    return rule.format(err.validator_value) if rule else err.message


def load_table(path, schema_name: str, sheet: str | None = None) -> pd.DataFrame:
    """Read and validate a table; raise :class:`TableProblems` listing every problem."""
    t = read_table(path, sheet=sheet)
    df, problems = check_table(t, table_schema(schema_name), consume=True)
    if len(df) >= 100_000:
        release_memory()  # the text cells of a large table are freed: give their pages back
    if problems:
        raise TableProblems(t.path, problems)
    df.attrs["source_path"] = t.path
    return df
