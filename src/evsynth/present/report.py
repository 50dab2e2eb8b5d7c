"""The report stage: reads the results tables and figures and renders one report in two
editions, a self-contained HTML page (figures embedded, tables linked) and a PDF.

The report is one list of :class:`Section` objects (title, paragraphs, lists, tables,
figures) built by the functions in :data:`SECTIONS`; :func:`render_html` and
:func:`render_pdf` only lay that list out, so every sentence exists once and the two
editions say the same.  To add a section, write a function ``ctx -> list[Section]`` and
put it in :data:`SECTIONS` where it belongs in the reading order.

It computes nothing: every number shown is read from a results table and rendered by
:class:`Num`, which tags it in the HTML with a ``data-src`` attribute naming table, row
and column, so tests can check each number against its table.  Every string from data
is escaped (text is built with :func:`M`, i.e. ``markupsafe`` formatting, and Jinja2
autoescaping)."""

from __future__ import annotations

import base64
import html
import json
import math
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup

from evsynth import __version__
from evsynth.errors import EvsynthError, clean_text
from evsynth.outputs import atomic_path
from evsynth.present import evidence, labels
from evsynth.texts import (DIRECTION_RULE, ESTIMATOR_WORDS, TEST_WORDS, column_label, effect_size_word, percent,
                           plural, reader_source, size_metric)

__all__ = ["Num", "M", "Text", "Items", "TableBlock", "Figure", "Preformatted", "Links", "Section", "SECTIONS",
           "FINDINGS_SECTION", "effect_words", "build_context", "build_sections", "findings_section", "render_html",
           "render_pdf", "plain_text", "write_report"]


def M(fmt: str, *args, **kwargs) -> Markup:
    """Text of the report: ``fmt`` is trusted markup (``<i>``, ``<b>``, ``<code>`` only),
    arguments are escaped unless they are markup themselves (a :class:`Num` is tagged)."""
    return Markup(fmt).format(*args, **kwargs)


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
                    self._cache[rel] = pd.read_csv(p, keep_default_na=True)
                except pd.errors.EmptyDataError:
                    self._cache[rel] = pd.DataFrame()
        return self._cache[rel]

    def num(self, rel: str, col: str, row: int = 0, digits: int = 2, pct: bool = False, p: bool = False):
        t = self.get(rel)
        if t.empty or col not in t.columns or row >= len(t):
            return Num(None, rel, col, row, digits)
        return Num(t[col].iloc[row], rel, col, row, digits, pct=pct, p=p)


@dataclass
class Num:
    value: object
    table: str
    col: str
    row: int
    digits: int = 2
    pct: bool = False
    p: bool = False

    @property
    def v(self) -> float:
        try:
            return float(self.value)
        except (TypeError, ValueError):
            return float("nan")

    def text(self) -> str:
        x = self.v
        if self.value is None or (isinstance(x, float) and math.isnan(x)):
            return "–"
        if self.p:
            return "< 0.001" if x < 0.001 else f"{x:.3f}"
        if self.pct:
            return f"{x:.{max(0, self.digits - 1)}f}%"
        if float(x).is_integer() and self.digits == 0:
            return f"{int(x)}"
        return f"{x:.{self.digits}f}"

    def __html__(self) -> str:
        src = html.escape(json.dumps([self.table, self.col, self.row]), quote=True)
        return Markup(f'<span class="num" data-src="{src}" data-digits="{self.digits}">{html.escape(self.text())}</span>')

    def __str__(self) -> str:
        return self.text()


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


def _img(path: Path) -> str:
    if not path.exists():
        return ""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


# columns that hold a percentage (0-100) wherever they appear: shown as '27.3%'
PERCENT_COLUMNS = {"I2", "R2", "I2_level1", "I2_level2", "I2_level3"}
# columns that hold a p value: shown as '< 0.001' below 0.001 (as Num does)
P_COLUMNS = {"pval", "QMp", "QEp", "p_between", "pval_permutation", "pval_asymptotic", "QMp_common_tau2"}


def _records(t: pd.DataFrame, cols: list[str] | None = None, digits: int = 3) -> list[dict]:
    if t.empty:
        return []
    t = t[[c for c in (cols or t.columns) if c in t.columns]]
    out = []
    for _, r in t.iterrows():
        rec = {}
        for c, v in r.items():
            if c in PERCENT_COLUMNS and isinstance(v, (float, np.floating, int, np.integer)):
                rec[c] = percent(v)
            elif c in P_COLUMNS and isinstance(v, (float, np.floating)) and 0 <= v < 0.001:
                rec[c] = "< 0.001"
            elif isinstance(v, (float, np.floating)):
                rec[c] = "" if np.isnan(v) else (f"{v:.{digits}f}" if not float(v).is_integer() else f"{int(v)}")
            else:
                rec[c] = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
        out.append(rec)
    return out


def _certainty(i2: "Num", egger_p: "Num | None", k: "Num") -> list[Markup]:
    """Reasons for (un)certainty, each a clause with its numbers tagged."""
    reasons = []
    if np.isfinite(i2.v):
        x = i2.v
        lvl = "low" if x < 30 else "moderate" if x < 60 else "substantial" if x < 75 else "considerable"
        reasons.append(M("heterogeneity is {} (I² = {})", lvl, i2))
    if egger_p is not None and np.isfinite(egger_p.v):
        reasons.append(M("{}", "the funnel plot test suggests small-study effects (Egger p < 0.10)" if egger_p.v < 0.10
                         else "the funnel plot test gives no sign of small-study effects (Egger p ≥ 0.10)"))
    if np.isfinite(k.v) and k.v < 10:
        reasons.append(M("with only {} studies, tests of heterogeneity and publication bias have little power", k))
    return reasons


# study-characteristics table of the report: column -> heading
CHARACTERISTICS_COLUMNS = {
    "row": "row", "authors": "authors", "year": "year", "country": "country", "intervention": "intervention",
    "intervention_type": "type", "organised_by": "organised by", "design": "design", "quality_score": "quality (0-11)",
    "duration_months": "duration (months)", "contacts_per_month": "contacts / month",
    "child_age_min_years": "child age from (years)", "child_age_max_years": "child age to (years)",
    "n_outcome_measures": "outcome measures (n)", "outcome_domains": "outcome domains"}
# what the report's table shows (fits 1280 px): the study in one cell, the age range in one cell
CHARACTERISTICS_SHOWN = [("row", "row"), ("study", "study"), ("country", "country"), ("intervention", "intervention"),
                         ("intervention_type", "type"), ("organised_by", "organised by"), ("design", "design"),
                         ("quality_score", "quality (0-11)"), ("duration_months", "duration (months)"),
                         ("contacts_per_month", "contacts / month"), ("child_age", "child age (years)"),
                         ("n_outcome_measures", "outcome measures (n)"), ("outcome_domains", "outcome domains")]


def _characteristics_rows(records: list[dict]) -> list[dict]:
    """The study-characteristics records as the report shows them: 'authors (year)', the
    age range 'from–to' (or 'to …' where the source gives an upper limit only), lists
    separated by '; '."""
    out = []
    for r in records:
        lo, hi = r.get("child_age_min_years", ""), r.get("child_age_max_years", "")
        age = f"{lo}–{hi}" if lo and hi else (f"up to {hi}" if hi else (f"from {lo}" if lo else ""))
        out.append(dict(r, study=f"{r.get('authors', '')} ({r.get('year', '')})", child_age=age,
                        outcome_domains=r.get("outcome_domains", "").replace(";", "; ")))
    return out


def build_context(cfg: dict, results: Path, figures: Path) -> dict:
    T = Tables(results)
    ctx: dict = {"title": (cfg.get("report") or {}).get("title", "evsynth report"), "version": __version__,
                 "level": cfg["level"], "seed": cfg["seed"], "T": T, "direction_rule": DIRECTION_RULE,
                 "min_score": cfg["quality"]["min_score"], "extraction": cfg["extraction"]}
    # studies
    chars = T.get("studies/study_characteristics.csv")
    qbd = T.get("studies/quality_by_design.csv")
    ctx["n_rows"] = T.num("studies/quality_by_design.csv", "n_rows", 0, 0)
    ctx["designs"] = [{"design": r["design"], "n_rows": T.num("studies/quality_by_design.csv", "n_rows", i, 0),
                       "n_articles": T.num("studies/quality_by_design.csv", "n_articles", i, 0),
                       "median": T.num("studies/quality_by_design.csv", "median", i, 1),
                       "min": T.num("studies/quality_by_design.csv", "min", i, 0),
                       "max": T.num("studies/quality_by_design.csv", "max", i, 0),
                       "n_scored": T.num("studies/quality_by_design.csv", "n_scored", i, 0),
                       "n_no_score": T.num("studies/quality_by_design.csv", "n_no_score_shown", i, 0)}
                      for i, r in qbd.iterrows()]
    ctx["total_articles"] = T.num("extraction/summary.csv", "n_articles", 0, 0)
    ctx["total_rows"] = T.num("extraction/summary.csv", "n_rows", 0, 0)
    ctx["characteristics_columns"] = CHARACTERISTICS_COLUMNS
    ctx["characteristics"] = _records(chars, list(CHARACTERISTICS_COLUMNS), 2)
    ctx["intervention_types"] = _records(T.get("studies/intervention_types.csv"))
    od = T.get("studies/outcome_domains.csv")
    ctx["outcome_domains"] = [{"domain": r["outcome_domain"],
                               "n": T.num("studies/outcome_domains.csv", "n_studies", i, 0),
                               "n_effect": T.num("studies/outcome_domains.csv", "n_with_effect_statement", i, 0)}
                              for i, r in od.iterrows()]
    least = [int(i) for i in od.index[od["least_studied"].astype(bool)]] if "least_studied" in od else []
    # one clause for both editions: numbers tagged in the HTML, plain text in the PDF
    ctx["least_studied"] = M("{}, which only {} of the {} study rows measured",
                             " and ".join(f"{od.loc[i, 'outcome_domain']} outcomes" for i in least),
                             T.num("studies/outcome_domains.csv", "n_studies", least[0], 0),
                             ctx["total_rows"]) if least else ""
    ctx["prisma"] = _records(T.get("studies/prisma_counts.csv"))
    pc = T.get("studies/prisma_counts.csv")

    def pbox(name):
        idx = pc.index[pc["box"] == name] if not pc.empty else []
        return T.num("studies/prisma_counts.csv", "n", int(idx[0]), 0) if len(idx) else Num(None, "", "", 0)

    ctx["p_unique"] = pbox("records after de-duplication")
    ctx["p_excluded"] = pbox("records excluded")
    ctx["p_fulltext"] = pbox("full-text articles assessed")
    ctx["p_included"] = pbox("primary articles")
    ctx["p_reviews"] = pbox("reviews")
    ctx["n_reviews_listed"] = len(T.get("studies/reviews.csv"))  # rows of Bijlage 6 (a count, not a cell)
    ctx["findings_table"] = T.get("studies/findings.csv")
    ctx["reviews"] = [dict(r, n_lost=str(r.get("findings_statements", "").count("[?]")))
                      for r in _records(T.get("studies/reviews.csv"), ["authors", "year", "title", "source_database",
                                                                       "designs_included", "n_statements",
                                                                       "findings_statements"])]
    ctx["nji_interventions"] = _records(T.get("studies/nji_interventions.csv"),
                                        ["intervention", "group", "erkend_dec2019", "klaassen_vermaat_2015_max_effect",
                                         "evenboer_2018_included", "evenboer_2018_conclusion", "rct_evidence", "notes"])
    ctx["nji_findings"] = _records(T.get("studies/nji_findings.csv"), ["review", "finding", "value", "value_low",
                                                                        "value_high", "unit", "sentence"])
    # quality
    ctx["quality_scores"] = _records(T.get("quality/scores.csv"), ["study_id", "design", "published_total",
                                                                   "computed_total", "status", "note"])
    for key in ("n_total_only", "n_item_level", "n_not_scored", "n_mismatch"):
        ctx[key] = T.num("quality/summary.csv", key, 0, 0)
    ctx["agreement"] = _records(T.get("quality/agreement.csv"))
    # extraction
    cov = T.get("extraction/coverage.csv")
    ctx["n_extracted"] = T.num("extraction/summary.csv", "n_rows_extracted", 0, 0)
    ctx["n_coded_rows"] = T.num("extraction/summary.csv", "n_rows", 0, 0)
    ctx["not_extracted"] = _records(cov[cov["status"] != "extracted"] if not cov.empty else cov,
                                    ["row", "authors", "year", "n_articles"])
    ctx["pooled_domain"] = _records(T.get("extraction/pooled_by_domain.csv"))
    ctx["moderators_domain"] = _records(T.get("extraction/moderators_by_domain.csv"))
    ctx["extracted_effects"] = _records(T.get("extraction/effects_computed.csv"),
                                        ["effect_id", "study_id", "outcome", "outcome_domain", "yi", "vi", "formula",
                                         "direction", "source_url"])
    # analyses
    # in config order; the report shows the primary (on-topic) ones first, then the
    # neighbouring fields (issue 13): ctx["primary"] + ctx["secondary"]
    ctx.update(evidence.grade_context(cfg, T))
    ctx["analyses"] = [_analysis_context(a, T, Path(figures)) for a in cfg["analyses"]]
    for a in ctx["analyses"]:
        a["role"] = a["spec"].get("role", "primary")
        a["grade"] = ctx["grade"].get(a["id"])
        a["listed"] = ctx["listed"].get(a["id"], [])
    ctx["primary"] = [a for a in ctx["analyses"] if a["role"] == "primary"]
    ctx["secondary"] = [a for a in ctx["analyses"] if a["role"] == "secondary"]
    ctx["exclusions"] = [r for a in cfg["analyses"]
                         for r in _records(T.get(f"{a['id']}/exclusions.csv"),
                                           ["analysis", "dataset", "row", "study", "reason"])]
    ctx["tables"] = sorted(str(p.relative_to(results)) for p in Path(results).rglob("*.csv"))
    return ctx


