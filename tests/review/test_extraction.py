"""Effect-size extraction for the coded studies: conversion per row, direction,
coverage, pooling per domain (against statsmodels), moderators of the seeds and the
quality filter.  The rows below are test fixtures, not data: nothing is shipped."""

import numpy as np
import pandas as pd
import pytest

from evsynth.review.extraction import (
    compute_extracted,
    coverage,
    extraction_template,
    moderators_by_domain,
    pool_by_domain,
)
from evsynth.pipeline.io import load_table

from conftest import ROOT

STUDIES = load_table(ROOT / "data/holwerda2014/primary_studies.csv", "primary_studies")
HEADER = (ROOT / "data/effects/holwerda2014_effects.csv").read_text().splitlines()[0].split(",")


def fixture_rows():
    base = {
        "outcome_domain": "parenting",
        "higher_is_better": True,
        "approximation": False,
        "source_url": "https://example.org/fixture",
        "source_quote": "fixture",
        "coder": "pytest",
    }
    specs = [
        ("armstrong2000", dict(t=2.2, n1=90, n2=91)),
        ("caldera2007", dict(t=-1.5, n1=180, n2=170)),
        ("mcmillan2005", dict(m1=12.0, sd1=4.0, n1=80, m2=10.9, sd2=4.2, n2=83)),
        ("chaffin2011", dict(d_reported=0.35, d_var_reported=0.02)),
        ("brandon2006", dict(events1=30, total1=60, events2=22, total2=58)),
    ]
    rows = []
    for i, (sid, stats) in enumerate(specs, 1):
        r = {c: np.nan for c in HEADER}
        r.update(base)
        r.update({"effect_id": f"f{i}", "study_id": sid, "outcome": "fixture outcome", **stats})
        rows.append(r)
    return pd.DataFrame(rows)


def test_pooled_domain_matches_statsmodels():
    from statsmodels.stats.meta_analysis import combine_effects

    comp = compute_extracted(fixture_rows(), STUDIES, "fixture.csv")
    pooled = pool_by_domain(comp, "DL", "z", 2, 95.0).set_index("outcome_domain")
    sm = combine_effects(comp["yi"].to_numpy(), comp["vi"].to_numpy(), method_re="dl")
    assert sm.tau2 > 0  # statsmodels does not truncate a negative DL estimate at 0: compare where it is positive
    assert pooled.loc["parenting", "estimate"] == pytest.approx(
        sm.summary_frame().loc["random effect", "eff"], rel=1e-8
    )
    assert pooled.loc["parenting", "tau2"] == pytest.approx(sm.tau2, rel=1e-8)
    assert pooled.loc["parenting", "k_studies"] == 5


def test_direction_is_harmonised():
    rows = fixture_rows().iloc[:1].copy()
    up = compute_extracted(rows, STUDIES, "f.csv")["yi"].iloc[0]
    rows["higher_is_better"] = False
    down = compute_extracted(rows, STUDIES, "f.csv")
    assert down["yi"].iloc[0] == pytest.approx(-up) and "multiplied by -1" in down["direction"].iloc[0]


def test_moderators_and_quality_filter_per_domain():
    comp = compute_extracted(fixture_rows(), STUDIES, "fixture.csv")
    t = moderators_by_domain(comp, STUDIES, "REML", "z", 2, 95.0, min_score=4)
    q = t[t["analysis"] == "moderator: quality score (0-11)"]
    assert set(q["term"]) == {"intrcpt", "quality_score"}
    filt = t[t["analysis"] == "quality filter: score >= 4"]
    # published scores: armstrong 2, caldera 3, mcmillan 7, chaffin2011 6, brandon 0 -> 2 studies pass
    assert filt["k_studies"].iloc[0] == 2
    assert (
        "not coded" in t.loc[t["analysis"] == "moderator: caseload", "note"].iloc[0]
        or "too few" in t.loc[t["analysis"] == "moderator: caseload", "note"].iloc[0]
    )


def test_nothing_extracted_is_said_not_failed():
    empty = compute_extracted(fixture_rows().iloc[:0], STUDIES, "f.csv")
    assert "no effect sizes have been extracted yet" in pool_by_domain(empty, "REML", "knha", 2, 95).iloc[0]["note"]
    cov = coverage(STUDIES, empty)
    assert (cov["status"] == "not yet extracted").all() and len(cov) == 46


