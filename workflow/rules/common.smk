# Shared settings. The config is checked by evsynth's own validator (the schema in
# src/evsynth/pipeline/schemas/config.schema.json plus the checks a schema cannot express)
# before any rule is scheduled; a broken config stops here with the key named.
import hashlib
import json
import os
import shlex
import sys
from pathlib import Path

from evsynth import catalog
from evsynth.errors import ConfigError
from evsynth.pipeline.config import validate_config

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


# Every output file below comes from the catalogue (src/evsynth/catalog/): its path there,
# under RES (results_dir) or FIG (figures_dir).
def res(name, analysis=None, **fields):
    """The file of catalogue output ``name`` under results_dir (``{analysis}`` kept as a
    wildcard when ``analysis`` is "{analysis}")."""
    return f"{RES}/{catalog.path(name, analysis=analysis, **fields)}"


def fig(name, analysis=None):
    return f"{FIG}/{catalog.path(name, analysis=analysis)}"


def stage_outputs(stage, spec=None, analysis=None):
    """The CSV tables stage ``stage`` writes with this config (per analysis: of ``spec``)."""
    return [
        res(o.name, analysis)
        for o in catalog.outputs(
            stage, cfg=config, spec=spec, kind="csv", diagnostics=False
        )
    ]


INPUTS_OK = res("inputs_checked")
STUDY_OUTPUTS = stage_outputs("studies")
QUALITY_OUTPUTS = stage_outputs("quality")
EXTRACTION_OUTPUTS = stage_outputs("extraction")
CERTAINTY_OUTPUTS = stage_outputs("certainty")
FIT_TABLES = [o.name for o in catalog.outputs("fit", kind="csv")]
WANT_PDF = catalog.wanted(catalog.output("report_pdf"), config)
LANGUAGES = config.get("report", {}).get("languages", ["en"])

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
    return [res(t, analysis) for t in FIT_TABLES] + [res("model", analysis)]


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
        res("multiverse_block", analysis, key=key, chunk=i)
        for i in range(multiverse_chunks(analysis))
    ]


def multiverse_outputs(analysis):
    return stage_outputs("multiverse-gather", SPEC[analysis], analysis)


MULTIVERSE_ANALYSES = [a for a in ANALYSES if SPEC[a].get("multiverse")]


def multiverse_key_file(analysis):
    """results/<analysis>/multiverse/key.txt: the current key, rewritten (here, when the
    workflow is read) only when it changes. An input of the gather, so a config change makes
    the gathered tables older than their input and they are made again from the blocks of the
    new key, also under --rerun-triggers mtime or without Snakemake's metadata."""
    path = Path(res("multiverse_key", analysis))
    text = multiverse_key(analysis) + "\n"
    if not path.is_file() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".key.txt.{os.getpid()}")
        tmp.write_text(text)
        os.replace(tmp, path)
    return str(path)


MULTIVERSE_KEY_FILES = {a: multiverse_key_file(a) for a in MULTIVERSE_ANALYSES}
