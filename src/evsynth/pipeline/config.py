"""Loading and validating ``config.yaml`` against its JSON schema.

Every problem is reported at once, each naming the key path (``analyses[2].model.method``)
with what was found and what is allowed."""

from __future__ import annotations

import json
from importlib import resources
import jsonschema

from evsynth import catalog
from evsynth.errors import ConfigError
from evsynth.pipeline.checks import allowed_text
from evsynth.pipeline.paths import allowed_dirs, check_config_paths, confine as _confine, input_files
from evsynth.pipeline.yamlfile import read_yaml

__all__ = ["load_config", "validate_config", "config_schema", "analysis_by_id", "limits", "CONFIG_LIMIT_DEFAULTS"]


def config_schema() -> dict:
    """The config's JSON schema, with the ``diagnostics`` enum filled in from the registry
    (:data:`evsynth.catalog.DIAGNOSTICS`: a diagnostic is declared there only)."""
    with resources.files("evsynth.pipeline").joinpath("schemas/config.schema.json").open(encoding="utf-8") as fh:
        schema = json.load(fh)
    schema["$defs"]["analysis"]["properties"]["diagnostics"]["items"]["enum"] = catalog.diagnostic_names()
    return schema


def _path(error) -> str:
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _analysis_id(cfg: dict, error) -> str:
    """' (analysis 'barlow2014')' for an error inside ``analyses[i]``, so the message names the analysis."""
    p = list(error.absolute_path)
    if len(p) >= 2 and p[0] == "analyses" and isinstance(p[1], int):
        a = (cfg.get("analyses") or [None] * (p[1] + 1))[p[1]]
        if isinstance(a, dict) and a.get("id"):
            return f" (analysis {a['id']!r})"
    return ""


def _describe(error) -> str:
    v = error.validator
    if v == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"unknown key(s) {', '.join(repr(e) for e in extra)}; allowed keys: {allowed}"
    if v == "required":
        return error.message.replace("is a required property", "is required but missing")
    if v == "enum":
        return f"found {error.instance!r}; {allowed_text(error)}"
    if v == "type":
        return f"found {error.instance!r} ({type(error.instance).__name__}); expected {error.validator_value}"
    if v == "oneOf":
        return "give either 'yi' and 'vi' (columns) or 'measure' and 'columns'"
    if v == "anyOf" and list(error.absolute_path)[-1:] == ["design"]:
        return (
            "declare the design: 'randomised: true' or 'false' (with its source in 'note'), or 'column' and "
            "'randomised_values'"
        )
    return error.message


