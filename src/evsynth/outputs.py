"""Writing outputs: atomically (a reader never sees a partial file, a failed command leaves the
earlier output as it was), deterministic CSV with spreadsheet formulas neutralised, and the record
of what a command wrote.  Below both ``evsynth.pipeline`` and ``evsynth.present``: it imports
nothing of evsynth but ``evsynth.errors``."""

from __future__ import annotations

import csv
import glob
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "recording",
    "atomic_path",
    "atomic_folder",
    "check_owned",
    "MANIFEST",
    "write_text",
    "write_bytes",
    "neutralise_formulas",
    "restore_formulas",
    "read_output",
    "safe_file_name",
    "write_csv",
]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# what the running command wrote: final path -> number of data rows (CSV) or None; None
# when nobody is recording (the command line records, see :func:`recording`)
_WRITTEN: dict | None = None


@contextmanager
def recording():
    """Collect every output written inside the ``with`` block (files moved into place by
    :class:`atomic_path`, folders by :func:`atomic_folder`) as ``{path: rows}`` (rows for
    CSVs written by :func:`write_csv`, else None); the command line prints them."""
    global _WRITTEN
    outer, _WRITTEN = _WRITTEN, {}
    try:
        yield _WRITTEN
    finally:
        _WRITTEN = outer


