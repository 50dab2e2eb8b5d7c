"""The two kinds of catalogue entry: :class:`Output` (one output file of the pipeline) and
:class:`Diagnostic` (one diagnostic of the config's ``diagnostics:`` list), with the
constructors the catalogue's tables use (``entry``: an output; ``diag_table``: a table of the
diagnose stage)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Output", "Diagnostic", "entry", "diag_table"]


@dataclass(frozen=True)
class Output:
    """One output file.

    ``name``: unique, used by code (``path("heterogeneity", analysis="barlow2014")``);
    ``path``: template relative to ``root`` (``"results"`` or ``"figures"``);
    ``stage``: the ``evsynth`` command that writes it (:data:`evsynth.pipeline.stages.STAGES`);
    ``columns``: the columns a non-empty table always has, in order;
    ``meaning``: one sentence for people;
    ``when``: None (always written) or ``("config", "studies.findings")`` / ``("analysis",
    "multiverse")``: written only when that config key (of the whole config, or of the
    analysis' entry) is set (``default``: its value where the key is absent);
    ``kind``: ``"csv"``, ``"text"``, ``"html"``, ``"pdf"`` or ``"folder"``;
    ``group``: a set of tables handled together (``"figures"``: what the figures draw).
    """

    name: str
    path: str
    stage: str
    meaning: str
    columns: tuple[str, ...] = ()
    when: tuple[str, str] | None = None
    kind: str = "csv"
    root: str = "results"
    group: str = ""
    default: bool = False  # ``when``'s value where the key is absent
    optional: bool = False  # written only when there is something to say (figure_notes.csv)


@dataclass(frozen=True)
class Diagnostic:
    """One diagnostic of the config's ``diagnostics:`` list.

    ``function``: dotted name ``"module:function"`` of the function that makes its tables
    from the analysis job (:class:`evsynth.pipeline.job.AnalysisJob`); it returns one data
    frame per name in ``tables`` (a dict when there are several).
    ``models``: the model types it runs on (``"univariate"``, ``"multilevel"``); on another the
    diagnostics notes say ``not_run`` for that type.  ``needs``: what it needs, in words.
    ``tables``: the tables it writes into ``<analysis>/diagnostics/``.  ``small_study``: a test or
    adjustment for small-study effects, run only from the analysis's ``small_study_min_k``
    studies (Sterne et al. 2011)."""

    name: str
    needs: str
    function: str
    tables: tuple[Output, ...]
    models: tuple[str, ...] = ("univariate",)
    not_run: dict = field(default_factory=dict)
    small_study: bool = False  # a test or adjustment for small-study effects: run from small_study_min_k studies


def entry(name, path, stage, meaning, columns="", **kw) -> Output:
    """An :class:`Output`; ``columns`` as one comma-separated text."""
    return Output(name, path, stage, meaning, tuple(c for c in columns.split(",") if c), **kw)


def diag_table(name, meaning, columns="", path=None) -> Output:
    """A table of the diagnose stage, in ``<analysis>/diagnostics/``."""
    return entry(name, path or f"{{analysis}}/diagnostics/{name}.csv", "diagnose", meaning, columns)
