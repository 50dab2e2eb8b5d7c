"""Included studies: the flow diagram, study characteristics, intervention types."""

from __future__ import annotations

from evsynth.present.context import has_findings
from evsynth.present.document import M, Figure, Section, TableBlock, Text
from evsynth.present.sections.gaps import figure_file
from evsynth.present.i18n import _
from evsynth.present.labels import TRANSLATION_NOTE, translated

__all__ = ["studies_section", "CHARACTERISTICS_SHOWN"]


CHARACTERISTICS_SHOWN = [
    ("row", "row"),
    ("study", "study"),
    ("country", "country"),
    ("intervention", "intervention"),
    ("intervention_type", "type"),
    ("organised_by", "organised by"),
    ("design", "design"),
    ("quality_score", "quality (0-11)"),
    ("duration_months", "duration (months)"),
    ("contacts_per_month", "contacts / month"),
    ("child_age", "child age (years)"),
    ("n_outcome_measures", "outcome measures (n)"),
    ("outcome_domains", "outcome domains"),
]


def _characteristics_rows(records: list[dict]) -> list[dict]:
    """The study-characteristics records as the report shows them: 'authors (year)', the
    age range 'from–to' (or 'to …' where the source gives an upper limit only), lists
    separated by '; '."""
    out = []
    for r in records:
        lo, hi = r.get("child_age_min_years", ""), r.get("child_age_max_years", "")
        age = (
            f"{lo}–{hi}" if lo and hi else (_("up to {}").format(hi) if hi else (_("from {}").format(lo) if lo else ""))
        )
        out.append(
            dict(
                r,
                study=f"{r.get('authors', '')} ({r.get('year', '')})",
                child_age=age,
                outcome_domains=r.get("outcome_domains", "").replace(";", "; "),
            )
        )
    return out


def studies_section(ctx: dict) -> list[Section]:
    fig = ctx["figures"] / "studies"
    return [
        Section(
            "studies",
            _("Included studies"),
            [
                Figure(figure_file(fig, "prisma_flow"), _("Search and selection flow (PRISMA 2020)")),
                TableBlock(
                    [("stage", _("stage")), ("box", _("count of")), ("n", _("number"))],
                    translated(ctx["prisma"], ("box",)),
                ),
                Text(
                    M(
                        _(
                            "Counts of Holwerda et al. (2014), figure 2.1, as in <code>results/studies/prisma_counts.csv</code>. {}"
                        ),
                        M(_(TRANSLATION_NOTE)),
                    ),
                    style="note",
                ),
            ],
            nav=_("Studies"),
        ),
        Section(
            "characteristics",
            M(_("Study characteristics ({} rows, {} articles)"), ctx["total_rows"], ctx["total_articles"]),
            [
                TableBlock(
                    [(k, _(h)) for k, h in CHARACTERISTICS_SHOWN], _characteristics_rows(ctx["characteristics"])
                ),
                Text(
                    M(
                        _(
                            'Duration (months), contacts per month and the child\'s age range (years; "up to" where the source '
                            'gives only an upper limit such as "younger than 5") are given only where the source states them: a '
                            "blank cell means not reported. The verbatim wording, the risk profile and the list of outcome "
                            "measures are in <code>data/holwerda2014/primary_studies.csv</code>."
                        )
                    ),
                    style="note",
                ),
            ],
            level=3,
        ),
        Section(
            "intervention-types",
            _("Intervention types by design"),
            [
                Text(
                    M(
                        _(
                            "The intervention types are this report's coders' grouping of the {} rows. Holwerda et al. group "
                            "them differently, and differently again in section 4.1 and section 7.1{}."
                        ),
                        ctx["total_rows"],
                        M(
                            _(
                                ' (<a href="#finding-H-4.1-01">[H-4.1-01]</a>, <a href="#finding-H-7.1-01">[H-7.1-01]</a>)'
                            )
                        )
                        if has_findings(ctx, "H-4.1-01", "H-7.1-01")
                        else "",
                    ),
                    style="note",
                ),
                TableBlock.of(ctx["intervention_types"]),
            ],
            level=3,
        ),
    ]
