rule diagnose:
    """Publication bias, heterogeneity CIs, influence, leave-one-out, permutation tests."""
    input:
        effects=res("effects", "{analysis}"),
    output:
        directory(res("diagnostics", "{analysis}")),
    log:
        f"{LOGS}/diagnose/{{analysis}}.log",
    params:
        evsynth=EVSYNTH,
        config=CONFIGFILE,
        spec=lambda wc: SPEC[wc.analysis],
        seed=config["seed"],
        level=config["level"],
    shell:
        "{params.evsynth} diagnose {wildcards.analysis:q} --config {params.config:q} "
        "--effects {input.effects:q} --outdir {output:q} 2>&1 | tee {log:q}"
