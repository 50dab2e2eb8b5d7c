"""An analysis dataset read into effect sizes: the study label, yi, vi and every column the
later stages use (moderators, grouping, clustering, the counts of count measures), with every
problem of the dataset reported at once.  The ``effects`` stage writes the result as
``<analysis>/effects.csv``; ``check-inputs`` runs it on every declared dataset."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from evsynth.engine import escalc
from evsynth.engine.effects import check_statistics, partial_r_from_t
from evsynth.errors import InputError, TableProblems, quote
from evsynth.pipeline.checks import load_table
from evsynth.pipeline.reading import NA_MARKERS, parse_numbers, read_table

__all__ = ["compute_effects", "dataset_effects", "COUNT_MEASURES", "MIN_VARIANCE"]


# measures computed from counts: their counts stay in the effects table (Mantel-Haenszel / Peto pooling)
COUNT_MEASURES = ("OR", "RR", "RD", "PETO", "IRR", "IRD")
MIN_VARIANCE = 1e-10  # smaller sampling variances are refused (weights would overflow)


class _Problems:
    """Every problem of one dataset, in spreadsheet order; raised together."""

    def __init__(self, where: str, rows: np.ndarray):
        self.where, self.rows, self.items = where, rows, []

    def cell(self, mask, col: str, text):
        for i in np.flatnonzero(mask):
            self.items.append(
                (int(self.rows[i]), col, f"{self.where}: row {int(self.rows[i])}, column {quote(col)}: {text(int(i))}")
            )

    def add(self, text: str):
        self.items.append((0, "", f"{self.where}: {text}"))

    def raise_if_any(self):
        if self.items:
            self.items.sort(key=lambda t: (t[0], t[1]))
            raise TableProblems(self.where, [m for _, _, m in self.items])


def _numeric(
    df: pd.DataFrame, col: str, where: str, decimal: str = ".", rows=None, problems: _Problems | None = None
) -> np.ndarray:
    """The column as numbers; every cell that is not empty and not a finite number is a
    problem (all of them, not only the first)."""
    own = problems is None
    if own:
        problems = _Problems(where, rows if rows is not None else np.arange(len(df)) + 2)
    if col not in df.columns:
        problems.add(f"column {quote(col)} does not exist; columns are: {', '.join(map(str, df.columns))}")
        vals = np.full(len(df), np.nan)
    else:
        raw = df[col].astype(object).where(df[col].notna(), "").astype(str).to_numpy(dtype=object)
        vals, bad = parse_numbers(raw, decimal)
        problems.cell(bad, col, lambda i: f"found {quote(raw[i])}; expected a finite number")
    if own:
        problems.raise_if_any()
    return vals


def _text_col(data: pd.DataFrame, c: str) -> np.ndarray:
    return data[c].astype(object).where(data[c].notna(), "").astype(str).to_numpy(dtype=object)


def compute_effects(data: pd.DataFrame, spec: dict, where: str, *, decimal: str = ".", rows=None) -> pd.DataFrame:
    """Effect sizes for one declared analysis: the study label, yi, vi and every column
    the later stages use (moderators, grouping, clustering).  Every problem of the dataset
    is reported at once (missing columns, cells that are not finite numbers, moderator
    levels the config does not declare, effect sizes that cannot be computed, variances
    that are not positive).  Rows whose statistics are all empty are an error, or, with
    ``drop_incomplete: true`` in the analysis, excluded and listed in the ``dropped``
    attribute (row, study, reason) that the report's exclusions table shows."""
    eff = spec["effect"]
    n = len(data)
    rows = np.asarray(rows if rows is not None and len(rows) == n else np.arange(n) + 2)
    P = _Problems(where, rows)
    label_col = spec.get("study_label")
    if label_col and label_col not in data.columns:
        P.add(
            f"column {quote(label_col)} (study_label in the config) does not exist; columns are: "
            f"{', '.join(map(str, data.columns))}"
        )
        label_col = None
    labels = _text_col(data, label_col) if label_col else np.array([f"Study {i + 1}" for i in range(n)], dtype=object)
    if "measure" in eff:
        measure = eff["measure"]
        cols = eff["columns"]
        used = list(cols.values())
    else:
        measure = None
        cols = {"yi": eff["yi"], "vi": eff["vi"]}
        used = [eff["yi"], eff["vi"]]
    args = {a: _numeric(data, c, where, decimal, rows, P) for a, c in cols.items()}
    extra = []
    for m in spec.get("moderators", []):
        extra.append(m["column"])
    extra += spec.get("subgroups", [])
    extra += [s["column"] for s in (spec.get("multiverse") or {}).get("subsets", [])]
    extra += spec["model"].get("random", [])
    if spec["model"].get("cluster"):
        extra.append(spec["model"]["cluster"])
    if spec.get("year_column"):
        extra.append(spec["year_column"])
    # columns the certainty rating reads (design, risk of bias, sample size)
    for c in (
        (spec.get("design") or {}).get("column"),
        (spec.get("risk_of_bias") or {}).get("column"),
        spec.get("sample_size"),
    ):
        if c:
            extra.append(c)
    excl_cols = list(((spec.get("sensitivity") or {}).get("exclude_if") or {}).keys())
    for c in dict.fromkeys(extra + excl_cols):
        if c not in data.columns:
            key = "sensitivity.exclude_if" if c in excl_cols and c not in extra else "the config"
            P.add(f"column {quote(c)} named in {key} does not exist; columns are: {', '.join(map(str, data.columns))}")
    numeric_mods = {}
    for m in spec.get("moderators", []):
        c = m["column"]
        if c not in data.columns:
            continue
        if m["type"] == "numeric":
            # a missing-value marker (empty, "NA", "N/A": io.NA_MARKERS, as the table reader reads them) is missing;
            # the moderator models leave such rows out (R exports write "NA")
            col_na = data[c].astype(object).where(~data[c].astype(str).str.strip().isin(NA_MARKERS), "")
            numeric_mods[c] = _numeric(data.assign(**{c: col_na}), c, where, decimal, rows, P)
        elif m.get("levels"):
            vals = _text_col(data, c)
            allowed = [str(x) for x in m["levels"]]
            sv = pd.Series(vals, dtype=object)
            bad = ~sv.isin(allowed + ["", "NA", "N/A", "na", "n/a"]).to_numpy()
            P.cell(
                bad,
                c,
                lambda i, a=allowed, v=vals: (
                    f"found {quote(v[i])}; allowed (moderator levels in the config): {', '.join(a)}"
                ),
            )
    # rows without statistics: excluded only where the config allows it
    present = {c: (_text_col(data, c) != "") if c in data.columns else np.zeros(n, bool) for c in used}
    all_empty = ~np.logical_or.reduce([present[c] for c in used]) if used else np.zeros(n, bool)
    some_empty = ~np.logical_and.reduce([present[c] for c in used]) if used else np.zeros(n, bool)
    drop_ok = bool(spec.get("drop_incomplete", False))
    dropped: list[dict] = []
    for i in np.flatnonzero(some_empty):
        missing_cols = [c for c in used if not present[c][i]]
        if drop_ok and all_empty[i]:
            dropped.append(
                {
                    "row": int(rows[i]),
                    "study": str(labels[i]),
                    "reason": f"no statistics (empty: {', '.join(missing_cols)})",
                }
            )
        else:
            hint = "" if drop_ok else "; fill it in, delete the row, or set drop_incomplete: true in the analysis"
            if all(c in data.columns for c in missing_cols):
                P.items.append(
                    (
                        int(rows[i]),
                        missing_cols[0],
                        f"{where}: row {int(rows[i])}, column {quote(missing_cols[0])}: empty; a value is "
                        f"required (empty: {', '.join(missing_cols)}){hint}",
                    )
                )
    if measure in COUNT_MEASURES:
        for a in cols:
            if a in extra or a in ("study", "yi", "vi", "sei"):
                P.add(
                    f"column {quote(a)} of the effects table holds the count {a} (effect.columns); rename the "
                    f"dataset column {quote(a)} named elsewhere in the config"
                )
    P.raise_if_any()
    if measure is not None and measure != "PCOR":
        try:
            check_statistics(measure, args, columns=cols, first_row=2)
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
    with np.errstate(all="ignore"):
        if measure == "PCOR":
            yi, vi = partial_r_from_t(args["ti"], args["ni"], args["mi"])
        elif measure is not None:
            r = escalc(measure, **args)
            yi, vi = r.yi, r.vi
        else:
            yi, vi = args["yi"], args["vi"]
    yi, vi = np.asarray(yi, float), np.asarray(vi, float)
    keep = ~some_empty
    uncomputable = keep & ~(np.isfinite(yi) & np.isfinite(vi))
    P.cell(
        uncomputable,
        used[0],
        lambda i: (
            f"no finite effect size can be computed from "
            f"{', '.join(f'{c}={quote(_text_col(data, c)[i])}' for c in used)}"
        ),
    )
    okv = keep & ~uncomputable
    P.cell(
        okv & (vi <= 0), used[-1], lambda i: f"study {quote(labels[i])}: sampling variance {vi[i]:g} is not positive"
    )
    P.cell(
        okv & (vi > 0) & (vi < MIN_VARIANCE),
        used[-1],
        lambda i: (
            f"study {quote(labels[i])}: sampling variance {vi[i]:g} is below {MIN_VARIANCE:g}; "
            "check the column (a variance, not a standard error?)"
        ),
    )
    P.raise_if_any()
    flip = bool(spec["direction"]["flip"])
    if flip:
        yi = -yi
    out = pd.DataFrame({"study": labels, "yi": yi, "vi": vi})
    if measure in COUNT_MEASURES:  # the counts themselves, for Mantel-Haenszel / Peto pooling (diagnostics mh, peto)
        for a in cols:
            out[a] = args[a]
    for c in dict.fromkeys(extra + excl_cols):  # sensitivity columns too: the fit stage filters on them
        out[c] = numeric_mods[c] if c in numeric_mods else data[c].to_numpy()
    out = out.loc[keep].reset_index(drop=True)
    out["sei"] = np.sqrt(out["vi"])
    out.attrs["dropped"] = dropped
    out.attrs["measure"] = measure
    return out


