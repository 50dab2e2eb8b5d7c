rule fit:
    """The declared model with moderators, subgroups, robust and sensitivity analyses."""
    input:
        f"{RES}/{{analysis}}/effects.csv",
    output:
        [f"{RES}/{{analysis}}/{t}.csv" for t in FIT_TABLES],
        f"{RES}/{{analysis}}/model.txt",
    params:
        spec=lambda wc: SPEC[wc.analysis],
        level=config["level"],
    log:
        f"{LOGS}/fit/{{analysis}}.log",
    shell:
        "{EVSYNTH} fit {wildcards.analysis} --config {CONFIGFILE} --effects {input} "
        "--outdir {RES}/{wildcards.analysis} 2>&1 | tee {log}"
