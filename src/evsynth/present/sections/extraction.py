"""The 47 studies of the review: extracted effect sizes, pooled by outcome domain."""

from __future__ import annotations

import re

from markupsafe import Markup

from evsynth.present.generated import words
from evsynth.present.i18n import _, current
from evsynth.present.labels import term_label
from evsynth.present.document import M, Section, TableBlock, Text
from evsynth.texts import plural

__all__ = ["extraction_section"]


def _linked(rows: list[dict]) -> list[dict]:
    """A source address as a short link (its host), so that a long URL does not widen the table."""

    def link(u: str):
        m = re.match(r"https?://([^/]+)", u or "")
        return M('<a href="{}">{}</a>', u, m.group(1)) if m else u

    return [dict(r, source_url=link(r.get("source_url", ""))) if "source_url" in r else r for r in rows]


def _terms(rows: list[dict]) -> list[dict]:
    """Model terms in words (``intrcpt`` -> the intercept's label)."""
    return [dict(r, term=term_label(r["term"], {})) if r.get("term") else r for r in rows]


def _notes(rows: list[dict]) -> list[dict]:
    """The notes the pooling per domain writes, in the report's language."""
    return [dict(r, note=words(r["note"])) if r.get("note") else r for r in rows]


def extraction_section(ctx: dict) -> list[Section]:
    out = [
        Section(
            "extraction",
            _("The 47 studies: extracted effect sizes"),
            [
                Text(
                    M(
                        _("Effect sizes have been extracted for {} of {} study rows. {}"),
                        ctx["n_extracted"],
                        ctx["total_rows"],
                        _(ctx["direction_rule"]),
                    )
                )
            ]
            + ([TableBlock.of(_linked(ctx["extracted_effects"]))] if ctx["extracted_effects"] else []),
            new_page=True,
            nav=_("47 studies"),
        ),
        Section("pooled-domain", _("Pooled by outcome domain"), [TableBlock.of(_notes(ctx["pooled_domain"]))], level=3),
        Section(
            "moderators-domain",
            _("Moderators named in the two source documents and the quality filter, per domain"),
            [
                Text(
                    M(
                        _(
                            "Quality score, design, duration, intensity and caseload (where the coded table states them) as "
                            "meta-regression moderators; studies scoring below {} excluded in the quality filter."
                        ),
                        ctx["min_score"],
                    ),
                    style="note",
                ),
                TableBlock.of(_notes(_terms(ctx["moderators_domain"]))),
            ]
            if ctx["moderators_domain"]
            else [],
            level=3,
        ),
        Section(
            "not-extracted",
            _("Not yet extracted ({})").format(
                _("1 row") if len(ctx["not_extracted"]) == 1 else _("{} rows").format(len(ctx["not_extracted"]))
            )
            if current() != "en"
            else f"Not yet extracted ({plural(len(ctx['not_extracted']), 'row')})",
            [Text(Markup("; ").join(M(_("{} ({})"), r["authors"], r["year"]) for r in ctx["not_extracted"]))],
            level=3,
        ),
    ]
    return out
