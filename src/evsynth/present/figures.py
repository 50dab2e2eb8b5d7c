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
from evsynth.present import i18n, plots
from evsynth.present.i18n import _, number
from evsynth.present.labels import moderator_labels
from evsynth.texts import column_label
from evsynth.present.style import save

__all__ = ["analysis_figures", "study_figures", "FOREST_ROWS"]

BACK_TRANSFORMS = {"exp": np.exp, "": None}


def _read(path: Path, **kwargs) -> pd.DataFrame:
    try:
        return read_output(path, **kwargs)  # values as before writing: '+Plus trial', not "'+Plus trial"
    except (pd.errors.EmptyDataError, FileNotFoundError):
        return pd.DataFrame()


def _flag(value) -> bool:
    return str(value).strip().lower() == "true"


FOREST_ROWS = 400  # default of limits.forest_rows: study rows a forest draws (10 pages of 40)

# written in English into figure_notes.csv; the report shows it in its language (a form of
# evsynth.present.generated.FRAGMENTS: {n} numbers, {r} the table's path)
FOREST_LIMIT_NOTE = (
    "Forest plot: {n1} rows exceed the limit of {n2} rows a forest draws, so it shows the pooled "
    "result only; every row's estimate and interval is in {r1}. Raise the limit with the config "
    "key limits.forest_rows to draw them ({n3} pages)."
)


def analysis_figures(
    spec: dict,
    res: Path,
    out_dir: Path,
    multiverse_dimensions=None,
    *,
    forest_rows: int = FOREST_ROWS,
    languages=("en",),
) -> None:
    """Forest (overall and per subgroup variable), funnel (univariate models), bubble
    plots (numeric moderators) and, given the multiverse's ``(name, choices)`` dimensions,
    the specification curve of one analysis, from its result folder ``res``.  A forest of more
    than ``forest_rows`` rows shows the pooled results only, with a note (``figure_notes.csv``).
    English figures are ``out_dir/<name>.png`` (and ``.svg``), another language's (Dutch texts,
    decimal comma) ``out_dir/<name>.<lang>.png``; ``figure_notes.csv`` is written in English
    (the report shows each note in its language, :func:`evsynth.present.generated.words`)."""
    res = Path(res)
    t = {
        "eff": read_output(res / "effects.csv", dtype={"study": str}),
        "het": _read(res / "heterogeneity.csv").iloc[0],
        "scale": _read(res / "scale.csv", keep_default_na=False).iloc[0],
        "forest": _read(res / "figure_forest.csv", dtype={"label": str, "study": str}),
        "sub": _read(res / "subgroups.csv"),
        "mods": _read(res / "moderators.csv"),
        "trimfill": _read(res / "diagnostics" / "trimfill_filled.csv"),
        "bubble": _read(res / "figure_bubble.csv"),
        "points": _read(res / "figure_bubble_points.csv"),
        "predictions": _read(res / "diagnostics" / "predictions.csv"),
    }
    if multiverse_dimensions and (res / "multiverse.csv").exists():
        t["multiverse"] = (_read(res / "multiverse.csv"), _read(res / "multiverse_summary.csv").iloc[0])
    with atomic_folder(Path(out_dir)) as out:
        for lang in ["en"] + [x for x in languages if x != "en"]:
            with i18n.language(lang):
                files = _draw_analysis(spec, t, _Names(out, lang), multiverse_dimensions, forest_rows, res)
            if files and lang == "en":
                write_csv(out / "figure_files.csv", pd.DataFrame(files, columns=["file", "column"]))


class _Names:
    """The file of a figure (a stem) in the folder ``out``, in language ``lang``."""

    def __init__(self, out: Path, lang: str):
        self.out, self.suffix = out, "" if lang == "en" else f".{lang}"

    def __truediv__(self, stem: str) -> Path:
        return self.out / f"{stem}{self.suffix}"


def _scale_parts(scale) -> tuple[str, str]:
    """(measure label, direction words) of scale.csv: its analysis_scale_label is 'label (words)'."""
    label, full = str(scale["measure_label"]), str(scale["analysis_scale_label"])
    return (label, full[len(label) + 2 : -1]) if full.startswith(label + " (") and full.endswith(")") else (full, "")


