"""The catalogue as the code reads it: :data:`OUTPUTS` (every output once, in the order of
the stages) and the look-ups (the entry of a name, its path for an analysis, the outputs of a
stage or of a config, the diagnostics a config may declare, the tables of the figures)."""

from __future__ import annotations

from evsynth.catalog.analysis import ANALYSIS
from evsynth.catalog.certainty import CERTAINTY
from evsynth.catalog.diagnostics import DIAGNOSTICS
from evsynth.catalog.entries import Output
from evsynth.catalog.multiverse import MULTIVERSE
from evsynth.catalog.report import REPORT
from evsynth.catalog.review import REVIEW

__all__ = ["OUTPUTS", "output", "path", "file_name", "outputs", "wanted", "diagnostic_names", "figure_tables"]

OUTPUTS: dict[str, Output] = {o.name: o for o in (*REVIEW, *ANALYSIS, *MULTIVERSE, *CERTAINTY, *REPORT)}


def output(name: str) -> Output:
    """The catalogue entry ``name``; an unknown name is a programming error, named."""
    try:
        return OUTPUTS[name]
    except KeyError:
        raise KeyError(f"no output {name!r} in evsynth.catalog; known: {', '.join(OUTPUTS)}") from None


def path(name: str, analysis: str | None = None, **fields) -> str:
    """The file of output ``name`` relative to its root folder (``results_dir`` or
    ``figures_dir``): ``path("egger", analysis="barlow2014")`` is
    ``"barlow2014/diagnostics/egger.csv"``.  A template field left out is an error."""
    o = output(name)
    values = {**fields} if analysis is None else {"analysis": analysis, **fields}
    try:
        return o.path.format(**values)
    except KeyError as exc:
        raise KeyError(f"output {name!r} ({o.path}) needs {exc.args[0]}=") from None


def file_name(name: str) -> str:
    """The last part of the path of ``name`` (what a stage writes into its output folder)."""
    return output(name).path.rsplit("/", 1)[-1]


def _lookup(mapping, dotted: str):
    cur = mapping
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def wanted(o: Output, cfg: dict | None = None, spec: dict | None = None) -> bool:
    """Whether ``o`` is written for this config (and analysis entry ``spec``)."""
    if o.when is None:
        return True
    where, key = o.when
    value = _lookup((cfg if where == "config" else spec) or {}, key)
    return o.default if value is None else bool(value)


def outputs(
    stage: str | None = None,
    *,
    cfg: dict | None = None,
    spec: dict | None = None,
    kind: str | None = None,
    group: str | None = None,
    diagnostics: bool | None = None,
) -> list[Output]:
    """The outputs of ``stage`` (all stages when None), in catalogue order; with ``cfg``
    (and ``spec``) only those this config writes.  ``diagnostics=False`` leaves out the
    tables inside the diagnostics folder."""
    inside = {t.name for d in DIAGNOSTICS.values() for t in d.tables} | {"diagnostic_notes"}
    out = []
    for o in OUTPUTS.values():
        if stage is not None and o.stage != stage or kind is not None and o.kind != kind:
            continue
        if group is not None and o.group != group or diagnostics is False and o.name in inside:
            continue
        if (cfg is not None or spec is not None) and not wanted(o, cfg, spec):
            continue
        out.append(o)
    return out


def diagnostic_names() -> list[str]:
    """The diagnostics a config may declare, in registry order (the schema's enum)."""
    return list(DIAGNOSTICS)


def figure_tables() -> list[str]:
    """The tables the fit stage writes for the figures (evsynth.pipeline.figdata)."""
    return [o.name for o in outputs(group="figures")]
