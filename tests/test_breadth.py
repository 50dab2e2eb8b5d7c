"""The metafor verbs added for issue 15 (Mantel-Haenszel and Peto, fit statistics and
anova, predict/blup/ranef, known V and CS/HCS structures, profile CIs and influence for
multilevel fits, selection models, new escalc measures, regtest/fsn/trimfill options,
permutation tests), each against metafor's own output: the public cases of
../shared/golden-breadth (metafor 3.8-1) and tests/r/breadth_extra.json (written by
tests/r/breadth_extra.R with metafor 3.8-1)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evsynth.conformance.golden import compare, load_case, run_case, validate_dir
import evsynth.engine as eng
from evsynth.engine import (
    anova,
    blup,
    confint_mv,
    confint_tau2,
    escalc,
    fitstats,
    influence_mv,
    predict,
    ranef,
    rma,
    rma_mh,
    rma_mv,
    rma_peto,
    selmodel,
    vcalc,
)
from evsynth.errors import InputError, ModelError

from conftest import SHARED, evsynth_cmd, run

BREADTH = SHARED / "golden-breadth"
CASES = sorted(BREADTH.glob("cases/*.json")) if BREADTH.exists() else []
R_OUT = json.loads((Path(__file__).parent / "r" / "breadth_extra.json").read_text())

# analysis types of ../shared/golden-breadth that evsynth runs; none is left unsupported
SUPPORTED = {
    "rma.mh",
    "rma.peto",
    "fitstats",
    "anova.lrt",
    "anova.wald",
    "predict",
    "blup",
    "rma.mv.V",
    "robust",
    "rma.mv.struct",
    "confint.mv",
    "selmodel",
    "influence.mv",
    "escalc",
    "regtest",
    "fsn",
    "trimfill",
    "confint",
}
UNSUPPORTED: set = set()


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_breadth_case_matches_metafor(path):
    case = load_case(path)
    assert case["analysis"] in SUPPORTED
    got = run_case(case, BREADTH / "data")
    assert compare(got, case["expected"], case["tolerance"]) is None


def test_breadth_cases_cover_every_analysis_type():
    if not CASES:
        pytest.skip("../shared/golden-breadth is not beside the repository")
    kinds = {json.loads(p.read_text())["analysis"] for p in CASES}
    assert kinds <= SUPPORTED | UNSUPPORTED
    assert not UNSUPPORTED
    assert len(CASES) == 67


def test_validate_command_runs_the_breadth_cases():
    if not CASES:
        pytest.skip("../shared/golden-breadth is not beside the repository")
    out = run(evsynth_cmd() + ["validate", str(BREADTH)], cwd=BREADTH)
    assert out.stdout.strip().splitlines()[-1] == f"{len(CASES)} passed, 0 failed"


# ---------------------------------------------------------------- item 9: the two bugs


def test_qprofile_upper_bound_above_ceiling_is_the_ceiling_as_metafor():
    c = R_OUT["ceiling"]
    f = rma(c["yi"], c["vi"], method="REML")
    ci = confint_tau2(f)
    assert f.tau2 == pytest.approx(c["tau2"], rel=1e-6)
    assert ci.tau2_ci_ub == pytest.approx(c["tau2_ci_ub"], rel=1e-9)  # metafor: the ceiling
    assert np.isfinite(ci.I2_ci_ub) and ci.I2_ci_ub == pytest.approx(c["I2_ci_ub"], rel=1e-9)
    assert ci.H2_ci_ub == pytest.approx(c["H2_ci_ub"], rel=1e-9)
    assert ci.tau2_ci_lb == pytest.approx(c["tau2_ci_lb"], rel=1e-3)
    assert "above the search ceiling" in ci.note and "Note:" in ci.summary()


def test_validate_reads_text_none_and_na_as_values(tmp_path):
    """Only empty cells are missing: a level called None (or NA, null, nan) is a value."""
    (tmp_path / "cases").mkdir()
    (tmp_path / "data").mkdir()
    rows = ["yi,vi,grp"] + [
        f"{0.1 * i},{0.02 + 0.01 * i},{g}" for i, g in enumerate(["None", "NA", "null", "nan", "None", "x", "", "None"])
    ]
    (tmp_path / "data" / "d.csv").write_text("\n".join(rows) + "\n")
    case = {
        "id": "t",
        "dataset": "d",
        "analysis": "escalc",
        "effect_size": None,
        "yi": "yi",
        "vi": "vi",
        "subset": {"column": "grp", "equals": "None"},
        "model": {"mods": [], "random": [], "cluster": "grp"},
        "expected": {"yi": [0.0, 0.4, 0.7000000000000001], "k": 3},
        "tolerance": {"rtol": 1e-12, "atol": 0},
    }
    (tmp_path / "cases" / "t.json").write_text(json.dumps(case))
    [o] = validate_dir(tmp_path)
    assert o.passed, o.message
    # rows with text NA / null / nan are kept as values; only the empty cell is missing
    case.update({"subset": None, "expected": {"k": 7}})
    (tmp_path / "cases" / "t.json").write_text(json.dumps(case))
    [o] = validate_dir(tmp_path)
    assert o.passed, o.message


def test_validate_names_file_row_and_column_of_a_non_number(tmp_path):
    (tmp_path / "cases").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "d.csv").write_text("yi,vi\n0.1,0.01\nNone,0.02\n0.3,0.03\n")
    case = {
        "id": "t",
        "dataset": "d",
        "analysis": "escalc",
        "effect_size": None,
        "yi": "yi",
        "vi": "vi",
        "expected": {"k": 3},
        "tolerance": {},
    }
    (tmp_path / "cases" / "t.json").write_text(json.dumps(case))
    out = run(evsynth_cmd() + ["validate", str(tmp_path)], cwd=tmp_path, check=False)
    assert out.returncode == 1 and "Traceback" not in out.stdout + out.stderr
    assert "d.csv: row 3, column 'yi': 'None' is not a number" in out.stdout


# ---------------------------------------------------------------- permutation tests (item 8)


def _bcg():
    d = pd.read_csv(BREADTH / "data" / "bcg.csv")
    es = escalc("RR", ai=d["tpos"], bi=d["tneg"], ci=d["cpos"], di=d["cneg"])
    return d, es.yi, es.vi


@pytest.mark.parametrize("method", ["EE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM"])
def test_exact_permutation_tests_match_metafor_for_every_estimator(method):
    want = R_OUT["permutest"]["results"][method]
    d, yi, vi = _bcg()
    i0 = np.asarray(R_OUT["permutest"]["rows_intercept"]) - 1
    f0 = rma(yi[i0], vi[i0], method=method)
    p0 = eng.permutest(f0, exact=True)
    assert p0.iterations == 2**10
    assert p0.pval_coef[0] == pytest.approx(want["intercept_pval"], abs=1e-12)
    i1 = np.asarray(R_OUT["permutest"]["rows_mods"]) - 1
    f1 = rma(yi[i1], vi[i1], d.loc[i1, ["ablat"]].to_numpy(), method=method)
    assert f1.QM == pytest.approx(want["mods_QM"], rel=1e-4)
    p1 = eng.permutest(f1, exact=True)
    assert p1.pval_QM == pytest.approx(want["mods_QMp"], abs=1e-12)
    assert p1.pval_coef == pytest.approx(want["mods_pval"], abs=1e-12)


def test_permutation_of_a_multilevel_fit_runs_and_is_reproducible():
    d = pd.read_csv(BREADTH / "data" / "konstantopoulos2011.csv").iloc[:24]
    f = rma_mv(d["yi"], d["vi"], [d["district"], d["school"]], d[["year"]].to_numpy())
    a = eng.permutest(f, iterations=19, seed=3)
    b = eng.permutest(f, iterations=19, seed=3)
    assert a.pval_QM == b.pval_QM and 1 / 20 <= a.pval_QM <= 1


# ---------------------------------------------------------------- predict / blup / fitstats / MH


def test_predict_multilevel_with_transf_matches_metafor():
    want = R_OUT["predict_mv_exp"]
    d = pd.read_csv(BREADTH / "data" / "konstantopoulos2011.csv")
    f = rma_mv(d["yi"], d["vi"], [d["district"], d["school"]], d[["year"]].to_numpy(), test="t")
    p = predict(f, np.asarray(want["newmods"])[:, None], transf="exp")
    for key in ("pred", "ci_lb", "ci_ub", "pi_lb", "pi_ub"):
        assert getattr(p, key) == pytest.approx(want[key], rel=1e-4), key


def test_blup_and_ranef_under_knha_match_metafor():
    want = R_OUT["blup_knha"]
    _, yi, vi = _bcg()
    f = rma(yi, vi, test="knha")
    b, u = blup(f), ranef(f)
    assert b.pred == pytest.approx(want["pred"], rel=1e-5)
    assert b.se == pytest.approx(want["se"], rel=1e-5)
    assert b.pi_lb == pytest.approx(want["pi_lb"], rel=1e-5)
    assert u.pred == pytest.approx(want["ranef_pred"], rel=1e-5)
    assert u.se == pytest.approx(want["ranef_se"], rel=1e-5)


def test_fitstats_of_ee_and_dl_fits_match_metafor():
    d, yi, vi = _bcg()
    got = fitstats(rma(yi, vi, method="EE"))
    assert [got.logLik, got.deviance, got.AIC, got.BIC, got.AICc] == pytest.approx(R_OUT["fitstats"]["EE"], rel=1e-8)
    got = fitstats(rma(yi, vi, d[["ablat"]].to_numpy(), method="DL"))
    assert [got.logLik, got.deviance, got.AIC, got.BIC, got.AICc] == pytest.approx(
        R_OUT["fitstats"]["DL_ablat"], rel=1e-8
    )


def test_mh_with_group_sizes_and_uncorrected_cmh_match_metafor():
    d, _, _ = _bcg()
    r = rma_mh("RR", ai=d["tpos"], n1i=d["tpos"] + d["tneg"], ci=d["cpos"], n2i=d["cpos"] + d["cneg"])
    assert r.beta == pytest.approx(R_OUT["mh"]["RR_beta"], rel=1e-10)
    assert r.se == pytest.approx(R_OUT["mh"]["RR_se"], rel=1e-10)
    o = rma_mh("OR", ai=d["tpos"], bi=d["tneg"], ci=d["cpos"], di=d["cneg"], correct=False)
    assert o.MH == pytest.approx(R_OUT["mh"]["OR_MH_uncorrected"], rel=1e-10)
    assert o.MHp == pytest.approx(R_OUT["mh"]["OR_MHp_uncorrected"], rel=1e-8)


# ---------------------------------------------------------------- bad input, summaries, frames


def test_bad_input_gives_one_clear_message():
    with pytest.raises(InputError, match="unknown measure 'XX'"):
        rma_mh("XX", ai=[1], bi=[1], ci=[1], di=[1])
    with pytest.raises(InputError, match="counts must be >= 0"):
        rma_peto([1, -1], [2, 2], [3, 3], [4, 4])
    with pytest.raises(InputError, match="share the same cluster and obs"):
        vcalc([0.1, 0.2, 0.3], [1, 1, 2], obs=[1, 1, 1], rho=0.5)
    with pytest.raises(InputError, match="rho must lie between"):
        vcalc([0.1, 0.2], [1, 1], rho=1.5)
    _, yi, vi = _bcg()
    f = rma(yi, vi)
    with pytest.raises(InputError, match="L has 2 column"):
        anova(f, L=[[1, 0]])
    with pytest.raises(InputError, match="either a reduced model"):
        anova(f)
    with pytest.raises(ModelError, match="REML fits with different moderators"):
        anova(rma(yi, vi, np.arange(yi.size, dtype=float)), f)
    with pytest.raises(InputError, match="newmods has 3 column"):
        predict(f, [[1.0, 2.0, 3.0]])
    with pytest.raises(InputError, match="steps must be p-values"):
        selmodel(f, steps=[1.5])
    with pytest.raises(InputError, match="person-time must be > 0"):
        escalc("IRR", x1i=[1], t1i=[0], x2i=[1], t2i=[10])


def test_every_new_result_has_summary_and_frame():
    d, yi, vi = _bcg()
    f = rma(yi, vi)
    fm = rma(yi, vi, d[["ablat"]].to_numpy(), method="ML")
    f0 = rma(yi, vi, method="ML")
    k = pd.read_csv(BREADTH / "data" / "konstantopoulos2011.csv").iloc[:30]
    mv = rma_mv(k["yi"], k["vi"], [k["district"], k["school"]])
    results = [
        rma_mh("OR", ai=d["tpos"], bi=d["tneg"], ci=d["cpos"], di=d["cneg"]),
        rma_peto(d["tpos"], d["tneg"], d["cpos"], d["cneg"]),
        fitstats(f),
        anova(fm, f0),
        anova(fm, L=[[0, 1]]),
        predict(fm, [[10.0], [40.0]]),
        blup(f),
        ranef(f),
        influence_mv(mv),
        confint_mv(mv),
        selmodel(rma(-yi, vi), steps=[0.025]),
    ]
    for r in results:
        text = r.summary()
        assert isinstance(text, str) and len(text.splitlines()) >= 2
        frame = r.to_frame()
        assert len(frame) >= 1 and frame.shape[1] >= 3


def test_known_v_with_zero_correlation_equals_independent_sampling_errors():
    """vcalc(rho = 0) is diag(vi): the rma.mv.V fit equals the plain multilevel fit."""
    d = pd.read_csv(BREADTH / "data" / "konstantopoulos2011.csv")
    a = rma_mv(d["yi"], d["vi"], [d["district"], d["school"]])
    b = rma_mv(d["yi"], d["vi"], [d["district"], d["school"]], V=vcalc(d["vi"], d["district"], obs=d["school"], rho=0))
    assert b.beta == pytest.approx(a.beta, rel=1e-10) and b.sigma2 == pytest.approx(a.sigma2, rel=1e-8)


# ---------------------------------------------------------------- item 10: pipeline wiring


def _pipeline_spec(analysis_id, **extra):
    from evsynth.pipeline.config import analysis_by_id, load_config, validate_config

    cfg = load_config(Path(__file__).resolve().parents[1] / "config.yaml")
    spec = dict(analysis_by_id(cfg, analysis_id))
    spec.update(extra)
    cfg2 = {**cfg, "analyses": [spec]}
    validate_config(cfg2)  # the new keys pass the schema
    return spec


def _pipeline_tables(spec):
    import os

    from evsynth.pipeline.dataset import dataset_effects
    from evsynth.pipeline.diagnose import diagnostic_tables
    from evsynth.pipeline.job import AnalysisJob

    root = Path(__file__).resolve().parents[1]
    old = os.getcwd()
    os.chdir(root)
    try:
        eff = dataset_effects(spec)
    finally:
        os.chdir(old)
    job = AnalysisJob(eff, spec, 95.0, seed=1)
    return eff, job.fit, diagnostic_tables(job)


def test_config_asks_for_selection_model_comparison_and_predictions():
    spec = _pipeline_spec(
        "landenberger2005",
        diagnostics=["selmodel", "model_comparison", "predictions"],
        selmodel_steps=[0.025, 0.5],
        predict_at={"sessions": [1.0, 3.0]},
    )
    eff, fit, t = _pipeline_tables(spec)
    sel = selmodel(fit, steps=[0.025, 0.5])
    assert t["selmodel"]["estimate"].iloc[0] == pytest.approx(float(sel.beta[0]), rel=1e-9)
    assert [c for c in t["selmodel"].columns if c.startswith("delta_")] == [
        "delta_p_0_0.025",
        "delta_p_0.025_0.5",
        "delta_p_0.5_1",
    ]
    mc = t["model_comparison"].set_index("moderator")
    assert {"sessions", "design", "group"} <= set(mc.index)
    assert (mc["LRT"] >= 0).all() and (mc["pval"] <= 1).all()
    pr = t["predictions"]
    assert pr["value"].tolist() == [1.0, 3.0] and (pr["pred_exp"] == np.exp(pr["pred"])).all()
    assert (pr["ci_lb"] < pr["pred"]).all() and (pr["pi_lb"] <= pr["ci_lb"]).all()


def test_config_asks_for_correlated_effects_sensitivity():
    spec = _pipeline_spec("assink2016", diagnostics=["correlated_effects", "egger"], rho_values=[0.0, 0.6])
    eff, fit, t = _pipeline_tables(spec)
    ce = t["correlated_effects"]
    assert ce["rho"].tolist() == [0.0, 0.6]
    # rho = 0 is the declared model itself
    assert ce["estimate"].iloc[0] == pytest.approx(fit.estimate, rel=1e-8)
    assert ce["clusters"].iloc[0] == eff["study"].nunique()
    assert "egger" in t["diagnostic_notes"]["diagnostic"].tolist()
