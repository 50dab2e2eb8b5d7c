"""On-topic analyses (issue 13): the declared MDFT analysis against a three-level metafor
fit of the same data (expected values computed by tests/r/mdft.R, run with Rscript, output
committed as tests/r/mdft_metafor.json)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from evsynth.pipeline import analysis as an
from evsynth.pipeline.job import AnalysisJob, fit_main
from evsynth.pipeline.config import analysis_by_id, load_config

from conftest import ROOT, shipped_effects

R_MDFT = json.loads((ROOT / "tests" / "r" / "mdft_metafor.json").read_text())


@pytest.fixture(scope="module")
def mdft():
    cfg, spec, eff = shipped_effects("vanderpol2017")
    # as the pipeline does: effects go through a CSV between stages ("NA" read as missing)
    eff = eff.replace("NA", pd.NA)
    for c in ("Per_Conduct_disorder", "Per_Severe_cannabis_users", "Age_mean", "Follow_up"):
        eff[c] = pd.to_numeric(eff[c])
    return spec, eff


def test_mdft_three_level_estimate_matches_metafor(mdft):
    spec, eff = mdft
    fit = fit_main(eff, spec, 95.0)
    r = R_MDFT["main"]["intercept"]
    c = r["coefficients"][0]
    assert fit.k == r["k"] == 61
    assert fit.estimate == pytest.approx(c["estimate"], abs=1e-6)
    assert float(fit.se[0]) == pytest.approx(c["se"], rel=1e-5)
    assert float(fit.ci_lb[0]) == pytest.approx(c["ci_lb"], abs=1e-6)
    assert float(fit.ci_ub[0]) == pytest.approx(c["ci_ub"], abs=1e-6)
    assert fit.sigma2 == pytest.approx([r["sigma2_1"], r["sigma2_2"]], rel=1e-4)
    assert fit.QE == pytest.approx(r["QE"], rel=1e-8)
    assert fit.pi_lb == pytest.approx(R_MDFT["main"]["pi_lb"], abs=1e-5)
    assert fit.pi_ub == pytest.approx(R_MDFT["main"]["pi_ub"], abs=1e-5)
    # the published value (van der Pol et al., 2017, abstract: d = 0.24) is reproduced
    assert round(fit.estimate, 2) == spec["published"]["estimate"] == 0.24


def test_mdft_cr2_robust_matches_clubsandwich(mdft):
    spec, eff = mdft
    t = an.robust_table(AnalysisJob(eff, spec, 95.0))
    r = R_MDFT["main"]["robust"]
    assert t["se"].iloc[0] == pytest.approx(r["se"], rel=1e-5)
    assert t["df"].iloc[0] == pytest.approx(r["df"], rel=1e-5)
    assert t["pval"].iloc[0] == pytest.approx(r["pval"], rel=1e-4)


def test_mdft_moderators_match_metafor(mdft):
    spec, eff = mdft
    mods, notes = an.moderator_tables(AnalysisJob(eff, spec, 95.0))
    assert notes == []
    for name, r in R_MDFT["moderators"].items():
        got = mods[mods["model"] == name].reset_index(drop=True)
        assert len(got) == len(r["coefficients"]), name
        assert got["k"].iloc[0] == r["k"], name
        # evsynth names a dummy 'col[level]', metafor 'collevel'
        got.index = got["term"].str.replace("[", "", regex=False).str.replace("]", "", regex=False)
        for c in r["coefficients"]:
            i = got.index.get_loc(c["term"])
            assert got["estimate"].iloc[i] == pytest.approx(c["estimate"], abs=1e-6), (name, c["term"])
            assert got["se"].iloc[i] == pytest.approx(c["se"], rel=1e-4), (name, c["term"])
            assert got["pval"].iloc[i] == pytest.approx(c["pval"], abs=1e-5), (name, c["term"])


# ---------------------------------------------------------------------------------------
# intensive family preservation: selection of trials and the pooled risk ratio
# ---------------------------------------------------------------------------------------


def test_placement_selection_rule():
    from coding.ifps2002 import build_placement as mod

    used, excluded = mod.build(ROOT / "data" / "external" / "ifps2002_placement.csv")
    # hand-derived from the source CSV: rows 2 (Yuan), 6 (Feldman, 12 months), 7 (Kentucky), 8 (New Jersey)
    assert [u["source_row"] for u in used] == [2, 6, 7, 8]
    ex = {e["source_row"]: e["reason"] for e in excluded}
    assert sorted(ex) == [3, 4, 5, 9, 10, 11]
    assert "no control-group figure" in ex[9]  # Tennessee
    assert "interim" in ex[10] and "interim" in ex[11]
    assert all("earlier time point" in ex[r] for r in (3, 4, 5))
    # Feldman 12 months: 43 % of 117 = 50.31 -> 50; 57 % of 97 = 55.29 -> 55 (derived, labelled)
    fel = used[1]
    assert (fel["placed_exp_derived"], fel["placed_ctrl_derived"]) == (50, 55)
    assert fel["placed_exp"] == "" and fel["count_source"].startswith("derived")
    # Kentucky: counts as reported (61 of 172, 55 of 171)
    ky = used[2]
    assert (ky["placed_exp_used"], ky["notplaced_exp_used"], ky["placed_ctrl_used"], ky["notplaced_ctrl_used"]) == (
        61,
        111,
        55,
        116,
    )
    # the committed table is what the script builds
    shipped = pd.read_csv(ROOT / "data" / "ifps2002" / "placement_trials.csv")
    assert shipped["placed_exp_used"].tolist() == [u["placed_exp_used"] for u in used]


def test_placement_risk_ratio_matches_metafor():
    r = json.loads((ROOT / "tests" / "r" / "ifps_metafor.json").read_text())
    cfg, spec, eff = shipped_effects("ifps2002")
    assert eff["yi"].to_numpy() == pytest.approx(r["yi"], abs=1e-10)
    fit = fit_main(eff, spec, 95.0)
    assert fit.test == "adhoc"
    assert fit.estimate == pytest.approx(r["estimate"], abs=1e-6)
    assert float(fit.se[0]) == pytest.approx(r["se"], rel=1e-5)
    assert float(fit.ci_lb[0]) == pytest.approx(r["ci_lb"], abs=1e-5)
    assert float(fit.ci_ub[0]) == pytest.approx(r["ci_ub"], abs=1e-5)
    assert fit.tau2 == pytest.approx(r["tau2"], rel=1e-4)
    h = an.heterogeneity_table(fit, spec).iloc[0]
    assert h["n_studies"] == 4 and bool(h["fewer_than_5_studies"])


# ---------------------------------------------------------------------------------------
# AHRQ 2015 ingest (coding/ahrq2015/build_arms.py) and the three-level SMD analysis
# ---------------------------------------------------------------------------------------

AHRQ = ROOT / "data" / "ahrq2015"


@pytest.fixture(scope="module")
def ahrq_build():
    from coding.ahrq2015 import build_arms as mod

    arms, missing, comp, excluded = mod.build()
    vc = mod.vote_count(comp)
    return arms, missing, comp, excluded, vc


def test_ahrq_values_carry_sheet_and_row(ahrq_build):
    arms, missing, comp, excluded, vc = ahrq_build
    # Outcomes sheet, spreadsheet row 12 (Kjobli 2012, PMTO, ECBI intensity; checked by opening the workbook):
    # EOT N 108, mean 106.06, SD 27.8; its TAU arm is row 13: 108, 114.43, 28.79
    r = arms[arms.source_row == 12].iloc[0]
    assert (r.source_sheet, r.ref_id, r.arm_role, r.eot_n, r.eot_mean, r.eot_sd) == (
        "Outcomes",
        "371",
        "intervention",
        108.0,
        106.06,
        27.8,
    )
    c = comp[(comp.intervention_row == 12)].iloc[0]
    assert (c.comparator_row, c.m2i, c.sd2i, c.n2i, c.comparator_type) == (13, 114.43, 28.79, 108, "usual care")
    assert c.study_sheet == "Study Characteristics" and c.risk_of_bias == "High" and c.programme_derived == "PMTO"


def test_ahrq_nr_is_missing_never_zero_and_listed(ahrq_build):
    arms, missing, comp, excluded, vc = ahrq_build
    # Outcomes row 2 (Perrin 2013, IY-PT brief): EOT SD is "NR" in the workbook
    r = arms[arms.source_row == 2].iloc[0]
    assert r.eot_sd == "" and r.eot_n == 89.0
    m = missing[(missing.source_row == 2) & (missing.column == "EOT SD")]
    assert len(m) == 1 and m.iloc[0].found == "NR" and "missing, not zero" in m.iloc[0].reading
    # and that arm's comparison is excluded with the reason, not pooled
    ex = excluded[excluded.source_row == 2]
    assert "end-of-treatment statistic missing" in ex.iloc[0].reason
    assert not (comp.intervention_row == 2).any()
    assert (comp[["m1i", "sd1i", "m2i", "sd2i"]] != 0).all().all()


def test_ahrq_direction_documented_and_undocumented_excluded(ahrq_build):
    arms, missing, comp, excluded, vc = ahrq_build
    assert set(comp.lower_is_better) == {"yes"}
    assert excluded.reason.str.contains("'DSM IV': direction not documented").any()
    assert excluded.reason.str.contains("Percent Below Clinical Cutoff").any()


def test_ahrq_vote_count_lists_disagreements(ahrq_build):
    arms, missing, comp, excluded, vc = ahrq_build
    # Butler 2011 (MST vs usual services, ref 539): both CBCL comparisons have CIs crossing 0
    # (g = -0.15 and -0.03 before harmonising) while the authors wrote "MST > TAU"
    b = vc[vc.ref_id == "539"].iloc[0]
    assert b.favour_intervention == 0 and b.authors_reading == "intervention better" and b.agrees == "no"
    # the committed table is what the script builds
    shipped = pd.read_csv(AHRQ / "direction_check.csv", dtype={"ref_id": str})
    assert shipped.agrees.fillna("").tolist() == vc.agrees.tolist()


def test_ahrq_three_level_matches_metafor():
    r = json.loads((ROOT / "tests" / "r" / "ahrq_metafor.json").read_text())
    cfg, spec, eff = shipped_effects("ahrq2015")
    assert eff["yi"].iloc[:5].to_numpy() == pytest.approx(r["yi_first"], abs=1e-10)
    fit = fit_main(eff, spec, 95.0)
    assert fit.k == r["k"]
    assert fit.estimate == pytest.approx(r["estimate"], abs=1e-6)
    assert float(fit.se[0]) == pytest.approx(r["se"], rel=1e-5)
    assert fit.sigma2 == pytest.approx(r["sigma2"], rel=1e-4)
    rb = an.robust_table(AnalysisJob(eff, spec, 95.0))
    assert rb["se"].iloc[0] == pytest.approx(r["robust_se"], rel=1e-5)
    assert rb["df"].iloc[0] == pytest.approx(r["robust_df"], rel=1e-5)
    mods, _ = an.moderator_tables(AnalysisJob(eff, spec, 95.0))
    row = mods[mods.term == "comparator_type[usual care]"].iloc[0]
    assert row.estimate == pytest.approx(r["comparator_usual_care"], abs=1e-6)
    assert row.se == pytest.approx(r["comparator_usual_care_se"], rel=1e-4)


def test_role_and_indirectness_are_validated():
    from evsynth.errors import ConfigError
    from evsynth.pipeline.config import validate_config
    from evsynth.pipeline.io import read_yaml

    cfg = read_yaml(ROOT / "config.yaml", error=ConfigError)
    cfg["analyses"][0]["role"] = "tertiary"
    cfg["analyses"][1]["indirectness"] = {"population": "slight", "reason": "x"}
    with pytest.raises(ConfigError) as e:
        validate_config(cfg)
    msg = str(e.value)
    assert "analyses[0].role: found 'tertiary'" in msg
    assert "analyses[1].indirectness.population: found 'slight'" in msg


def test_minimum_studies_per_model_type():
    from evsynth.errors import ModelError

    cfg = load_config(ROOT / "config.yaml")
    spec = analysis_by_id(cfg, "vanderpol2017")
    eff = pd.DataFrame(
        {
            "study": ["a", "a", "b"],
            "yi": [0.1, 0.2, 0.3],
            "vi": [0.01, 0.02, 0.03],
            "Study_ID": [1, 1, 2],
            "Number": [1, 2, 3],
        }
    )
    with pytest.raises(ModelError, match="2 studies; a multilevel model is fitted from 3 studies"):
        fit_main(eff, spec, 95.0)


def test_ahrq_programme_subgroup_matches_metafor():
    """A multilevel subgroup (the declared three-level model within one programme) against
    metafor's rma.mv on the same subset (tests/r/ahrq.R)."""
    r = json.loads((ROOT / "tests" / "r" / "ahrq_metafor.json").read_text())["incredible_years"]
    cfg, spec, eff = shipped_effects("ahrq2015")
    t, notes = an.subgroup_table(AnalysisJob(eff, spec, 95.0))
    row = t[(t.subgroup_variable == "programme_derived") & (t.group == "Incredible Years")].iloc[0]
    assert row.k == r["k"]
    assert row.estimate == pytest.approx(r["estimate"], abs=1e-6)
    assert row.se == pytest.approx(r["se"], rel=1e-5)
    assert row.ci_lb == pytest.approx(r["ci_lb"], abs=1e-5) and row.ci_ub == pytest.approx(r["ci_ub"], abs=1e-5)
    # programmes with fewer than 3 studies are listed, not pooled
    assert any(n.startswith("programme_derived = PMTO: not pooled (ahrq2015: 1 study;") for n in notes)


