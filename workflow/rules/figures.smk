rule figures_analysis:
    """Forest, funnel and bubble plots of one analysis (PNG and SVG)."""
    input:
        fit=lambda wc: fit_outputs(wc.analysis),
        diag=f"{RES}/{{analysis}}/diagnostics",
        effects=f"{RES}/{{analysis}}/effects.csv",
        multiverse=lambda wc: multiverse_outputs(wc.analysis),
    output:
        directory(f"{FIG}/{{analysis}}"),
    params:
        spec=lambda wc: SPEC[wc.analysis],
    log:
        f"{LOGS}/figures/{{analysis}}.log",
    shell:
        "{EVSYNTH} figures {wildcards.analysis} --config {CONFIGFILE} --results {RES} --outdir {FIG} 2>&1 | tee {log}"


rule figures_studies:
    """Risk-of-bias plots, quality histogram, PRISMA flow diagram, evidence gap map."""
    input:
        STUDY_OUTPUTS,
        QUALITY_OUTPUTS,
        config["studies"]["prisma"],
    output:
        directory(f"{FIG}/studies"),
    log:
        f"{LOGS}/figures/studies.log",
    shell:
        "{EVSYNTH} figures studies --config {CONFIGFILE} --results {RES} --outdir {FIG} 2>&1 | tee {log}"
