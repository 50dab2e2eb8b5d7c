"""Rows of the analysis datasets left out."""

from __future__ import annotations

from evsynth.present.i18n import _
from evsynth.present.document import M, Section, TableBlock, Text

__all__ = ["exclusions_section"]


def exclusions_section(ctx: dict) -> list[Section]:
    cols = ["analysis", "dataset", "row", "study", "reason"]
    if ctx.get("exclusions"):
        blocks = [
            Text(
                M(
                    _(
                        "Rows of the analysis datasets left out because the analysis sets "
                        "<code>drop_incomplete: true</code> (from <code>results/&lt;analysis&gt;/exclusions.csv</code>):"
                    )
                )
            ),
            TableBlock.of(ctx["exclusions"], cols),
        ]
    else:
        blocks = [
            Text(
                M(
                    _(
                        "No row of an analysis dataset was left out (rows are dropped only where an analysis sets "
                        "<code>drop_incomplete: true</code>; any other incomplete row stops the run)."
                    )
                )
            )
        ]
    return [Section("exclusions", _("Excluded rows"), blocks, nav=_("Exclusions"))]
