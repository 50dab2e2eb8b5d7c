rule report:
    """The report: reads the results tables and figures; computes nothing itself."""
    input:
        INPUTS_OK,
        [fit_outputs(a) for a in ANALYSES],
        [f"{RES}/{a}/diagnostics" for a in ANALYSES],
        [f"{RES}/{a}/effects.csv" for a in ANALYSES],
        [multiverse_outputs(a) for a in ANALYSES],
        [f"{FIG}/{a}" for a in ANALYSES],
        f"{FIG}/studies",
        STUDY_OUTPUTS,
        QUALITY_OUTPUTS,
        EXTRACTION_OUTPUTS,
    output:
        REPORT_OUTPUTS,
    params:
        report=config.get("report", {}),
        pdf=lambda wc, output: f"--pdf {output[1]}" if len(output) > 1 else "",
    log:
        f"{LOGS}/report.log",
    shell:
        "{EVSYNTH} report --config {CONFIGFILE} --results {RES} --figures {FIG} --html {output[0]} {params.pdf} 2>&1 | tee {log}"