def _record(path: Path, rows=None) -> None:
    if _WRITTEN is not None:
        _WRITTEN[Path(path)] = rows if rows is not None else _WRITTEN.get(Path(path))


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
        fd, tmp = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=f".tmp{self.suffix}", dir=self.target.parent)
        os.close(fd)
        self.tmp = Path(tmp)
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            os.chmod(self.tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get normal permissions
            os.replace(self.tmp, self.target)
            _record(self.target)
        else:
            self.tmp.unlink(missing_ok=True)
        return False


# the record, inside a folder written by :func:`atomic_folder`, of the files the command put
# there: on the next run these (and only these) may be replaced or removed
MANIFEST = ".evsynth-outputs"
# what Snakemake itself puts into a folder declared as directory() output: left alone
_FOREIGN_OK = (".snakemake_timestamp",)


def _manifest(folder: Path) -> set[str] | None:
    m = folder / MANIFEST
    if not m.is_file():
        return None
    return {line for line in m.read_text(encoding="utf-8").splitlines() if line}


def _refuse(what: str, target: Path, names, reason: str):
    from evsynth.errors import InputError, quote

    names = sorted(names)
    shown = ", ".join(quote(n) for n in names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return InputError(
        f"{what}: {quote(str(target), 80)} {reason}: {shown}; nothing was changed. Give a new "
        "or empty folder (or the folder this command wrote before)"
    )


def check_owned(target, what: str = "--outdir", produced: set[str] | None = None) -> None:
    """Refuse ``target`` when it holds anything the command did not write: a sub-folder, a
    file not in the folder's :data:`MANIFEST` (or, for a folder written before manifests,
    a file the command does not write now: ``produced``)."""
    target = Path(target)
    if not target.exists() and not target.is_symlink():
        return
    if not target.is_dir():
        from evsynth.errors import InputError, quote

        raise InputError(f"{what}: {quote(str(target), 80)} is a file, not a folder; nothing was changed")
    owned = _manifest(target)
    folders, foreign = [], []
    for p in target.iterdir():
        if p.name == MANIFEST or p.name in _FOREIGN_OK:
            continue
        if p.is_dir() and not p.is_symlink():
            folders.append(p.name + "/")
        elif owned is not None:
            if p.name not in owned:
                foreign.append(p.name)
        elif produced is not None and p.name not in produced:
            foreign.append(p.name)
    if folders:
        raise _refuse(
            what, target, folders, "holds folders this command did not write (is it an input or the project folder?)"
        )
    if foreign:
        raise _refuse(what, target, foreign, "holds files this command did not write")


@contextmanager
def atomic_folder(target, what: str = "--outdir"):
    """Yield a fresh temporary folder beside ``target``; on success the files written into it
    are moved into ``target`` one by one (each replace atomic), files the command wrote into
    ``target`` on an earlier run and did not write now are removed, and the list of written
    files is kept in ``target``/:data:`MANIFEST`.  Nothing else in ``target`` is touched: a
    ``target`` holding anything the command did not write (a sub-folder, an input, the
    project) is refused before and after the work, naming the option ``what``, and nothing
    is changed.  On failure the temporary folder is removed and ``target`` is as it was."""
    target = Path(target)
    check_owned(target, what)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*"):  # leftovers of a killed run
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield tmp
        nested = [p.name + "/" for p in tmp.iterdir() if p.is_dir()]
        if nested:
            raise RuntimeError(f"atomic_folder: sub-folders written into {tmp}: {nested}")
        produced = {p.name for p in tmp.iterdir()}
        check_owned(target, what, produced)  # a folder written before manifests: checked now
        earlier = _manifest(target) or set()
        target.mkdir(exist_ok=True)
        with atomic_path(target / MANIFEST) as m:  # first: a crash mid-swap leaves both names listed
            m.write_text("".join(f"{n}\n" for n in sorted(produced | earlier)), encoding="utf-8")
        mode = 0o666 & ~_umask()
        for name in sorted(produced):
            os.chmod(tmp / name, mode)
            os.replace(tmp / name, target / name)
        for name in sorted(earlier - produced):
            (target / name).unlink(missing_ok=True)
        with atomic_path(target / MANIFEST) as m:
            m.write_text("".join(f"{n}\n" for n in sorted(produced)), encoding="utf-8")
        shutil.rmtree(tmp, ignore_errors=True)
        if _WRITTEN is not None:  # the files went into the temporary folder: name the folder
            for p in [p for p in _WRITTEN if tmp in p.parents or p.parent == target]:
                del _WRITTEN[p]
            _record(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,59}")


def safe_file_name(text) -> str:
    """A file name part made from ``text`` (a column name in a figure's or table's file
    name): ``text`` itself when it is 1-60 ASCII letters, digits, '_' and '-' (not starting
    with '-' or '_'), else its letters and digits with every other run of characters as '_',
    cut to 40, and '-' with 8 hex digits of its SHA-256 (so that 'hrs/week' and 'hrs_week'
    stay two files).  Never a path: no '/', no '..', never empty."""
    import hashlib
    import unicodedata

    text = unicodedata.normalize("NFC", str(text))
    if _SAFE_NAME.fullmatch(text):
        return text
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    base = re.sub(r"[^A-Za-z0-9]+", "_", ascii_).strip("_")[:40] or "x"
    return f"{base}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:8]}"


def write_text(path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def write_bytes(path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# a text cell that is prefixed: a formula start, after any apostrophes (so that a text that
# itself begins with apostrophes and a formula start gets one more and reads back unchanged)
_NEEDS_PREFIX = re.compile(r"^'*[=+\-@\t\r]")
_PREFIXED = re.compile(r"^'+[=+\-@\t\r]")
_FIRST = "=+-@\t\r'"  # first characters of a text that may need the prefix (a quick filter)


def _needs_prefix(v) -> bool:
    if not (isinstance(v, str) and _NEEDS_PREFIX.match(v)):
        return False
    try:
        float(v)
        return False  # a plain number such as '-0.5'
    except ValueError:
        return True


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` in which every text cell (and column name) that a spreadsheet would
    read as a formula -- starting with '=', '+', '-', '@', a tab or a carriage return --
    gets a leading apostrophe (OWASP, CSV injection).  Numbers, and text that is a plain
    number such as '-0.5', are left as they are.  Reversible: a text that already begins with
    apostrophes and then a formula start gets one more, and :func:`restore_formulas` (used by
    :func:`read_output`) removes exactly one, so a level '+' read back is '+' again."""

    def fix(v):
        return "'" + v if _needs_prefix(v) else v

    out = df  # copied only when something changes
    for j, c in enumerate(df.columns):
        col = df.iloc[:, j]
        if col.dtype == object or pd.api.types.is_string_dtype(col):
            vals = col.to_numpy(dtype=object)
            mask = pd.Series(
                np.fromiter(
                    (isinstance(v, str) and v[:1] in _FIRST and _needs_prefix(v) for v in vals),
                    dtype=bool,
                    count=len(vals),
                ),
                index=col.index,
            )
            if mask.any():
                if out is df:
                    out = df.copy()
                out.iloc[:, j] = col.where(~mask, col[mask].map(fix))
    names = [fix(c) if isinstance(c, str) else c for c in df.columns]
    if names != list(df.columns):
        out = out.copy() if out is df else out
        out.columns = names
    return out


def restore_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """The inverse of :func:`neutralise_formulas` on a table read back (in place and
    returned): one leading apostrophe removed where it guards a formula start."""

    def back(v):
        return v[1:] if isinstance(v, str) and _PREFIXED.match(v) else v

    for j in range(df.shape[1]):
        col = df.iloc[:, j]
        if col.dtype == object or pd.api.types.is_string_dtype(col):
            mask = col.map(lambda v: isinstance(v, str) and v.startswith("'")).astype(bool)
            if mask.any():
                new = col.astype(object).copy()
                new[mask] = col[mask].map(back)
                df.isetitem(j, new)
    names = [back(c) for c in df.columns]
    if names != list(df.columns):
        df.columns = names
    return df


def read_output(path, **kwargs) -> pd.DataFrame:
    """A CSV this pipeline wrote (:func:`write_csv`), read back with its values as they were
    before writing (:func:`restore_formulas`): what a stage or a figure reads of an earlier
    stage's output."""
    return restore_formulas(pd.read_csv(path, **kwargs))


def write_csv(path, df: pd.DataFrame, float_digits: int = 12) -> None:
    """Deterministic CSV: fixed float precision, '\\n' line ends, no index; text cells that a
    spreadsheet would run as a formula are neutralised (see :func:`neutralise_formulas`).
    The one writer of every CSV the pipeline produces."""
    df = neutralise_formulas(df)
    # Python's csv writer does not quote a lone carriage return, which readers take for a line
    # end: a table with one in a text cell is written with every text cell quoted
    has_cr = any(isinstance(c, str) and "\r" in c for c in df.columns) or any(
        any(isinstance(v, str) and "\r" in v for v in df.iloc[:, j].to_numpy(dtype=object))
        for j in range(df.shape[1])
        if df.iloc[:, j].dtype == object or pd.api.types.is_string_dtype(df.iloc[:, j])
    )
    quoting = csv.QUOTE_NONNUMERIC if has_cr else csv.QUOTE_MINIMAL
    if not has_cr:  # same bytes, about twice as fast for long tables (issue 22 item 6)
        df = _floats_as_text(df, float_digits)
    with atomic_path(path) as tmp:
        df.to_csv(
            tmp, index=False, lineterminator="\n", float_format=f"%.{float_digits}g", encoding="utf-8", quoting=quoting
        )
    _record(path, len(df))


def _floats_as_text(df: pd.DataFrame, digits: int) -> pd.DataFrame:
    """``df`` with its numpy float columns formatted as pandas' ``float_format='%.<digits>g'``
    writes them ('' for NaN), one list comprehension per column instead of pandas' formatter
    per value.  Only for unquoted writing (QUOTE_MINIMAL), where a formatted number is written
    as the same bytes."""
    cols = [
        j for j in range(df.shape[1]) if isinstance(df.iloc[:, j].dtype, np.dtype) and df.iloc[:, j].dtype.kind == "f"
    ]
    if not cols or len(df) < 1000:
        return df
    fmt = f"%.{digits}g".__mod__
    out = df.copy()
    for j in cols:
        arr = df.iloc[:, j].to_numpy()
        text = np.array([fmt(v) for v in arr.tolist()], dtype=object)
        text[np.isnan(arr)] = ""
        out.isetitem(j, pd.Series(text, index=df.index, dtype=object))
    return out
