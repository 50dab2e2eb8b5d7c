"""Issue 15 item 10: the pipeline uses the new verbs.  The shipped analyses ask for
Mantel-Haenszel pooling (ifps2002, landenberger2005), model comparison (vanderpol2017,
ahrq2015), predictions at stated moderator values and the correlated-effects grid
(vanderpol2017) and the selection model (landenberger2005); the written tables are compared
with metafor run on the same data files (tests/r/uses.R -> tests/r/uses_metafor.json), and the
report's sections with those tables."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT

R = json.loads((ROOT / "tests" / "r" / "uses_metafor.json").read_text(encoding="utf-8"))
TOL = dict(rel=1e-5, abs=1e-7)


def _diag(first_run, aid, name) -> pd.DataFrame:
    return pd.read_csv(first_run / "results" / aid / "diagnostics" / f"{name}.csv")


# ---------------------------------------------------------------- tables written by the pipeline


def test_effects_table_keeps_the_counts(first_run):
    eff = pd.read_csv(first_run / "results" / "ifps2002" / "effects.csv")
    src = pd.read_csv(ROOT / "data" / "ifps2002" / "placement_trials.csv")
    for a, c in {
        "ai": "placed_exp_used",
        "bi": "notplaced_exp_used",
        "ci": "placed_ctrl_used",
        "di": "notplaced_ctrl_used",
    }.items():
        assert eff[a].tolist() == src[c].astype(float).tolist()


@pytest.mark.parametrize("aid", ["ifps2002", "landenberger2005"])
def test_mantel_haenszel_table_matches_metafor(first_run, aid):
    t = _diag(first_run, aid, "mh").iloc[0]
    r = R[f"{aid}_mh"]
    assert t["k"] == r["k"] and t["method"] == "MH"
    for ours, theirs in [
        ("estimate", "estimate"),
        ("se", "se"),
        ("zval", "zval"),
        ("pval", "pval"),
        ("ci_lb", "ci_lb"),
        ("ci_ub", "ci_ub"),
        ("QE", "QE"),
        ("QEp", "QEp"),
        ("I2", "I2"),
        ("MH", "CMH"),
        ("MHp", "CMHp"),
        ("TA", "TA"),
        ("TAp", "TAp"),
    ]:
        if r[theirs] is None:
            assert pd.isna(t[ours]), ours
        else:
            assert t[ours] == pytest.approx(r[theirs], rel=1e-6, abs=1e-12), ours
    assert t["estimate_exp"] == pytest.approx(np.exp(r["estimate"]), rel=1e-9)


def test_model_comparison_table_matches_metafor(first_run):
    t = _diag(first_run, "vanderpol2017", "model_comparison").set_index("moderator")
    assert list(t.index) == [r["moderator"] for r in R["vanderpol2017_model_comparison"]]
    for r in R["vanderpol2017_model_comparison"]:
        row = t.loc[r["moderator"]]
        assert row["k"] == r["k"] and row["df"] == r["df"]
        for c in (
            "logLik_with",
            "logLik_without",
            "AIC_with",
            "AIC_without",
            "BIC_with",
            "BIC_without",
            "AICc_with",
            "AICc_without",
            "LRT",
            "pval",
        ):
            assert row[c] == pytest.approx(r[c], **TOL), (r["moderator"], c)
    # the shipped primary analysis of family programmes also compares its moderators
    a = _diag(first_run, "ahrq2015", "model_comparison").set_index("moderator")
    assert list(a.index) == [r["moderator"] for r in R["ahrq2015_model_comparison"]]
    for r in R["ahrq2015_model_comparison"]:
        row = a.loc[r["moderator"]]
        assert row["k"] == r["k"] and row["df"] == r["df"]
        for c in ("AIC_with", "AIC_without", "LRT", "pval"):
            assert row[c] == pytest.approx(r[c], **TOL), (r["moderator"], c)


def test_predictions_table_matches_metafor(first_run):
    t = _diag(first_run, "vanderpol2017", "predictions")
    exp = R["vanderpol2017_predictions"]
    assert t["value"].tolist() == [r["value"] for r in exp]
    for i, r in enumerate(exp):
        for c in ("pred", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub"):
            assert t[c].iloc[i] == pytest.approx(r[c], **TOL), (i, c)


def test_correlated_effects_table_matches_metafor_and_clubsandwich(first_run):
    t = _diag(first_run, "vanderpol2017", "correlated_effects")
    exp = R["vanderpol2017_correlated_effects"]
    assert t["rho"].tolist() == [r["rho"] for r in exp]
    for i, r in enumerate(exp):
        for c in (
            "estimate",
            "se",
            "ci_lb",
            "ci_ub",
            "pval",
            "robust_se",
            "robust_df",
            "robust_pval",
            "robust_ci_lb",
            "robust_ci_ub",
        ):
            assert t[c].iloc[i] == pytest.approx(r[c], rel=1e-4, abs=1e-6), (r["rho"], c)
        assert t["sigma2_Study_ID"].iloc[i] == pytest.approx(r["sigma2_1"], rel=1e-3, abs=1e-6)
        assert t["sigma2_Study_ID/Number"].iloc[i] == pytest.approx(r["sigma2_2"], rel=1e-3, abs=1e-6)


def _selmodel_matches(t, r, rel):
    """The selmodel.csv row ``t`` against metafor's ``selmodel`` (tests/r/uses.R): estimates,
    LRT, and the standard errors and intervals from metafor's numDeriv Hessian."""
    for ours, theirs in [
        ("estimate", "estimate"),
        ("se", "se"),
        ("zval", "zval"),
        ("pval", "pval"),
        ("ci_lb", "ci_lb"),
        ("ci_ub", "ci_ub"),
        ("tau2", "tau2"),
        ("se_tau2", "se_tau2"),
        ("LRT", "LRT"),
        ("LRTp", "LRTp"),
    ]:
        assert t[ours] == pytest.approx(r[theirs], rel=rel, abs=1e-7), ours
    bands = [c.removeprefix("delta_") for c in t.index if c.startswith("delta_p_")]
    assert len(bands) == len(r["delta"])
    for j, band in enumerate(bands):
        for ours, theirs in [
            ("delta", "delta"),
            ("se_delta", "se_delta"),
            ("ci_lb_delta", "delta_ci_lb"),
            ("ci_ub_delta", "delta_ci_ub"),
        ]:
            if r[theirs][j] is None:  # the first weight is fixed at 1
                assert pd.isna(t[f"{ours}_{band}"]), (ours, band)
            else:
                assert t[f"{ours}_{band}"] == pytest.approx(r[theirs][j], rel=rel, abs=1e-7), (ours, band)


