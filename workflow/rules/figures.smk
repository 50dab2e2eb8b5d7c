rule figures_analysis:
    """Forest, funnel and bubble plots of one analysis (PNG and SVG), drawn from its tables."""
    input:
        fit=lambda wc: fit_outputs(wc.analysis),
        diag=res("diagnostics", "{analysis}"),
        effects=res("effects", "{analysis}"),
        multiverse=lambda wc: multiverse_outputs(wc.analysis),
    output:
        directory(fig("figures_analysis", "{analysis}")),
    log:
        f"{LOGS}/figures/{{analysis}}.log",
    wildcard_constraints:
        analysis="|".join(ANALYSES),  # not figures/studies (figures_studies)
    params:
        evsynth=EVSYNTH,
        config=CONFIGFILE,
        results=lambda wc, input: parent(input.effects, 2),
        figures=lambda wc, output: parent(output[0]),
        spec=lambda wc: SPEC[wc.analysis],
        # what else decides what is drawn: a changed limit or language list redraws the figures
        drawn=f"forest_rows={(config.get('limits') or {}).get('forest_rows')} languages={','.join(LANGUAGES)}",
    shell:
        "{params.evsynth} figures {wildcards.analysis:q} --config {params.config:q} "
        "--results {params.results:q} --outdir {params.figures:q} 2>&1 | tee {log:q}"


rule figures_studies:
    """Risk-of-bias plots, quality histogram, PRISMA flow diagram, evidence gap map, effect direction;
    each again as <name>.<lang> for every other language of report.languages."""
    input:
        studies=STUDY_OUTPUTS,
        quality=QUALITY_OUTPUTS,
        prisma=config["studies"]["prisma"],
    output:
        directory(fig("figures_studies")),
    log:
        f"{LOGS}/figures/studies.log",
    params:
        evsynth=EVSYNTH,
        config=CONFIGFILE,
        results=lambda wc, input: parent(input.studies[0], 2),
        figures=lambda wc, output: parent(output[0]),
        languages=",".join(LANGUAGES),  # every study figure is drawn in each (<name>.<lang>.png/.svg)
    shell:
        "{params.evsynth} figures studies --config {params.config:q} "
        "--results {params.results:q} --outdir {params.figures:q} 2>&1 | tee {log:q}"