def _analysis_context(spec: dict, T: Tables, figures: Path) -> dict:
    aid = spec["id"]
    het = f"{aid}/heterogeneity.csv"
    h = T.get(het)
    interp = spec["direction"].get("interpretation", "improvement")
    metric = _metric(spec)
    est = T.num(het, "estimate", 0, 2)
    scale = T.get(f"{aid}/scale.csv")
    ctx = {"spec": spec, "id": aid, "measure": str(scale["measure_label"].iloc[0]) if len(scale) else "effect size",
           "k": T.num(het, "k", 0, 0),
           "est": est, "ci_lb": T.num(het, "ci_lb", 0, 2), "ci_ub": T.num(het, "ci_ub", 0, 2),
           "pval": T.num(het, "pval", 0, p=True), "pi_lb": T.num(het, "pi_lb", 0, 2), "pi_ub": T.num(het, "pi_ub", 0, 2),
           "tau2": T.num(het, "tau2", 0, 3), "I2": T.num(het, "I2", 0, 1, pct=True), "QE": T.num(het, "QE", 0, 2),
           "QEp": T.num(het, "QEp", 0, p=True), "QE_df": T.num(het, "QE_df", 0, 0), "method": h["method"].iloc[0] if len(h) else "",
           "test": h["test"].iloc[0] if len(h) else "", "multilevel": spec["model"]["type"] == "multilevel"}
    ctx["words"] = effect_words(est.v, metric, interp)
    ctx["ci_has_zero"] = ctx["ci_lb"].v <= 0 <= ctx["ci_ub"].v
    if "estimate_exp" in h.columns:
        ctx["back"] = {"est": T.num(het, "estimate_exp", 0, 2), "lo": T.num(het, "ci_lb_exp", 0, 2),
                       "hi": T.num(het, "ci_ub_exp", 0, 2)}
    if ctx["multilevel"]:
        ctx["sigmas"] = [{"name": h[f"sigma2_{j}_name"].iloc[0], "value": T.num(het, f"sigma2_{j}", 0, 3),
                          "nlevels": T.num(het, f"nlevels_{j}", 0, 0), "I2": T.num(het, f"I2_level{j}", 0, 1, pct=True)}
                         for j in range(1, 4) if f"sigma2_{j}" in h.columns]
    eg = T.get(f"{aid}/diagnostics/egger.csv")
    ctx["egger"] = {"stat": T.num(f"{aid}/diagnostics/egger.csv", "stat", 0, 2),
                    "pval": T.num(f"{aid}/diagnostics/egger.csv", "pval", 0, p=True)} if not eg.empty else None
    bg = T.get(f"{aid}/diagnostics/begg.csv")
    ctx["begg"] = {"tau": T.num(f"{aid}/diagnostics/begg.csv", "kendall_tau", 0, 3),
                   "pval": T.num(f"{aid}/diagnostics/begg.csv", "pval", 0, p=True)} if not bg.empty else None
    tf = T.get(f"{aid}/diagnostics/trimfill.csv")
    ctx["trimfill"] = {"k0": T.num(f"{aid}/diagnostics/trimfill.csv", "k0", 0, 0),
                       "side": tf["side"].iloc[0],
                       "est": T.num(f"{aid}/diagnostics/trimfill.csv", "estimate", 0, 2),
                       "lo": T.num(f"{aid}/diagnostics/trimfill.csv", "ci_lb", 0, 2),
                       "hi": T.num(f"{aid}/diagnostics/trimfill.csv", "ci_ub", 0, 2)} if not tf.empty else None
    fs = T.get(f"{aid}/diagnostics/fsn.csv")
    ctx["fsn"] = T.num(f"{aid}/diagnostics/fsn.csv", "fsnum", 0, 0) if not fs.empty else None
    pp = T.get(f"{aid}/diagnostics/pet_peese.csv")
    ctx["pet_peese"] = {"pet": T.num(f"{aid}/diagnostics/pet_peese.csv", "pet_estimate", 0, 2),
                        "peese": T.num(f"{aid}/diagnostics/pet_peese.csv", "peese_estimate", 0, 2),
                        "use_peese": bool(pp["use_peese"].iloc[0])} if not pp.empty else None
    ci = T.get(f"{aid}/diagnostics/confint.csv")
    ctx["confint"] = {"tau2_lo": T.num(f"{aid}/diagnostics/confint.csv", "ci_lb", 0, 3),
                      "tau2_hi": T.num(f"{aid}/diagnostics/confint.csv", "ci_ub", 0, 3),
                      "I2_lo": T.num(f"{aid}/diagnostics/confint.csv", "ci_lb", 1, 1, pct=True),
                      "I2_hi": T.num(f"{aid}/diagnostics/confint.csv", "ci_ub", 1, 1, pct=True)} if not ci.empty else None
    ctx["certainty"] = _certainty(ctx["I2"], ctx["egger"]["pval"] if ctx["egger"] else None, ctx["k"])
    ctx["moderators"] = _records(T.get(f"{aid}/moderators.csv"), ["model", "term", "estimate", "se", "stat", "pval",
                                                                 "ci_lb", "ci_ub", "QM", "QMp", "R2", "k"])
    ctx["subgroups"] = _records(T.get(f"{aid}/subgroups.csv"), ["subgroup_variable", "group", "k", "estimate", "ci_lb",
                                                               "ci_ub", "tau2", "I2", "Q_between", "df_between",
                                                               "p_between"])
    ctx["moderators"] = labels.label_rows(ctx["moderators"], spec)
    ctx["subgroups"] = labels.label_rows(ctx["subgroups"], spec)
    ctx["robust"] = labels.label_rows(_records(T.get(f"{aid}/robust.csv")), spec)
    ctx["sensitivity"] = _records(T.get(f"{aid}/sensitivity.csv"))
    l1 = T.get(f"{aid}/diagnostics/leave1out.csv")
    ctx["leave1out_range"] = ({"lo": T.num(f"{aid}/diagnostics/leave1out.csv", "estimate", int(l1["estimate"].idxmin()), 2),
                               "hi": T.num(f"{aid}/diagnostics/leave1out.csv", "estimate", int(l1["estimate"].idxmax()), 2)}
                              if not l1.empty else None)
    inf = T.get(f"{aid}/diagnostics/influence.csv")
    ctx["influential"] = (inf.loc[inf["influential"].astype(str) == "True", "study"].astype(str).tolist()
                          if not inf.empty else None)
    ctx["perm"] = labels.label_rows(_records(T.get(f"{aid}/diagnostics/permutation.csv")), spec)
    ctx["notes"] = _records(T.get(f"{aid}/diagnostics/notes.csv")) + _records(T.get(f"{aid}/fit_notes.csv"))
    ms = f"{aid}/multiverse_summary.csv"
    m = T.get(ms)
    ctx["multiverse"] = None if m.empty else {
        "n": T.num(ms, "n_specifications", 0, 0), "n_fitted": T.num(ms, "n_fitted", 0, 0),
        "median": T.num(ms, "median_estimate", 0, 2), "min": T.num(ms, "min_estimate", 0, 2),
        "max": T.num(ms, "max_estimate", 0, 2), "n_excl": T.num(ms, "n_ci_excludes_zero", 0, 0),
        "pct_excl": T.num(ms, "pct_ci_excludes_zero", 0, 1, pct=True),
        "dim": str(m["most_influential_dimension"].fillna("").iloc[0]),
        "lo": str(m["choice_lowest_median"].fillna("").iloc[0]), "lo_med": T.num(ms, "lowest_median", 0, 2),
        "hi": str(m["choice_highest_median"].fillna("").iloc[0]), "hi_med": T.num(ms, "highest_median", 0, 2)}
    fd = figures / aid
    ctx["figs"] = sorted((p.stem for p in fd.glob("*.png")), key=_figure_order) if fd.exists() else []
    # figures the figures stage did not draw, with the reason (figures/<id>/figure_notes.csv)
    ctx["figure_notes"] = [r for r in _records(pd.read_csv(fd / "figure_notes.csv", dtype=str, keep_default_na=False))
                           if r.get("reason")] if (fd / "figure_notes.csv").is_file() else []
    ctx["model_txt"] = (T.results / aid / "model.txt").read_text(encoding="utf-8") if (T.results / aid / "model.txt").exists() else ""
    return ctx


# ------------------------------------------------------------------------------ the section model

@dataclass
class Text:
    """A paragraph; ``lead`` is a bold opening (e.g. "What was asked."), ``style`` is
    ``body``, ``note`` (small print) or ``italic``."""

    text: Markup
    lead: str = ""
    style: str = "body"


@dataclass
class Items:
    """A bulleted list; ``notes`` are further items shown as small print."""

    items: list[Markup]
    notes: list[Markup] = field(default_factory=list)