def test_selection_model_table_matches_metafor(first_run):
    """The shipped one-cut model against metafor's defaults: estimates and standard errors agree
    to about 1e-6 (relative); the Hessians (central differences here, numDeriv's Richardson
    extrapolation in metafor) agree to that order at the same estimates."""
    t = _diag(first_run, "landenberger2005", "selmodel").iloc[0]
    r = R["landenberger2005_selmodel"]
    assert t["k"] == r["k"] == 58
    _selmodel_matches(t, r, rel=1e-5)
    assert t["delta_p_0.025_1"] == pytest.approx(r["delta_2"], rel=1e-5)
    assert t["estimate_exp"] == pytest.approx(np.exp(r["estimate"]), rel=1e-5)
    # beside trim-and-fill and PET-PEESE
    for name in ("trimfill", "pet_peese"):
        assert (first_run / "results" / "landenberger2005" / "diagnostics" / f"{name}.csv").exists()


# ---------------------------------------------------------------- the report


def _section(text: str, sid: str) -> str:
    start = text.index(f'<h3 id="{sid}">')
    nxt = re.search(r"<h[23] id=", text[start + 5 :])
    part = text[start : start + 5 + nxt.start()] if nxt else text[start:]
    inline = re.sub(r'<span class="num"[^>]*>([^<]*)</span>|</?(?:i|b|code)>', r"\1", part)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def test_report_shows_the_sensitivity_analyses_with_their_numbers(first_run):
    text = (first_run / "results" / "appendix.html").read_text(encoding="utf-8")
    mh = _section(text, "ifps2002-mh")
    r = R["ifps2002_mh"]
    assert "assumes one common effect" in mh
    assert (
        f"Mantel-Haenszel risk ratio {np.exp(r['estimate']):.2f} (95% CI {np.exp(r['ci_lb']):.2f} to "
        f"{np.exp(r['ci_ub']):.2f}, p = {r['pval']:.3f}) against"
    ) in mh
    assert "both intervals include no effect" in mh
    lmh = _section(text, "landenberger2005-mh")
    l = R["landenberger2005_mh"]
    assert f"Tarone's test of equal odds ratios in all studies: {l['TA']:.2f} (p < 0.001)" in lmh
    cmp = _section(text, "vanderpol2017-model-comparison")
    for r in R["vanderpol2017_model_comparison"]:
        assert f"AIC {r['AIC_with']:.2f} with it, {r['AIC_without']:.2f} without" in cmp
    assert "% severe cannabis users (severity): AIC 22.61 with it, 22.99 without" in cmp
    pr = _section(text, "vanderpol2017-predictions")
    p0, p3 = R["vanderpol2017_predictions"][0], R["vanderpol2017_predictions"][-1]
    assert (
        f"at 20 the predicted effect is {p0['pred']:.2f} (95% CI {p0['ci_lb']:.2f} to {p0['ci_ub']:.2f}), "
        f"at 100 it is {p3['pred']:.2f}"
    ) in pr
    ce = _section(text, "vanderpol2017-correlated")
    est = [r["estimate"] for r in R["vanderpol2017_correlated_effects"]]
    assert f"the estimate ranges from {min(est):.2f} (rho = 0.8) to {max(est):.2f} (rho = 0.0)" in ce
    assert "excludes no effect at every assumed correlation" in ce
    sel = _section(text, "landenberger2005-selmodel")
    s = R["landenberger2005_selmodel"]
    assert f"Corrected estimate {np.exp(s['estimate']):.2f}" in sel
    assert (
        f"studies with one-sided p from 0.025 to 1: {s['delta_2']:.2f} (above 1: if anything more likely to be "
        "published"
    ) in sel
    assert f"{s['LRT']:.2f} (p = {s['LRTp']:.3f})" in sel and "trim-and-fill" in sel and "PE" in sel
    # the bubble plot with the predictions is in the report
    # (captions name the moderator and the analysis title from the config, issue 17)
    assert (
        "Bubble plot of the effect against % severe cannabis users (severity): Multidimensional family therapy "
        "(MDFT) versus other therapy"
    ) in html.unescape(text)


