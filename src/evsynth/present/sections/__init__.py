"""The report's sections, one module per block; :data:`SECTIONS` is the reading order.  Each
function takes the context (:mod:`evsynth.present.context`) and returns its
:class:`~evsynth.present.document.Section` objects.  To add a section, write a module with a
function ``ctx -> list[Section]`` and put it in :data:`SECTIONS` where it belongs."""

from __future__ import annotations

from typing import Callable

from evsynth.present.document import Section
from evsynth.present.sections.analyses import analysis_sections
from evsynth.present.sections.appendix import appendix_section
from evsynth.present.sections.exclusions import exclusions_section
from evsynth.present.sections.extraction import extraction_section
from evsynth.present.sections.findings import findings_section
from evsynth.present.sections.gaps import gaps_section
from evsynth.present.sections.glossary import glossary_section
from evsynth.present.sections.key_messages import key_messages_section
from evsynth.present.sections.methods import methods_section
from evsynth.present.sections.nji import nji_section
from evsynth.present.sections.own_studies import own_studies_section
from evsynth.present.sections.quality import quality_section
from evsynth.present.sections.references import references_section
from evsynth.present.sections.sof import sof_sections
from evsynth.present.sections.studies import studies_section
from evsynth.present.sections.summary import summary_section

__all__ = ["SECTIONS", "in_appendix"]


def in_appendix(build: Callable[[dict], list[Section]]) -> Callable[[dict], list[Section]]:
    """``build`` with every section it returns placed in the technical appendix."""

    def appendix(ctx: dict) -> list[Section]:
        out = build(ctx)
        for s in out:
            s.part = "appendix"
        return out

    appendix.__name__ = build.__name__
    return appendix


# The report, in reading order: each function takes the context and returns its sections; a
# section says itself whether it belongs to the main report or the technical appendix (``part``),
# and in_appendix puts all of a function's sections there.
SECTIONS: list[Callable[[dict], list[Section]]] = [
    key_messages_section,
    sof_sections,
    own_studies_section,
    summary_section,
    findings_section,
    analysis_sections,
    gaps_section,
    methods_section,
    glossary_section,
    references_section,
    in_appendix(studies_section),
    in_appendix(quality_section),
    in_appendix(extraction_section),
    in_appendix(nji_section),
    in_appendix(exclusions_section),
    in_appendix(appendix_section),
]
