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


def build_parser() -> argparse.ArgumentParser:
    from evsynth.pipeline.stages import STAGES

    p = argparse.ArgumentParser(prog="evsynth", description="Evidence synthesis and meta-analysis pipeline.")
    p.add_argument("--debug", action="store_true", help="show a Python traceback on errors")
    p.add_argument("--allow-dir", action="append", default=[], metavar="PATH",
                   help="also allow input and output paths inside PATH (repeatable; default: only the project "
                        "folder, i.e. the working directory; see also $EVSYNTH_ALLOW_DIRS)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for stage in STAGES:
        sp = sub.add_parser(stage.name, help=stage.help, description=stage.help)
        if stage.config:
            sp.add_argument("--config", default="config.yaml", help=CONFIG_HELP)
        for arg in stage.args:
            sp.add_argument(*arg.flags, help=arg.help, **arg.options)
        sp.set_defaults(stage=stage)
    return p


def _call(stage, args) -> int:
    kwargs = {a.dest: getattr(args, a.dest) for a in stage.args}
    if not stage.config:
        return int(stage.func(**kwargs) or 0)
    from evsynth.pipeline.config import load_config

    if "config" in inspect.signature(stage.func).parameters:
        kwargs["config"] = args.config
    return int(stage.func(load_config(args.config), **kwargs) or 0)


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
    if argv is None:  # the `evsynth` executable: a warm server runs it when one answers (pipeline/warm.py)
        from evsynth.pipeline.warm import delegate

        status = delegate(sys.argv[1:])
        if status is not None:
            return status
    parser = build_parser()
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
