rule studies:
    """Summaries of the coded study tables: characteristics, designs, flow, evidence gaps."""
    input:
        tables=STUDY_TABLES,
    output:
        STUDY_OUTPUTS,
    log:
        f"{LOGS}/studies.log",
    shell:
        "{EVSYNTH} studies --config {CONFIGFILE} --outdir {RES}/studies 2>&1 | tee {log}"


rule quality:
    """The 11-item quality form: totals per rater, consensus, agreement and kappa, template."""
    input:
        files=QUALITY_FILES,
        studies=config["studies"]["primary_studies"],
    output:
        QUALITY_OUTPUTS,
    params:
        min_score=config["quality"]["min_score"],
    log:
        f"{LOGS}/quality.log",
    shell:
        "{EVSYNTH} quality --config {CONFIGFILE} --outdir {RES}/quality 2>&1 | tee {log}"
