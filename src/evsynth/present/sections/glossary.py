"""The glossary of statistical terms."""

from __future__ import annotations

from evsynth.present import labels
from evsynth.present.i18n import _
from evsynth.present.document import M, Section, TableBlock, Text

__all__ = ["glossary_section"]


def glossary_section(ctx: dict) -> list[Section]:
    """Every statistical term a reader meets, in plain words (:data:`evsynth.texts.GLOSSARY`);
    the first use of each term in the text links here."""
    rows = [
        {"anchor": a, "term": M("<b>{}</b>", _(term)), "meaning": _(text)} for a, term, text in labels.glossary_blocks()
    ]
    return [
        Section(
            "glossary",
            _("Glossary"),
            [
                Text(
                    M(
                        _(
                            "The statistical terms of this report in plain words. In the text, the first use of a term links to "
                            "its entry here."
                        )
                    ),
                    style="note",
                ),
                TableBlock([("term", "term"), ("meaning", "meaning")], rows, anchor="anchor"),
            ],
        )
    ]