def _scale_label(scale) -> str:
    """The analysis scale as scale.csv names it ('label (positive = ...)'), in the current language."""
    if i18n.current() == "en":
        return str(scale["analysis_scale_label"])
    label, words = _scale_parts(scale)
    return f"{_(label)} ({_(words)})" if words else _(label)


def _axis_label(scale) -> str:
    """The x axis label of scale.csv, in the current language (its parts through the catalog)."""
    if i18n.current() == "en":
        return str(scale["axis_label"])
    label, words = _scale_parts(scale)
    if _flag(scale["log_axis"]) and " = " in words:
        name = str(scale["axis_label"]).split(" (log scale", 1)[0]
        return _("{} (log scale; above 1 = {}, below 1 = the opposite)").format(_(name), _(words.split(" = ", 1)[1]))
    return _scale_label(scale)


def _draw_analysis(spec, t, out: _Names, multiverse_dimensions, forest_rows: int, res: Path) -> list[dict]:
    """The figures of one analysis in the current language into ``out``; returns the files
    named from column names; writes ``figure_notes.csv`` (English) when a figure is not drawn
    in full."""
    eff, het, scale, forest = t["eff"], t["het"], t["scale"], t["forest"]
    back = BACK_TRANSFORMS[str(scale["back_transform"])]
    log_axis, ref = _flag(scale["log_axis"]), float(scale["reference_line"])
    xlabel, ylabel = _axis_label(scale), _scale_label(scale)
    level = float(forest["level"].iloc[0])
    title = _(spec["title"])
    cols = ["label", "yi", "vi", "ci_lb", "ci_ub", "weight"] + (["study"] if "study" in forest else [])
    studies = forest[cols]
    test = f", {het['test']}" if het["test"] != "z" else ""
    pooled = {
        "estimate": het["estimate"],
        "ci_lb": het["ci_lb"],
        "ci_ub": het["ci_ub"],
        "pi_lb": het.get("pi_lb"),
        "pi_ub": het.get("pi_ub"),
        "label": _("Pooled ({}; k = {})").format(f"{het['method']}{test}", int(het["k"])),
    }
    notes = []  # figures not drawn (in full), and why (figure_notes.csv, for the report)
    files = []  # file names made from column names (safe_file_name) and their column: figure_files.csv
    whole = len(studies) <= forest_rows
    if not whole:
        notes.append(
            {
                "figure": "forest",
                "drawn": "pooled result only",
                "reason": FOREST_LIMIT_NOTE.format(
                    n1=len(studies),
                    n2=forest_rows,
                    r1=f"{res.name}/figure_forest.csv",
                    n3=-(-len(studies) // plots.MAX_FOREST_ROWS),
                ),
            }
        )
    page_args = dict(xlabel=xlabel, level=level, back=back, log_axis=log_axis, ref=ref, with_studies=whole)
    # long forests are split over pages of at most plots.MAX_FOREST_ROWS rows: forest, forest_page2, ...
    for i, f in enumerate(plots.forest_pages(studies, pooled, title=title, **page_args), 1):
        save(f, out / ("forest" if i == 1 else f"forest_page{i}"))
    sub = t["sub"]
    names, level_words = moderator_labels(spec)  # what the reader sees: labels from config
    for var, g in sub.groupby("subgroup_variable", sort=False) if not sub.empty else []:
        vlab = names[var] if var in names else _(column_label(var))  # (moderator_labels translates)
        words = level_words.get(var, {})
        sgs = [
            {
                "group": r["group"],
                "label": f"{vlab}: {words[str(r['group'])] if str(r['group']) in words else _(str(r['group']))}",
                "estimate": r["estimate"],
                "ci_lb": r["ci_lb"],
                "ci_ub": r["ci_ub"],
            }
            for _i, r in g.iterrows()
        ]
        st = studies.assign(group=eff[var].astype(str).to_numpy())
        pages = plots.forest_pages(
            st,
            pooled,
            title=_("{}: by {}").format(title, vlab),
            subgroups=sgs,
            between=_between(g, t["mods"], var, vlab),
            **page_args,
        )
        stem = f"forest_by_{safe_file_name(var)}"
        files.append({"file": stem, "column": var})
        for n_, f in enumerate(pages, 1):
            save(f, out / (stem if n_ == 1 else f"{stem}_page{n_}"))
    if spec["model"]["type"] == "univariate" and len(eff) < plots.FUNNEL_MIN_K:
        notes.append({"figure": "funnel", "drawn": "no", "reason": plots.FUNNEL_TOO_FEW.format(k=len(eff))})
    elif spec["model"]["type"] == "univariate":
        tf = t["trimfill"]
        save(
            plots.funnel_plot(
                eff["yi"],
                eff["vi"],
                het["estimate"],
                _read(res / "figure_funnel.csv"),
                title=_("Funnel plot: {}").format(title),
                xlabel=xlabel,
                filled_yi=tf["yi"] if len(tf) else None,
                filled_vi=tf["vi"] if len(tf) else None,
                back=back,
                log_axis=log_axis,
            ),
            out / "funnel",
        )
    if "multiverse" in t:
        save(
            plots.specification_curve(
                t["multiverse"][0],
                multiverse_dimensions,
                t["multiverse"][1],
                title=_("Multiverse: {}").format(title),
                ylabel=ylabel,
                level=level,
            ),
            out / "specification_curve",
        )
    lines, points = t["bubble"], t["points"]
    for col, line in lines.groupby("moderator", sort=False) if not lines.empty else []:
        pts = points[points["moderator"] == col]
        label = _(str(line["label"].iloc[0]))
        fig = plots.bubble_plot(
            pts["x"],
            pts["yi"],
            pts["weight"],
            line["x"],
            line["pred"],
            line["ci_lb"],
            line["ci_ub"],
            title=f"{title}: {label}",
            xlabel=label,
            ylabel=ylabel,
            level=level,
        )
        files.append({"file": f"bubble_{safe_file_name(col)}", "column": col})
        save(_with_predictions(fig, t["predictions"], col, level), out / files[-1]["file"])
    if notes and i18n.current() == "en":  # (in English: the report words them in its language)
        pd.DataFrame(notes, columns=["figure", "drawn", "reason"]).to_csv(
            out.out / "figure_notes.csv", index=False, lineterminator="\n"
        )
    return files


def _between(g: pd.DataFrame, mods: pd.DataFrame, var: str, vlab: str) -> str:
    """The text under a subgroup forest: the test for subgroup differences (or, for multilevel
    subgroups, the moderator test of the column), in the current language."""
    if "Q_between" in g.columns:
        return _("Test for subgroup differences: Q = {}, df = {}, p = {}").format(
            number(g["Q_between"].iloc[0], 2), int(g["df_between"].iloc[0]), _p(g["p_between"].iloc[0])
        )
    mrow = mods[mods["model"] == var] if not mods.empty else mods
    if len(mrow):
        return _("Test of {} as moderator: QM = {}, p = {}; levels with fewer than 3 studies not pooled").format(
            vlab, number(mrow["QM"].iloc[0], 2), _p(mrow["QMp"].iloc[0])
        )
    return _("levels with fewer than 3 studies not pooled")


def _p(p: float) -> str:
    """A p value with three significant digits, in the current language's notation."""
    return f"{float(p):.3g}".replace(".", plots.decimal_mark())


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
    languages=("en",),
) -> None:
    """Risk-of-bias plots, quality histogram, PRISMA flow, evidence gap map and (when given)
    the effect direction plot of the coded effect statements; each again as ``<name>.<lang>``
    (its texts and numbers in that language) for every other language."""
    results = Path(results)
    summary = _read(results / "quality" / "item_summary.csv")
    gap = _read(results / "studies" / "evidence_gap.csv")
    draw = {
        "rob_traffic_light": lambda: plots.rob_traffic_light(assessments),
        "rob_summary": lambda: plots.rob_summary(summary),
        "quality_by_design": lambda: plots.quality_histogram(studies),
        "prisma_flow": lambda: plots.prisma_diagram(prisma),
        "evidence_gap_map": lambda: plots.evidence_gap_map(gap),
    }
    if effect_direction is not None:
        draw["effect_direction"] = lambda: plots.effect_direction_plot(effect_direction)
    with atomic_folder(Path(out)) as tmp:
        for name, figure in draw.items():
            save(figure(), tmp / name)
        for lang in [x for x in languages if x != "en"]:
            with i18n.language(lang):
                for name, figure in draw.items():
                    save(figure(), tmp / f"{name}.{lang}")
