"""Check every input named in the config before any model runs; report every problem
of every file at once."""

from __future__ import annotations

from pathlib import Path

from evsynth.pipeline import analysis as an
from evsynth.errors import EvsynthError, InputError
from evsynth.review.extraction import compute_extracted
from evsynth.pipeline.io import TableProblems, load_table, read_table
from evsynth.review.prisma import load_prisma
from evsynth.review.quality import check_assessments, load_form

__all__ = ["check_all_inputs"]


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
