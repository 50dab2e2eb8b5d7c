"""The ``evsynth`` command line: what the Snakemake rules call.

One subcommand per entry of :data:`evsynth.pipeline.stages.STAGES` (name, help, arguments
with their help texts, function); nothing here is written per command.

Every expected problem (bad input, broken config, a model that cannot be fitted) is
reported as one clear message on stderr with exit status 1 (2 for usage errors); a
Python traceback is shown only with ``--debug``."""

from __future__ import annotations

import argparse
import inspect
import sys

from evsynth.errors import EvsynthError

__all__ = ["main", "build_parser"]

CONFIG_HELP = "configuration file (default: config.yaml)"


def _analysis_ids(argv) -> str:
    """The analysis ids of the config named on the command line (or config.yaml), for the
    help text; read without validating (``evsynth check-config`` validates)."""
    argv = list(argv or [])
    path = argv[argv.index("--config") + 1] if "--config" in argv[:-1] else "config.yaml"
    try:
        from evsynth.pipeline.yamlfile import read_yaml

        ids = [str(a["id"]) for a in read_yaml(path)["analyses"]]
    except Exception:  # noqa: BLE001 - only a help text: say where the ids are instead
        return f"valid analysis ids: the 'id' of each entry of 'analyses' in {path} (not readable here)"
    return f"valid analysis ids (from {path}): {', '.join(ids)}"


def _reads(stage) -> str:
    """The inputs a stage reads that earlier stages write, for its help text."""
    if not stage.needs:
        return ""
    return "reads what earlier stages write (checked first):\n" + "\n".join(
        f"  {n.path}  <- {n.run.replace('{config_option}', '')}" + (f"  ({n.only.__doc__})" if n.only else "")
        for n in stage.needs
    )


