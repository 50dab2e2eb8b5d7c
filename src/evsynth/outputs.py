"""Writing outputs: atomically (a reader never sees a partial file, a failed command leaves the
earlier output as it was), deterministic CSV with spreadsheet formulas neutralised, and the record
of what a command wrote.  Below both ``evsynth.pipeline`` and ``evsynth.present``: it imports
nothing of evsynth."""

from __future__ import annotations

import csv
import glob
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

__all__ = ["recording", "atomic_path", "atomic_folder", "write_text", "write_bytes", "neutralise_formulas",
           "write_csv"]


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
        fd, tmp = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=f".tmp{self.suffix}",
                                   dir=self.target.parent)
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
        if _WRITTEN is not None:  # the files went into the temporary folder: name the folder
            for p in [p for p in _WRITTEN if tmp in p.parents]:
                del _WRITTEN[p]
            _record(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_text(path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def write_bytes(path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` in which every text cell (and column name) that a spreadsheet would
    read as a formula -- starting with '=', '+', '-', '@', a tab or a carriage return --
    gets a leading apostrophe (OWASP, CSV injection).  Numbers, and text that is a plain
    number such as '-0.5', are left as they are."""
    def fix(v):
        if isinstance(v, str) and v.startswith(_FORMULA_START):
            try:
                float(v)
                return v
            except ValueError:
                return "'" + v
        return v

    out = df  # copied only when something changes
    for j, c in enumerate(df.columns):
        col = df.iloc[:, j]
        if col.dtype == object or pd.api.types.is_string_dtype(col):
            mask = col.map(lambda v: isinstance(v, str) and v.startswith(_FORMULA_START))
            if mask.any():
                if out is df:
                    out = df.copy()
                out.iloc[:, j] = col.where(~mask, col[mask].map(fix))
    names = [fix(c) if isinstance(c, str) else c for c in df.columns]
    if names != list(df.columns):
        out = out.copy() if out is df else out
        out.columns = names
    return out


def write_csv(path, df: pd.DataFrame, float_digits: int = 12) -> None:
    """Deterministic CSV: fixed float precision, '\\n' line ends, no index; text cells that a
    spreadsheet would run as a formula are neutralised (see :func:`neutralise_formulas`).
    The one writer of every CSV the pipeline produces."""
    df = neutralise_formulas(df)
    # Python's csv writer does not quote a lone carriage return, which readers take for a line
    # end: a table with one in a text cell is written with every text cell quoted
    has_cr = any(isinstance(c, str) and "\r" in c for c in df.columns) or any(
        df.iloc[:, j].map(lambda v: isinstance(v, str) and "\r" in v).any()
        for j in range(df.shape[1])
        if df.iloc[:, j].dtype == object or pd.api.types.is_string_dtype(df.iloc[:, j]))
    quoting = csv.QUOTE_NONNUMERIC if has_cr else csv.QUOTE_MINIMAL
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, lineterminator="\n", float_format=f"%.{float_digits}g", encoding="utf-8",
                  quoting=quoting)
    _record(path, len(df))