def test_template_lists_each_study_outcome():
    t = extraction_template(STUDIES, HEADER)
    assert set(t["study_id"]) == set(STUDIES["study_id"])
    # Bijlage 5 row 1 lists five outcome measures ("Uitkomstmaten"), the first "Moeder-kind hechting"
    a = t[t["study_id"] == "armstrong2000"]
    assert len(a) == 5 and a["outcome"].iloc[0] == "Moeder-kind hechting"
    assert list(a["effect_id"]) == [f"armstrong2000_{j}" for j in range(1, 6)]
    assert a[["n1", "t", "m1"]].eq("").all().all()
    # row 9: list headings ("Primaire uitkomstmaten:", "Gezinsfunctioneren:") are not outcomes
    b = t[t["study_id"] == "brandon2006"]["outcome"].tolist()
    assert len(b) == 8 and b[0] == "Aantal kinderen in zorg" and "Gedrag kind" in b
    assert not any(o.endswith(":") for o in t["outcome"])
    assert len(t) == int(STUDIES["n_outcome_measures"].sum()) - sum(
        o.endswith(":") for ms in STUDIES["outcome_measures"] for o in ms.split(" | ")
    )


# --- conversions against metafor (tests/r/extraction.R -> extraction_metafor.json) -------------

import json  # noqa: E402

from evsynth.review.extraction import analysis_dataset, convert_row, programme_name, row_problems  # noqa: E402

