rule certainty:
    """GRADE certainty of every pooled outcome, read from the results tables."""
    input:
        tables=[
            res(t, a)
            for a in ANALYSES
            for t in ("heterogeneity", "effects", "study_weights")
        ],
        diagnostics=[res("diagnostics", a) for a in ANALYSES],
        published=config.get("published_estimates", []),
        findings=config["studies"].get("findings", []),
    output:
        certainty=res("certainty"),
        reasons=res("certainty_reasons"),
        published=res("published"),
        comparison=res("review_comparison"),
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
