"""metafor's printouts: its number formatting (p-values, significance stars, the coefficient
indices of a test) and text tables, and the printout of a fitted model that ``rma`` and
``rma_mv`` share (heterogeneity, test of moderators, model results, prediction interval).

Every ``summary()`` of the engine prints through these, so that a printout reads as metafor's
``print`` does, column by column (``tests/test_results.py`` and ``tests/test_engine_api.py``
compare them with metafor's output).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "fmt_p",
    "p_text",
    "signif_stars",
    "text_table",
    "SIGNIF_LEGEND",
    "FOOTSYM",
    "fmt_btt",
    "frame_summary",
    "fit_printout",
]


def fmt_p(p, *, showeq: bool = False, sep: str = "", add0: bool = False) -> str:
    """A p-value as metafor prints it (its ``.pval``).

    Parameters
    ----------
    p : float or None
        The p-value; None when there is none.
    showeq : bool
        Prefix ``"="`` to a number (a test line: ``p-val = 0.0012``).
    sep : str
        Between the sign and the number: ``""`` in tables (``<.0001``), ``" "`` in test
        lines (``p-val < .0001``).
    add0 : bool
        A leading zero in the cut-off (``< 0.0001``).

    Returns
    -------
    str
        ``"<.0001"`` (``"< .0001"`` with ``sep=" "``) below 1e-4, else four decimals
        (``"= 0.0012"`` with ``showeq``; ``"< 0.0001"`` with ``add0``, as metafor's
        Mantel-Haenszel tests); ``"NA"`` when missing or not finite.
    """
    if p is None or not np.isfinite(p):
        return ("=" + sep if showeq else "") + "NA"
    if p >= 1e-4:
        return ("=" + sep if showeq else "") + f"{p:.4f}"
    return "<" + sep + ("0" if add0 else "") + ".0001"


def p_text(p) -> str:
    """A p-value in a test line as metafor prints it.

    Parameters
    ----------
    p : float or None

    Returns
    -------
    str
        ``"= 0.0012"`` or ``"< .0001"`` (``fmt_p(p, showeq=True, sep=" ")``).
    """
    return fmt_p(p, showeq=True, sep=" ")


def signif_stars(p) -> str:
    """metafor's significance symbol of a p-value.

    Parameters
    ----------
    p : float or None

    Returns
    -------
    str
        ``***`` below .001, ``**`` below .01, ``*`` below .05, ``.`` below .1, else a blank
        (empty when p is missing).
    """
    if p is None or not np.isfinite(p):
        return ""
    for cut, sym in ((0.001, "***"), (0.01, "**"), (0.05, "*"), (0.1, ".")):
        if p < cut:
            return sym
    return " "


FOOTSYM = "\u00b9"  # metafor's footnote symbol (superscript one)
SIGNIF_LEGEND = ["---", "Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1"]


def text_table(columns, rownames=None, gap: int = 2) -> list[str]:
    """Columns of strings printed as R prints a character matrix (``right=TRUE``,
    ``print.gap=2``): every column as wide as its widest entry, right-aligned; the row
    names left-aligned (none: no row-name column, as metafor's intercept-only table).

    Parameters
    ----------
    columns : list of (str, list of str)
        Header and cells of each column.
    rownames : list of str, optional
        Row names.
    gap : int
        Spaces between columns.

    Returns
    -------
    list of str
        The header line and one line per row (trailing blanks removed).
    """
    n = len(columns[0][1]) if columns else 0
    widths = [max([len(h)] + [len(c) for c in cells]) for h, cells in columns]
    sp = " " * gap
    if rownames is not None:
        rw = max([0] + [len(r) for r in rownames])
        lines = [" " * rw + sp + sp.join(f"{h:>{w}s}" for (h, _), w in zip(columns, widths))]
        for i in range(n):
            lines.append(f"{rownames[i]:<{rw}s}" + sp + sp.join(f"{c[i]:>{w}s}" for (_, c), w in zip(columns, widths)))
    else:
        lines = [sp.join(f"{h:>{w}s}" for (h, _), w in zip(columns, widths))]
        for i in range(n):
            lines.append(sp.join(f"{c[i]:>{w}s}" for (_, c), w in zip(columns, widths)))
    return [ln.rstrip() for ln in lines]


def fmt_btt(btt) -> str:
    """0-based coefficient indices as metafor labels them.

    Parameters
    ----------
    btt : list of int

    Returns
    -------
    str
        1-based, ``"2:4"`` for several (first:last).
    """
    b = [i + 1 for i in btt]
    return f"{b[0]}:{b[-1]}" if len(b) > 1 else str(b[0])


def frame_summary(title: str, result) -> str:
    """The summary of a result that is a table (one row per study): a title line and the
    result's ``to_frame()`` as text with four decimals.

    Parameters
    ----------
    title : str
        First line.
    result : Result
        Anything with ``to_frame()``.

    Returns
    -------
    str
    """
    t = result.to_frame()
    pcols = {c: (lambda x: fmt_p(x)) for c in t.columns if _is_p_column(str(c))}
    return title + "\n" + t.to_string(index=False, float_format="%.4f", formatters=pcols)


def _is_p_column(name: str) -> bool:
    """A column of p-values (printed as metafor prints them: ``<.0001``, never 0.0000)."""
    return name in ("pval", "QEp", "QMp", "Qp") or name.startswith("pval_")


def fit_printout(fit, head: list[str]) -> str:
    """The printout of a fitted model as metafor's ``print.rma.uni`` / ``print.rma.mv``.

    Parameters
    ----------
    fit : FitResult
        The fit: its ``het`` block, ``wald`` test, ``coefs`` and prediction interval.
    head : list of str
        The first lines: the title line, and for ``rma_mv`` its variance components.

    Returns
    -------
    str
        ``head``, the heterogeneity block, the test of moderators (only for a model with
        moderators, as metafor), the model results with the significance legend, and the
        prediction interval of an intercept-only model (when the fit has one).
    """
    lines = [*head, ""] + fit.het.format_lines() + [""]
    if fit.p > 1 and fit.wald is not None:
        lines += [fit.wald.summary(), ""]
    lines += ["Model Results:", ""] + fit.coefs.format_rows() + [""] + SIGNIF_LEGEND
    if fit.pi_lb is not None:
        lines += ["", f"Prediction interval: [{fit.pi_lb:.4f}, {fit.pi_ub:.4f}]"]
    return "\n".join(lines)
