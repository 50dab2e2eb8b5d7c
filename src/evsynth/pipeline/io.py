"""Reading coded tables (CSV in any of the forms spreadsheets write, or .xlsx) and
checking them against their schemas (atomic writing of outputs: :mod:`evsynth.outputs`).

Row numbers in messages are spreadsheet rows: the header is row 1, the first data row
is row 2.  Every problem of a file is collected and reported together."""

from __future__ import annotations

import csv
import gc
import io as _io
import json
import re
import os
import stat
import warnings
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from evsynth.errors import InputError, TableProblems, clean_text, quote  # noqa: F401  (TableProblems re-exported)

__all__ = [
    "Table", "read_table", "check_table", "normalise_nfc", "set_limits", "refuse_special_file", "LIMIT_DEFAULTS", "SpellingNote", "read_output", "load_table", "table_schema", "read_yaml",
    "write_csv", "neutralise_formulas", "parse_numbers", "set_sheets", "write_text", "write_bytes", "atomic_path", "atomic_folder", "TableProblems",
]


# Limits (documented in docs/bad-input.md): larger inputs are refused with a message naming
# the config key (limits.*) that raises them; set from the config by set_limits().
LIMIT_DEFAULTS = {"table_bytes": 256 * 1024 * 1024, "table_rows": 1_000_000,
                  "xlsx_uncompressed_bytes": 64 * 1024 * 1024}
MAX_TABLE_BYTES = LIMIT_DEFAULTS["table_bytes"]   # one input table (CSV or .xlsx file)
MAX_TABLE_ROWS = LIMIT_DEFAULTS["table_rows"]     # data rows of one input table
MAX_XLSX_UNCOMPRESSED = LIMIT_DEFAULTS["xlsx_uncompressed_bytes"]  # an .xlsx workbook once unzipped
MAX_YAML_BYTES = 1024 * 1024          # config.yaml, prisma.yaml, the quality form
MAX_YAML_ALIASES = 100                # YAML aliases (*name) in one file
MAX_YAML_NODES = 100_000              # values in one YAML file once its aliases are expanded

_SHEETS: dict[str, str] = {}


def set_limits(limits: dict | None) -> None:
    """The config's ``limits:`` for the table readers (the defaults where it names none)."""
    global MAX_TABLE_BYTES, MAX_TABLE_ROWS, MAX_XLSX_UNCOMPRESSED
    lim = {**LIMIT_DEFAULTS, **(limits or {})}
    MAX_TABLE_BYTES, MAX_TABLE_ROWS = int(lim["table_bytes"]), int(lim["table_rows"])
    MAX_XLSX_UNCOMPRESSED = int(lim["xlsx_uncompressed_bytes"])


def _too_many_rows(p) -> InputError:
    return InputError(f"{p}: more than {MAX_TABLE_ROWS:,} data rows; input tables may have at most "
                      f"{MAX_TABLE_ROWS:,} (raise the limit with 'limits: {{table_rows: N}}' in config.yaml)")


def _too_large(p, size: int) -> InputError:
    return InputError(f"{p}: the file is {size / 2**20:.0f} MiB; input tables may be at most "
                      f"{MAX_TABLE_BYTES // 2**20} MiB (raise the limit with 'limits: {{table_bytes: N}}' in "
                      "config.yaml)")


_SPECIAL = (("a folder", stat.S_ISDIR), ("a named pipe (FIFO)", stat.S_ISFIFO), ("a character device", stat.S_ISCHR),
            ("a block device", stat.S_ISBLK), ("a socket", stat.S_ISSOCK))


def refuse_special_file(path, what: str | None = None, error: type = InputError) -> None:
    """Raise ``error`` at once when ``path`` is a folder, a FIFO, a device or a socket where a
    regular file is read (reading a FIFO would wait forever, a device never end); ``what``
    (an option or config key) is named first.  Looked at with ``stat``, which never blocks."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return  # a missing or unreadable file is reported by the reader, with its reason
    for kind, test in _SPECIAL:
        if test(mode):
            lead = f"{what}: " if what else ""
            raise error(f"{lead}{path}: is {kind}, not a file; give a regular file")


def set_sheets(mapping: dict | None) -> None:
    """Register the config's ``sheets:`` mapping (configured path -> sheet name)."""
    _SHEETS.clear()
    for k, v in (mapping or {}).items():
        _SHEETS[os.path.normpath(str(k))] = str(v)


