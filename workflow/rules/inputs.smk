rule check_inputs:
    """Validate every input table against its schema before anything is computed."""
    input:
        CONFIGFILE,
        STUDY_TABLES,
        QUALITY_FILES,
        EXTRACTION_FILE,
        [SPEC[a]["dataset"] for a in ANALYSES],
    output:
        INPUTS_OK,
    log:
        f"{LOGS}/check_inputs.log",
    shell:
        "evsynth check-inputs --config {CONFIGFILE} --out {output} 2>&1 | tee {log}"
