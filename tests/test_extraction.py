"""Effect-size extraction for the coded studies: conversion per row, direction,
coverage, pooling per domain (against statsmodels), moderators of the seeds and the
quality filter.  The rows below are test fixtures, not data: nothing is shipped."""

import numpy as np
import pandas as pd
import pytest

from evsynth.review.extraction import compute_extracted, coverage, extraction_template, moderators_by_domain, pool_by_domain
from evsynth.pipeline.io import load_table

from conftest import ROOT

STUDIES = load_table(ROOT / "data/holwerda2014/primary_studies.csv", "primary_studies")
HEADER = (ROOT / "data/effects/holwerda2014_effects.csv").read_text().strip().split(",")


def fixture_rows():
    base = {"outcome_domain": "parenting", "higher_is_better": True, "source_page": "fixture", "coder": "pytest"}
    specs = [("armstrong2000", dict(t=2.2, n1=90, n2=91)), ("caldera2007", dict(t=-1.5, n1=180, n2=170)),
             ("mcmillan2005", dict(m1=12.0, sd1=4.0, n1=80, m2=10.9, sd2=4.2, n2=83)),
             ("chaffin2011", dict(d_reported=0.35, d_var_reported=0.02)),
             ("brandon2006", dict(events1=30, total1=60, events2=22, total2=58))]
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
    assert pooled.loc["parenting", "estimate"] == pytest.approx(sm.summary_frame().loc["random effect", "eff"], rel=1e-8)
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
    assert "not coded" in t.loc[t["analysis"] == "moderator: caseload", "note"].iloc[0] or \
        "too few" in t.loc[t["analysis"] == "moderator: caseload", "note"].iloc[0]


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
        o.endswith(":") for ms in STUDIES["outcome_measures"] for o in ms.split(" | "))
