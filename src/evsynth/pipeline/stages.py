"""Every pipeline stage, and the registry the command line is generated from.

A stage reads its inputs (through :mod:`evsynth.pipeline.inputs` and
:mod:`evsynth.pipeline.reading`, :mod:`evsynth.pipeline.checks`), calls the review layer, the engine or the presentation layer
with data frames, and writes its outputs atomically.  :data:`STAGES` lists them: name,
help text, arguments (each with its help text) and the function; :mod:`evsynth.pipeline.cli`
builds one subcommand per entry, and every Snakemake rule calls one of them.

To add a command: write ``run_<name>(cfg, <args>)`` here and add a :class:`Stage` to
:data:`STAGES`; the argument ``dest`` names are the function's keyword arguments."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from evsynth import catalog
from evsynth.errors import InputError
from evsynth.pipeline import inputs
from evsynth.pipeline.analysis import fit_tables, randomised_rows
from evsynth.pipeline.config import analysis_by_id
from evsynth.pipeline.dataset import dataset_effects
from evsynth.pipeline.diagnose import diagnostic_tables
from evsynth.pipeline.checks import load_table
from evsynth.pipeline.reading import read_table
from evsynth.pipeline.job import AnalysisJob
from evsynth.outputs import atomic_folder, check_owned, read_output, write_csv, write_text

__all__ = [
    "Arg",
    "Need",
    "Stage",
    "STAGES",
    "missing_inputs",
    "run_check_config",
    "run_check_inputs",
    "run_effects",
    "run_fit",
    "run_diagnose",
    "run_certainty",
    "run_multiverse",
    "run_multiverse_gather",
    "run_studies",
    "run_quality",
    "run_extraction",
    "run_template",
    "run_figures",
    "run_report",
    "run_validate",
]


# ------------------------------------------------------------------------------ models

EXCLUSION_COLUMNS = ["analysis", "dataset", "row", "study", "reason"]


def _read_effects(path) -> pd.DataFrame:
    return read_output(path, dtype={"study": str}, keep_default_na=True)


def write_tables(outdir, stage: str, tables: dict, *, cfg: dict | None = None, spec: dict | None = None) -> None:
    """Write the tables a stage made (catalogue name -> data frame) into ``outdir``, each
    under its catalogue file name; the names must be exactly the CSV outputs the catalogue
    lists for ``stage`` with this config (a table missing or not catalogued is a programming
    error, named)."""
    expected = [o.name for o in catalog.outputs(stage, cfg=cfg, spec=spec, kind="csv", diagnostics=False)]
    if sorted(tables) != sorted(expected):
        raise RuntimeError(f"stage {stage} made the tables {sorted(tables)}; the catalogue lists {sorted(expected)}")
    outdir = Path(outdir)
    for name, t in tables.items():
        write_csv(outdir / catalog.file_name(name), t)


def run_effects(cfg: dict, analysis: str, out) -> None:
    """Effect sizes of one declared analysis (and ``exclusions.csv`` beside it: the rows
    the config allowed to drop)."""
    if Path(out).suffix.lower() != ".csv":  # the later stages read it as CSV; never a CSV named .xlsx
        raise InputError(
            f"--out {out}: 'evsynth effects' writes a CSV table (the later stages read it); give a path "
            f"ending in .csv (a spreadsheet opens it as it is)"
        )
    spec = analysis_by_id(cfg, analysis)
    eff = dataset_effects(spec)
    dropped = eff.attrs.get("dropped", [])
    excl = pd.DataFrame(
        [{"analysis": spec["id"], "dataset": spec["dataset"], **d} for d in dropped], columns=EXCLUSION_COLUMNS
    )
    write_csv(out, eff, float_digits=15)
    # rows the config allowed to drop (drop_incomplete): the report's exclusions table reads this
    write_csv(Path(out).with_name(catalog.file_name("exclusions")), excl)


def run_fit(cfg: dict, analysis: str, effects, outdir) -> None:
    """The declared model, moderators, subgroups, robust and sensitivity analyses, and
    the tables the figures draw (:mod:`evsynth.pipeline.analysis`, one analysis job: each
    model fitted once)."""
    spec = analysis_by_id(cfg, analysis)
    job = AnalysisJob(_read_effects(effects), spec, float(cfg["level"]))
    write_tables(outdir, "fit", fit_tables(job), spec=spec)
    write_text(Path(outdir) / catalog.file_name("model"), job.fit.summary() + "\n")


def run_diagnose(cfg: dict, analysis: str, effects, outdir) -> None:
    """Write every diagnostic table into ``outdir`` (the tables of an earlier run replaced;
    a folder holding anything else is refused, see :func:`evsynth.outputs.atomic_folder`)."""
    check_owned(outdir, "--outdir")  # before the work
    spec = analysis_by_id(cfg, analysis)
    job = AnalysisJob(_read_effects(effects), spec, float(cfg["level"]), seed=int(cfg["seed"]))
    job.model()  # the main fit: a model that cannot be fitted stops the stage (not a note per diagnostic)
    tables = diagnostic_tables(job)
    with atomic_folder(outdir) as tmp:
        for name, t in sorted(tables.items()):
            write_csv(tmp / catalog.file_name(name), t)


def _optional_row(path: Path):
    if not path.is_file() or path.stat().st_size == 0:
        return None
    try:
        t = read_output(path)
    except pd.errors.EmptyDataError:  # an empty table (written as a bare line end)
        return None
    return t.iloc[0].to_dict() if len(t) else None


def _reporting(spec: dict, seen: dict | None = None) -> dict | None:
    """For an analysis of the review's own studies: how many studies measured its outcome domain
    and how many of them have statistics (the GRADE reporting-bias judgement).  ``seen`` keeps
    each extraction table converted once for the analyses that share it."""
    if "extracted" not in spec["effect"]:
        return None
    from evsynth.review import extraction as rx

    x = spec["effect"]["extracted"]
    key = (str(spec["dataset"]), str(x["studies"]))
    if seen is None or key not in seen:
        studies = load_table(x["studies"], "primary_studies")
        computed = rx.compute_extracted(load_table(spec["dataset"], "effects"), studies, spec["dataset"])
        if seen is None:
            return rx.reporting_gap(computed, studies, x["domain"])
        seen[key] = (computed, studies)
    computed, studies = seen[key]
    return rx.reporting_gap(computed, studies, x["domain"])


def _review_comparison(cfg: dict, rows: list[dict]) -> pd.DataFrame:
    """Each analysis that names ``review_findings``: its pooled result (the first certainty row:
    all its studies) beside each named conclusion of the coded findings table."""
    from evsynth.review.compare import COLUMNS, compare_with_findings

    wanted = [s for s in cfg["analyses"] if s.get("review_findings")]
    if not wanted:
        return pd.DataFrame(columns=COLUMNS)
    findings = load_table(cfg["studies"]["findings"], "findings")
    first = {}
    for r in rows:
        first.setdefault(r["analysis"], r)
    return pd.concat(
        [compare_with_findings(first[s["id"]], findings, s["review_findings"], s["id"]) for s in wanted],
        ignore_index=True,
    )


def run_certainty(cfg: dict, results: Path, outdir: Path) -> None:
    """GRADE certainty of every declared analysis' pooled outcome, read from its results
    tables: ``certainty.csv`` (one row per outcome) and ``certainty_reasons.csv`` (one row
    per outcome and GRADE domain, with the number behind each rating)."""
    from evsynth.review.grade import grade_outcome

    results = Path(results)
    rows, reasons, extractions = [], [], {}
    back = ("estimate_exp", "ci_lb_exp", "ci_ub_exp", "pi_lb_exp", "pi_ub_exp")  # ratios, back-transformed by fit
    for spec in cfg["analyses"]:

        def at(name, aid=spec["id"]):
            return results / catalog.path(name, analysis=aid)

        het = read_output(at("heterogeneity")).iloc[0].to_dict()
        eff = _read_effects(at("effects"))
        w = read_output(at("study_weights"))
        out, r = grade_outcome(
            het,
            eff,
            spec,
            weights=w,
            egger=_optional_row(at("egger")),
            trimfill=_optional_row(at("trimfill")),
            reporting=_reporting(spec, extractions),
        )
        mask = randomised_rows(eff, spec)
        rhet = _optional_row(at("randomised_heterogeneity")) if mask is not None else None
        out["body"] = "all included studies" if rhet is None else "all designs"
        out.update({c: het[c] for c in back if c in het})
        rows.append(out)
        reasons.append(r.assign(body=out["body"]))
        if rhet is not None:  # GRADE guidance 24: the randomised body rated on its own
            sub = eff[mask].reset_index(drop=True)
            funnel = {
                t: {c[len(t) + 1 :]: v for c, v in rhet.items() if c.startswith(t + "_")} or None
                for t in ("egger", "trimfill")
            }
            out, r = grade_outcome(rhet, sub, spec, weights=read_output(at("randomised_weights")), **funnel)
            out["body"] = "randomised studies only"
            out.update({c: rhet[c] for c in back if c in rhet})
            rows.append(out)
            reasons.append(r.assign(body=out["body"]))
    if cfg.get("published_estimates"):
        from evsynth.review.published import published_table

        published = published_table(read_table(cfg["published_estimates"]).data.replace({"": pd.NA, "NA": pd.NA}))
    else:
        published = pd.DataFrame()
    cert = pd.DataFrame(rows)
    reasons = pd.concat(reasons, ignore_index=True)
    write_tables(
        outdir,
        "certainty",
        {
            "published": published,
            "certainty": cert[["analysis", "body"] + [c for c in cert if c not in ("analysis", "body")]],
            "review_comparison": _review_comparison(cfg, rows),
            "certainty_reasons": reasons[["analysis", "body"] + [c for c in reasons if c not in ("analysis", "body")]],
        },
    )


def run_multiverse(cfg: dict, analysis: str, effects, out, chunk: int = 0, chunks=None) -> None:
    """One block of the multiverse of an analysis (:mod:`evsynth.pipeline.multiverse`):
    the specifications of block ``chunk`` of ``chunks``, fitted with the batched engine."""
    from evsynth.pipeline import multiverse as mv

    spec = analysis_by_id(cfg, analysis)
    if not spec.get("multiverse"):
        raise InputError(f"analysis '{analysis}' declares no multiverse (add a 'multiverse:' entry in the config)")
    chunks = mv.n_chunks(spec) if chunks is None else int(chunks)
    specs = mv.specifications(spec)
    lo, hi = mv.chunk_bounds(len(specs), int(chunk), chunks)
    write_csv(out, mv.fit_specifications(_read_effects(effects), spec, specs.iloc[lo:hi], float(cfg["level"])))


def run_multiverse_gather(cfg: dict, analysis: str, parts, outdir) -> None:
    """The multiverse blocks joined into ``multiverse.csv``, with the summary tables of the
    report (``multiverse_summary.csv``, ``multiverse_dimensions.csv``)."""
    from evsynth.pipeline import multiverse as mv

    spec = analysis_by_id(cfg, analysis)
    for p in parts:
        if not Path(p).is_file():
            raise InputError(f"{p}: multiverse block does not exist (written by 'evsynth multiverse {analysis}')")
    frames = [read_output(p, keep_default_na=False, na_values=[""]) for p in parts]
    for f in frames:
        f["status"] = f["status"].fillna("").astype(str)
    t = mv.gather(frames, len(mv.specifications(spec)))
    summ, dtab = mv.summary_tables(t, spec)
    write_tables(
        outdir,
        "multiverse-gather",
        {"multiverse": t, "multiverse_summary": summ, "multiverse_dimensions": dtab},
        spec=spec,
    )
    _remove_stale_blocks(parts)


def _remove_stale_blocks(parts) -> None:
    """Once the current blocks are gathered, the block folders of earlier multiverse configs
    (``multiverse/<other key>/``) and blocks of the layout before keys (``multiverse/chunk_*.csv``)
    beside them are deleted: only names of that shape, only in that folder."""
    import re
    import shutil

    here = {Path(p).resolve().parent for p in parts}
    for folder in {d.parent for d in here}:
        for p in folder.iterdir():
            if p.is_dir() and re.fullmatch(r"[0-9a-f]{12}", p.name) and p.resolve() not in here:
                shutil.rmtree(p)
            elif p.is_file() and re.fullmatch(r"chunk_\d+\.csv", p.name):
                p.unlink()


# ------------------------------------------------------------------------------ the review


def run_studies(cfg: dict, outdir) -> None:
    """Summaries of the coded study tables, the PRISMA counts, the NJI tables, and (when
    configured) the effect statements, their direction synthesis and the findings table."""
    from evsynth.review import studies as rs
    from evsynth.review.prisma import prisma_counts

    st = cfg["studies"]
    s = inputs.load_studies(cfg)
    t = {
        "study_characteristics": rs.study_characteristics(s),
        "quality_by_design": rs.quality_by_design(s),
        "intervention_types": rs.intervention_types(s),
        "outcome_domains": rs.outcome_domains(s),
        "evidence_gap": rs.evidence_gap(s),
        "prisma_counts": prisma_counts(inputs.load_prisma(st["prisma"])),
        "reviews": load_table(st["reviews"], "reviews").drop(columns=["row_text"]),
        "nji_interventions": load_table(st["nji_interventions"], "nji_interventions"),
        "nji_findings": load_table(st["nji_findings"], "nji_findings"),
    }
    if st.get("effect_statements"):
        from evsynth.review.evidence import effect_direction

        es = load_table(st["effect_statements"], "effect_statements")
        t["effect_statements"] = es
        t["effect_direction"] = effect_direction(es, s)
    if st.get("findings"):
        t["findings"] = load_table(st["findings"], "findings")
    write_tables(outdir, "studies", t, cfg=cfg)


def run_quality(cfg: dict, outdir) -> None:
    """The quality form scored: totals, published vs computed, agreement, template."""
    from evsynth.review import quality as rq

    form = inputs.load_form(cfg["quality"]["form"])
    studies = inputs.load_studies(cfg)
    df = inputs.load_assessments(cfg, form, studies)
    min_score = int(cfg["quality"]["min_score"])
    per_rater = rq.score(df, form)
    pvc = rq.published_vs_computed(studies, df, form)
    write_tables(
        outdir,
        "quality",
        {
            "quality_scores": pvc.merge(
                per_rater.pivot(index="study_id", columns="rater", values="total").add_prefix("total_").reset_index(),
                how="left",
                on="study_id",
            )
            if not per_rater.empty
            else pvc,
            "quality_summary": pd.DataFrame(
                [
                    {
                        "n_studies": len(pvc),
                        "n_total_only": int((pvc["status"] == "total_only").sum()),
                        "n_item_level": int((pvc["status"] == "item_level").sum()),
                        "n_not_scored": int((pvc["status"] == "not_scored").sum()),
                        "n_mismatch": int(pvc["mismatch"].sum()),
                        "min_score": min_score,
                        "n_at_or_above_min_score": len(rq.quality_filter(pvc, min_score)[0]),
                    }
                ]
            ),
            "quality_agreement": rq.agreement(df),
            "published_vs_computed": pvc[pvc["status"] == "item_level"],
            "quality_items": rq.item_summary(df),
            "assessment_template": rq.assessment_template(studies, form),
        },
    )


def run_extraction(cfg: dict, outdir) -> None:
    """Effect sizes of the coded studies: conversions, coverage, pooling by domain."""
    from evsynth.review import extraction as rx

    studies = inputs.load_studies(cfg)
    eff, path = inputs.load_extraction(cfg)
    computed = rx.compute_extracted(eff, studies, path)
    x, level = cfg["extraction"], float(cfg["level"])
    cov = rx.coverage(studies, computed)
    write_tables(
        outdir,
        "extraction",
        {
            "effects_computed": computed,
            "extraction_coverage": cov,
            "extraction_summary": pd.DataFrame(
                [
                    {
                        "n_rows": len(cov),
                        "n_articles": int(cov["n_articles"].sum()),
                        "n_rows_extracted": int((cov["status"] == "extracted").sum()),
                        "n_effect_sizes": len(computed),
                    }
                ]
            ),
            "pooled_by_domain": rx.pool_by_domain(computed, x["method"], x["test"], int(x["min_k"]), level),
            "moderators_by_domain": rx.moderators_by_domain(
                computed, studies, x["method"], x["test"], int(x["min_k"]), level, int(cfg["quality"]["min_score"])
            ),
            "extraction_template": rx.extraction_template(studies, list(eff.columns)),
        },
    )


def run_template(cfg: dict, outdir) -> None:
    """Blank extraction and quality-assessment templates for reviewers."""
    from evsynth.review.extraction import extraction_template
    from evsynth.review.quality import assessment_template

    outdir = Path(outdir)
    studies = inputs.load_studies(cfg)
    eff, _ = inputs.load_extraction(cfg)
    # the same templates the extraction and quality stages write, into one folder
    write_csv(outdir / catalog.file_name("extraction_template"), extraction_template(studies, list(eff.columns)))
    write_csv(
        outdir / catalog.file_name("assessment_template"),
        assessment_template(studies, inputs.load_form(cfg["quality"]["form"])),
    )


# ------------------------------------------------------------------------------ checks, figures, report


def run_check_config(cfg: dict, config) -> None:
    """The config against its schema (done on loading) and every input file it names."""
    from evsynth.pipeline.config import check_input_files

    check_input_files(cfg, source=str(config))
    print(f"{config}: OK ({len(cfg['analyses'])} analyses)")


def run_check_inputs(cfg: dict, out=None) -> None:
    """Every input table and file named in the config, all problems at once."""
    summary = inputs.check_all_inputs(cfg)
    if out:
        write_text(out, summary)
    print(summary, end="")


def run_figures(cfg: dict, analysis: str, results, outdir) -> None:
    """The figures of one analysis (from its result tables), or ``studies``."""
    from evsynth.present import figures

    results, outdir = Path(results), Path(outdir)
    if analysis == "studies":
        ed = results / catalog.path("effect_direction")
        figures.study_figures(
            effect_direction=read_output(ed) if ed.exists() else None,
            studies=inputs.load_studies(cfg),
            assessments=load_table(cfg["quality"]["assessments"], "assessments"),
            prisma=inputs.load_prisma(cfg["studies"]["prisma"]),
            results=results,
            out=outdir / "studies",
            languages=(cfg.get("report") or {}).get("languages", ["en"]),
        )
    else:
        from evsynth.pipeline.config import limits
        from evsynth.pipeline.multiverse import dimensions

        spec = analysis_by_id(cfg, analysis)
        figures.analysis_figures(
            spec,
            results / analysis,
            outdir / analysis,
            multiverse_dimensions=dimensions(spec) if spec.get("multiverse") else None,
            forest_rows=int(limits(cfg)["forest_rows"]),
            languages=(cfg.get("report") or {}).get("languages", ["en"]),
        )


def run_report(cfg: dict, results, figures, html, pdf=None) -> None:
    """The HTML report (and the PDF edition) from the result tables and figures."""
    from evsynth.present.report import write_report

    write_report(cfg, Path(results), Path(figures), Path(html), Path(pdf) if pdf else None)


def run_validate(directory, verbose=False) -> int:
    """Conformance cases (cases/*.json over data/*.csv) against evsynth; exit 1 if any fails."""
    from evsynth.conformance.golden import validate_dir

    outcomes = validate_dir(directory)
    failed = [o for o in outcomes if not o.passed]
    for o in failed:
        print(f"FAIL {o.id}: {o.message}")
    if verbose:
        for o in outcomes:
            if o.passed:
                print(f"ok   {o.id}")
    print(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return 0 if not failed else 1


# ------------------------------------------------------------------------------ the registry


@dataclass(frozen=True)
class Arg:
    """One command-line argument: its flags (``"analysis"`` or ``"--out"``), its help
    text and further :meth:`argparse.ArgumentParser.add_argument` keywords."""

    flags: tuple[str, ...]
    help: str
    options: dict = field(default_factory=dict)

    @property
    def dest(self) -> str:
        return self.options.get("dest") or self.flags[-1].lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Need:
    """An input a stage reads that an earlier stage writes.  ``path`` and ``run`` (the
    command that writes it) are templates over the command's arguments (``{analysis}``,
    ``{results}``, ``{effects}`` ...; ``run`` is the whole command), ``{each}`` (every analysis id of the config: one
    check per id) and ``{config_option}`` (`` --config FILE`` when not the default);
    ``only`` limits the check to some calls (a function of the arguments and the config)."""

    path: str
    what: str
    run: str
    only: Callable | None = None


def missing_inputs(stage: "Stage", cfg: dict | None, arguments: dict) -> None:
    """Stop with one :class:`InputError` naming the first input of ``stage`` that does not
    exist and the command that writes it (the needs are listed earliest stage first)."""
    if cfg and arguments.get("analysis") not in (None, "studies"):
        analysis_by_id(cfg, arguments["analysis"])  # an unknown id is named first, with the valid ones
    ids = [a["id"] for a in cfg["analyses"]] if cfg else []
    config = arguments.get("config") or "config.yaml"
    base = {**arguments, "config_option": "" if str(config) == "config.yaml" else f" --config {config}"}
    for need in stage.needs:
        if need.only is not None and not need.only(arguments, cfg):
            continue
        for each in ids if "{each}" in need.path else [None]:
            values = {**base, "each": each}
            path = Path(need.path.format(**values))
            if not path.exists():
                what = need.what.format(**values)
                raise InputError(f"{path}: {what} does not exist; write it first with:\n  {need.run.format(**values)}")


@dataclass(frozen=True)
class Stage:
    """One subcommand: ``func(cfg, **arguments)``.  With ``config`` (the default) the
    command takes ``--config`` and ``func`` gets the loaded config first (and the path as
    ``config=`` if it has such a parameter); without, ``func(**arguments)``.  A returned
    integer is the exit status.  ``needs``: the inputs earlier stages write, checked before
    ``func`` runs (:func:`missing_inputs`)."""

    name: str
    help: str
    func: Callable
    args: tuple[Arg, ...] = ()
    config: bool = True
    needs: tuple[Need, ...] = ()


def _a(*flags: str, help: str, **options) -> Arg:
    return Arg(tuple(flags), help, options)


ANALYSIS = _a("analysis", help="analysis id from the config (listed below)")
EFFECTS = _a("--effects", required=True, help="effect-size CSV written by 'evsynth effects'")
OUTDIR = _a("--outdir", required=True, help="output folder")
RESULTS = _a("--results", required=True, help="results folder")

# what a stage reads that an earlier stage writes (see Need), earliest stage first; the files
# are the catalogue's (evsynth.catalog), in the results folder ({results}) or the figures folder


def _res(name: str, analysis: str = "{each}") -> str:
    """``{results}/<the catalogue path of name>`` (a Need template: {each} or {analysis} kept)."""
    return "{results}/" + catalog.path(name, analysis=analysis)


def _fig(name: str, analysis: str = "{each}") -> str:
    return "{figures}/" + catalog.path(name, analysis=analysis)


_EFFECTS_RUN = "evsynth effects {analysis}{config_option} --out {effects}"
NEED_RESULTS = Need(
    "{results}", "the results folder", "make report  (the whole workflow; or each stage: README 'Running one stage')"
)
NEED_EFFECTS = Need("{effects}", "the effect-size table", _EFFECTS_RUN)
NEED_EACH_FIT = (
    Need(
        _res("effects"),
        "the effect-size table of '{each}'",
        "evsynth effects {each}{config_option} --out " + _res("effects"),
    ),
    Need(
        _res("heterogeneity"),
        "the fit of '{each}'",
        "evsynth fit {each}{config_option} --effects " + _res("effects") + " --outdir {results}/{each}",
    ),
)


def _studies(arguments: dict, cfg=None) -> bool:
    """for 'studies'"""
    return arguments.get("analysis") == "studies"


def _one_analysis(arguments: dict, cfg=None) -> bool:
    """for an analysis id"""
    return not _studies(arguments)


def _declares_multiverse(arguments: dict, cfg) -> bool:
    """when the analysis declares a multiverse"""
    return bool(analysis_by_id(cfg, arguments["analysis"]).get("multiverse"))


NEED_STUDY_TABLES = (
    Need(_res("evidence_gap"), "the study tables", "evsynth studies{config_option} --outdir {results}/studies"),
    Need(_res("quality_items"), "the quality tables", "evsynth quality{config_option} --outdir {results}/quality"),
)
NEEDS_FIGURES = (
    NEED_RESULTS,
    Need(
        _res("effects", "{analysis}"),
        "the effect-size table of '{analysis}'",
        "evsynth effects {analysis}{config_option} --out " + _res("effects", "{analysis}"),
        _one_analysis,
    ),
    Need(
        _res("scale", "{analysis}"),
        "the fit of '{analysis}' (with the tables the figures draw)",
        "evsynth fit {analysis}{config_option} --effects "
        + _res("effects", "{analysis}")
        + " --outdir {results}/{analysis}",
        _one_analysis,
    ),
    *(Need(n.path, n.what, n.run, _studies) for n in NEED_STUDY_TABLES),
)
NEEDS_REPORT = (
    NEED_RESULTS,
    *NEED_EACH_FIT,
    Need(
        _res("diagnostics"),
        "the diagnostics of '{each}'",
        "evsynth diagnose {each}{config_option} --effects " + _res("effects") + " --outdir " + _res("diagnostics"),
    ),
    *NEED_STUDY_TABLES,
    Need(
        _res("extraction_summary"),
        "the extraction tables",
        "evsynth extraction{config_option} --outdir {results}/extraction",
    ),
    Need(
        _res("certainty"),
        "the certainty table",
        "evsynth certainty{config_option} --results {results} --outdir {results}/certainty",
    ),
    Need(
        _fig("figures_analysis"),
        "the figures of '{each}'",
        "evsynth figures {each}{config_option} --results {results} --outdir {figures}",
    ),
    Need(
        _fig("figures_studies"),
        "the study figures",
        "evsynth figures studies{config_option} --results {results} --outdir {figures}",
    ),
)

STAGES: tuple[Stage, ...] = (
    Stage("check-config", "validate config.yaml against its schema and check the files it names", run_check_config),
    Stage(
        "check-inputs",
        "validate every input table and file named in the config",
        run_check_inputs,
        (_a("--out", help="write the summary of what was checked here"),),
    ),
    Stage(
        "effects",
        "compute effect sizes for one declared analysis",
        run_effects,
        (ANALYSIS, _a("--out", required=True, help="output CSV")),
    ),
    Stage(
        "fit",
        "fit the declared model, moderators, subgroups, robust and sensitivity analyses",
        run_fit,
        (ANALYSIS, EFFECTS, OUTDIR),
        needs=(NEED_EFFECTS,),
    ),
    Stage(
        "diagnose",
        "publication bias, influence and sensitivity diagnostics",
        run_diagnose,
        (
            ANALYSIS,
            EFFECTS,
            _a("--outdir", required=True, help="diagnostics folder (new, or written by diagnose before)"),
        ),
        needs=(NEED_EFFECTS,),
    ),
    Stage(
        "certainty",
        "GRADE certainty of every pooled outcome, read from the results tables",
        run_certainty,
        (
            RESULTS,
            _a("--outdir", required=True, help="where certainty.csv, certainty_reasons.csv and published.csv go"),
        ),
        needs=(NEED_RESULTS, *NEED_EACH_FIT),
    ),
    Stage(
        "multiverse",
        "fit one block of the multiverse of an analysis (every combination of its declared analytic choices)",
        run_multiverse,
        (
            ANALYSIS,
            EFFECTS,
            _a("--chunk", type=int, default=0, help="which block, from 0 (default 0)"),
            _a("--chunks", type=int, help="number of blocks (default: multiverse.chunks of the config, or 1)"),
            _a("--out", required=True, help="output CSV of this block"),
        ),
        needs=(Need(NEED_EFFECTS.path, NEED_EFFECTS.what, NEED_EFFECTS.run, _declares_multiverse),),
    ),
    Stage(
        "multiverse-gather",
        "join the multiverse blocks into multiverse.csv and write the summary tables of the report",
        run_multiverse_gather,
        (ANALYSIS, _a("parts", nargs="+", help="the block CSVs written by 'evsynth multiverse'"), OUTDIR),
    ),
    Stage("studies", "summaries of the coded study tables (characteristics, designs, flow)", run_studies, (OUTDIR,)),
    Stage("quality", "score the 11-item quality form: totals, agreement, kappa, template", run_quality, (OUTDIR,)),
    Stage(
        "extraction",
        "effect sizes of the 47 studies: conversions, coverage, pooling by domain",
        run_extraction,
        (OUTDIR,),
    ),
    Stage("template", "write blank extraction and quality templates for reviewers", run_template, (OUTDIR,)),
    Stage(
        "figures",
        "draw the figures of one analysis (or 'studies' for the study-level figures)",
        run_figures,
        (
            _a("analysis", help="analysis id from the config, or 'studies'"),
            RESULTS,
            _a("--outdir", required=True, help="figures folder"),
        ),
        needs=NEEDS_FIGURES,
    ),
    Stage(
        "report",
        "render the HTML (and PDF) report from the results tables",
        run_report,
        (
            RESULTS,
            _a("--figures", required=True, help="figures folder"),
            _a("--html", required=True, help="HTML report to write"),
            _a("--pdf", help="PDF edition to write (optional)"),
        ),
        needs=NEEDS_REPORT,
    ),
    Stage(
        "validate",
        "run conformance cases (cases/*.json over data/*.csv) and compare",
        run_validate,
        (
            _a("directory", help="folder with cases/ and data/ (e.g. ../shared/golden)"),
            _a("-v", "--verbose", action="store_true", help="list passing cases too"),
        ),
        config=False,
    ),
)
