"""Shared fixtures: paths to the repository, ../shared and a clean copy of the project."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
GOLDEN = SHARED / "golden"
BIN = Path(sys.executable).parent


def evsynth_cmd() -> list[str]:
    exe = BIN / "evsynth"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "evsynth"]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def golden() -> Path:
    if not GOLDEN.exists():
        pytest.skip("../shared/golden is not beside the repository")
    return GOLDEN


def copy_project(dest: Path) -> Path:
    """A copy of the project's inputs (what a fresh clone has), without outputs."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("Snakefile", "config.yaml", "workflow", "data", ".test"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name)
        else:
            shutil.copy2(src, dest / name)
    (dest / "src" / "evsynth" / "pipeline" / "schemas").mkdir(parents=True)
    for p in (ROOT / "src" / "evsynth" / "pipeline" / "schemas").glob("*.json"):
        shutil.copy2(p, dest / "src" / "evsynth" / "pipeline" / "schemas" / p.name)
    return dest


def shipped_effects(analysis_id: str):
    """``(cfg, spec, eff)``: the shipped config, one of its analyses and that analysis'
    effect sizes computed from its dataset, as the effects stage computes them."""
    import pandas as pd

    from evsynth.pipeline.dataset import compute_effects
    from evsynth.pipeline.config import analysis_by_id, load_config
    from evsynth.pipeline.io import read_table

    cfg = load_config(ROOT / "config.yaml")
    spec = analysis_by_id(cfg, analysis_id)
    data = read_table(ROOT / spec["dataset"]).data.replace("", pd.NA)
    return cfg, spec, compute_effects(data, spec, where=spec["dataset"])


def run(cmd, cwd, check=True, env=None):
    import os

    e = dict(os.environ)
    e["PATH"] = f"{BIN}:{e.get('PATH', '')}"
    if env:
        e.update(env)
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=check, env=e)


SNAKEMAKE = str(BIN / "snakemake")
MALICIOUS = "<script>alert('x')</script> Families First"


def snakemake(project: Path, *args, check=True):
    return run([SNAKEMAKE, "--cores", "2", *args], cwd=project, check=check)


@pytest.fixture(scope="session")
def first_run(tmp_path_factory):
    """The whole pipeline run once from a clean copy of the project (shared by
    test_pipeline.py and test_reader_view.py), with a data string that must come out
    escaped in the report."""
    project = copy_project(tmp_path_factory.mktemp("run1"))
    nji = project / "data/nji2020/interventions.csv"
    nji.write_text(
        nji.read_text(encoding="utf-8").replace("Families First,IPT,yes", f'"{MALICIOUS}",IPT,yes', 1), encoding="utf-8"
    )
    snakemake(project, "--quiet", "all")
    return project


# --- the hostile-input batteries (tests/test_hostile.py, tests/test_hostile_round2.py) -------------


@pytest.fixture()
def hostile_env(monkeypatch):
    """No extra allowed folders, and the readers' limits restored after each test (a config's
    ``limits:`` sets them through ``set_limits``; ``main()`` may extend the allowed folders)."""
    from evsynth.pipeline import reading
    from evsynth.pipeline.paths import ENV_ALLOW

    monkeypatch.setenv(ENV_ALLOW, "")
    for name in ("MAX_TABLE_BYTES", "MAX_TABLE_ROWS", "MAX_XLSX_UNCOMPRESSED"):
        monkeypatch.setattr(reading, name, getattr(reading, name))


@pytest.fixture()
def hostile_project(tmp_path, monkeypatch):
    """A fresh copy of the project's inputs, made the working folder."""
    p = copy_project(tmp_path / "proj")
    monkeypatch.chdir(p)
    return p


def cli_in_process(capsys, *args) -> tuple[int, str]:
    """Run the command line in-process; return (exit status, stderr + stdout), never a traceback."""
    from evsynth.pipeline.cli import main

    rc = main(list(args))
    out = capsys.readouterr()
    text = out.err + out.out
    assert "Traceback" not in text
    return rc, text


def edit_config(project: Path, fn) -> None:
    """Apply ``fn`` to the parsed ``config.yaml`` of ``project`` and write it back."""
    import yaml

    cfg = yaml.safe_load((project / "config.yaml").read_text(encoding="utf-8"))
    fn(cfg)
    (project / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
