"""Reading the result tables into the report's context: one dict of values, each number a
tagged :class:`~evsynth.present.document.Num` naming its table, row and column.  Nothing is
computed here beyond choosing which cell to read.

The result tables the report reads are named here once (:data:`TABLES`, paths relative to
``results/``, ``{a}`` an analysis id), so that a catalogue of outputs can replace them in one
step."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from markupsafe import Markup

from evsynth import __version__, catalog
from evsynth.outputs import read_output
from evsynth.present.generated import words
from evsynth.present.document import M, Num
from evsynth.present.i18n import N_, _, current, number
from evsynth.present import labels
from evsynth.texts import DIRECTION_RULE, effect_size_word, size_metric, statement_kind

__all__ = [
    "GRADE_WORDS",
    "grade_statement",
    "MECHANICAL",
    "mechanical_rules",
    "TABLES",
    "table_path",
    "Tables",
    "build_context",
    "effect_words",
    "records",
    "grade_context",
    "CERT",
    "RANDOMISED_BODY",
    "RATIO_WORDS",
    "CHARACTERISTICS_COLUMNS",
    "figure_order",
    "has_findings",
]

# Every result table the report reads, once: the report's name -> its entry in the catalogue of
# outputs (evsynth.catalog), which holds the path (issue 23 item 2).
TABLES = {
    "certainty/certainty": "certainty",
    "certainty/published": "published",
    "certainty/review_comparison": "review_comparison",
    "extraction/coverage": "extraction_coverage",
    "extraction/effects_computed": "effects_computed",
    "extraction/moderators_by_domain": "moderators_by_domain",
    "extraction/pooled_by_domain": "pooled_by_domain",
    "extraction/summary": "extraction_summary",
    "quality/agreement": "quality_agreement",
    "quality/scores": "quality_scores",
    "quality/summary": "quality_summary",
    "studies/effect_direction": "effect_direction",
    "studies/findings": "findings",
    "studies/intervention_types": "intervention_types",
    "studies/nji_findings": "nji_findings",
    "studies/nji_interventions": "nji_interventions",
    "studies/outcome_domains": "outcome_domains",
    "studies/prisma_counts": "prisma_counts",
    "studies/quality_by_design": "quality_by_design",
    "studies/reviews": "reviews",
    "studies/study_characteristics": "study_characteristics",
    "heterogeneity": "heterogeneity",
    "scale": "scale",
    "moderators": "moderators",
    "subgroups": "subgroups",
    "robust": "robust",
    "sensitivity": "sensitivity",
    "exclusions": "exclusions",
    "fit_notes": "fit_notes",
    "multiverse_summary": "multiverse_summary",
    "diagnostics/begg": "begg",
    "diagnostics/confint": "confint",
    "diagnostics/correlated_effects": "correlated_effects",
    "diagnostics/egger": "egger",
    "diagnostics/fsn": "fsn",
    "diagnostics/influence": "influence",
    "diagnostics/leave1out": "leave1out",
    "diagnostics/mh": "mh",
    "diagnostics/model_comparison": "model_comparison",
    "diagnostics/notes": "diagnostic_notes",
    "diagnostics/permutation": "permutation",
    "diagnostics/pet_peese": "pet_peese",
    "diagnostics/peto": "peto",
    "diagnostics/predictions": "predictions",
    "diagnostics/selmodel": "selmodel",
    "diagnostics/trimfill": "trimfill",
    "model": "model",
}


def table_path(name: str, analysis: str = "") -> str:
    """The path (relative to ``results/``) of the result table ``name`` (:data:`TABLES`), for
    ``analysis`` where the table is one per analysis, from the catalogue."""
    entry = catalog.output(TABLES[name])
    return catalog.path(entry.name, analysis=analysis) if "{analysis}" in entry.path else catalog.path(entry.name)


class Tables:
    """Reads results tables once; ``num(table, col, row)`` gives a tagged number."""

    def __init__(self, results: Path):
        self.results = Path(results)
        self._cache: dict[str, pd.DataFrame] = {}

    def get(self, rel: str) -> pd.DataFrame:
        if rel not in self._cache:
            p = self.results / rel
            if not p.exists():
                self._cache[rel] = pd.DataFrame()
            else:
                try:
                    self._cache[rel] = read_output(p, keep_default_na=True)
                except pd.errors.EmptyDataError:
                    self._cache[rel] = pd.DataFrame()
        return self._cache[rel]

    def text(self, rel: str) -> pd.DataFrame:
        """A table read as text (every cell a string, empty cells ''): section numbers stay '1', not 1.0."""
        p = self.results / rel
        if not p.is_file():
            return pd.DataFrame()
        try:
            return read_output(p, dtype=str, keep_default_na=False)
        except pd.errors.EmptyDataError:
            return pd.DataFrame()

    def num(self, rel: str, col: str, row: int = 0, digits: int = 2, pct: bool = False, p: bool = False):
        t = self.get(rel)
        if t.empty or col not in t.columns or row >= len(t):
            return Num(None, rel, col, row, digits)
        return Num(t[col].iloc[row], rel, col, row, digits, pct=pct, p=p)


def effect_words(value: float, metric: str, interpretation: str = "improvement") -> str:
    """Verbal size of an effect (Cohen, 1988): SMD |d| .2/.5/.8; correlations |r| .1/.3/.5;
    log odds ratios via d = log OR sqrt(3)/pi."""
    if value is None or not np.isfinite(value):
        return "no estimate"
    size = effect_size_word(value, metric)
    if size == "negligible":
        return "a negligible difference"
    if interpretation == "improvement":
        return f"a {size} {'improvement' if value > 0 else 'deterioration'}"
    if interpretation == "risk":
        return f"a {size} {'increase in risk' if value > 0 else 'decrease in risk'}"
    return f"a {size} {'positive' if value > 0 else 'negative'} association"


_metric = size_metric


# columns that hold a percentage (0-100) wherever they appear: shown as '27.3%'
PERCENT_COLUMNS = {"I2", "R2", "I2_level1", "I2_level2", "I2_level3"}
# columns that hold a p value: shown as '< 0.001' below 0.001 (as Num does)
P_COLUMNS = {"pval", "QMp", "QEp", "p_between", "pval_permutation", "pval_asymptotic", "QMp_common_tau2"}


def records(t: pd.DataFrame, cols: list[str] | None = None, digits: int = 3) -> list[dict]:
    if t.empty:
        return []
    t = t[[c for c in (cols or t.columns) if c in t.columns]]
    out = []
    for _i, r in t.iterrows():
        rec = {}
        for c, v in r.items():
            if c in PERCENT_COLUMNS and isinstance(v, (float, np.floating, int, np.integer)):
                rec[c] = "" if v != v else f"{number(float(v), 1)}%"
            elif c in P_COLUMNS and isinstance(v, (float, np.floating)) and 0 <= v < 0.001:
                rec[c] = f"< {number(0.001, 3)}"
            elif isinstance(v, (float, np.floating)):
                rec[c] = "" if np.isnan(v) else (number(float(v), digits) if not float(v).is_integer() else f"{int(v)}")
            else:
                rec[c] = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
        out.append(rec)
    return out


def _certainty(i2: "Num", egger_p: "Num | None", k: "Num") -> list[Markup]:
    """Reasons for (un)certainty, each a clause with its numbers tagged."""
    reasons = []
    if np.isfinite(i2.v):
        x = i2.v
        lvl = N_("low") if x < 30 else N_("moderate") if x < 60 else N_("substantial") if x < 75 else N_("considerable")
        reasons.append(M(_("heterogeneity is {} (I² = {})"), _(lvl), i2))
    if egger_p is not None and np.isfinite(egger_p.v):
        reasons.append(
            M(
                "{}",
                _("the funnel plot test suggests small-study effects (Egger p < 0.10)")
                if egger_p.v < 0.10
                else _("the funnel plot test gives no sign of small-study effects (Egger p ≥ 0.10)"),
            )
        )
    if np.isfinite(k.v) and k.v < 10:
        reasons.append(M(_("with only {} studies, tests of heterogeneity and publication bias have little power"), k))
    return reasons


# study-characteristics table of the report: column -> heading
CHARACTERISTICS_COLUMNS = {
    "row": "row",
    "authors": "authors",
    "year": "year",
    "country": "country",
    "intervention": "intervention",
    "intervention_type": "type",
    "organised_by": "organised by",
    "design": "design",
    "quality_score": "quality (0-11)",
    "duration_months": "duration (months)",
    "contacts_per_month": "contacts / month",
    "child_age_min_years": "child age from (years)",
    "child_age_max_years": "child age to (years)",
    "n_outcome_measures": "outcome measures (n)",
    "outcome_domains": "outcome domains",
}
# what the report's table shows (fits 1280 px): the study in one cell, the age range in one cell


def build_context(cfg: dict, results: Path, figures: Path) -> dict:
    T = Tables(results)
    ctx: dict = {
        "title": _((cfg.get("report") or {}).get("title", "evsynth report")),
        "version": __version__,
        "level": cfg["level"],
        "seed": cfg["seed"],
        "T": T,
        "direction_rule": DIRECTION_RULE,
        "min_score": cfg["quality"]["min_score"],
        "extraction": cfg["extraction"],
    }
    # studies
    chars = T.get(table_path("studies/study_characteristics"))
    qbd = T.get(table_path("studies/quality_by_design"))
    ctx["n_rows"] = T.num(table_path("studies/quality_by_design"), "n_rows", 0, 0)
    ctx["designs"] = [
        {
            "design": r["design"],
            "n_rows": T.num(table_path("studies/quality_by_design"), "n_rows", i, 0),
            "n_articles": T.num(table_path("studies/quality_by_design"), "n_articles", i, 0),
            "median": T.num(table_path("studies/quality_by_design"), "median", i, 1),
            "min": T.num(table_path("studies/quality_by_design"), "min", i, 0),
            "max": T.num(table_path("studies/quality_by_design"), "max", i, 0),
            "n_scored": T.num(table_path("studies/quality_by_design"), "n_scored", i, 0),
            "n_no_score": T.num(table_path("studies/quality_by_design"), "n_no_score_shown", i, 0),
        }
        for i, r in qbd.iterrows()
    ]
    ctx["total_articles"] = T.num(table_path("extraction/summary"), "n_articles", 0, 0)
    ctx["total_rows"] = T.num(table_path("extraction/summary"), "n_rows", 0, 0)
    ctx["characteristics_columns"] = CHARACTERISTICS_COLUMNS
    ctx["characteristics"] = records(chars, list(CHARACTERISTICS_COLUMNS), 2)
    ctx["intervention_types"] = records(T.get(table_path("studies/intervention_types")))
    od = T.get(table_path("studies/outcome_domains"))
    ctx["outcome_domains"] = [
        {
            "domain": r["outcome_domain"],
            "n": T.num(table_path("studies/outcome_domains"), "n_studies", i, 0),
            "n_effect": T.num(table_path("studies/outcome_domains"), "n_with_effect_statement", i, 0),
        }
        for i, r in od.iterrows()
    ]
    least = [int(i) for i in od.index[od["least_studied"].astype(bool)]] if "least_studied" in od else []
    # one clause for both editions: numbers tagged in the HTML, plain text in the PDF
    ctx["least_studied"] = (
        M(
            _("{}, which only {} of the {} study rows measured"),
            _(" and ").join(_("{} outcomes").format(_(od.loc[i, "outcome_domain"])) for i in least),
            T.num(table_path("studies/outcome_domains"), "n_studies", least[0], 0),
            ctx["total_rows"],
        )
        if least
        else ""
    )
    ctx["prisma"] = records(T.get(table_path("studies/prisma_counts")))
    pc = T.get(table_path("studies/prisma_counts"))

    def pbox(name):
        idx = pc.index[pc["box"] == name] if not pc.empty else []
        return T.num(table_path("studies/prisma_counts"), "n", int(idx[0]), 0) if len(idx) else Num(None, "", "", 0)

    ctx["p_unique"] = pbox("records after de-duplication")
    ctx["p_excluded"] = pbox("records excluded")
    ctx["p_fulltext"] = pbox("full-text articles assessed")
    ctx["p_included"] = pbox("primary articles")
    ctx["p_reviews"] = pbox("reviews")
    ctx["n_reviews_listed"] = len(T.get(table_path("studies/reviews")))  # rows of Bijlage 6 (a count, not a cell)
    ctx["findings_table"] = T.text(table_path("studies/findings"))
    ctx["reviews"] = [
        dict(r, n_lost=str(r.get("findings_statements", "").count("[?]")))
        for r in records(
            T.get(table_path("studies/reviews")),
            ["authors", "year", "title", "source_database", "designs_included", "n_statements", "findings_statements"],
        )
    ]
    ctx["nji_interventions"] = records(
        T.get(table_path("studies/nji_interventions")),
        [
            "intervention",
            "group",
            "erkend_dec2019",
            "klaassen_vermaat_2015_max_effect",
            "evenboer_2018_included",
            "evenboer_2018_conclusion",
            "rct_evidence",
            "notes",
        ],
    )
    ctx["nji_findings"] = records(
        T.get(table_path("studies/nji_findings")),
        ["review", "finding", "value", "value_low", "value_high", "unit", "sentence"],
    )
    # quality
    ctx["quality_scores"] = records(
        T.get(table_path("quality/scores")),
        ["study_id", "design", "published_total", "computed_total", "status", "note"],
    )
    for key in ("n_total_only", "n_item_level", "n_not_scored", "n_mismatch"):
        ctx[key] = T.num(table_path("quality/summary"), key, 0, 0)
    ctx["agreement"] = records(T.get(table_path("quality/agreement")))
    # extraction
    cov = T.get(table_path("extraction/coverage"))
    ctx["n_extracted"] = T.num(table_path("extraction/summary"), "n_rows_extracted", 0, 0)
    ctx["n_coded_rows"] = T.num(table_path("extraction/summary"), "n_rows", 0, 0)
    ctx["not_extracted"] = records(
        cov[cov["status"] != "extracted"] if not cov.empty else cov, ["row", "authors", "year", "n_articles"]
    )
    ctx["pooled_domain"] = records(T.get(table_path("extraction/pooled_by_domain")))
    ctx["moderators_domain"] = records(T.get(table_path("extraction/moderators_by_domain")))
    ctx["extracted_effects"] = records(
        T.get(table_path("extraction/effects_computed")),
        ["effect_id", "study_id", "outcome", "outcome_domain", "yi", "vi", "formula", "direction", "source_url"],
    )
    # analyses
    # in config order; the report shows the primary (on-topic) ones first, then the
    # neighbouring fields (issue 13): ctx["primary"] + ctx["secondary"]
    ctx.update(grade_context(cfg, T))
    ctx["analyses"] = [_analysis_context(a, T, Path(figures)) for a in cfg["analyses"]]
    for a in ctx["analyses"]:
        a["role"] = a["spec"]["role"]
        a["grade"] = ctx["grade"].get(a["id"])
        a["listed"] = ctx["listed"].get(a["id"], [])
    # the review's own studies lead the on-topic evidence (issue 24), then config order
    ctx["primary"] = sorted(
        (a for a in ctx["analyses"] if a["role"] == "primary"), key=lambda a: "extracted" not in a["spec"]["effect"]
    )
    ctx["secondary"] = [a for a in ctx["analyses"] if a["role"] == "secondary"]
    ctx["exclusions"] = [
        r
        for a in cfg["analyses"]
        for r in records(T.get(table_path("exclusions", a["id"])), ["analysis", "dataset", "row", "study", "reason"])
    ]
    ctx["tables"] = sorted(str(p.relative_to(results)) for p in Path(results).rglob("*.csv"))
    return ctx


def _analysis_context(spec: dict, T: Tables, figures: Path) -> dict:
    aid = spec["id"]
    het = table_path("heterogeneity", aid)
    h = T.get(het)
    interp = spec["direction"].get("interpretation", "improvement")
    metric = _metric(spec)
    est = T.num(het, "estimate", 0, 2)
    scale = T.get(table_path("scale", aid))
    ctx = {
        "spec": spec,
        "id": aid,
        "measure": str(scale["measure_label"].iloc[0]) if len(scale) else "effect size",
        "k": T.num(het, "k", 0, 0),
        "est": est,
        "ci_lb": T.num(het, "ci_lb", 0, 2),
        "ci_ub": T.num(het, "ci_ub", 0, 2),
        "pval": T.num(het, "pval", 0, p=True),
        "pi_lb": T.num(het, "pi_lb", 0, 2),
        "pi_ub": T.num(het, "pi_ub", 0, 2),
        "tau2": T.num(het, "tau2", 0, 3),
        "I2": T.num(het, "I2", 0, 1, pct=True),
        "QE": T.num(het, "QE", 0, 2),
        "QEp": T.num(het, "QEp", 0, p=True),
        "QE_df": T.num(het, "QE_df", 0, 0),
        "method": h["method"].iloc[0] if len(h) else "",
        "test": h["test"].iloc[0] if len(h) else "",
        "multilevel": spec["model"]["type"] == "multilevel",
    }
    ctx["words"] = effect_words(est.v, metric, interp)
    ctx["ratio_words"] = RATIO_WORDS.get((spec.get("effect") or {}).get("measure", ""), "")
    ctx["ci_has_zero"] = ctx["ci_lb"].v <= 0 <= ctx["ci_ub"].v
    if "estimate_exp" in h.columns:
        ctx["back"] = {
            "est": T.num(het, "estimate_exp", 0, 2),
            "lo": T.num(het, "ci_lb_exp", 0, 2),
            "hi": T.num(het, "ci_ub_exp", 0, 2),
        }
    if ctx["multilevel"]:
        ctx["sigmas"] = [
            {
                "name": h[f"sigma2_{j}_name"].iloc[0],
                "value": T.num(het, f"sigma2_{j}", 0, 3),
                "nlevels": T.num(het, f"nlevels_{j}", 0, 0),
                "I2": T.num(het, f"I2_level{j}", 0, 1, pct=True),
            }
            for j in range(1, 4)
            if f"sigma2_{j}" in h.columns
        ]
    eg = T.get(table_path("diagnostics/egger", aid))
    ctx["egger"] = (
        {
            "stat": T.num(table_path("diagnostics/egger", aid), "stat", 0, 2),
            "pval": T.num(table_path("diagnostics/egger", aid), "pval", 0, p=True),
        }
        if not eg.empty
        else None
    )
    bg = T.get(table_path("diagnostics/begg", aid))
    ctx["begg"] = (
        {
            "tau": T.num(table_path("diagnostics/begg", aid), "kendall_tau", 0, 3),
            "pval": T.num(table_path("diagnostics/begg", aid), "pval", 0, p=True),
        }
        if not bg.empty
        else None
    )
    tf = T.get(table_path("diagnostics/trimfill", aid))
    ctx["trimfill"] = (
        {
            "k0": T.num(table_path("diagnostics/trimfill", aid), "k0", 0, 0),
            "side": tf["side"].iloc[0],
            "est": T.num(table_path("diagnostics/trimfill", aid), "estimate", 0, 2),
            "lo": T.num(table_path("diagnostics/trimfill", aid), "ci_lb", 0, 2),
            "hi": T.num(table_path("diagnostics/trimfill", aid), "ci_ub", 0, 2),
        }
        if not tf.empty
        else None
    )
    fs = T.get(table_path("diagnostics/fsn", aid))
    ctx["fsn"] = T.num(table_path("diagnostics/fsn", aid), "fsnum", 0, 0) if not fs.empty else None
    pp = T.get(table_path("diagnostics/pet_peese", aid))
    ctx["pet_peese"] = (
        {
            "pet": T.num(table_path("diagnostics/pet_peese", aid), "pet_estimate", 0, 2),
            "peese": T.num(table_path("diagnostics/pet_peese", aid), "peese_estimate", 0, 2),
            "use_peese": bool(pp["use_peese"].iloc[0]),
        }
        if not pp.empty
        else None
    )
    ci = T.get(table_path("diagnostics/confint", aid))
    ctx["confint"] = (
        {
            "tau2_lo": T.num(table_path("diagnostics/confint", aid), "ci_lb", 0, 3),
            "tau2_hi": T.num(table_path("diagnostics/confint", aid), "ci_ub", 0, 3),
            "I2_lo": T.num(table_path("diagnostics/confint", aid), "ci_lb", 1, 1, pct=True),
            "I2_hi": T.num(table_path("diagnostics/confint", aid), "ci_ub", 1, 1, pct=True),
        }
        if not ci.empty
        else None
    )
    ctx["certainty"] = _certainty(ctx["I2"], ctx["egger"]["pval"] if ctx["egger"] else None, ctx["k"])
    ctx["moderators"] = records(
        T.get(table_path("moderators", aid)),
        ["model", "term", "estimate", "se", "stat", "pval", "ci_lb", "ci_ub", "QM", "QMp", "R2", "k"],
    )
    ctx["subgroups"] = records(
        T.get(table_path("subgroups", aid)),
        [
            "subgroup_variable",
            "group",
            "k",
            "estimate",
            "ci_lb",
            "ci_ub",
            "tau2",
            "I2",
            "Q_between",
            "df_between",
            "p_between",
        ],
    )
    ctx["moderators"] = labels.label_rows(ctx["moderators"], spec)
    ctx["subgroups"] = labels.label_rows(ctx["subgroups"], spec)
    ctx["robust"] = labels.label_rows(records(T.get(table_path("robust", aid))), spec)
    ctx["sensitivity"] = records(T.get(table_path("sensitivity", aid)))
    l1 = T.get(table_path("diagnostics/leave1out", aid))
    ctx["leave1out_range"] = (
        {
            "lo": T.num(table_path("diagnostics/leave1out", aid), "estimate", int(l1["estimate"].idxmin()), 2),
            "hi": T.num(table_path("diagnostics/leave1out", aid), "estimate", int(l1["estimate"].idxmax()), 2),
        }
        if not l1.empty
        else None
    )
    inf = T.get(table_path("diagnostics/influence", aid))
    ctx["influential"] = (
        inf.loc[inf["influential"].astype(str) == "True", "study"].astype(str).tolist() if not inf.empty else None
    )
    ctx["perm"] = labels.label_rows(records(T.get(table_path("diagnostics/permutation", aid))), spec)
    ctx["notes"] = records(T.get(table_path("diagnostics/notes", aid))) + records(T.get(table_path("fit_notes", aid)))
    ms = table_path("multiverse_summary", aid)
    m = T.get(ms)
    ctx["multiverse"] = (
        None
        if m.empty
        else {
            "n": T.num(ms, "n_specifications", 0, 0),
            "n_fitted": T.num(ms, "n_fitted", 0, 0),
            "median": T.num(ms, "median_estimate", 0, 2),
            "min": T.num(ms, "min_estimate", 0, 2),
            "max": T.num(ms, "max_estimate", 0, 2),
            "n_excl": T.num(ms, "n_ci_excludes_zero", 0, 0),
            "pct_excl": T.num(ms, "pct_ci_excludes_zero", 0, 1, pct=True),
            "dim": str(m["most_influential_dimension"].fillna("").iloc[0]),
            "lo": str(m["choice_lowest_median"].fillna("").iloc[0]),
            "lo_med": T.num(ms, "lowest_median", 0, 2),
            "hi": str(m["choice_highest_median"].fillna("").iloc[0]),
            "hi_med": T.num(ms, "highest_median", 0, 2),
        }
    )
    fd = figures / aid
    # English figures are <name>.png, another language's <name>.<lang>.png (when drawn in it)
    stems = [p.stem for p in fd.glob("*.png")] if fd.exists() else []
    ctx["figs"] = sorted((s for s in stems if "." not in s), key=figure_order)
    lang = current()
    own = lang != "en" and all(f"{s}.{lang}" in stems for s in ctx["figs"]) and ctx["figs"]
    ctx["fig_suffix"] = f".{lang}" if own else ""
    ctx["fig_dir"] = fd
    # figures the figures stage did not draw (in full), with the reason (figures/<id>/figure_notes.csv;
    # in English: the sections show each in the report's language through generated.words)
    notes = fd / "figure_notes.csv"
    ctx["figure_notes"] = (
        [r for r in records(read_output(notes, dtype=str, keep_default_na=False)) if r.get("reason")]
        if notes.is_file()
        else []
    )
    ctx["model_txt"] = (
        (T.results / table_path("model", aid)).read_text(encoding="utf-8")
        if (T.results / table_path("model", aid)).exists()
        else ""
    )
    return ctx


def has_findings(ctx: dict, *ids: str) -> bool:
    f = ctx.get("findings_table")
    return f is not None and not f.empty and set(ids) <= set(f["finding_id"].astype(str))


def figure_order(stem: str):
    """Reading order of an analysis' figures: forest pages in order, forests by subgroup, funnel,
    bubble plots, specification curve; ``*_pageN`` after its first page."""
    m = re.fullmatch(r"(.*?)(?:_page(\d+))?", stem)
    base, page = m.group(1), int(m.group(2) or 1)
    kind = next(
        (
            i
            for i, k in enumerate(("forest", "forest_by_", "funnel", "bubble_", "specification_curve"))
            if base == k or (k.endswith("_") and base.startswith(k))
        ),
        9,
    )
    return kind, base, page


RATIO_WORDS = {"OR": "odds ratio", "PETO": "odds ratio", "RR": "risk ratio", "ROM": "ratio of means"}
DOMAIN_WORDS = {
    "risk_of_bias": "risk of bias",
    "inconsistency": "inconsistency",
    "imprecision": "imprecision",
    "indirectness": "indirectness",
    "publication_bias": "publication bias",
}
CERT = table_path("certainty/certainty")
# GRADE's certainty levels (certainty_level in certainty.csv) in words
GRADE_WORDS = {4: N_("high"), 3: N_("moderate"), 2: N_("low"), 1: N_("very low")}
# the pieces of GRADE's plain-language statement in the languages other than English (English:
# the statement column of certainty.csv, written by evsynth.review.grade.statement): the certainty
# in the verb, as in Santesso et al. (2020), GRADE guidelines 26, J Clin Epidemiol 119:126-135,
# Table 2.  Dutch (the catalog): this project's translation -- high "leidt tot", moderate "leidt
# waarschijnlijk tot", low "leidt mogelijk tot", very low "We zijn zeer onzeker of ..."; no
# published Dutch template of the statements could be cited (docs/certainty.md)
HEDGE = {4: N_("results in"), 3: N_("probably results in"), 2: N_("may result in")}
_NOUNS = {
    "improvement": ("improvement in", "deterioration in"),
    "risk": ("increase in", "reduction in"),
    "association": ("positive association with", "negative association with"),
}
# (interpretation, side) -> {kind: phrase}: "an improvement in", "a slight improvement in", "a large ..."
NOUN = {
    (k, side): {"plain": ("an " if n[0] in "aeiou" else "a ") + n, "slight": "a slight " + n, "large": "a large " + n}
    for k, pair in _NOUNS.items()
    for side, n in enumerate(pair)
}
UNCERTAIN_VERB = {
    ("improvement", 0): N_("improves"),
    ("improvement", 1): N_("improves"),
    ("risk", 0): N_("increases"),
    ("risk", 1): N_("reduces"),
    ("association", 0): N_("is associated with"),
    ("association", 1): N_("is associated with"),
}


def grade_statement(g: dict) -> str:
    """GRADE's plain-language statement of one body of evidence (a row of ``certainty.csv``):
    in English the row's own ``statement``; in another language built from the same row
    (level, estimate, smallest important effect) in that language's translation of Santesso et al.
    (2020), Table 2 (:data:`HEDGE`, :data:`NOUN`; Dutch: docs/certainty.md)."""
    from evsynth.present.i18n import current

    if current() == "en":
        return g["statement"]
    spec = g["spec"]
    interp = spec["direction"].get("interpretation", "improvement")
    interp = interp if interp in _NOUNS else "improvement"
    kind, side = statement_kind(g["level"], g["estimate"], g["mid"], size_metric(spec))
    i, o = _(g["intervention"]).rstrip(","), _(g["outcome"])
    if kind == "uncertain":
        return _(
            "We are uncertain whether {intervention} {verb} {outcome} because the certainty of the evidence "
            "is very low."
        ).format(intervention=i, verb=_(UNCERTAIN_VERB[(interp, side)]), outcome=o)
    subject = i[:1].upper() + i[1:]
    if kind == "null":
        return _("{subject} {hedge} little or no difference to {outcome}.").format(
            subject=subject, hedge=_(HEDGE[g["level"]]), outcome=o
        )
    noun = _(NOUN[(interp, side)][kind])
    return _("{subject} {hedge} {noun} {outcome}.").format(
        subject=subject, hedge=_(HEDGE[g["level"]]), noun=noun, outcome=o
    )


# rules of the rating a GRADE reader would question (issue 27 item 5): flagged by the review layer
# in certainty.csv (column ``mechanical``) and said in words in the report
MECHANICAL = {
    "risk_of_bias:no_judgement": N_(
        "Risk of bias was rated down only because the data carry no per-study risk-of-bias judgement: no study "
        "was judged at high risk; the rule follows GRADE's advice to rate down when the risk of bias cannot be "
        "assessed (Guyatt et al. 2011, GRADE guidelines 4)."
    ),
    "inconsistency:prediction_interval_only": N_(
        "Inconsistency was rated down only because the prediction interval crosses no effect while the confidence "
        "interval does not, although I² is below 50 %: a mechanical reading of GRADE's advice to judge "
        "inconsistency from the spread of the estimates (Guyatt et al. 2011, GRADE guidelines 7); a reviewer may "
        "judge otherwise."
    ),
}


def mechanical_rules(cert: pd.DataFrame, i: int) -> list[str]:
    """The flags of :data:`MECHANICAL` set on row ``i`` of ``certainty.csv``."""
    if "mechanical" not in cert.columns:
        return []
    return [f for f in str(cert["mechanical"].fillna("").iloc[i]).split(";") if f in MECHANICAL]


RANDOMISED_BODY = "randomised studies only"


def _read(path) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        return pd.DataFrame()
    try:
        return read_output(p, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _ratio(spec: dict) -> str:
    return RATIO_WORDS.get((spec.get("effect") or {}).get("measure", ""), "")


def grade_context(cfg: dict, T) -> dict:
    """Per analysis: its row of ``certainty.csv`` as tagged values (``grade``), the
    published table, the neighbouring analyses with the reason each is indirect and the
    tables each analysis declares under ``listed_tables``."""
    cert = T.get(CERT)
    # one row per analysis, and a second one (body "randomised studies only") for a mixed-design
    # body, which GRADE rates separately (review.grade; pipeline.stages.run_certainty)
    body = cert["body"] if "body" in cert else pd.Series([""] * len(cert), dtype=str)
    row = (
        {(str(a), str(b) == RANDOMISED_BODY): i for i, (a, b) in enumerate(zip(cert["analysis"], body))}
        if not cert.empty
        else {}
    )

    spec_of = {a["id"]: a for a in cfg["analyses"]}

    def one(i):
        down = [
            M(
                "{} (-{}: {})",
                _(DOMAIN_WORDS[d]),
                T.num(CERT, f"{d}_downgrade", i, 0),
                words(str(cert[f"{d}_reason"].iloc[i])),
            )
            for d in DOMAIN_WORDS
            if f"{d}_downgrade" in cert and float(cert[f"{d}_downgrade"].fillna(0).iloc[i]) > 0
        ]
        return {
            "row": i,
            "certainty": str(cert["certainty"].iloc[i]),
            "start": str(cert["start"].iloc[i]),
            "statement": str(cert["statement"].iloc[i]),
            "n_studies": T.num(CERT, "n_studies", i, 0),
            "k": T.num(CERT, "k", i, 0),
            "est": T.num(CERT, "estimate", i, 2),
            "lo": T.num(CERT, "ci_lb", i, 2),
            "hi": T.num(CERT, "ci_ub", i, 2),
            "pi_lb": T.num(CERT, "pi_lb", i, 2),
            "pi_ub": T.num(CERT, "pi_ub", i, 2),
            "scale": str(cert["scale"].iloc[i]),
            "down": Markup("; ").join(down) if down else M(_("none")),
            "level": int(cert["certainty_level"].iloc[i]),
            "estimate": float(cert["estimate"].iloc[i]),
            "mid": float(cert["mid"].iloc[i]),
            "intervention": str(cert["intervention"].iloc[i]),
            "outcome": str(cert["outcome"].iloc[i]),
            "spec": spec_of[str(cert["analysis"].iloc[i])],
            "mechanical": mechanical_rules(cert, i),
        }

    grade = {}
    for spec in cfg["analyses"]:
        i = row.get((spec["id"], False))
        if i is None:
            continue
        grade[spec["id"]] = one(i)
        j = row.get((spec["id"], True))
        if j is not None:
            grade[spec["id"]]["randomised"] = one(j)
    secondary = [a for a in cfg["analyses"] if a["role"] == "secondary"]
    return {
        "grade": grade,
        "published": records(T.get(table_path("certainty/published"))),
        "neighbouring": [
            {
                "id": a["id"],
                "title": a["title"],
                "why": (a.get("indirectness") or {}).get("reason", "no reason declared"),
            }
            for a in secondary
        ],
        "listed": {
            a["id"]: [
                {"title": t["title"], "path": t["path"], "records": _read(t["path"]).to_dict("records")}
                for t in a.get("listed_tables", [])
            ]
            for a in cfg["analyses"]
        },
    }