def test_report_sections_in_the_pdf_edition(first_run):
    from test_pipeline import _pdf_text, _words

    pdf = _words(_pdf_text(first_run / "results" / "appendix.pdf"))
    for title in (
        "Mantel-Haenszel pooling of the counts (common-effect check)",
        "Does a moderator improve the model? (likelihood-ratio test, AIC)",
        "Predicted effect at stated moderator values",
        "Correlated sampling errors within a study (sensitivity over rho)",
        "Selection-model sensitivity (publication bias)",
    ):
        assert title in pdf, title


# ---------------------------------------------------------------- config and small cases (no pipeline run)


def _spec(aid, **extra):
    from test_breadth import _pipeline_spec

    return _pipeline_spec(aid, **extra)


def _tables(spec):
    from test_breadth import _pipeline_tables

    return _pipeline_tables(spec)[2]


def test_mh_follows_a_flipped_direction():
    """With flip: true the analysis scale is the negated log risk ratio: metafor's MH estimate
    negated and its interval mirrored."""
    spec = _spec("ifps2002", direction={"rule": "flipped for the test", "flip": True})
    t = _tables(spec)["mh"].iloc[0]
    r = R["ifps2002_mh"]
    assert t["estimate"] == pytest.approx(-r["estimate"], rel=1e-6) and bool(t["flipped"])
    assert (t["ci_lb"], t["ci_ub"]) == (pytest.approx(-r["ci_ub"], rel=1e-6), pytest.approx(-r["ci_lb"], rel=1e-6))


def test_peto_on_counts_matches_metafor():
    """Peto's odds ratio of the four placement trials (tests/r/uses.R: rma.peto on the counts of
    data/ifps2002/placement_trials.csv).  The engine on the counts: the pipeline refuses peto on
    ifps2002, a risk-ratio analysis (test_peto_is_refused_on_a_risk_ratio_analysis)."""
    from evsynth.engine import rma_peto

    p = pd.read_csv(ROOT / "data" / "ifps2002" / "placement_trials.csv")
    r = rma_peto(p["placed_exp_used"], p["notplaced_exp_used"], p["placed_ctrl_used"], p["notplaced_ctrl_used"])
    t = r.to_frame().iloc[0]
    assert t["method"] == "PETO" and t["k"] == 4
    assert t["estimate"] == pytest.approx(R["ifps2002_peto"]["estimate"], rel=1e-6)
    assert t["se"] == pytest.approx(R["ifps2002_peto"]["se"], rel=1e-6)


