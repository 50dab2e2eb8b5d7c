"""What the coding scripts under data/ share: writing a coded table and reading their
command line.  Imported by data/holwerda2014/coding/*.py and data/findings/build_findings.py
(each puts this folder on ``sys.path``)."""

import csv
import sys


def write_rows(out, fieldnames, rows) -> None:
    """Write ``rows`` (dicts) to the CSV ``out``: UTF-8, ``\\n`` line ends, a header line
    with ``fieldnames`` in that order (the byte layout every coded table has)."""
    with open(out, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(fieldnames), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def cli_args(default_out: str) -> tuple[str, str]:
    """``(source, out)`` from the command line ``script.py SOURCE [OUT]``; OUT defaults to
    ``default_out`` (a path from the repository root)."""
    return sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else default_out
