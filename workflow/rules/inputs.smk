rule check_inputs:
    """Validate every input at once and list what was checked (each stage also checks its
    own inputs before computing, so a bad table stops that stage with the same message).
    """
    input:
        config=CONFIGFILE,
        studies=STUDY_TABLES,
        quality=QUALITY_FILES,
        extraction=EXTRACTION_FILE,
        datasets=[SPEC[a]["dataset"] for a in ANALYSES],
    output:
        INPUTS_OK,
    log:
        f"{LOGS}/check_inputs.log",
    params:
        evsynth=EVSYNTH,
    shell:
        "{params.evsynth} check-inputs --config {input.config:q} --out {output:q} 2>&1 | tee {log:q}"
