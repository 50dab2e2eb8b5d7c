"""Helpers every drawing function shares: numbers in a language's notation (the decimal
mark), ticks at round ratios on a log axis, wrapped titles, a legend outside the data."""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.ticker import FuncFormatter, ScalarFormatter

__all__ = ["number", "decimal_axis", "ratio_ticks", "wrap", "shorten", "legend_outside"]

RATIOS = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 4, 5, 10, 20, 50, 100])
RATIOS_FEW = [0.01, 0.1, 0.25, 0.5, 1, 2, 4, 10, 100]


def number(x: float, digits: int = 2, decimal: str = ".") -> str:
    """``x`` with ``digits`` decimals, the decimal mark ``decimal`` (``","`` in Dutch)."""
    text = f"{float(x):.{digits}f}"
    return text.replace(".", decimal) if decimal != "." else text


class _DecimalFormatter(ScalarFormatter):
    """matplotlib's default tick labels with another decimal mark."""

    def __init__(self, decimal: str):
        super().__init__()
        self._decimal = decimal

    def __call__(self, x, pos=None):
        return super().__call__(x, pos).replace(".", self._decimal)


def decimal_axis(axis, decimal: str = ".") -> None:
    """Tick labels of ``axis`` (``ax.xaxis`` or ``ax.yaxis``) with the decimal mark ``decimal``
    (nothing changes for ``"."``)."""
    if decimal != ".":
        fmt = axis.get_major_formatter()
        if isinstance(fmt, ScalarFormatter):
            axis.set_major_formatter(_DecimalFormatter(decimal))
        elif isinstance(fmt, FuncFormatter):
            inner = fmt.func
            axis.set_major_formatter(FuncFormatter(lambda v, p: str(inner(v, p)).replace(".", decimal)))


def ratio_ticks(ax, lo: float, hi: float, decimal: str = ".") -> None:
    """Ticks at round ratios (..., 0.25, 0.5, 1, 2, 4, ...) on an x axis of log ratios from
    ``lo`` to ``hi``, labelled as ratios."""
    logs = np.log(RATIOS)
    keep = (logs >= lo) & (logs <= hi)
    if keep.sum() > 7:
        keep &= np.isin(RATIOS, RATIOS_FEW)
    ax.set_xticks(logs[keep])
    ax.set_xticklabels([f"{c:g}".replace(".", decimal) for c in RATIOS[keep]])
    ax.set_xlim(lo, hi)


def wrap(text: str, width: int) -> str:
    """``text`` wrapped into lines of at most ``width`` characters."""
    return "\n".join(textwrap.wrap(text, width))


def shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters at a word boundary, the cut marked with an ellipsis."""
    if len(text) <= width:
        return text
    cut = text[: width - 1].rsplit(" ", 1)[0]
    return (cut if len(cut) > width // 2 else text[: width - 1]) + "…"


def legend_outside(ax, **kw):
    """A legend to the right of the axes, outside the data area."""
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, frameon=False, **kw)