@dataclass
class Table:
    path: str
    data: pd.DataFrame  # all cells as stripped strings; "" where empty
    encoding: str = "utf-8"
    delimiter: str = ","
    decimal: str = "."
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)
    rows: np.ndarray | None = None  # spreadsheet row of each data row (blank rows are skipped)

    def row_number(self, i: int) -> int:
        """Spreadsheet row of data row i (0-based)."""
        if self.rows is not None:
            return int(self.rows[int(i)])
        return int(i) + 2


def _decode(raw: bytes, path) -> tuple[str, str]:
    if raw.startswith(b"\xef\xbb\xbf"):
        enc = "utf-8-sig"
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        enc = "utf-16"
    else:
        enc = None
    if enc:
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: starts with a {enc.upper()} byte-order mark but byte {exc.start} "
                             "is not valid in that encoding") from None
    if b"\x00" in raw[:65536]:
        raise InputError(f"{path}: contains NUL bytes: not a text table (UTF-16 files need a byte-order mark; "
                         "save as 'CSV UTF-8' or .xlsx)")
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def _read_bytes(p: Path) -> bytes:
    """The file's bytes; a file that cannot be read is reported by path and reason only."""
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise InputError(f"{p}: cannot read the file ({exc.strerror or type(exc).__name__})") from None
    if size > MAX_TABLE_BYTES:
        raise _too_large(p, size)
    try:
        return p.read_bytes()
    except OSError as exc:
        raise InputError(f"{p}: cannot read the file ({exc.strerror or type(exc).__name__})") from None


def _header_problems(path, header: list[str]) -> list[str]:
    out = []
    seen: dict[str, list[str]] = {}
    for j, c in enumerate(header):
        seen.setdefault(c, []).append(_col_letter(j))
    for c, where in seen.items():
        if c != "" and len(where) > 1:
            out.append(f"{path}: row 1, column {quote(c)}: the column name appears more than once "
                       f"(spreadsheet columns {', '.join(where)}); each column needs its own name")
    return out


# control characters refused in headers and cells: C0 except tab, line feed and carriage
# return (which a quoted cell may hold), DEL and C1; an escape sequence can rewrite a terminal
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_NAMES = {0: "NUL", 7: "BEL", 8: "BS", 0x0b: "VT", 0x0c: "FF", 0x1b: "ESC", 0x7f: "DEL"}


def _control_problem(path, row: int, column: str, value: str, header: bool = False) -> str:
    ch = _CONTROL_CHARS.search(value).group(0)
    name = _CONTROL_NAMES.get(ord(ch), "a control character")
    what = "the column name" if header else f"found {quote(value)}, which"
    return (f"{path}: row {row}, column {quote(column)}: {what} contains the control character {name} "
            f"(U+{ord(ch):04X}); remove it (control characters are refused: they can rewrite a terminal or "
            "hide text)")


class SpellingNote(UserWarning):
    """Two spellings of one text (Unicode normal forms) read as one; the command line
    prints it as ``evsynth COMMAND: note: ...``."""


