"""Hostile input, round 2 (issue 22, pipeline side): output folders never swallow the
project, no command from the config runs, faults give a message and keep earlier outputs,
Unicode and formula handling lose no data, one confinement rule, declared limits.

Cases call the command line in-process (``main([...])``) in a copy of the project under
tmp_path, as tests/test_hostile.py does; the workflow cases run snakemake on the tiny test
config (.test/config.yaml)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import copy_project
from evsynth.pipeline.cli import main
from evsynth.pipeline.paths import ENV_ALLOW


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    monkeypatch.setenv(ENV_ALLOW, "")


@pytest.fixture()
def project(tmp_path, monkeypatch):
    p = copy_project(tmp_path / "proj")
    monkeypatch.chdir(p)
    return p


def cli(capsys, *args) -> tuple[int, str]:
    rc = main(list(args))
    out = capsys.readouterr()
    text = out.err + out.out
    assert "Traceback" not in text
    return rc, text


def edit_config(project: Path, fn) -> None:
    cfg = yaml.safe_load((project / "config.yaml").read_text(encoding="utf-8"))
    fn(cfg)
    (project / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")


def digest(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` (hidden ones too) and the SHA-256 of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


AID = "aloe2013"
EFF = f"results/{AID}/effects.csv"


def _effects(capsys) -> None:
    assert cli(capsys, "effects", AID, "--out", EFF)[0] == 0


# ------------------------------------------------------------------------------ item 1: output folders

@pytest.mark.parametrize("outdir", ["data", "results", ".", "data/external"])
def test_diagnose_never_swallows_a_folder_it_did_not_write(project, capsys, outdir):
    """Issue 22: `evsynth diagnose ... --outdir data` deleted every input file; `--outdir
    results` the results, `--outdir .` the whole project.  Now refused, naming the option,
    and not one file of the project changes."""
    _effects(capsys)
    before = digest(project)
    rc, err = cli(capsys, "diagnose", AID, "--effects", EFF, "--outdir", outdir)
    assert rc == 1 and "--outdir" in err and "nothing was changed" in err
    assert digest(project) == before


@pytest.mark.parametrize("command", [
    ["fit", AID, "--effects", EFF, "--outdir", "data/external"],
    ["studies", "--outdir", "data/holwerda2014"],
    ["extraction", "--outdir", "."],
    ["--allow-dir", "..", "figures", AID, "--results", "results", "--outdir", ".."],
    ["effects", AID, "--out", "data/external/aloe2013.csv"],
    ["effects", AID, "--out", "config.yaml"],
])
def test_no_output_option_names_an_input_or_the_project(project, capsys, command):
    _effects(capsys)
    before = digest(project)
    option = next(a for a in command if a.startswith("--out"))
    rc, err = cli(capsys, *command)
    assert rc == 1 and f"{option}:" in err and "nothing was changed" in err
    assert digest(project) == before


def test_diagnose_rerun_replaces_only_its_own_files(project, capsys):
    _effects(capsys)
    out = project / "results" / AID / "diagnostics"
    assert cli(capsys, "diagnose", AID, "--effects", EFF, "--outdir", str(out))[0] == 0
    first = digest(out)
    assert ".evsynth-outputs" in first and "leave1out.csv" in first
    listed = (out / ".evsynth-outputs").read_text().split()
    assert sorted(listed) == sorted(n for n in first if n != ".evsynth-outputs")
    # a table an earlier run wrote and this one does not (a diagnostic dropped from the config)
    (out / "old_table.csv").write_text("a\n1\n")
    (out / ".evsynth-outputs").write_text("\n".join([*listed, "old_table.csv"]) + "\n")
    assert cli(capsys, "diagnose", AID, "--effects", EFF, "--outdir", str(out))[0] == 0
    assert not (out / "old_table.csv").exists() and digest(out) == first  # same bytes, stale one gone


def test_a_file_put_into_the_diagnostics_folder_is_kept_and_refused(project, capsys):
    _effects(capsys)
    out = project / "results" / AID / "diagnostics"
    assert cli(capsys, "diagnose", AID, "--effects", EFF, "--outdir", str(out))[0] == 0
    (out / "my_notes.txt").write_text("mine")
    before = digest(out)
    rc, err = cli(capsys, "diagnose", AID, "--effects", EFF, "--outdir", str(out))
    assert rc == 1 and "--outdir" in err and "'my_notes.txt'" in err and "did not write" in err
    assert digest(out) == before


def test_a_folder_written_before_manifests_is_accepted_when_it_holds_only_its_tables(project, capsys):
    _effects(capsys)
    out = project / "results" / AID / "diagnostics"
    assert cli(capsys, "diagnose", AID, "--effects", EFF, "--outdir", str(out))[0] == 0
    first = digest(out)
    (out / ".evsynth-outputs").unlink()  # as an earlier evsynth left it
    assert cli(capsys, "diagnose", AID, "--effects", EFF, "--outdir", str(out))[0] == 0
    assert digest(out) == first
    (out / ".evsynth-outputs").unlink()
    (out / "inputs.csv").write_text("x\n")  # not a table diagnose writes: refused, nothing changed
    before = digest(out)
    rc, err = cli(capsys, "diagnose", AID, "--effects", EFF, "--outdir", str(out))
    assert rc == 1 and "'inputs.csv'" in err and digest(out) == before


def test_figures_refuse_a_folder_holding_other_files(project, capsys, tmp_path):
    """present's figure writers use the same atomic_folder: an analysis' figure folder with
    a file the command did not write is refused and kept."""
    from evsynth.errors import InputError
    from evsynth.outputs import atomic_folder

    target = tmp_path / "figs"
    target.mkdir()
    (target / "photo.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(InputError, match="--outdir.*'photo.jpg'"):
        with atomic_folder(target) as d:
            (d / "forest.png").write_bytes(b"png")
    assert sorted(p.name for p in target.iterdir()) == ["photo.jpg"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".figs.")]  # temporary folder removed


# ------------------------------------------------------------------------------ item 2: commands from the config

from conftest import BIN, ROOT, run  # noqa: E402

SNAKEMAKE = str(BIN / "snakemake")
TEST_CONFIG = ["--configfile", ".test/config.yaml", "--replace-workflow-config"]


@pytest.mark.parametrize("key,value", [
    ("results_dir", "results$(touch PWNED)"),
    ("logs_dir", "logs;touch PWNED;#"),
    ("figures_dir", "figures`touch PWNED`"),
    ("results_dir", "results\nx"),
    ("logs_dir", "logs{x}"),
])
def test_shell_characters_in_a_folder_setting_are_refused(project, capsys, key, value):
    edit_config(project, lambda c: c.__setitem__(key, value))
    rc, err = cli(capsys, "check-config")
    assert rc == 1 and f"config.yaml: {key}: " in err and "shell or pattern characters" in err
    assert not (project / "PWNED").exists()


def test_snakemake_refuses_the_injected_config_and_runs_nothing(project):
    """Issue 22: `results_dir: results$(touch X)` and `logs_dir: logs;touch X;#` passed the
    check and the shell ran them.  Now the workflow stops while reading the config."""
    cfg = project / ".test" / "config.yaml"
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text.replace("results_dir: .test/results", "results_dir: '.test/results$(touch PWNED)'")
                   .replace("logs_dir: .test/logs", "logs_dir: '.test/logs;touch PWNED2;#'"), encoding="utf-8")
    out = run([SNAKEMAKE, "--cores", "1", "--quiet", *TEST_CONFIG], cwd=project, check=False)
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "results_dir" in out.stderr and "logs_dir" in out.stderr
    assert not (project / "PWNED").exists() and not (project / "PWNED2").exists()
    assert not (project / ".test" / "results").exists()


def _shell_blocks() -> list[tuple[str, str]]:
    import re

    out = []
    for f in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        for m in re.finditer(r"    shell:\n((?:        .*\n?)+)", f.read_text(encoding="utf-8")):
            out.append((f.name, m.group(1)))
    return out


def test_every_value_in_a_shell_command_is_quoted():
    """Each {placeholder} of every rule's shell string is quoted by Snakemake ({x:q}), except
    the evsynth executable and the optional '--pdf FILE', which common.smk / report.smk quote
    with shlex.quote; no other shell string exists (Snakefile has none)."""
    import re

    blocks = _shell_blocks()
    assert len(blocks) >= 10
    unquoted = [(name, ph) for name, b in blocks for ph in re.findall(r"\{([^{}]+)\}", b)
                if not ph.endswith(":q") and ph not in ("params.evsynth", "params.pdf")]
    assert unquoted == []
    assert "shell:" not in (ROOT / "Snakefile").read_text(encoding="utf-8")
    common = (ROOT / "workflow/rules/common.smk").read_text(encoding="utf-8")
    report = (ROOT / "workflow/rules/report.smk").read_text(encoding="utf-8")
    assert "shlex.quote(str(_exe))" in common and "shlex.quote(output.pdf[0])" in report


def test_folders_with_spaces_and_non_ascii_run_end_to_end(tmp_path):
    """Issue 22: a results_dir with spaces ("met spaties") could not work at all."""
    project = copy_project(tmp_path / "proj met spatie")
    cfg = project / ".test" / "config.yaml"
    text = cfg.read_text(encoding="utf-8")
    res, fig, logs = ".test/met spaties/résultats", ".test/met spaties/figuren ü", ".test/logs — één"
    cfg.write_text(text.replace("results_dir: .test/results", f'results_dir: "{res}"')
                   .replace("figures_dir: .test/figures", f'figures_dir: "{fig}"')
                   .replace("logs_dir: .test/logs", f'logs_dir: "{logs}"'), encoding="utf-8")
    out = run([SNAKEMAKE, "--cores", "2", "--quiet", *TEST_CONFIG], cwd=project, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    html = (project / res / "report.html").read_text(encoding="utf-8")
    assert "Supervision quality and work outcomes (workflow test)" in html
    assert (project / fig / "aloe2013" / "forest.png").stat().st_size > 1000
    assert (project / res / "aloe2013" / "diagnostics" / "leave1out.csv").is_file()
    assert "analysis 'aloe2013'" in (project / logs / "check_inputs.log").read_text(encoding="utf-8")
    # nothing went to a word of a split path
    assert sorted(p.name for p in (project / ".test").iterdir()) == sorted(["config.yaml", "met spaties", Path(logs).name])
    assert not [p for p in project.iterdir() if p.name in ("met", "spaties/résultats", "results", "figures", "logs")]
    again = run([SNAKEMAKE, "-n", *TEST_CONFIG], cwd=project)
    assert "Nothing to be done" in again.stdout + again.stderr
