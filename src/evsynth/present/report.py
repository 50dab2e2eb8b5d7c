"""The report stage: reads the results tables and figures and renders one report in two
editions, a self-contained HTML page (figures embedded, tables linked) and a PDF.

The modules: :mod:`~evsynth.present.document` (the section model), :mod:`~evsynth.present.context`
(reading result tables into a context), :mod:`~evsynth.present.sections` (one module per block of
the report, :data:`~evsynth.present.sections.SECTIONS` in reading order),
:mod:`~evsynth.present.html` and :mod:`~evsynth.present.pdf` (the two editions).  This module
joins them.  To add a section, write a function ``ctx -> list[Section]`` and put it in
``SECTIONS`` where it belongs in the reading order."""

from __future__ import annotations

from pathlib import Path

from evsynth.outputs import atomic_path
from evsynth.present import labels, sections as _sections
from evsynth.present.context import build_context
from evsynth.present.document import Section, TableBlock, has_content, without_empty_columns
from evsynth.present.html import render_html
from evsynth.present.pdf import render_pdf
from evsynth.present.sections.analyses import sentence
from evsynth.present.sections.references import references

__all__ = ["build_sections", "write_report"]


def build_sections(cfg: dict, results: Path, figures: Path) -> tuple[dict, list[Section]]:
    """The context (values read from the tables) and the report's sections."""
    ctx = build_context(cfg, results, figures)
    ctx["figures"] = Path(figures)
    for a in ctx["analyses"]:
        a["sentence"] = sentence(a, float(cfg["level"]), ctx)
    ctx["references"] = references(cfg)
    # no heading without content: a section whose blocks show nothing is left out
    sections = [s for build in _sections.SECTIONS for s in build(ctx) if has_content(s)]
    for s in sections:
        s.blocks = [x for b in s.blocks for x in (without_empty_columns(b) if isinstance(b, TableBlock) else [b])]
    labels.link_first_uses(sections)
    return ctx, sections


def write_report(cfg: dict, results: Path, figures: Path, html_out: Path, pdf_out: Path | None) -> None:
    """Both editions of the report from the results tables and figures."""
    ctx, sections = build_sections(cfg, results, figures)
    # HTML and PDF as one unit: both are rendered before either is written, and both are
    # moved into place only when both temporary files are complete
    html_text = render_html(ctx, sections)
    pdf_bytes = render_pdf(ctx, sections) if pdf_out is not None else None
    with atomic_path(html_out) as tmp_html:
        tmp_html.write_text(html_text, encoding="utf-8", newline="\n")
        if pdf_bytes is not None:
            with atomic_path(pdf_out) as tmp_pdf:
                tmp_pdf.write_bytes(pdf_bytes)