def normalise_nfc(path, df: pd.DataFrame, rows) -> list[str]:
    """Bring every text cell and column name of ``df`` (in place) to Unicode NFC, the form
    labels and ids are compared in: 'é' typed as one character and as 'e' + combining accent
    (as different editors write it) become one text.  Where a column held a text in more
    than one spelling, a note names the column, the text and the rows (also issued as a
    :class:`SpellingNote` warning); the notes are returned.  Only non-ASCII cells are looked
    at (ASCII text has one form)."""
    import unicodedata

    notes = []
    names = [unicodedata.normalize("NFC", c) if isinstance(c, str) else c for c in df.columns]
    if names != list(df.columns):
        for old, new in zip(df.columns, names):
            if old != new and names.count(new) > 1:
                notes.append(f"{path}: row 1: the column name {quote(new)} is written in more than one Unicode "
                             "form; read as one")
        df.columns = names
    for j in range(df.shape[1]):
        col = df.iloc[:, j]
        text = col.map(lambda v: isinstance(v, str) and not v.isascii()).to_numpy(dtype=bool)
        if not text.any():
            continue
        idx = np.flatnonzero(text)
        orig = col.iloc[idx]
        norm = orig.map(lambda v: unicodedata.normalize("NFC", v))
        changed = (orig != norm).to_numpy()
        if not changed.any():
            continue
        spellings = pd.DataFrame({"orig": orig.to_numpy(), "norm": norm.to_numpy(), "pos": idx})
        for value, g in spellings.groupby("norm", sort=False):
            if g["orig"].nunique() > 1:
                where = ", ".join(str(int(rows[i])) for i in g["pos"].to_numpy()[:10])
                more = f" and {len(g) - 10} more" if len(g) > 10 else ""
                notes.append(f"{path}: column {quote(df.columns[j])}: {quote(value)} is written in "
                             f"{g['orig'].nunique()} Unicode forms (rows {where}{more}), e.g. an accented letter "
                             "typed as one character and as a letter plus a combining accent; read as one text")
        new = col.to_numpy(dtype=object, copy=True)
        new[idx] = norm.to_numpy()
        df.isetitem(j, pd.Series(new, index=df.index, dtype=object))
    for n in notes:
        warnings.warn(n, SpellingNote, stacklevel=2)
    return notes


def _col_letter(j: int) -> str:
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def _frame(header: list[str], records: list[list[str]]) -> pd.DataFrame:
    ncol = len(header)
    if not records:
        return pd.DataFrame({i: pd.Series([], dtype=object) for i in range(ncol)}).set_axis(header, axis=1)
    cols = list(zip(*records)) if records else [()] * ncol
    df = pd.DataFrame({i: np.array(c, dtype=object) for i, c in enumerate(cols)})
    df.columns = header
    return df


def read_table(path, sheet: str | None = None) -> Table:
    """Read a CSV (UTF-8 with or without BOM, UTF-16 with BOM, Windows-1252/Latin-1; comma,
    semicolon or tab separated; decimal commas with semicolons) or an .xlsx sheet, all cells
    as text.  Short and long rows, duplicate column names, merged cells and formulas without
    a cached value are errors listing every such cell."""
    p = Path(path)
    if sheet is None:
        sheet = _SHEETS.get(os.path.normpath(str(path)))
    if not p.exists():
        raise InputError(f"{p}: file not found")
    if p.is_dir():
        raise InputError(f"{p}: is a folder, expected a table file")
    refuse_special_file(p)
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(p, sheet)
    raw = _read_bytes(p)
    if raw.startswith(b"PK\x03\x04"):
        raise InputError(f"{p}: is a zip file (an .xlsx workbook?), not a CSV; give it the .xlsx extension")
    text, enc = _decode(raw, p)
    del raw
    if not text.replace("\ufeff", "").strip():
        raise InputError(f"{p}: the file is empty (no header row)")
    notes = [] if enc.startswith("utf-8") else [f"read as {enc}, not UTF-8"]
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    delim = max(counts, key=lambda d: counts[d]) if max(counts.values()) > 0 else ","
    decimal = "," if delim == ";" else "."
    controls = _CONTROL_CHARS.search(text) is not None  # then the careful reader names each cell
    fast = None if controls else _read_csv_fast(p, text.lstrip("\ufeff"), delim)
    if fast is not None:
        rows = np.arange(len(fast), dtype=np.int64) + 2
        if not text.isascii():
            notes += normalise_nfc(p, fast, rows)
        return Table(str(p), fast, encoding=enc, delimiter=delim, decimal=decimal, notes=notes, rows=rows)
    gc_was = gc.isenabled()
    gc.disable()  # a million row lists would make the cyclic collector run again and again (quadratic)
    try:
        reader = csv.reader(_io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delim, quotechar='"')
        header = None
        records: list[list[str]] = []
        rownums: list[int] = []
        problems: list[str] = []
        for rn, rec in enumerate(reader, start=1):
            if header is None:
                if not rec or not any(f.strip() for f in rec):
                    continue
                header = [clean_text(f).strip() for f in rec]
                ncol = len(header)
                while ncol > 1 and header[ncol - 1] == "":  # trailing delimiters in the header
                    ncol -= 1
                hdr_rn = rn
                if controls:
                    problems += [_control_problem(p, rn, header[j] or _col_letter(j), f, header=True)
                                 for j, f in enumerate(rec[:ncol]) if _CONTROL_CHARS.search(f)]
                continue
            if controls and any(_CONTROL_CHARS.search(f) for f in rec):
                problems += [_control_problem(p, rn, header[j] if j < ncol else _col_letter(j), f)
                             for j, f in enumerate(rec) if _CONTROL_CHARS.search(f)]
            n = len(rec)
            if n == ncol:
                records.append([f.strip() for f in rec])
            else:
                if n == 0 or not any(f.strip() for f in rec):
                    continue  # a blank line
                if n > ncol and not any(f.strip() for f in rec[ncol:]):
                    records.append([f.strip() for f in rec[:ncol]])  # trailing empty cells
                else:
                    problems.append(f"{p}: row {rn}: found {n} cells; the header (row {hdr_rn}) has {ncol} columns"
                                    + (f" (extra value {quote(next(f for f in rec[ncol:] if f.strip()))})"
                                       if n > ncol else ""))
                    continue
            rownums.append(rn)
            if len(records) > MAX_TABLE_ROWS:
                raise _too_many_rows(p)
    except csv.Error as exc:
        raise InputError(f"{p}: not a well-formed table (line {reader.line_num}): {exc}") from None
    finally:
        if gc_was:
            gc.enable()
    if header is None:
        raise InputError(f"{p}: the file is empty (no header row)")
    header = header[:ncol]
    problems = _header_problems(p, header) + problems
    if problems:
        raise TableProblems(p, problems)
    df = _frame(header, records)
    rows = np.asarray(rownums, dtype=np.int64)
    if not text.isascii():
        notes += normalise_nfc(p, df, rows)
    return Table(str(p), df, encoding=enc, delimiter=delim, decimal=decimal, notes=notes, rows=rows)