def test_peto_table_of_the_shipped_analysis_matches_metafor(first_run):
    """landenberger2005 (an odds-ratio analysis) ships diagnostic peto: its table against
    metafor's rma.peto on the counts of data/external/landenberger2005.csv (tests/r/uses.R)."""
    t = _diag(first_run, "landenberger2005", "peto").iloc[0]
    r = R["landenberger2005_peto"]
    assert t["method"] == "PETO" and t["k"] == r["k"] == 58 and not bool(t["flipped"])
    for c in ("estimate", "se", "zval", "pval", "ci_lb", "ci_ub", "QE", "QEp", "I2"):
        assert t[c] == pytest.approx(r[c], rel=1e-6, abs=1e-12), c
    assert t["estimate_exp"] == pytest.approx(np.exp(r["estimate"]), rel=1e-9)
    text = (first_run / "results" / "appendix.html").read_text(encoding="utf-8")
    sec = _section(text, "landenberger2005-peto")
    assert (
        f"Peto odds ratio {np.exp(r['estimate']):.2f} (95% CI {np.exp(r['ci_lb']):.2f} to "
        f"{np.exp(r['ci_ub']):.2f}, p < 0.001) against"
    ) in sec
    assert "observed minus expected" in sec and "Mantel-Haenszel one is the better" in sec


def test_peto_is_refused_on_a_risk_ratio_analysis():
    """Peto's odds ratio beside a random-effects risk ratio would compare two scales: the config
    check refuses it, naming the key, the measure found and what to use instead."""
    from evsynth.errors import ConfigError
    from evsynth.pipeline.config import analysis_by_id, load_config, validate_config

    cfg = load_config(ROOT / "config.yaml")
    spec = {**analysis_by_id(cfg, "ifps2002"), "diagnostics": ["mh", "peto"]}
    with pytest.raises(
        ConfigError,
        match=re.escape("config.yaml: analyses[0].diagnostics: peto pools 2x2 counts into Peto's odds ratio")
        + ".*"
        + re.escape("must be an odds ratio (OR or PETO); found RR. For a risk ratio or risk difference use mh"),
    ):
        validate_config({**cfg, "analyses": [spec]})


def test_two_cut_selection_model_matches_metafor():
    """Cut points .025 and .5 (a config variant of landenberger2005) against metafor with
    reltol = 1e-14 (tests/r/uses.R: with optim's default reltol metafor stops about 1e-5 short
    in beta and tau2 on this flat likelihood, and its standard errors move with it)."""
    t = _tables(_spec("landenberger2005", diagnostics=["selmodel"], selmodel_steps=[0.025, 0.5]))["selmodel"]
    _selmodel_matches(t.iloc[0], R["landenberger2005_selmodel_2cuts"], rel=1e-5)


def test_selection_model_below_the_minimum_is_not_fitted_but_noted():
    from evsynth.pipeline.diagnose import SELMODEL_MIN_K

    t = _tables(_spec("aloe2013", diagnostics=["selmodel"]))
    assert "selmodel" not in t
    note = t["diagnostic_notes"].set_index("diagnostic").loc["selmodel", "note"]
    assert note == f"not fitted: 5 studies, fewer than the {SELMODEL_MIN_K} a selection model needs"


@pytest.mark.parametrize(
    "extra, message",
    [
        (
            {"id": "barlow2014", "diagnostics": ["mh"]},
            "mh pools counts; effect.measure must be OR, RR, RD, IRR or IRD (found yi/vi)",
        ),
        ({"id": "barlow2014", "diagnostics": ["peto"]}, "peto pools 2x2 counts"),
        (
            {"id": "vanderpol2017", "predict_at": {"Outcome_measure": [1]}},
            "'Outcome_measure' is not a numeric moderator",
        ),
        (
            {"id": "vanderpol2017", "diagnostics": ["predictions"], "predict_at": None},
            "predict_at: diagnostic predictions needs",
        ),
        ({"id": "barlow2014", "diagnostics": ["correlated_effects"]}, "correlated_effects needs a multilevel model"),
        ({"id": "barlow2014", "diagnostics": ["model_comparison"]}, "model_comparison compares models"),
        ({"id": "ifps2002", "diagnostics": ["predict"]}, "diagnostics"),
    ],
)
def test_config_validator_names_the_key(extra, message):
    from evsynth.errors import ConfigError
    from evsynth.pipeline.config import analysis_by_id, load_config, validate_config

    cfg = load_config(ROOT / "config.yaml")
    spec = {**analysis_by_id(cfg, extra["id"]), **{k: v for k, v in extra.items() if k != "id"}}
    spec = {k: v for k, v in spec.items() if v is not None}
    with pytest.raises(ConfigError, match=re.escape(message)):
        validate_config({**cfg, "analyses": [spec]})


