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
import errno
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
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
        )
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


LOCK = ".evsynth-run.lock"


class _Busy(Exception):
    """Another guarded run holds the project's lock."""


def _lock(root: Path):
    """Hold the project's run lock (an advisory ``flock`` on ``root``/:data:`LOCK`, released
    by the system when the process ends, however it ends); raise :class:`_Busy` naming the
    other run when it is held."""
    import fcntl

    fh = open(root / LOCK, "a+", encoding="utf-8")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        other = fh.read().strip() or "unknown"
        fh.close()
        raise _Busy(other) from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"pid {os.getpid()}\n")
    fh.flush()
    return fh


def _snapshot(folders: list[Path], root: Path) -> Path:
    """Copy the folders aside (``root``/:data:`SNAPSHOT`/0, 1, ...).  A copy that cannot be
    made (a full disk, an unreadable file) is removed again and the OSError raised: the run
    is then not started."""
    snap = root / SNAPSHOT
    if snap.exists():  # a previous guard was killed outright: its copy is the last good state
        problems = _restore(folders, snap)
        if problems:
            raise OSError(errno.EIO, f"the copy of an earlier run in {snap} could not be put back: {problems[0]}")
    snap.mkdir()
    try:
        for i, d in enumerate(folders):
            if d.exists():
                shutil.copytree(d, snap / str(i), symlinks=True)
    except BaseException:
        shutil.rmtree(snap, ignore_errors=True)
        raise
    return snap


def _reason(exc: OSError, root: Path) -> str:
    """Path and reason of an OSError; shutil.copytree gathers its errors into one
    shutil.Error holding (source, destination, reason) of each: the first is named."""
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
        _src, _dst, why = exc.args[0][0]
        more = len(exc.args[0]) - 1
        return str(why) + (f" (and {more} more)" if more else "")
    return f"{exc.filename or root / SNAPSHOT}: {exc.strerror or exc}"


def _same(a: Path, b: Path) -> bool:
    try:
        if a.is_symlink() or b.is_symlink():
            return a.is_symlink() and b.is_symlink() and os.readlink(a) == os.readlink(b)
        if a.stat().st_size != b.stat().st_size:
            return False
        with open(a, "rb") as fa, open(b, "rb") as fb:
            while True:
                x, y = fa.read(1 << 20), fb.read(1 << 20)
                if x != y:
                    return False
                if not x:
                    return True
    except OSError:
        return False


def _restore(folders: list[Path], snap: Path) -> list[str]:
    """Put the copies back, file by file: a file the run changed or removed is moved back
    from the copy (a rename: no new disk space), a file the run added is removed, a file it
    did not touch is left alone (so a read-only folder the run could not change needs no
    write).  Returns the problems (path and reason); with none, the copy is removed, else
    it is kept and named."""
    problems = []
    for i, d in enumerate(folders):
        saved = snap / str(i)
        if not saved.exists():
            if d.exists():
                try:
                    shutil.rmtree(d)
                except OSError as exc:
                    problems.append(f"{exc.filename or d}: {exc.strerror or type(exc).__name__}")
            continue
        keep = set()
        for src in sorted(saved.rglob("*")):
            rel = src.relative_to(saved)
            dst = d / rel
            keep.add(rel)
            try:
                if src.is_dir() and not src.is_symlink():
                    if dst.is_symlink() or (dst.exists() and not dst.is_dir()):
                        dst.unlink()
                    dst.mkdir(parents=True, exist_ok=True)
                elif not _same(src, dst):
                    if dst.is_dir() and not dst.is_symlink():
                        shutil.rmtree(dst)
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(src, dst)
            except OSError as exc:
                problems.append(f"{exc.filename or dst}: {exc.strerror or type(exc).__name__}")
        if d.exists():
            for cur in sorted(d.rglob("*"), key=lambda x: len(x.parts), reverse=True):
                if cur.relative_to(d) in keep:
                    continue
                try:
                    if cur.is_dir() and not cur.is_symlink():
                        shutil.rmtree(cur)
                    elif cur.exists() or cur.is_symlink():
                        cur.unlink()
                except OSError as exc:
                    problems.append(f"{exc.filename or cur}: {exc.strerror or type(exc).__name__}")
    if not problems:
        shutil.rmtree(snap, ignore_errors=True)
    return problems


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
    command = argv[cut + 1 :]
    try:
        from evsynth.pipeline.config import check_input_files, load_config
        from evsynth.pipeline.inputs import check_all_inputs
        from evsynth.pipeline.paths import ENV_ALLOW

        if args.allow_dir:
            os.environ[ENV_ALLOW] = os.pathsep.join([*args.allow_dir, os.environ.get(ENV_ALLOW, "")]).strip(os.pathsep)
        from evsynth.pipeline.reading import notes_printed

        with notes_printed("check-inputs"):
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
    try:
        lock = _lock(root)
    except _Busy as busy:
        sys.stderr.write(
            f"evsynth: another run of the pipeline is going on in this folder ({clean_text(busy)}); "
            "the run was not started; nothing was changed. Wait for it to finish, then run again\n"
        )
        return 1
    except OSError as exc:
        sys.stderr.write(
            f"evsynth: cannot take the run lock {root / LOCK} ({exc.strerror or type(exc).__name__}); "
            "the run was not started; nothing was changed\n"
        )
        return 1
    try:
        try:
            snap = _snapshot(folders, root)
        except OSError as exc:
            sys.stderr.write(
                f"evsynth: cannot keep a copy of the earlier outputs ({clean_text(_reason(exc, root))}); "
                "the run was not started; nothing was changed\n"
            )
            return 1
        rc, errors = _run(command)
        if rc != 0:
            problems = _restore(folders, snap)
            sys.stderr.write("\n" + _summary(errors))
            if problems:
                sys.stderr.write(
                    f"evsynth: the run failed (exit {rc}) and some earlier outputs could not be put "
                    f"back:\n"
                    + "".join(f"  {clean_text(x)}\n" for x in problems[:20])
                    + f"the copy of every earlier output is kept in {snap}; 'make report' puts it back "
                    "first once the problem is fixed\n"
                )
            else:
                sys.stderr.write(
                    f"evsynth: the run failed (exit {rc}); {', '.join(map(str, folders))} were put back "
                    "exactly as they were before it\n"
                )
            return rc
        shutil.rmtree(snap, ignore_errors=True)
        return 0
    finally:
        lock.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
