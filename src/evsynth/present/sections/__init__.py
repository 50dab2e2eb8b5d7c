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
from evsynth.present.sections.methods import methods_section
from evsynth.present.sections.nji import nji_section
from evsynth.present.sections.quality import quality_section
from evsynth.present.sections.references import references_section
from evsynth.present.sections.sof import sof_sections
from evsynth.present.sections.studies import studies_section
from evsynth.present.sections.summary import summary_section

__all__ = ["SECTIONS"]

# The report, in reading order: each function takes the context and returns its sections.
SECTIONS: list[Callable[[dict], list[Section]]] = [
    findings_section, summary_section, sof_sections, methods_section, studies_section, quality_section,
    analysis_sections, extraction_section, gaps_section, nji_section, exclusions_section, glossary_section,
    references_section, appendix_section,
]

