"""The drawing layer: every statistical figure evsynth draws, from plain numbers and labels
onto a matplotlib Axes.

It owns *how* a forest (:func:`forest`, pages by :func:`paginate`), a funnel (:func:`funnel`,
with significance contours) and a bubble plot of a meta-regression (:func:`regplot`) look,
once; it computes no statistics.  Two callers: the plotting verbs of :mod:`evsynth.api.plots`
(which compute what to draw from a fit) and the report's figures in :mod:`evsynth.present`
(which read it from the result tables the fit stage writes).  Texts are arguments, so that
the report can draw them in Dutch; numbers can be written with a decimal comma.

Imports matplotlib, numpy and :mod:`evsynth.errors` only (``tests/test_layers.py``)."""

from __future__ import annotations

from evsynth.draw import style
from evsynth.draw.axes import decimal_axis, legend_outside, number, ratio_ticks, shorten, wrap
from evsynth.draw.forests import Row, forest, paginate, x_range
from evsynth.draw.funnels import Contour, funnel
from evsynth.draw.bubbles import bubble_sizes, mark_predictions, regplot

__all__ = [
    "style",
    "Row",
    "forest",
    "paginate",
    "x_range",
    "Contour",
    "funnel",
    "regplot",
    "mark_predictions",
    "bubble_sizes",
    "number",
    "decimal_axis",
    "ratio_ticks",
    "wrap",
    "shorten",
    "legend_outside",
]
