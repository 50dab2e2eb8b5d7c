"""The review's own studies, first among the pooled results (issue 24): how many of Holwerda et
al.'s study rows yielded effect sizes, per outcome domain the pooled effect with its certainty,
what intensity and caseload show (or why they cannot be tested), each set beside what the
reviewers concluded (``certainty/review_comparison.csv``), and Klaassen-Vermaat et al.'s own
categories per Dutch intervention (the reviewers' summary, as the NJI text gives it)."""

from __future__ import annotations

from evsynth.present.context import GRADE_WORDS, table_path
from evsynth.present.document import M, Items, Section, TableBlock, Text
from evsynth.present.i18n import N_, _, current

__all__ = ["own_studies_section", "own_blocks", "is_own"]

COMPARISON = "certainty/review_comparison"
KV_WORDS = {
    "large": N_("at most a large effect"),
    "medium": N_("at most a medium effect"),
    "small": N_("at most a small effect"),
    "none known": N_("no effect size known"),
    "conflicting in source": N_("listed in two categories by the source"),
}


def is_own(a: dict) -> bool:
    """An analysis of the review's own studies (its effect sizes come from the extraction)."""
    return "extracted" in a["spec"]["effect"]


def _moderator_lines(a: dict, ctx: dict) -> list:
    """Intensity and caseload: the fit's note says how many studies carry each and that it was not
    tested; a tested moderator points to its meta-regression (technical appendix)."""
    T = ctx["T"]
    notes = T.text(table_path("fit_notes", a["id"]))
    said = {
        n.split(":", 1)[0]: n.split(":", 1)[1].strip() for n in (notes["note"] if "note" in notes else []) if ":" in n
    }
    out = []
    for m in a["spec"].get("moderators", []):
        label = _(m.get("label", m["column"]))
        if m["column"] in said:
            n = said[m["column"]].split(" ", 1)[0]
            out.append(
                M(
                    _(
                        "{label}: {n} of the pooled studies carry it; a meta-regression is run from {need} "
                        "studies, so it cannot be tested here."
                    ),
                    label=label,
                    n=n,
                    need=a["spec"].get("moderator_min_studies", 0),
                )
            )
        else:
            out.append(
                M(
                    _(
                        '{label}: tested by meta-regression with a permutation test (<a href="#{id}-technical">'
                        "technical appendix</a>)."
                    ),
                    label=label,
                    id=a["id"],
                )
            )
    return out


def _comparison_lines(a: dict, ctx: dict) -> list:
    T = ctx["T"]
    rel = table_path(COMPARISON)
    t = T.text(rel)
    out = []
    for i, r in t[t["analysis"] == a["id"]].iterrows() if "analysis" in t else []:
        out.append(
            M(
                _(
                    'Holwerda et al. concluded: \u201c{claim}\u201d <a href="#finding-{fid}">[{fid}]</a> \u2013 '
                    "{sentence}"
                ),
                claim=r["claim_en"] if current() == "en" else r["claim_nl"],
                fid=r["finding_id"],
                sentence=_(r["sentence"]),
            )
        )
    return out


def own_blocks(a: dict, ctx: dict) -> list:
    """What an analysis of the review's own studies adds to its chapter: intensity and caseload,
    and the comparison with the reviewers' conclusions."""
    blocks = [Text(M(""), lead=_("What intensity and caseload show:")), Items(_moderator_lines(a, ctx))]
    comp = _comparison_lines(a, ctx)
    if comp:
        blocks += [Text(M(""), lead=_("Beside what the review concluded:")), Items(comp)]
    return blocks


def own_studies_section(ctx: dict) -> list[Section]:
    own = [a for a in ctx["primary"] if is_own(a)]
    if not own:
        return []
    T = ctx["T"]
    summary = table_path("extraction/summary")
    rows = []
    for a in own:
        g = a.get("grade")
        if not g:
            continue
        rows.append(
            {
                "domain": M('<a href="#{}">{}</a>', a["id"], _(a["spec"].get("short_title", a["spec"]["title"]))),
                "studies": g["n_studies"],
                "effect": M("{} ({} {} {})", g["est"], g["lo"], _("to"), g["hi"]),
                "certainty": _(GRADE_WORDS[g["level"]]),
            }
        )
    kv = [
        {
            "intervention": r["intervention"],
            "category": _(KV_WORDS.get(r["klaassen_vermaat_2015_max_effect"], r["klaassen_vermaat_2015_max_effect"])),
        }
        for r in ctx["nji_interventions"]
        if r.get("klaassen_vermaat_2015_max_effect")
    ]
    blocks = [
        Text(
            M(
                _(
                    "Effect sizes were extracted from public abstracts and clearinghouse pages by two independent coders "
                    "for {n} of the {total} study rows of Holwerda et al. (2014); the others report no usable statistics "
                    "in public text (listed in the technical appendix). Each outcome domain with at least three studies "
                    "is pooled below; positive values mean better for the family."
                ),
                n=T.num(summary, "n_rows_extracted", 0, 0),
                total=T.num(summary, "n_rows", 0, 0),
            )
        ),
        TableBlock(
            [
                ("domain", _("outcome domain")),
                ("studies", _("studies")),
                ("effect", _("effect (95% CI)")),
                ("certainty", _("certainty")),
            ],
            rows,
        ),
    ]
    if kv:
        blocks += [
            Text(
                M(
                    "{}",
                    _(
                        "The Dutch interventions in Klaassen-Vermaat et al. (2015): the reviewers' own "
                        "summary of the largest effect each reached (as the NJI text reports it; most "
                        "effect sizes come from pre-post data, so they may partly reflect spontaneous "
                        "recovery)."
                    ),
                ),
                style="note",
            ),
            TableBlock([("intervention", _("intervention")), ("category", _("reviewers' category"))], kv),
        ]
    return [Section("own-studies", _("The review's own studies"), blocks, nav=_("The review's own studies"))]
