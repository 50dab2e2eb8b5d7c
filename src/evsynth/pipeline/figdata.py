"""What the figures draw, as tables written by the fit stage.

The presentation layer computes no statistics, so every number a figure shows comes
from here: the forest plot's rows (each study's confidence interval at the configured
level, its weight), the bubble plots' fitted meta-regression lines with their confidence
bands, the critical values of the funnel plot's significance contours, and the scale of
the analysis (axis label, log axis, back-transformation).  Each function takes data
frames, a config entry and a fit (or the analysis job, :class:`evsynth.pipeline.job.AnalysisJob`),
and returns data frames."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evsynth.engine.effects import MEASURE_INFO
from evsynth.engine.results import critical_value as _critical
from evsynth.catalog import figure_tables as figure_table_names
from evsynth.errors import InputError, ModelError
from evsynth.pipeline.job import AnalysisJob
from evsynth.review.design import Moderator

__all__ = [
    "figure_tables",
    "critical_value",
    "measure_label",
    "scale_table",
    "forest_table",
    "bubble_tables",
    "funnel_contours",
]


RATIO_MEASURES = ("OR", "RR", "PETO", "ROM")
INTERPRETATION_WORDS = {
    "improvement": "positive = improvement",
    "risk": "positive = higher risk",
    "association": "positive = positive association",
}
FUNNEL_CONTOURS = ((0.10, "p < .10"), (0.05, "p < .05"), (0.01, "p < .01"))
BUBBLE_GRID = 100


def critical_value(level: float, df=None) -> float:
    """Two-sided critical value at ``level``: t with ``df`` degrees of freedom, or the
    standard normal when ``df`` is None (the engine's reference distributions)."""
    return float(_critical(float(level), "z" if df is None else "t", df))


def measure_label(spec: dict) -> str:
    """The name of an analysis' effect-size scale as people read it: the config's
    ``effect.scale``, else the measure's description, else "effect size".  Written into
    ``scale.csv`` (:func:`scale_table`), which the figures and the report read."""
    eff = spec["effect"]
    if eff.get("scale"):
        return eff["scale"]
    if eff.get("measure") == "PCOR":
        return "partial correlation"
    if eff.get("measure"):
        return MEASURE_INFO[eff["measure"]][1]
    return "effect size"


def scale_table(spec: dict) -> pd.DataFrame:
    """One row: the analysis scale and how the figures show it (a ratio measure is drawn
    on a log axis with exponentiated tick labels)."""
    m = spec["effect"].get("measure")
    words = INTERPRETATION_WORDS[spec["direction"].get("interpretation", "improvement")]
    label = measure_label(spec)
    if m in RATIO_MEASURES:  # say what a direction means on the ratio scale drawn (issue 17)
        meaning = words.split(" = ", 1)[1]
        name = {"OR": "Odds ratio", "PETO": "Odds ratio (Peto)", "RR": "Risk ratio"}.get(m, "Ratio of means")
        axis_label = f"{name} (log scale; above 1 = {meaning}, below 1 = the opposite)"
    else:
        axis_label = f"{label} ({words})"
    return pd.DataFrame(
        [
            {
                "measure_label": label,
                "axis_label": axis_label,
                "analysis_scale_label": f"{label} ({words})",
                "log_axis": m in RATIO_MEASURES,
                "back_transform": "exp" if m in RATIO_MEASURES else "",
                "reference_line": 0.0,
                "interpretation": spec["direction"].get("interpretation", "improvement"),
            }
        ]
    )


def forest_table(eff: pd.DataFrame, spec: dict, fit, level: float) -> pd.DataFrame:
    """One row per effect size: label, yi, vi, the Wald interval ``yi -/+ z sqrt(vi)`` at
    ``level`` (z from the standard normal, as metafor's forest plot) and the model weight
    in percent (empty for multilevel models, whose weights are not one per effect)."""
    z = critical_value(level)
    labels = eff["study"].astype(str)
    multilevel = spec["model"]["type"] == "multilevel"
    if multilevel:
        counts = eff.groupby("study", sort=False).cumcount() + 1
        labels = pd.Series([f"{s} / effect {c}" for s, c in zip(labels, counts)])
    sei = np.sqrt(eff["vi"].to_numpy(float))
    weight = fit.model_weights()
    return pd.DataFrame(
        {
            "label": labels.to_numpy(),
            "study": eff["study"].astype(str).to_numpy(),
            "yi": eff["yi"].to_numpy(float),
            "vi": eff["vi"].to_numpy(float),
            "ci_lb": eff["yi"].to_numpy(float) - z * sei,
            "ci_ub": eff["yi"].to_numpy(float) + z * sei,
            "weight": (np.full(len(eff), np.nan) if multilevel or weight is None else np.asarray(weight, float)),
            "crit": z,
            "level": float(level),
        }
    )


def bubble_tables(job: AnalysisJob) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For each numeric moderator: the meta-regression of the declared model on that
    moderator (the job's moderator fit, shared with the moderator table), as a line over
    ``BUBBLE_GRID`` points from the smallest to the largest value with its confidence band
    (the fit's ``predict``: ``pred -/+ crit se(pred)``, crit from the model's reference
    distribution), and the studies as points with their weights."""
    lines, points = [], []
    level = job.level
    for m in job.spec.get("moderators", []):
        mod = Moderator.from_spec(m)
        if mod.type != "numeric":
            continue
        try:
            sub, f = job.rows_with([mod.column]), job.model([mod.column])
        except (ModelError, InputError):
            continue  # the moderator table's notes say why it could not be estimated
        x = sub[mod.column].to_numpy(float)
        grid = np.linspace(x.min(), x.max(), BUBBLE_GRID)
        p = f.predict(newmods=grid.reshape(-1, 1))
        lines.append(
            pd.DataFrame(
                {
                    "moderator": mod.column,
                    "label": m.get("label", mod.column),
                    "x": grid,
                    "pred": p.pred,
                    "ci_lb": p.ci_lb,
                    "ci_ub": p.ci_ub,
                    "crit": f.crit,
                    "level": float(level),
                }
            )
        )
        w = f.model_weights()
        points.append(
            pd.DataFrame(
                {
                    "moderator": mod.column,
                    "study": sub["study"].astype(str),
                    "x": x,
                    "yi": sub["yi"].to_numpy(float),
                    "weight": np.ones_like(x) if w is None else np.asarray(w, float),
                }
            )
        )
    line_cols = ["moderator", "label", "x", "pred", "ci_lb", "ci_ub", "crit", "level"]
    point_cols = ["moderator", "study", "x", "yi", "weight"]
    return (
        pd.concat(lines, ignore_index=True) if lines else pd.DataFrame(columns=line_cols),
        pd.concat(points, ignore_index=True) if points else pd.DataFrame(columns=point_cols),
    )


def funnel_contours() -> pd.DataFrame:
    """Critical values of the contour-enhanced funnel plot (Peters et al., 2008): a study
    with |yi| / sei above ``z`` is significant at two-sided ``p``."""
    return pd.DataFrame([{"p": p, "label": lab, "z": critical_value(100 * (1 - p))} for p, lab in FUNNEL_CONTOURS])


def figure_tables(job: AnalysisJob) -> dict[str, pd.DataFrame]:
    """Every table the figures draw (catalogue group ``figures``: :func:`evsynth.catalog.figure_tables`)
    for one analysis job."""
    lines, points = bubble_tables(job)
    tables = {
        "scale": scale_table(job.spec),
        "figure_forest": forest_table(job.eff, job.spec, job.fit, job.level),
        "figure_bubble": lines,
        "figure_bubble_points": points,
        "figure_funnel": funnel_contours(),
    }
    if list(tables) != figure_table_names():
        raise RuntimeError(f"figure tables {list(tables)} differ from the catalogue's {figure_table_names()}")
    return tables
