"""The report stage: reads the results tables and figures and renders the report -- a main report
(key messages, Summary of Findings, what the reviews found, the pooled results per question,
what is not known, methods in brief) and a technical appendix (per-analysis diagnostics,
sensitivity tables, metafor-style printouts, full study tables), each as a self-contained HTML
page (figures embedded) and a PDF -- in every language of ``report.languages``.

The modules: :mod:`~evsynth.present.document` (the section model), :mod:`~evsynth.present.context`
(reading result tables into a context), :mod:`~evsynth.present.sections` (one module per block of
the report, :data:`~evsynth.present.sections.SECTIONS` in reading order; each section says its
``part``), :mod:`~evsynth.present.html` and :mod:`~evsynth.present.pdf` (the two editions),
:mod:`~evsynth.present.i18n` (message catalogs, numbers in the language's notation).  This module
joins them.  To add a section, write a function ``ctx -> list[Section]`` and put it in
``SECTIONS`` where it belongs in the reading order.

Files: English ``report.html``/``.pdf`` and ``appendix.html``/``.pdf`` beside ``--html``; another
language ``<lang>/report.html``/``.pdf`` and its own technical appendix ``<lang>/appendix.html``/``.pdf``
in a folder below it (each edition links to the appendix in its language)."""

from __future__ import annotations

from pathlib import Path

from evsynth.outputs import atomic_path
from evsynth.present import i18n, labels, sections as _sections
from evsynth.present.context import build_context
from evsynth.present.document import Section, TableBlock, has_content, without_empty_columns
from evsynth.present.html import anchors, render_html
from evsynth.present.pdf import render_pdf
from evsynth.present.sections.analyses import sentence
from evsynth.present.sections.references import references

__all__ = ["build_sections", "write_report", "report_files", "APPENDIX"]

APPENDIX = "appendix"  # file stem of the technical appendix


def build_sections(cfg: dict, results: Path, figures: Path) -> tuple[dict, list[Section]]:
    """The context (values read from the tables) and the report's sections (both parts), in the
    current language (:func:`evsynth.present.i18n.language`)."""
    ctx = build_context(cfg, results, figures)
    ctx["figures"] = Path(figures)
    for a in ctx["analyses"]:
        a["sentence"] = sentence(a, float(cfg["level"]), ctx)
        a["technical_sentence"] = a["sentence"]
    ctx["references"] = references(cfg)
    # no heading without content: a section whose blocks show nothing is left out
    sections = [s for build in _sections.SECTIONS for s in build(ctx) if has_content(s)]
    for s in sections:
        s.blocks = [x for b in s.blocks for x in (without_empty_columns(b) if isinstance(b, TableBlock) else [b])]
    for part in ("main", "appendix"):  # each document links the first use of a term to the glossary
        labels.link_first_uses([s for s in sections if s.part == part])
    return ctx, sections


def report_files(cfg: dict, html_out: Path, pdf_out: Path | None) -> dict[tuple[str, str], tuple[Path, Path | None]]:
    """``(language, part) -> (html, pdf)`` of every file the report writes: the English main
    report at ``html_out``/``pdf_out`` with the technical appendix beside it, another language's
    main report and technical appendix in a folder of that name below.  English is always
    written."""
    html_out = Path(html_out)
    out = {}
    langs = (cfg.get("report") or {}).get("languages", ["en"])
    for lang in ["en"] + [x for x in langs if x != "en"]:
        d = html_out.parent if lang == "en" else html_out.parent / lang
        pdf = (pdf_out if lang == "en" else Path(pdf_out).parent / lang / Path(pdf_out).name) if pdf_out else None
        out[(lang, "main")] = (d / html_out.name, pdf)
        out[(lang, APPENDIX)] = (d / f"{APPENDIX}.html", pdf.with_name(f"{APPENDIX}.pdf") if pdf else None)
    return out


def write_report(cfg: dict, results: Path, figures: Path, html_out: Path, pdf_out: Path | None) -> None:
    """Every edition of the report from the results tables and figures: all files are rendered
    before any is written, and moved into place together."""
    files = report_files(cfg, html_out, pdf_out)
    rendered: list[tuple[Path, object]] = []
    for lang in dict.fromkeys(k[0] for k in files):
        with i18n.language(lang):
            ctx, secs = build_sections(cfg, results, figures)
            parts = {"main": [s for s in secs if s.part == "main"], APPENDIX: [s for s in secs if s.part == APPENDIX]}
            main_html, app_html = files[(lang, "main")][0], files[(lang, APPENDIX)][0]
            rel_app = Path(app_html.name)  # beside the main report of the same language
            targets = {
                "main": {a: f"{rel_app.as_posix()}#{a}" for a in anchors(parts[APPENDIX])},
                APPENDIX: {a: f"{main_html.name}#{a}" for a in anchors(parts["main"])},
            }
            others = {
                "main": (rel_app.as_posix(), i18n._("Technical appendix")),
                APPENDIX: (main_html.name, i18n._("Main report")),
            }
            for part in ("main", APPENDIX):
                if (lang, part) not in files:
                    continue
                h, p = files[(lang, part)]
                title = ctx["title"] if part == "main" else i18n._("{}: technical appendix").format(ctx["title"])
                rendered.append(
                    (h, render_html(ctx, parts[part], links=targets[part], other=others[part], title=title))
                )
                if p is not None:
                    rendered.append((p, render_pdf(dict(ctx, title=title), parts[part])))
    _write_all(rendered)


def _write_all(rendered: list[tuple[Path, object]]) -> None:
    """The files as one unit: each written to its temporary file, all moved into place only
    when every one is complete."""

    def write(i: int) -> None:
        if i == len(rendered):
            return
        path, content = rendered[i]
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            if isinstance(content, bytes):
                tmp.write_bytes(content)
            else:
                tmp.write_text(content, encoding="utf-8", newline="\n")
            write(i + 1)

    write(0)
