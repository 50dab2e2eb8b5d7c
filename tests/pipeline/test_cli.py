"""The command line generated from the stage registry: every subcommand and flag the
Snakemake rules and the README use still exists, every argument has a help text, and
errors stay one message without a traceback."""

from __future__ import annotations

import argparse

import pytest

from conftest import ROOT, evsynth_cmd, run
from evsynth.pipeline.cli import build_parser, main
from evsynth.pipeline.stages import STAGES

# subcommand -> its flags and positionals, as the rules in workflow/rules/*.smk, the Makefile
# and the README call them (written out here, not read from the registry)
EXPECTED = {
    "check-config": {"--config"},
    "check-inputs": {"--config", "--out"},
    "effects": {"--config", "analysis", "--out"},
    "fit": {"--config", "analysis", "--effects", "--outdir"},
    "diagnose": {"--config", "analysis", "--effects", "--outdir"},
    "certainty": {"--config", "--results", "--outdir"},
    "multiverse": {"--config", "analysis", "--effects", "--chunk", "--chunks", "--out"},
    "multiverse-gather": {"--config", "analysis", "parts", "--outdir"},
    "studies": {"--config", "--outdir"},
    "quality": {"--config", "--outdir"},
    "extraction": {"--config", "--outdir"},
    "template": {"--config", "--outdir"},
    "figures": {"--config", "analysis", "--results", "--outdir"},
    "report": {"--config", "--results", "--figures", "--html", "--pdf"},
    "validate": {"directory", "--verbose"},
}


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_existing_subcommand_and_flag_is_generated():
    subs = _subparsers(build_parser())
    assert set(subs) == set(EXPECTED)
    for name, sp in subs.items():
        flags = {
            (a.option_strings[-1] if a.option_strings else a.dest)
            for a in sp._actions
            if not isinstance(a, argparse._HelpAction)
        }
        assert flags == EXPECTED[name], name


def test_every_stage_and_argument_has_a_help_text():
    for stage in STAGES:
        assert stage.help.strip(), stage.name
        assert stage.func.__doc__, f"{stage.func.__name__} has no docstring"
        for arg in stage.args:
            assert arg.help.strip(), (stage.name, arg.flags)
    for sp in _subparsers(build_parser()).values():
        for a in sp._actions:
            assert a.help, (sp.prog, a.dest)


def test_required_arguments_are_enforced(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["fit", "barlow2014", "--outdir", "x"])
    assert exc.value.code == 2
    assert "--effects" in capsys.readouterr().err


def test_bad_input_is_one_message_without_traceback(tmp_path):
    bad = tmp_path / "config.yaml"
    bad.write_text("results_dir: 3\n", encoding="utf-8")
    out = run([*evsynth_cmd(), "check-config", "--config", str(bad)], cwd=ROOT, check=False)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr and "evsynth check-config: error:" in out.stderr


def test_help_lists_every_stage():
    out = run([*evsynth_cmd(), "--help"], cwd=ROOT)
    for stage in STAGES:
        assert stage.name in out.stdout


# ------------------------------------------------------------------------------ issue 17 item 4: as a person runs it

import csv  # noqa: E402
import sys  # noqa: E402

import yaml  # noqa: E402

from conftest import copy_project  # noqa: E402

CONFIG_IDS = [a["id"] for a in yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))["analyses"]]


def _evsynth(tmp_path, *args):
    """One command from a fresh state: outputs in an empty temporary folder (allowed)."""
    return run([*evsynth_cmd(), "--allow-dir", str(tmp_path), *args], cwd=ROOT, check=False)


def _clean_failure(out, *expected):
    """Exit 1, no traceback, no 'internal error', the error once, and every expected text."""
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr and "internal error" not in out.stderr, out.stderr
    assert out.stderr.count(": error:") == 1, out.stderr
    for text in expected:
        assert text in out.stderr, (text, out.stderr)


@pytest.mark.parametrize("command", ["fit", "diagnose"])
def test_missing_effects_file_names_it_and_the_command_to_run_first(tmp_path, command):
    missing = tmp_path / "effects.csv"
    out = _evsynth(tmp_path, command, "aloe2013", "--effects", str(missing), "--outdir", str(tmp_path / "out"))
    _clean_failure(out, f"{missing}: the effect-size table does not exist", f"evsynth effects aloe2013 --out {missing}")
    assert not (tmp_path / "out").exists()


def test_missing_multiverse_input_is_the_same_message(tmp_path):
    missing = tmp_path / "effects.csv"
    out = _evsynth(tmp_path, "multiverse", "barlow2014", "--effects", str(missing), "--out", str(tmp_path / "b.csv"))
    _clean_failure(out, f"{missing}: the effect-size table does not exist", "evsynth effects barlow2014")


@pytest.mark.parametrize(
    "args",
    [
        ["figures", "aloe2013", "--results", "{res}", "--outdir", "{tmp}/figs"],
        ["figures", "studies", "--results", "{res}", "--outdir", "{tmp}/figs"],
        ["certainty", "--results", "{res}", "--outdir", "{tmp}/cert"],
        ["report", "--results", "{res}", "--figures", "{tmp}/figs", "--html", "{tmp}/r.html"],
    ],
)
def test_missing_results_folder_names_it_and_what_to_run(tmp_path, args):
    res = tmp_path / "results"
    out = _evsynth(tmp_path, *[a.format(res=res, tmp=tmp_path) for a in args])
    _clean_failure(out, f"{res}: the results folder does not exist", "make report")
    assert not (tmp_path / "r.html").exists()


