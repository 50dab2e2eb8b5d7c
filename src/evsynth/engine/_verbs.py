"""Small shared helpers for the result classes of the breadth verbs (Mantel-Haenszel,
fit statistics, anova, predict, selection models, ...): a one-row-per-entry table and
metafor-style number formatting.  numpy only; pandas is imported inside ``to_frame``."""

from __future__ import annotations

import numpy as np

__all__: list[str] = []  # private helpers of the breadth verbs


def fmt(x, digits: int = 4) -> str:
    if x is None:
        return "NA"
    try:
        xf = float(x)
    except (TypeError, ValueError):
        return str(x)
    return "NA" if not np.isfinite(xf) else f"{xf:.{digits}f}"


def text_lines(*parts) -> str:
    """A summary's text from its lines: a part may be a string, a list of strings, or None
    for an optional line that is not printed (e.g. a test that was not computed)."""
    out = []
    for part in parts:
        if part is None:
            continue
        out.extend([part] if isinstance(part, str) else part)
    return "\n".join(out)


def stat_letter(df) -> str:
    """The reference distribution of a test as metafor names it: ``"t"`` when it has
    degrees of freedom, else ``"z"``."""
    return "z" if df is None else "t"


def records_frame(columns: dict):
    """A pandas DataFrame from equal-length columns (scalars are repeated)."""
    import pandas as pd

    n = max((np.size(v) for v in columns.values() if v is not None and not np.isscalar(v)), default=1)
    out = {}
    for key, val in columns.items():
        if val is None:
            out[key] = [None] * n
        elif np.isscalar(val) or np.ndim(val) == 0:
            out[key] = [val] * n
        else:
            out[key] = list(np.asarray(val).ravel()) if np.ndim(val) == 1 else list(val)
    return pd.DataFrame(out)