METAFOR = json.loads((ROOT / "tests/r/extraction_metafor.json").read_text())
CASES = {
    "means": dict(m1=12.0, sd1=4.0, n1=80, m2=10.9, sd2=4.2, n2=83),
    "t": dict(t=2.2, n1=90, n2=91),
    "f": dict(f=4.84, n1=40, n2=42, sign=-1),
    "p": dict(p=0.03, n1=50, n2=48, sign=1),
    "events": dict(events1=30, total1=60, events2=22, total2=58),
    "events_zero": dict(events1=0, total1=40, events2=5, total2=41),
    "or_ci": {"or": 1.8, "or_ci_lb": 1.1, "or_ci_ub": 2.9},
    "md_ci": dict(md=2.5, md_ci_lb=0.4, md_ci_ub=4.6, n1=60, n2=58),
    "prepost": dict(pre_m=11.3, post_m=14.1, pre_sd=5.2, n_prepost=35, prepost_r=0.6),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_conversion_equals_metafor_escalc(case):
    g, v, formula = convert_row(CASES[case])
    assert g == pytest.approx(METAFOR[case]["yi"], rel=1e-10)
    assert v == pytest.approx(METAFOR[case]["vi"], rel=1e-10)
    assert formula


@pytest.mark.parametrize(
    "stats, column, words",
    [
        ({"or": 3.5, "or_ci_lb": 1.1, "or_ci_ub": 2.9}, "or", "outside its CI"),
        ({"md": 5.0, "md_ci_lb": 0.4, "md_ci_ub": 4.6, "n1": 60, "n2": 58}, "md", "outside its CI"),
        ({"md": 1.0, "md_ci_lb": 4.6, "md_ci_ub": 0.4, "n1": 60, "n2": 58}, "md_ci_lb", "reversed"),
        ({"events1": 61, "total1": 60, "events2": 22, "total2": 58}, "events1", "events in a group of 60"),
        ({"t": 2.2, "p": 0.2, "n1": 90, "n2": 91}, "p", "disagrees with t = 2.2"),
        ({"f": 4.84, "p": 0.5, "n1": 40, "n2": 42, "sign": 1}, "p", "disagrees with F = 4.84"),
        ({"t": 2.2, "approximation": True}, "approximation_note", "must say what was derived"),
    ],
)
def test_contradicting_statistics_are_named(stats, column, words):
    probs = row_problems(stats)
    assert [c for c, _ in probs] == [column] and words in probs[0][1]


def test_p_agreeing_with_t_within_rounding_passes():
    # t = 2.2 on 179 df gives p = 0.0291; printed as 0.029 or 0.03 (t itself rounded) both agree
    assert row_problems({"t": 2.2, "p": 0.029, "n1": 90, "n2": 91}) == []
    assert row_problems({"t": 2.2, "p": 0.03, "n1": 90, "n2": 91}) == []


def test_extraction_table_with_contradiction_names_file_row_column():
    from evsynth.errors import TableProblems

    rows = fixture_rows()
    rows.loc[2, "sd1"] = np.nan  # row 4 of the file: means without SD -> no statistics
    rows.loc[4, ["events1"]] = 99  # row 6: 99 events among 60
    with pytest.raises(TableProblems) as exc:
        compute_extracted(rows, STUDIES, "effects.csv")
    text = str(exc.value)
    assert "effects.csv: row 6, column 'events1': 99 events in a group of 60" in text
    assert "effects.csv: row 4:" in text


def test_analysis_dataset_labels_and_moderator_levels():
    comp = compute_extracted(fixture_rows(), STUDIES, "fixture.csv")
    mods = pd.DataFrame(
        [
            {"study_id": "armstrong2000", "moderator": "caseload", "value": 12.0, "level": "programme"},
            {"study_id": "mcmillan2005", "moderator": "contacts_per_month", "value": 2.0, "level": "study"},
        ]
    )
    d = analysis_dataset(comp, STUDIES, "parenting", mods).set_index("study_id")
    assert d.loc["armstrong2000", "study"] == "Armstrong et al. 2000 (Early home-based intervention by child...)"
    assert d.loc["armstrong2000", "caseload"] == 12.0 and d.loc["armstrong2000", "caseload_level"] == "programme"
    assert d.loc["mcmillan2005", "contacts_per_month"] == 2.0
    assert d.loc["mcmillan2005", "contacts_per_month_level"] == "study"
    # Bijlage 5 gives no intensity for chaffin2011 and the extraction found none: left empty
    assert (
        np.isnan(d.loc["chaffin2011", "contacts_per_month"]) and d.loc["chaffin2011", "contacts_per_month_level"] == ""
    )
    assert d.loc["mcmillan2005", "quality_score"] == 7 and d.loc["mcmillan2005", "design"] == "RCT"
    assert set(d["approximation"]) == {"no"}


def test_programme_name_is_cut_at_a_word():
    assert programme_name("Family Check Up") == "Family Check Up"
    assert programme_name("Child FIRST (Child and Family Interagency, Resource...)") == "Child FIRST"
    assert programme_name("a" * 10 + " " + "b" * 40) == "a" * 10 + "..."


def _write(path, df):
    df.to_csv(path, index=False)
    return str(path)


def test_an_extracted_analysis_reads_one_domain_with_study_columns(tmp_path):
    from evsynth.pipeline.dataset import dataset_effects

    rows = fixture_rows()
    rows.loc[1, "outcome_domain"] = "child behaviour"
    rows["higher_is_better"] = rows["higher_is_better"].map({True: "yes", False: "no"})
    rows["approximation"] = "no"
    eff = _write(tmp_path / "effects.csv", rows[HEADER])
    mods = _write(
        tmp_path / "mods.csv",
        pd.DataFrame(
            [
                {
                    "study_id": "armstrong2000",
                    "moderator": "caseload",
                    "value": 12,
                    "unit": "families per worker",
                    "level": "programme",
                    "derivation": "",
                    "source_url": "https://example.org/x",
                    "source_quote": "12 families",
                    "coder": "pytest",
                }
            ]
        ),
    )
    spec = {
        "id": "own_parenting",
        "dataset": eff,
        "direction": {"rule": "positive = better", "flip": False},
        "model": {"type": "univariate", "method": "REML", "test": "z"},
        "effect": {
            "extracted": {
                "domain": "parenting",
                "studies": str(ROOT / "data/holwerda2014/primary_studies.csv"),
                "moderators": mods,
            }
        },
        "moderators": [{"column": "caseload", "type": "numeric"}, {"column": "quality_score", "type": "numeric"}],
        "sensitivity": {"exclude_if": {"approximation": ["yes"], "design": ["quasi-experimental"]}},
    }
    out = dataset_effects(spec)
    assert len(out) == 4 and "caseload" in out.columns and "Caldera" not in " ".join(out["study"])
    # columns only a sensitivity rule names are kept too: the fit stage filters on them
    assert {"approximation", "design"} <= set(out.columns)
    assert out.loc[out["study"].str.startswith("Armstrong"), "caseload"].iloc[0] == 12
    # a moderator row naming a study the review does not have stops the run with file, row, column
    _write(
        tmp_path / "mods.csv",
        pd.DataFrame(
            [
                {
                    "study_id": "nosuchstudy",
                    "moderator": "caseload",
                    "value": 12,
                    "unit": "families per worker",
                    "level": "programme",
                    "derivation": "",
                    "source_url": "https://example.org/x",
                    "source_quote": "12",
                    "coder": "pytest",
                }
            ]
        ),
    )
    with pytest.raises(Exception, match=r"mods.csv: row 2, column 'study_id': unknown study 'nosuchstudy'"):
        dataset_effects(spec)


def test_a_row_without_url_or_quote_is_refused(tmp_path):
    from evsynth.errors import TableProblems

    rows = fixture_rows()
    rows["higher_is_better"] = "yes"
    rows["approximation"] = "no"
    rows.loc[0, "source_url"] = ""
    rows.loc[1, "source_quote"] = ""
    path = _write(tmp_path / "effects.csv", rows[HEADER])
    with pytest.raises(TableProblems) as exc:
        load_table(path, "effects")
    text = str(exc.value)
    assert "row 2, column 'source_url'" in text and "row 3, column 'source_quote'" in text


def test_a_moderator_too_few_studies_carry_is_named_not_tested():
    from evsynth.pipeline.analysis import moderator_tables
    from evsynth.pipeline.diagnose import diagnostic_tables
    from evsynth.pipeline.job import AnalysisJob

    comp = compute_extracted(fixture_rows(), STUDIES, "fixture.csv")
    data = analysis_dataset(comp, STUDIES, "parenting")
    data["study_id"] = data["study_id"].astype(str)
    spec = {
        "id": "own",
        "model": {"type": "univariate", "method": "REML", "test": "z"},
        "moderator_min_studies": 4,
        "moderators": [{"column": "quality_score", "type": "numeric"}, {"column": "caseload", "type": "numeric"}],
        "permutations": 100,
        "diagnostics": ["permutation"],
        "effect": {"yi": "yi", "vi": "vi"},
    }
    tab, notes = moderator_tables(AnalysisJob(data, spec, 95.0))
    # quality scores: armstrong 2, caldera 3, mcmillan 7, chaffin2011 6, brandon 0 -> 5 studies carry it
    assert set(tab["model"]) == {"quality_score"}
    assert notes == [
        "caseload: 0 studies carry it; a meta-regression needs at least 4 (moderator_min_studies): not tested"
    ]
    spec["moderator_min_studies"] = 6
    tab, notes = moderator_tables(AnalysisJob(data, spec, 95.0))
    assert tab.empty and notes[0].startswith("quality_score: 5 studies carry it; a meta-regression needs at least 6")
    out = diagnostic_tables(AnalysisJob(data, spec, 95.0, seed=1))
    assert "not tested" in " ".join(str(n) for n in out["diagnostic_notes"]["note"])


def test_reporting_gap_counts_the_studies_that_measured_a_domain():
    from evsynth.review.extraction import reporting_gap

    comp = compute_extracted(fixture_rows(), STUDIES, "fixture.csv")
    gap = reporting_gap(comp, STUDIES, "parenting")
    listed = {
        s
        for s, d in zip(STUDIES["study_id"], STUDIES["outcome_domains"].fillna(""))
        if "parenting" in [x.strip() for x in d.split(";")]
    }
    assert gap["with_statistics"] == 5
    assert gap["measured"] == len(listed | set(comp["study_id"]))
    assert set(gap["missing"]) == listed - set(comp["study_id"]) and gap["measured"] > 20


def test_small_study_tests_wait_for_enough_studies():
    from evsynth.pipeline.diagnose import diagnostic_tables
    from evsynth.pipeline.job import AnalysisJob

    comp = compute_extracted(fixture_rows(), STUDIES, "fixture.csv")
    data = analysis_dataset(comp, STUDIES, "parenting")
    spec = {
        "id": "own",
        "model": {"type": "univariate", "method": "REML", "test": "z"},
        "diagnostics": ["egger", "trimfill", "leave1out"],
        "small_study_min_k": 10,
        "effect": {"yi": "yi", "vi": "vi"},
    }
    out = diagnostic_tables(AnalysisJob(data, spec, 95.0, seed=1))
    assert "egger" not in out and "trimfill" not in out and "leave1out" in out
    notes = out["diagnostic_notes"].set_index("diagnostic")["note"]
    assert notes["egger"].startswith(
        "not run: 5 studies; tests and adjustments for small-study effects are run from 10"
    )
    spec["small_study_min_k"] = 5
    assert "egger" in diagnostic_tables(AnalysisJob(data, spec, 95.0, seed=1))
