"""Pipeline stages: each reads its inputs, calls the library and writes its outputs
atomically.  The command line (and so every Snakemake rule) calls these."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evsynth.pipeline import analysis as an
from evsynth.pipeline.config import analysis_by_id
from evsynth.pipeline.io import atomic_folder, read_table, write_csv, write_text

__all__ = ["run_effects", "run_fit", "run_diagnose"]


def dataset_effects(spec: dict) -> pd.DataFrame:
    """Read an analysis dataset (CSV in any promised form, or an .xlsx sheet) and compute
    its effect sizes; every problem of the file is reported at once."""
    t = read_table(spec["dataset"], sheet=spec.get("sheet"))
    return an.compute_effects(t.data.replace("", pd.NA), spec, where=spec["dataset"], decimal=t.decimal,
                              rows=t.rows)


EXCLUSION_COLUMNS = ["analysis", "dataset", "row", "study", "reason"]


def run_effects(cfg: dict, analysis_id: str, out: Path) -> None:
    spec = analysis_by_id(cfg, analysis_id)
    eff = dataset_effects(spec)
    dropped = eff.attrs.get("dropped", [])
    excl = pd.DataFrame([{"analysis": spec["id"], "dataset": spec["dataset"], **d} for d in dropped],
                        columns=EXCLUSION_COLUMNS)
    write_csv(out, eff, float_digits=15)
    # rows the config allowed to drop (drop_incomplete): the report's exclusions table reads this
    write_csv(Path(out).with_name("exclusions.csv"), excl)


def _read_effects(path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype={"study": str}, keep_default_na=True)
    return df


def run_fit(cfg: dict, analysis_id: str, effects: Path, outdir: Path) -> None:
    spec = analysis_by_id(cfg, analysis_id)
    level = float(cfg["level"])
    eff = _read_effects(effects)
    outdir = Path(outdir)
    fit = an.fit_main(eff, spec, level)
    write_csv(outdir / "estimates.csv", an.coef_rows(fit, "intercept only"))
    write_csv(outdir / "heterogeneity.csv", an.heterogeneity_table(fit, spec))
    mods, notes1 = an.moderator_tables(eff, spec, level)
    write_csv(outdir / "moderators.csv", mods)
    sub, notes2 = an.subgroup_table(eff, spec, level)
    write_csv(outdir / "subgroups.csv", sub)
    write_csv(outdir / "robust.csv", an.robust_table(eff, spec, fit))
    write_csv(outdir / "sensitivity.csv", an.sensitivity_table(eff, spec, level))
    weights = eff[["study", "yi", "vi"]].copy()
    if fit.model_weights() is not None:
        weights["weight"] = fit.model_weights()
    write_csv(outdir / "study_weights.csv", weights)
    write_csv(outdir / "fit_notes.csv", pd.DataFrame({"note": notes1 + notes2}, columns=["note"]))
    write_text(outdir / "model.txt", fit.summary() + "\n")


def run_diagnose(cfg: dict, analysis_id: str, effects: Path, outdir: Path) -> None:
    """Write every diagnostic table into ``outdir`` (a folder replaced as a whole)."""
    spec = analysis_by_id(cfg, analysis_id)
    level = float(cfg["level"])
    eff = _read_effects(effects)
    fit = an.fit_main(eff, spec, level)
    tables = an.diagnostic_tables(eff, spec, fit, int(cfg["seed"]), level)
    with atomic_folder(outdir) as tmp:
        for name, t in sorted(tables.items()):
            write_csv(tmp / f"{name}.csv", t)
