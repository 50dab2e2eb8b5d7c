# evsynth workflow: coded study tables -> effect sizes -> quality -> models -> diagnostics
# -> figures -> report.  Rules are thin: each calls the `evsynth` command line and gets
# everything it uses through input:, output:, params: and log:.
# Rule graph:  snakemake -n   |   snakemake --dag | dot -Tsvg > dag.svg


configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/inputs.smk"
include: "workflow/rules/effects.smk"
include: "workflow/rules/quality.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/diagnostics.smk"
include: "workflow/rules/certainty.smk"
include: "workflow/rules/multiverse.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        res("report_html"),
        [res("report_pdf")] if WANT_PDF else [],
        rules.report.output.appendix,
        rules.report.output.editions,
