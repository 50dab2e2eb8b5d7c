"""Confinement: every input and output path the pipeline uses resolves (after symlinks)
inside the project folder, or inside a folder the user allowed explicitly; and the paths a
config names (:func:`input_files`, :func:`config_paths`), which the check walks.

The project folder is the working directory the pipeline runs in (the folder holding
``Snakefile`` and ``config.yaml``).  Extra folders are allowed with the global option
``evsynth --allow-dir PATH`` (repeatable) or the environment variable
``EVSYNTH_ALLOW_DIRS`` (folders separated by ``os.pathsep``, ':' on Linux/macOS), which
Snakemake passes on to every rule."""

from __future__ import annotations

import os
from pathlib import Path

from evsynth.errors import ConfigError, InputError, quote

__all__ = [
    "ENV_ALLOW",
    "INPUT_FILE_KEYS",
    "allowed_dirs",
    "confine",
    "input_files",
    "config_inputs",
    "config_paths",
    "check_config_paths",
]

ENV_ALLOW = "EVSYNTH_ALLOW_DIRS"


def allowed_dirs(extra=(), root=None) -> list[Path]:
    """The project folder (``root``, default the working directory) plus the folders
    named in ``extra`` and in ``$EVSYNTH_ALLOW_DIRS``, all resolved."""
    out = [Path(root if root is not None else os.getcwd()).resolve()]
    env = os.environ.get(ENV_ALLOW, "")
    for d in [*extra, *(x for x in env.split(os.pathsep) if x.strip())]:
        out.append(Path(d).expanduser().resolve())
    return out


def _inside(p: Path, dirs: list[Path]) -> bool:
    return any(p == d or d in p.parents for d in dirs)


def confine(path, what: str, dirs: list[Path] | None = None, error: type = InputError) -> Path:
    """``path`` resolved (symlinks followed); raise ``error`` naming ``what`` (a config key
    or a command-line option) if it lies outside the allowed folders."""
    dirs = dirs if dirs is not None else allowed_dirs()
    raw = str(path)
    if "\x00" in raw:
        raise error(f"{what}: {quote(raw)}: a path may not contain a NUL character")
    try:
        p = Path(raw).expanduser()
        resolved = (p if p.is_absolute() else Path(os.getcwd()) / p).resolve()
    except (OSError, RuntimeError) as exc:  # symlink loops
        raise error(f"{what}: {quote(raw)}: cannot resolve the path ({exc.__class__.__name__})") from None
    if not _inside(resolved, dirs):
        raise error(
            f"{what}: {quote(raw)} resolves to {quote(str(resolved), 80)}, outside the project folder "
            f"{dirs[0]}; allow a folder explicitly with 'evsynth --allow-dir PATH' or "
            f"${ENV_ALLOW}"
        )
    return resolved


INPUT_FILE_KEYS = {
    "studies": (
        "primary_studies",
        "reviews",
        "prisma",
        "nji_interventions",
        "nji_findings",
        "effect_statements",
        "review_statements",
        "coding_log",
        "findings",
    ),
    "quality": ("form", "assessments"),
    "extraction": ("effects",),
}


def input_files(cfg: dict) -> list[tuple[str, str]]:
    """(config key, path) of every input file the config names."""
    out = [
        (f"{sec}.{k}", cfg[sec][k])
        for sec, keys in INPUT_FILE_KEYS.items()
        for k in keys
        if isinstance(cfg.get(sec, {}).get(k), str)
    ]
    if isinstance(cfg.get("published_estimates"), str):
        out.append(("published_estimates", cfg["published_estimates"]))
    for i, a in enumerate(cfg.get("analyses", [])):
        out.append((f"analyses[{i}].dataset", a["dataset"]))
        x = (a.get("effect") or {}).get("extracted") or {}
        out += [
            (f"analyses[{i}].effect.extracted.{k}", x[k])
            for k in ("studies", "moderators")
            if isinstance(x.get(k), str)
        ]
    return out


def config_inputs(cfg: dict) -> list[tuple[str, str]]:
    """(config key, path) of every file the config names to be read: the input tables and
    the analyses' datasets and listed tables."""
    listed = [
        (f"analyses[{i}].listed_tables[{j}].path", t["path"])
        for i, a in enumerate(cfg.get("analyses", []))
        for j, t in enumerate(a.get("listed_tables") or [])
        if isinstance(t, dict) and isinstance(t.get("path"), str)
    ]
    return input_files(cfg) + listed


def config_paths(cfg: dict) -> list[tuple[str, str]]:
    """(config key, path) of every input and output path a config names."""
    out = [(k, cfg[k]) for k in ("results_dir", "figures_dir", "logs_dir") if isinstance(cfg.get(k), str)]
    return out + config_inputs(cfg)


def check_config_paths(cfg: dict, *, source: str = "config.yaml", extra=(), root=None) -> list[str]:
    """Problems (one per config key) with paths that leave the allowed folders."""
    dirs = allowed_dirs(extra, root)
    problems = []
    resolved = {}
    for key, p in config_paths(cfg):
        try:
            resolved[key] = confine(p, f"{source}: {key}", dirs, error=ConfigError)
        except ConfigError as exc:
            problems.append(str(exc))
    # an output folder is never the project folder or a folder holding an input (a failed run
    # puts the folder back as it was, and the figure and diagnostics writers replace files in it)
    project = dirs[0]
    inputs = {k: v for k, v in resolved.items() if k not in ("results_dir", "figures_dir", "logs_dir")}
    for key in ("results_dir", "figures_dir", "logs_dir"):
        d = resolved.get(key)
        if d is None:
            continue
        if d == project or d in project.parents:
            problems.append(
                f"{source}: {key}: {quote(cfg[key])} is the project folder{'' if d == project else ' or above it'}; "
                "outputs need a folder of their own (e.g. results)"
            )
            continue
        held = [k for k, f in inputs.items() if d in f.parents]
        if held:
            problems.append(
                f"{source}: {key}: {quote(cfg[key])} holds an input ({held[0]}: {quote(cfg_value(cfg, held[0]), 80)}); "
                "outputs need a folder of their own (e.g. results)"
            )
    return problems


def cfg_value(cfg: dict, key: str) -> str:
    """The path a :func:`config_paths` key names."""
    return dict(config_paths(cfg)).get(key, key)
