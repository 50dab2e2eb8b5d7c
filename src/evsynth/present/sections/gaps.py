"""The evidence gap map and the effect direction (SWiM)."""

from __future__ import annotations

from evsynth.present.context import table_path
from evsynth.present.document import M, Figure, Section, TableBlock, Text

__all__ = ['gaps_section']


def gaps_section(ctx: dict) -> list[Section]:
    out = [Section("gaps", "Evidence gap map", [
        Text(M("Studies per outcome domain and intervention type. A study counts for a domain when one of its outcome "
               "measures (or an outcome with a reported effect) falls in it, by the written outcome-domain dictionary "
               "applied in <code>evsynth.review.domains</code> (coder decisions in "
               "<code>data/holwerda2014/coding_log.csv</code>).{}",
               M(" The least studied: {}.", ctx["least_studied"]) if ctx["least_studied"] else "")),
        TableBlock([("domain", "outcome domain"), ("n", "studies measuring it"),
                    ("n_effect", "of which with an effect statement in it")], ctx["outcome_domains"]),
        Figure(ctx["figures"] / "studies" / "evidence_gap_map.png", "Evidence gap map"),
    ], new_page=True, nav="Evidence gaps")]
    if not ctx["T"].get(table_path("studies/effect_direction")).empty:
        out.append(Section("effect-direction", "Effect direction (SWiM)", [
            Text(M("Statements of the Bijlage 5 effectiveness column by intervention type and outcome domain and by "
                   "direction (<code>results/studies/effect_direction.csv</code>). The arrows were lost in the source "
                   "text: a direction is shown only where the statement's own words or the review's chapter text "
                   "state it; everything else is counted as unknown.")),
            Figure(ctx["figures"] / "studies" / "effect_direction.png",
                   "Effect direction of the Bijlage 5 statements by intervention type and outcome domain (unknown = "
                   "arrow lost in the source, not guessed)")], level=3))
    return out

