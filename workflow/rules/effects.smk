rule effects:
    """Effect sizes (and the columns later stages use) for one declared analysis."""
    input:
        data=lambda wc: SPEC[wc.analysis]["dataset"],
        # an analysis of the review's own studies also reads the study table and the intensity table
        joined=lambda wc: [
            v
            for k, v in SPEC[wc.analysis]["effect"].get("extracted", {}).items()
            if k in ("studies", "moderators")
        ],
    output:
        effects=res("effects", "{analysis}"),
        exclusions=res("exclusions", "{analysis}"),
    log:
        f"{LOGS}/effects/{{analysis}}.log",
    params:
        evsynth=EVSYNTH,
        config=CONFIGFILE,
        spec=lambda wc: SPEC[wc.analysis],
    shell:
        "{params.evsynth} effects {wildcards.analysis:q} --config {params.config:q} "
        "--out {output.effects:q} 2>&1 | tee {log:q}"


rule extraction:
    """The 47 studies: effect sizes computed from reported statistics, coverage, pooling by domain."""
    input:
        effects=EXTRACTION_FILE,
        studies=config["studies"]["primary_studies"],
    output:
        EXTRACTION_OUTPUTS,
    log:
        f"{LOGS}/extraction.log",
    params:
        evsynth=EVSYNTH,
        config=CONFIGFILE,
        outdir=lambda wc, output: parent(output[0]),
        extraction=config["extraction"],
        min_score=config["quality"]["min_score"],
    shell:
        "{params.evsynth} extraction --config {params.config:q} --outdir {params.outdir:q} 2>&1 | tee {log:q}"
