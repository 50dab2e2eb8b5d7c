rule diagnose:
    """Publication bias, heterogeneity CIs, influence, leave-one-out, permutation tests."""
    input:
        f"{RES}/{{analysis}}/effects.csv",
    output:
        directory(f"{RES}/{{analysis}}/diagnostics"),
    params:
        spec=lambda wc: SPEC[wc.analysis],
        seed=config["seed"],
        level=config["level"],
    log:
        f"{LOGS}/diagnose/{{analysis}}.log",
    shell:
        "{EVSYNTH} diagnose {wildcards.analysis} --config {CONFIGFILE} --effects {input} "
        "--outdir {output} 2>&1 | tee {log}"
