rule certainty:
    """GRADE certainty of every pooled outcome, read from the results tables."""
    input:
        tables=[
            f"{RES}/{a}/{t}.csv"
            for a in ANALYSES
            for t in ("heterogeneity", "effects", "study_weights")
        ],
        diagnostics=[f"{RES}/{a}/diagnostics" for a in ANALYSES],
        published=config.get("published_estimates", []),
    output:
        certainty=f"{RES}/certainty/certainty.csv",
        reasons=f"{RES}/certainty/certainty_reasons.csv",
        published=f"{RES}/certainty/published.csv",
    log:
        f"{LOGS}/certainty.log",
    params:
        evsynth=EVSYNTH,
        config=CONFIGFILE,
        results=lambda wc, output: parent(output.certainty, 2),
        outdir=lambda wc, output: parent(output.certainty),
        spec=[SPEC[a] for a in ANALYSES],
    shell:
        "{params.evsynth} certainty --config {params.config:q} --results {params.results:q} "
        "--outdir {params.outdir:q} 2>&1 | tee {log:q}"
