"""Interventions in the Netherlands (NJI, 2020) and the reviews Holwerda et al. include."""

from __future__ import annotations

from evsynth.present.document import M, Section, TableBlock, Text
from evsynth.present.i18n import _
from evsynth.present.labels import TRANSLATION_NOTE, translated

__all__ = ["nji_section"]


NJI_COLUMNS = [
    "intervention",
    "group",
    "erkend_dec2019",
    "klaassen_vermaat_2015_max_effect",
    "evenboer_2018_included",
    "evenboer_2018_conclusion",
    "rct_evidence",
    "notes",
]


def nji_section(ctx: dict) -> list[Section]:
    findings = [
        dict(r, range=(f"{r['value_low']}–{r['value_high']}" if r.get("value_low") else ""))
        for r in ctx["nji_findings"]
    ]
    nji = translated(ctx["nji_interventions"], ("intervention", "group", "notes"))
    return [
        Section(
            "nji",
            _("Interventions in the Netherlands (NJI, 2020)"),
            [Text(M(_(TRANSLATION_NOTE)), style="note"), TableBlock.of(nji, NJI_COLUMNS)],
            new_page=True,
            nav=_("NJI"),
        ),
        Section(
            "nji-findings",
            _("Findings of the reviews and meta-analyses (as reported by NJI)"),
            [
                TableBlock(
                    [
                        ("review", _("review")),
                        ("finding", _("finding")),
                        ("value", _("value")),
                        ("range", _("range")),
                        ("unit", _("unit")),
                        ("sentence", _("sentence (verbatim)")),
                    ],
                    findings,
                )
            ],
            level=3,
        ),
        Section(
            "reviews",
            _("Reviews included by Holwerda et al. (2014, Bijlage 6)"),
            [
                TableBlock(
                    [
                        ("authors", _("authors")),
                        ("year", _("year")),
                        ("title", _("title")),
                        ("source_database", _("source")),
                        ("designs_included", _("designs")),
                        ("n_statements", _("findings statements")),
                        ("n_lost", _("of which the direction arrow is lost")),
                    ],
                    ctx["reviews"],
                ),
                Text(
                    M(
                        _(
                            "Bijlage 6 describes each review's population, interventions and findings in Dutch; those texts are "
                            "in <code>data/holwerda2014/reviews.csv</code> with their source lines, and the findings that matter "
                            'for this report are translated in "What the reviews found" above. In the source text the '
                            "arrows that gave the direction of a finding were lost (marked [?] in the data): the count of such "
                            "statements is shown instead of the statements."
                        )
                    ),
                    style="note",
                ),
            ],
            level=3,
        ),
    ]
