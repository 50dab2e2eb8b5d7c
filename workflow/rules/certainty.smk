rule certainty:
    """GRADE certainty of every pooled outcome, read from the results tables."""
    input:
        [f"{RES}/{a}/{t}.csv" for a in ANALYSES for t in ("heterogeneity", "effects", "study_weights")],
        [f"{RES}/{a}/diagnostics" for a in ANALYSES],
        config.get("published_estimates", []),
    output:
        f"{RES}/certainty/certainty.csv",
        f"{RES}/certainty/certainty_reasons.csv",
        f"{RES}/certainty/published.csv",
    log:
        f"{LOGS}/certainty.log",
    shell:
        "{EVSYNTH} certainty --config {CONFIGFILE} --results {RES} --outdir {RES}/certainty 2>&1 | tee {log}"