def dataset_effects(spec: dict, extracted: dict | None = None) -> pd.DataFrame:
    """Read an analysis dataset (CSV in any promised form, or an .xlsx sheet) and compute
    its effect sizes; every problem of the file is reported at once.  ``extracted`` maps
    (extraction table, study table) paths to the extraction already converted
    (``compute_extracted``), so that a check of several analyses of one table converts it once."""
    if "extracted" in spec["effect"]:
        return _extracted_effects(spec, extracted)
    t = read_table(spec["dataset"], sheet=spec.get("sheet"))
    return compute_effects(t.data.replace("", pd.NA), spec, where=spec["dataset"], decimal=t.decimal, rows=t.rows)


def _extracted_effects(spec: dict, extracted: dict | None = None) -> pd.DataFrame:
    """An analysis of the review's own studies: the extraction table (``dataset``) converted row
    by row (every contradiction reported with file, row and column), one outcome domain, joined
    with the study table and the extraction's intensity/caseload table; then the usual checks."""
    from evsynth.review import extraction as rx

    x = spec["effect"]["extracted"]
    studies = load_table(x["studies"], "primary_studies")
    key = (os.path.normpath(str(spec["dataset"])), os.path.normpath(str(x["studies"])))
    computed = (extracted or {}).get(key)
    if computed is None:
        computed = rx.compute_extracted(load_table(spec["dataset"], "effects"), studies, spec["dataset"])
    mods = load_table(x["moderators"], "extraction_moderators") if x.get("moderators") else None
    if mods is not None:
        known = set(studies["study_id"])
        seen = set()
        for i, (sid, name) in enumerate(zip(mods["study_id"], mods["moderator"]), start=2):
            if sid not in known:
                raise InputError(
                    f"{x['moderators']}: row {i}, column 'study_id': unknown study {sid!r} "
                    "(not in the coded study table)"
                )
            if (sid, name) in seen:
                raise InputError(
                    f"{x['moderators']}: row {i}, column 'moderator': a second value of {name!r} "
                    f"for study {sid!r}; keep one (the reconciled value)"
                )
            seen.add((sid, name))
    data = rx.analysis_dataset(computed, studies, x["domain"], mods, int(x.get("quality_min_score", 4)))
    as_given = {**spec, "effect": {"yi": "yi", "vi": "vi"}, "study_label": "study"}
    return compute_effects(data, as_given, where=f"{spec['dataset']} (domain {x['domain']})")
