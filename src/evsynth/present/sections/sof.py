"""The Summary of Findings table (GRADE) and the pooled results of published meta-analyses,
read from ``certainty/*.csv``."""

from __future__ import annotations

import math

from evsynth.present.context import CERT, RANDOMISED_BODY, RATIO_WORDS
from evsynth.present.document import M, Section, TableBlock, Text

__all__ = ['sof_sections', 'SOF_COLUMNS']


SOF_COLUMNS = [("outcome", "outcome"), ("role", "role"), ("studies", "studies"), ("effect", "effect (95% CI)"),
               ("pi", "prediction interval"), ("certainty", "certainty"), ("down", "rated down for"),
               ("means", "what this means")]
PUBLISHED_COLUMNS = [("review", "review"), ("outcome", "outcome"), ("estimate", "estimate"), ("metric", "metric"),
                     ("k_studies", "studies"), ("N", "participants (N)"), ("verbatim", "what the abstract says (verbatim)"),
                     ("caveat_derived", "caveat (derived from the metric)")]



def _ratio(spec: dict) -> str:
    return RATIO_WORDS.get((spec.get("effect") or {}).get("measure", ""), "")


def _sof_row(a: dict, g: dict, T, body: str = "") -> dict:
    """One row of the SoF table from a row of ``certainty.csv`` (``g``): ratios shown from its
    back-transformed columns (``*_exp``, copied from the fit's heterogeneity table)."""
    i = g["row"]
    if (words := _ratio(a["spec"])) and math.isfinite(T.num(CERT, "estimate_exp", i).v):
        eff = M("{} {} ({} to {})", words, T.num(CERT, "estimate_exp", i, 2), T.num(CERT, "ci_lb_exp", i, 2),
                  T.num(CERT, "ci_ub_exp", i, 2))
        pi = M("{} to {}", T.num(CERT, "pi_lb_exp", i, 2), T.num(CERT, "pi_ub_exp", i, 2))
    else:
        eff, pi = M("{} ({} to {})", g["est"], g["lo"], g["hi"]), M("{} to {}", g["pi_lb"], g["pi_ub"])
    few = M(" \u2013 fewer than 5 studies") if g["n_studies"].v < 5 else ""
    return {"outcome": M("{}", a["spec"]["title"]) + (M(" \u2013 {}", body) if body else ""), "role": a["role"],
            "studies": M("{} ({} effect sizes){}", g["n_studies"], g["k"], few), "effect": eff, "pi": pi,
            "certainty": M("{} (started {})", g["certainty"], g["start"]), "down": g["down"], "means": g["statement"]}


def sof_sections(ctx: dict) -> list:
    """The Summary of Findings table (every pooled outcome, primary ones first; an outcome that
    pools randomised and non-randomised studies in two rows, the second its randomised body,
    rated on its own as GRADE guidance 24 asks) and the pooled results of published meta-analyses."""
    rows = []
    for a in ctx["primary"] + ctx["secondary"]:
        g = a.get("grade")
        if not g:
            continue
        if "randomised" in g:
            rows += [_sof_row(a, g, ctx["T"], "all designs"), _sof_row(a, g["randomised"], ctx["T"], RANDOMISED_BODY)]
        else:
            rows.append(_sof_row(a, g, ctx["T"]))
    out = [Section("sof", "Summary of Findings (GRADE)", [
        TableBlock(SOF_COLUMNS, rows, repeat_header=False),
        Text(M("Read from <code>results/certainty/certainty.csv</code> and <code>certainty_reasons.csv</code>; the "
                   "rules are in the methods. Standardised mean differences: positive = improvement; ratios as "
                   "reported for the analysis. Where an outcome pools randomised and non-randomised studies, the "
                   "randomised studies are also rated on their own (GRADE guidance 24: each body of evidence is "
                   "rated separately; a randomised body starts at high certainty, a mixed one at low)."),
               style="note")], nav="Summary of Findings")]
    out.append(Section("published", "What published meta-analyses on these families found", [
        TableBlock(PUBLISHED_COLUMNS, ctx["published"], repeat_header=False) if ctx["published"] else
        Text(M("No table of published pooled estimates is named in the config (<code>published_estimates</code>)."))],
        level=3))
    return out


