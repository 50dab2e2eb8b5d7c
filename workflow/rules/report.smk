rule report:
    """The report (HTML, and the PDF edition when config report.pdf is true): reads the
    results tables and figures; computes nothing itself."""
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
