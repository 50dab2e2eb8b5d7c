"""Rebuild every coded table under data/ from its inputs, in order (``make coding``).  Run from
the project root:

    python -m coding.rebuild [--seeds DIR]

DIR is the folder of the seed texts (default ../shared/seeds beside the project).  The steps run
in the order of ``STEPS``: a step may read a table an earlier step wrote (the coding log reads
the statements' decisions, the second coder's agreement reads the first coding, the extraction
agreement reads the study list).  On the shipped inputs every table is rebuilt byte for byte
(tests/coding/test_make_coding.py).  Which table comes from which inputs: coding/README.md."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from pathlib import Path

from coding.common import DATA, HOLWERDA_SEED, NJI_SEED, SEEDS


def _out(rel: str) -> str:
    return str(DATA / rel)


# (module, the tables it writes under data/, how it is called with the seed folder)
STEPS = [
    (
        "coding.findings.build_findings",
        ["findings/findings.csv"],
        lambda m, seeds: m.main(str(seeds), _out("findings/findings.csv")),
    ),
    (
        "coding.nji2020.build_nji",
        ["nji2020/interventions.csv", "nji2020/kv_categories.csv", "nji2020/review_findings.csv"],
        lambda m, seeds: m.main(str(seeds / NJI_SEED)),
    ),
    (
        "coding.holwerda2014.build_effect_statements",
        ["holwerda2014/effect_statements.csv"],
        lambda m, seeds: m.main(str(seeds / HOLWERDA_SEED), _out("holwerda2014/effect_statements.csv")),
    ),
    (
        "coding.holwerda2014.build_reviews",
        ["holwerda2014/reviews.csv", "holwerda2014/review_statements.csv"],
        lambda m, seeds: m.main(
            str(seeds / HOLWERDA_SEED), _out("holwerda2014/reviews.csv"), _out("holwerda2014/review_statements.csv")
        ),
    ),
    (
        "coding.holwerda2014.build_primary_studies",
        ["holwerda2014/primary_studies.csv"],
        lambda m, seeds: m.main(str(seeds / HOLWERDA_SEED), _out("holwerda2014/primary_studies.csv")),
    ),
    (
        "coding.holwerda2014.build_coding_log",
        ["holwerda2014/coding_log.csv"],
        lambda m, seeds: m.main(str(seeds / HOLWERDA_SEED), _out("holwerda2014/coding_log.csv")),
    ),
    (
        "coding.findings.second_coder_agreement",
        ["findings/second_coder_agreement.csv", "findings/second_coder_disagreements.csv"],
        lambda m, seeds: m.main(),
    ),
    (
        "coding.extraction.agreement",
        ["extraction/comparison.csv", "extraction/agreement.csv"],
        lambda m, seeds: m.main([]),
    ),
    (
        "coding.ahrq2015.build_arms",
        [
            "ahrq2015/arms.csv",
            "ahrq2015/missing_cells.csv",
            "ahrq2015/comparisons.csv",
            "ahrq2015/excluded.csv",
            "ahrq2015/direction_check.csv",
        ],
        lambda m, seeds: m.main(),
    ),
    (
        "coding.ifps2002.build_placement",
        ["ifps2002/placement_trials.csv", "ifps2002/placement_excluded.csv"],
        lambda m, seeds: m.main(),
    ),
]


def outputs() -> list[str]:
    """Every table the steps write, as a path under data/, in step order."""
    return [rel for _, outs, _ in STEPS for rel in outs]


def _where(exc: BaseException) -> str:
    """file:line of the innermost frame inside coding/ (where a coding check failed)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).parent.parent.name == "coding"]
    if not frames:
        return ""
    f = frames[-1]
    return f" ({Path(f.filename).parent.name}/{Path(f.filename).name}:{f.lineno})"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m coding.rebuild", description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default=str(SEEDS), help="folder of the seed texts (default: %(default)s)")
    args = ap.parse_args(argv)
    seeds = Path(args.seeds)
    for name in (HOLWERDA_SEED, NJI_SEED):
        if not (seeds / name).is_file():
            print(
                f"coding.rebuild: --seeds {seeds}: the seed text {name} is not there "
                "(give the folder of the seed texts, e.g. make coding SEEDS=../shared/seeds)",
                file=sys.stderr,
            )
            return 2
    for module, outs, call in STEPS:
        t0 = time.perf_counter()
        try:
            rc = call(importlib.import_module(module), seeds)
        except SystemExit as exc:  # a step stops with its own message (naming its file): print it, then stop
            if exc.code not in (None, 0):
                if isinstance(exc.code, str):
                    print(exc.code, file=sys.stderr)
                print(f"coding.rebuild: {module} stopped; the tables of later steps are not rebuilt", file=sys.stderr)
                return 1
        except OSError as exc:
            print(f"coding.rebuild: {module}: {exc.strerror or exc}: {exc.filename}", file=sys.stderr)
            return 1
        except AssertionError as exc:
            print(f"coding.rebuild: {module}: a coding check failed{_where(exc)}: {exc}", file=sys.stderr)
            return 1
        except Exception as exc:  # one line, not a traceback: the step, where it stopped and why
            print(f"coding.rebuild: {module} stopped{_where(exc)}: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        if rc not in (None, 0):  # a step that returns its exit status has printed its message
            print(f"coding.rebuild: {module} stopped; the tables of later steps are not rebuilt", file=sys.stderr)
            return 1
        print(f"{module}: {', '.join('data/' + o for o in outs)} ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
