"""The report stage: reads the results tables and figures and renders a self-contained
HTML report (figures embedded, tables appended and linked) and a PDF.

It computes nothing: every number shown is read from a results table and rendered by
:func:`Num` with a ``data-src`` attribute naming table, row and column, so tests can
check each number against its table.  Every string from data is escaped (Jinja2
autoescaping)."""

from __future__ import annotations

import base64
import html
import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup
import numpy as np
import pandas as pd

from evsynth import __version__
from evsynth.pipeline.analysis import measure_label
from evsynth.review.extraction import DIRECTION_RULE
from evsynth.errors import EvsynthError, clean_text
from evsynth.pipeline.io import atomic_path, write_bytes, write_text

__all__ = ["Num", "effect_words", "build_context", "render_html", "render_pdf", "run_report"]


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
        return f'<span class="num" data-src="{src}" data-digits="{self.digits}">{html.escape(self.text())}</span>'

    def __str__(self) -> str:
        return self.text()


def effect_words(value: float, metric: str, interpretation: str = "improvement") -> str:
    """Verbal size of an effect (Cohen, 1988): SMD |d| .2/.5/.8; correlations |r| .1/.3/.5;
    log odds ratios via d = log OR sqrt(3)/pi."""
    if value is None or not np.isfinite(value):
        return "no estimate"
    if metric == "r":
        a = abs(value)
        size = "negligible" if a < 0.1 else "small" if a < 0.3 else "medium" if a < 0.5 else "large"
    else:
        d = value * math.sqrt(3) / math.pi if metric == "logor" else value
        a = abs(d)
        size = "negligible" if a < 0.2 else "small" if a < 0.5 else "medium" if a < 0.8 else "large"
    if size == "negligible":
        return "a negligible difference"
    if interpretation == "improvement":
        return f"a {size} {'improvement' if value > 0 else 'deterioration'}"
    if interpretation == "risk":
        return f"a {size} {'increase in risk' if value > 0 else 'decrease in risk'}"
    return f"a {size} {'positive' if value > 0 else 'negative'} association"


def _metric(spec) -> str:
    m = spec["effect"].get("measure")
    if m in ("OR", "PETO"):
        return "logor"
    if m in ("PCOR", "COR", "ZCOR", "UCOR"):
        return "r"
    return "d"


def _img(path: Path) -> str:
    if not path.exists():
        return ""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _records(t: pd.DataFrame, cols: list[str] | None = None, digits: int = 3) -> list[dict]:
    if t.empty:
        return []
    t = t[[c for c in (cols or t.columns) if c in t.columns]]
    out = []
    for _, r in t.iterrows():
        rec = {}
        for c, v in r.items():
            if isinstance(v, (float, np.floating)):
                rec[c] = "" if np.isnan(v) else (f"{v:.{digits}f}" if not float(v).is_integer() else f"{int(v)}")
            else:
                rec[c] = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
        out.append(rec)
    return out


def _certainty(het_i2: float, egger_p, k: int, design_note: str) -> list[str]:
    reasons = []
    if np.isfinite(het_i2):
        lvl = "low" if het_i2 < 30 else "moderate" if het_i2 < 60 else "substantial" if het_i2 < 75 else "considerable"
        reasons.append(f"heterogeneity is {lvl} (I² = {het_i2:.0f}%)")
    if egger_p is not None and np.isfinite(egger_p):
        reasons.append("the funnel plot test suggests small-study effects (Egger p < 0.10)" if egger_p < 0.10
                       else "the funnel plot test gives no sign of small-study effects (Egger p ≥ 0.10)")
    if k < 10:
        reasons.append(f"with only {k} studies, tests of heterogeneity and publication bias have little power")
    if design_note:
        reasons.append(design_note)
    return reasons


