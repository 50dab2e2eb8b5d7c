"""The Summary of Findings table (GRADE) and the pooled results of published meta-analyses,
read from ``certainty/*.csv``."""

from __future__ import annotations

import math

from markupsafe import Markup

from evsynth.present.context import CERT, GRADE_WORDS, MECHANICAL, RANDOMISED_BODY, RATIO_WORDS, grade_statement
from evsynth.present.document import M, Section, TableBlock, Text
from evsynth.present.i18n import N_, _

__all__ = ["sof_sections", "SOF_COLUMNS"]


SOF_COLUMNS = [
    ("outcome", N_("outcome")),
    ("studies", N_("studies")),
    ("effect", N_("effect (95% CI)")),
    ("pi", N_("prediction interval")),
    ("certainty", N_("certainty")),
    ("down", N_("rated down for")),
    ("means", N_("what this means")),
]
PUBLISHED_COLUMNS = [
    ("review", "review"),
    ("outcome", "outcome"),
    ("estimate", "estimate"),
    ("metric", "metric"),
    ("k_studies", "studies"),
    ("N", "participants (N)"),
    ("verbatim", "what the abstract says (verbatim)"),
    ("caveat_derived", "caveat (derived from the metric)"),
]
ROLE_WORDS = {"primary": N_("families with multiple problems"), "secondary": N_("neighbouring field")}
DOMAIN_WORDS = {
    "risk_of_bias": N_("risk of bias"),
    "inconsistency": N_("inconsistency"),
    "imprecision": N_("imprecision"),
    "indirectness": N_("indirectness"),
    "publication_bias": N_("publication bias"),
}
START_WORDS = {"high": N_("high"), "low": N_("low")}
MARK = "\u2020"  # a downgrade that rests on a mechanical rule (explained under the table)


def _published_rows(rows: list[dict]) -> list[dict]:
    """The published estimates with the derived caveat in the report's language (the abstracts'
    words stay verbatim)."""
    return [dict(r, caveat_derived=_(r["caveat_derived"])) if r.get("caveat_derived") else r for r in rows]


def _ratio(spec: dict) -> str:
    return RATIO_WORDS.get((spec.get("effect") or {}).get("measure", ""), "")


def _down(g: dict, T) -> Markup:
    """The domains rated down, each with its number of levels; a mark where the downgrade rests
    on a mechanical rule (:data:`~evsynth.present.context.MECHANICAL`)."""
    cert = T.get(CERT)
    i = g["row"]
    flagged = {f.split(":")[0] for f in g["mechanical"]}
    parts = [
        M("{} (\u2212{}){}", _(w), T.num(CERT, f"{d}_downgrade", i, 0), MARK if d in flagged else "")
        for d, w in DOMAIN_WORDS.items()
        if f"{d}_downgrade" in cert and float(cert[f"{d}_downgrade"].fillna(0).iloc[i]) > 0
    ]
    return Markup("; ").join(parts) if parts else M(_("none"))


def _sof_row(a: dict, g: dict, T, body: str = "", anchor: str = "") -> dict:
    """One row of the SoF table from a row of ``certainty.csv`` (``g``): ratios shown from its
    back-transformed columns (``*_exp``, copied from the fit's heterogeneity table)."""
    i = g["row"]
    to = _("to")
    if (words := _ratio(a["spec"])) and math.isfinite(T.num(CERT, "estimate_exp", i).v):
        eff = M(
            "{} {} ({} {} {})",
            _(words),
            T.num(CERT, "estimate_exp", i, 2),
            T.num(CERT, "ci_lb_exp", i, 2),
            to,
            T.num(CERT, "ci_ub_exp", i, 2),
        )
        pi = M("{} {} {}", T.num(CERT, "pi_lb_exp", i, 2), to, T.num(CERT, "pi_ub_exp", i, 2))
    else:
        eff, pi = M("{} ({} {} {})", g["est"], g["lo"], to, g["hi"]), M("{} {} {}", g["pi_lb"], to, g["pi_ub"])
    few = M(" \u2013 {}", _("fewer than 5 studies")) if g["n_studies"].v < 5 else ""
    title = _(a["spec"]["title"])
    return {
        "anchor": anchor,
        "outcome": M("{}{} ({})", title, M(" \u2013 {}", _(body)) if body else "", _(ROLE_WORDS[a["role"]])),
        "studies": M(_("{} ({} effect sizes)"), g["n_studies"], g["k"]) + few,
        "effect": eff,
        "pi": pi,
        "certainty": M(_("{} (started {})"), _(GRADE_WORDS[g["level"]]), _(START_WORDS.get(g["start"], g["start"]))),
        "down": _down(g, T),
        "means": grade_statement(g),
    }


