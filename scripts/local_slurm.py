"""A one-node SLURM cluster on this machine, for testing the pipeline's scale-out.

    python scripts/local_slurm.py start DIR    # prints the export line for SLURM_CONF
    python scripts/local_slurm.py stop DIR

Everything lives in DIR (munge key and socket, slurm.conf, state, spool, logs, pid files), on
free loopback ports, so it touches no system-wide SLURM or MUNGE set-up.  ``munged``,
``slurmctld`` and ``slurmd`` run as the current user (root in CI), started in the foreground
as child processes whose ids are written to DIR/pids; ``stop`` ends exactly those.  Needs
Debian's ``slurm-wlm`` and ``munge`` (``scripts/system-packages.sh`` installs them).

slurm.conf: SlurmctldHost = this host, proctrack/linuxproc, task/none, select/cons_tres, no
accounting storage, one node with this machine's CPUs and one default partition."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mem_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return 2048


def write_config(d: Path) -> Path:
    host = socket.gethostname().split(".")[0]
    for sub in ("state", "spool", "log", "munge"):
        (d / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(d / "munge", 0o700)
    key = d / "munge" / "munge.key"
    if not key.exists():
        key.write_bytes(os.urandom(1024))
    os.chmod(key, 0o400)
    user = os.environ.get("USER") or __import__("pwd").getpwuid(os.getuid()).pw_name
    conf = d / "slurm.conf"
    conf.write_text(
        "\n".join(
            [
                "ClusterName=evsynth",
                f"SlurmctldHost={host}(127.0.0.1)",
                f"SlurmctldPort={_free_port()}",
                f"SlurmdPort={_free_port()}",
                f"SlurmUser={user}",
                f"SlurmdUser={user}",
                "AuthType=auth/munge",
                "CredType=cred/munge",
                f"AuthInfo=socket={d / 'munge' / 'munge.socket'}",
                "ProctrackType=proctrack/linuxproc",
                "TaskPlugin=task/none",
                "SelectType=select/cons_tres",
                "SelectTypeParameters=CR_CPU",
                "AccountingStorageType=accounting_storage/none",
                "JobAcctGatherType=jobacct_gather/none",
                "JobCompType=jobcomp/none",
                "MpiDefault=none",
                "ReturnToService=2",
                "MinJobAge=300",  # finished jobs stay visible to squeue for 5 minutes
                "SchedulerType=sched/backfill",
                f"StateSaveLocation={d / 'state'}",
                f"SlurmdSpoolDir={d / 'spool'}",
                f"SlurmctldPidFile={d / 'slurmctld.pid'}",
                f"SlurmdPidFile={d / 'slurmd.pid'}",
                f"SlurmctldLogFile={d / 'log' / 'slurmctld.log'}",
                f"SlurmdLogFile={d / 'log' / 'slurmd.log'}",
                f"NodeName={host} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory={int(_mem_mb() * 0.8)} State=UNKNOWN",
                f"PartitionName=main Nodes={host} Default=YES MaxTime=INFINITE State=UP",
                "",
            ]
        )
    )
    # snakemake's slurm-jobstep executor drops every SLURM_* variable but a few before it calls
    # srun inside a job, so srun would look for the config at the system-wide default path:
    # an srun first on PATH that names this cluster's config (a real cluster has it there)
    import shutil

    real = shutil.which("srun", path=os.environ.get("PATH", "").replace(str(d / "bin") + os.pathsep, ""))
    (d / "bin").mkdir(exist_ok=True)
    shim = d / "bin" / "srun"
    shim.write_text(f'#!/bin/sh\nSLURM_CONF="{conf}" exec "{real or "/usr/bin/srun"}" "$@"\n')
    os.chmod(shim, 0o755)
    return conf


def _env(d: Path) -> dict:
    e = dict(os.environ)
    e["SLURM_CONF"] = str(d / "slurm.conf")
    e["PATH"] = f"{d / 'bin'}{os.pathsep}{e.get('PATH', '')}"
    return e


def start(d, timeout: float = 60.0) -> dict:
    """Start the cluster in ``d``; return the environment (with SLURM_CONF) for its clients."""
    d = Path(d).resolve()
    d.mkdir(parents=True, exist_ok=True)
    conf = write_config(d)
    env = _env(d)
    m = d / "munge"
    cmds = {
        "munged": [
            "munged",
            "--foreground",
            "--force",
            f"--socket={m / 'munge.socket'}",
            f"--key-file={m / 'munge.key'}",
            f"--pid-file={m / 'munged.pid'}",
            f"--log-file={d / 'log' / 'munged.log'}",
            f"--seed-file={m / 'munged.seed'}",
        ],
        "slurmctld": ["slurmctld", "-D", "-c", "-i", "-f", str(conf)],
        "slurmd": ["slurmd", "-D", "-f", str(conf)],
    }
    pids = []
    try:
        for name in DAEMONS:
            log = open(d / "log" / f"{name}.out", "ab")
            p = subprocess.Popen(cmds[name], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            pids.append(f"{name} {p.pid}")
            (d / "pids").write_text("\n".join(pids) + "\n")
            if name == "munged":
                _wait(lambda: (m / "munge.socket").exists(), timeout, "munged did not create its socket", d)
            if name == "slurmctld":
                _wait(
                    lambda: (
                        subprocess.run(["scontrol", "ping"], env=env, capture_output=True, text=True).stdout.count("UP")
                        > 0
                    ),
                    timeout,
                    "slurmctld does not answer",
                    d,
                )
        _wait(
            lambda: (
                subprocess.run(["sinfo", "-h", "-o", "%T"], env=env, capture_output=True, text=True)
                .stdout.strip()
                .startswith("idle")
            ),
            timeout,
            "the node did not become idle",
            d,
        )
    except Exception:
        stop(d)
        raise
    return env


def _wait(cond, timeout, what, d):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.3)
    logs = "".join(f"\n--- {p.name}\n" + p.read_text(errors="replace")[-2000:] for p in sorted((d / "log").glob("*")))
    raise RuntimeError(f"local SLURM cluster: {what} within {timeout:g} s; logs in {d / 'log'}:{logs}")


def stop(d) -> None:
    """End the daemons that ``start`` started in ``d`` (by their recorded ids), last first."""
    d = Path(d).resolve()
    pidfile = d / "pids"
    if not pidfile.exists():
        return
    entries = [line.split() for line in pidfile.read_text().splitlines() if line.strip()]
    for name, pid in reversed(entries):
        pid = int(pid)
        try:
            os.killpg(pid, signal.SIGTERM)  # the daemon and what it started (job steps)
        except ProcessLookupError:
            continue
        end = time.monotonic() + 15
        while time.monotonic() < end:
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    break
            except ChildProcessError:  # not our child (stop from another process)
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
            time.sleep(0.2)
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    pidfile.unlink()


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    if argv[0] == "start":
        env = start(argv[1])
        print(f"export SLURM_CONF={env['SLURM_CONF']} PATH={Path(argv[1]).resolve() / 'bin'}:$PATH")
    else:
        stop(argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