# study-characteristics table of the report: column -> heading
CHARACTERISTICS_COLUMNS = {
    "row": "row", "authors": "authors", "year": "year", "country": "country", "intervention": "intervention",
    "intervention_type": "type", "organised_by": "organised by", "design": "design", "quality_score": "quality (0-11)",
    "duration_months": "duration (months)", "contacts_per_month": "contacts / month",
    "child_age_min_years": "child age from (years)", "child_age_max_years": "child age to (years)",
    "n_outcome_measures": "outcome measures (n)", "outcome_domains": "outcome domains"}


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
    ctx["least_studied"] = Markup("{}, which only {} of the {} study rows measured").format(
        " and ".join(f"{od.loc[i, 'outcome_domain']} outcomes" for i in least),
        Markup(T.num("studies/outcome_domains.csv", "n_studies", least[0], 0).__html__()),
        Markup(ctx["total_rows"].__html__())) if least else ""
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
    ctx["reviews"] = _records(T.get("studies/reviews.csv"), ["authors", "year", "title", "source_database",
                                                              "designs_included", "findings_statements"])
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
                                         "direction", "source_page"])
    # figures
    sf = Path(figures) / "studies"
    ctx["fig"] = {n: _img(sf / f"{n}.png") for n in ("rob_traffic_light", "rob_summary", "quality_by_design",
                                                   "prisma_flow", "evidence_gap_map")}
    # analyses
    ctx["analyses"] = [_analysis_context(a, T, Path(figures)) for a in cfg["analyses"]]
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
    ctx = {"spec": spec, "id": aid, "measure": measure_label(spec), "k": T.num(het, "k", 0, 0),
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
    ctx["certainty"] = _certainty(float(T.num(het, "I2", 0).v), ctx["egger"]["pval"].v if ctx["egger"] else None,
                                  int(T.num(het, "k", 0).v) if len(h) else 0, "")
    ctx["moderators"] = _records(T.get(f"{aid}/moderators.csv"), ["model", "term", "estimate", "se", "stat", "pval",
                                                                 "ci_lb", "ci_ub", "QM", "QMp", "R2", "k"])
    ctx["subgroups"] = _records(T.get(f"{aid}/subgroups.csv"), ["subgroup_variable", "group", "k", "estimate", "ci_lb",
                                                               "ci_ub", "tau2", "I2", "Q_between", "df_between",
                                                               "p_between"])
    ctx["robust"] = _records(T.get(f"{aid}/robust.csv"))
    ctx["sensitivity"] = _records(T.get(f"{aid}/sensitivity.csv"))
    l1 = T.get(f"{aid}/diagnostics/leave1out.csv")
    ctx["leave1out_range"] = ({"lo": T.num(f"{aid}/diagnostics/leave1out.csv", "estimate", int(l1["estimate"].idxmin()), 2),
                               "hi": T.num(f"{aid}/diagnostics/leave1out.csv", "estimate", int(l1["estimate"].idxmax()), 2)}
                              if not l1.empty else None)
    inf = T.get(f"{aid}/diagnostics/influence.csv")
    ctx["influential"] = (inf.loc[inf["influential"].astype(str) == "True", "study"].astype(str).tolist()
                          if not inf.empty else None)
    ctx["perm"] = _records(T.get(f"{aid}/diagnostics/permutation.csv"))
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
    ctx["figs"] = [{"name": p.stem, "src": _img(p)} for p in sorted(fd.glob("*.png"))] if fd.exists() else []
    ctx["model_txt"] = (T.results / aid / "model.txt").read_text(encoding="utf-8") if (T.results / aid / "model.txt").exists() else ""
    return ctx


def _env() -> jinja2.Environment:
    loader = jinja2.FunctionLoader(lambda name: resources.files("evsynth.present").joinpath(f"templates/{name}").read_text(
        encoding="utf-8"))
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    return env


def render_html(ctx: dict) -> str:
    return _env().get_template("report.html.j2").render(**ctx)


PDF_CELL_MAX = 600  # characters of one PDF table cell; longer text is cut with a note


def _pdf_cell(text: str) -> str:
    text = clean_text(text)
    if len(text) <= PDF_CELL_MAX:
        return text
    return f"{text[:PDF_CELL_MAX]}... [cut: {len(text):,} characters; the full text is in the HTML report and the results table]"


def render_pdf(ctx: dict, figures: Path, out: Path | None = None) -> bytes:
    """The PDF edition: the same sections as the HTML report (summary, methods, studies,
    quality, each analysis with its tables and figures, the 47 studies, evidence gaps,
    NJI tables, references), built with reportlab in invariant mode so that the same
    inputs give the same bytes."""
    import io

    from reportlab import rl_config

    rl_config.invariant = 1
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus.doctemplate import LayoutError
    from reportlab.platypus import Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    ss = getSampleStyleSheet()
    small = ss["BodyText"].clone("small", fontSize=6.5, leading=7.5)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, title=ctx["title"], author="evsynth", leftMargin=1.5 * cm,
                            rightMargin=1.5 * cm, topMargin=1.5 * cm, bottomMargin=1.5 * cm)
    width = A4[0] - 3 * cm
    E = html.escape
    story: list = []

    def para(text, style="BodyText"):
        story.append(Paragraph(E(str(text)), ss[style] if isinstance(style, str) else style))

    def table(records, cols=None, max_rows=200):
        if not records:
            para("(none)", small)
            return
        cols = cols or list(records[0].keys())
        heads = [CHARACTERISTICS_COLUMNS.get(c, c) for c in cols]
        body = [[_pdf_cell(str(r.get(c, "")).replace(";", "; ")) for c in cols] for r in records[:max_rows]]
        # column widths follow the longest word / typical text of each column, within bounds
        def longest_word(text):
            return max((len(w) for w in text.split()), default=0)

        weight = [min(max(6, longest_word(h), *(longest_word(row[j]) for row in body),
                          float(np.median([len(row[j]) for row in body])) / 2), 30) for j, h in enumerate(heads)]
        data = [[Paragraph(E(h), small) for h in heads]]
        data += [[Paragraph(E(v), small) for v in row] for row in body]
        weight = [w + 3 for w in weight]  # cell padding
        t = Table(data, colWidths=[width * w / sum(weight) for w in weight], repeatRows=1)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
        story.extend([t, Spacer(1, 6)])

    def fig(path: Path, caption: str):
        if path.exists():
            iw, ih = ImageReader(str(path)).getSize()
            maxh = A4[1] - 5 * cm
            w = min(width, maxh * iw / ih)
            story.extend([Image(str(path), width=w, height=w * ih / iw), Paragraph(E(caption), ss["Italic"]),
                          Spacer(1, 8)])

    para(ctx["title"], "Title")
    para("Plain-language summary", "Heading2")
    for p in ctx["summary_paragraphs"]:
        para(p)
    story.append(PageBreak())
    para("Methods", "Heading2")
    for p in ctx["methods_paragraphs"]:
        para(p)
    para("Included studies", "Heading2")
    fig(Path(figures) / "studies" / "prisma_flow.png", "Search and selection flow (PRISMA 2020)")
    table(ctx["characteristics"], ["row", "authors", "year", "country", "intervention_type", "design",
                                   "quality_score", "duration_months", "contacts_per_month", "child_age_min_years",
                                   "child_age_max_years", "outcome_domains"])
    para("Study quality", "Heading2")
    table([{k: str(v) for k, v in d.items() if k != "design"} | {"design": d["design"]} for d in ctx["designs"]],
          ["design", "n_rows", "n_articles", "n_scored", "n_no_score", "median", "min", "max"])
    for n, cap in (("quality_by_design", "Quality scores by design"), ("rob_summary", "Quality items"),
                   ("rob_traffic_light", "Quality items per study")):
        fig(Path(figures) / "studies" / f"{n}.png", cap)
    for a in ctx["analyses"]:
        story.append(PageBreak())
        para(a["spec"]["title"], "Heading2")
        para(a["sentence"])
        para("Source: " + a["spec"]["citation"] + " Coded data: " + a["spec"]["data_source"] + ". "
             + a["spec"]["direction"]["rule"])
        table([{"k": a["k"], "estimate": a["est"], "CI": f"[{a['ci_lb']}, {a['ci_ub']}]", "p": a["pval"],
                "PI": f"[{a['pi_lb']}, {a['pi_ub']}]", "tau2": a["tau2"], "I2": a["I2"],
                "Q (df)": f"{a['QE']} ({a['QE_df']})"}])
        if a.get("multiverse"):
            mv = a["multiverse"]
            para(f"Multiverse: {mv['n_fitted']} of {mv['n']} specifications fitted; median estimate {mv['median']} "
                 f"(range {mv['min']} to {mv['max']}); the CI excludes 0 in {mv['n_excl']} ({mv['pct_excl']})."
                 + (f" The choice that moves the estimate most is {mv['dim']}: median {mv['lo_med']} with "
                    f"{mv['lo']}, {mv['hi_med']} with {mv['hi']}." if mv["dim"] else ""))
        for f in a["figs"]:
            fig(Path(figures) / a["id"] / f"{f['name']}.png", f"{a['id']}: {f['name']}")
        for key, heading in (("moderators", "Moderator analyses"), ("subgroups", "Subgroups"),
                             ("robust", "Cluster-robust inference (CR2)"), ("sensitivity", "Sensitivity"),
                             ("perm", "Permutation tests")):
            if a[key]:
                para(heading, "Heading3")
                table(a[key])
        bias = []
        if a["egger"]:
            bias.append(f"Egger: stat {a['egger']['stat']}, p {a['egger']['pval']}")
        if a["begg"]:
            bias.append(f"Begg: tau {a['begg']['tau']}, p {a['begg']['pval']}")
        if a["trimfill"]:
            bias.append(f"Trim-and-fill: {a['trimfill']['k0']} filled ({a['trimfill']['side']}), "
                        f"estimate {a['trimfill']['est']} [{a['trimfill']['lo']}, {a['trimfill']['hi']}]")
        if a["fsn"] is not None:
            bias.append(f"Fail-safe N: {a['fsn']}")
        if a["leave1out_range"]:
            bias.append(f"Leave-one-out estimates from {a['leave1out_range']['lo']} to {a['leave1out_range']['hi']}")
        for b in bias:
            para(b)
    story.append(PageBreak())
    para("The 47 studies: extracted effect sizes", "Heading2")
    para(f"Effect sizes extracted for {ctx['n_extracted']} of {ctx['total_rows']} study rows. {ctx['direction_rule']}")
    table(ctx["pooled_domain"])
    table(ctx["moderators_domain"])
    para("Evidence gap map", "Heading2")
    fig(Path(figures) / "studies" / "evidence_gap_map.png", "Studies per outcome domain and intervention type")
    para("Interventions in the Netherlands (NJI, 2020)", "Heading2")
    table(ctx["nji_interventions"], ["intervention", "group", "erkend_dec2019", "klaassen_vermaat_2015_max_effect",
                                     "evenboer_2018_included", "rct_evidence"])
    table(ctx["nji_findings"], ["review", "finding", "value", "value_low", "value_high", "unit"])
    para("Reviews (Holwerda et al., 2014, Bijlage 6)", "Heading3")
    table(ctx["reviews"], ["authors", "year", "title", "source_database", "designs_included"])
    para("Excluded rows", "Heading2")
    if ctx.get("exclusions"):
        table(ctx["exclusions"], ["analysis", "dataset", "row", "study", "reason"])
    else:
        para("No row of an analysis dataset was left out.")
    para("References", "Heading2")
    for r in ctx["references"]:
        para(r)
    try:
        doc.build(story)
    except LayoutError as exc:
        raise EvsynthError(f"the PDF report cannot be laid out ({clean_text(str(exc))[:200]}); nothing was "
                           "written") from None
    if out is not None:
        write_bytes(out, buf.getvalue())
    return buf.getvalue()


