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


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return _call(args.stage, args)
    except EvsynthError as exc:
        if args.debug:
            raise
        sys.stderr.write(f"evsynth {args.command}: error:\n{exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("evsynth: interrupted; no partial output was written\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