def _read_csv_fast(p: Path, text: str, delim: str) -> pd.DataFrame | None:
    """pandas' C parser for the common, well-formed case: every line one record of the
    header's width, no blank lines, no duplicate or empty column names, not too many rows.
    Returns None for anything else; the careful reader then lists every problem."""
    body = text.rstrip("\r\n")
    nlines = body.count("\n") + 1
    if nlines - 1 > MAX_TABLE_ROWS or "\n\n" in body or "\n\r\n" in body or '"' in body or "\r" in body.replace("\r\n", ""):
        return None
    header = body.split("\n", 1)[0].rstrip("\r").split(delim)
    if len(set(h.strip() for h in header)) != len(header) or any(h.strip() == "" for h in header):
        return None
    try:
        df = pd.read_csv(_io.StringIO(body), sep=delim, dtype=str, keep_default_na=False, na_filter=False,
                         engine="c", quoting=csv.QUOTE_NONE, skip_blank_lines=False)
    except (pd.errors.ParserError, csv.Error, ValueError):
        return None
    if len(df) != nlines - 1 or df.shape[1] != len(header):
        return None
    if df.isna().any().any():  # a short row
        return None
    ws = [" ", "\u00a0"] + (["\t"] if delim != "\t" else [])
    if any(f"{delim}{w}" in body or f"{w}{delim}" in body or f"\n{w}" in body or f"{w}\n" in body or f"{w}\r" in body
           or body.startswith(w) or body.endswith(w) for w in ws):
        df = df.apply(lambda col: col.str.strip())
    df.columns = [clean_text(str(c)).strip() for c in header]
    if any(c == "" for c in df.columns):
        return None
    return df.astype(object)


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return clean_text(str(v)).strip()


