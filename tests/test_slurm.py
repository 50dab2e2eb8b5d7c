"""Scale-out on a real SLURM cluster: a one-node cluster (Debian's slurm-wlm and munge,
started by scripts/local_slurm.py in a temporary folder) runs the multiverse blocks of
fukkinklont2007 as SLURM jobs through Snakemake's slurm executor (the project's profile,
profiles/slurm); the gathered tables must be byte-identical to a local run.

Never skipped: `make test` installs the packages first (scripts/system-packages.sh); without
them the test fails and says so.  The daemons it started are stopped whatever happens."""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml

from conftest import BIN, ROOT, copy_project, run

AID = "fukkinklont2007"
TARGETS = [
    f"results/{AID}/multiverse.csv",
    f"results/{AID}/multiverse_summary.csv",
    f"results/{AID}/multiverse_dimensions.csv",
]


def _harness():
    spec = importlib.util.spec_from_file_location("local_slurm", ROOT / "scripts" / "local_slurm.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def cluster():
    missing = [b for b in ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "srun") if not shutil.which(b)]
    if missing:
        pytest.fail(
            f"SLURM/MUNGE programs missing: {', '.join(missing)}; run scripts/system-packages.sh (make test does)"
        )
    ls = _harness()
    d = Path(tempfile.mkdtemp(prefix="evs-slurm-"))  # short: the munge socket path must stay short
    try:
        env = ls.start(d)
        pids = [int(line.split()[1]) for line in (d / "pids").read_text().splitlines()]
        yield env
    finally:
        ls.stop(d)
    for pid in pids:  # the daemons are gone
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    shutil.rmtree(d, ignore_errors=True)


def _project(tmp_path_factory, name):
    p = copy_project(tmp_path_factory.mktemp(name))
    shutil.copytree(ROOT / "profiles", p / "profiles")
    return p


def test_multiverse_on_slurm_equals_local_run(cluster, tmp_path_factory):
    chunks = yaml.safe_load((ROOT / "config.yaml").read_text())
    chunks = next(a for a in chunks["analyses"] if a["id"] == AID)["multiverse"]["chunks"]
    assert chunks > 1

    local = _project(tmp_path_factory, "local")
    run([str(BIN / "snakemake"), "--cores", "2", *TARGETS], cwd=local)

    remote = _project(tmp_path_factory, "slurm")
    env = dict(cluster)
    env["PATH"] = f"{env['PATH']}{os.pathsep}{BIN}"
    out = run(
        [
            str(BIN / "snakemake"),
            "--profile",
            "profiles/slurm",
            "--jobs",
            "4",
            "--slurm-init-seconds-before-status-checks",
            "1",
            "--seconds-between-status-checks",
            "2",
            *TARGETS,
        ],
        cwd=remote,
        env=env,
        check=False,
    )
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-4000:]
    # every block ran as a SLURM job (and the effect sizes before them)
    assert log.count("submitted with SLURM jobid") >= chunks + 1, log[-4000:]
    for i in range(chunks):
        assert f"rule_multiverse_chunk/{AID}_{i}" in log or f"chunk={i}" in log, i
    # the blocks are in results/<id>/multiverse/<key>/ (key: a hash of the multiverse config)
    blocks = sorted(str(p.relative_to(local)) for p in local.glob(f"results/{AID}/multiverse/*/chunk_*.csv"))
    assert len(blocks) == chunks, blocks
    for rel in TARGETS + blocks:
        assert (remote / rel).read_bytes() == (local / rel).read_bytes(), rel
