rule check_inputs:
    """Validate every input at once and list what was checked (each stage also checks its
    own inputs before computing, so a bad table stops that stage with the same message)."""
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
        "{EVSYNTH} check-inputs --config {CONFIGFILE} --out {output} 2>&1 | tee {log}"