def test_a_half_built_results_folder_names_the_first_missing_stage(tmp_path):
    res = tmp_path / "results"
    eff = res / "aloe2013" / "effects.csv"
    assert _evsynth(tmp_path, "effects", "aloe2013", "--out", str(eff)).returncode == 0
    out = _evsynth(tmp_path, "figures", "aloe2013", "--results", str(res), "--outdir", str(tmp_path / "figs"))
    _clean_failure(
        out,
        f"{res / 'aloe2013' / 'scale.csv'}: the fit of 'aloe2013'",
        f"evsynth fit aloe2013 --effects {eff} --outdir {res / 'aloe2013'}",
    )
    out = _evsynth(
        tmp_path,
        "report",
        "--results",
        str(res),
        "--figures",
        str(tmp_path / "figs"),
        "--html",
        str(tmp_path / "r.html"),
    )
    _clean_failure(out, "does not exist; write it first with:")  # the first analysis of the config


def test_unknown_analysis_id_lists_the_valid_ones(tmp_path):
    out = _evsynth(tmp_path, "fit", "nope", "--effects", str(tmp_path / "e.csv"), "--outdir", str(tmp_path / "o"))
    _clean_failure(out, "no analysis with id 'nope'", *CONFIG_IDS)


def _data_rows(path) -> int:
    with open(path, newline="", encoding="utf-8") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def test_stages_say_what_they_wrote(tmp_path):
    res = tmp_path / "results" / "aloe2013"
    out = _evsynth(tmp_path, "effects", "aloe2013", "--out", str(res / "effects.csv"))
    assert out.returncode == 0, out.stderr
    rows = _data_rows(ROOT / "data/external/aloe2013.csv")  # every row of the dataset is one effect
    assert out.stdout.splitlines() == [
        f"evsynth effects: wrote {res / 'effects.csv'} ({rows} rows)",
        f"evsynth effects: wrote {res / 'exclusions.csv'} (0 rows)",
    ]
    out = _evsynth(tmp_path, "fit", "aloe2013", "--effects", str(res / "effects.csv"), "--outdir", str(res))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    written = sorted(p for p in res.iterdir() if p.name not in ("effects.csv", "exclusions.csv"))
    assert len(lines) == len(written) and all(line.startswith("evsynth fit: wrote ") for line in lines)
    for line, path in zip(lines, written):
        if path.suffix == ".csv":
            n = _data_rows(path)
            assert line == f"evsynth fit: wrote {path} ({n} row{'s' if n != 1 else ''})"
        else:
            assert line == f"evsynth fit: wrote {path} ({path.stat().st_size:,} bytes)"
    out = _evsynth(
        tmp_path, "diagnose", "aloe2013", "--effects", str(res / "effects.csv"), "--outdir", str(res / "diagnostics")
    )
    n = sum(1 for p in (res / "diagnostics").iterdir() if not p.name.startswith("."))  # not the record .evsynth-outputs
    assert (res / "diagnostics" / ".evsynth-outputs").is_file()
    assert out.stdout.splitlines() == [f"evsynth diagnose: wrote {res / 'diagnostics'} ({n} files)"]


@pytest.mark.parametrize("command", ["effects", "fit", "diagnose", "multiverse", "multiverse-gather", "figures"])
def test_help_of_commands_taking_an_id_lists_the_config_ids(command):
    out = run([*evsynth_cmd(), command, "--help"], cwd=ROOT)
    assert "valid analysis ids (from config.yaml): " + ", ".join(CONFIG_IDS) in out.stdout


def test_help_says_what_a_stage_reads_and_who_writes_it():
    out = run([*evsynth_cmd(), "fit", "--help"], cwd=ROOT)
    assert "reads what earlier stages write" in out.stdout
    assert "{effects}  <- evsynth effects {analysis} --out {effects}" in out.stdout
    top = build_parser(["--help"])
    assert all(a.help for a in top._actions), [a.dest for a in top._actions if not a.help]


GUARD = [sys.executable, "-m", "evsynth.pipeline.guard", "--"]


def test_guard_prints_a_job_error_once_and_last(tmp_path):
    """make report's guard: the error a job prints is held back from the passing output and
    printed once, after the runner's own output, as a short summary."""
    project = copy_project(tmp_path / "proj")
    (project / "logs").mkdir()
    job = (
        f"echo 'runner: building DAG'; {' '.join(evsynth_cmd())} fit aloe2013 --effects results/none.csv "
        "--outdir results/x 2>&1 | tee logs/fit.log; echo 'runner: 1 job failed'; exit 1"
    )
    out = run(GUARD + ["sh", "-c", job], cwd=project, check=False)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    err = out.stderr
    assert err.count("results/none.csv: the effect-size table does not exist") == 1, err
    assert err.index("runner: 1 job failed") < err.index("evsynth: input check failed (evsynth fit):")
    tail = err.strip().splitlines()
    assert tail[-1].startswith("evsynth: the run failed (exit 1)")
    assert tail[-4:-1] == [
        "evsynth: input check failed (evsynth fit):",
        "  results/none.csv: the effect-size table does not exist; write it first with:",
        "    evsynth effects aloe2013 --out results/none.csv",
    ]
    # the job's log keeps the message as the job wrote it
    assert "results/none.csv: the effect-size table does not exist" in (project / "logs/fit.log").read_text()


def test_version_prints_the_package_version(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"evsynth {version('evsynth')}"


@pytest.mark.parametrize("name", ["effects.xlsx", "effects.txt", "effects"])
def test_effects_refuses_an_out_path_that_is_not_csv(tmp_path, name):
    """A CSV written under an .xlsx name would not open in a spreadsheet (issue 26 item 6)."""
    target = tmp_path / name
    out = _evsynth(tmp_path, "effects", "aloe2013", "--out", str(target))
    _clean_failure(out, f"--out {target}", "writes a CSV table", "ending in .csv")
    assert not target.exists() and not (tmp_path / "exclusions.csv").exists()
