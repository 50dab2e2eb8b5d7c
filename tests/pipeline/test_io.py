"""The bad-input battery (issue 5): every malformed input gets one clear message naming
file, row and column, a non-zero exit and no traceback; valid edge cases compute."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from evsynth.review.design import build_design
from evsynth.engine import escalc, rma
from evsynth.errors import InputError, ModelError
from evsynth.pipeline.io import TableProblems, load_table, read_table, write_csv
from evsynth.review.prisma import check_prisma

from conftest import ROOT, copy_project, evsynth_cmd, run

EFFECTS_HEADER = (ROOT / "data/effects/holwerda2014_effects.csv").read_text().splitlines()[0].split(",")


def effects_row(**kw) -> dict:
    row = {c: "" for c in EFFECTS_HEADER}
    row.update(
        {
            "effect_id": "e1",
            "study_id": "armstrong2000",
            "outcome": "Gezinsfunctioneren",
            "outcome_domain": "family functioning",
            "higher_is_better": "yes",
            "approximation": "no",
            "source_url": "https://example.org/p5",
            "source_quote": "p. 5",
            "coder": "AB",
        }
    )
    row.update({k: str(v) for k, v in kw.items()})
    return row


def write_rows(path: Path, rows: list[dict], sep=",", encoding="utf-8"):
    df = pd.DataFrame(rows, columns=EFFECTS_HEADER)
    df.to_csv(path, sep=sep, index=False, encoding=encoding)


# ------------------------------------------------------------------------------ files


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_table(tmp_path / "nope.csv")


def test_empty_file(tmp_path):
    p = tmp_path / "e.csv"
    p.write_text("")
    with pytest.raises(InputError, match="empty"):
        read_table(p)


def test_header_only_is_allowed_for_extraction_but_not_studies(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text((ROOT / "data/holwerda2014/primary_studies.csv").read_text().splitlines()[0] + "\n")
    with pytest.raises(TableProblems, match="no data rows"):
        load_table(p, "primary_studies")
    header_only = tmp_path / "effects.csv"
    header_only.write_text(",".join(EFFECTS_HEADER) + "\n")
    assert len(load_table(header_only, "effects")) == 0


def test_bom_latin1_semicolon_decimal_comma(tmp_path):
    rows = [effects_row(m1="10,5", sd1="2,25", n1=20, m2="9,0", sd2="2,0", n2=22, outcome="Gezinscohesie é")]
    variants = {"bom.csv": ("utf-8-sig", ","), "latin1.csv": ("latin-1", ";"), "nl.csv": ("utf-8", ";")}
    for name, (enc, sep) in variants.items():
        p = tmp_path / name
        r = dict(rows[0])
        if sep == ",":
            r.update(m1="10.5", sd1="2.25", m2="9.0", sd2="2.0")
        write_rows(p, [r], sep=sep, encoding=enc)
        df = load_table(p, "effects")
        assert df["m1"].iloc[0] == pytest.approx(10.5)
        assert df["sd1"].iloc[0] == pytest.approx(2.25)
        assert df["outcome"].iloc[0].endswith("é")


def test_wrong_delimiter_is_named(tmp_path):
    p = tmp_path / "tab.csv"
    p.write_text("effect_id|study_id\n1|x\n")
    with pytest.raises(TableProblems, match="read as a single column: check the delimiter"):
        load_table(p, "effects")


def test_xlsx_sheet(tmp_path):
    p = tmp_path / "book.xlsx"
    with pd.ExcelWriter(p) as xw:
        pd.DataFrame([effects_row(t=2.1, n1=20, n2=20)]).to_excel(xw, sheet_name="effects", index=False)
    df = load_table(p, "effects", sheet="effects")
    assert df["t"].iloc[0] == pytest.approx(2.1)


# ------------------------------------------------------------------------------ cells


@pytest.mark.parametrize(
    "change,expect",
    [
        ({"drop": "study_id"}, "row 1: required column 'study_id' is missing"),
        ({"add": "colour"}, "row 1, column 'colour': unknown column"),
        ({"n1": "twelve"}, "row 2, column 'n1': found 'twelve'; expected a number"),
        ({"n1": "-5"}, "row 2, column 'n1': found -5"),
        ({"sd1": "0"}, "row 2, column 'sd1': found 0"),
        ({"prepost_r": "1.2"}, "row 2, column 'prepost_r': found 1.2; must be < 1"),
        ({"p": "1.5"}, "row 2, column 'p': found 1.5; must be < 1"),
        ({"d_var_reported": "-0.1"}, "row 2, column 'd_var_reported': found -0.1; must be > 0"),
        ({"outcome_domain": "happiness"}, "row 2, column 'outcome_domain': found 'happiness'; allowed:"),
    ],
)
def test_cell_problems_name_row_and_column(tmp_path, change, expect):
    r = effects_row(t=2.0, n1=20, n2=20)
    cols = list(EFFECTS_HEADER)
    if "drop" in change:
        cols.remove(change["drop"])
        r.pop(change["drop"])
    elif "add" in change:
        cols.append(change["add"])
        r[change["add"]] = "red"
    else:
        r.update(change)
    p = tmp_path / "eff.csv"
    pd.DataFrame([r], columns=cols).to_csv(p, index=False)
    with pytest.raises(TableProblems) as exc:
        load_table(p, "effects")
    assert str(p) in str(exc.value) and expect in str(exc.value)


def test_all_problems_of_a_file_reported_at_once(tmp_path):
    p = tmp_path / "eff.csv"
    write_rows(p, [effects_row(effect_id="a", n1="x"), effects_row(effect_id="a", n2="-1", outcome_domain="z")])
    with pytest.raises(TableProblems) as exc:
        load_table(p, "effects")
    msg = str(exc.value)
    assert "row 2, column 'n1'" in msg and "row 3, column 'n2'" in msg and "row 3, column 'outcome_domain'" in msg
    assert "rows 2, 3, column 'effect_id': duplicate value 'a'" in msg
    assert len(exc.value.problems) == 4


def test_duplicate_study_id_in_study_table(tmp_path):
    src = pd.read_csv(ROOT / "data/holwerda2014/primary_studies.csv", dtype=str, keep_default_na=False)
    src.loc[1, "study_id"] = src.loc[0, "study_id"]
    p = tmp_path / "ps.csv"
    src.to_csv(p, index=False)
    with pytest.raises(TableProblems, match="rows 2, 3, column 'study_id': duplicate value 'armstrong2000'"):
        load_table(p, "primary_studies")


# ------------------------------------------------------------------------------ statistics


def test_effect_without_statistics(tmp_path):
    from evsynth.review.extraction import compute_extracted

    studies = load_table(ROOT / "data/holwerda2014/primary_studies.csv", "primary_studies")
    eff = pd.DataFrame([{k: (None if v == "" else v) for k, v in effects_row(n1=20).items()}])
    eff["higher_is_better"] = True
    with pytest.raises(TableProblems, match="row 2: effect size without variance and without the statistics"):
        compute_extracted(eff, studies, "eff.csv")


@pytest.mark.parametrize(
    "kw,msg",
    [
        (dict(measure="PR", xi=[3, 5], ni=[10, 4]), "proportion would be above 1 in row\\(s\\) 2"),
        (dict(measure="COR", ri=[0.5, -1.0], ni=[30, 30]), "strictly between -1 and 1"),
        (dict(measure="MD", m1i=[1], sd1i=[1], n1i=[-2], m2i=[0], sd2i=[1], n2i=[5]), "sample size must be > 0"),
        (dict(measure="OR", ai=[-1], bi=[3], ci=[2], di=[4]), "count must be >= 0"),
    ],
)
def test_statistics_outside_their_range(kw, msg):
    with pytest.raises(InputError, match=msg):
        escalc(**kw)


def test_negative_variance_in_dataset_names_study(tmp_path):
    from evsynth.pipeline.dataset import compute_effects

    data = pd.DataFrame({"study": ["a", "b", "c"], "yi": [0.1, 0.2, 0.3], "vi": [0.1, -0.2, 0.1]})
    spec = {
        "id": "x",
        "effect": {"yi": "yi", "vi": "vi"},
        "direction": {"rule": "", "flip": False},
        "model": {"type": "univariate", "method": "REML", "test": "z"},
        "study_label": "study",
    }
    with pytest.raises(InputError, match="study 'b': sampling variance -0.2 is not positive"):
        compute_effects(data, spec, "data.csv")


# ------------------------------------------------------------------------------ moderators


def test_unknown_moderator_and_level():
    d = pd.DataFrame({"g": ["a", "b", "c", "a"], "x": [1, 2, 3, 4]})
    with pytest.raises(InputError, match="unknown moderator 'z'"):
        build_design(d, ["z"], where="t.csv")
    with pytest.raises(InputError, match="unknown level\\(s\\) 'c'; allowed: a, b"):
        build_design(d, [{"column": "g", "type": "categorical", "levels": ["a", "b"]}], where="t.csv")


def test_moderator_with_one_level():
    d = pd.DataFrame({"g": ["a"] * 5})
    with pytest.raises(ModelError, match="only one level"):
        build_design(d, [{"column": "g", "type": "categorical"}], where="t.csv")


def test_more_moderators_than_k_minus_1_in_design():
    d = pd.DataFrame({"x": [1, 2, 3], "w": [3, 1, 2]})
    with pytest.raises(ModelError, match="at most k - 1 = 2"):
        build_design(d, ["x", "w"], where="t.csv")


# ------------------------------------------------------------------------------ valid edge cases


def test_k2_identical_and_tau2_zero_compute():
    f = rma([0.4, 0.4], [0.05, 0.1])
    assert f.tau2 == 0 and f.estimate == pytest.approx(0.4) and f.k == 2


@pytest.mark.parametrize("ratio", [1e-12, 1e-6, 1.0, 1e3, 1e6])
def test_extreme_variance_ratio(ratio):
    f = rma([0.1, 0.5, 0.3], [0.01, 0.01 * ratio, 0.02], method="REML")
    assert np.isfinite(f.estimate) and np.isfinite(f.se[0])


# ------------------------------------------------------------------------------ quality and flow


def test_quality_item_and_judgement_checked(tmp_path):
    p = tmp_path / "qa.csv"
    p.write_text("study_id,rater,item,judgement,support_quote\narmstrong2000,AH,L,yes,\narmstrong2000,AH,A,maybe,\n")
    with pytest.raises(TableProblems) as exc:
        load_table(p, "assessments")
    msg = str(exc.value)
    assert "row 2, column 'item': found 'L'; allowed: A, B" in msg
    assert "row 3, column 'judgement': found 'maybe'; allowed: yes, no, unclear" in msg


def test_prisma_counts_that_do_not_add_up():
    p = yaml.safe_load((ROOT / "data/holwerda2014/prisma.yaml").read_text())
    assert check_prisma(p) == []
    p["screening"]["exclusion_reasons"][0]["n"] = 270
    p["included"]["primary_articles"] = 46
    probs = check_prisma(p, "prisma.yaml")
    assert any("exclusion reasons sum to 427, but records excluded is 432" in x for x in probs)
    assert any("!= primary articles included (46)" in x for x in probs)


# ------------------------------------------------------------------------------ through the command line


@pytest.fixture()
def project(tmp_path):
    return copy_project(tmp_path / "proj")


def _cli(project, *args):
    return run(evsynth_cmd() + list(args), cwd=project, check=False)


def test_cli_bad_table_exit_and_no_traceback(project):
    p = project / "data/quality/assessments.csv"
    p.write_text("study_id,rater,item,judgement,support_quote\nnobody2000,AH,Q,perhaps,\n")
    out = _cli(project, "check-inputs")
    assert out.returncode == 1
    assert "Traceback" not in out.stderr + out.stdout
    assert "data/quality/assessments.csv: row 2, column 'item': found 'Q'" in out.stderr
    assert "row 2, column 'judgement': found 'perhaps'" in out.stderr
    dbg = _cli(project, "--debug", "check-inputs")
    assert "Traceback" in dbg.stderr


def test_cli_unknown_study_in_assessments(project):
    (project / "data/quality/assessments.csv").write_text(
        "study_id,rater,item,judgement,support_quote\nnobody2000,AH,A,yes,\n"
    )
    out = _cli(project, "check-inputs")
    assert out.returncode == 1 and "unknown study 'nobody2000'" in out.stderr


@pytest.mark.parametrize(
    "edit,expect",
    [
        (lambda c: c.update(colour="red"), "unknown key(s) 'colour'"),
        (lambda c: c.update(seed="abc"), "seed: found 'abc' (str); expected integer"),
        (
            lambda c: c["analyses"][0]["model"].update(method="XYZ"),
            "analyses[0].model.method: found 'XYZ'; allowed: EE",
        ),
        (lambda c: c["analyses"][1]["model"].update(method="DL"), "multilevel models use ML or REML"),
    ],
)
def test_broken_config_names_the_key(project, edit, expect):
    cfg = yaml.safe_load((project / "config.yaml").read_text())
    edit(cfg)
    (project / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    out = _cli(project, "check-config")
    assert out.returncode == 1 and expect in out.stderr and "Traceback" not in out.stderr
    sm = run([str(Path(evsynth_cmd()[0]).parent / "snakemake"), "-n", "--cores", "1"], cwd=project, check=False)
    assert sm.returncode != 0 and expect in sm.stderr + sm.stdout
    assert not (project / "results").exists()


def test_check_config_names_missing_input_files(project):
    # `make report` runs check-config first: a configured file that is missing is named with its key
    (project / "data/quality/form.yaml").unlink()
    (project / "data/external/barlow2014.csv").unlink()
    out = _cli(project, "check-config")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "quality.form: data/quality/form.yaml: file not found" in out.stderr
    assert "analyses[0].dataset: data/external/barlow2014.csv: file not found" in out.stderr


def test_failed_stage_keeps_previous_output(project):
    out_csv = project / "results/barlow2014/effects.csv"
    assert _cli(project, "effects", "barlow2014", "--out", str(out_csv)).returncode == 0
    before = out_csv.read_bytes()
    ds = project / "data/external/barlow2014.csv"
    ds.write_text(ds.read_text().replace("0.0792888203458494", "-0.0792888203458494", 1))
    out = _cli(project, "effects", "barlow2014", "--out", str(out_csv))
    assert out.returncode == 1 and "sampling variance" in out.stderr
    assert out_csv.read_bytes() == before
    assert not [p for p in out_csv.parent.iterdir() if p.name.startswith(".")]


def test_atomic_writer_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "t.csv"
    write_csv(target, pd.DataFrame({"a": [1]}))

    class Boom(pd.DataFrame):
        def to_csv(self, *a, **k):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_csv(target, Boom({"a": [2]}))
    assert target.read_text() == "a\n1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_leftovers_of_a_killed_writer_are_removed(tmp_path):
    from evsynth.pipeline.io import atomic_folder

    # what a writer killed by SIGKILL leaves: its temporary file / folder beside the target
    (tmp_path / ".t.csv.k1l2d.tmp.csv").write_text("a\n")
    (tmp_path / ".u.csv.other.tmp.csv").write_text("b\n")  # another target's: kept
    (tmp_path / ".figs.abc123").mkdir()
    write_csv(tmp_path / "t.csv", pd.DataFrame({"a": [1]}))
    with atomic_folder(tmp_path / "figs") as d:
        (d / "f.txt").write_text("x")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [".u.csv.other.tmp.csv", "figs", "t.csv"]


def test_yaml_is_loaded_safely(tmp_path):
    from evsynth.pipeline.io import read_yaml

    p = tmp_path / "x.yaml"
    p.write_text("!!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(InputError):
        read_yaml(p)


def test_copy_project_helper_is_complete(project):
    assert (project / "Snakefile").exists() and (project / "data/holwerda2014/prisma.yaml").exists()
    shutil.rmtree(project / "data")


def test_outputs_get_normal_permissions(tmp_path):
    import os
    import stat

    from evsynth.pipeline.io import atomic_folder

    mask = os.umask(0o022)
    try:
        write_csv(tmp_path / "t.csv", pd.DataFrame({"a": [1]}))
        with atomic_folder(tmp_path / "d") as d:
            (d / "x").write_text("x")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "t.csv").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o755
