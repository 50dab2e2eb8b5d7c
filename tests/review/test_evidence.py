"""The statement, coding-log and findings tables: schemas and cross-checks in check-inputs (bad
input named by file, row and column, exit status 1, no traceback), the domain dictionary, and the
effect-direction table of the studies stage."""

import subprocess

import pandas as pd
import pytest
import yaml

from evsynth.pipeline.io import load_table
from evsynth.review.domains import DICTIONARY_PATH, DOMAINS, domains_of, load_dictionary
from evsynth.review.evidence import DIRECTIONS, effect_direction

from conftest import ROOT, SHARED, evsynth_cmd

ES_PATH = ROOT / "data/holwerda2014/effect_statements.csv"


def _run_check(tmp_path, key, table: pd.DataFrame, seeds=True):
    bad = tmp_path / f"{key}.csv"
    table.to_csv(bad, index=False)
    cfg = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    cfg["studies"][key] = str(bad)
    cfg["studies"]["seeds"] = str(SHARED / "seeds") if seeds else str(tmp_path / "no-seeds")
    for k, v in cfg["studies"].items():
        if k not in (key, "seeds"):
            cfg["studies"][k] = str(ROOT / v)
    for sec, keys in (("quality", ("form", "assessments")), ("extraction", ("effects",))):
        for k in keys:
            cfg[sec][k] = str(ROOT / cfg[sec][k])
    for a in cfg["analyses"]:
        a["dataset"] = str(ROOT / a["dataset"])
    c = tmp_path / "config.yaml"
    c.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    p = subprocess.run(
        [*evsynth_cmd(), "--allow-dir", str(ROOT), "--allow-dir", str(SHARED), "check-inputs", "--config", str(c)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    return p, bad


def _check_fails_with(tmp_path, table, message):
    """check-inputs on the effect statements replaced by ``table``: exit 1, no traceback,
    and ``message`` after the file's name."""
    p, bad = _run_check(tmp_path, "effect_statements", table)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert f"{bad}: {message}" in p.stderr


def _es():
    return pd.read_csv(ES_PATH, dtype=str, keep_default_na=False)


def test_statement_without_a_study_row(tmp_path):
    t = _es()
    t.loc[4, "row"] = "48"
    _check_fails_with(tmp_path, t, "row 6, column 'row': found '48'; no such row in")


def test_direction_outside_the_allowed_words(tmp_path):
    t = _es()
    t.loc[0, "direction"] = "improved"
    _check_fails_with(
        tmp_path, t, "row 2, column 'direction': found 'improved'; allowed: positive, none, negative, mixed, unknown"
    )


@pytest.mark.skipif(not (SHARED / "seeds").exists(), reason="../shared/seeds is not beside the repository")
def test_line_range_outside_the_seed(tmp_path):
    t = _es()
    t.loc[9, "last_line"] = "80000"
    p, bad = _run_check(tmp_path, "effect_statements", t)
    assert p.returncode == 1
    assert (
        f"{bad}: row 11, column 'last_line': found 80000; the seed 003_169077222a0c6c24.txt has 7517 lines" in p.stderr
    )


def test_first_line_after_last_line_and_findings_without_direction(tmp_path):
    t = _es()
    t.loc[0, "first_line"] = "4800"
    p, bad = _run_check(tmp_path, "effect_statements", t)
    assert p.returncode == 1 and f"{bad}: row 2, column 'first_line': found 4800, larger than 'last_line'" in p.stderr
    f = pd.read_csv(ROOT / "data/findings/findings.csv", dtype=str, keep_default_na=False)
    i = int(f.index[f["finding_id"] == "H-4.3-03"][0])
    f.loc[i, "direction"] = ""
    p, bad = _run_check(tmp_path, "findings", f)
    assert (
        p.returncode == 1
        and f"{bad}: row {i + 2}, column 'direction': a claim about an effect needs a direction" in p.stderr
    )


def test_all_new_tables_pass_their_schemas():
    for path, schema in (
        ("data/holwerda2014/effect_statements.csv", "effect_statements"),
        ("data/holwerda2014/review_statements.csv", "review_statements"),
        ("data/holwerda2014/coding_log.csv", "coding_log"),
        ("data/findings/findings.csv", "findings"),
    ):
        assert len(load_table(ROOT / path, schema)) > 0


def test_dictionary_is_a_data_file_with_dutch_and_english_terms():
    d = pd.read_csv(DICTIONARY_PATH, dtype=str, keep_default_na=False)
    assert set(d["language"]) == {"nl", "en"} and set(d["domain"]) == set(DOMAINS)
    assert len(load_dictionary()) == len(d)
    # longest term first: 'maatschappelijk werk' is service use and its 'werk' is not employment
    assert domains_of("Diensten aangeboden door maatschappelijk werk") == ["service use"]
    assert domains_of("Werk moeder") == ["socio-economic"]
    assert domains_of("Totaalscore slechte thuisomgeving") == ["parenting"]  # not 'taal' inside 'totaal'
    assert domains_of("parenting stress") == ["parenting", "parent mental health"]


def test_every_coder_decided_domain_is_in_the_coding_log():
    es = _es()
    log = pd.read_csv(ROOT / "data/holwerda2014/coding_log.csv", dtype=str, keep_default_na=False)
    coder = set(es.loc[es["domain_source"] == "coder (coding_log.csv)", "statement_id"])
    logged = set(log.loc[log["column"] == "outcome_domains", "row"])
    assert coder and coder <= logged
    # every direction not 'unknown' is logged with its reason
    known = set(es.loc[es["direction"] != "unknown", "statement_id"])
    assert known <= set(log.loc[log["column"] == "direction", "row"])


def test_effect_direction_counts_add_up_and_unknown_stays_unknown():
    es = load_table(ES_PATH, "effect_statements")
    ps = load_table(ROOT / "data/holwerda2014/primary_studies.csv", "primary_studies")
    t = effect_direction(es, ps)
    assert (t[[f"n_{d}" for d in DIRECTIONS]].sum(axis=1) == t["n_statements"]).all()
    counted = es[(es["kind"] == "arrow") | (es["direction"] != "unknown")]
    # statements with k domains count k times; without a domain once
    k = counted["outcome_domains"].fillna("").map(lambda x: max(1, len([d for d in x.split(";") if d])))
    assert t["n_statements"].sum() == k.sum()
    # the lost arrows are most of Bijlage 5: unknown dominates, nothing is guessed
    assert t["n_unknown"].sum() > 0.8 * t["n_statements"].sum()
    assert t["n_positive"].sum() == (k[counted["direction"] == "positive"]).sum()