def _methods(ctx: dict) -> list[str]:
    return [
        f"Search and selection: Holwerda et al. (2014) searched Medline, Embase, ERIC, PsycINFO, SocINDEX, Web of "
        f"Knowledge and the Campbell and Cochrane libraries for studies published 2000 - February 2013; "
        f"{ctx['p_unique']} unique records were screened, {ctx['p_excluded']} excluded on title and abstract, "
        f"{ctx['p_fulltext']} articles assessed in full text. Two reviewers selected and scored studies independently.",
        "Coding: the study tables were coded from the seeds' appendices with the source line of every row; free text "
        "is verbatim and nothing the source does not say is filled in. Quality is the published total of the 11-item "
        f"form (items A-K, yes = 1, no or unclear = 0); studies scoring below {ctx['min_score']} are excluded in the "
        "quality sensitivity analysis.",
        f"Statistics: each pooled analysis uses the model declared in config.yaml (listed per analysis); "
        f"{ctx['level']}% intervals; permutation tests seeded with {ctx['seed']}. Extracted effects of the 47 studies are "
        f"pooled per outcome domain with {ctx['extraction']['method']} and the {ctx['extraction']['test']} test when at "
        f"least {ctx['extraction']['min_k']} studies contribute. evsynth reproduces R metafor on its conformance cases.",
        "Direction of effects: " + ctx["direction_rule"],
    ]