def test_bubble_plot_marks_the_predictions():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.container import ErrorbarContainer

    from evsynth.present import plots
    from evsynth.present.figures import _with_predictions

    preds = pd.DataFrame(
        [
            {
                "moderator": r["moderator"],
                "value": r["value"],
                "pred": r["pred"],
                "ci_lb": r["ci_lb"],
                "ci_ub": r["ci_ub"],
            }
            for r in R["vanderpol2017_predictions"]
        ]
    )
    fig = plots.bubble_plot(
        [0, 50, 100],
        [0.1, 0.3, 0.5],
        [1, 1, 1],
        [0, 100],
        [0.2, 0.4],
        [0.1, 0.3],
        [0.3, 0.5],
        title="t",
        xlabel="x",
        ylabel="y",
    )
    fig = _with_predictions(fig, preds, "Per_Severe_cannabis_users", 95.0)
    bars = [c for c in fig.axes[0].containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 1
    line = bars[0].lines[0]
    assert list(line.get_xdata()) == [20, 50, 80, 100]
    assert list(line.get_ydata()) == pytest.approx([r["pred"] for r in R["vanderpol2017_predictions"]])
    assert "predicted at stated values (95% CI)" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    # no predictions table for the moderator: the plot is unchanged
    fig2 = plots.bubble_plot([0, 1], [0, 1], [1, 1], [0, 1], [0, 1], [0, 1], [0, 1], title="t", xlabel="x", ylabel="y")
    assert not _with_predictions(fig2, pd.DataFrame(), "x", 95.0).axes[0].containers


def test_report_says_when_the_selection_model_was_not_fitted(tmp_path):
    """Below the minimum number of studies the report's selection-model section says so
    (from the diagnostics notes the pipeline wrote) instead of showing a fit."""
    from evsynth.present.context import Tables, _analysis_context
    from evsynth.present.document import plain_text
    from evsynth.present.sections.sensitivity import sensitivity_sections

    spec = _spec("aloe2013", diagnostics=["selmodel", "leave1out"])
    d = tmp_path / "aloe2013" / "diagnostics"
    d.mkdir(parents=True)
    from evsynth import catalog

    for name, t in _tables(spec).items():
        t.to_csv(tmp_path / catalog.path(name, analysis="aloe2013"), index=False)
    T = Tables(tmp_path)
    a = _analysis_context(spec, T, tmp_path)
    secs = sensitivity_sections(a, {"T": T, "level": 95})
    assert [s.id for s in secs] == ["aloe2013-selmodel"]
    text = " ".join(plain_text(b.text) for b in secs[0].blocks)
    assert "Not fitted: 5 studies, fewer than the 20 a selection model needs." in text


def test_count_column_named_like_a_config_column_is_refused_with_its_name():
    from evsynth.pipeline.dataset import compute_effects
    from evsynth.pipeline.io import TableProblems

    data = pd.DataFrame(
        {"study": ["a", "b"], "x1": [5, 6], "x2": [10, 9], "x3": [4, 7], "x4": [11, 8], "ci": ["1", "2"]}
    )
    spec = {
        "id": "t",
        "study_label": "study",
        "effect": {"measure": "OR", "columns": {"ai": "x1", "bi": "x2", "ci": "x3", "di": "x4"}},
        "direction": {"rule": "r", "flip": False},
        "model": {"type": "univariate", "method": "REML", "test": "z"},
        "subgroups": ["ci"],
    }
    with pytest.raises(TableProblems, match=re.escape("column 'ci' of the effects table holds the count ci")):
        compute_effects(data, spec, "data.csv")
