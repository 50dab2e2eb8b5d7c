"""The figures stage: reads result tables, draws with :mod:`evsynth.plots`, and writes
PNG and SVG into a folder that replaces the previous one only when complete."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from evsynth.present import plots
from evsynth.pipeline.analysis import fit_main, measure_label
from evsynth.pipeline.config import analysis_by_id
from evsynth.review.design import Moderator
from evsynth.pipeline.io import atomic_folder, load_table
from evsynth.review.prisma import load_prisma
from evsynth.present.style import save

__all__ = ["run_analysis_figures", "run_study_figures"]


def _read(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _axis(spec):
    m = spec["effect"].get("measure")
    if m in ("OR", "RR", "PETO", "ROM"):
        return np.exp, True, {"OR": "Odds ratio", "PETO": "Odds ratio (Peto)", "RR": "Risk ratio"}.get(m, "Ratio of means"), 0.0
    return None, False, measure_label(spec), 0.0


def run_analysis_figures(cfg: dict, analysis_id: str, results: Path, figdir: Path) -> None:
    spec = analysis_by_id(cfg, analysis_id)
    level = float(cfg["level"])
    res = results / analysis_id
    eff = pd.read_csv(res / "effects.csv", dtype={"study": str})
    het = _read(res / "heterogeneity.csv").iloc[0]
    weights = _read(res / "study_weights.csv")
    back, log_axis, xlabel, ref = _axis(spec)
    interp = spec["direction"].get("interpretation", "improvement")
    xlabel = plots.direction_label(xlabel, interp, ratio=log_axis)  # what a direction means on that scale
    ylabel = plots.direction_label(measure_label(spec), interp)  # bubble plots show the analysis scale (e.g. log OR)
    studies = pd.DataFrame({"label": eff["study"].astype(str), "yi": eff["yi"], "vi": eff["vi"]})
    if spec["model"]["type"] == "multilevel":
        counts = eff.groupby("study", sort=False).cumcount() + 1
        studies["label"] = [f"{s} / effect {c}" for s, c in zip(eff["study"].astype(str), counts)]
        studies["weight"] = np.nan  # no single weight per effect in a multilevel model: no weight column
    else:
        studies["weight"] = weights["weight"] if "weight" in weights else np.nan
    pooled = {"estimate": het["estimate"], "ci_lb": het["ci_lb"], "ci_ub": het["ci_ub"],
              "pi_lb": het.get("pi_lb"), "pi_ub": het.get("pi_ub"),
              "label": f"Pooled ({het['method']}{', ' + het['test'] if het['test'] != 'z' else ''}; k = {int(het['k'])})"}
    notes = []  # figures not drawn, and why (figure_notes.csv, for the report)
    with atomic_folder(figdir / analysis_id) as out:
        # long forests are split over pages of at most plots.MAX_FOREST_ROWS rows: forest, forest_page2, ...
        for i, f in enumerate(plots.forest_pages(studies, pooled, title=spec["title"], xlabel=xlabel, level=level,
                                                 back=back, log_axis=log_axis, ref=ref), 1):
            save(f, out / ("forest" if i == 1 else f"forest_page{i}"))
        sub = _read(res / "subgroups.csv")
        if not sub.empty:
            for var, g in sub.groupby("subgroup_variable", sort=False):
                sgs = [{"group": r["group"], "label": f"{var} = {r['group']}", "estimate": r["estimate"],
                        "ci_lb": r["ci_lb"], "ci_ub": r["ci_ub"]} for _, r in g.iterrows()]
                st = studies.copy()
                st["group"] = eff[var].astype(str).to_numpy()
                between = (f"Test for subgroup differences: Q = {g['Q_between'].iloc[0]:.2f}, "
                           f"df = {int(g['df_between'].iloc[0])}, p = {g['p_between'].iloc[0]:.3g}")
                pages = plots.forest_pages(st, pooled, title=f"{spec['title']}: by {var}", xlabel=xlabel,
                                           level=level, back=back, log_axis=log_axis, subgroups=sgs,
                                           between=between, ref=ref)
                for n_, f in enumerate(pages, 1):
                    save(f, out / (f"forest_by_{var}" if n_ == 1 else f"forest_by_{var}_page{n_}"))
        diag = res / "diagnostics"
        tf = _read(diag / "trimfill_filled.csv") if (diag / "trimfill_filled.csv").exists() else pd.DataFrame()
        if spec["model"]["type"] == "univariate" and len(eff) < plots.FUNNEL_MIN_K:
            notes.append({"figure": "funnel", "drawn": "no", "reason": plots.FUNNEL_TOO_FEW.format(k=len(eff))})
        elif spec["model"]["type"] == "univariate":
            save(plots.funnel_plot(eff["yi"], eff["vi"], het["estimate"], title=f"Funnel plot: {spec['title']}",
                                   xlabel=xlabel, filled_yi=tf["yi"] if len(tf) else None,
                                   filled_vi=tf["vi"] if len(tf) else None, back=back, log_axis=log_axis),
                 out / "funnel")
        if spec.get("multiverse") and (res / "multiverse.csv").exists():
            from evsynth.pipeline.multiverse import dimensions

            save(plots.specification_curve(_read(res / "multiverse.csv"), dimensions(spec),
                                           _read(res / "multiverse_summary.csv").iloc[0],
                                           title=f"Multiverse: {spec['title']}", ylabel=ylabel, level=level),
                 out / "specification_curve")
        for m in spec.get("moderators", []):
            mod = Moderator.from_spec(m)
            if mod.type != "numeric":
                continue
            sub_e = eff.dropna(subset=[mod.column]).reset_index(drop=True)
            f = fit_main(sub_e, spec, level, mods=[m])
            x = sub_e[mod.column].to_numpy(float)
            grid = np.linspace(x.min(), x.max(), 100)
            Xg = np.column_stack([np.ones_like(grid), grid])
            pred = Xg @ f.beta
            se = np.sqrt(np.einsum("ij,jk,ik->i", Xg, f.vb, Xg))
            crit = f.ci_ub[0] - f.beta[0]
            crit = crit / f.se[0]
            w = f.weights if hasattr(f, "weights") else np.ones_like(x)
            save(plots.bubble_plot(x, sub_e["yi"], w, grid, pred, pred - crit * se, pred + crit * se,
                                   title=f"{spec['title']}: {m.get('label', mod.column)}",
                                   xlabel=m.get("label", mod.column), ylabel=ylabel), out / f"bubble_{mod.column}")
        if notes:
            pd.DataFrame(notes, columns=["figure", "drawn", "reason"]).to_csv(out / "figure_notes.csv", index=False,
                                                                               lineterminator="\n")


def run_study_figures(cfg: dict, results: Path, figdir: Path) -> None:
    st = cfg["studies"]
    studies = load_table(st["primary_studies"], "primary_studies")
    assess = load_table(cfg["quality"]["assessments"], "assessments")
    summary = _read(results / "quality" / "item_summary.csv")
    gap = _read(results / "studies" / "evidence_gap.csv")
    with atomic_folder(figdir / "studies") as out:
        save(plots.rob_traffic_light(assess), out / "rob_traffic_light")
        save(plots.rob_summary(summary), out / "rob_summary")
        save(plots.quality_histogram(studies), out / "quality_by_design")
        save(plots.prisma_diagram(load_prisma(st["prisma"])), out / "prisma_flow")
        save(plots.evidence_gap_map(gap), out / "evidence_gap_map")
