"""The look of every figure: a colour-blind-safe palette (Okabe & Ito), fonts, sizes and the
matplotlib settings that make output deterministic.  Used by the drawing functions of
:mod:`evsynth.draw`, by the report's figures and by the plotting verbs."""

from __future__ import annotations

import matplotlib

if "inline" not in matplotlib.get_backend():  # keep a notebook's inline backend: its figures show
    matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

__all__ = [
    "PALETTE",
    "STUDY",
    "POOLED",
    "PREDICTION",
    "FILLED",
    "JUDGEMENT_COLOURS",
    "SEQUENTIAL",
    "FONT_SIZE",
    "TITLE_SIZE",
    "ROW_HEIGHT",
    "FIG_WIDTH",
    "DPI",
    "apply",
]

# Okabe & Ito (2008) palette, safe for the common colour-vision deficiencies
PALETTE = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
}
STUDY = PALETTE["blue"]
POOLED = PALETTE["black"]
PREDICTION = PALETTE["vermillion"]
FILLED = PALETTE["grey"]
JUDGEMENT_COLOURS = {"yes": PALETTE["green"], "no": PALETTE["vermillion"], "unclear": PALETTE["yellow"]}
SEQUENTIAL = "cividis"  # perceptually uniform and colour-blind safe

FONT_SIZE = 9
TITLE_SIZE = 11
ROW_HEIGHT = 0.24  # inches per row of a forest plot
FIG_WIDTH = 10.0
DPI = 150


def apply() -> None:
    """The report's rcParams (fonts, sizes, no mathtext in labels, deterministic SVG)."""
    plt.rcParams.update(
        {
            "font.family": "DejaVu Sans",
            "font.size": FONT_SIZE,
            "axes.titlesize": TITLE_SIZE,
            "axes.labelsize": FONT_SIZE,
            "xtick.labelsize": FONT_SIZE - 1,
            "ytick.labelsize": FONT_SIZE - 1,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "evsynth",
            "svg.fonttype": "none",
            "figure.dpi": DPI,
            "savefig.dpi": DPI,
            # labels come from data: render them as plain text ('$x$' is not mathtext; a study label with
            # unbalanced '$' must not stop the figure)
            "text.parse_math": False,
            "text.usetex": False,
        }
    )
