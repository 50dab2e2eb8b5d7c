"""Loading the inputs named in the config (tables, the quality form, the PRISMA flow)
and checking every one of them before any model runs, reporting every problem of every
file at once.  The review layer gets the loaded data frames and dicts, never paths."""

from __future__ import annotations

import os
from pathlib import Path

from evsynth.errors import EvsynthError, InputError, TableProblems, clean_text
from evsynth.pipeline.dataset import dataset_effects
from evsynth.pipeline.checks import load_table
from evsynth.pipeline.yamlfile import read_yaml
from evsynth.review.extraction import compute_extracted
from evsynth.review.evidence import SEED_FILES, check_findings, check_statements
from evsynth.review.prisma import check_prisma
from evsynth.review.quality import Form, check_assessments, check_form

__all__ = [
    "check_all_inputs",
    "seed_lengths",
    "load_form",
    "load_prisma",
    "load_studies",
    "load_assessments",
    "load_extraction",
]


def load_form(path) -> Form:
    """The quality form (``form.yaml``), checked; every problem raised at once."""
    return check_form(read_yaml(path), str(path))


def load_prisma(path) -> dict:
    """The search and selection flow (``prisma.yaml``), checked (structure and arithmetic)."""
    p = read_yaml(path)
    problems = check_prisma(p, str(path))
    if problems:
        raise TableProblems(path, problems)
    return p


def load_studies(cfg: dict):
    """The coded primary-studies table named in the config."""
    return load_table(cfg["studies"]["primary_studies"], "primary_studies")


def load_assessments(cfg: dict, form: Form, studies):
    """Item-level quality judgements, checked against the form and the study table."""
    path = cfg["quality"]["assessments"]
    df = load_table(path, "assessments")
    problems = check_assessments(df, form, studies["study_id"], path)
    if problems:
        raise TableProblems(path, problems)
    return df


def load_extraction(cfg: dict):
    """The extraction table (long format: one row per effect size) and its path."""
    path = cfg["extraction"]["effects"]
    return load_table(path, "effects"), path


def seed_lengths(seeds_dir) -> dict[str, int]:
    """Number of lines of each seed text found in ``seeds_dir`` (missing seeds are left out).
    The folder is read only where the pipeline may read (:func:`evsynth.pipeline.paths.confine`:
    the project folder or a folder allowed with ``--allow-dir``); elsewhere no seed is read and
    the line ranges are not checked against the seeds."""
    from evsynth.pipeline.paths import confine

    out: dict[str, int] = {}
    if not seeds_dir:
        return out
    try:
        folder = confine(seeds_dir, "studies.seeds")
    except EvsynthError:
        return out
    for doc, name in SEED_FILES.items():
        p = folder / name
        if p.is_file():
            out[doc] = len(p.read_text(encoding="utf-8").split("\n"))
    return out


def check_all_inputs(cfg: dict) -> str:
    problems: list[str] = []
    done: list[str] = []

    def attempt(label, fn):
        try:
            out = fn()
            done.append(label)
            return out
        except TableProblems as exc:
            problems.extend(exc.problems)
        except EvsynthError as exc:
            problems.append(str(exc))
        return None

    st, q = cfg["studies"], cfg["quality"]
    studies = attempt(
        f"{st['primary_studies']}: coded primary studies", lambda: load_table(st["primary_studies"], "primary_studies")
    )
    reviews = attempt(f"{st['reviews']}: coded reviews", lambda: load_table(st["reviews"], "reviews"))
    lengths = seed_lengths(st.get("seeds"))
    if st.get("seeds") and not lengths:
        done.append(
            f"{st['seeds']}: seed texts not read (missing, or outside the project folder and not allowed "
            "with --allow-dir): seed line ranges checked against the tables only"
        )

    def statements(key, label, base, base_key):
        """Load the statement table ``st[key]`` and check it against the rows of ``base``
        (the table ``st[base_key]``) and the seed lengths; the problems found (also added
        to ``problems``), or None when either table could not be loaded."""
        table = attempt(f"{st[key]}: {label}", lambda: load_table(st[key], key))
        if table is None or base is None:
            return None
        extra = check_statements(table, base["row"], st[key], st[base_key], lengths.get("holwerda2014"))
        problems.extend(extra)
        return extra

    if st.get("effect_statements"):
        extra = statements("effect_statements", "effect statements (Bijlage 5)", studies, "primary_studies")
        if extra is not None and not extra:
            done.append(
                f"{st['effect_statements']}: every statement has its study row" + (" and seed lines" if lengths else "")
            )
    if st.get("review_statements"):
        statements("review_statements", "review statements (Bijlage 6)", reviews, "reviews")
    if st.get("coding_log"):
        attempt(f"{st['coding_log']}: coding log", lambda: load_table(st["coding_log"], "coding_log"))
    if st.get("findings"):
        fnd = attempt(f"{st['findings']}: findings of the seeds", lambda: load_table(st["findings"], "findings"))
        if fnd is not None:
            problems.extend(check_findings(fnd, st["findings"], lengths))
    attempt(f"{st['prisma']}: search and selection flow (counts add up)", lambda: load_prisma(st["prisma"]))
    attempt(
        f"{st['nji_interventions']}: NJI interventions",
        lambda: load_table(st["nji_interventions"], "nji_interventions"),
    )
    attempt(f"{st['nji_findings']}: NJI review findings", lambda: load_table(st["nji_findings"], "nji_findings"))
    form = attempt(f"{q['form']}: quality form (items A-K)", lambda: load_form(q["form"]))
    qa = attempt(f"{q['assessments']}: quality assessments", lambda: load_table(q["assessments"], "assessments"))
    if studies is not None and form is not None and qa is not None:
        extra = check_assessments(qa, form, studies["study_id"], q["assessments"])
        problems.extend(extra)
    eff = attempt(
        f"{cfg['extraction']['effects']}: extracted effect sizes",
        lambda: load_table(cfg["extraction"]["effects"], "effects"),
    )
    extracted = {}  # the extraction converted once, for the analyses of the review's own studies
    if eff is not None and studies is not None:
        computed = attempt(
            f"{cfg['extraction']['effects']}: effect sizes computable",
            lambda: compute_extracted(eff, studies, cfg["extraction"]["effects"]),
        )
        if computed is not None:
            key = (os.path.normpath(str(cfg["extraction"]["effects"])), os.path.normpath(str(st["primary_studies"])))
            extracted[key] = computed
    eff = None  # the typed table is not needed any more (a million rows: free it before the analyses)
    for spec in cfg["analyses"]:

        def one(spec=spec):
            e = dataset_effects(spec, extracted)
            if len(e) < 2:
                raise InputError(
                    f"{spec['dataset']}: analysis '{spec['id']}' has {len(e)} usable effect size(s); "
                    "at least 2 are needed"
                )
            return e

        attempt(f"{spec['dataset']}: dataset of analysis '{spec['id']}'", one)
    if problems:
        raise InputError("\n".join(problems))
    return "".join(f"ok  {clean_text(d)}\n" for d in done)


def _paths(cfg: dict) -> list[Path]:  # the files the check reads (for documentation and tests)
    st = cfg["studies"]
    return [
        Path(p)
        for p in (
            *(v for k, v in st.items() if k != "seeds"),
            cfg["quality"]["form"],
            cfg["quality"]["assessments"],
            cfg["extraction"]["effects"],
            *(a["dataset"] for a in cfg["analyses"]),
        )
    ]
