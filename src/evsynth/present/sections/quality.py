"""Study quality by design and the agreement between raters."""

from __future__ import annotations

from evsynth.present.i18n import _
from evsynth.present.document import M, Figure, Section, TableBlock, Text
from evsynth.present.sections.gaps import figure_file

__all__ = ["quality_section"]


def quality_section(ctx: dict) -> list[Section]:
    fig = ctx["figures"] / "studies"
    cols = [
        ("design", _("design")),
        ("n_rows", _("study rows")),
        ("n_articles", _("articles")),
        ("n_scored", _("scored")),
        ("n_no_score", _("no score shown")),
        ("median", _("median")),
        ("min", _("min")),
        ("max", _("max")),
    ]
    out = [
        Section(
            "quality",
            _("Study quality"),
            [
                TableBlock(cols, ctx["designs"]),
                Figure(figure_file(fig, "quality_by_design"), _("Quality scores by design")),
                Text(
                    M(
                        _(
                            "{} studies have only a published total (<code>total_only</code>), {} have item-level judgements, {} "
                            "show no score in the source; computed and published totals differ for {} studies."
                        ),
                        ctx["n_total_only"],
                        ctx["n_item_level"],
                        ctx["n_not_scored"],
                        ctx["n_mismatch"],
                    )
                ),
            ]
            + (
                [
                    Figure(figure_file(fig, "rob_traffic_light"), _("Quality items per study")),
                    Figure(figure_file(fig, "rob_summary"), _("Quality items summary")),
                ]
                if ctx["n_item_level"].v > 0
                else [
                    Text(
                        M(
                            _(
                                "No item-level judgements (items A–K) have been entered: Holwerda et al. publish totals only, so the "
                                "item plots are not shown; <code>results/quality/</code> holds a blank assessment template."
                            )
                        ),
                        style="note",
                    )
                ]
            ),
            new_page=True,
            nav=_("Quality"),
        )
    ]
    if ctx["agreement"]:
        out.append(
            Section("agreement", _("Agreement between the two raters"), [TableBlock.of(ctx["agreement"])], level=3)
        )
    return out