def build_parser(argv=None) -> argparse.ArgumentParser:
    """The parser generated from the stage registry; with ``--help`` on the command line
    (``argv``) the subcommands taking an analysis id list the valid ids of the config."""
    from evsynth.pipeline.stages import STAGES

    want_help = argv is not None and ("-h" in argv or "--help" in argv)
    ids = _analysis_ids(argv) if want_help else ""
    p = argparse.ArgumentParser(
        prog="evsynth",
        description="Evidence synthesis and meta-analysis pipeline.",
        epilog="'evsynth COMMAND --help' describes one command.",
    )
    from evsynth import __version__

    p.add_argument("--version", action="version", version=f"evsynth {__version__}", help="print the version and exit")
    p.add_argument("--debug", action="store_true", help="show a Python traceback on errors")
    p.add_argument(
        "--allow-dir",
        action="append",
        default=[],
        metavar="PATH",
        help="also allow input and output paths inside PATH (repeatable; default: only the project "
        "folder, i.e. the working directory; see also $EVSYNTH_ALLOW_DIRS)",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", help="one stage of the pipeline (below)")
    for stage in STAGES:
        takes_id = any(a.dest == "analysis" for a in stage.args)
        epilog = "\n\n".join(x for x in (ids if takes_id else "", _reads(stage)) if x)
        sp = sub.add_parser(
            stage.name,
            help=stage.help,
            description=stage.help,
            epilog=epilog or None,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if stage.config:
            sp.add_argument("--config", default="config.yaml", help=CONFIG_HELP)
        for arg in stage.args:
            sp.add_argument(*arg.flags, help=arg.help, **arg.options)
        sp.set_defaults(stage=stage)
    return p


def _call(stage, args) -> int:
    from evsynth.outputs import recording
    from evsynth.pipeline.reading import notes_printed
    from evsynth.pipeline.stages import missing_inputs

    kwargs = {a.dest: getattr(args, a.dest) for a in stage.args}
    cfg = None
    if stage.config:
        from evsynth.pipeline.config import load_config

        cfg = load_config(args.config)
        if "config" in inspect.signature(stage.func).parameters:
            kwargs["config"] = args.config
    _protect_inputs(args, cfg)
    missing_inputs(stage, cfg, {**kwargs, "config": getattr(args, "config", None)})
    with recording() as written, notes_printed(stage.name):
        rc = int((stage.func(**kwargs) if cfg is None else stage.func(cfg, **kwargs)) or 0)
    if rc == 0:
        _say_written(stage.name, written)
    return rc


def _say_written(command: str, written: dict) -> None:
    """One line per output: its path (relative to the working folder when inside it) and,
    for a table, its number of rows; for a folder, its number of files."""
    from pathlib import Path

    here = Path.cwd()
    for path, rows in sorted(written.items(), key=lambda kv: str(kv[0])):
        p = path.resolve()
        if not p.exists():  # written, then replaced by the stage itself
            continue
        shown = p.relative_to(here) if p.is_relative_to(here) else p
        if p.is_dir():
            n = sum(1 for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
            what = f"{n} file{'s' if n != 1 else ''}"
        elif rows is not None:
            what = f"{rows} row{'s' if rows != 1 else ''}"
        else:
            what = f"{p.stat().st_size:,} bytes"
        print(f"evsynth {command}: wrote {shown} ({what})")


_OUTPUT_OPTIONS = ("out", "outdir", "html", "pdf")


def _protect_inputs(args, cfg) -> None:
    """No output option names the project folder (or a folder above it), a file the config
    reads (the config itself, a dataset, a listed table, ...), or a folder holding one: a
    command never writes over, or beside and then removes, what it reads."""
    from pathlib import Path

    from evsynth.errors import InputError, quote

    root = Path.cwd().resolve()
    inputs = {}
    if cfg is not None:
        from evsynth.pipeline.paths import config_inputs

        inputs = {Path(p).resolve(): key for key, p in config_inputs(cfg)}
        inputs[Path(args.config).resolve()] = "--config"
    for marker in ("Snakefile", "pyproject.toml", "workflow", "src", ".git"):
        if (root / marker).exists():
            inputs[(root / marker).resolve()] = "the project"
    for name in _OUTPUT_OPTIONS:
        value = getattr(args, name, None)
        if not value:
            continue
        p = Path(value).resolve()
        if p == root or p in root.parents:
            raise InputError(
                f"--{name}: {quote(value)} is the project folder{'' if p == root else ' or above it'}; "
                "give a folder of its own for the outputs (e.g. results/...); nothing was changed"
            )
        hit = [
            (f, k)
            for f, k in inputs.items()
            if f == p or (name == "outdir" and p in f.parents) or (k == "the project" and f in p.parents)
        ]
        if hit:
            f, key = sorted(hit, key=lambda x: str(x[0]))[0]
            shown = f.relative_to(root) if f.is_relative_to(root) else f
            what = "is" if f == p else "holds" if p in f.parents else "is inside"
            raise InputError(
                f"--{name}: {quote(value)} {what} {quote(str(shown), 80)}, an input ({key}), and "
                f"would be written over; give a folder of its own for the outputs; nothing was changed"
            )


_PATH_OPTIONS = ("config", "out", "outdir", "results", "figures", "html", "pdf", "effects")


def _confine_args(args) -> None:
    """Every path given on the command line resolves inside the allowed folders."""
    import os

    from evsynth.pipeline.paths import ENV_ALLOW, allowed_dirs, confine

    if args.allow_dir:  # passed on to anything this process starts
        os.environ[ENV_ALLOW] = os.pathsep.join([*args.allow_dir, os.environ.get(ENV_ALLOW, "")]).strip(os.pathsep)
    if args.command == "validate":
        return  # reads the conformance cases only; writes nothing
    from evsynth.pipeline.reading import refuse_special_file

    dirs = allowed_dirs()
    for name in _PATH_OPTIONS:
        value = getattr(args, name, None)
        if value:
            confine(value, f"--{name}", dirs)
    # a file read given as a FIFO, a device or a folder: refused at once (reading would hang)
    for name in ("config", "effects"):
        if getattr(args, name, None):
            refuse_special_file(args.config if name == "config" else args.effects, f"--{name}")
    for part in getattr(args, "parts", None) or []:
        confine(part, "parts", dirs)
        refuse_special_file(part, "parts")


def _report(command: str, message: str, kind: str = "error") -> None:
    """The error on stderr.  Under make report's guard every line carries the prefix
    ``evsynth COMMAND: KIND:``, so the guard can hold it back from Snakemake's output and
    print it once, last (the job's log keeps it as written)."""
    import os

    from evsynth.errors import clean_text
    from evsynth.pipeline.guard import GUARD_ENV

    text = clean_text(message)
    if os.environ.get(GUARD_ENV):
        sys.stderr.write("".join(f"evsynth {command}: {kind}: {line}\n" for line in text.splitlines() or [""]))
    else:
        sys.stderr.write(f"evsynth {command}: error:\n{text}\n")


def main(argv=None) -> int:
    from evsynth.pipeline.warm import delegate, one_blas_thread

    one_blas_thread()  # one core per job, before numpy loads
    if argv is None:  # the `evsynth` executable: a warm server runs it when one answers (pipeline/warm.py)
        status = delegate(sys.argv[1:])
        if status is not None:
            return status
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        _confine_args(args)
        return _call(args.stage, args)
    except EvsynthError as exc:
        if args.debug:
            raise
        from evsynth.errors import ConfigError, InputError

        _report(args.command, str(exc), "input check failed" if isinstance(exc, (InputError, ConfigError)) else "error")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("evsynth: interrupted; no partial output was written\n")
        return 130
    except OSError as exc:  # a full disk, a file that cannot be read or written
        if args.debug:
            raise
        where = exc.filename if exc.filename is not None else "a file"
        if isinstance(exc, FileNotFoundError) and getattr(args.stage, "needs", ()):
            _report(
                args.command,
                f"{where}: does not exist; it is written by an earlier stage (see "
                f"'evsynth {args.command} --help', or run 'make report'); nothing was changed",
                "input check failed",
            )
        else:
            _report(
                args.command,
                f"{where}: {exc.strerror or type(exc).__name__}; nothing was changed (outputs are written atomically)",
            )
        return 1
    except MemoryError:
        if args.debug:
            raise
        _report(args.command, "out of memory; see the limits in docs/bad-input.md (config key 'limits')")
        return 1
    except Exception as exc:  # noqa: BLE001 - never a traceback for a user, but say it is a bug
        if args.debug:
            raise
        _report(
            args.command,
            f"internal error ({type(exc).__name__}: {str(exc)[:200]}); this is a bug in "
            "evsynth, please report it with the output of 'evsynth --debug ...'",
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
