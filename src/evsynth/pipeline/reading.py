"""Reading coded tables: CSV in any of the forms spreadsheets write (encoding, delimiter and
decimal comma detected) or an .xlsx sheet, every cell as stripped text in Unicode NFC, and the
parsing of number cells; the readers' limits (config ``limits:``) and the refusal of special
files.  Row numbers in messages are spreadsheet rows: the header is row 1, the first data row
is row 2.  Every problem of a file is collected and reported together.

Checking a table against its schema: :mod:`evsynth.pipeline.checks`; YAML files:
:mod:`evsynth.pipeline.yamlfile`; writing outputs: :mod:`evsynth.outputs`."""

from __future__ import annotations

import csv
import gc
import io as _io
import os
import re
import stat
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evsynth.errors import InputError, TableProblems, clean_text, quote

__all__ = [
    "Table",
    "read_table",
    "normalise_nfc",
    "set_limits",
    "refuse_special_file",
    "LIMIT_DEFAULTS",
    "SpellingNote",
    "notes_printed",
    "parse_numbers",
    "release_memory",
    "set_sheets",
    "NA_MARKERS",
    "MAX_TABLE_BYTES",
    "MAX_TABLE_ROWS",
    "MAX_XLSX_UNCOMPRESSED",
]


# Limits (documented in docs/bad-input.md): larger inputs are refused with a message naming
# the config key (limits.*) that raises them; set from the config by set_limits().
LIMIT_DEFAULTS = {
    "table_bytes": 256 * 1024 * 1024,
    "table_rows": 1_000_000,
    "xlsx_uncompressed_bytes": 64 * 1024 * 1024,
}
MAX_TABLE_BYTES = LIMIT_DEFAULTS["table_bytes"]  # one input table (CSV or .xlsx file)
MAX_TABLE_ROWS = LIMIT_DEFAULTS["table_rows"]  # data rows of one input table
MAX_XLSX_UNCOMPRESSED = LIMIT_DEFAULTS["xlsx_uncompressed_bytes"]  # an .xlsx workbook once unzipped

_SHEETS: dict[str, str] = {}


def set_limits(limits: dict | None) -> None:
    """The config's ``limits:`` for the table readers (the defaults where it names none)."""
    global MAX_TABLE_BYTES, MAX_TABLE_ROWS, MAX_XLSX_UNCOMPRESSED
    lim = {**LIMIT_DEFAULTS, **(limits or {})}
    MAX_TABLE_BYTES, MAX_TABLE_ROWS = int(lim["table_bytes"]), int(lim["table_rows"])
    MAX_XLSX_UNCOMPRESSED = int(lim["xlsx_uncompressed_bytes"])


def _too_many_rows(p) -> InputError:
    return InputError(
        f"{p}: more than {MAX_TABLE_ROWS:,} data rows; input tables may have at most "
        f"{MAX_TABLE_ROWS:,} (raise the limit with 'limits: {{table_rows: N}}' in config.yaml)"
    )


def _too_large(p, size: int) -> InputError:
    return InputError(
        f"{p}: the file is {size / 2**20:.0f} MiB; input tables may be at most "
        f"{MAX_TABLE_BYTES // 2**20} MiB (raise the limit with 'limits: {{table_bytes: N}}' in "
        "config.yaml)"
    )


_SPECIAL = (
    ("a folder", stat.S_ISDIR),
    ("a named pipe (FIFO)", stat.S_ISFIFO),
    ("a character device", stat.S_ISCHR),
    ("a block device", stat.S_ISBLK),
    ("a socket", stat.S_ISSOCK),
)


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
            raise InputError(
                f"{path}: starts with a {enc.upper()} byte-order mark but byte {exc.start} "
                "is not valid in that encoding"
            ) from None
    if b"\x00" in raw[:65536]:
        raise InputError(
            f"{path}: contains NUL bytes: not a text table (UTF-16 files need a byte-order mark; "
            "save as 'CSV UTF-8' or .xlsx)"
        )
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
            out.append(
                f"{path}: row 1, column {quote(c)}: the column name appears more than once "
                f"(spreadsheet columns {', '.join(where)}); each column needs its own name"
            )
    return out


# control characters refused in headers and cells: C0 except tab, line feed and carriage
# return (which a quoted cell may hold), DEL and C1; an escape sequence can rewrite a terminal
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_NAMES = {0: "NUL", 7: "BEL", 8: "BS", 0x0B: "VT", 0x0C: "FF", 0x1B: "ESC", 0x7F: "DEL"}


