# Shared settings. The config is checked by evsynth's own validator (the schema in
# src/evsynth/pipeline/schemas/config.schema.json plus the checks a schema cannot express)
# before any rule is scheduled; a broken config stops here with the key named.
import hashlib
import json
import os
import shlex
import sys
from pathlib import Path

from evsynth.errors import ConfigError
from evsynth.pipeline.config import FIGURE_TABLES, validate_config

# the config file the rules pass to the evsynth command: --configfile if given, else config.yaml
CONFIGFILE = workflow.configfiles[0] if workflow.configfiles else "config.yaml"
try:
    validate_config(config, source=CONFIGFILE, confine=True)
except ConfigError as exc:
    sys.stderr.write(f"evsynth: the configuration is not valid:\n{exc}\n")
    sys.exit(1)

RES = config["results_dir"]
FIG = config["figures_dir"]
LOGS = config.get("logs_dir", "logs")
ANALYSES = [a["id"] for a in config["analyses"]]
SPEC = {a["id"]: a for a in config["analyses"]}
INPUTS_OK = f"{RES}/checks/inputs.txt"

STUDY_TABLES = [
    config["studies"][k]
    for k in (
        "primary_studies",
        "reviews",
        "prisma",
        "nji_interventions",
        "nji_findings",
        "effect_statements",
        "review_statements",
        "coding_log",
        "findings",
    )
    if k in config["studies"]
]
QUALITY_FILES = [config["quality"]["form"], config["quality"]["assessments"]]
EXTRACTION_FILE = config["extraction"]["effects"]

STUDY_OUTPUTS = [
    f"{RES}/studies/{n}.csv"
    for n in (
        "study_characteristics",
        "quality_by_design",
        "intervention_types",
        "outcome_domains",
        "evidence_gap",
        "prisma_counts",
        "reviews",
        "nji_interventions",
        "nji_findings",
    )
]
if "effect_statements" in config["studies"]:
    STUDY_OUTPUTS += [
        f"{RES}/studies/{n}.csv" for n in ("effect_statements", "effect_direction")
    ]
if "findings" in config["studies"]:
    STUDY_OUTPUTS += [f"{RES}/studies/findings.csv"]
QUALITY_OUTPUTS = [
    f"{RES}/quality/{n}.csv"
    for n in (
        "scores",
        "summary",
        "agreement",
        "published_vs_computed",
        "item_summary",
        "assessment_template",
    )
]
EXTRACTION_OUTPUTS = [
    f"{RES}/extraction/{n}.csv"
    for n in (
        "effects_computed",
        "coverage",
        "summary",
        "pooled_by_domain",
        "moderators_by_domain",
        "extraction_template",
    )
]
FIT_TABLES = [
    "estimates",
    "heterogeneity",
    "moderators",
    "subgroups",
    "robust",
    "sensitivity",
    "study_weights",
    "randomised_heterogeneity",
    "randomised_weights",
    "fit_notes",
] + FIGURE_TABLES
WANT_PDF = config.get("report", {}).get("pdf", True)

# The evsynth command of the environment running Snakemake (not whatever is on PATH).
_exe = Path(sys.executable).parent / "evsynth"
# Every value in a rule's shell command is quoted ({x:q}); this one is quoted here.
EVSYNTH = (
    shlex.quote(str(_exe))
    if _exe.exists()
    else f"{shlex.quote(sys.executable)} -m evsynth"
)


def parent(path, up=1):
    """The folder ``up`` levels above ``path`` (how a rule names its output folder)."""
    return str(Path(path).parents[up - 1])


def fit_outputs(analysis):
    return [f"{RES}/{analysis}/{t}.csv" for t in FIT_TABLES] + [
        f"{RES}/{analysis}/model.txt"
    ]


# the multiverse of an analysis (workflow/rules/multiverse.smk)
def multiverse_chunks(analysis):
    return int((SPEC[analysis].get("multiverse") or {}).get("chunks", 1))


def multiverse_key(analysis):
    """12 hex digits of the SHA-256 of what the blocks depend on besides effects.csv (the
    analysis's multiverse and model entries, the level): the blocks' folder, so that a changed
    config is new files to make, never old blocks taken as current.
    """
    s = SPEC[analysis]
    blob = json.dumps(
        {
            "multiverse": s.get("multiverse"),
            "model": s.get("model"),
            "level": config["level"],
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def multiverse_blocks(analysis):
    key = multiverse_key(analysis)
    return [
        f"{RES}/{analysis}/multiverse/{key}/chunk_{i}.csv"
        for i in range(multiverse_chunks(analysis))
    ]


def multiverse_outputs(analysis):
    if not SPEC[analysis].get("multiverse"):
        return []
    return [
        f"{RES}/{analysis}/{n}.csv"
        for n in ("multiverse", "multiverse_summary", "multiverse_dimensions")
    ]


MULTIVERSE_ANALYSES = [a for a in ANALYSES if SPEC[a].get("multiverse")]


def multiverse_key_file(analysis):
    """results/<analysis>/multiverse/key.txt: the current key, rewritten (here, when the
    workflow is read) only when it changes. An input of the gather, so a config change makes
    the gathered tables older than their input and they are made again from the blocks of the
    new key, also under --rerun-triggers mtime or without Snakemake's metadata."""
    path = Path(f"{RES}/{analysis}/multiverse/key.txt")
    text = multiverse_key(analysis) + "\n"
    if not path.is_file() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".key.txt.{os.getpid()}")
        tmp.write_text(text)
        os.replace(tmp, path)
    return str(path)


MULTIVERSE_KEY_FILES = {a: multiverse_key_file(a) for a in MULTIVERSE_ANALYSES}
