# Shared settings. The config is validated against src/evsynth/pipeline/schemas/config.schema.json
# before any rule is scheduled; a broken config stops here with the key named.
import sys
from pathlib import Path

from snakemake.utils import validate

from evsynth.pipeline.config import validate_config
from evsynth.errors import ConfigError

try:
    validate_config(config, source="config.yaml", confine=True)
except ConfigError as exc:
    sys.stderr.write(f"evsynth: the configuration is not valid:\n{exc}\n")
    sys.exit(1)
validate(config, "../../src/evsynth/pipeline/schemas/config.schema.json")

CONFIGFILE = workflow.configfiles[-1] if workflow.configfiles else "config.yaml"
RES = config["results_dir"]
FIG = config["figures_dir"]
LOGS = config.get("logs_dir", "logs")
ANALYSES = [a["id"] for a in config["analyses"]]
SPEC = {a["id"]: a for a in config["analyses"]}
INPUTS_OK = f"{RES}/checks/inputs.txt"

STUDY_TABLES = [config["studies"][k] for k in ("primary_studies", "reviews", "prisma",
                                               "nji_interventions", "nji_findings")]
QUALITY_FILES = [config["quality"]["form"], config["quality"]["assessments"]]
EXTRACTION_FILE = config["extraction"]["effects"]

STUDY_OUTPUTS = [f"{RES}/studies/{n}.csv" for n in (
    "study_characteristics", "quality_by_design", "intervention_types", "outcome_domains",
    "evidence_gap", "prisma_counts", "reviews", "nji_interventions", "nji_findings")]
QUALITY_OUTPUTS = [f"{RES}/quality/{n}.csv" for n in (
    "scores", "summary", "agreement", "published_vs_computed", "item_summary", "assessment_template")]
EXTRACTION_OUTPUTS = [f"{RES}/extraction/{n}.csv" for n in (
    "effects_computed", "coverage", "summary", "pooled_by_domain", "moderators_by_domain", "extraction_template")]
FIT_TABLES = ["estimates", "heterogeneity", "moderators", "subgroups", "robust", "sensitivity",
              "study_weights", "fit_notes"]
REPORT_OUTPUTS = [f"{RES}/report.html"] + ([f"{RES}/report.pdf"] if config.get("report", {}).get("pdf", True) else [])

# The evsynth command of the environment running Snakemake (not whatever is on PATH).
_exe = Path(sys.executable).parent / "evsynth"
EVSYNTH = f'"{_exe}"' if _exe.exists() else f'"{sys.executable}" -m evsynth'


def fit_outputs(analysis):
    return [f"{RES}/{analysis}/{t}.csv" for t in FIT_TABLES] + [f"{RES}/{analysis}/model.txt"]