@dataclass
class TableBlock:
    """A table: ``columns`` are (key, heading) pairs, ``rows`` dicts of cell values
    (strings, :class:`Num` or markup)."""

    columns: list[tuple[str, str]]
    rows: list[dict]
    heading: str = ""
    anchor: str = ""  # key of each row's HTML anchor (``<tr id=...>``), so that text can link to a row
    repeat_header: bool = True  # PDF: the heading row again on each page (off for tables read as text)

    @classmethod
    def of(cls, records: list[dict], columns=None, headings: dict | None = None, heading: str = "") -> "TableBlock":
        keys = columns or (list(records[0].keys()) if records else [])
        return cls([(k, (headings or {}).get(k) or column_label(k)) for k in keys], records, heading)


@dataclass
class Figure:
    path: Path
    caption: str


@dataclass
class Preformatted:
    """Fixed-width text (a metafor-style model summary), folded in the HTML edition."""

    text: str
    summary: str


@dataclass
class Links:
    """Links to files beside the report (HTML edition only)."""

    hrefs: list[str]


@dataclass
class Section:
    """A titled part of the report; ``level`` 2 sections are chapters (listed in the
    navigation, a new page in the PDF when ``new_page``), level 3 are sub-headings.
    ``editions`` says where it appears; ``boxed`` draws it as the highlighted summary."""

    id: str
    title: str
    blocks: list = field(default_factory=list)
    level: int = 2
    editions: tuple = ("html", "pdf")
    boxed: bool = False
    new_page: bool = False
    nav: str = ""  # short name in the HTML navigation (default: the title)


def _has_findings(ctx: dict, *ids: str) -> bool:
    f = ctx.get("findings_table")
    return f is not None and not f.empty and set(ids) <= set(f["finding_id"].astype(str))


def _table(records, columns=None, headings=None):
    return TableBlock.of(records, columns, headings)


# "What the reviews found": the first section, for policy analysts.  Each sentence is a lead of
# a few words (the coder's framing) followed by the English translation of findings-table rows
# (data/findings/findings.csv, column claim_en_translation), with the Dutch key words in brackets
# and the strength of evidence in the source's own words; each sentence names its finding ids,
# and each finding row names its seed lines.  Nothing here is a number computed by the report.
FINDINGS_SECTION = [
    ("What seems to work, and how certain the reviewers were", [
        ("Overall (Holwerda et al. 2014)", ["H-4.3-01", "H-4.3-03", "H-4.3-04"]),
        ("Overall (NJI 2020)", ["N-4-01"]),
        ("Intensive home-based family preservation in the Netherlands", ["N-2-01", "N-2-02", "N-2-05"]),
        ("Named programmes", ["N-2-04", "H-4.4-01", "H-4.4-02"]),
        ("The reviews Holwerda et al. summarise", ["H-4.9-09", "H-4.9-08", "H-4.9-06", "H-4.9-10"]),
    ]),
    ("Under which conditions: intensity, duration, caseload, setting", [
        ("Characteristics linked to larger effects", ["H-7.1-04", "H-4.9-02"]),
        ("Intensity and duration: the studies disagree", ["H-4.7-02", "H-4.7-03"]),
        ("Caseload", ["H-4.7-01", "H-7.2-07", "N-1-01"]),
        ("At home, with the whole family, several times a week", ["H-7.2-02", "H-7.2-03", "N-1.3-01", "N-1.3-04"]),
        ("One family, one plan, one professional", ["H-7.2-05", "N-1.3-05"]),
        ("The NJI summary of working factors", ["N-4-02"]),
    ]),
    ("For whom", [
        ("Families with low socio-economic status", ["H-4.8-01", "H-7.1-05"]),
        ("Families with a long history of care", ["H-4.8-03"]),
        ("Families with multiple problems versus families known for maltreatment", ["N-2-02"]),
    ]),
    ("What is not known", [
        ("Which care works best", ["H-7.4-01", "N-1-02"]),
        ("Socio-economic outcomes", ["H-4.2-01"]),
        ("Case management, cost-effectiveness, out-of-the-box interventions", ["H-4.4-03", "H-7.1-03", "H-4.5-01"]),
    ]),
    ("The evidence base", [
        ("Primary studies and intervention types (4.1; 7.1 counts differently)", ["H-4.1-01", "H-7.1-01"]),
        ("Quality of the Dutch evidence (NJI)", ["N-2-03"]),
    ]),
]


def findings_section(ctx: dict) -> list[Section]:
    """The first report section, "What the reviews found", built only from the findings table
    (plus the evidence-base sentences that need the study tables: the reviews discrepancy and
    quality by design).  Every claim links to its row of the findings table below
    (``#finding-<id>``), and every row names its seed lines.  Empty without a findings table."""
    f = ctx.get("findings_table")
    if f is None or f.empty:
        return []
    rows = {r["finding_id"]: r for _, r in f.fillna("").iterrows()}

    def claim(text, i: str = "") -> Markup:
        return M("{} <a href=\"#finding-{}\">[{}]</a>", text, i, i) if i else M("{}", text)

    out = [Section("found", "What the reviews found", [
        Text(M("Built only from the findings table (<code>data/findings/findings.csv</code>): every sentence links to "
               "its rows, and every row below names its source lines. English text is the coders' literal translation "
               "of the Dutch claim; \"multi-problem families\" translates <i>multiprobleemgezinnen</i> (Holwerda et "
               "al.), \"families with multiple and complex problems\" <i>gezinnen met meervoudige en complexe "
               "problemen</i> (NJI); IPT is <i>Intensieve Pedagogische Thuishulp</i>."), style="note")],
        nav="What the reviews found")]
    for n, (heading, items) in enumerate(FINDINGS_SECTION):
        blocks: list = []
        for lead, ids in items:
            claims = []
            for i in (i for i in ids if i in rows):
                r = rows[i]
                t = M("{}", str(r["claim_en_translation"]).strip())
                if r["direction"]:
                    t = M("{} [direction: {}]", t, r["direction"])
                en = labels.english(r["strength_nl"]) if r["strength_nl"] else ""
                if en:
                    t = M("{} (strength of evidence in the source's words, translated: \u201c{}\u201d; Dutch: \u201c{}\u201d)",
                          t, en, r["strength_nl"])
                elif r["strength_nl"]:
                    t = M("{} (strength of evidence in the source's words: \u201c{}\u201d)", t, r["strength_nl"])
                claims.append(claim(t, i))
            if claims:
                blocks += [Text(M(""), lead=f"{lead}."), Items(claims)]
        if heading == "The evidence base":
            if "H-4.9-01" in rows:
                blocks += [Text(M(""), lead="Reviews: 9 or 10."), Items([claim(M(
                    "The flow diagram (figure 2.1) counts {} included reviews; Bijlage 6 and section 4.9 list {}. This "
                    "report codes the reviews Bijlage 6 lists.", ctx["p_reviews"], ctx["n_reviews_listed"]),
                    "H-4.9-01")])]
            if ctx.get("designs"):
                des = Markup("; ").join(M("{} {} articles (quality score median {} of 11, {} rows without a score)",
                                          d["n_articles"], d["design"], d["median"], d["n_no_score"])
                                        for d in ctx["designs"])
                blocks += [Text(M(""), lead="Quality by design."), Items([M(
                    "Published quality scores (Bijlage 5, 11-item form): {}. The source table gives no sample sizes.",
                    des)])]
        if blocks:
            out.append(Section(f"found-{n + 1}", heading, blocks, level=3))
    out.append(Section("findings-table", "Findings table", [TableBlock(
        [("finding_id", "finding"), ("claim_nl", "claim (Dutch, verbatim)"), ("claim_en", "English (translation)"),
         ("direction", "direction"), ("strength_nl", "strength (source's words; English, Dutch in brackets)"), ("where", "source (document and lines)")],
        [{"anchor": f"finding-{r['finding_id']}", "finding_id": r["finding_id"], "claim_nl": r["claim_nl"],
          "claim_en": r["claim_en_translation"], "direction": r["direction"], "strength_nl": labels.translate(r["strength_nl"]),
          "where": reader_source(r["source"]) + (f"; strength: lines {r['strength_lines']}" if r["strength_lines"] else "")}
         for _, r in f.fillna("").iterrows()], anchor="anchor")], level=3))
    return out


def summary_section(ctx: dict) -> list[Section]:
    designs = Markup("; ").join(
        M("{} articles are {} studies (quality score median {} of 11, range {}–{}; {} rows show no score)",
          d["n_articles"], d["design"], d["median"], d["min"], d["max"], d["n_no_score"]) for d in ctx["designs"])
    blocks = [
        Text(M("Which help works for families with multiple and complex problems (<i>multiprobleemgezinnen</i>)? "
               "This report brings together the systematic review of Holwerda, Jansen and Reijneveld (2014), the NJI "
               "(2020) overview of interventions used in the Netherlands, pooled per-study data on interventions the NJI "
               "text names (MDFT, family and parenting programmes such as MST, PMTO, Triple P, Incredible Years and "
               "PCIT, intensive family preservation) and, separately, evidence from neighbouring fields."),
             lead="What was asked."),
        Text(M("(each with its GRADE certainty; see the Summary of Findings table)"),
             lead="What the on-topic evidence shows"),
        Items([a["sentence"] for a in ctx["primary"]]),
        Text(M("{}", evidence.NOT_AVAILABLE)),
        Text(M("(parents in general, childcare staff, offenders, social workers) is reported in its own section and "
               "is not summarised here: it is about other populations."), lead="Evidence from neighbouring fields"),
        Text(M("The review included {} primary articles (described in {} table rows) and {} reviews{}, selected from "
               "{} unique records. {}{}", ctx["p_included"], ctx["total_rows"], ctx["p_reviews"],
               M(" (figure 2.1 counts {}; Bijlage 6 and section 4.9 list {})", ctx["p_reviews"],
                 ctx["n_reviews_listed"]) if ctx["n_reviews_listed"] else "",
               ctx["p_unique"], designs, "." if ctx["designs"] else ""), lead="How much evidence there is."),
        Text(_extraction_sentence(ctx), lead="The 47 studies of the review."),
        Text(M("Per-study effect sizes for the 47 primary studies; the direction of many reported effects (the arrows "
               "were lost from the source table and are left unknown, not guessed){}. The source table gives no sample "
               "sizes; the published quality scores are shown by design below, and the reviewers themselves found "
               "few studies of good quality, so conclusions are uncertain.",
               M("; and effects on {} (see the evidence gap map)", ctx["least_studied"]) if ctx["least_studied"]
               else ""), lead="What is not known."),
        Text(M("Effect sizes in words follow Cohen (1988): standardised mean differences of 0.2, 0.5 and 0.8 are small, "
               "medium and large; correlations of 0.1, 0.3 and 0.5; odds ratios are converted to d by log(OR)·√3/π "
               "for this wording."), style="note"),
    ]
    return [Section("summary", "Plain-language summary", blocks, boxed=True, nav="Summary")]


def _pooled_domains(ctx: dict) -> list[dict]:
    """The outcome domains with a pooled estimate, read from the same table the body shows
    (``extraction/pooled_by_domain.csv``), each value tagged with its cell."""
    rel = "extraction/pooled_by_domain.csv"
    t = ctx["T"].get(rel)
    if t.empty or "estimate" not in t:
        return []
    est = pd.to_numeric(t["estimate"], errors="coerce")
    return [{"domain": str(t["outcome_domain"].iloc[i]), "k": ctx["T"].num(rel, "k_studies", i, 0),
             "est": ctx["T"].num(rel, "estimate", i, 2), "lo": ctx["T"].num(rel, "ci_lb", i, 2),
             "hi": ctx["T"].num(rel, "ci_ub", i, 2)} for i in range(len(t)) if np.isfinite(est.iloc[i])]


