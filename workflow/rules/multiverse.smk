# The multiverse of an analysis (its config entry `multiverse:`): every combination of the
# declared analytic choices. The specifications are cut into `multiverse.chunks` blocks; each
# block is a separate job (any executor: local, SLURM, ...) and `multiverse` gathers them.


def multiverse_chunks(analysis):
    return int((SPEC[analysis].get("multiverse") or {}).get("chunks", 1))


def multiverse_outputs(analysis):
    if not SPEC[analysis].get("multiverse"):
        return []
    return [f"{RES}/{analysis}/{n}.csv" for n in ("multiverse", "multiverse_summary", "multiverse_dimensions")]


MULTIVERSE_ANALYSES = [a for a in ANALYSES if SPEC[a].get("multiverse")]


rule multiverse_chunk:
    """One block of specifications of one analysis, fitted with the batched engine."""
    input:
        f"{RES}/{{analysis}}/effects.csv",
    output:
        f"{RES}/{{analysis}}/multiverse/chunk_{{chunk}}.csv",
    wildcard_constraints:
        analysis="|".join(MULTIVERSE_ANALYSES) or "^$",
        chunk=r"\d+",
    params:
        chunks=lambda wc: multiverse_chunks(wc.analysis),
        spec=lambda wc: SPEC[wc.analysis].get("multiverse"),
        level=config["level"],
    resources:
        mem_mb=1000,
        runtime=10,
    log:
        f"{LOGS}/multiverse/{{analysis}}_{{chunk}}.log",
    shell:
        "{EVSYNTH} multiverse {wildcards.analysis} --config {CONFIGFILE} --effects {input} "
        "--chunk {wildcards.chunk} --chunks {params.chunks} --out {output} 2>&1 | tee {log}"


rule multiverse:
    """Gather the blocks: multiverse.csv and the summary tables the report reads."""
    input:
        lambda wc: [f"{RES}/{wc.analysis}/multiverse/chunk_{i}.csv" for i in range(multiverse_chunks(wc.analysis))],
    output:
        f"{RES}/{{analysis}}/multiverse.csv",
        f"{RES}/{{analysis}}/multiverse_summary.csv",
        f"{RES}/{{analysis}}/multiverse_dimensions.csv",
    wildcard_constraints:
        analysis="|".join(MULTIVERSE_ANALYSES) or "^$",
    localrule: True
    log:
        f"{LOGS}/multiverse/{{analysis}}.log",
    shell:
        "{EVSYNTH} multiverse-gather {wildcards.analysis} {input} --config {CONFIGFILE} "
        "--outdir {RES}/{wildcards.analysis} 2>&1 | tee {log}"
