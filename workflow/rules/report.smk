rule report:
    """The report (HTML, and the PDF edition when config report.pdf is true), its technical
    appendix, and an edition per language of report.languages: reads the results tables and
    figures; computes nothing itself."""
    input:
        INPUTS_OK,
        [fit_outputs(a) for a in ANALYSES],
        [res("diagnostics", a) for a in ANALYSES],
        [res("effects", a) for a in ANALYSES],
        [multiverse_outputs(a) for a in ANALYSES],
        [fig("figures_analysis", a) for a in ANALYSES],
        STUDY_OUTPUTS,
        QUALITY_OUTPUTS,
        EXTRACTION_OUTPUTS,
        CERTAINTY_OUTPUTS,
        [t["path"] for a in config["analyses"] for t in a.get("listed_tables", [])],
        "data/translations/nl_en.csv",  # Dutch cells in English (the report shows both)
        study_figures=fig("figures_studies"),
    output:
        html=res("report_html"),
        pdf=[res("report_pdf")] if WANT_PDF else [],
        # the technical appendix beside the main report; the other languages' main reports and
        # appendices below it (evsynth.present.report.report_files names the same files)
        appendix=[res("report_appendix_html")]
        + ([res("report_appendix_pdf")] if WANT_PDF else []),
        editions=[
            res(f"report_edition_{part}{ext}", lang=lang)
            for lang in LANGUAGES
            if lang != "en"
            for part in ("", "appendix_")
            for ext in (["html", "pdf"] if WANT_PDF else ["html"])
        ],
    log:
        f"{LOGS}/report.log",
    params:
        evsynth=EVSYNTH,
        config=CONFIGFILE,
        results=lambda wc, output: parent(output.html),
        figures=lambda wc, input: parent(input.study_figures),
        report=config.get("report", {}),
        pdf=lambda wc, output: (
            f"--pdf {shlex.quote(output.pdf[0])}" if output.pdf else ""
        ),
    shell:
        "{params.evsynth} report --config {params.config:q} --results {params.results:q} "
        "--figures {params.figures:q} --html {output.html:q} {params.pdf} 2>&1 | tee {log:q}"