def _extraction_sentence(ctx: dict) -> Markup:
    """What the summary says about the 47 studies: from the pooled-by-domain table the body
    shows, so that summary and body agree however many effect sizes have been extracted."""
    head = M("The review reports significance, not effect sizes. Effect sizes have been extracted for {} of the {} "
             "study rows so far", ctx["n_extracted"], ctx["total_rows"])
    pooled = _pooled_domains(ctx)
    if not pooled:
        return M("{}; until more are extracted, no pooled effect can be given for the interventions the review "
                 "describes (a domain is pooled from {}).", head, plural(ctx["extraction"]["min_k"], "study"))
    parts = Markup("; ").join(M("{} outcomes: standardised mean difference {} ({}% CI {} to {}; {})", d["domain"],
                                d["est"], f"{float(ctx['level']):g}", d["lo"], d["hi"], plural(d["k"], "study"))
                              for d in pooled)
    return M("{}. Pooled per outcome domain (see \"The 47 studies\" below): {}. Domains with fewer than {} are not "
             "pooled.", head, parts, plural(ctx["extraction"]["min_k"], "study"))


def methods_section(ctx: dict) -> list[Section]:
    x = ctx["extraction"]
    return [Section("methods", "Methods", [
        Text(M("Holwerda et al. (2014) searched Medline, Embase, ERIC, PsycINFO, SocINDEX, Web of Knowledge and the "
               "Campbell and Cochrane libraries for studies published 2000 – February 2013; {} unique records were "
               "screened, {} excluded on title and abstract, {} articles assessed in full text. Two reviewers selected "
               "and scored studies independently and resolved differences by discussion (the flow diagram is below).",
               ctx["p_unique"], ctx["p_excluded"], ctx["p_fulltext"]), lead="Search and selection."),
        Text(M("The study tables were coded from the appendices of the Holwerda review (Bijlage 5 and 6) with the source line of every "
               "row; free text is kept verbatim and nothing the source does not say is filled in. Quality is the "
               "published total of the 11-item form (Bijlage 1: items A–K, yes = 1, no or unclear = 0); studies "
               "scoring below {} are excluded in the quality sensitivity analysis.", ctx["min_score"]), lead="Coding."),
        Text(M("Each pooled analysis uses the model declared in <code>config.yaml</code> (listed per analysis below): "
               "random-effects models with the tau² estimator and test named there, three-level models for several "
               "effect sizes per study, cluster-robust (CR2) inference where declared, {}% intervals, and permutation "
               "tests seeded with {}. For the 47 studies, extracted effects are pooled per outcome domain (tau² estimator {}; "
               "test: {}) when at least {} studies contribute. evsynth reproduces R metafor's results on its "
               "conformance cases.", ctx["level"], ctx["seed"], ESTIMATOR_WORDS.get(x["method"], x["method"]),
               TEST_WORDS.get(x["test"], x["test"]), x["min_k"]),
             lead="Statistics."),
        Text(M("{}", ctx["direction_rule"]), lead="Direction of effects."),
    ] + [Text(M("{}", p)) for p in evidence.GRADE_METHODS], new_page=True)]


def studies_section(ctx: dict) -> list[Section]:
    fig = ctx["figures"] / "studies"
    return [
        Section("studies", "Included studies", [
            Figure(fig / "prisma_flow.png", "Search and selection flow (PRISMA 2020)"),
            TableBlock([("stage", "stage"), ("box", "count of"), ("n", "number")],
                       _translated(ctx["prisma"], ("box",))),
            Text(M("Counts of Holwerda et al. (2014), figure 2.1, as in <code>results/studies/prisma_counts.csv</code>. {}",
                   M(TRANSLATION_NOTE)), style="note")], nav="Studies"),
        Section("characteristics", M("Study characteristics ({} rows, {} articles)", ctx["total_rows"],
                                     ctx["total_articles"]), [
            TableBlock(CHARACTERISTICS_SHOWN, _characteristics_rows(ctx["characteristics"])),
            Text(M("Duration (months), contacts per month and the child's age range (years; \"up to\" where the source "
                   "gives only an upper limit such as \"younger than 5\") are given only where the source states them: a "
                   "blank cell means not reported. The verbatim wording, the risk profile and the list of outcome "
                   "measures are in <code>data/holwerda2014/primary_studies.csv</code>."), style="note")], level=3),
        Section("intervention-types", "Intervention types by design", [
            Text(M("The intervention types are this report's coders' grouping of the {} rows. Holwerda et al. group "
                   "them differently, and differently again in section 4.1 and section 7.1{}.", ctx["total_rows"],
                   M(" (<a href=\"#finding-H-4.1-01\">[H-4.1-01]</a>, <a href=\"#finding-H-7.1-01\">[H-7.1-01]</a>)")
                   if _has_findings(ctx, "H-4.1-01", "H-7.1-01") else ""), style="note"),
            _table(ctx["intervention_types"])], level=3),
    ]


def quality_section(ctx: dict) -> list[Section]:
    fig = ctx["figures"] / "studies"
    cols = [("design", "design"), ("n_rows", "rows"), ("n_articles", "articles"), ("n_scored", "scored"),
            ("n_no_score", "no score shown"), ("median", "median"), ("min", "min"), ("max", "max")]
    out = [Section("quality", "Study quality", [
        TableBlock(cols, ctx["designs"]),
        Figure(fig / "quality_by_design.png", "Quality scores by design"),
        Text(M("{} studies have only a published total (<code>total_only</code>), {} have item-level judgements, {} "
               "show no score in the source; computed and published totals differ for {} studies.",
               ctx["n_total_only"], ctx["n_item_level"], ctx["n_not_scored"], ctx["n_mismatch"])),
    ] + ([Figure(fig / "rob_traffic_light.png", "Quality items per study"),
           Figure(fig / "rob_summary.png", "Quality items summary")] if ctx["n_item_level"].v > 0 else
          [Text(M("No item-level judgements (items A–K) have been entered: Holwerda et al. publish totals only, so the "
                  "item plots are not shown; <code>results/quality/</code> holds a blank assessment template."),
                style="note")]), new_page=True, nav="Quality")]
    if ctx["agreement"]:
        out.append(Section("agreement", "Agreement between the two raters", [_table(ctx["agreement"])],
                           level=3))
    return out


def _bias_items(a: dict) -> list[Markup]:
    items = []
    if a["leave1out_range"]:
        items.append(M("Leaving out one study at a time, the pooled estimate ranges from {} to {}.",
                       a["leave1out_range"]["lo"], a["leave1out_range"]["hi"]))
    if a["influential"] is not None:
        items.append(M("Influential studies (DFFITS, Cook's distance or hat value above metafor's thresholds): {}.",
                       ", ".join(a["influential"]) if a["influential"] else "none"))
    for r in a["sensitivity"]:
        items.append(M("Sensitivity ({}): k = {}, estimate {} [{}, {}] {}",
                       labels.reader_words(r.get("analysis", ""), a["spec"]), r.get("k", ""), r.get("estimate", ""),
                       r.get("ci_lb", ""), r.get("ci_ub", ""), r.get("note", "")))
    if a["egger"]:
        items.append(M("Egger's regression test: z/t = {}, p = {}.", a["egger"]["stat"], a["egger"]["pval"]))
    if a["begg"]:
        items.append(M("Begg's rank correlation: Kendall's tau = {}, p = {}.", a["begg"]["tau"], a["begg"]["pval"]))
    if a["trimfill"]:
        t = a["trimfill"]
        items.append(M("Trim-and-fill (L0) estimates {} missing studies on the {} side; adjusted estimate {} [{}, {}].",
                       t["k0"], t["side"], t["est"], t["lo"], t["hi"]))
    if a["fsn"] is not None:
        items.append(M("Rosenthal's fail-safe N: {}.", a["fsn"]))
    if a["pet_peese"]:
        p = a["pet_peese"]
        items.append(M("PET estimate {}, PEESE estimate {} (conditional choice: {}).", p["pet"], p["peese"],
                       "PEESE" if p["use_peese"] else "PET"))
    return items


def analysis_sections(ctx: dict) -> list[Section]:
    out = []
    for a in ctx["primary"] + ctx["secondary"]:
        if ctx["secondary"] and a is ctx["secondary"][0]:
            out.append(evidence.neighbouring_section(ctx))
        spec = a["spec"]
        model = (f"Three-level model ({' / '.join(spec['model']['random'])})" if a["multilevel"]
                 else "Random-effects model")
        cluster = f", cluster-robust inference by {spec['model']['cluster']}" if spec["model"].get("cluster") else ""
        blocks = []
        if spec.get("question"):
            blocks.append(Text(M("{}", spec["question"]), style="italic"))
        blocks += [
            Text(M("{} Coded data: {}.", spec["citation"], spec["data_source"]), lead="Source."),
            Text(M("{}, tau² estimator {}, test {}{}. Effect size: {}. {}", model,
                   ESTIMATOR_WORDS.get(a["method"], a["method"]), TEST_WORDS.get(a["test"], a["test"]), cluster,
                   a["measure"], spec["direction"]["rule"]), lead="Model."),
            Text(a["sentence"]),
            TableBlock([("k", "effect sizes (k)"), ("est", "estimate"), ("ci", "CI"), ("p", "p"), ("pi", "prediction interval"),
                        ("tau2", "tau²"), ("I2", "I²"), ("Q", "Q (df)"), ("QEp", "p (Q)")],
                       [{"k": a["k"], "est": a["est"], "ci": M("[{}, {}]", a["ci_lb"], a["ci_ub"]), "p": a["pval"],
                         "pi": M("[{}, {}]", a["pi_lb"], a["pi_ub"]), "tau2": a["tau2"], "I2": a["I2"],
                         "Q": M("{} ({})", a["QE"], a["QE_df"]), "QEp": a["QEp"]}]),
        ]
        if a["multilevel"]:
            blocks.append(TableBlock([("name", "variance component"), ("value", "sigma²"), ("nlevels", "levels"),
                                      ("I2", "I² share")], a["sigmas"]))
        if a["confint"]:
            c = a["confint"]
            blocks.append(Text(M("Q-profile {}% CI: tau² [{}, {}], I² [{}, {}].", ctx["level"], c["tau2_lo"],
                                 c["tau2_hi"], c["I2_lo"], c["I2_hi"])))
        if a.get("multiverse"):
            mv = a["multiverse"]
            blocks.append(Text(M("Fitting every combination of the analytic choices declared for this analysis, {} of {} "
                                 "specifications could be fitted; their median estimate is {} (range {} to {}), and the "
                                 "{}% CI excludes 0 in {} of them ({}).{} The specification curve below shows every "
                                 "specification.", mv["n_fitted"], mv["n"], mv["median"], mv["min"], mv["max"],
                                 ctx["level"], mv["n_excl"], mv["pct_excl"],
                                 M(" The choice that moves the estimate most is <i>{}</i>: median {} with {}, {} with {}.",
                                   mv["dim"], mv["lo_med"], mv["lo"], mv["hi_med"], mv["hi"]) if mv["dim"] else ""),
                               lead="Multiverse."))
        blocks += [Figure(ctx["figures"] / a["id"] / f"{f}.png", labels.figure_caption(f, spec, a["figs"]))
                   for f in a["figs"]]
        blocks += [Text(M("{}", n["reason"]), style="note") for n in a["figure_notes"]]
        if a["model_txt"]:
            blocks.append(Preformatted(a["model_txt"], "metafor-style model summary"))
        out.append(Section(a["id"], spec["title"], blocks, new_page=True, nav=spec.get("short_title", spec["title"])))
        out += pooling_sections(a, ctx)  # Mantel-Haenszel / Peto beside the random-effects result
        subs = [("moderators", "Moderator analyses (meta-regression)",
                 [Text(M("With few studies, moderator tests have little power and several tests inflate chance "
                         "findings; treat them as exploratory."), style="note")]),
                ("perm", "Permutation tests of the moderators", []), ("subgroups", "Subgroups", []),
                ("robust", "Cluster-robust inference (CR2, Satterthwaite df)", [])]
        for key, title, after in subs:
            if a[key]:
                out.append(Section(f"{a['id']}-{key}", title, [_table(a[key], headings={"model": "moderators in the model"})]
                                   + after, level=3))
        bias = Items(_bias_items(a), [M("{}", labels.reader_words(": ".join(n.values()), spec)) for n in a["notes"]])
        if bias.items or bias.notes:
            out.append(Section(f"{a['id']}-bias", "Sensitivity and publication bias", [bias], level=3))
        out += sensitivity_sections(a, ctx)
        out += evidence.listed_sections(a)
    return out


