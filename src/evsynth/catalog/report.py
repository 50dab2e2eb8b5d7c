"""The outputs the reader opens: the figures (per analysis and of the studies, in the figures
folder) and the report with its technical appendix and language editions (HTML and PDF)."""

from __future__ import annotations

from evsynth.catalog.entries import Output, entry

__all__ = ["REPORT"]

REPORT: tuple[Output, ...] = (
    # figures and the report
    entry(
        "figures_analysis",
        "{analysis}",
        "figures",
        "the forest, funnel, bubble and specification-curve figures of an analysis (PNG and SVG) and figure_notes.csv",
        kind="folder",
        root="figures",
    ),
    entry(
        "figure_notes",
        "{analysis}/figure_notes.csv",
        "figures",
        "figures not drawn, and why (only when one was not)",
        "figure,drawn,reason",
        root="figures",
        optional=True,
    ),
    entry(
        "figure_files",
        "{analysis}/figure_files.csv",
        "figures",
        "figure files named from column names "
        "(subgroup forests, bubble plots): the file and its column (only when there are such figures)",
        "file,column",
        root="figures",
        optional=True,
    ),
    entry(
        "figures_studies",
        "studies",
        "figures",
        "risk-of-bias, quality, PRISMA, evidence-gap and effect-direction figures (PNG and SVG), each again as "
        "<name>.<lang>.png/.svg for every other language of report.languages",
        kind="folder",
        root="figures",
    ),
    entry("report_html", "report.html", "report", "the report", kind="html"),
    entry(
        "report_pdf",
        "report.pdf",
        "report",
        "the report's PDF edition",
        kind="pdf",
        when=("config", "report.pdf"),
        default=True,
    ),
    entry(
        "report_appendix_html",
        "appendix.html",
        "report",
        "the technical appendix of the report (per-analysis "
        "diagnostics, sensitivity tables, model printouts, study tables; English)",
        kind="html",
    ),
    entry(
        "report_appendix_pdf",
        "appendix.pdf",
        "report",
        "the technical appendix's PDF edition",
        kind="pdf",
        when=("config", "report.pdf"),
        default=True,
    ),
    entry(
        "report_edition_html",
        "{lang}/report.html",
        "report",
        "the main report in another language of report.languages ({lang}: nl)",
        kind="html",
    ),
    entry(
        "report_edition_pdf",
        "{lang}/report.pdf",
        "report",
        "its PDF edition",
        kind="pdf",
        when=("config", "report.pdf"),
        default=True,
    ),
    entry(
        "report_edition_appendix_html",
        "{lang}/appendix.html",
        "report",
        "the technical appendix in another language of report.languages ({lang}: nl)",
        kind="html",
    ),
    entry(
        "report_edition_appendix_pdf",
        "{lang}/appendix.pdf",
        "report",
        "its PDF edition",
        kind="pdf",
        when=("config", "report.pdf"),
        default=True,
    ),
)