def _read_xlsx(p: Path, sheet: str | None) -> Table:
    import warnings

    import openpyxl
    from openpyxl.utils import get_column_letter

    _read_bytes_size_only(p)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb_v = openpyxl.load_workbook(p, data_only=True)
            wb_f = openpyxl.load_workbook(p, data_only=False)
    except OSError as exc:
        raise InputError(f"{p}: cannot read the file ({exc.strerror or type(exc).__name__})") from None
    except Exception as exc:  # openpyxl raises several types for corrupt files
        raise InputError(f"{p}: not a readable .xlsx workbook ({type(exc).__name__})") from None
    names = wb_v.sheetnames
    listed = ", ".join(quote(n) for n in names)
    if sheet is not None:
        if str(sheet) not in names:
            raise InputError(f"{p}: no sheet {quote(sheet)}; the workbook's sheets are: {listed}")
        name = str(sheet)
    else:
        name = names[0]
    ws, wf = wb_v[name], wb_f[name]
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    while values and all(v is None or str(v).strip() == "" for v in values[-1]):
        values.pop()
    if not values:
        others = [n for n in names if n != name and wb_v[n].max_row > 1]
        hint = (f"; the data may be on another sheet ({', '.join(quote(n) for n in others)}): name it with "
                f"'sheets: {{{p}: NAME}}' in config.yaml (or 'sheet:' in the analysis)") if others else ""
        raise InputError(f"{p}: sheet {quote(name)} is empty{hint}; the workbook's sheets are: {listed}")
    problems = []
    for rng in sorted(ws.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col)):
        problems.append(f"{p}: sheet {quote(name)}, rows {rng.min_row}-{rng.max_row}, cells {rng.coord}: merged "
                        "cells; unmerge them and fill in every cell")
    header_idx = next(i for i, r in enumerate(values) if any(v is not None and str(v).strip() for v in r))
    header = [_cell_text(v) for v in values[header_idx]]
    ncol = len(header)
    while ncol > 1 and header[ncol - 1] == "":
        ncol -= 1
    header = header[:ncol]
    records, rownums = [], []
    fcells = {}
    for row in wf.iter_rows():
        for c in row:
            if c.data_type == "f":
                fcells[(c.row, c.column)] = c.value
    for i, r in enumerate(values[header_idx + 1:], start=header_idx + 2):
        cells = [_cell_text(v) for v in r]
        if not any(cells):
            continue
        for j, v in enumerate(r):
            if v is None and (i, j + 1) in fcells:
                col = header[j] if j < ncol else get_column_letter(j + 1)
                problems.append(f"{p}: row {i}, column {quote(col)}: formula {quote(str(fcells[(i, j + 1)]))} has no "
                                "saved value; open and save the workbook in a spreadsheet program, or type the value")
        extra = [c for c in cells[ncol:] if c]
        if extra:
            problems.append(f"{p}: row {i}, column {get_column_letter(ncol + 1)}: found {quote(extra[0])} in a column "
                            "without a header")
        records.append((cells + [""] * ncol)[:ncol])
        rownums.append(i)
        if len(records) > MAX_TABLE_ROWS:
            raise _too_many_rows(p)
    problems = _header_problems(p, header) + problems
    if problems:
        raise TableProblems(p, problems)
    df, rows = _frame(header, records), np.asarray(rownums, dtype=np.int64)
    notes = normalise_nfc(p, df, rows)
    return Table(str(p), df, encoding="xlsx", sheet=name, rows=rows, notes=notes)


def _read_bytes_size_only(p: Path) -> None:
    try:
        size = p.stat().st_size
        with open(p, "rb"):
            pass
    except OSError as exc:
        raise InputError(f"{p}: cannot read the file ({exc.strerror or type(exc).__name__})") from None
    if size > MAX_TABLE_BYTES:
        raise _too_large(p, size)
    _xlsx_uncompressed(p)


def _xlsx_uncompressed(p: Path) -> None:
    """Refuse a workbook whose parts unzip to more than ``MAX_XLSX_UNCOMPRESSED`` bytes (a
    "zip bomb": 1.8 MB that expands to 610 MB), from the zip's directory, before any part is
    unpacked."""
    import zipfile

    try:
        with zipfile.ZipFile(p) as z:
            total = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # openpyxl reports a workbook it cannot read
    if total > MAX_XLSX_UNCOMPRESSED:
        raise InputError(f"{p}: the workbook unzips to {total / 2**20:,.0f} MiB; an .xlsx may unzip to at most "
                         f"{MAX_XLSX_UNCOMPRESSED / 2**20:,.0f} MiB (raise the limit with "
                         "'limits: {xlsx_uncompressed_bytes: N}' in config.yaml, or save the sheet as CSV)")


def table_schema(name: str) -> dict:
    with resources.files("evsynth.pipeline").joinpath(f"schemas/{name}.schema.json").open(encoding="utf-8") as fh:
        return json.load(fh)


_BLANKS = [""]
# the spellings of a missing value the table reader accepts (other modules compare with them too)
NA_MARKERS = ["", "NA", "N/A", "na", "n/a", "Na", "N/a", "n/A", "nA"]