# ------------------------------------------------------------------------------ item-10 sensitivity analyses
# Mantel-Haenszel / Peto pooling, model comparison, predictions at stated moderator values, the
# correlated-effects grid and the selection model: each read from its diagnostics table (written
# only where the analysis's config asks for it) and explained in plain words.

def _mod_label(spec: dict, col: str) -> str:
    return next((m.get("label", col) for m in spec.get("moderators", []) if m["column"] == col), col)


def _p(T: "Tables", rel: str, i: int, col: str = "pval") -> Markup:
    """``p = 0.123`` or ``p < 0.001``."""
    n = T.num(rel, col, i, p=True)
    return M("p {}", n) if n.text().startswith("<") else M("p = {}", n)


def _ci(T: "Tables", rel: str, i: int, lo: str = "ci_lb", hi: str = "ci_ub", digits: int = 2) -> Markup:
    return M("{} to {}", T.num(rel, lo, i, digits), T.num(rel, hi, i, digits))


def pooling_sections(a: dict, ctx: dict) -> list[Section]:
    """Mantel-Haenszel and Peto pooling of one analysis, where their tables exist."""
    T, aid, level = ctx["T"], a["id"], f"{float(ctx['level']):g}"
    out = []
    for kind, name in (("mh", "Mantel-Haenszel"), ("peto", "Peto")):
        rel = f"{aid}/diagnostics/{kind}.csv"
        t = T.get(rel)
        if t.empty:
            continue
        measure = str(t["measure"].iloc[0])
        words = {"OR": "odds ratio", "PETO": "odds ratio", "RR": "risk ratio", "RD": "risk difference",
                 "IRR": "incidence rate ratio", "IRD": "incidence rate difference"}.get(measure, measure)
        ratio = "estimate_exp" in t.columns
        est = T.num(rel, "estimate_exp" if ratio else "estimate", 0, 2)
        ci = _ci(T, rel, 0, "ci_lb_exp", "ci_ub_exp") if ratio else _ci(T, rel, 0)
        back = ratio and "back" in a
        re_est, re_ci = ((a["back"]["est"], M("{} to {}", a["back"]["lo"], a["back"]["hi"])) if back
                         else (a["est"], M("{} to {}", a["ci_lb"], a["ci_ub"])))
        re_words = evidence.RATIO_WORDS.get(a["spec"]["effect"].get("measure", ""), a["measure"]) if back else a["measure"]
        zero = T.num(rel, "ci_lb", 0).v <= 0 <= T.num(rel, "ci_ub", 0).v
        same = ("both intervals include no effect" if zero and a["ci_has_zero"] else
                "neither interval includes no effect" if not zero and not a["ci_has_zero"] else
                f"only the {name} interval includes no effect" if zero else
                "only the random-effects interval includes no effect: the common-effect assumption changes the answer")
        blocks = [
            Text(M("Would pooling the counts directly, with every study assumed to estimate the same {}, change the "
                   "answer? The {} method pools the counts of the {} studies without a between-study variance: it "
                   "assumes one common effect, weights large studies more than the random-effects model does and "
                   "gives a narrower interval that does not allow for real differences between studies (here "
                   "I² = {} of the variability).", words, name, T.num(rel, "k", 0, 0), T.num(rel, "I2", 0, 1, pct=True)),
                 lead="What it asks."),
            *([Text(M("Peto's method is a one-step approximation: it pools each study's observed minus expected number "
                      "of events. It is accurate when events are rare, the groups are of similar size and the odds "
                      "ratio is not far from 1; otherwise it can be biased (Greenland &amp; Salvan, 1990), so where it differs "
                      "from the Mantel-Haenszel odds ratio, the Mantel-Haenszel one is the better common-effect "
                      "estimate."))]
              if kind == "peto" else []),
            Text(M("{} {} {} ({}% CI {}, {}) against {} {} ({}% CI {}) from the random-effects model: {}.", name, words,
                   est, level, ci, _p(T, rel, 0), re_words, re_est, level, re_ci, same), lead="Answer."),
        ]
        cmh = "MH" in t.columns and not pd.isna(t["MH"].iloc[0])  # CMH and Tarone: odds ratios only
        if cmh:
            blocks.append(Text(M("Cochran-Mantel-Haenszel test of no association across the tables: {} ({}). "
                                 "Tarone's test of equal odds ratios in all studies: {} ({}); a small p-value says "
                                 "the studies' odds ratios differ, which the common-effect assumption denies.",
                                 T.num(rel, "MH", 0), _p(T, rel, 0, "MHp"), T.num(rel, "TA", 0), _p(T, rel, 0, "TAp"))))
        blocks.append(TableBlock(
            [("k", "effect sizes (k)"), ("est", f"{words}"), ("ci", f"{level}% CI"), ("log", "estimate (analysis scale)"),
             ("p", "p"), ("Q", "Q (p)")] + ([("CMH", "CMH (p)"), ("TA", "Tarone (p)")] if cmh else []),
            [{"k": T.num(rel, "k", 0, 0), "est": est, "ci": ci, "log": T.num(rel, "estimate", 0, 3),
              "p": T.num(rel, "pval", 0, p=True),
              "Q": M("{} ({})", T.num(rel, "QE", 0), T.num(rel, "QEp", 0, p=True)),
              "CMH": M("{} ({})", T.num(rel, "MH", 0), T.num(rel, "MHp", 0, p=True)),
              "TA": M("{} ({})", T.num(rel, "TA", 0), T.num(rel, "TAp", 0, p=True))}]))
        out.append(Section(f"{aid}-{kind}", f"{name} pooling of the counts (common-effect check)", blocks, level=3))
    return out


def _comparison_section(a: dict, ctx: dict) -> list[Section]:
    T, aid, spec = ctx["T"], a["id"], a["spec"]
    rel = f"{aid}/diagnostics/model_comparison.csv"
    t = T.get(rel)
    if t.empty:
        return []
    items, rows = [], []
    for i, r in t.iterrows():
        label = _mod_label(spec, str(r["moderator"]))
        better = r["AIC_with"] < r["AIC_without"]
        items.append(M("{}: AIC {} with it, {} without; likelihood-ratio test {} on {} df, {}: {}.", label,
                       T.num(rel, "AIC_with", i), T.num(rel, "AIC_without", i), T.num(rel, "LRT", i),
                       T.num(rel, "df", i, 0), _p(T, rel, i),
                       "the model with it fits better, even after the penalty for its extra parameters" if better
                       else "the extra parameters do not pay for themselves"))
        rows.append({"mod": label, "k": T.num(rel, "k", i, 0), "aic": M("{} / {}", T.num(rel, "AIC_with", i),
                                                                        T.num(rel, "AIC_without", i)),
                     "bic": M("{} / {}", T.num(rel, "BIC_with", i), T.num(rel, "BIC_without", i)),
                     "aicc": M("{} / {}", T.num(rel, "AICc_with", i), T.num(rel, "AICc_without", i)),
                     "lrt": T.num(rel, "LRT", i), "df": T.num(rel, "df", i, 0), "p": T.num(rel, "pval", i, p=True)})
    return [Section(f"{aid}-model-comparison", "Does a moderator improve the model? (likelihood-ratio test, AIC)", [
        Text(M("Does knowing a study's value of the moderator help to predict its effect? For each moderator the model "
               "with it is compared with the model without it, on the same effect sizes and both fitted by maximum "
               "likelihood. A lower AIC (or BIC, which penalises extra parameters more) means the better trade-off "
               "between fit and complexity; the likelihood-ratio test asks whether the better fit could be chance."),
             lead="What it asks."),
        Items(items),
        TableBlock([("mod", "moderator"), ("k", "effect sizes (k)"), ("aic", "AIC with / without"), ("bic", "BIC with / without"),
                    ("aicc", "AICc with / without"), ("lrt", "likelihood-ratio test (LRT)"), ("df", "df"), ("p", "p")], rows),
        Text(M("Exploratory: with few studies and several moderators, one of them can look useful by chance."),
             style="note")], level=3)]


def _predictions_section(a: dict, ctx: dict) -> list[Section]:
    T, aid, spec, level = ctx["T"], a["id"], a["spec"], f"{float(ctx['level']):g}"
    rel = f"{aid}/diagnostics/predictions.csv"
    t = T.get(rel)
    if t.empty:
        return []
    ratio = "pred_exp" in t.columns
    sfx = "_exp" if ratio else ""
    blocks = [Text(M("What average effect does the meta-regression predict for a programme whose population has a "
                     "stated value of the moderator? The confidence interval is the uncertainty of that average; the "
                     "prediction interval is the range in which the effect of a new study with that value would be "
                     "expected, allowing for the differences between studies. The diamonds in the bubble plot of the "
                     "moderator mark these values."), lead="What it asks.")]
    rows = []
    for col, g in t.groupby("moderator", sort=False):
        first, last = int(g.index[0]), int(g.index[-1])
        blocks.append(Text(M("{}: at {} the predicted effect is {} ({}% CI {}), at {} it is {} ({}% CI {}).",
                             _mod_label(spec, str(col)), T.num(rel, "value", first, 0), T.num(rel, "pred" + sfx, first),
                             level, _ci(T, rel, first, "ci_lb" + sfx, "ci_ub" + sfx), T.num(rel, "value", last, 0),
                             T.num(rel, "pred" + sfx, last), level, _ci(T, rel, last, "ci_lb" + sfx, "ci_ub" + sfx))))
        for i in g.index:
            rows.append({"mod": _mod_label(spec, str(col)), "value": T.num(rel, "value", int(i), 0),
                         "pred": T.num(rel, "pred" + sfx, int(i)), "ci": _ci(T, rel, int(i), "ci_lb" + sfx, "ci_ub" + sfx),
                         "pi": _ci(T, rel, int(i), "pi_lb" + sfx, "pi_ub" + sfx)})
    blocks.append(TableBlock([("mod", "moderator"), ("value", "value"), ("pred", "predicted effect"),
                              ("ci", f"{level}% CI"), ("pi", "prediction interval")], rows))
    return [Section(f"{aid}-predictions", "Predicted effect at stated moderator values", blocks, level=3)]


