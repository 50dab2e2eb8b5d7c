# The multiverse of an analysis (its config entry `multiverse:`): every combination of the
# declared analytic choices. The specifications are cut into `multiverse.chunks` blocks; each
# block is a separate job (any executor: local, SLURM, ...) and `multiverse` gathers them.
# The blocks live in results/<analysis>/multiverse/<key>/, key = multiverse_key(analysis) (a hash
# of the analysis's multiverse and model config), and results/<analysis>/multiverse/key.txt (an
# input of the gather) changes with the key: after a config change the gather runs again on the
# blocks of the new key, never on old blocks, whatever --rerun-triggers says (common.smk).


rule multiverse_chunk:
    """One block of specifications of one analysis, fitted with the batched engine."""
    input:
        res("effects", "{analysis}"),
    output:
        res("multiverse_block", "{analysis}", key="{key}", chunk="{chunk}"),
    log:
        f"{LOGS}/multiverse/{{analysis}}_{{key}}_{{chunk}}.log",
    wildcard_constraints:
        analysis="|".join(MULTIVERSE_ANALYSES) or "^$",
        key=r"[0-9a-f]{12}",
        chunk=r"\d+",
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        evsynth=EVSYNTH,
        config=CONFIGFILE,
        chunks=lambda wc: multiverse_chunks(wc.analysis),
        spec=lambda wc: SPEC[wc.analysis].get("multiverse"),
        level=config["level"],
    shell:
        "{params.evsynth} multiverse {wildcards.analysis:q} --config {params.config:q} --effects {input:q} "
        "--chunk {wildcards.chunk:q} --chunks {params.chunks:q} --out {output:q} 2>&1 | tee {log:q}"


rule multiverse:
    """Gather the blocks: multiverse.csv and the summary tables the report reads."""
    input:
        blocks=lambda wc: multiverse_blocks(wc.analysis),
        key=lambda wc: MULTIVERSE_KEY_FILES[wc.analysis],
    output:
        [
            res(o.name, "{analysis}")
            for o in catalog.outputs("multiverse-gather", kind="csv")
        ],
    log:
        f"{LOGS}/multiverse/{{analysis}}.log",
    wildcard_constraints:
        analysis="|".join(MULTIVERSE_ANALYSES) or "^$",
    localrule: True
    params:
        evsynth=EVSYNTH,
        config=CONFIGFILE,
        outdir=lambda wc, output: parent(output[0]),
    shell:
        "{params.evsynth} multiverse-gather {wildcards.analysis:q} {input.blocks:q} --config {params.config:q} "
        "--outdir {params.outdir:q} 2>&1 | tee {log:q}"
