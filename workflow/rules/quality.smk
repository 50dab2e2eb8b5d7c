rule studies:
    """Summaries of the coded study tables: characteristics, designs, flow, evidence gaps."""
    input:
        tables=STUDY_TABLES,
    output:
        STUDY_OUTPUTS,
    log:
        f"{LOGS}/studies.log",
    params:
        evsynth=EVSYNTH,
        config=CONFIGFILE,
        outdir=lambda wc, output: parent(output[0]),
    shell:
        "{params.evsynth} studies --config {params.config:q} --outdir {params.outdir:q} 2>&1 | tee {log:q}"


rule quality:
    """The 11-item quality form: totals per rater, consensus, agreement and kappa, template."""
    input:
        files=QUALITY_FILES,
        studies=config["studies"]["primary_studies"],
    output:
        QUALITY_OUTPUTS,
    log:
        f"{LOGS}/quality.log",
    params:
        evsynth=EVSYNTH,
        config=CONFIGFILE,
        outdir=lambda wc, output: parent(output[0]),
        min_score=config["quality"]["min_score"],
    shell:
        "{params.evsynth} quality --config {params.config:q} --outdir {params.outdir:q} 2>&1 | tee {log:q}"