def _correlated_section(a: dict, ctx: dict) -> list[Section]:
    T, aid, level = ctx["T"], a["id"], f"{float(ctx['level']):g}"
    rel = f"{aid}/diagnostics/correlated_effects.csv"
    t = T.get(rel)
    if t.empty:
        return []
    lo, hi = int(t["estimate"].idxmin()), int(t["estimate"].idxmax())
    zero = [(r["robust_ci_lb"] <= 0 <= r["robust_ci_ub"]) for _, r in t.iterrows()]
    verdict = ("the cluster-robust interval excludes no effect at every assumed correlation" if not any(zero) else
               "the cluster-robust interval includes no effect at every assumed correlation" if all(zero) else
               "whether the cluster-robust interval includes no effect depends on the assumed correlation")
    rows = [{"rho": T.num(rel, "rho", i, 1), "est": T.num(rel, "estimate", i), "ci": _ci(T, rel, i),
             "rse": T.num(rel, "robust_se", i, 3), "rdf": T.num(rel, "robust_df", i, 1),
             "rci": _ci(T, rel, i, "robust_ci_lb", "robust_ci_ub"), "rp": T.num(rel, "robust_pval", i, p=True)}
            for i in range(len(t))]
    return [Section(f"{aid}-correlated", "Correlated sampling errors within a study (sensitivity over rho)", [
        Text(M("Effect sizes from the same study share participants, so their sampling errors are correlated; the "
               "source does not report by how much. The model is refitted assuming a correlation rho between the "
               "sampling errors of effects from the same study, for each value declared in the config, with "
               "cluster-robust (CR2) inference by study, the correlated-and-hierarchical-effects working model "
               "(Pustejovsky &amp; Tipton, 2022)."), lead="What it asks."),
        Text(M("Across rho from {} to {}, the estimate ranges from {} (rho = {}) to {} (rho = {}); {}.",
               T.num(rel, "rho", 0, 1), T.num(rel, "rho", len(t) - 1, 1), T.num(rel, "estimate", lo), T.num(rel, "rho", lo, 1),
               T.num(rel, "estimate", hi), T.num(rel, "rho", hi, 1), verdict), lead="Answer."),
        TableBlock([("rho", "assumed correlation (rho)"), ("est", "estimate"), ("ci", f"{level}% CI (model)"), ("rse", "robust se"),
                    ("rdf", "robust df"), ("rci", f"{level}% CI (CR2)"), ("rp", "p (CR2)")], rows)], level=3)]


def _selection_section(a: dict, ctx: dict) -> list[Section]:
    T, aid, level = ctx["T"], a["id"], f"{float(ctx['level']):g}"
    rel = f"{aid}/diagnostics/selmodel.csv"
    t = T.get(rel)
    notes = [n for n in a["notes"] if n.get("diagnostic") == "selmodel"]
    what = Text(M("If studies with a statistically significant effect in the expected direction were more likely to be "
                  "published, the published studies overstate the effect. The step-function selection model (Vevea "
                  "&amp; Hedges, 1995) estimates how likely studies in each band of one-sided p-values were to be "
                  "published, relative to the significant ones, and the average effect corrected for it; it asks the "
                  "same question as trim-and-fill and PET-PEESE with a different model of the selection."),
                lead="What it asks.")
    if t.empty:
        if not notes:
            return []
        return [Section(f"{aid}-selmodel", "Selection-model sensitivity (publication bias)",
                        [what, Text(M("Not fitted: {}.", notes[0]["note"].removeprefix("not fitted: ")))], level=3)]
    ratio = "estimate_exp" in t.columns
    est = T.num(rel, "estimate_exp" if ratio else "estimate", 0)
    ci = _ci(T, rel, 0, "ci_lb_exp", "ci_ub_exp") if ratio else _ci(T, rel, 0)
    base, base_ci = ((a["back"]["est"], M("{} to {}", a["back"]["lo"], a["back"]["hi"])) if ratio and "back" in a
                     else (a["est"], M("{} to {}", a["ci_lb"], a["ci_ub"])))
    bands = [c for c in t.columns if c.startswith("delta_p_")][1:]
    weights = Markup("; ").join(M("studies with one-sided p from {} to {}: {}{}", *c.removeprefix("delta_p_").split("_"),
                                  T.num(rel, c, 0), " (above 1: if anything more likely to be published than "
                                  "significant ones)" if T.num(rel, c, 0).v > 1 else "") for c in bands)
    beside = [M("selection model {}", T.num(rel, "estimate", 0)), M("no correction {}", a["est"])]
    if a["trimfill"]:
        beside.append(M("trim-and-fill {}", a["trimfill"]["est"]))
    if a["pet_peese"]:
        p = a["pet_peese"]
        beside.append(M("{} {}", "PEESE" if p["use_peese"] else "PET", p["peese"] if p["use_peese"] else p["pet"]))
    blocks = [what,
              Text(M("Corrected estimate {} ({}% CI {}) against {} ({}% CI {}) without correction. Relative publication "
                     "chance (1 = as likely as a significant study): {}. The likelihood-ratio test of no selection gives "
                     "{} ({}); a large p-value means the data do not show selection, not that there was none.{}",
                     est, level, ci, base, level, base_ci, weights, T.num(rel, "LRT", 0), _p(T, rel, 0, "LRTp"),
                     M(" The corrections side by side on the analysis scale ({}): {}.", a["measure"],
                       Markup("; ").join(beside))),
                   lead="Answer.")]
    return [Section(f"{aid}-selmodel", "Selection-model sensitivity (publication bias)", blocks, level=3)]


def sensitivity_sections(a: dict, ctx: dict) -> list[Section]:
    """Model comparison, predictions, correlated-effects grid and selection model of one
    analysis (after its bias section), each only where its table exists."""
    return [s for build in (_comparison_section, _predictions_section, _correlated_section,
                            _selection_section) for s in build(a, ctx)]


def extraction_section(ctx: dict) -> list[Section]:
    out = [Section("extraction", "The 47 studies: extracted effect sizes", [
        Text(M("Effect sizes have been extracted for {} of {} study rows. {}", ctx["n_extracted"], ctx["total_rows"],
               ctx["direction_rule"]))] + ([_table(ctx["extracted_effects"])] if ctx["extracted_effects"]
                                          else []), new_page=True, nav="47 studies"),
        Section("pooled-domain", "Pooled by outcome domain", [_table(ctx["pooled_domain"])], level=3),
        Section("moderators-domain", "Moderators named in the two source documents and the quality filter, per domain", [
            Text(M("Quality score, design, duration, intensity and caseload (where the coded table states them) as "
                   "meta-regression moderators; studies scoring below {} excluded in the quality filter.",
                   ctx["min_score"]), style="note"),
            _table(ctx["moderators_domain"])] if ctx["moderators_domain"] else [], level=3),
        Section("not-extracted", f"Not yet extracted ({plural(len(ctx['not_extracted']), 'row')})", [
            Text(Markup("; ").join(M("{} ({})", r["authors"], r["year"]) for r in ctx["not_extracted"]))], level=3)]
    return out


def gaps_section(ctx: dict) -> list[Section]:
    out = [Section("gaps", "Evidence gap map", [
        Text(M("Studies per outcome domain and intervention type. A study counts for a domain when one of its outcome "
               "measures (or an outcome with a reported effect) falls in it, by the written outcome-domain dictionary "
               "applied in <code>evsynth.review.domains</code> (coder decisions in "
               "<code>data/holwerda2014/coding_log.csv</code>).{}",
               M(" The least studied: {}.", ctx["least_studied"]) if ctx["least_studied"] else "")),
        TableBlock([("domain", "outcome domain"), ("n", "studies measuring it"),
                    ("n_effect", "of which with an effect statement in it")], ctx["outcome_domains"]),
        Figure(ctx["figures"] / "studies" / "evidence_gap_map.png", "Evidence gap map"),
    ], new_page=True, nav="Evidence gaps")]
    if not ctx["T"].get("studies/effect_direction.csv").empty:
        out.append(Section("effect-direction", "Effect direction (SWiM)", [
            Text(M("Statements of the Bijlage 5 effectiveness column by intervention type and outcome domain and by "
                   "direction (<code>results/studies/effect_direction.csv</code>). The arrows were lost in the source "
                   "text: a direction is shown only where the statement's own words or the review's chapter text "
                   "state it; everything else is counted as unknown.")),
            Figure(ctx["figures"] / "studies" / "effect_direction.png",
                   "Effect direction of the Bijlage 5 statements by intervention type and outcome domain (unknown = "
                   "arrow lost in the source, not guessed)")], level=3))
    return out


NJI_COLUMNS = ["intervention", "group", "erkend_dec2019", "klaassen_vermaat_2015_max_effect", "evenboer_2018_included",
               "evenboer_2018_conclusion", "rct_evidence", "notes"]


TRANSLATION_NOTE = ("Dutch names and terms are given in English with the Dutch original in brackets; the English is "
                    "a translation by this report's coders (<code>data/translations/nl_en.csv</code>, with the source "
                    "line of each term).")


def _translated(rows: list[dict], keys) -> list[dict]:
    return [{k: (labels.translate(v) if k in keys else v) for k, v in r.items()} for r in rows]


def nji_section(ctx: dict) -> list[Section]:
    findings = [dict(r, range=(f"{r['value_low']}–{r['value_high']}" if r.get("value_low") else ""))
                for r in ctx["nji_findings"]]
    nji = _translated(ctx["nji_interventions"], ("intervention", "group", "notes"))
    return [
        Section("nji", "Interventions in the Netherlands (NJI, 2020)",
                [Text(M(TRANSLATION_NOTE), style="note"), TableBlock.of(nji, NJI_COLUMNS)], new_page=True, nav="NJI"),
        Section("nji-findings", "Findings of the reviews and meta-analyses (as reported by NJI)", [
            TableBlock([("review", "review"), ("finding", "finding"), ("value", "value"), ("range", "range"),
                        ("unit", "unit"), ("sentence", "sentence (verbatim)")], findings)], level=3),
        Section("reviews", "Reviews included by Holwerda et al. (2014, Bijlage 6)", [
            TableBlock([("authors", "authors"), ("year", "year"), ("title", "title"), ("source_database", "source"),
                        ("designs_included", "designs"), ("n_statements", "findings statements"),
                        ("n_lost", "of which the direction arrow is lost")], ctx["reviews"]),
            Text(M("Bijlage 6 describes each review's population, interventions and findings in Dutch; those texts are "
                   "in <code>data/holwerda2014/reviews.csv</code> with their source lines, and the findings that matter "
                   "for this report are translated in \"What the reviews found\" above. In the source text the "
                   "arrows that gave the direction of a finding were lost (marked [?] in the data): the count of such "
                   "statements is shown instead of the statements."), style="note")], level=3),
    ]


def exclusions_section(ctx: dict) -> list[Section]:
    cols = ["analysis", "dataset", "row", "study", "reason"]
    if ctx.get("exclusions"):
        blocks = [Text(M("Rows of the analysis datasets left out because the analysis sets "
                         "<code>drop_incomplete: true</code> (from <code>results/&lt;analysis&gt;/exclusions.csv</code>):")),
                  TableBlock.of(ctx["exclusions"], cols)]
    else:
        blocks = [Text(M("No row of an analysis dataset was left out (rows are dropped only where an analysis sets "
                         "<code>drop_incomplete: true</code>; any other incomplete row stops the run)."))]
    return [Section("exclusions", "Excluded rows", blocks, nav="Exclusions")]


def references_section(ctx: dict) -> list[Section]:
    return [Section("references", "References", [Items([M("{}", r) for r in ctx["references"]])])]


def glossary_section(ctx: dict) -> list[Section]:
    """Every statistical term a reader meets, in plain words (:data:`evsynth.texts.GLOSSARY`);
    the first use of each term in the text links here."""
    rows = [{"anchor": a, "term": M("<b>{}</b>", term), "meaning": text} for a, term, text in labels.glossary_blocks()]
    return [Section("glossary", "Glossary", [
        Text(M("The statistical terms of this report in plain words. In the text, the first use of a term links to "
               "its entry here."), style="note"),
        TableBlock([("term", "term"), ("meaning", "meaning")], rows, anchor="anchor")])]


