rule fit:
    """The declared model with moderators, subgroups, robust and sensitivity analyses, and
    the tables the figures draw (figure_*.csv, scale.csv)."""
    input:
        effects=res("effects", "{analysis}"),
    output:
        tables=[res(t, "{analysis}") for t in FIT_TABLES],
        model=res("model", "{analysis}"),
    log:
        f"{LOGS}/fit/{{analysis}}.log",
    params:
        evsynth=EVSYNTH,
        config=CONFIGFILE,
        outdir=lambda wc, output: parent(output.model),
        spec=lambda wc: SPEC[wc.analysis],
        level=config["level"],
    shell:
        "{params.evsynth} fit {wildcards.analysis:q} --config {params.config:q} "
        "--effects {input.effects:q} --outdir {params.outdir:q} 2>&1 | tee {log:q}"
