"""``make report``'s safe run: a failed run changes nothing.

    python -m evsynth.pipeline.guard [--config config.yaml] [--allow-dir PATH] -- snakemake ARGS...

1. validates the config (schema, confinement, every input file exists and is readable) and
   every input table (``evsynth check-inputs``) *before* Snakemake is started, so a bad
   input never reaches a job whose outputs Snakemake would delete;
2. copies the results and figures folders aside, runs the command, and if it fails (any
   non-zero exit, Ctrl-C) puts the copies back, so every earlier result, figure and report is
   byte-identical to what it was before the run; on success the copies are removed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from evsynth.errors import EvsynthError, clean_text

SNAPSHOT = ".evsynth-last-good"


def _snapshot(folders: list[Path], root: Path) -> Path:
    snap = root / SNAPSHOT
    if snap.exists():  # a previous guard was killed outright: its copy is the last good state
        _restore(folders, snap)
    snap.mkdir()
    for i, d in enumerate(folders):
        if d.exists():
            shutil.copytree(d, snap / str(i), symlinks=True)
    return snap


def _restore(folders: list[Path], snap: Path) -> None:
    for i, d in enumerate(folders):
        saved = snap / str(i)
        if d.exists():
            shutil.rmtree(d)
        if saved.exists():
            os.replace(saved, d)
    shutil.rmtree(snap, ignore_errors=True)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" not in argv:
        sys.stderr.write("usage: python -m evsynth.pipeline.guard [--config FILE] [--allow-dir PATH] -- COMMAND...\n")
        return 2
    cut = argv.index("--")
    p = argparse.ArgumentParser(prog="evsynth-guard")
    p.add_argument("--config", default="config.yaml")
    p.add_argument("--allow-dir", action="append", default=[])
    args = p.parse_args(argv[:cut])
    command = argv[cut + 1:]
    try:
        from evsynth.pipeline.config import check_input_files, load_config
        from evsynth.pipeline.inputs import check_all_inputs
        from evsynth.pipeline.paths import ENV_ALLOW

        if args.allow_dir:
            os.environ[ENV_ALLOW] = os.pathsep.join([*args.allow_dir, os.environ.get(ENV_ALLOW, "")]).strip(os.pathsep)
        cfg = load_config(args.config)
        check_input_files(cfg, source=args.config)
        check_all_inputs(cfg)
    except EvsynthError as exc:
        sys.stderr.write(f"evsynth: the run was not started; nothing was changed:\n{clean_text(str(exc))}\n")
        return 1
    if not command:
        return 0
    root = Path.cwd()
    folders = [Path(cfg["results_dir"]), Path(cfg["figures_dir"])]
    snap = _snapshot(folders, root)
    try:
        proc = subprocess.Popen(command)
    except OSError as exc:
        sys.stderr.write(f"evsynth: cannot start {command[0]}: {exc.strerror}\n")
        proc, rc = None, 1
    while proc is not None:
        try:
            rc = proc.wait()
            break
        except KeyboardInterrupt:  # Ctrl-C reaches the child too: let it stop cleanly, then restore
            continue
    if rc != 0:
        _restore(folders, snap)
        sys.stderr.write(f"evsynth: the run failed (exit {rc}); {', '.join(map(str, folders))} were put back "
                         "exactly as they were before it\n")
        return rc
    shutil.rmtree(snap, ignore_errors=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