def appendix_section(ctx: dict) -> list[Section]:
    return [Section("tables", "Appendix: results tables", [Links(ctx["tables"])], editions=("html",), nav="Tables")]


# The report, in reading order: each function takes the context and returns its sections.
SECTIONS: list[Callable[[dict], list[Section]]] = [
    findings_section, summary_section, evidence.sof_sections, methods_section, studies_section, quality_section,
    analysis_sections, extraction_section, gaps_section, nji_section, exclusions_section, glossary_section,
    references_section, appendix_section,
]


def _without_empty_columns(block: TableBlock) -> list:
    """The table without the columns that are empty in every row, and a note naming them
    (what the source does not report, or a model does not give), instead of a column of blanks."""
    if not block.rows:
        return [block]
    empty = [(k, h) for k, h in block.columns
             if all(not plain_text(M("{}", r.get(k) if r.get(k) is not None else "")).strip() for r in block.rows)]
    if not empty:
        return [block]
    block.columns = [c for c in block.columns if c not in empty]
    names = ", ".join(f"\u201c{plain_text(M('{}', h))}\u201d" for _, h in empty)
    return [block, Text(M("Not shown, empty in every row: {}.", names), style="note")]


def _has_content(s: Section) -> bool:
    """A section shows something: a paragraph with words, a list with items, a table with
    rows, a figure whose file exists, or any other block."""
    for b in s.blocks:
        if isinstance(b, Text):
            if b.lead or plain_text(b.text).strip():
                return True
        elif isinstance(b, Items):
            if b.items or b.notes:
                return True
        elif isinstance(b, TableBlock):
            if b.rows:
                return True
        elif isinstance(b, Figure):
            if Path(b.path).exists():
                return True
        else:
            return True
    return False


def _sentence(a: dict, level: float, ctx: dict | None = None) -> Markup:
    """The result of an analysis (summary and its own section; one sentence for both editions).
    With a GRADE rating it opens with GRADE's plain-language statement (``certainty.csv``,
    written by :func:`evsynth.review.grade.statement` after Santesso et al. 2020: the certainty
    in the verb, the size of the effect only from low certainty up), then the numbers; without
    one, with the size of the pooled effect in words.  For a primary analysis, what changes the
    message follows."""
    ratio = evidence.RATIO_WORDS.get((a["spec"].get("effect") or {}).get("measure", ""), "odds ratio")
    back = (M(" ({} {}, {}% CI {} to {})", ratio, a["back"]["est"], f"{level:g}", a["back"]["lo"], a["back"]["hi"])
            if "back" in a else "")
    unit = M("effect sizes from {} studies", a["sigmas"][0]["nlevels"]) if a["multilevel"] else "studies"
    zero = (" The confidence interval includes no effect, so even the direction is uncertain."
            if a["ci_has_zero"] else "")
    het = Markup("; ").join(a["certainty"])
    more = evidence.message_changes(a, ctx or {"published": []})
    more = M(" {}", more) if more else ""
    nums = M("{} {}, {}% CI {} to {}{}", a["measure"], a["est"], f"{level:g}", a["ci_lb"], a["ci_ub"], back)
    g = a.get("grade")
    if g:  # (very low certainty is already in the statement's words)
        cert = M("; certainty of the evidence (GRADE): {}", g["certainty"]) if g["certainty"] != "very low" else ""
        return M("{}: {} ({}; {} {}{}).{} Heterogeneity and bias: {}.{}", a["spec"]["title"],
                 g["statement"].rstrip("."), nums, a["k"], unit, cert, zero, het, more)
    return M("{}: across {} {}, the pooled effect is {} ({}).{} Certainty: {}.{}",
             a["spec"]["title"], a["k"], unit, a["words"], nums, zero, het, more)


def build_sections(cfg: dict, results: Path, figures: Path) -> tuple[dict, list[Section]]:
    """The context (values read from the tables) and the report's sections."""
    ctx = build_context(cfg, results, figures)
    ctx["figures"] = Path(figures)
    for a in ctx["analyses"]:
        a["sentence"] = _sentence(a, float(cfg["level"]), ctx)
    ctx["references"] = _references(cfg)
    # no heading without content: a section whose blocks show nothing is left out
    sections = [s for build in SECTIONS for s in build(ctx) if _has_content(s)]
    for s in sections:
        s.blocks = [x for b in s.blocks for x in (_without_empty_columns(b) if isinstance(b, TableBlock) else [b])]
    labels.link_first_uses(sections)
    return ctx, sections


# ------------------------------------------------------------------------------ the two editions

def _env() -> jinja2.Environment:
    loader = jinja2.FunctionLoader(lambda name: resources.files("evsynth.present").joinpath(f"templates/{name}").read_text(
        encoding="utf-8"))
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)


def _kind(block) -> str:
    return type(block).__name__


def render_html(ctx: dict, sections: list[Section]) -> str:
    shown = [s for s in sections if "html" in s.editions]
    return _env().get_template("report.html.j2").render(
        title=ctx["title"], version=ctx["version"], sections=shown, kind=_kind, img=_img,
        nav=[s for s in shown if s.level == 2])


_NUM_SPAN = re.compile(r'<span class="num"[^>]*>(.*?)</span>')


def plain_text(markup) -> str:
    """The words of a piece of report text, without markup (what a reader of either
    edition reads)."""
    return html.unescape(re.sub(r"<[^>]+>", "", _NUM_SPAN.sub(r"\1", str(markup))))


def _pdf_markup(markup) -> str:
    """Report text in reportlab's paragraph markup: number tags dropped, ``<code>`` in a
    fixed-width font, ``<b>``/``<i>`` kept, everything else escaped as XML."""
    s = re.sub(r"</?a(?:\s[^>]*)?>", "", _NUM_SPAN.sub(r"\1", str(markup)))  # links: their text only
    out = []
    for part in re.split(r"(</?(?:b|i|code)>)", s):
        if part in ("<b>", "</b>", "<i>", "</i>"):
            out.append(part)
        elif part == "<code>":
            out.append('<font face="DejaVuMono">')
        elif part == "</code>":
            out.append("</font>")
        else:
            out.append(html.escape(html.unescape(part), quote=False))
    return "".join(out)