def parse_numbers(values, decimal: str = ".") -> tuple[np.ndarray, np.ndarray]:
    """Vectorised number parsing of text cells: (values, bad) where ``values`` is float
    (NaN where empty or bad) and ``bad`` marks non-empty cells that are not a finite number
    ('inf', 'nan', '1e999' and text are bad).  Accepts the Unicode minus sign, spaces as
    thousands separators, and with ``decimal=','`` decimal commas (with '.' thousands)."""
    s = pd.Series(values, dtype=object).fillna("").astype(str)
    empty = s.isin(_BLANKS).to_numpy()  # cells are stripped when read
    # fast path: plain numbers parse in C; only the rest is normalised as text
    num = pd.to_numeric(s.where(~empty, "nan"), errors="coerce").to_numpy(dtype=float, copy=True)
    retry = ~empty & ~np.isfinite(num)
    if retry.any():
        t = s[retry].str.replace("\u2212", "-", regex=False).str.replace(" ", "", regex=False)
        t = t.str.replace("\u00a0", "", regex=False)
        if decimal == ",":
            both = t.str.count(",").eq(1) & t.str.count(r"\.").ge(1)
            t = t.where(~both, t.str.replace(".", "", regex=False))
            t = t.str.replace(",", ".", regex=False)
        num[retry] = pd.to_numeric(t, errors="coerce").to_numpy(dtype=float)
    bad = ~empty & ~np.isfinite(num)
    num[bad] = np.nan
    return num, bad


def _types(prop: dict) -> set:
    t = prop.get("type", "string")
    return set(t) if isinstance(t, list) else {t}


def check_table(table: Table, schema: dict) -> tuple[pd.DataFrame, list[str]]:
    """Coerce and validate every cell (column by column, vectorised); return the typed frame
    and all problems, in spreadsheet order."""

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
        s = df[c].astype(str).to_numpy(dtype=object) if n else np.array([], dtype=object)
        ss = pd.Series(s, dtype=object)
        missing = ss.isin(NA_MARKERS).to_numpy()
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
                inn[strmask] = ss[strmask].isin([a for a in allowed if isinstance(a, str)]).to_numpy()
            if boolv is not None:
                inn[present] = np.isin(boolv[present], [a for a in allowed if isinstance(a, bool)])
            bad = present & ~inn
            add(bad, j, c, lambda i: f"found {quote(shown(i))}; allowed: {', '.join(map(str, allowed))}")
        if "minLength" in prop and strmask.any():
            short = strmask & (ss.str.len().to_numpy() < prop["minLength"])
            add(short, j, c, lambda i: f"found {quote(s[i])}; {prop['minLength']} or more characters")
        if "pattern" in prop and strmask.any():
            nomatch = strmask.copy()
            with warnings.catch_warnings():  # "has match groups": only the match matters here
                warnings.simplefilter("ignore", UserWarning)
                nomatch[strmask] = ~ss[strmask].str.contains(prop["pattern"], regex=True).to_numpy(dtype=bool)
            add(nomatch, j, c, lambda i: f"found {quote(s[i])}; must match the pattern {prop['pattern']}")
        if is_num.any():
            for key, op, word in (("minimum", np.less, ">="), ("exclusiveMinimum", np.less_equal, ">"),
                                  ("maximum", np.greater, "<="), ("exclusiveMaximum", np.greater_equal, "<")):
                if key in prop:
                    with np.errstate(invalid="ignore"):
                        badv = is_num & op(num, prop[key])
                    add(badv, j, c, lambda i, w=word, k=key: f"found {quote(shown(i))}; must be {w} {prop[k]}")
        if c in required:
            add(missing, j, c, lambda i: "a value is required")
        if numeric and "string" not in types:
            col = pd.Series(num.astype(np.int64)) if intonly and n and present.all() else pd.Series(num)
        elif boolv is not None:
            col = pd.Series(boolv) if n and present.all() else \
                pd.Series(np.where(present, boolv, None), dtype=object).where(present, np.nan)
        else:
            typed = np.where(present, s, np.nan).astype(object) if n else np.array([], dtype=object)
            if numeric and is_num.any():
                typed[is_num] = num[is_num]
            col = pd.Series(typed, dtype=object)
        out[c] = col
    typed_df = pd.DataFrame(out, columns=cols) if n else pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    for lo, hi in schema.get("x-ordered", []):  # pairs of columns where lo <= hi
        if lo in typed_df and hi in typed_df:
            a = pd.to_numeric(typed_df[lo], errors="coerce").to_numpy(float)
            b = pd.to_numeric(typed_df[hi], errors="coerce").to_numpy(float)
            with np.errstate(invalid="ignore"):
                badm = a > b
            add(badm, len(cols), lo, lambda i: f"found {quote(typed_df[lo].iloc[i])}, larger than '{hi}' "
                                               f"({quote(typed_df[hi].iloc[i])})")
    found.sort(key=lambda t: (t[0], t[1]))
    problems = [m for _, _, m in found]
    for c in schema.get("x-unique", []):
        if c in typed_df.columns:
            vals = typed_df[c]
            dups = vals[vals.notna() & vals.duplicated(keep=False)]
            if len(dups):
                groups = pd.Series(np.flatnonzero((vals.notna() & vals.duplicated(keep=False)).to_numpy())) \
                    .groupby(dups.to_numpy(), sort=False).apply(list)
                for v in dict.fromkeys(dups.tolist()):
                    rws = [int(rows[i]) for i in groups[v]]
                    problems.append(f"{path}: rows {', '.join(map(str, rws))}, column '{c}': duplicate value "
                                    f"{quote(v)}; each must be unique")
    return typed_df, problems


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


