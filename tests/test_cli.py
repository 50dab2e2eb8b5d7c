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
        flags = {(a.option_strings[-1] if a.option_strings else a.dest) for a in sp._actions
                 if not isinstance(a, argparse._HelpAction)}
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
