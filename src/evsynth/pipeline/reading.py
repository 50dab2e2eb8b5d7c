"""Reading coded tables: CSV in any of the forms spreadsheets write (encoding, delimiter and
decimal comma detected) or an .xlsx sheet, every cell as stripped text, and the parsing of
number cells.  Row numbers in messages are spreadsheet rows: the header is row 1, the first
data row is row 2.  Every problem of a file is collected and reported together.

Checking a table against its schema: :mod:`evsynth.pipeline.checks`; YAML files:
:mod:`evsynth.pipeline.yamlfile`; writing outputs: :mod:`evsynth.outputs`."""

from __future__ import annotations

import csv
import gc
import io as _io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evsynth.errors import InputError, TableProblems, clean_text, quote

__all__ = ["Table", "read_table", "parse_numbers", "set_sheets", "NA_MARKERS", "MAX_TABLE_BYTES", "MAX_TABLE_ROWS"]


# Limits (documented in docs: "Bad input"): larger inputs are refused with a message.
MAX_TABLE_BYTES = 256 * 1024 * 1024   # one input table (CSV or .xlsx file)
MAX_TABLE_ROWS = 1_000_000            # data rows of one input table

_SHEETS: dict[str, str] = {}


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
        raise InputError(f"{p}: the file is {size / 2**20:.0f} MiB; input tables may be at most "
                         f"{MAX_TABLE_BYTES // 2**20} MiB")
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
    fast = _read_csv_fast(p, text.lstrip("\ufeff"), delim)
    if fast is not None:
        return Table(str(p), fast, encoding=enc, delimiter=delim, decimal=decimal, notes=notes,
                     rows=np.arange(len(fast), dtype=np.int64) + 2)
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
                continue
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
                raise InputError(f"{p}: more than {MAX_TABLE_ROWS:,} data rows; input tables may have at most "
                                 f"{MAX_TABLE_ROWS:,}")
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
    return Table(str(p), df, encoding=enc, delimiter=delim, decimal=decimal, notes=notes,
                 rows=np.asarray(rownums, dtype=np.int64))


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
            raise InputError(f"{p}: more than {MAX_TABLE_ROWS:,} data rows; input tables may have at most "
                             f"{MAX_TABLE_ROWS:,}")
    problems = _header_problems(p, header) + problems
    if problems:
        raise TableProblems(p, problems)
    return Table(str(p), _frame(header, records), encoding="xlsx", sheet=name,
                 rows=np.asarray(rownums, dtype=np.int64))


def _read_bytes_size_only(p: Path) -> None:
    try:
        size = p.stat().st_size
        with open(p, "rb"):
            pass
    except OSError as exc:
        raise InputError(f"{p}: cannot read the file ({exc.strerror or type(exc).__name__})") from None
    if size > MAX_TABLE_BYTES:
        raise InputError(f"{p}: the file is {size / 2**20:.0f} MiB; input tables may be at most "
                         f"{MAX_TABLE_BYTES // 2**20} MiB")



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
