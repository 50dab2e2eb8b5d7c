"""The ``evsynth`` command line: what the Snakemake rules call.

Every expected problem (bad input, broken config, a model that cannot be fitted) is
reported as one clear message on stderr with exit status 1 (2 for usage errors); a
Python traceback is shown only with ``--debug``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from evsynth.errors import EvsynthError

__all__ = ["main"]


def _cfg(args):
    from evsynth.pipeline.config import load_config

    return load_config(args.config)


def cmd_check_config(args) -> int:
    from evsynth.pipeline.config import check_input_files

    cfg = _cfg(args)
    check_input_files(cfg, source=str(args.config))
    print(f"{args.config}: OK ({len(cfg['analyses'])} analyses)")
    return 0


def cmd_check_inputs(args) -> int:
    from evsynth.pipeline.inputs import check_all_inputs

    cfg = _cfg(args)
    summary = check_all_inputs(cfg)
    if args.out:
        from evsynth.pipeline.io import write_text

        write_text(args.out, summary)
    print(summary, end="")
    return 0


def cmd_effects(args) -> int:
    from evsynth.pipeline.stages import run_effects

    run_effects(_cfg(args), args.analysis, Path(args.out))
    return 0


def cmd_fit(args) -> int:
    from evsynth.pipeline.stages import run_fit

    run_fit(_cfg(args), args.analysis, Path(args.effects), Path(args.outdir))
    return 0


def cmd_diagnose(args) -> int:
    from evsynth.pipeline.stages import run_diagnose

    run_diagnose(_cfg(args), args.analysis, Path(args.effects), Path(args.outdir))
    return 0


def cmd_multiverse(args) -> int:
    from evsynth.pipeline.multiverse import run_multiverse_chunk

    run_multiverse_chunk(_cfg(args), args.analysis, Path(args.effects), args.chunk, args.chunks, Path(args.out))
    return 0


def cmd_multiverse_gather(args) -> int:
    from evsynth.pipeline.multiverse import run_multiverse_gather

    run_multiverse_gather(_cfg(args), args.analysis, [Path(p) for p in args.parts], Path(args.outdir))
    return 0


def cmd_studies(args) -> int:
    from evsynth.review.studies import run_studies

    run_studies(_cfg(args), Path(args.outdir))
    return 0


def cmd_quality(args) -> int:
    from evsynth.review.quality import run_quality

    run_quality(_cfg(args), Path(args.outdir))
    return 0


def cmd_extraction(args) -> int:
    from evsynth.review.extraction import run_extraction

    run_extraction(_cfg(args), Path(args.outdir))
    return 0


def cmd_figures(args) -> int:
    from evsynth.present.figures import run_analysis_figures, run_study_figures

    cfg = _cfg(args)
    if args.analysis == "studies":
        run_study_figures(cfg, Path(args.results), Path(args.outdir))
    else:
        run_analysis_figures(cfg, args.analysis, Path(args.results), Path(args.outdir))
    return 0


def cmd_report(args) -> int:
    from evsynth.present.report import run_report

    run_report(_cfg(args), Path(args.results), Path(args.figures), Path(args.html),
               Path(args.pdf) if args.pdf else None)
    print(Path(args.html).resolve())
    return 0


def cmd_validate(args) -> int:
    from evsynth.conformance.golden import validate_dir

    outcomes = validate_dir(args.directory)
    failed = [o for o in outcomes if not o.passed]
    for o in failed:
        print(f"FAIL {o.id}: {o.message}")
    if args.verbose:
        for o in outcomes:
            if o.passed:
                print(f"ok   {o.id}")
    print(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return 0 if not failed else 1


def cmd_template(args) -> int:
    from evsynth.review.extraction import write_templates

    write_templates(_cfg(args), Path(args.outdir))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="evsynth", description="Evidence synthesis and meta-analysis pipeline.")
    p.add_argument("--debug", action="store_true", help="show a Python traceback on errors")
    p.add_argument("--allow-dir", action="append", default=[], metavar="PATH",
                   help="also allow input and output paths inside PATH (repeatable; default: only the project "
                        "folder, i.e. the working directory; see also $EVSYNTH_ALLOW_DIRS)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def add(name, fn, help_, config=True):
        sp = sub.add_parser(name, help=help_, description=help_)
        if config:
            sp.add_argument("--config", default="config.yaml", help="configuration file (default: config.yaml)")
        sp.set_defaults(func=fn)
        return sp

    add("check-config", cmd_check_config, "validate config.yaml against its schema")
    sp = add("check-inputs", cmd_check_inputs, "validate every input table and file named in the config")
    sp.add_argument("--out", help="write the summary of what was checked here")
    sp = add("effects", cmd_effects, "compute effect sizes for one declared analysis")
    sp.add_argument("analysis", help="analysis id from the config")
    sp.add_argument("--out", required=True, help="output CSV")
    sp = add("fit", cmd_fit, "fit the declared model, moderators, subgroups, robust and sensitivity analyses")
    sp.add_argument("analysis")
    sp.add_argument("--effects", required=True, help="effect-size CSV written by 'evsynth effects'")
    sp.add_argument("--outdir", required=True)
    sp = add("diagnose", cmd_diagnose, "publication bias, influence and sensitivity diagnostics")
    sp.add_argument("analysis")
    sp.add_argument("--effects", required=True)
    sp.add_argument("--outdir", required=True)
    sp = add("multiverse", cmd_multiverse, "fit one block of the multiverse of an analysis (every combination of "
             "its declared analytic choices)")
    sp.add_argument("analysis")
    sp.add_argument("--effects", required=True)
    sp.add_argument("--chunk", type=int, default=0, help="which block, from 0 (default 0)")
    sp.add_argument("--chunks", type=int, help="number of blocks (default: multiverse.chunks of the config, or 1)")
    sp.add_argument("--out", required=True, help="output CSV of this block")
    sp = add("multiverse-gather", cmd_multiverse_gather, "join the multiverse blocks into multiverse.csv and "
             "write the summary tables of the report")
    sp.add_argument("analysis")
    sp.add_argument("parts", nargs="+", help="the block CSVs written by 'evsynth multiverse'")
    sp.add_argument("--outdir", required=True)
    sp = add("studies", cmd_studies, "summaries of the coded study tables (characteristics, designs, flow)")
    sp.add_argument("--outdir", required=True)
    sp = add("quality", cmd_quality, "score the 11-item quality form: totals, agreement, kappa, template")
    sp.add_argument("--outdir", required=True)
    sp = add("extraction", cmd_extraction, "effect sizes of the 47 studies: conversions, coverage, pooling by domain")
    sp.add_argument("--outdir", required=True)
    sp = add("template", cmd_template, "write blank extraction and quality templates for reviewers")
    sp.add_argument("--outdir", required=True)
    sp = add("figures", cmd_figures, "draw the figures of one analysis (or 'studies' for the study-level figures)")
    sp.add_argument("analysis")
    sp.add_argument("--results", required=True, help="results folder")
    sp.add_argument("--outdir", required=True, help="figures folder")
    sp = add("report", cmd_report, "render the HTML (and PDF) report from the results tables")
    sp.add_argument("--results", required=True)
    sp.add_argument("--figures", required=True)
    sp.add_argument("--html", required=True)
    sp.add_argument("--pdf")
    sp = add("validate", cmd_validate, "run conformance cases (cases/*.json over data/*.csv) and compare", config=False)
    sp.add_argument("directory", help="folder with cases/ and data/ (e.g. ../shared/golden)")
    sp.add_argument("-v", "--verbose", action="store_true", help="list passing cases too")
    return p


_PATH_OPTIONS = ("config", "out", "outdir", "results", "figures", "html", "pdf", "effects")


def _confine_args(args) -> None:
    """Every path given on the command line resolves inside the allowed folders."""
    import os

    from evsynth.pipeline.paths import ENV_ALLOW, allowed_dirs, confine

    if args.allow_dir:  # passed on to anything this process starts
        os.environ[ENV_ALLOW] = os.pathsep.join([*args.allow_dir, os.environ.get(ENV_ALLOW, "")]).strip(os.pathsep)
    if args.command == "validate":
        return  # reads the conformance cases only; writes nothing
    dirs = allowed_dirs()
    for name in _PATH_OPTIONS:
        value = getattr(args, name, None)
        if value:
            confine(value, f"--{name}", dirs)


def _report(command: str, message: str) -> None:
    from evsynth.errors import clean_text

    sys.stderr.write(f"evsynth {command}: error:\n{clean_text(message)}\n")


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        _confine_args(args)
        return int(args.func(args) or 0)
    except EvsynthError as exc:
        if args.debug:
            raise
        _report(args.command, str(exc))
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("evsynth: interrupted; no partial output was written\n")
        return 130
    except OSError as exc:  # a full disk, a file that cannot be read or written
        if args.debug:
            raise
        where = exc.filename if exc.filename is not None else "a file"
        _report(args.command, f"{where}: {exc.strerror or type(exc).__name__}; nothing was changed "
                              "(outputs are written atomically)")
        return 1
    except MemoryError:
        if args.debug:
            raise
        _report(args.command, "out of memory; see the size limits in README 'Bad input'")
        return 1
    except Exception as exc:  # noqa: BLE001 - never a traceback for a user, but say it is a bug
        if args.debug:
            raise
        _report(args.command, f"internal error ({type(exc).__name__}: {str(exc)[:200]}); this is a bug in "
                              "evsynth, please report it with the output of 'evsynth --debug ...'")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
