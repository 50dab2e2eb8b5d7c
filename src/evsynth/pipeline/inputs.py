"""Loading the inputs named in the config (tables, the quality form, the PRISMA flow)
and checking every one of them before any model runs, reporting every problem of every
file at once.  The review layer gets the loaded data frames and dicts, never paths."""

from __future__ import annotations

from pathlib import Path

from evsynth.pipeline import analysis as an
from evsynth.errors import EvsynthError, InputError
from evsynth.pipeline.io import TableProblems, load_table, read_table, read_yaml
from evsynth.review.extraction import compute_extracted
from evsynth.review.prisma import check_prisma
from evsynth.review.quality import Form, check_assessments, check_form

__all__ = ["check_all_inputs", "load_form", "load_prisma", "load_studies", "load_assessments",
           "load_extraction"]


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
    studies = attempt(f"{st['primary_studies']}: coded primary studies",
                      lambda: load_table(st["primary_studies"], "primary_studies"))
    attempt(f"{st['reviews']}: coded reviews", lambda: load_table(st["reviews"], "reviews"))
    attempt(f"{st['prisma']}: search and selection flow (counts add up)", lambda: load_prisma(st["prisma"]))
    attempt(f"{st['nji_interventions']}: NJI interventions", lambda: load_table(st["nji_interventions"], "nji_interventions"))
    attempt(f"{st['nji_findings']}: NJI review findings", lambda: load_table(st["nji_findings"], "nji_findings"))
    form = attempt(f"{q['form']}: quality form (items A-K)", lambda: load_form(q["form"]))
    qa = attempt(f"{q['assessments']}: quality assessments", lambda: load_table(q["assessments"], "assessments"))
    if studies is not None and form is not None and qa is not None:
        extra = check_assessments(qa, form, studies["study_id"], q["assessments"])
        problems.extend(extra)
    eff = attempt(f"{cfg['extraction']['effects']}: extracted effect sizes",
                  lambda: load_table(cfg["extraction"]["effects"], "effects"))
    if eff is not None and studies is not None:
        attempt(f"{cfg['extraction']['effects']}: effect sizes computable",
                lambda: compute_extracted(eff, studies, cfg["extraction"]["effects"]))
    for spec in cfg["analyses"]:
        def one(spec=spec):
            from evsynth.pipeline.stages import dataset_effects

            e = dataset_effects(spec)
            if len(e) < 2:
                raise InputError(f"{spec['dataset']}: analysis '{spec['id']}' has {len(e)} usable effect size(s); "
                                 "at least 2 are needed")
            return e
        attempt(f"{spec['dataset']}: dataset of analysis '{spec['id']}'", one)
    if problems:
        raise InputError("\n".join(problems))
    from evsynth.errors import clean_text

    return "".join(f"ok  {clean_text(d)}\n" for d in done)


def _paths(cfg: dict) -> list[Path]:  # the files the check reads (for documentation and tests)
    st = cfg["studies"]
    return [Path(p) for p in (*st.values(), cfg["quality"]["form"], cfg["quality"]["assessments"],
                              cfg["extraction"]["effects"], *(a["dataset"] for a in cfg["analyses"]))]
