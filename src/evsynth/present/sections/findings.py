""" "What the reviews found": the findings of the two source reviews, read from the findings
table (``studies/findings.csv``)."""

from __future__ import annotations

from markupsafe import Markup

from evsynth.present import labels
from evsynth.present.document import M, Items, Section, TableBlock, Text
from evsynth.present.i18n import N_, _, current
from evsynth.texts import reader_source

__all__ = ["findings_section", "DIRECTION_SYMBOLS", "DIRECTION_LEGEND"]


# direction of a claim as the source states it (column ``direction`` of findings.csv) as a symbol
# with a legend (issue 25 item 4: compact, so that the claims read as sentences)
DIRECTION_SYMBOLS = {"positive": "\u25b2", "negative": "\u25bc", "mixed": "\u25c6", "none": "\u25cb", "unknown": "?"}
DIRECTION_LEGEND = [
    ("positive", N_("favourable (the help works, or works better)")),
    ("negative", N_("unfavourable (less or no effect, or harm)")),
    ("mixed", N_("mixed (the studies disagree)")),
    ("none", N_("no effect found")),
    ("unknown", N_("direction not stated in the source")),
]
DOCUMENTS = {"holwerda2014": N_("Holwerda et al. (2014)"), "nji2020": N_("NJI (2020)")}


def _section_key(sec: str):
    return tuple(int(x) if x.isdigit() else 0 for x in str(sec).split("."))


def _claim(r, ctx: dict) -> tuple[Markup, Markup]:
    """One finding as a sentence -- direction symbol, the claim, the reviewers' strength words
    in brackets, its id linking to the findings table -- and what a click shows (the Dutch
    original in the English edition, the coders' English translation in the Dutch one)."""
    nl = current() == "nl"
    sym = DIRECTION_SYMBOLS.get(r["direction"], "")
    lead = (
        M('<span class="dir" title="{}">{}</span> ', _(dict(DIRECTION_LEGEND).get(r["direction"], "")), sym)
        if sym
        else M("")
    )
    claim = str(r["claim_nl"] if nl else r["claim_en_translation"]).strip()
    words = r["strength_nl"] if nl else (labels.english(r["strength_nl"]) or "")
    strength = (
        M(' <span class="strength">({} \u201c{}\u201d)</span>', _("reviewers' words:"), words) if words else M("")
    )
    text = M(
        '<span id="claim-{}"></span>{}{}{} <a href="#finding-{}">[{}]</a>',
        r["finding_id"],
        lead,
        claim,
        strength,
        r["finding_id"],
        r["finding_id"],
    )
    if nl:
        more = M("{}", str(r["claim_en_translation"]).strip())
    else:
        more = M(
            "{}{}",
            str(r["claim_nl"]).strip(),
            M(" ({}: \u201c{}\u201d)", "sterkte", r["strength_nl"]) if r["strength_nl"] else M(""),
        )
    return text, more


