"""Reading coded tables (CSV in any of the forms spreadsheets write, or .xlsx) and
checking them against their schemas; atomic writing of outputs.

Row numbers in messages are spreadsheet rows: the header is row 1, the first data row
is row 2.  Every problem of a file is collected and reported together."""

from __future__ import annotations

import csv
import glob
import io as _io
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import yaml

from evsynth.errors import InputError, TableProblems  # noqa: F401  (TableProblems re-exported)

__all__ = [
    "Table", "read_table", "check_table", "load_table", "table_schema", "read_yaml",
    "write_csv", "write_text", "write_bytes", "atomic_path", "atomic_folder", "TableProblems",
]


@dataclass
class Table:
    path: str
    data: pd.DataFrame  # all cells as stripped strings; "" where empty
    encoding: str = "utf-8"
    delimiter: str = ","
    decimal: str = "."
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)

    def row_number(self, i: int) -> int:
        """Spreadsheet row of data row i (0-based)."""
        return int(i) + 2


def _decode(raw: bytes, path) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def read_table(path, sheet: str | None = None) -> Table:
    """Read a CSV (UTF-8 with or without BOM, Windows-1252/Latin-1; comma, semicolon or tab
    separated; decimal commas with semicolons) or an .xlsx sheet, all cells as text."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    if p.is_dir():
        raise InputError(f"{p}: is a folder, expected a table file")
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            df = pd.read_excel(p, sheet_name=sheet if sheet is not None else 0, dtype=str, header=0,
                               keep_default_na=False, engine="openpyxl")
        except ValueError as exc:
            raise InputError(f"{p}: cannot read sheet {sheet!r}: {exc}") from None
        except Exception as exc:  # openpyxl raises several types for corrupt files
            raise InputError(f"{p}: not a readable .xlsx workbook ({type(exc).__name__})") from None
        if df.shape[1] == 0:
            raise InputError(f"{p}: the sheet is empty")
        df = df.fillna("").astype(str).apply(lambda s: s.str.strip())
        df.columns = [str(c).strip() for c in df.columns]
        return Table(str(p), df, encoding="xlsx", sheet=sheet)
    raw = p.read_bytes()
    if not raw.strip() or not raw.replace(b"\xef\xbb\xbf", b"").strip():
        raise InputError(f"{p}: the file is empty (no header row)")
    text, enc = _decode(raw, p)
    notes = [] if enc.startswith("utf-8") else [f"read as {enc}, not UTF-8"]
    first = text.splitlines()[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    delim = max(counts, key=lambda d: counts[d]) if max(counts.values()) > 0 else ","
    decimal = "," if delim == ";" else "."
    try:
        df = pd.read_csv(_io.StringIO(text), sep=delim, dtype=str, keep_default_na=False, quotechar='"',
                         skipinitialspace=False, engine="python")
    except (pd.errors.ParserError, csv.Error) as exc:
        raise InputError(f"{p}: not a well-formed table: {exc}") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{p}: the file is empty (no header row)") from None
    df.columns = [str(c).strip() for c in df.columns]
    df = df.fillna("").astype(str).apply(lambda s: s.str.strip()) if len(df) else df
    return Table(str(p), df, encoding=enc, delimiter=delim, decimal=decimal, notes=notes)


def table_schema(name: str) -> dict:
    with resources.files("evsynth.pipeline").joinpath(f"schemas/{name}.schema.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def _parse_number(s: str, decimal: str):
    t = s.replace("\u2212", "-").replace(" ", "")
    if decimal == ",":
        t = t.replace(".", "").replace(",", ".") if t.count(",") == 1 and t.count(".") >= 1 else t.replace(",", ".")
    v = float(t)
    if not np.isfinite(v):
        raise ValueError(s)
    return v


def _types(prop: dict) -> set:
    t = prop.get("type", "string")
    return set(t) if isinstance(t, list) else {t}


def check_table(table: Table, schema: dict) -> tuple[pd.DataFrame, list[str]]:
    """Coerce and validate every cell; return the typed frame and all problems."""
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
        problems.append(f"{path}: row 1, column '{c}': the column name appears more than once")
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
            import re

            extra = [c for c in extra if not re.match(pattern_ok, c)]
        for c in extra:
            problems.append(f"{path}: row 1, column '{c}': unknown column; allowed: {', '.join(props)}")
    if problems:
        raise TableProblems(path, problems)
    if len(df) == 0 and schema.get("x-min-rows", 1) > 0:
        raise TableProblems(path, [f"{path}: the table has a header but no data rows"])
    validator = jsonschema.Draft202012Validator({**schema, "additionalProperties": True})
    typed_rows = []
    for i, row in enumerate(df.itertuples(index=False, name=None)):
        rn = table.row_number(i)
        rec = {}
        for c, s in zip(cols, row):
            prop = props.get(c, {})
            types = _types(prop)
            if s == "" or s.upper() in ("NA", "N/A"):
                continue
            if "number" in types or "integer" in types:
                try:
                    v = _parse_number(s, table.decimal)
                except ValueError:
                    if "string" in types:
                        rec[c] = s
                        continue
                    problems.append(f"{path}: row {rn}, column '{c}': found '{s}'; expected a number")
                    continue
                if "integer" in types and "number" not in types:
                    if not float(v).is_integer():
                        problems.append(f"{path}: row {rn}, column '{c}': found '{s}'; expected a whole number")
                        continue
                    v = int(v)
                rec[c] = v
            elif "boolean" in types:
                low = s.lower()
                if low in ("true", "yes", "ja", "1"):
                    rec[c] = True
                elif low in ("false", "no", "nee", "0"):
                    rec[c] = False
                else:
                    problems.append(f"{path}: row {rn}, column '{c}': found '{s}'; expected yes or no")
            else:
                rec[c] = s
        for err in validator.iter_errors(rec):
            if err.validator == "required":
                missing = err.message.split("'")[1] if "'" in err.message else "?"
                problems.append(f"{path}: row {rn}, column '{missing}': a value is required")
                continue
            col = err.absolute_path[0] if err.absolute_path else None
            found = rec.get(col, err.instance) if col else err.instance
            allowed = allowed_text(err)
            where = f"row {rn}, column '{col}'" if col else f"row {rn}"
            problems.append(f"{path}: {where}: found {found!r}; {allowed}")
        for lo, hi in schema.get("x-ordered", []):  # pairs of columns where lo <= hi
            a, b = rec.get(lo), rec.get(hi)
            if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a > b:
                problems.append(f"{path}: row {rn}, column '{lo}': found {a!r}, larger than '{hi}' ({b!r})")
        typed_rows.append(rec)
    out = pd.DataFrame(typed_rows, columns=cols)
    for c in schema.get("x-unique", []):
        if c in out.columns:
            vals = out[c]
            dups = vals[vals.notna() & vals.duplicated(keep=False)]
            for v in dict.fromkeys(dups.tolist()):
                rows = [table.row_number(i) for i in np.flatnonzero((vals == v).to_numpy())]
                problems.append(f"{path}: rows {', '.join(map(str, rows))}, column '{c}': duplicate value {v!r}; "
                                "each must be unique")
    return out, problems


_RULE_TEXT = {"minimum": "must be >= {}", "exclusiveMinimum": "must be > {}", "maximum": "must be <= {}",
              "exclusiveMaximum": "must be < {}", "pattern": "must match the pattern {}", "type": "expected {}"}


def allowed_text(err) -> str:
    """What a failed JSON-schema rule allows, in words (for tables and config)."""
    if err.validator == "enum":
        return "allowed: " + ", ".join(map(str, err.validator_value))
    rule = _RULE_TEXT.get(err.validator)
    return rule.format(err.validator_value) if rule else err.message


def load_table(path, schema_name: str, sheet: str | None = None) -> pd.DataFrame:
    """Read and validate a table; raise :class:`TableProblems` listing every problem."""
    t = read_table(path, sheet=sheet)
    df, problems = check_table(t, table_schema(schema_name))
    if problems:
        raise TableProblems(t.path, problems)
    df.attrs["source_path"] = t.path
    return df


def read_yaml(path, error: type = InputError) -> object:
    """Safe YAML (no Python objects); problems raise ``error`` naming the line."""
    p = Path(path)
    if not p.exists():
        raise error(f"{p}: file not found")
    try:
        return yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise error(f"{p}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    except UnicodeDecodeError:
        raise error(f"{p}: not UTF-8 text") from None


# ------------------------------------------------------------------------------ atomic writes

def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class atomic_path:
    """Context manager yielding a temporary path beside ``target``; on success the file is
    moved into place with ``os.replace`` (atomic on POSIX), on failure it is removed, so a
    reader never sees a partial output and an existing output is never half-overwritten."""

    def __init__(self, target, suffix: str | None = None):
        self.target = Path(target)
        self.suffix = suffix if suffix is not None else self.target.suffix

    def __enter__(self) -> Path:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        # a run killed outright (power loss, SIGKILL) cannot clean up: remove its leftovers
        for stale in self.target.parent.glob(f".{glob.escape(self.target.name)}.*.tmp{glob.escape(self.suffix)}"):
            if stale.is_file():
                stale.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=f".tmp{self.suffix}",
                                   dir=self.target.parent)
        os.close(fd)
        self.tmp = Path(tmp)
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            os.chmod(self.tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get normal permissions
            os.replace(self.tmp, self.target)
        else:
            self.tmp.unlink(missing_ok=True)
        return False


@contextmanager
def atomic_folder(target):
    """Yield a temporary folder beside ``target``; on success it replaces ``target`` as a
    whole, on failure it is removed and ``target`` is left as it was."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*"):  # leftovers of a killed run
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_text(path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def write_bytes(path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_csv(path, df: pd.DataFrame, float_digits: int = 12) -> None:
    """Deterministic CSV: fixed float precision, '\\n' line ends, no index."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, lineterminator="\n", float_format=f"%.{float_digits}g", encoding="utf-8")