def _control_problem(path, row: int, column: str, value: str, header: bool = False) -> str:
    ch = _CONTROL_CHARS.search(value).group(0)
    name = _CONTROL_NAMES.get(ord(ch), "a control character")
    what = "the column name" if header else f"found {quote(value)}, which"
    return (
        f"{path}: row {row}, column {quote(column)}: {what} contains the control character {name} "
        f"(U+{ord(ch):04X}); remove it (control characters are refused: they can rewrite a terminal or "
        "hide text)"
    )


class SpellingNote(UserWarning):
    """Two spellings of one text (Unicode normal forms) read as one; the command line
    prints it as ``evsynth COMMAND: note: ...``."""


@contextmanager
def notes_printed(command: str):
    """Print each note the block issues (:class:`evsynth.pipeline.reading.SpellingNote`: two
    spellings read as one) once, as ``evsynth COMMAND: note: ...`` on stderr, also when the
    block fails; other warnings pass through as usual."""
    import sys

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SpellingNote)
        try:
            yield
        finally:
            seen = set()
            for w in caught:
                if issubclass(w.category, SpellingNote):
                    text = clean_text(str(w.message))
                    if text not in seen:
                        seen.add(text)
                        sys.stderr.write(f"evsynth {command}: note: {text}\n")
                else:
                    warnings.showwarning(w.message, w.category, w.filename, w.lineno)


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
                notes.append(
                    f"{path}: row 1: the column name {quote(new)} is written in more than one Unicode form; read as one"
                )
        df.columns = names
    for j in range(df.shape[1]):
        col = df.iloc[:, j]
        # each distinct cell looked at once (a column of a million rows repeats its texts)
        codes, uniq = pd.factorize(col.to_numpy(dtype=object), use_na_sentinel=False)
        uniq = np.asarray(uniq, dtype=object)
        wide = np.fromiter((isinstance(u, str) and not u.isascii() for u in uniq), bool, len(uniq))
        if not wide.any():
            continue
        norm = uniq.copy()
        norm[wide] = [unicodedata.normalize("NFC", u) for u in uniq[wide]]
        changed = wide & (norm != uniq)
        if not changed.any():
            continue
        forms: dict = {}  # a normalised text -> its distinct spellings (codes of uniq)
        for u in np.flatnonzero(wide):
            forms.setdefault(norm[u], []).append(u)
        for value, us in forms.items():
            if len(us) > 1:
                pos = np.flatnonzero(np.isin(codes, us))
                where = ", ".join(str(int(rows[i])) for i in pos[:10])
                more = f" and {len(pos) - 10} more" if len(pos) > 10 else ""
                notes.append(
                    f"{path}: column {quote(df.columns[j])}: {quote(value)} is written in "
                    f"{len(us)} Unicode forms (rows {where}{more}), e.g. an accented letter "
                    "typed as one character and as a letter plus a combining accent; read as one text"
                )
        df.isetitem(j, pd.Series(norm[codes], index=df.index, dtype=object))
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
    i0 = 0
    while text.startswith("\ufeff", i0):
        i0 += 1
    eol = text.find("\n", i0)
    first = text[i0 : len(text) if eol < 0 else eol]  # the header line (no copy of the whole text)
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    delim = max(counts, key=lambda d: counts[d]) if max(counts.values()) > 0 else ","
    decimal = "," if delim == ";" else "."
    controls = _CONTROL_CHARS.search(text) is not None  # then the careful reader names each cell
    plan = None if controls else _fast_plan(text, delim)
    if plan is not None:
        ascii_only = text.isascii()
        del text  # pandas reads the file itself: the decoded text is not kept meanwhile
        fast = _read_csv_fast(p, plan, delim, enc)
        if fast is not None:
            rows = np.arange(len(fast), dtype=np.int64) + 2
            if not ascii_only:
                notes += normalise_nfc(p, fast, rows)
            return Table(str(p), fast, encoding=enc, delimiter=delim, decimal=decimal, notes=notes, rows=rows)
        text, enc = _decode(_read_bytes(p), p)
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
                    problems += [
                        _control_problem(p, rn, header[j] or _col_letter(j), f, header=True)
                        for j, f in enumerate(rec[:ncol])
                        if _CONTROL_CHARS.search(f)
                    ]
                continue
            if controls and any(_CONTROL_CHARS.search(f) for f in rec):
                problems += [
                    _control_problem(p, rn, header[j] if j < ncol else _col_letter(j), f)
                    for j, f in enumerate(rec)
                    if _CONTROL_CHARS.search(f)
                ]
            n = len(rec)
            if n == ncol:
                records.append([f.strip() for f in rec])
            else:
                if n == 0 or not any(f.strip() for f in rec):
                    continue  # a blank line
                if n > ncol and not any(f.strip() for f in rec[ncol:]):
                    records.append([f.strip() for f in rec[:ncol]])  # trailing empty cells
                else:
                    problems.append(
                        f"{p}: row {rn}: found {n} cells; the header (row {hdr_rn}) has {ncol} columns"
                        + (f" (extra value {quote(next(f for f in rec[ncol:] if f.strip()))})" if n > ncol else "")
                    )
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


