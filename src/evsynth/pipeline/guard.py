"""``make report``'s safe run: a failed run changes nothing.

    python -m evsynth.pipeline.guard [--config config.yaml] [--allow-dir PATH] -- snakemake ARGS...

1. validates the config (schema, confinement, every input file exists and is readable) and
   every input table (``evsynth check-inputs``) *before* Snakemake is started, so a bad
   input never reaches a job whose outputs Snakemake would delete;
2. copies the results and figures folders aside, runs the command, and if it fails (any
   non-zero exit, Ctrl-C) puts the copies back, so every earlier result, figure and report is
   byte-identical to what it was before the run; on success the copies are removed;
3. passes the command's output through, except the lines the evsynth jobs write for their
   log files (``evsynth STAGE: wrote ...`` and, with ``EVSYNTH_GUARDED`` set, every line of an
   error as ``evsynth STAGE: input check failed: ...``): each error is printed once, last,
   after Snakemake's own output, in a short summary block.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from evsynth.errors import EvsynthError, clean_text

SNAPSHOT = ".evsynth-last-good"
GUARD_ENV = "EVSYNTH_GUARDED"  # tells evsynth (pipeline/cli.py) to prefix every line of an error
_JOB_LINE = re.compile(r"^evsynth ([a-z-]+): (wrote|input check failed(?=:)|error(?=:)):? ?(.*)$")


def _run(command: list[str]) -> tuple[int, list[tuple[str, str, str]]]:
    """Run ``command``, pass its output (stdout and stderr, merged) through to stderr except
    the evsynth job lines (see the module docstring); return the exit status and the error
    lines ``(stage, kind, text)``."""
    env = {**os.environ, GUARD_ENV: "1"}
    try:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                text=True, encoding="utf-8", errors="replace", bufsize=1)
    except OSError as exc:
        sys.stderr.write(f"evsynth: cannot start {command[0]}: {exc.strerror}\n")
        return 1, []
    errors = []
    while True:
        try:  # Ctrl-C reaches the child too: let it stop cleanly, then restore
            for line in proc.stdout:
                m = _JOB_LINE.match(line.rstrip("\n"))
                if m is None:
                    sys.stderr.write(line)
                    sys.stderr.flush()
                elif m.group(2) != "wrote":
                    errors.append(m.groups())
            return proc.wait(), errors
        except KeyboardInterrupt:
            continue


def _summary(errors: list[tuple[str, str, str]]) -> str:
    """The errors of the jobs, each once (several jobs may read the same bad file), grouped
    per stage and kind: ``evsynth: input check failed (effects):`` and the message lines."""
    blocks: dict[tuple[str, str], list[str]] = {}
    for stage, kind, text in errors:
        blocks.setdefault((stage, kind), []).append(text)
    out, seen = [], set()
    for (stage, kind), lines in blocks.items():
        message = "\n".join(lines)
        if message in seen:
            continue
        seen.add(message)
        head = f"evsynth: {kind} (evsynth {stage}):"
        out.append(f"{head} {lines[0]}" if len(lines) == 1 else head + "".join(f"\n  {x}" for x in lines))
    return "\n".join(out) + "\n" if out else ""


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
    rc, errors = _run(command)
    if rc != 0:
        _restore(folders, snap)
        sys.stderr.write("\n" + _summary(errors))
        sys.stderr.write(f"evsynth: the run failed (exit {rc}); {', '.join(map(str, folders))} were put back "
                         "exactly as they were before it\n")
        return rc
    shutil.rmtree(snap, ignore_errors=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