def findings_section(ctx: dict) -> list[Section]:
    """ "What the reviews found": every row of the findings table, grouped by document and by the
    section of the document it comes from, each a sentence (:func:`_claim`); the findings table
    itself, with the source lines of every row, goes to the technical appendix.  Plus the
    evidence-base sentences that need the study tables (the count of reviews, quality by design).
    Empty without a findings table."""
    f = ctx.get("findings_table")
    if f is None or f.empty:
        return []
    f = f.fillna("")
    rows = {r["finding_id"]: r for _i, r in f.iterrows()}
    legend = Markup("; ").join(M("{} {}", DIRECTION_SYMBOLS[d], _(w)) for d, w in DIRECTION_LEGEND)
    out = [
        Section(
            "found",
            _("What the reviews found"),
            [
                Text(
                    M(
                        _(
                            "Every conclusion coded from the two reviews, as a sentence, grouped by the section of the review it "
                            "comes from. The symbol gives the direction the source states ({}); the reviewers' own words for how "
                            "strong the evidence is follow in brackets; the Dutch original is one click away, and the findings "
                            "table in the technical appendix gives the source lines of every row."
                        ),
                        legend,
                    ),
                    style="note",
                ),
                Text(
                    M(
                        _(
                            "{} findings from {} sections of the two reviews. The printed edition lists them in the technical "
                            "appendix; the key messages above cite the ones on what works, for whom and how."
                        ),
                        len(f),
                        len(f.groupby(["source_document", "section"])),
                    ),
                    style="note",
                ),
            ],
            nav=_("What the reviews found"),
        )
    ]
    printed: list[Section] = []
    docs = [d for d in DOCUMENTS if d in set(f["source_document"])] + sorted(set(f["source_document"]) - set(DOCUMENTS))
    n = 0
    for doc in docs:
        part = f[f["source_document"] == doc]
        for sec in sorted(dict.fromkeys(part["section"]), key=_section_key):
            claims = [_claim(r, ctx) for _i, r in part[part["section"] == sec].iterrows()]
            n += 1
            title = M(_("{document}, section {section}"), document=_(DOCUMENTS.get(doc, doc)), section=sec)
            items = Items(
                [c for c, _m in claims],
                details=[m for _c, m in claims],
                summary=_("Dutch original") if current() != "nl" else _("English translation"),
            )
            # every finding in the HTML main report; in print, the main PDF stays short (issue 27: under
            # 30 pages) and the sentences are printed in the technical appendix
            out.append(Section(f"found-{n}", title, [items], level=3, editions=("html",)))
            printed.append(
                Section(
                    f"found-print-{n}", title, [Items(list(items.items))], level=3, editions=("pdf",), part="appendix"
                )
            )
    blocks: list = []
    if "H-4.9-01" in rows:
        blocks += [
            Items(
                [
                    M(
                        _(
                            "The flow diagram (figure 2.1) of Holwerda et al. counts {} included reviews; Bijlage 6 "
                            "and section 4.9 list {}. This report codes the reviews Bijlage 6 lists."
                        )
                        + ' <a href="#finding-H-4.9-01">[H-4.9-01]</a>',
                        ctx["p_reviews"],
                        ctx["n_reviews_listed"],
                    )
                ]
            )
        ]
    if ctx.get("designs"):
        des = Markup("; ").join(
            M(
                _("{} {} articles (quality score median {} of 11, {} rows without a score)"),
                d["n_articles"],
                _(d["design"]),
                d["median"],
                d["n_no_score"],
            )
            for d in ctx["designs"]
        )
        blocks += [
            Items(
                [
                    M(
                        _(
                            "Published quality scores (Bijlage 5, 11-item form): {}. The source table gives no "
                            "sample sizes."
                        ),
                        des,
                    )
                ]
            )
        ]
    if blocks:
        out.append(Section("found-base", _("The evidence base"), blocks, level=3))
    out.append(
        Section(
            "found-pdf",
            _("What the reviews found: every finding"),
            [
                Text(
                    M(
                        _(
                            "The findings of the two reviews as sentences, grouped by the section of the review they come from "
                            "(in the HTML edition they are part of the main report)."
                        )
                    ),
                    style="note",
                )
            ],
            editions=("pdf",),
            part="appendix",
            new_page=True,
        )
    )
    out += printed
    out.append(
        Section(
            "findings-table",
            _("Findings table"),
            [
                TableBlock(
                    [
                        ("finding_id", _("finding")),
                        ("claim_nl", _("claim (Dutch, verbatim)")),
                        ("claim_en", _("English (translation)")),
                        ("direction", _("direction")),
                        ("strength_nl", _("strength (source's words; English, Dutch in brackets)")),
                        ("where", _("source (document and lines)")),
                    ],
                    [
                        {
                            "anchor": f"finding-{r['finding_id']}",
                            "finding_id": r["finding_id"],
                            "claim_nl": r["claim_nl"],
                            "claim_en": r["claim_en_translation"],
                            "direction": M("{} {}", DIRECTION_SYMBOLS.get(r["direction"], ""), _(r["direction"])),
                            "strength_nl": labels.translate(r["strength_nl"]),
                            "where": reader_source(r["source"])
                            + (_("; strength: lines {}").format(r["strength_lines"]) if r["strength_lines"] else ""),
                        }
                        for _i, r in f.iterrows()
                    ],
                    anchor="anchor",
                )
            ],
            part="appendix",
            nav=_("Findings table"),
        )
    )
    return out