def sof_sections(ctx: dict) -> list:
    """The Summary of Findings table (every pooled outcome, primary ones first; an outcome that
    pools randomised and non-randomised studies in two rows, the second its randomised body,
    rated on its own as GRADE guidance 24 asks), the mechanical rules behind a rating said in
    words, and the pooled results of published meta-analyses (technical appendix)."""
    rows, rules = [], {}
    for a in ctx["primary"] + ctx["secondary"]:
        g = a.get("grade")
        if not g:
            continue
        if "randomised" in g:
            rows += [
                _sof_row(a, g, ctx["T"], N_("all designs"), f"sof-{a['id']}"),
                _sof_row(a, g["randomised"], ctx["T"], RANDOMISED_BODY, f"sof-{a['id']}-randomised"),
            ]
            bodies = [g, g["randomised"]]
        else:
            rows.append(_sof_row(a, g, ctx["T"], "", f"sof-{a['id']}"))
            bodies = [g]
        for b in bodies:
            for flag in b["mechanical"]:
                rules.setdefault(flag, []).append(_(a["spec"].get("short_title", a["spec"]["title"])))
    blocks = [
        TableBlock([(k, _(h)) for k, h in SOF_COLUMNS], rows, repeat_header=False, anchor="anchor"),
        Text(
            M(
                _(
                    "Standardised mean differences: positive = improvement; ratios as reported for the analysis. "
                    "Where an outcome pools randomised and non-randomised studies, the randomised studies are also "
                    "rated on their own (GRADE guidance 24: each body of evidence is rated separately; a randomised "
                    "body starts at high certainty, a mixed one at low). The rules of the rating are in the methods; "
                    "the reasons behind each downgrade in the technical appendix."
                )
            ),
            style="note",
        ),
    ]
    for flag, titles in rules.items():
        blocks.append(
            Text(
                M("{} {} {}", MARK, _(MECHANICAL[flag]), M(_("(Applies to: {}.)"), ", ".join(dict.fromkeys(titles)))),
                style="note",
            )
        )
    out = [Section("sof", _("Summary of Findings (GRADE)"), blocks, nav=_("Summary of Findings"))]
    out.append(
        Section(
            "published",
            _("What published meta-analyses on these families found"),
            [
                TableBlock(
                    [(k, _(h)) for k, h in PUBLISHED_COLUMNS], _published_rows(ctx["published"]), repeat_header=False
                )
                if ctx["published"]
                else Text(
                    M(
                        _(
                            "No table of published pooled estimates is named in the config "
                            "(<code>published_estimates</code>)."
                        )
                    )
                )
            ],
            part="appendix",
            nav=_("Published meta-analyses"),
        )
    )
    out.append(
        Section(
            "certainty-reasons",
            _("Certainty of the evidence: the reasons per domain"),
            [
                TableBlock(
                    [("outcome", _("outcome")), ("down", _("rated down for (levels: reason)"))],
                    [
                        {
                            "outcome": M("{}{}", _(a["spec"]["title"]), M(" \u2013 {}", _(b)) if b else ""),
                            "down": g["down"],
                        }
                        for a in ctx["primary"] + ctx["secondary"]
                        if a.get("grade")
                        for g, b in (
                            [(a["grade"], "")]
                            + ([(a["grade"]["randomised"], RANDOMISED_BODY)] if "randomised" in a["grade"] else [])
                        )
                    ],
                )
            ],
            part="appendix",
            nav=_("Certainty reasons"),
        )
    )
    return out
