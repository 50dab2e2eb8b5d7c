"""One drawing layer (issue 26 item 3, issue 22 item 6, issue 27): the report's forest, funnel and
bubble plots and the plotting verbs go through the same functions of evsynth.draw, with what
they draw checked against the result tables (the report) and against metafor (the verbs:
tests/r/frontend.json, tests/r/regplot.json); the figures stage's declared limit on the rows a
forest draws and its note; the Dutch figures (texts from the catalog, decimal comma)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402

import evsynth.draw  # noqa: E402
from conftest import ROOT  # noqa: E402
from evsynth import escalc, forest, funnel, regplot, rma  # noqa: E402
from evsynth.errors import InputError  # noqa: E402
from evsynth.pipeline import stages  # noqa: E402
from evsynth.pipeline.config import analysis_by_id, load_config  # noqa: E402
from evsynth.present import i18n, plots  # noqa: E402
from evsynth.present.figures import analysis_figures  # noqa: E402

HERE = ROOT / "tests" / "r"
FRONT = json.loads((HERE / "frontend.json").read_text(encoding="utf-8"))
REG = json.loads((HERE / "regplot.json").read_text(encoding="utf-8"))
AID = "landenberger2005"  # univariate, a subgroup variable, four numeric moderators, 58 rows


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """The effects and fit stages of one shipped analysis, run into a temporary folder."""
    tmp = tmp_path_factory.mktemp("draw")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        mp.setenv("EVSYNTH_ALLOW_DIRS", str(tmp))
        cfg = load_config(ROOT / "config.yaml")
        res = tmp / "results" / AID
        stages.run_effects(cfg, AID, res / "effects.csv")
        stages.run_fit(cfg, AID, res / "effects.csv", res)
    return cfg, tmp, res


@pytest.fixture
def bcg():
    d = pd.read_csv(HERE / "dat_bcg.csv")
    return escalc("RR", ai="tpos", bi="tneg", ci="cpos", di="cneg", data=d)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def spy(monkeypatch, name):
    """Record every call of evsynth.draw.<name> (the function both the report and the verbs call):
    its positional arguments and keywords and the Axes it drew on."""
    calls = []
    real = getattr(evsynth.draw, name)

    def wrapper(ax, *args, **kw):
        calls.append((ax, args, kw))
        return real(ax, *args, **kw)

    monkeypatch.setattr(evsynth.draw, name, wrapper)
    return calls


def drawn(ax, label):
    return [a for a in ax.get_children() if a.get_label() in (label, "_" + label)]


def figures_of(res, out, **kw):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EVSYNTH_ALLOW_DIRS", str(out.parent.parent))
        spec = analysis_by_id(load_config(ROOT / "config.yaml"), AID)
        analysis_figures(spec, res, out, **kw)


# ------------------------------------------------------------------------------ forest


def test_report_and_verb_draw_their_forests_with_one_function(results, monkeypatch, bcg):
    cfg, tmp, res = results
    calls = spy(monkeypatch, "forest")
    figures_of(res, tmp / "figures" / AID)
    table = pd.read_csv(res / "figure_forest.csv")
    het = pd.read_csv(res / "heterogeneity.csv").iloc[0]
    overall = [c for c in calls if "by" not in c[0].figure.get_suptitle()]
    assert len(overall) == 2  # 58 rows + the pooled rows: two pages of at most 40
    rows = [r for ax, (rs,), _ in overall for r in rs if r.kind == "study"]
    np.testing.assert_array_equal([r.est for r in rows], table["yi"])
    np.testing.assert_array_equal([r.lo for r in rows], table["ci_lb"])
    np.testing.assert_array_equal([r.hi for r in rows], table["ci_ub"])
    for ax, (rs,), _ in overall:  # what was drawn is what the table holds, page by page
        mine = [r for r in rs if r.kind == "study"]
        np.testing.assert_allclose(drawn(ax, "studies")[0].get_offsets()[:, 0], [r.est for r in mine])
        assert [tuple(line.get_xdata()) for line in drawn(ax, "ci")] == [(r.lo, r.hi) for r in mine]
    diamond = drawn(overall[-1][0], "summary")[0].get_xy()[:4, 0]
    np.testing.assert_allclose(sorted(diamond), sorted([het["ci_lb"], het["estimate"], het["estimate"], het["ci_ub"]]))
    # the subgroup forest: one diamond per group from subgroups.csv
    sub = pd.read_csv(res / "subgroups.csv")
    by = [c for c in calls if "by" in c[0].figure.get_suptitle()]
    diamonds = [r for _, (rs,), _ in by for r in rs if r.kind == "summary" and not r.main]
    np.testing.assert_allclose(sorted(r.est for r in diamonds), sorted(sub["estimate"]))
    # the verb: the same function, metafor's intervals (forest(res) of dat.bcg)
    calls.clear()
    fig = forest(rma(bcg))
    assert len(calls) == 1 and calls[0][0] is fig.axes[0]
    study = [r for r in calls[0][1][0] if r.kind == "study"]
    np.testing.assert_allclose([r.lo for r in study], FRONT["escalc_rr"]["ci_lb"], rtol=1e-7)
    np.testing.assert_allclose(drawn(fig.axes[0], "studies")[0].get_offsets()[:, 0], FRONT["escalc_rr"]["yi"])


@pytest.mark.filterwarnings("ignore:More than 20 figures")
def test_each_forest_page_draws_only_its_own_rows(monkeypatch):
    calls = spy(monkeypatch, "forest")
    k = 2000
    st = pd.DataFrame(
        {"label": [f"S{i}" for i in range(k)], "yi": np.linspace(-1, 1, k), "vi": 0.04, "weight": 100 / k}
    )
    st["ci_lb"], st["ci_ub"] = st["yi"] - 0.4, st["yi"] + 0.4
    pooled = {"estimate": 0.0, "ci_lb": -0.1, "ci_ub": 0.1, "label": "Pooled"}
    pages = plots.forest_pages(st, pooled, title="t", xlabel="x")
    assert len(pages) == len(calls) == 51
    assert max(len(rs) for _, (rs,), _ in calls) <= plots.MAX_FOREST_ROWS
    assert sum(r.kind == "study" for _, (rs,), _ in calls for r in rs) == k
    assert len({p.axes[0].get_xlim() for p in pages}) == 1  # one x axis over every page


# ------------------------------------------------------------------------------ funnel


def test_report_and_verb_draw_their_funnels_with_one_function(results, monkeypatch, bcg):
    cfg, tmp, res = results
    calls = spy(monkeypatch, "funnel")
    figures_of(res, tmp / "figures2" / AID)
    eff = pd.read_csv(res / "effects.csv")
    assert len(calls) == 1
    ax = calls[0][0]
    pts = drawn(ax, "studies")[0].get_offsets()
    np.testing.assert_allclose(pts[:, 0], eff["yi"])
    np.testing.assert_allclose(pts[:, 1], np.sqrt(eff["vi"]))
    contours = pd.read_csv(res / "figure_funnel.csv")
    assert sorted(c.z for c in calls[0][2]["contours"]) == sorted(contours["z"])
    calls.clear()
    fig = funnel(rma(bcg), contours=[90, 95, 99])
    assert len(calls) == 1 and calls[0][0] is fig.axes[0]
    np.testing.assert_allclose(drawn(fig.axes[0], "studies")[0].get_offsets()[:, 0], FRONT["funnel"]["x"])


# ------------------------------------------------------------------------------ bubble plot / regplot


@pytest.mark.parametrize("case, mods, test", [("ablat", "~ ablat", "z"), ("ablat_year", "~ ablat + year", "knha")])
def test_regplot_draws_what_metafor_regplot_draws(bcg, monkeypatch, case, mods, test):
    exp = REG[case]
    calls = spy(monkeypatch, "regplot")
    fig = regplot(rma("yi", "vi", mods=mods, data=bcg, test=test), mod="ablat", pi=True)
    assert len(calls) == 1
    got = fig.regplot
    np.testing.assert_allclose(got["psize"], exp["psize"], rtol=1e-10)
    np.testing.assert_allclose(got["pred"], exp["pred"], rtol=1e-6, atol=1e-9)
    pick = [0, 249, 499, 749, 999]  # metafor's grid points 1, 250, 500, 750, 1000
    np.testing.assert_allclose(got["xs"][pick], exp["xs"], rtol=1e-12)
    for key in ("line", "ci_lb", "ci_ub", "pi_lb", "pi_ub"):
        np.testing.assert_allclose(got[key][pick], exp[key], rtol=1e-6, atol=1e-9, err_msg=key)
    ax = fig.axes[0]
    np.testing.assert_allclose(drawn(ax, "studies")[0].get_offsets(), np.column_stack([exp["xi"], exp["yi"]]))
    np.testing.assert_allclose(drawn(ax, "pred")[0].get_ydata()[pick], exp["line"], rtol=1e-6)


def test_regplot_names_a_missing_or_unknown_moderator(bcg):
    two = rma("yi", "vi", mods="~ ablat + year", data=bcg)
    with pytest.raises(InputError, match="give mod="):
        regplot(two)
    with pytest.raises(InputError, match="'lat' is not a coefficient"):
        regplot(two, mod="lat")
    with pytest.raises(InputError, match="intercept"):
        regplot(two, mod=1)


def test_report_bubble_plots_draw_the_fit_stage_lines(results, monkeypatch):
    cfg, tmp, res = results
    calls = spy(monkeypatch, "regplot")
    figures_of(res, tmp / "figures3" / AID)
    lines = pd.read_csv(res / "figure_bubble.csv")
    assert len(calls) == lines["moderator"].nunique() == 4
    for (ax, args, _), (_, line) in zip(calls, lines.groupby("moderator", sort=False)):
        np.testing.assert_allclose(drawn(ax, "pred")[0].get_ydata(), line["pred"])


# ------------------------------------------------------------------------------ the limit


def test_a_forest_over_the_declared_limit_shows_the_pooled_result_and_says_so(results, monkeypatch):
    cfg, tmp, res = results
    calls = spy(monkeypatch, "forest")
    out = tmp / "figures_limited"
    limited = {**cfg, "limits": {**(cfg.get("limits") or {}), "forest_rows": 20}}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EVSYNTH_ALLOW_DIRS", str(tmp))
        stages.run_figures(limited, AID, tmp / "results", out)
    notes = pd.read_csv(out / AID / "figure_notes.csv")
    row = notes[notes["figure"] == "forest"].iloc[0]
    assert row["drawn"] == "pooled result only"
    assert "58 rows exceed the limit of 20" in row["reason"] and "limits.forest_rows" in row["reason"]
    assert f"{AID}/figure_forest.csv" in row["reason"]
    assert not any(r.kind == "study" for _, (rs,), _ in calls for r in rs)  # no study row drawn, anywhere
    assert (out / AID / "forest.png").is_file() and not (out / AID / "forest_page2.png").exists()
    # the Dutch edition shows the note in Dutch (the report words the English note)
    from evsynth.present.generated import words

    with i18n.language("nl"):
        nl = words(row["reason"])
        assert i18n.missing("nl") == []
    assert "overschrijden de grens van 20" in nl and "limits.forest_rows" in nl


def test_the_limit_is_declared_in_the_config_schema():
    from evsynth.errors import ConfigError
    from evsynth.pipeline.config import limits, validate_config

    cfg = load_config(ROOT / "config.yaml")
    assert limits(cfg)["forest_rows"] == 400
    validate_config({**cfg, "limits": {"forest_rows": 1000}})
    with pytest.raises(ConfigError, match="forest_rows"):
        validate_config({**cfg, "limits": {"forest_rows": 0}})


# ------------------------------------------------------------------------------ Dutch figures


def _svg_texts(path: Path) -> str:
    return " ".join(re.findall(r">([^<>]+)</text>", path.read_text(encoding="utf-8")))


def test_dutch_figures_have_dutch_labels_and_decimal_commas(results):
    cfg, tmp, res = results
    out = tmp / "figures_nl" / AID
    figures_of(res, out, languages=("en", "nl"))
    assert i18n.missing("nl") == []  # every text of these figures has a translation
    en, nl = _svg_texts(out / "forest.svg"), _svg_texts(out / "forest.nl.svg")
    assert "Study" in en and "Estimate [95% CI]" in en and "Weight" in en
    assert "Studie" in nl and "Effect [95%-BI]" in nl and "Gewicht" in nl and "Study " not in nl
    assert "logschaal; boven 1 = verbetering" in nl  # the axis label
    assert "(pagina 1 van 2)" in nl
    assert re.search(r"\d,\d\d \[\d,\d\d; \d,\d\d\]", nl) and not re.search(
        r"\d\.\d\d \[", nl
    )  # semicolon between bounds
    funnel_nl = _svg_texts(out / "funnel.nl.svg")
    assert "Standaardfout" in funnel_nl and "gepoolde schatting" in funnel_nl and "0,10" in funnel_nl
    bubble_nl = _svg_texts(out / "bubble_sessions.nl.svg")
    assert "sessies per week" in bubble_nl and "meta-regressie" in bubble_nl
    # the English figures are unchanged by the Dutch ones, and the same figures exist in both
    stems = {p.stem for p in out.glob("*.png")}
    assert {s for s in stems if "." not in s} == {s.removesuffix(".nl") for s in stems if s.endswith(".nl")}


def test_the_dutch_edition_reads_its_own_figures(results):
    """The report's context of an analysis: the English edition shows <name>.png, the Dutch
    <name>.nl.png (and the Dutch figure notes), in the same order."""
    from evsynth.present import context

    cfg, tmp, res = results
    out = tmp / "figures_ctx" / AID
    figures_of(res, out, languages=("en", "nl"))
    spec = analysis_by_id(cfg, AID)
    for lang, suffix in (("en", ""), ("nl", ".nl")):
        with i18n.language(lang):
            a = context._analysis_context(spec, context.Tables(tmp / "results"), out.parent)  # noqa: SLF001
        assert a["fig_suffix"] == suffix
        assert a["figs"][:3] == ["forest", "forest_page2", "forest_by_group"]
        assert all((a["fig_dir"] / f"{f}{a['fig_suffix']}.png").is_file() for f in a["figs"])


def test_every_dutch_figure_text_of_the_shipped_analyses_has_a_translation(first_run, tmp_path, monkeypatch):
    """The Dutch figures of every analysis of a full run: no text without a translation (the
    figures would show it in English; scripts/report_messages.py nl lists what is missing)."""
    from evsynth.pipeline.multiverse import dimensions

    monkeypatch.chdir(first_run)
    monkeypatch.setenv("EVSYNTH_ALLOW_DIRS", str(tmp_path))
    cfg = load_config(first_run / "config.yaml")
    missing, drawn_for = {}, []
    for spec in cfg["analyses"]:
        res = first_run / "results" / spec["id"]
        if not (res / "figure_forest.csv").is_file():
            continue
        dims = dimensions(spec) if spec.get("multiverse") else None
        analysis_figures(spec, res, tmp_path / spec["id"], multiverse_dimensions=dims, languages=["nl"])
        missing.update({m: spec["id"] for m in i18n.missing("nl")})
        drawn_for.append(spec["id"])
        assert (tmp_path / spec["id"] / "forest.nl.png").is_file()
    assert len(drawn_for) >= 8
    assert missing == {}
    # and the full run drew them too: the Dutch figures beside the English ones
    assert (first_run / "figures" / AID / "forest.nl.svg").is_file()


def test_the_evidence_gap_map_of_the_dutch_edition_is_in_dutch():
    """The one study figure of the main report: drawn again in Dutch (evidence_gap_map.nl.png)."""
    gap = pd.DataFrame(
        {
            "outcome_domain": ["parenting", "parenting"],
            "intervention_type": ["home visiting", "case management"],
            "n_studies": [3, 0],
            "n_rct": [2, 0],
            "n_quasi_experimental": [1, 0],
        }
    )
    with i18n.language("nl"):
        fig = plots.evidence_gap_map(gap)
        assert i18n.missing("nl") == []
    texts = [t.get_text() for t in fig.findobj(plt.Text)]
    assert "Type interventie" in texts and "Uitkomstdomein" in texts and "huisbezoeken" in texts
    assert "3\n(2 RCT, 1 QE)" in texts
    english = [t.get_text() for t in plots.evidence_gap_map(gap).findobj(plt.Text)]
    assert "Intervention type" in english and "home visiting" in english


def _study_figures_data():
    """Small inputs of the five other study figures (the review's own names and values)."""
    assess = pd.DataFrame(
        [
            {"study_id": s, "rater": "consensus", "item": it, "judgement": j}
            for s in ("S1", "S2")
            for it, j in zip("ABC", ("yes", "no", "unclear"))
        ]
    )
    summary = pd.DataFrame(
        {"item": list("ABC"), "yes": [2, 1, 0], "no": [0, 1, 1], "unclear": [0, 0, 1], "n": [2, 2, 2]}
    )
    studies = pd.DataFrame({"design": ["RCT", "RCT", "quasi-experimental"], "quality_score": [7, None, 5]})
    import yaml

    prisma = yaml.safe_load((ROOT / "data" / "holwerda2014" / "prisma.yaml").read_text())
    direction = pd.DataFrame(
        {
            "intervention_type": ["home visiting"],
            "outcome_domain": ["parenting"],
            "n_statements": [3],
            "n_study_rows": [2],
            "n_positive": [1],
            "n_none": [1],
            "n_negative": [0],
            "n_mixed": [0],
            "n_unknown": [1],
        }
    )
    return {
        "rob_traffic_light": lambda: plots.rob_traffic_light(assess),
        "rob_summary": lambda: plots.rob_summary(summary),
        "quality_by_design": lambda: plots.quality_histogram(studies),
        "prisma_flow": lambda: plots.prisma_diagram(prisma),
        "effect_direction": lambda: plots.effect_direction_plot(direction),
    }


def _all_texts(fig) -> str:
    texts = [t.get_text() for t in fig.findobj(plt.Text)]
    for ax in fig.axes:  # tick labels as drawn (formatters: the decimal mark)
        fig.canvas.draw()
        texts += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    plt.close(fig)
    return "\n".join(texts)


@pytest.mark.parametrize(
    "name, english, dutch",
    [
        (
            "rob_traffic_light",
            ["Quality items per study", "unclear"],
            ["Kwaliteitsitems per studie", "onduidelijk", "ja"],
        ),
        ("rob_summary", ["Share of studies (%)", "Judgement"], ["Aandeel van de studies (%)", "Oordeel", "nee"]),
        (
            "quality_by_design",
            ["Quality scores by design", "RCT (n = 1 scored, 1 without a score shown)"],
            ["Kwaliteitsscores per design", "RCT (n = 1 met score, 1 zonder getoonde score)", "quasi-experimenteel"],
        ),
        (
            "prisma_flow",
            ["Records screened (title/abstract)", "Identification", "other target group (andere doelgroep)"],
            ["Gescreende records (titel/samenvatting)", "Identificatie", "andere doelgroep: 275", "niet gerapporteerd"],
        ),
        (
            "effect_direction",
            ["Effect direction by intervention type", "home visiting | parenting (study rows: 2)", "positive"],
            ["Effectrichting per type interventie", "huisbezoeken", "(studierijen: 2)", "positief", "onbekend"],
        ),
    ],
)
def test_the_study_figures_of_the_dutch_edition_are_in_dutch(name, english, dutch):
    """The study figures of the technical appendix: drawn again in Dutch (<name>.nl.png), every
    fixed text translated, numbers with a decimal comma."""
    draw = _study_figures_data()[name]
    with i18n.language("nl"):
        nl = _all_texts(draw())
        assert i18n.missing("nl") == []
    en = _all_texts(draw())
    assert all(w in en for w in english), (name, en)
    assert all(w in nl for w in dutch), (name, nl)
    assert not any(w in nl for w in english if w not in dutch), (name, nl)
    assert not re.search(r"\d\.\d", nl.replace("figuur 2.1", "")), (name, nl)  # no decimal point in Dutch


def test_study_figures_draws_each_figure_in_every_other_language(tmp_path):
    from evsynth.present.figures import study_figures

    (tmp_path / "results").mkdir()
    # study_figures reads the item summary and the gap table from the results folder
    for sub in ("quality", "studies"):
        (tmp_path / "results" / sub).mkdir()
    pd.DataFrame({"item": list("AB"), "yes": [1, 0], "no": [0, 1], "unclear": [0, 0], "n": [1, 1]}).to_csv(
        tmp_path / "results" / "quality" / "item_summary.csv", index=False
    )
    pd.DataFrame(
        {
            "outcome_domain": ["parenting"],
            "intervention_type": ["home visiting"],
            "n_studies": [1],
            "n_rct": [1],
            "n_quasi_experimental": [0],
        }
    ).to_csv(tmp_path / "results" / "studies" / "evidence_gap.csv", index=False)
    import yaml

    study_figures(
        studies=pd.DataFrame({"design": ["RCT"], "quality_score": [7]}),
        assessments=pd.DataFrame(columns=["study_id", "rater", "item", "judgement"]),
        prisma=yaml.safe_load((ROOT / "data" / "holwerda2014" / "prisma.yaml").read_text()),
        results=tmp_path / "results",
        out=tmp_path / "studies",
        effect_direction=pd.DataFrame(
            {
                "intervention_type": ["home visiting"],
                "outcome_domain": ["parenting"],
                "n_statements": [1],
                "n_study_rows": [1],
                **{
                    f"n_{d}": [1 if d == "positive" else 0]
                    for d in ("positive", "none", "negative", "mixed", "unknown")
                },
            }
        ),
        languages=("en", "nl"),
    )
    for name in (
        "rob_traffic_light",
        "rob_summary",
        "quality_by_design",
        "prisma_flow",
        "evidence_gap_map",
        "effect_direction",
    ):
        for suffix in ("", ".nl"):
            assert (tmp_path / "studies" / f"{name}{suffix}.png").is_file(), (name, suffix)
            assert (tmp_path / "studies" / f"{name}{suffix}.svg").is_file(), (name, suffix)


@pytest.mark.parametrize(
    "lang, est, weight", [("en", "Estimate [95% CI]", "Weight"), ("nl", "Effect [95%-BI]", "Gewicht")]
)
def test_forest_column_headers_do_not_overlap(lang, est, weight):
    st = pd.DataFrame({"label": ["A (2001)", "B (2002)"], "yi": [0.1, 0.4], "vi": [0.02, 0.03], "weight": [60.0, 40.0]})
    st["ci_lb"], st["ci_ub"] = st["yi"] - 0.3, st["yi"] + 0.3
    with i18n.language(lang):
        fig = plots.forest_plot(st, {"estimate": 0.2, "ci_lb": 0.0, "ci_ub": 0.4, "label": "P"}, title="t", xlabel="x")
    fig.canvas.draw()
    texts = {t.get_text(): t.get_window_extent() for t in fig.findobj(plt.Text) if t.get_text()}
    assert not texts[est].overlaps(texts[weight])
    assert texts[est].x1 < texts[weight].x0