def _summary(ctx: dict) -> list[str]:
    """The plain-language summary as paragraphs (numbers formatted from the tables)."""
    paras = [
        "What was asked: which help works for families with multiple and complex problems "
        "(multiprobleemgezinnen). This report brings together the systematic review of Holwerda, Jansen and "
        "Reijneveld (2014), the NJI (2020) overview of Dutch interventions, and pooled analyses of real per-study "
        "data from neighbouring reviews.",
        f"How much evidence there is: {ctx['p_included']} primary articles (in {ctx['total_rows']} table rows) and "
        f"{ctx['p_reviews']} reviews were included from {ctx['p_unique']} unique records. "
        + "; ".join(f"{d['n_articles']} {d['design']} articles, median quality score {d['median']} of 11"
                    for d in ctx["designs"]) + ". "
        f"Effect sizes have been extracted for {ctx['n_extracted']} of the {ctx['total_rows']} study rows; the "
        "seed review reports significance only, so these studies cannot yet be pooled.",
    ]
    for a in ctx["analyses"]:
        paras.append(a["sentence"])
    paras.append("What is not known: per-study effect sizes for the 47 primary studies; the direction of many reported "
                 "effects (the arrows were lost from the source table and are not guessed)"
                 + (f"; and effects on {ctx['least_studied'].striptags()} (see the evidence gap map)."
                    if ctx["least_studied"] else "."))
    return paras