def _fast_plan(text: str, delim: str) -> dict | None:
    """Whether pandas' C parser may read the table (the common, well-formed case): every
    line one record of the header's width (quoted cells included, as spreadsheets write them:
    a quote opens a cell, a doubled quote inside stands for one), no blank lines, no duplicate
    or empty column names, not too many rows.  Returns what :func:`_read_csv_fast` needs, or
    None: the careful reader then lists every problem.  ``text`` is looked at, not copied."""
    if text.startswith("\ufeff"):
        return None  # a byte-order mark the decoding left (a second one): the careful reader
    start, end = 0, len(text)
    while end > start and text[end - 1] in "\r\n":
        end -= 1
    nlines = text.count("\n", start, end) + 1
    if (
        nlines - 1 > MAX_TABLE_ROWS
        or text.find("\n\n", start, end) >= 0
        or text.find("\n\r\n", start, end) >= 0
        or text.count("\r", start, end) != text.count("\r\n", start, end)
    ):
        return None
    first = text.find("\n", start, end)
    header = text[start : end if first < 0 else first].rstrip("\r").split(delim)
    if (
        '"' in "".join(header)
        or len(set(h.strip() for h in header)) != len(header)
        or any(h.strip() == "" for h in header)
    ):
        return None
    if _delimiters(text, delim, end) != (len(header) - 1) * nlines:
        return None  # a short row (pandas would fill it in silently) or a quote the careful reader reads
    quoted = text.find('"', start, end) >= 0
    # cells are stripped as the careful reader strips them where one may begin or end with white
    # space: any quoted cell may (cheaper to strip than to look), any non-ASCII text may (other
    # spaces), and plain text with a space or tab beside a delimiter or line end
    ws = [" ", "\u00a0"] + (["\t"] if delim != "\t" else [])
    strip = (
        quoted
        or not text.isascii()
        or any(
            text.find(f"{delim}{w}", start, end) >= 0
            or text.find(f"{w}{delim}", start, end) >= 0
            or text.find(f"\n{w}", start, end) >= 0
            or text.find(f"{w}\n", start, end) >= 0
            or text.find(f"{w}\r", start, end) >= 0
            or text.startswith(w, start)
            or text.endswith(w, start, end)
            for w in ws
        )
    )
    return {"rows": nlines - 1, "header": header, "quoted": quoted, "strip": strip}


_QUOTED_CELL = re.compile('"[^"\n]*"')


def _delimiters(text: str, delim: str, end: int) -> int:
    """The delimiters in ``text[:end]`` outside quoted cells (a doubled quote splits a cell into
    two quoted parts with nothing between them), counted a few MB at a time."""
    if text.find('"', 0, end) < 0:
        return text.count(delim, 0, end)
    n, i = 0, 0
    while i < end:
        j = text.find("\n", min(i + (1 << 22), end), end)
        j = end if j < 0 else j + 1
        n += _QUOTED_CELL.sub("", text[i:j]).count(delim)
        i = j
    return n


_STRIP = np.frompyfunc(str.strip, 1, 1)


def _read_csv_fast(p: Path, plan: dict, delim: str, enc: str) -> pd.DataFrame | None:
    """The table parsed from disk by pandas' C parser with its encoding, as :func:`_fast_plan`
    found it may be (the decoded text need not be kept meanwhile: a million rows stay within
    memory); None where the parser finds otherwise."""
    header = plan["header"]
    pieces: list[list[np.ndarray]] = [[] for _ in header]
    try:
        # read in blocks of rows, each column kept as arrays of its own: no block of all columns
        # is built (and copied) as a whole frame would be
        with pd.read_csv(
            p,
            sep=delim,
            encoding="utf-8-sig" if enc == "utf-8" else enc,
            dtype=object,
            keep_default_na=False,
            na_filter=False,
            engine="c",
            quoting=csv.QUOTE_MINIMAL if plan["quoted"] else csv.QUOTE_NONE,
            doublequote=True,
            skip_blank_lines=True,
            chunksize=1 << 17,
        ) as reader:
            for part in reader:
                if part.shape[1] != len(header):
                    return None
                for j in range(part.shape[1]):  # a copy: the block's memory goes with the block
                    pieces[j].append(part.iloc[:, j].to_numpy(dtype=object).copy())
    except (pd.errors.ParserError, csv.Error, ValueError, UnicodeError, OSError):
        return None
    cols = {}
    for j in range(len(header)):
        a = np.concatenate(pieces[j]) if pieces[j] else np.array([], dtype=object)
        pieces[j] = []
        if len(a) != plan["rows"]:
            return None
        # stripped where a cell may have spaces around it (str.strip returns an unchanged cell itself)
        cols[j] = pd.Series(_STRIP(a) if plan["strip"] and len(a) else a, dtype=object)
    df = pd.DataFrame(cols, copy=False)
    df.columns = [clean_text(str(c)).strip() for c in header]
    if any(c == "" for c in df.columns):
        return None
    return df