def validate_config(cfg, *, source: str = "config.yaml", confine: bool = False, allow=()) -> dict:
    """Validate a parsed config; raise :class:`ConfigError` listing every problem.  With
    ``confine``, every input and output path must resolve inside the project folder (the
    working directory) or a folder in ``allow`` / ``$EVSYNTH_ALLOW_DIRS``."""
    if not isinstance(cfg, dict):
        raise ConfigError(f"{source}: the file must hold a mapping of settings, found {type(cfg).__name__}")
    # the number of analyses first: the schema's check of thousands of them alone takes seconds
    declared = (cfg.get("limits") or {}).get("analyses") if isinstance(cfg.get("limits"), dict) else None
    most = (
        declared if isinstance(declared, int) and not isinstance(declared, bool) else CONFIG_LIMIT_DEFAULTS["analyses"]
    )
    if isinstance(cfg.get("analyses"), list) and len(cfg["analyses"]) > most:
        raise ConfigError(
            f"{source}: analyses: {len(cfg['analyses']):,} analyses; a config may declare at most "
            f"{most:,} ({_raise_hint('analyses')})"
        )
    _nfc_analyses(cfg)
    validator = jsonschema.Draft202012Validator(config_schema())
    errors = sorted(validator.iter_errors(cfg), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    problems = [
        f"{source}: {_path(e)}{_analysis_id(cfg, e) if e.validator in ('required', 'anyOf') else ''}: {_describe(e)}"
        for e in errors
    ]
    if not problems:
        problems = _semantic(cfg, source)
    if not problems and confine:
        problems = check_config_paths(cfg, source=source, extra=allow)
    if problems:
        raise ConfigError("\n".join(problems))
    _register_sheets(cfg)
    return cfg


_PATH_KEYS = ("dataset", "path", "sheet")


def _nfc_analyses(cfg: dict) -> None:
    """Every text of the analyses (column names, levels, labels, ids) in Unicode NFC, the
    form the table readers bring every cell and column name to, so that a level typed with a
    combining accent in the config matches the data; paths (``dataset``, ``listed_tables``'
    ``path``, ``sheet``) are left as written (a file name is bytes on disk)."""
    import unicodedata

    def walk(x, key=None):
        if isinstance(x, str):
            return x if key in _PATH_KEYS or x.isascii() else unicodedata.normalize("NFC", x)
        if isinstance(x, list):
            return [walk(v, key) for v in x]
        if isinstance(x, dict):
            return {walk(k): walk(v, k) for k, v in x.items()}
        return x

    if isinstance(cfg.get("analyses"), list):
        cfg["analyses"] = [walk(a) for a in cfg["analyses"]]


def _register_sheets(cfg: dict) -> None:
    from evsynth.pipeline.reading import set_limits, set_sheets

    set_limits({k: v for k, v in (cfg.get("limits") or {}).items() if k not in CONFIG_LIMIT_DEFAULTS})

    sheets = dict(cfg.get("sheets") or {})
    for a in cfg.get("analyses", []):
        if a.get("sheet"):
            sheets[a["dataset"]] = a["sheet"]
    set_sheets(sheets)


# characters a shell (or Snakemake's {wildcard} syntax) gives a meaning to: refused in the
# folder settings, which become parts of the workflow's commands and output patterns (the rules
# quote every value as well; spaces and non-ASCII letters are fine)
SHELL_SPECIAL = set("$`;&|<>(){}[]*?!~#\"'\\") | {chr(c) for c in range(32)} | {"\x7f"}
DIRECTORY_KEYS = ("results_dir", "figures_dir", "logs_dir")


def _directory_problems(cfg: dict, source: str) -> list[str]:
    from evsynth.errors import quote

    out = []
    for key in DIRECTORY_KEYS:
        value = cfg.get(key)
        if not isinstance(value, str):
            continue
        bad = sorted({c for c in value if c in SHELL_SPECIAL})
        if bad:
            shown = " ".join(repr(c) for c in bad)
            out.append(
                f"{source}: {key}: {quote(value)} contains {shown}: a folder setting may not contain "
                "shell or pattern characters ($ ` ; & | < > ( ) { } [ ] * ? ! ~ # quotes, backslash, "
                "control characters); letters of any alphabet, digits, spaces, '-', '_', '.', '/' are fine"
            )
        elif value != value.strip():
            out.append(f"{source}: {key}: {quote(value)} begins or ends with a space")
    return out


# the declared limits a config check applies (the table readers' own: evsynth.pipeline.reading.LIMIT_DEFAULTS);
# each can be raised with 'limits: {key: N}' in the config (docs/bad-input.md)
# forest_rows is a cap, not a refusal: a forest of more rows shows the pooled result with a note (figures stage)
CONFIG_LIMIT_DEFAULTS = {
    "analyses": 200,
    "multiverse_specifications": 100_000,
    "permutations": 100_000,
    "forest_rows": 400,
}


def limits(cfg: dict) -> dict:
    """Every declared limit: the config's ``limits:`` over the defaults."""
    from evsynth.pipeline.reading import LIMIT_DEFAULTS

    return {**CONFIG_LIMIT_DEFAULTS, **LIMIT_DEFAULTS, **(cfg.get("limits") or {})}


def _raise_hint(key: str) -> str:
    return f"raise the limit with 'limits: {{{key}: N}}' in the config"


def _limit_problems(cfg: dict, source: str) -> list[str]:
    """The declared limits, checked on the config alone, before any work starts."""
    import math

    from evsynth.pipeline.multiverse import dimensions

    lim, out = limits(cfg), []
    n = len(cfg["analyses"])
    if n > lim["analyses"]:
        out.append(
            f"{source}: analyses: {n:,} analyses; a config may declare at most {lim['analyses']:,} "
            f"({_raise_hint('analyses')})"
        )
        return out  # the per-analysis limits below would list each of them
    for i, a in enumerate(cfg["analyses"]):
        where = f"{source}: analyses[{i}]"
        if a.get("multiverse"):
            dims = dimensions(a)
            k = math.prod(len(c) for _, c in dims)
            if k > lim["multiverse_specifications"]:
                sizes = " x ".join(f"{len(c)} {name}" for name, c in dims)
                out.append(
                    f"{where}.multiverse: {k:,} specifications ({sizes}); a multiverse may have at most "
                    f"{lim['multiverse_specifications']:,} ({_raise_hint('multiverse_specifications')})"
                )
        if int(a.get("permutations", 0)) > lim["permutations"]:
            out.append(
                f"{where}.permutations: {int(a['permutations']):,}; a permutation test may use at most "
                f"{lim['permutations']:,} permutations ({_raise_hint('permutations')})"
            )
    return out


def _semantic(cfg: dict, source: str) -> list[str]:
    out = _directory_problems(cfg, source) + _limit_problems(cfg, source)
    seen = set()
    for i, a in enumerate(cfg["analyses"]):
        where = f"{source}: analyses[{i}]"
        if a["id"] in seen:
            out.append(f"{where}.id: duplicate analysis id {a['id']!r}")
        seen.add(a["id"])
        m = a["model"]
        if m["type"] == "multilevel":
            if not m.get("random"):
                out.append(f"{where}.model.random: a multilevel model needs the nested grouping columns")
            if m["method"] not in ("ML", "REML"):
                out.append(f"{where}.model.method: multilevel models use ML or REML, found {m['method']!r}")
            if m["test"] in ("knha", "adhoc"):
                out.append(f"{where}.model.test: multilevel models use 'z' or 't', found {m['test']!r}")
        else:
            if m.get("random"):
                out.append(f"{where}.model.random: only multilevel models have random effects")
            if m["test"] == "t":
                out.append(f"{where}.model.test: univariate models use 'z', 'knha' or 'adhoc', found 't'")
        mv = a.get("multiverse") or {}
        if "rho" in mv and not m.get("cluster"):
            out.append(
                f"{where}.multiverse.rho: aggregating dependent effects needs model.cluster (the column grouping them)"
            )
        for j, sub in enumerate(mv.get("subsets", [])):
            labels = [o["label"] for o in sub["options"]]
            if len(set(labels)) != len(labels):
                out.append(f"{where}.multiverse.subsets[{j}]: option labels must differ")
        declared: dict[str, int] = {}
        for j, md in enumerate(a.get("moderators", [])):
            if md["column"] in declared:
                first = a["moderators"][declared[md["column"]]]
                out.append(
                    f"{where}.moderators[{j}]: column {md['column']!r} is already declared as moderator "
                    f"[{declared[md['column']]}] ({first.get('type', 'categorical')}; here "
                    f"{md.get('type', 'categorical')}); declare each moderator once, with one type"
                )
            else:
                declared[md["column"]] = j
        mods = {md["column"] for md in a.get("moderators", [])}
        for j, combo in enumerate(a.get("meta_regression", [])):
            for c in combo:
                if c not in mods:
                    out.append(f"{where}.meta_regression[{j}]: {c!r} is not among the declared moderators")
        out += _diagnostic_keys(a, where)
    if cfg["extraction"]["test"] == "t":
        out.append(f"{source}: extraction.test: univariate models use 'z', 'knha' or 'adhoc', found 't'")
    return out


# measures with which diagnostic peto is allowed: Peto's method estimates an odds ratio, and
# the report sets it beside the analysis's random-effects estimate, which must be on that scale
PETO_MEASURES = ("OR", "PETO")


def _diagnostic_keys(a: dict, where: str) -> list[str]:
    """The diagnostics of issue 15 item 10 and the keys they need."""
    out, wanted = [], set(a.get("diagnostics", []))
    measure = (a.get("effect") or {}).get("measure")
    if "mh" in wanted and measure not in ("OR", "RR", "RD", "IRR", "IRD"):
        out.append(
            f"{where}.diagnostics: mh pools counts; effect.measure must be OR, RR, RD, IRR or IRD "
            f"(found {measure or 'yi/vi'})"
        )
    if "peto" in wanted and measure not in PETO_MEASURES:
        out.append(
            f"{where}.diagnostics: peto pools 2x2 counts into Peto's odds ratio, which is compared with the "
            f"analysis's own estimate, so effect.measure must be an odds ratio (OR or PETO); found "
            f"{measure or 'yi/vi'}. For a risk ratio or risk difference use mh (Mantel-Haenszel on that scale)"
        )
    numeric = {md["column"] for md in a.get("moderators", []) if md.get("type") == "numeric"}
    if "predictions" in wanted and not a.get("predict_at"):
        out.append(f"{where}.predict_at: diagnostic predictions needs the moderator values (column: [values])")
    for c in a.get("predict_at") or {}:
        if c not in numeric:
            out.append(f"{where}.predict_at: {c!r} is not a numeric moderator of this analysis")
    if "correlated_effects" in wanted and a["model"]["type"] != "multilevel":
        out.append(f"{where}.diagnostics: correlated_effects needs a multilevel model (model.type multilevel)")
    if "model_comparison" in wanted and not a.get("moderators"):
        out.append(
            f"{where}.diagnostics: model_comparison compares models with and without each moderator; declare moderators"
        )
    return out


def check_input_files(cfg: dict, *, source: str = "config.yaml", root=".") -> None:
    """Raise :class:`ConfigError` naming every input file the config names that does not exist."""
    from pathlib import Path

    import os

    missing = []
    for key, path in input_files(cfg):
        p = Path(root) / path
        if not p.exists():
            missing.append(f"{source}: {key}: {path}: file not found")
        elif not p.is_file():
            missing.append(f"{source}: {key}: {path}: is not a file")
        elif not os.access(p, os.R_OK):
            missing.append(f"{source}: {key}: {path}: cannot read the file (permission denied)")
    if missing:
        raise ConfigError("\n".join(missing))


def load_config(path, *, confine: bool = True, allow=()) -> dict:
    """Read ``config.yaml`` (safe, size- and alias-limited YAML) and validate it; with
    ``confine`` (the default) the config file and every path it names must lie inside the
    project folder (see :mod:`evsynth.pipeline.paths`)."""
    if confine:
        _confine(path, "--config", allowed_dirs(allow), error=ConfigError)
    return validate_config(read_yaml(path, error=ConfigError), source=str(path), confine=confine, allow=allow)


def analysis_by_id(cfg: dict, analysis_id: str) -> dict:
    for a in cfg["analyses"]:
        if a["id"] == analysis_id:
            return a
    raise ConfigError(
        f"no analysis with id {analysis_id!r} in the config; ids: {', '.join(a['id'] for a in cfg['analyses'])}"
    )