def _sentence(a: dict, level: float) -> str:
    spec = a["spec"]
    back = ""
    if "back" in a:
        back = f" (odds ratio {a['back']['est']}, {level:g}% CI {a['back']['lo']} to {a['back']['hi']})"
    cert = "; ".join(a["certainty"])
    unit = f"effect sizes from {a['sigmas'][0]['nlevels']} studies" if a["multilevel"] else "studies"
    zero = (" The confidence interval includes no effect, so even the direction is uncertain."
            if a["ci_has_zero"] else "")
    return (f"{spec['title']}: across {a['k']} {unit}, the pooled "
            f"effect is {a['words']} ({a['measure']} {a['est']}, {level:g}% CI {a['ci_lb']} to {a['ci_ub']}){back}."
            f"{zero} Certainty: {cert}.")


def run_report(cfg: dict, results: Path, figures: Path, html_out: Path, pdf_out: Path | None) -> None:
    ctx = build_context(cfg, results, figures)
    for a in ctx["analyses"]:
        a["sentence"] = _sentence(a, float(cfg["level"]))
    ctx["summary_paragraphs"] = _summary(ctx)
    ctx["methods_paragraphs"] = _methods(ctx)
    ctx["references"] = _references(cfg)
    # HTML and PDF as one unit: both are rendered before either is written, and both are
    # moved into place only when both temporary files are complete
    html_text = render_html(ctx)
    pdf_bytes = render_pdf(ctx, figures) if pdf_out is not None else None
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
    ]
    refs += [a["citation"] + f" Data: {a['data_source']}." for a in cfg["analyses"]]
    return refs