def release_memory() -> None:
    """Give memory freed after a large table back to the operating system where the C library
    can (glibc's ``malloc_trim``; elsewhere nothing happens): the text of a million cells
    otherwise stays in the process as free space, and the peak of what follows starts higher."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


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
        hint = (
            (
                f"; the data may be on another sheet ({', '.join(quote(n) for n in others)}): name it with "
                f"'sheets: {{{p}: NAME}}' in config.yaml (or 'sheet:' in the analysis)"
            )
            if others
            else ""
        )
        raise InputError(f"{p}: sheet {quote(name)} is empty{hint}; the workbook's sheets are: {listed}")
    problems = []
    for rng in sorted(ws.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col)):
        problems.append(
            f"{p}: sheet {quote(name)}, rows {rng.min_row}-{rng.max_row}, cells {rng.coord}: merged "
            "cells; unmerge them and fill in every cell"
        )
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
    for i, r in enumerate(values[header_idx + 1 :], start=header_idx + 2):
        cells = [_cell_text(v) for v in r]
        if not any(cells):
            continue
        for j, v in enumerate(r):
            if v is None and (i, j + 1) in fcells:
                col = header[j] if j < ncol else get_column_letter(j + 1)
                problems.append(
                    f"{p}: row {i}, column {quote(col)}: formula {quote(str(fcells[(i, j + 1)]))} has no "
                    "saved value; open and save the workbook in a spreadsheet program, or type the value"
                )
        extra = [c for c in cells[ncol:] if c]
        if extra:
            problems.append(
                f"{p}: row {i}, column {get_column_letter(ncol + 1)}: found {quote(extra[0])} in a column "
                "without a header"
            )
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
        raise InputError(
            f"{p}: the workbook unzips to {total / 2**20:,.0f} MiB; an .xlsx may unzip to at most "
            f"{MAX_XLSX_UNCOMPRESSED / 2**20:,.0f} MiB (raise the limit with "
            "'limits: {xlsx_uncompressed_bytes: N}' in config.yaml, or save the sheet as CSV)"
        )


_BLANKS = [""]
# the spellings of a missing value the table reader accepts (other modules compare with them too)
NA_MARKERS = ["", "NA", "N/A", "na", "n/a", "Na", "N/a", "n/A", "nA"]


def parse_numbers(values, decimal: str = ".") -> tuple[np.ndarray, np.ndarray]:
    """Vectorised number parsing of text cells: (values, bad) where ``values`` is float
    (NaN where empty or bad) and ``bad`` marks non-empty cells that are not a finite number
    ('inf', 'nan', '1e999' and text are bad).  Accepts the Unicode minus sign, spaces as
    thousands separators, and with ``decimal=','`` decimal commas (with '.' thousands).
    Only the non-empty cells are parsed (a sparse column of a million rows costs little)."""
    a = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else np.asarray(values, dtype=object)
    a = a.reshape(-1)
    if pd.api.types.infer_dtype(a, skipna=False) not in ("string", "empty"):
        a = pd.Series(a, dtype=object).fillna("").astype(str).to_numpy(dtype=object)
    empty = a == ""  # cells are stripped when read
    num = np.full(len(a), np.nan)
    idx = np.flatnonzero(~empty)
    if len(idx):
        s = pd.Series(a[idx], dtype=object)
        # fast path: plain numbers parse in C; only the rest is normalised as text
        sub = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, copy=True)
        retry = ~np.isfinite(sub)
        if retry.any():
            t = s[retry].str.replace("\u2212", "-", regex=False).str.replace(" ", "", regex=False)
            t = t.str.replace("\u00a0", "", regex=False)
            if decimal == ",":
                both = t.str.count(",").eq(1) & t.str.count(r"\.").ge(1)
                t = t.where(~both, t.str.replace(".", "", regex=False))
                t = t.str.replace(",", ".", regex=False)
            sub[retry] = pd.to_numeric(t, errors="coerce").to_numpy(dtype=float)
        num[idx] = sub
    bad = ~empty & ~np.isfinite(num)
    num[bad] = np.nan
    return num, bad