def test_ahrq_randomised_body_matches_metafor():
    """GRADE guidance 24 (Cuello-Garcia et al. 2022): a body pooling randomised and
    non-randomised studies is also rated on its randomised studies alone.  The refit of the
    randomised AHRQ comparisons against metafor's rma.mv on the same subset (tests/r/ahrq.R)."""
    r = json.loads((ROOT / "tests" / "r" / "ahrq_metafor.json").read_text())["randomised"]
    cfg, spec, eff = shipped_effects("ahrq2015")
    mask = an.randomised_rows(eff, spec)
    assert mask.sum() == r["k"] and set(eff.loc[mask, "design"]) == {"RCT"}
    het, weights, notes = an.randomised_tables(AnalysisJob(eff, spec, 95.0))
    row = het.iloc[0]
    assert notes == [] and row["k"] == r["k"] and row["n_studies"] == r["n_studies"] and len(weights) == r["k"]
    for c in ("estimate", "ci_lb", "ci_ub", "pi_lb", "pi_ub"):
        assert row[c] == pytest.approx(r[c], abs=1e-6), c
    assert row["se"] == pytest.approx(r["se"], rel=1e-5)
    assert [row["sigma2_1"], row["sigma2_2"]] == pytest.approx(r["sigma2"], rel=1e-4)


def test_randomised_body_only_for_a_mixed_design():
    cfg, spec, eff = shipped_effects("ahrq2015")
    assert an.randomised_rows(eff.assign(design="RCT"), spec) is None  # all randomised
    one = eff.assign(design="NRCT")
    one.loc[0, "design"] = "RCT"
    assert an.randomised_rows(one, spec) is None  # fewer than two
    declared = {**spec, "design": {"randomised": False}}
    assert an.randomised_rows(eff, declared) is None  # no design column
    het, weights, notes = an.randomised_tables(AnalysisJob(eff.assign(design="RCT"), spec, 95.0))
    assert het.empty and weights.empty and notes == []
