"""The catalogue of outputs: every result table (and the few other files) the pipeline
writes, each declared once, and every diagnostic once as a registry entry.

Who reads it: the Snakemake rules (``workflow/rules/*.smk``: the outputs of each rule), the
stages (:mod:`evsynth.pipeline.stages`: the file each table is written to, and a check that a
stage writes exactly its catalogued tables), the report's context reader (``path(name,
analysis=...)`` for the file it reads) and the config schema (its ``diagnostics`` enum is
:data:`DIAGNOSTICS`, filled in by :func:`evsynth.pipeline.config.config_schema`).

This module sits below ``pipeline`` and ``present`` and imports nothing of evsynth but
:mod:`evsynth.errors`; a diagnostic names the function that makes its tables as a dotted name
(``"evsynth.pipeline.diagnose:egger"``) that the pipeline resolves, so the catalogue never
imports the engine.

Paths are templates relative to a root folder: ``results`` (config ``results_dir``) or
``figures`` (config ``figures_dir``), with ``{analysis}`` for an analysis id (and
``{key}``/``{chunk}`` for the multiverse blocks).  ``columns`` are the columns a non-empty
table always has, in order; some tables add more (named in ``meaning``).  A table with no
rows is written as an empty file.

Modules: ``entries`` (the kinds of entry: :class:`Output`, :class:`Diagnostic`),
``diagnostics`` (the registry), the outputs by stage -- ``review`` (input check, studies,
quality, extraction), ``analysis`` (effects, fit, diagnose), ``multiverse``, ``certainty``,
``report`` (figures and report) --, ``query`` (:data:`OUTPUTS` and the look-ups) and ``doc``
(the tables of ``docs/architecture.md``).  Import the names from this package.

To add a diagnostic: see ``docs/architecture.md`` ("Adding a diagnostic")."""

from evsynth.catalog.diagnostics import DIAGNOSTICS
from evsynth.catalog.doc import DOC_BEGIN, DOC_END, markdown
from evsynth.catalog.entries import Diagnostic, Output
from evsynth.catalog.query import (
    OUTPUTS,
    diagnostic_names,
    figure_tables,
    file_name,
    output,
    outputs,
    path,
    wanted,
)

__all__ = [
    "Output",
    "Diagnostic",
    "OUTPUTS",
    "DIAGNOSTICS",
    "output",
    "path",
    "file_name",
    "outputs",
    "wanted",
    "diagnostic_names",
    "figure_tables",
    "markdown",
    "DOC_BEGIN",
    "DOC_END",
]