class _LimitedLoader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys and more than ``MAX_YAML_ALIASES`` aliases
    (an alias bomb expands a few KB into gigabytes)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                ev = self.peek_event()
                raise yaml.constructor.ConstructorError(
                    None, None, f"more than {MAX_YAML_ALIASES} aliases (*name); refused (YAML alias bomb?)",
                    ev.start_mark)
        return super().compose_node(parent, index)

    def compose_document(self):
        node = super().compose_document()
        sizes: dict[int, int] = {}

        def size(n) -> int:  # nodes after expanding every alias, without expanding them
            k = id(n)
            if k in sizes:
                return sizes[k]
            sizes[k] = 1
            if isinstance(n, yaml.SequenceNode):
                total = 1 + sum(size(c) for c in n.value)
            elif isinstance(n, yaml.MappingNode):
                total = 1 + sum(size(a) + size(b) for a, b in n.value)
            else:
                total = 1
            sizes[k] = total
            if total > MAX_YAML_NODES:
                raise yaml.constructor.ConstructorError(
                    None, None, f"aliases expand to more than {MAX_YAML_NODES:,} values; refused (YAML alias bomb?)",
                    n.start_mark)
            return total

        if node is not None:
            size(node)
        return node

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                k = key_node.value
                if k in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {quote(k)} (first on line {seen[k] + 1}); each key may appear "
                        "once", key_node.start_mark)
                seen[k] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


_LimitedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LimitedLoader.construct_mapping)


def read_yaml(path, error: type = InputError) -> object:
    """Safe YAML (no Python objects, no duplicate keys, at most ``MAX_YAML_ALIASES`` aliases,
    at most ``MAX_YAML_BYTES``); problems raise ``error`` naming the line."""
    p = Path(path)
    if not p.exists():
        raise error(f"{p}: file not found")
    refuse_special_file(p, error=error)
    try:
        size = p.stat().st_size
        if size > MAX_YAML_BYTES:
            raise error(f"{p}: the file is {size:,} bytes; YAML files may be at most {MAX_YAML_BYTES:,} bytes")
        raw = p.read_bytes()
    except OSError as exc:
        raise error(f"{p}: cannot read the file ({exc.strerror or type(exc).__name__})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise error(f"{p}: not UTF-8 text") from None
    try:
        return yaml.load(text, Loader=_LimitedLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise error(f"{p}: not valid YAML{where}: {clean_text(getattr(exc, 'problem', None) or exc)}") from None
    except RecursionError:
        raise error(f"{p}: nested too deeply") from None


# atomic writing lives in evsynth.outputs (below pipeline and present); re-exported here
from evsynth.outputs import (  # noqa: E402,F401
    atomic_folder, atomic_path, neutralise_formulas, read_output, recording, restore_formulas, write_bytes, write_csv,
    write_text,
)
