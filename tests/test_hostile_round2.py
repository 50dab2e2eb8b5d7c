"""Hostile input, round 2 (issue 22, pipeline side): output folders never swallow the
project, no command from the config runs, faults give a message and keep earlier outputs,
Unicode and formula handling lose no data, one confinement rule, declared limits.

Cases call the command line in-process (``main([...])``) in a copy of the project under
tmp_path, as tests/test_hostile.py does; the workflow cases run snakemake on the tiny test
config (.test/config.yaml)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import cli_in_process, copy_project, edit_config


pytestmark = pytest.mark.usefixtures("hostile_env")  # tests/conftest.py
cli = cli_in_process


@pytest.fixture()
def project(hostile_project):
    return hostile_project


def digest(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` (hidden ones too) and the SHA-256 of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


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


@pytest.mark.parametrize(
    "command",
    [
        ["fit", AID, "--effects", EFF, "--outdir", "data/external"],
        ["studies", "--outdir", "data/holwerda2014"],
        ["extraction", "--outdir", "."],
        ["--allow-dir", "..", "figures", AID, "--results", "results", "--outdir", ".."],
        ["effects", AID, "--out", "data/external/aloe2013.csv"],
        ["effects", AID, "--out", "config.yaml"],
        ["effects", AID, "--out", "workflow/rules/effects.smk"],
        ["--allow-dir", "..", "figures", AID, "--results", "results", "--outdir", "workflow/rules"],
    ],
)
def test_no_output_option_names_an_input_or_the_project(project, capsys, command):
    _effects(capsys)
    before = digest(project)
    option = next(a for a in command if a.startswith("--out"))
    rc, err = cli(capsys, *command)
    assert rc == 1 and f"{option}:" in err and "nothing was changed" in err
    assert digest(project) == before


@pytest.mark.parametrize(
    "key,value,expect",
    [
        ("results_dir", ".", "is the project folder"),
        ("figures_dir", "./", "is the project folder"),
        ("results_dir", "data", "holds an input (studies.primary_studies: 'data/holwerda2014/primary_studies.csv')"),
        (
            "logs_dir",
            "data/external",
            "holds an input (published_estimates: 'data/external/published_pooled_estimates.csv')",
        ),
    ],
)
def test_an_output_folder_setting_may_not_be_the_project_or_hold_inputs(project, capsys, key, value, expect):
    edit_config(project, lambda c: c.__setitem__(key, value))
    rc, err = cli(capsys, "check-config")
    assert rc == 1 and f"config.yaml: {key}: " in err and expect in err


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


@pytest.mark.parametrize(
    "key,value",
    [
        ("results_dir", "results$(touch PWNED)"),
        ("logs_dir", "logs;touch PWNED;#"),
        ("figures_dir", "figures`touch PWNED`"),
        ("results_dir", "results\nx"),
        ("logs_dir", "logs{x}"),
    ],
)
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
    cfg.write_text(
        text.replace("results_dir: .test/results", "results_dir: '.test/results$(touch PWNED)'").replace(
            "logs_dir: .test/logs", "logs_dir: '.test/logs;touch PWNED2;#'"
        ),
        encoding="utf-8",
    )
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
    unquoted = [
        (name, ph)
        for name, b in blocks
        for ph in re.findall(r"\{([^{}]+)\}", b)
        if not ph.endswith(":q") and ph not in ("params.evsynth", "params.pdf")
    ]
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
    cfg.write_text(
        text.replace("results_dir: .test/results", f'results_dir: "{res}"')
        .replace("figures_dir: .test/figures", f'figures_dir: "{fig}"')
        .replace("logs_dir: .test/logs", f'logs_dir: "{logs}"'),
        encoding="utf-8",
    )
    out = run([SNAKEMAKE, "--cores", "2", "--quiet", *TEST_CONFIG], cwd=project, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    html = (project / res / "report.html").read_text(encoding="utf-8")
    assert "Supervision quality and work outcomes (workflow test)" in html
    assert (project / fig / "aloe2013" / "forest.png").stat().st_size > 1000
    assert (project / res / "aloe2013" / "diagnostics" / "leave1out.csv").is_file()
    assert "analysis 'aloe2013'" in (project / logs / "check_inputs.log").read_text(encoding="utf-8")
    # nothing went to a word of a split path
    assert sorted(p.name for p in (project / ".test").iterdir()) == sorted(
        ["config.yaml", "met spaties", Path(logs).name]
    )
    assert not [p for p in project.iterdir() if p.name in ("met", "spaties/résultats", "results", "figures", "logs")]
    again = run([SNAKEMAKE, "-n", *TEST_CONFIG], cwd=project)
    assert "Nothing to be done" in again.stdout + again.stderr


# ------------------------------------------------------------------------------ item 7: faults

import errno  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from evsynth.pipeline import guard  # noqa: E402


def _fake_outputs(project: Path) -> dict[str, str]:
    """results/ and figures/ as a finished run leaves them (a few files are enough for the guard)."""
    for rel, text in {
        "results/a.csv": "x\n1\n",
        "results/sub/b.csv": "y\n2\n",
        "results/report.html": "<p>old</p>",
        "figures/aloe2013/forest.png": "PNG",
    }.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)
    return {**digest(project / "results"), **{"fig/" + k: v for k, v in digest(project / "figures").items()}}


def _outputs_now(project: Path) -> dict[str, str]:
    return {**digest(project / "results"), **{"fig/" + k: v for k, v in digest(project / "figures").items()}}


WRECK = [
    sys.executable,
    "-c",
    "import pathlib, shutil, sys; p = pathlib.Path('results'); (p / 'a.csv').write_text('changed');"
    "(p / 'sub' / 'b.csv').unlink(); (p / 'new.csv').write_text('new'); shutil.rmtree('figures/aloe2013');"
    "sys.exit(3)",
]


def test_a_second_concurrent_run_is_refused_with_a_message(project):
    """Issue 22: two `make report` at once, the loser printed a traceback (OSError: Directory
    not empty).  The second guard finds the project's run lock taken and says so."""
    before = _fake_outputs(project)
    slow = [sys.executable, "-c", "import time; time.sleep(60)"]
    first = subprocess.Popen(
        [sys.executable, "-m", "evsynth.pipeline.guard", "--", *slow],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lock = project / guard.LOCK
        deadline = time.time() + 120
        while not (lock.exists() and f"pid {first.pid}" in lock.read_text()) and time.time() < deadline:
            time.sleep(0.2)
        assert f"pid {first.pid}" in lock.read_text()
        second = subprocess.run(
            [sys.executable, "-m", "evsynth.pipeline.guard", "--", *WRECK], cwd=project, capture_output=True, text=True
        )
        assert second.returncode == 1 and "Traceback" not in second.stderr
        assert "another run of the pipeline is going on" in second.stderr and f"pid {first.pid}" in second.stderr
        assert _outputs_now(project) == before  # the second run's command never ran
    finally:
        first.kill()
        first.wait()
    # the lock goes with the process that held it (killed here): the next run starts
    third = subprocess.run(
        [sys.executable, "-m", "evsynth.pipeline.guard", "--", *WRECK], cwd=project, capture_output=True, text=True
    )
    assert third.returncode == 3 and "were put back exactly as they were" in third.stderr
    assert _outputs_now(project) == before


def test_full_disk_when_copying_the_outputs_aside_starts_nothing(project, capsys, monkeypatch):
    before = _fake_outputs(project)

    def full(src, dst, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(shutil, "copyfile", full)  # what copytree's copy2 calls for the bytes
    rc = guard.main(["--", *WRECK])
    err = capsys.readouterr().err
    assert rc == 1 and "Traceback" not in err
    assert "cannot keep a copy of the earlier outputs" in err and "No space left on device" in err
    assert "the run was not started; nothing was changed" in err
    assert _outputs_now(project) == before and not (project / guard.SNAPSHOT).exists()


def test_full_disk_during_the_run_still_puts_every_output_back(project, capsys, monkeypatch):
    """Issue 22: a full disk broke the restore.  The restore moves the copies back (renames)
    and so needs no free space: with every copy and write of the guard failing (ENOSPC) after
    the copy aside, the failed run's outputs are still put back byte for byte."""
    before = _fake_outputs(project)
    real_run = guard._run

    def run_then_fill_the_disk(command):
        out = real_run(command)

        def full(*a, **k):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(shutil, "copy2", full)
        monkeypatch.setattr(shutil, "copyfile", full)
        monkeypatch.setattr(shutil, "copytree", full)
        return out

    monkeypatch.setattr(guard, "_run", run_then_fill_the_disk)
    rc = guard.main(["--", *WRECK])
    err = capsys.readouterr().err
    assert rc == 3 and "were put back exactly as they were" in err and "Traceback" not in err
    assert _outputs_now(project) == before and not (project / guard.SNAPSHOT).exists()


def test_a_folder_that_cannot_be_written_needs_no_write_to_restore(project, capsys, monkeypatch):
    """A read-only results/ (simulated: every rename, removal and folder creation in the
    restore is refused with EACCES): a failed run that could not change it is restored
    without a write and without a message about it."""
    before = _fake_outputs(project)

    def denied(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied", str(a[0]) if a else None)

    real_run = guard._run

    def run_read_only(command):
        out = real_run([sys.executable, "-c", "import sys; sys.exit(2)"])  # a run that changed nothing
        monkeypatch.setattr(os, "replace", denied)
        monkeypatch.setattr(os, "unlink", denied)
        return out

    monkeypatch.setattr(guard, "_run", run_read_only)
    rc = guard.main(["--", "ignored"])
    err = capsys.readouterr().err
    assert rc == 2 and "were put back exactly as they were" in err and "Traceback" not in err
    monkeypatch.undo()
    assert _outputs_now(project) == before


def test_a_restore_that_cannot_write_names_the_files_and_keeps_the_copy(project, capsys, monkeypatch):
    before = _fake_outputs(project)
    real_run = guard._run

    def run_then_lock(command):
        out = real_run(command)

        def denied(src, dst, *a, **k):
            raise PermissionError(errno.EACCES, "Permission denied", str(dst))

        monkeypatch.setattr(os, "replace", denied)
        return out

    monkeypatch.setattr(guard, "_run", run_then_lock)
    rc = guard.main(["--", *WRECK])
    err = capsys.readouterr().err
    monkeypatch.undo()
    assert rc == 3 and "Traceback" not in err and "could not be put back" in err
    assert "results/a.csv: Permission denied" in err and str(project / guard.SNAPSHOT) in err
    assert (project / guard.SNAPSHOT).is_dir()
    # the next guarded run puts the kept copy back first
    monkeypatch.chdir(project)
    assert guard.main(["--", sys.executable, "-c", "pass"]) == 0
    assert _outputs_now(project) == before and not (project / guard.SNAPSHOT).exists()


def test_read_only_or_full_disk_output_folder_keeps_earlier_diagnostics(project, capsys, monkeypatch):
    import tempfile

    _effects(capsys)
    out = project / "results" / AID / "diagnostics"
    assert cli(capsys, "diagnose", AID, "--effects", EFF, "--outdir", str(out))[0] == 0
    before = digest(out)

    def read_only(*a, dir=None, **k):
        raise PermissionError(errno.EACCES, "Permission denied", str(dir))

    with monkeypatch.context() as m:
        m.setattr(tempfile, "mkdtemp", read_only)
        rc, err = cli(capsys, "diagnose", AID, "--effects", EFF, "--outdir", str(out))
    assert rc == 1 and "Permission denied" in err and f"results/{AID}" in err and "nothing was changed" in err
    assert digest(out) == before

    def full(self, path, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    with monkeypatch.context() as m:
        m.setattr(pd.DataFrame, "to_csv", full)
        rc, err = cli(capsys, "diagnose", AID, "--effects", EFF, "--outdir", str(out))
    assert rc == 1 and "No space left on device" in err
    assert digest(out) == before
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".diagnostics.")]


@pytest.mark.parametrize(
    "header,row,expect",
    [
        (
            "study,tval,n,preds,\x1b[2Jsecret",
            None,
            "row 1, column 'secret': the column name contains the control character ESC (U+001B)",
        ),
        (None, ("study", "Study \x1b]0;owned\x07one"), "row 2, column 'study': found 'Study one'"),
        (None, ("study", "a\x08b"), "row 2, column 'study': found 'ab', which contains the control character BS"),
        (None, ("study", "x\x85y"), "row 2, column 'study': found 'xy', which contains the control character"),
    ],
)
def test_control_characters_in_headers_and_cells_are_refused(project, capsys, header, row, expect):
    p = project / "data/external/aloe2013.csv"
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    if header is not None:
        df[header.split(",")[-1]] = ""
    else:
        df.loc[0, row[0]] = row[1]
    df.to_csv(p, index=False)
    rc, err = cli(capsys, "check-inputs")
    assert rc == 1 and f"data/external/aloe2013.csv: {expect}" in err
    assert not any(ch in err for ch in "\x1b\x07\x08\x85")


# ------------------------------------------------------------------------------ item 4: one spelling, no corrupted data

import unicodedata  # noqa: E402

NFC_E = unicodedata.normalize("NFC", "Étude Café")
NFD_E = unicodedata.normalize("NFD", "Étude Café")
ASSINK = "data/external/assink2016.csv"


def _fit(capsys, aid: str) -> tuple[pd.DataFrame, str]:
    rc, out = cli(capsys, "effects", aid, "--out", f"results/{aid}/effects.csv")
    assert rc == 0, out
    rc, out2 = cli(capsys, "fit", aid, "--effects", f"results/{aid}/effects.csv", "--outdir", f"results/{aid}")
    assert rc == 0, out2
    return pd.read_csv(f"results/{aid}/heterogeneity.csv"), out + out2


def test_two_unicode_spellings_of_one_study_are_one_study(project, capsys):
    """Issue 22: 'é' typed two ways counted one study twice (18 instead of 17, another
    estimate).  The three-level model of assink2016 with study 1 relabelled 'Étude Café' in NFC
    on two of its rows and NFD on the others is the model of the shipped data (the clusters
    are the same), and a note names the column and rows."""
    original, _ = _fit(capsys, "assink2016")
    df = pd.read_csv(project / ASSINK, dtype=str, keep_default_na=False)
    rows = df.index[df["study"] == "1"]
    assert len(rows) >= 4
    df.loc[rows[:2], "study"] = NFC_E
    df.loc[rows[2:], "study"] = NFD_E
    df.to_csv(project / ASSINK, index=False)
    mixed, out = _fit(capsys, "assink2016")
    cols = [c for c in original.columns if c in mixed.columns and pd.api.types.is_numeric_dtype(original[c])]
    assert "estimate" in cols and "n_studies" in cols
    pd.testing.assert_frame_equal(mixed[cols], original[cols], check_exact=False, rtol=1e-10)
    spread = ", ".join(str(int(i) + 2) for i in rows)
    assert (
        f"evsynth effects: note: {ASSINK}: column 'study': '{NFC_E}' is written in 2 Unicode forms (rows {spread})"
    ) in out
    eff = pd.read_csv(project / "results/assink2016/effects.csv", dtype={"study": str})
    assert (eff["study"] == NFC_E).sum() == len(rows) and not (eff["study"] == NFD_E).any()


def test_two_effect_ids_differing_only_in_normal_form_are_duplicates(project, capsys):
    p = project / "data/effects/holwerda2014_effects.csv"
    rows = pd.read_csv(p, dtype=str, keep_default_na=False).iloc[[0, 0]].reset_index(drop=True)  # a valid row, twice
    rows["effect_id"] = [unicodedata.normalize("NFC", "é1"), unicodedata.normalize("NFD", "é1")]
    rows.to_csv(p, index=False)
    rc, err = cli(capsys, "check-inputs")
    assert rc == 1
    assert "data/effects/holwerda2014_effects.csv: rows 2, 3, column 'effect_id': duplicate value 'é1'" in err
    assert "column 'effect_id': 'é1' is written in 2 Unicode forms (rows 2, 3)" in err


@pytest.mark.parametrize(
    "cell,written",
    [
        ("+", "'+"),
        ("-", "'-"),
        ("'+", "''+"),
        ("''=1+1", "'''=1+1"),
        ("'plain", "'plain"),
        ("-0.5", "-0.5"),
        ("+Plus trial", "'+Plus trial"),
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("@SUM(A1)", "'@SUM(A1)"),
    ],
)
def test_formula_prefix_is_reversible(tmp_path, cell, written):
    """Written as OWASP asks (a formula start gets an apostrophe), read back by the pipeline
    exactly as it was: a text that already begins with apostrophes and a formula start gets
    one more on writing, and reading removes exactly one."""
    from evsynth.outputs import read_output, write_csv

    write_csv(tmp_path / "t.csv", pd.DataFrame({"label": [cell, "x"]}))
    raw = pd.read_csv(tmp_path / "t.csv", dtype=str)["label"].iloc[0]
    assert raw == written
    assert read_output(tmp_path / "t.csv", dtype=str)["label"].iloc[0] == cell


def test_levels_plus_and_minus_survive_as_a_moderator(project, capsys):
    """Issue 22: levels '+' and '-' came back from effects.csv as "'+" and "'-", and the
    moderator was dropped.  The moderator 'sign' ('+' / '-') of aloe2013 is fitted and its
    test equals the one of the same moderator coded 'pos' / 'neg'."""
    ds = project / "data/external/aloe2013.csv"
    df = pd.read_csv(ds, dtype=str, keep_default_na=False)
    df["sign"] = ["+", "-", "+", "-", "+"][: len(df)]
    df["word"] = df["sign"].map({"+": "pos", "-": "neg"})
    df.to_csv(ds, index=False)

    def mods(c):
        a = next(x for x in c["analyses"] if x["id"] == AID)
        a["moderators"] = [
            {"column": "sign", "type": "categorical", "levels": ["-", "+"]},
            {"column": "word", "type": "categorical", "levels": ["neg", "pos"]},
        ]

    edit_config(project, mods)
    _fit(capsys, AID)
    m = pd.read_csv(project / f"results/{AID}/moderators.csv")
    by = {model: g for model, g in m.groupby("model")}
    assert set(by) >= {"sign", "word"}
    assert by["sign"]["QM"].iloc[0] == pytest.approx(by["word"]["QM"].iloc[0], rel=1e-12)
    assert len(by["sign"]) == len(by["word"]) == 2
    eff = (project / f"results/{AID}/effects.csv").read_text(encoding="utf-8")
    assert ",'+," in eff or ",'+\n" in eff  # the CSV a spreadsheet opens stays neutralised


def test_a_label_starting_with_plus_is_drawn_as_typed(project, capsys, monkeypatch):
    """Issue 22: a study label '+Plus trial' was drawn as "'+Plus trial" in the forest plot."""
    from evsynth.present import plots

    ds = project / "data/external/aloe2013.csv"
    df = pd.read_csv(ds, dtype=str, keep_default_na=False)
    df.loc[0, "study"] = "+Plus trial"
    df.to_csv(ds, index=False)
    _fit(capsys, AID)
    assert cli(capsys, "diagnose", AID, "--effects", EFF, "--outdir", f"results/{AID}/diagnostics")[0] == 0
    drawn = []
    real = plots.forest_pages

    def spy(studies, *a, **k):
        drawn.extend(studies["label"].tolist())
        return real(studies, *a, **k)

    monkeypatch.setattr(plots, "forest_pages", spy)
    rc, err = cli(capsys, "figures", AID, "--results", "results", "--outdir", "figures")
    assert rc == 0, err
    assert any(str(x).startswith("+Plus trial") for x in drawn) and not any(str(x).startswith("'") for x in drawn)


def test_a_moderator_declared_twice_is_refused(project, capsys):
    def twice(c):
        a = next(x for x in c["analyses"] if x["id"] == AID)
        a["moderators"] = [
            {"column": "n", "type": "numeric"},
            {"column": "n", "type": "categorical", "levels": ["218", "232"]},
        ]

    edit_config(project, twice)
    rc, err = cli(capsys, "check-config")
    assert (
        rc == 1 and "moderators[1]: column 'n' is already declared as moderator [0] (numeric; here categorical)" in err
    )


# ------------------------------------------------------------------------------ item 3: one confinement rule

SECRET = "root:$6$SECRETHASHxyz:19000:0:99999:7:::"


def _secret(tmp_path: Path) -> Path:
    s = tmp_path / "outside" / "shadow.csv"
    s.parent.mkdir(exist_ok=True)
    s.write_text("user,hash\n" + SECRET + ",x\n")
    return s


@pytest.mark.parametrize("how", ["relative", "absolute", "symlink"])
def test_a_listed_table_outside_the_project_is_refused(project, capsys, tmp_path, how):
    """Issue 22: a listed_tables path was not confined; any readable file was published as a
    table in the HTML and PDF.  Now the config check refuses it, naming the key, without its
    content."""
    secret = _secret(tmp_path)
    if how == "symlink":
        (project / "data" / "innocent.csv").symlink_to(secret)
        path = "data/innocent.csv"
    else:
        path = os.path.relpath(secret, project) if how == "relative" else str(secret)

    def listed(c):
        a = next(x for x in c["analyses"] if x["id"] == "ahrq2015")
        a["listed_tables"] = [{"title": "harmless", "path": path}]

    edit_config(project, listed)
    k = next(
        i
        for i, a in enumerate(yaml.safe_load((project / "config.yaml").read_text())["analyses"])
        if a["id"] == "ahrq2015"
    )
    for command in (["check-config"], ["report", "--results", "results", "--figures", "figures", "--html", "r.html"]):
        rc, err = cli(capsys, *command)
        assert rc == 1 and f"analyses[{k}].listed_tables[0].path" in err and "outside the project folder" in err
        assert "SECRETHASH" not in err
    assert not (project / "r.html").exists()


def test_column_names_become_safe_file_names_with_a_mapping_table(project, capsys):
    """Issue 22: a moderator named '../x' wrote figures outside the checkout, one named
    'hrs/week' into a new sub-folder (and the report missed the plot).  File names made from
    column names are safe names (evsynth.outputs.safe_file_name), listed with their column in
    figure_files.csv, and the caption still uses the moderator's label."""
    from evsynth.outputs import safe_file_name
    from evsynth.present.labels import figure_caption

    ds = project / "data/external/aloe2013.csv"
    df = pd.read_csv(ds, dtype=str, keep_default_na=False)
    df["hrs/week"] = df["n"]
    df["../x"] = ["a", "b", "a", "b", "a"][: len(df)]
    df.to_csv(ds, index=False)

    def mods(c):
        a = next(x for x in c["analyses"] if x["id"] == AID)
        a["moderators"] = [
            {"column": "hrs/week", "type": "numeric", "label": "hours a week"},
            {"column": "../x", "type": "categorical", "levels": ["a", "b"], "label": "odd column"},
        ]
        a["subgroups"] = ["../x"]

    edit_config(project, mods)
    _fit(capsys, AID)
    assert cli(capsys, "diagnose", AID, "--effects", EFF, "--outdir", f"results/{AID}/diagnostics")[0] == 0
    before = {p for p in project.parent.rglob("*")} - {p for p in project.rglob("*")}
    rc, err = cli(capsys, "figures", AID, "--results", "results", "--outdir", "figures")
    assert rc == 0, err
    fig = project / "figures" / AID
    assert not [p for p in fig.iterdir() if p.is_dir()]
    assert {p for p in project.parent.rglob("*")} - {p for p in project.rglob("*")} == before  # nothing outside
    bubble, forest = f"bubble_{safe_file_name('hrs/week')}", f"forest_by_{safe_file_name('../x')}"
    assert bubble == "bubble_hrs_week-" + hashlib.sha256(b"hrs/week").hexdigest()[:8]
    assert (fig / f"{bubble}.png").is_file() and (fig / f"{forest}.png").is_file()
    mapping = pd.read_csv(fig / "figure_files.csv", dtype=str)
    assert dict(zip(mapping["file"], mapping["column"])) == {forest: "../x", bubble: "hrs/week"}
    spec = next(a for a in yaml.safe_load((project / "config.yaml").read_text())["analyses"] if a["id"] == AID)
    assert figure_caption(bubble, spec).startswith("Bubble plot of the effect against hours a week")
    assert figure_caption(forest, spec).startswith("Forest plot by odd column")


@pytest.mark.parametrize(
    "name,safe",
    [
        ("group", "group"),
        ("n_2", "n_2"),
        ("..", None),
        ("a/b", None),
        ("", None),
        ("-rf", None),
        ("é", None),
        ("x" * 61, None),
    ],
)
def test_safe_file_name(name, safe):
    from evsynth.outputs import safe_file_name

    out = safe_file_name(name)
    assert (
        out == safe
        if safe
        else (out != name and "/" not in out and ".." not in out and out and len(out) <= 49 and out[0].isalnum())
    )


# ------------------------------------------------------------------------------ item 5: declared limits


def _barlow(c):
    return next(a for a in c["analyses"] if a["id"] == "barlow2014")


def _minimal(c, aid: str) -> dict:
    """barlow2014 with only the required keys (2,000 of them stay below the 1 MiB YAML limit)."""
    import copy

    a = copy.deepcopy(_barlow(c))  # no shared objects: safe_dump would write them as YAML aliases
    return {
        **{k: a[k] for k in ("title", "dataset", "citation", "data_source", "effect", "direction", "model")},
        "id": aid,
        "title": "t",
        "citation": "c",
        "data_source": "d",
    }


def _bomb_multiverse(c):
    """10^8 specifications: 8 subsets of 10 options each (x 5 methods x 2 tests x 2)."""
    _barlow(c)["multiverse"]["subsets"] = [
        {"name": f"s{i}", "column": "study", "options": [{"label": f"o{j}"} for j in range(10)]} for i in range(8)
    ]


@pytest.mark.parametrize(
    "edit,key,expect",
    [
        (
            _bomb_multiverse,
            "multiverse_specifications",
            "multiverse: 2,000,000,000 specifications (10 s0 x 10 s1 x 10 s2 x 10 s3 x 10 s4 x 10 s5 x 10 s6 x 10 s7 x "
            "2 influential x 5 method x 2 test); a multiverse may have at most 100,000",
        ),
        (
            lambda c: _barlow(c).__setitem__("permutations", 1_000_000_000),
            "permutations",
            "permutations: 1,000,000,000; a permutation test may use at most 100,000 permutations",
        ),
        (
            lambda c: c.__setitem__("analyses", [_minimal(c, f"a{i}") for i in range(2000)]),
            "analyses",
            "analyses: 2,000 analyses; a config may declare at most 200",
        ),
    ],
)
def test_declared_limits_are_checked_before_any_work(project, capsys, edit, key, expect):
    """Issue 22: a multiverse of 10^8 specifications, permutations: 1e9 and 2,000 analyses ran
    until out of memory or for minutes.  Each is refused by the config check, in well under a
    second of work, naming the key that raises it; raising it lets the config through."""
    edit_config(project, edit)
    t0 = time.perf_counter()
    rc, err = cli(capsys, "check-config")
    assert time.perf_counter() - t0 < 20  # the config check only (2,000 analyses are validated by the schema)
    assert rc == 1 and expect in err and f"'limits: {{{key}: N}}'" in err
    rc, err = cli(capsys, "effects", "barlow2014", "--out", "results/e.csv")  # every stage checks the config
    assert rc == 1 and expect in err and not (project / "results/e.csv").exists()
    edit_config(project, lambda c: c.__setitem__("limits", {key: 2_000_000_000}))
    rc, err = cli(capsys, "check-config")
    assert expect not in err


def _xlsx_bomb(path: Path, rows: int) -> None:
    """A workbook whose one sheet is ``rows`` rows of long repeated text: tiny zipped, large
    unzipped."""
    import zipfile

    cell = "A" * 1000
    body = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{cell}</t></is></c></row>' for r in range(1, rows + 1)
    )
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.'
        'xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
        'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.'
        'org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
        f'openxmlformats.org/spreadsheetml/2006/main"><sheetData>{body}</sheetData></worksheet>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, text in parts.items():
            z.writestr(name, text)


def test_an_xlsx_that_unzips_too_large_is_refused_before_unpacking(project, capsys):
    """Issue 22: an .xlsx of 1.8 MB expanding to 610 MB took 5.8 GB and gave no answer.  The
    zip directory's sizes are summed before any part is unpacked."""
    import tracemalloc

    book = project / "data/external/bomb.xlsx"
    _xlsx_bomb(book, 80_000)  # about 90 MB of XML
    assert book.stat().st_size < 2_000_000
    edit_config(project, lambda c: _barlow(c).__setitem__("dataset", "data/external/bomb.xlsx"))
    tracemalloc.start()
    t0 = time.perf_counter()
    rc, err = cli(capsys, "effects", "barlow2014", "--out", "results/e.csv")
    elapsed, peak = time.perf_counter() - t0, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert rc == 1 and "data/external/bomb.xlsx: the workbook unzips to 8" in err
    assert "an .xlsx may unzip to at most 64 MiB" in err and "'limits: {xlsx_uncompressed_bytes: N}'" in err
    assert elapsed < 10 and peak < 50 * 2**20


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
@pytest.mark.parametrize("where", ["--config", "--effects", "dataset"])
def test_a_fifo_device_or_folder_given_as_a_file_is_refused_at_once(project, capsys, kind, where):
    """Issue 22: a FIFO given as --config or --effects hung every command."""
    _effects(capsys)
    target = project / "special"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    else:
        target = Path("/dev/zero")  # a character device that never ends
    args = ["--allow-dir", "/dev"] if kind == "device" else []
    if where == "--config":
        args += ["effects", AID, "--config", str(target), "--out", "results/e.csv"]
    elif where == "--effects":
        args += ["fit", AID, "--effects", str(target), "--outdir", f"results/{AID}"]
    else:
        edit_config(
            project, lambda c: next(a for a in c["analyses"] if a["id"] == AID).__setitem__("dataset", str(target))
        )
        args += ["effects", AID, "--out", "results/e.csv"]
    t0 = time.perf_counter()
    rc, err = cli(capsys, *args)
    assert time.perf_counter() - t0 < 15
    words = {
        "fifo": "is a named pipe (FIFO), not a file",
        "folder": "is a folder",
        "device": "is a character device, not a file",
    }[kind]
    assert rc == 1 and words in err and str(target) in err
    if where != "dataset":
        assert f"{where}:" in err


# ------------------------------------------------------------------------------ item 8 (last sentence): validate's order_by


def test_validate_orders_a_numeric_order_by_column_as_numbers(tmp_path):
    """Issue 22: ids 10, 11, 101 were sorted as text.  A conformance case with metafor's
    cumul() over numeric ids (tests/r/cumul_order.R) passes; the same case expecting metafor's
    text order (ids given as text there) does not match evsynth's numeric order."""
    import json

    from evsynth.conformance.golden import validate_dir

    r = json.loads((ROOT / "tests/r/cumul_order_metafor.json").read_text())
    assert r["numeric"]["estimate"][:2] != r["text"]["estimate"][:2]  # the fixture tells the two orders apart
    (tmp_path / "cases").mkdir()
    (tmp_path / "data").mkdir()
    pd.DataFrame({"id": [int(i) for i in r["id"]], "yi": r["yi"], "vi": r["vi"]}).to_csv(
        tmp_path / "data/ids.csv", index=False
    )

    def case(name, expected):
        return {
            "id": name,
            "dataset": "ids",
            "analysis": "cumul",
            "effect_size": None,
            "yi": "yi",
            "vi": "vi",
            "subset": None,
            "model": {"method": "DL", "order_by": "id", "test": "z", "mods": [], "random": [], "cluster": None},
            "expected": {**expected, "k": 5},
            "source": "tests/r/cumul_order.R",
            "tolerance": {"rtol": 1e-6, "atol": 1e-9},
        }

    (tmp_path / "cases/ids.numeric.json").write_text(json.dumps(case("ids.numeric", r["numeric"])))
    (tmp_path / "cases/ids.text.json").write_text(json.dumps(case("ids.text", r["text"])))
    outcomes = {o.id: o.passed for o in validate_dir(tmp_path)}
    assert outcomes == {"ids.numeric": True, "ids.text": False}


# ------------------------------------------------------------------------------ item 6: the fast CSV writer


@pytest.mark.parametrize("n", [5, 3000])
def test_write_csv_writes_what_pandas_float_format_writes(tmp_path, n):
    """write_csv formats long float columns itself (issue 22 item 6); the bytes are those of
    pandas' to_csv with float_format='%.12g' (the reference), for NaN, inf, -0.0, tiny and huge
    values, integers, text and float32."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=n) * 10.0 ** rng.integers(-300, 300, n)
    x[::5], x[1::11], x[2::13], x[3::17] = np.nan, np.inf, -0.0, 1 / 3
    df = pd.DataFrame(
        {
            "x": x,
            "y": rng.normal(size=n).astype(np.float32),
            "i": np.arange(n),
            "s": [f's{i},"q"' for i in range(n)],
            "w": np.round(rng.uniform(0, 1, n), 3),
        }
    )
    from evsynth.outputs import write_csv

    write_csv(tmp_path / "a.csv", df)
    ref = df.to_csv(index=False, lineterminator="\n", float_format="%.12g", encoding="utf-8")
    assert (tmp_path / "a.csv").read_text(encoding="utf-8") == ref
    write_csv(tmp_path / "b.csv", df, float_digits=15)
    assert (tmp_path / "b.csv").read_text(encoding="utf-8") == df.to_csv(
        index=False, lineterminator="\n", float_format="%.15g"
    )


def test_a_level_typed_with_a_combining_accent_in_the_config_matches_the_data(project, capsys):
    """The config's labels and levels are read in NFC too: a level written in NFD in
    config.yaml matches the same level typed in NFC in the data (was: 'level not declared')."""
    ds = project / "data/external/aloe2013.csv"
    df = pd.read_csv(ds, dtype=str, keep_default_na=False)
    df["setting"] = [
        unicodedata.normalize("NFC", x) for x in ["école", "crèche", "école", "crèche", "école"][: len(df)]
    ]
    df.to_csv(ds, index=False)

    def mods(c):
        a = next(x for x in c["analyses"] if x["id"] == AID)
        a["moderators"] = [
            {
                "column": "setting",
                "type": "categorical",
                "levels": [unicodedata.normalize("NFD", "école"), unicodedata.normalize("NFD", "crèche")],
            }
        ]

    edit_config(project, mods)
    het, out = _fit(capsys, AID)
    m = pd.read_csv(project / f"results/{AID}/moderators.csv")
    assert list(m["model"].unique()) == ["setting"] and len(m) == 2
