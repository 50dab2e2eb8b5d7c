"""The figures of one analysis and of the coded studies, drawn from result tables with
:mod:`evsynth.present.plots` and written as PNG and SVG into a folder that replaces the
previous one only when complete.

Nothing is computed here: study intervals and weights, the critical value and level,
the bubble plots' fitted lines and bands, the funnel contours and the axis wording are
read from the tables the fit stage writes (``scale.csv``, ``figure_*.csv``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from evsynth.outputs import atomic_folder, read_output, safe_file_name, write_csv
from evsynth.present import plots
from evsynth.present.labels import moderator_labels
from evsynth.texts import column_label
from evsynth.present.style import save

__all__ = ["analysis_figures", "study_figures"]

BACK_TRANSFORMS = {"exp": np.exp, "": None}


def _read(path: Path, **kwargs) -> pd.DataFrame:
    try:
        return read_output(path, **kwargs)  # values as before writing: '+Plus trial', not "'+Plus trial"
    except (pd.errors.EmptyDataError, FileNotFoundError):
        return pd.DataFrame()


def _flag(value) -> bool:
    return str(value).strip().lower() == "true"


def analysis_figures(spec: dict, res: Path, out_dir: Path, multiverse_dimensions=None) -> None:
    """Forest (overall and per subgroup variable), funnel (univariate models), bubble
    plots (numeric moderators) and, given the multiverse's ``(name, choices)`` dimensions,
    the specification curve of one analysis, from its result folder ``res``."""
    res = Path(res)
    eff = read_output(res / "effects.csv", dtype={"study": str})
    het = _read(res / "heterogeneity.csv").iloc[0]
    scale = _read(res / "scale.csv", keep_default_na=False).iloc[0]
    forest = _read(res / "figure_forest.csv", dtype={"label": str, "study": str})
    back = BACK_TRANSFORMS[str(scale["back_transform"])]
    log_axis, xlabel, ref = _flag(scale["log_axis"]), str(scale["axis_label"]), float(scale["reference_line"])
    level = float(forest["level"].iloc[0])
    cols = ["label", "yi", "vi", "ci_lb", "ci_ub", "weight"] + (["study"] if "study" in forest else [])
    studies = forest[cols].copy()
    pooled = {
        "estimate": het["estimate"],
        "ci_lb": het["ci_lb"],
        "ci_ub": het["ci_ub"],
        "pi_lb": het.get("pi_lb"),
        "pi_ub": het.get("pi_ub"),
        "label": f"Pooled ({het['method']}{', ' + het['test'] if het['test'] != 'z' else ''}; k = {int(het['k'])})",
    }
    notes = []  # figures not drawn, and why (figure_notes.csv, for the report)
    files = []  # file names made from column names (safe_file_name) and their column: figure_files.csv
    with atomic_folder(Path(out_dir)) as out:
        # long forests are split over pages of at most plots.MAX_FOREST_ROWS rows: forest, forest_page2, ...
        for i, f in enumerate(
            plots.forest_pages(
                studies, pooled, title=spec["title"], xlabel=xlabel, level=level, back=back, log_axis=log_axis, ref=ref
            ),
            1,
        ):
            save(f, out / ("forest" if i == 1 else f"forest_page{i}"))
        sub = _read(res / "subgroups.csv")
        if not sub.empty:
            names, level_words = moderator_labels(spec)  # what the reader sees: labels from config
            for var, g in sub.groupby("subgroup_variable", sort=False):
                vlab = names.get(var, column_label(var))
                words = level_words.get(var, {})
                sgs = [
                    {
                        "group": r["group"],
                        "label": f"{vlab}: {words.get(str(r['group']), r['group'])}",
                        "estimate": r["estimate"],
                        "ci_lb": r["ci_lb"],
                        "ci_ub": r["ci_ub"],
                    }
                    for _, r in g.iterrows()
                ]
                st = studies.copy()
                st["group"] = eff[var].astype(str).to_numpy()
                if "Q_between" in g.columns:
                    between = (
                        f"Test for subgroup differences: Q = {g['Q_between'].iloc[0]:.2f}, "
                        f"df = {int(g['df_between'].iloc[0])}, p = {g['p_between'].iloc[0]:.3g}"
                    )
                else:  # multilevel subgroups: the difference is tested by the moderator model of the column
                    mods = _read(res / "moderators.csv")
                    mrow = mods[mods["model"] == var] if not mods.empty else mods
                    between = (
                        f"Test of {vlab} as moderator: QM = {mrow['QM'].iloc[0]:.2f}, "
                        f"p = {mrow['QMp'].iloc[0]:.3g}; levels with fewer than 3 studies not pooled"
                        if len(mrow)
                        else "levels with fewer than 3 studies not pooled"
                    )
                pages = plots.forest_pages(
                    st,
                    pooled,
                    title=f"{spec['title']}: by {vlab}",
                    xlabel=xlabel,
                    level=level,
                    back=back,
                    log_axis=log_axis,
                    subgroups=sgs,
                    between=between,
                    ref=ref,
                )
                stem = f"forest_by_{safe_file_name(var)}"
                files.append({"file": stem, "column": var})
                for n_, f in enumerate(pages, 1):
                    save(f, out / (stem if n_ == 1 else f"{stem}_page{n_}"))
        if spec["model"]["type"] == "univariate" and len(eff) < plots.FUNNEL_MIN_K:
            notes.append({"figure": "funnel", "drawn": "no", "reason": plots.FUNNEL_TOO_FEW.format(k=len(eff))})
        elif spec["model"]["type"] == "univariate":
            tf = _read(res / "diagnostics" / "trimfill_filled.csv")
            save(
                plots.funnel_plot(
                    eff["yi"],
                    eff["vi"],
                    het["estimate"],
                    _read(res / "figure_funnel.csv"),
                    title=f"Funnel plot: {spec['title']}",
                    xlabel=xlabel,
                    filled_yi=tf["yi"] if len(tf) else None,
                    filled_vi=tf["vi"] if len(tf) else None,
                    back=back,
                    log_axis=log_axis,
                ),
                out / "funnel",
            )
        if multiverse_dimensions and (res / "multiverse.csv").exists():
            save(
                plots.specification_curve(
                    _read(res / "multiverse.csv"),
                    multiverse_dimensions,
                    _read(res / "multiverse_summary.csv").iloc[0],
                    title=f"Multiverse: {spec['title']}",
                    ylabel=str(scale["analysis_scale_label"]),
                    level=level,
                ),
                out / "specification_curve",
            )
        lines = _read(res / "figure_bubble.csv")
        points = _read(res / "figure_bubble_points.csv")
        for col, line in lines.groupby("moderator", sort=False) if not lines.empty else []:
            pts = points[points["moderator"] == col]
            label = str(line["label"].iloc[0])
            fig = plots.bubble_plot(
                pts["x"],
                pts["yi"],
                pts["weight"],
                line["x"],
                line["pred"],
                line["ci_lb"],
                line["ci_ub"],
                title=f"{spec['title']}: {label}",
                xlabel=label,
                ylabel=str(scale["analysis_scale_label"]),
                level=level,
            )
            files.append({"file": f"bubble_{safe_file_name(col)}", "column": col})
            save(
                _with_predictions(fig, _read(res / "diagnostics" / "predictions.csv"), col, level),
                out / files[-1]["file"],
            )
        if files:
            write_csv(out / "figure_files.csv", pd.DataFrame(files, columns=["file", "column"]))
        if notes:
            pd.DataFrame(notes, columns=["figure", "drawn", "reason"]).to_csv(
                out / "figure_notes.csv", index=False, lineterminator="\n"
            )


def _with_predictions(fig, preds: pd.DataFrame, col: str, level: float):
    """The bubble plot of moderator ``col`` with the rows of the predictions table
    (diagnostic ``predictions``, written by the diagnose stage) for that moderator marked."""
    rows = preds[preds["moderator"] == col] if not preds.empty and "moderator" in preds else preds.iloc[0:0]
    if rows.empty:
        return fig
    return plots.add_predictions(fig, rows["value"], rows["pred"], rows["ci_lb"], rows["ci_ub"], level=level)


def study_figures(
    *,
    studies: pd.DataFrame,
    assessments: pd.DataFrame,
    prisma: dict,
    results: Path,
    out: Path,
    effect_direction: pd.DataFrame | None = None,
) -> None:
    """Risk-of-bias plots, quality histogram, PRISMA flow, evidence gap map and (when given)
    the effect direction plot of the coded effect statements."""
    results = Path(results)
    summary = _read(results / "quality" / "item_summary.csv")
    gap = _read(results / "studies" / "evidence_gap.csv")
    with atomic_folder(Path(out)) as tmp:
        save(plots.rob_traffic_light(assessments), tmp / "rob_traffic_light")
        save(plots.rob_summary(summary), tmp / "rob_summary")
        save(plots.quality_histogram(studies), tmp / "quality_by_design")
        save(plots.prisma_diagram(prisma), tmp / "prisma_flow")
        save(plots.evidence_gap_map(gap), tmp / "evidence_gap_map")
        if effect_direction is not None:
            save(plots.effect_direction_plot(effect_direction), tmp / "effect_direction")
