"""The report's figures: the look (:mod:`evsynth.draw.style`, re-exported here) and
:func:`save`, which writes a figure as PNG and SVG deterministically and atomically."""

from __future__ import annotations

import matplotlib.pyplot as plt

from evsynth.draw.style import (  # noqa: F401  (re-exported: the report's modules read the look here)
    DPI,
    FIG_WIDTH,
    FILLED,
    FONT_SIZE,
    JUDGEMENT_COLOURS,
    PALETTE,
    POOLED,
    PREDICTION,
    ROW_HEIGHT,
    SEQUENTIAL,
    STUDY,
    TITLE_SIZE,
    apply,
)


def save(fig, path_stem) -> list:
    """Write ``path_stem``.png and .svg deterministically (no dates, fixed ids); ``path_stem``
    is a path without the extension."""
    from pathlib import Path

    from evsynth.outputs import atomic_path

    stem = Path(path_stem)
    out = []
    for ext, meta in ((".png", {"Software": None}), (".svg", {"Date": None, "Creator": None})):
        target = stem.with_name(stem.name + ext)  # (a stem may hold a dot: forest.nl)
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=ext[1:], metadata=meta, bbox_inches="tight")
        out.append(target)
    plt.close(fig)
    return out
