"""The 47 studies of the review: extracted effect sizes, pooled by outcome domain."""

from __future__ import annotations

from markupsafe import Markup

from evsynth.present.document import M, Section, TableBlock, Text
from evsynth.texts import plural

__all__ = ['extraction_section']


def extraction_section(ctx: dict) -> list[Section]:
    out = [Section("extraction", "The 47 studies: extracted effect sizes", [
        Text(M("Effect sizes have been extracted for {} of {} study rows. {}", ctx["n_extracted"], ctx["total_rows"],
               ctx["direction_rule"]))] + ([TableBlock.of(ctx["extracted_effects"])] if ctx["extracted_effects"]
                                          else []), new_page=True, nav="47 studies"),
        Section("pooled-domain", "Pooled by outcome domain", [TableBlock.of(ctx["pooled_domain"])], level=3),
        Section("moderators-domain", "Moderators named in the two source documents and the quality filter, per domain", [
            Text(M("Quality score, design, duration, intensity and caseload (where the coded table states them) as "
                   "meta-regression moderators; studies scoring below {} excluded in the quality filter.",
                   ctx["min_score"]), style="note"),
            TableBlock.of(ctx["moderators_domain"])] if ctx["moderators_domain"] else [], level=3),
        Section("not-extracted", f"Not yet extracted ({plural(len(ctx['not_extracted']), 'row')})", [
            Text(Markup("; ").join(M("{} ({})", r["authors"], r["year"]) for r in ctx["not_extracted"]))], level=3)]
    return out

