"""What the coding scripts share: where the project's data and the seed texts are, writing a
coded table, and reading their command line.

Paths are taken from this package's place in the project (``coding/`` beside ``data/``), not
from the working directory, so ``python -m coding.<folder>.<script>`` writes the same tables
wherever it is started."""

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
# the seed texts (read-only, beside the project); make coding passes SEEDS=... to change it
SEEDS = ROOT.parent / "shared" / "seeds"
HOLWERDA_SEED = "003_169077222a0c6c24.txt"  # Holwerda, Jansen & Reijneveld (2014)
NJI_SEED = "000_d6eb5ec40b6ce6bc.txt"  # Nederlands Jeugdinstituut (2020), Wat werkt


def write_rows(out, fieldnames, rows) -> None:
    """Write ``rows`` (dicts) to the CSV ``out``: UTF-8, ``\\n`` line ends, a header line
    with ``fieldnames`` in that order (the byte layout every coded table has)."""
    with open(out, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(fieldnames), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def cli_args(default_out: Path) -> tuple[str, str]:
    """``(source, out)`` from the command line ``python -m coding.<folder>.<script> SOURCE [OUT]``;
    OUT defaults to ``default_out`` (the shipped table under ``data/``)."""
    if len(sys.argv) < 2:
        sys.exit(f"usage: python -m {_module()} SOURCE [OUT]  (SOURCE: the seed text or folder; OUT: {default_out})")
    source = seed_arg(sys.argv[1])
    return source, sys.argv[2] if len(sys.argv) > 2 else str(default_out)


def seed_arg(source: str) -> str:
    """``source`` if it exists; otherwise stop with one line naming it (no traceback)."""
    if not Path(source).exists():
        sys.exit(
            f"{_module()}: SOURCE {source}: no such file or folder (the seed text or the folder of the seed texts)"
        )
    return source


def _module() -> str:
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return spec.name if spec is not None else Path(sys.argv[0]).stem