def _register_fonts() -> None:
    """DejaVu (shipped with matplotlib) so that ², ≥, π and √ print as in the HTML."""
    import matplotlib
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVu" in pdfmetrics.getRegisteredFontNames():
        return
    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for name, file in (("DejaVu", "DejaVuSans.ttf"), ("DejaVu-Bold", "DejaVuSans-Bold.ttf"),
                       ("DejaVu-Oblique", "DejaVuSans-Oblique.ttf"), ("DejaVu-BoldOblique", "DejaVuSans-BoldOblique.ttf"),
                       ("DejaVuMono", "DejaVuSansMono.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(ttf / file)))
    addMapping("DejaVu", 0, 0, "DejaVu")
    addMapping("DejaVu", 1, 0, "DejaVu-Bold")
    addMapping("DejaVu", 0, 1, "DejaVu-Oblique")
    addMapping("DejaVu", 1, 1, "DejaVu-BoldOblique")


PDF_CELL_PAD = 6  # points either side of a PDF table cell's text (reportlab's default)
PDF_CELL_PAD_WIDE = 3  # the same for tables that need a smaller font
PDF_CELL_MAX = 600  # characters of one PDF table cell; longer text is cut with a note
PDF_TABLE_FONTS = (6.5, 6, 5.5)  # font sizes (pt) tried for a table, largest first
PDF_KEEP = 80  # points of what follows a heading that must fit on its page (else the heading moves on)


def _pdf_cell(text: str) -> str:
    text = clean_text(text)
    if len(text) <= PDF_CELL_MAX:
        return text
    return f"{text[:PDF_CELL_MAX]}... [cut: {len(text):,} characters; the full text is in the HTML report and the results table]"


def _pdf_column_widths(heads: list[str], body: list[list[str]], room: float, measure, pad: float):
    """Column widths (points) for a table of ``room`` points, or None when its words do not fit.

    A column is at least as wide as its longest word (so no word is broken inside a cell) and
    at most as wide as its longest cell; the room left over is shared in proportion to how much
    more each column could use.  ``measure(text)`` is the width of a text at the table's font.
    Words wider than half the room (a pasted URL, hostile input) are allowed to break."""
    cols = list(zip(heads, *body))
    least = [min(max((measure(w) for v in c for w in v.split()), default=0), room / 2) + 2 * pad + 1 for c in cols]
    most = [max(max((measure(v) for v in c), default=0) + 2 * pad + 1, n) for c, n in zip(cols, least)]
    if sum(least) > room:
        return None
    if sum(most) <= room:
        extra = room - sum(most)
        return [m + extra * m / sum(most) for m in most]
    spare = sum(m - n for m, n in zip(most, least))
    return [n + (room - sum(least)) * (m - n) / spare for m, n in zip(most, least)]


def _pdf_table_layout(heads: list[str], body: list[list[str]], portrait: float, landscape: float, measure):
    """How a table is laid out in the PDF: ``(page, font size, padding, [(column indices,
    widths), ...])`` -- portrait at the largest font whose words fit, else landscape, else the
    columns split into several tables on landscape pages, each repeating the first (key) column."""
    for page, room in (("portrait", portrait), ("landscape", landscape)):
        for size in PDF_TABLE_FONTS:
            pad = PDF_CELL_PAD if size == PDF_TABLE_FONTS[0] else PDF_CELL_PAD_WIDE
            w = _pdf_column_widths(heads, body, room, lambda t: measure(t, size), pad)
            if w is not None:
                return page, size, pad, [(list(range(len(heads))), w)]
    size, pad = PDF_TABLE_FONTS[-1], PDF_CELL_PAD_WIDE
    parts, cur = [], [0]
    for j in range(1, len(heads)):
        trial = cur + [j]
        if len(cur) > 1 and _pdf_column_widths([heads[i] for i in trial], [[r[i] for i in trial] for r in body],
                                               landscape, lambda t: measure(t, size), pad) is None:
            parts.append(cur)
            cur = [0, j]
        else:
            cur = trial
    parts.append(cur)
    out = []
    for idx in parts:
        w = _pdf_column_widths([heads[i] for i in idx], [[r[i] for i in idx] for r in body], landscape,
                               lambda t: measure(t, size), pad)
        out.append((idx, w or [landscape / len(idx)] * len(idx)))
    return "landscape", size, pad, out


def _figure_order(stem: str):
    """Reading order of an analysis' figures: forest pages in order, forests by subgroup, funnel,
    bubble plots, specification curve; ``*_pageN`` after its first page."""
    m = re.fullmatch(r"(.*?)(?:_page(\d+))?", stem)
    base, page = m.group(1), int(m.group(2) or 1)
    kind = next((i for i, k in enumerate(("forest", "forest_by_", "funnel", "bubble_", "specification_curve"))
                 if base == k or (k.endswith("_") and base.startswith(k))), 9)
    return kind, base, page


def render_pdf(ctx: dict, sections: list[Section]) -> bytes:
    """The PDF edition of the same sections, built with reportlab in invariant mode so
    that the same inputs give the same bytes.

    Laid out for reading: table columns at least as wide as their longest word (a smaller
    font, a landscape page or the columns split over several tables when a table is wide),
    the heading row repeated on each page of a long table, a heading never last on a page
    (kept with the start of what follows it), figures scaled to fit a page (long forests
    come as several pages from the figures stage)."""
    import io

    from reportlab import rl_config

    rl_config.invariant = 1
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import (BaseDocTemplate, CondPageBreak, Frame, Image, KeepTogether, ListFlowable,
                                    NextPageTemplate, PageBreak, PageTemplate, Paragraph, Preformatted as Pre, Spacer,
                                    Table, TableStyle)
    from reportlab.platypus.doctemplate import LayoutError

    _register_fonts()
    ss = getSampleStyleSheet()
    for st in ss.byName.values():
        if hasattr(st, "fontName"):
            st.fontName = {"Helvetica-Bold": "DejaVu-Bold", "Helvetica-Oblique": "DejaVu-Oblique",
                           "Helvetica-BoldOblique": "DejaVu-BoldOblique", "Courier": "DejaVuMono"}.get(
                               st.fontName, "DejaVu")
    styles = {"body": ss["BodyText"], "note": ss["BodyText"].clone("note", fontSize=8, leading=10,
                                                                    textColor=colors.HexColor("#555555")),
              "italic": ss["Italic"]}
    mono = ss["Code"].clone("mono", fontSize=6, leading=7)
    buf = io.BytesIO()
    margin, wide_margin = 1.5 * cm, 1.0 * cm
    doc = BaseDocTemplate(buf, pagesize=A4, title=ctx["title"], author="evsynth", leftMargin=margin,
                          rightMargin=margin, topMargin=margin, bottomMargin=margin)
    bare = {"leftPadding": 0, "rightPadding": 0, "topPadding": 0, "bottomPadding": 0}  # frames as wide as `width`
    doc.addPageTemplates([
        PageTemplate("portrait", [Frame(margin, margin, A4[0] - 2 * margin, A4[1] - 2 * margin, id="p", **bare)],
                     pagesize=A4),
        PageTemplate("landscape", [Frame(wide_margin, wide_margin, A4[1] - 2 * wide_margin, A4[0] - 2 * wide_margin,
                                         id="l", **bare)],
                     pagesize=landscape(A4))])
    width, page_height = A4[0] - 2 * margin, A4[1] - 2 * margin
    wide, wide_height = A4[1] - 2 * wide_margin, A4[0] - 2 * wide_margin
    story: list = [Paragraph(_pdf_markup(M("{}", ctx["title"])), ss["Title"])]
    scratch = Canvas(io.BytesIO(), pagesize=A4)

    def measure(text, size):
        return stringWidth(text, "DejaVu", size)

    def table(block: TableBlock):
        """The table's flowables and whether they go on landscape pages."""
        heads = [h for _, h in block.columns]
        body = [[_pdf_cell(plain_text(M("{}", r.get(k, ""))).replace(";", "; ")) for k, _ in block.columns]
                for r in block.rows]
        page, size, pad, parts = _pdf_table_layout(heads, body, width, wide, measure)
        cell = ss["BodyText"].clone(f"cell{size}", fontSize=size, leading=size + 1.2, splitLongWords=1)
        out = []
        for n, (idx, widths) in enumerate(parts, 1):
            if len(parts) > 1:
                out.append(Paragraph(_pdf_markup(M("Columns, part {} of {} (the first column repeated):", n,
                                                   len(parts))), styles["note"]))
            data = [[Paragraph(html.escape(heads[i], quote=False), cell) for i in idx]]
            data += [[Paragraph(html.escape(row[i], quote=False), cell) for i in idx] for row in body]
            t = Table(data, colWidths=widths, repeatRows=1 if block.repeat_header else 0)
            t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("LEFTPADDING", (0, 0), (-1, -1), pad), ("RIGHTPADDING", (0, 0), (-1, -1), pad),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
            out += [t, Spacer(1, 6)]
        return out, page == "landscape"

    def figure(block: Figure):
        """The figure with its caption on one page, on a landscape page when it prints larger there
        (wide forests: their text keeps a readable size)."""
        if not block.path.exists():
            return [], False
        iw, ih = ImageReader(str(block.path)).getSize()
        sized = {}
        for orient, (fw, fh) in (("portrait", (width, page_height)), ("landscape", (wide, wide_height))):
            cap = Paragraph(_pdf_markup(M("{}", block.caption)), styles["italic"])
            room = fh - cap.wrap(fw, fh)[1] - 2 * 8  # the image and its caption on one page
            w = min(fw, room * iw / ih)
            sized[orient] = (w, cap)
        orient = "landscape" if sized["landscape"][0] > 1.1 * sized["portrait"][0] else "portrait"
        w, cap = sized[orient]
        return [KeepTogether([Image(str(block.path), width=w, height=w * ih / iw), cap]), Spacer(1, 8)], \
            orient == "landscape"

    def heading(s: Section):
        return Paragraph(_pdf_markup(M("{}", s.title)), ss["Heading2" if s.level == 2 else "Heading3"])

    def keep_with_next(flows: list, after: list, width: float) -> list:
        """Heading(s) never last on a page: a page break first unless the heading(s) and the
        start of what follows (all of it when it cannot be split, e.g. a figure) fit."""
        if not after:
            return flows
        def height(f):  # measured on a scratch canvas (some flowables need one to wrap)
            f.canv = scratch
            try:
                return f.wrap(width, page_height)[1] + f.getSpaceBefore() + f.getSpaceAfter()
            finally:
                del f.canv

        need = sum(height(f) for f in flows)
        first = after[0]
        if isinstance(first, KeepTogether):  # a figure and its caption: all of it
            need += height(first)
        elif isinstance(first, Table):  # a table splits between rows: its heading row and first row
            height(first)
            need += min(sum(first._rowHeights[:2]), page_height / 2)
        else:
            need += min(height(first), PDF_KEEP)
        return [CondPageBreak(need)] + flows

    pending: list = []  # headings waiting for their first block
    current = "portrait"

    def turn(orient: str) -> None:
        """Continue on a new page of the other orientation (the page just begun, if any)."""
        nonlocal current
        if orient == current:
            return
        if isinstance(story[-1], PageBreak):
            story.insert(len(story) - 1, NextPageTemplate(orient))
        else:
            story.extend([NextPageTemplate(orient), PageBreak()])
        current = orient

    for s in sections:
        if "pdf" not in s.editions:
            continue
        if s.new_page and not isinstance(story[-1], PageBreak):
            story.append(PageBreak())
        pending.append(heading(s))
        for b in s.blocks:
            flows, turned = [], False
            if isinstance(b, Text):
                lead = M("<b>{}</b> ", b.lead) if b.lead else ""
                if b.lead or str(b.text):
                    flows = [Paragraph(_pdf_markup(lead + b.text), styles[b.style])]
            elif isinstance(b, Items):
                paras = [Paragraph(_pdf_markup(i), styles["body"]) for i in b.items]
                paras += [Paragraph(_pdf_markup(n), styles["note"]) for n in b.notes]
                if paras:
                    flows = [ListFlowable(paras, bulletType="bullet", start="•", leftIndent=12)]
            elif isinstance(b, TableBlock):
                flows, turned = table(b) if b.rows else ([], False)
            elif isinstance(b, Figure):
                flows, turned = figure(b)
            elif isinstance(b, Preformatted):
                flows = [Pre(b.text, mono)]
            if not flows:
                continue
            turn("landscape" if turned else "portrait")  # a heading goes with the block it opens
            story.extend((keep_with_next(pending, flows, wide if turned else width) if pending else []) + flows)
            pending = []
        # a section without blocks: its heading waits for the next section's first block
    story += pending
    try:
        doc.build(story)
    except LayoutError as exc:
        raise EvsynthError(f"the PDF report cannot be laid out ({clean_text(str(exc))[:200]}); nothing was "
                           "written") from None
    return buf.getvalue()


def write_report(cfg: dict, results: Path, figures: Path, html_out: Path, pdf_out: Path | None) -> None:
    """Both editions of the report from the results tables and figures."""
    ctx, sections = build_sections(cfg, results, figures)
    # HTML and PDF as one unit: both are rendered before either is written, and both are
    # moved into place only when both temporary files are complete
    html_text = render_html(ctx, sections)
    pdf_bytes = render_pdf(ctx, sections) if pdf_out is not None else None
    with atomic_path(html_out) as tmp_html:
        tmp_html.write_text(html_text, encoding="utf-8", newline="\n")
        if pdf_bytes is not None:
            with atomic_path(pdf_out) as tmp_pdf:
                tmp_pdf.write_bytes(pdf_bytes)


def _references(cfg: dict) -> list[str]:
    refs = [
        "Holwerda, A., Jansen, D. E. M. C., & Reijneveld, S. A. (2014). De effectiviteit van hulpverlening aan "
        "multiprobleemgezinnen: een systematische review. UMCG / Rijksuniversiteit Groningen.",
        "Nederlands Jeugdinstituut (2020). Wat werkt voor gezinnen met meervoudige en complexe problemen.",
        "Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package. Journal of Statistical "
        "Software, 36(3), 1-48.",
        "Pustejovsky, J. E., & Tipton, E. (2018). Small-sample methods for cluster-robust variance estimation and "
        "hypothesis testing in fixed effects models. Journal of Business & Economic Statistics, 36(4), 672-683.",
        "Page, M. J., et al. (2021). The PRISMA 2020 statement. BMJ, 372, n71.",
        "Cohen, J. (1988). Statistical power analysis for the behavioral sciences (2nd ed.). Erlbaum.",
        "Schünemann, H., Brożek, J., Guyatt, G., & Oxman, A. (Eds.) (2013). GRADE handbook for grading quality of "
        "evidence and strength of recommendations. The GRADE Working Group.",
        "Guyatt, G. H., et al. (2011). GRADE guidelines 4-8 (risk of bias, publication bias, imprecision, "
        "inconsistency, indirectness). Journal of Clinical Epidemiology, 64, 407-415 and 1277-1310.",
        "Santesso, N., et al. (2020). GRADE guidelines 26: informative statements to communicate the findings of "
        "systematic reviews of interventions. Journal of Clinical Epidemiology, 119, 126-135.",
        "Cuello-Garcia, C. A., et al. (2022). GRADE guidance 24: optimizing the integration of randomized and "
        "non-randomized studies of interventions in evidence syntheses and health guidelines. Journal of Clinical "
        "Epidemiology, 142, 200-208.",
        "Knapp, G., & Hartung, J. (2003). Improved tests for a random effects meta-regression with a single "
        "covariate. Statistics in Medicine, 22, 2693-2710.",
        # sources of the glossary (evsynth.texts.GLOSSARY)
        "Higgins, J. P. T., et al. (Eds.) (2023). Cochrane Handbook for Systematic Reviews of Interventions, version "
        "6.4. Cochrane.",
        "Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009). Introduction to meta-analysis. "
        "Wiley.",
        "Sterne, J. A. C., et al. (2011). Recommendations for examining and interpreting funnel plot asymmetry in "
        "meta-analyses of randomised controlled trials. BMJ, 343, d4002.",
        "Viechtbauer, W. (2007). Confidence intervals for the amount of heterogeneity in meta-analysis. Statistics in "
        "Medicine, 26, 37-52.",
        "Campbell, M., et al. (2020). Synthesis without meta-analysis (SWiM) in systematic reviews: reporting "
        "guideline. BMJ, 368, l6890.",
        "Simonsohn, U., Simmons, J. P., & Nelson, L. D. (2020). Specification curve analysis. Nature Human "
        "Behaviour, 4, 1208-1214.",
    ]
    refs += [a["citation"] + f" Data: {a['data_source']}." for a in cfg["analyses"]]
    return refs
