rule effects:
    """Effect sizes (and the columns later stages use) for one declared analysis."""
    input:
        data=lambda wc: SPEC[wc.analysis]["dataset"],
    output:
        effects=f"{RES}/{{analysis}}/effects.csv",
        exclusions=f"{RES}/{{analysis}}/exclusions.csv",
    params:
        spec=lambda wc: SPEC[wc.analysis],
    log:
        f"{LOGS}/effects/{{analysis}}.log",
    shell:
        "{EVSYNTH} effects {wildcards.analysis} --config {CONFIGFILE} --out {output.effects} 2>&1 | tee {log}"


rule extraction:
    """The 47 studies: effect sizes computed from reported statistics, coverage, pooling by domain."""
    input:
        effects=EXTRACTION_FILE,
        studies=config["studies"]["primary_studies"],
    output:
        EXTRACTION_OUTPUTS,
    params:
        extraction=config["extraction"],
        min_score=config["quality"]["min_score"],
    log:
        f"{LOGS}/extraction.log",
    shell:
        "{EVSYNTH} extraction --config {CONFIGFILE} --outdir {RES}/extraction 2>&1 | tee {log}"
