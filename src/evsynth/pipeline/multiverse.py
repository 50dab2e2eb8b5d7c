"""The multiverse of one declared analysis: every combination of the analytic choices its
``multiverse:`` config entry lists, fitted with the batched engine.

Dimensions, in this order (each optional; a dimension not declared has one choice):
``subsets`` (named row filters on dataset columns: design inclusion, outcome subset,
quality threshold ...), ``rho`` (assumed correlation of effects within a cluster: effects are
aggregated per cluster as metafor's ``aggregate(..., struct = "CS", rho)``), ``influential``
(keep, or exclude the effects that :func:`evsynth.influence` flags in the REML fit of the
same data), ``method`` (tau^2 estimator) and ``test`` (z or Knapp-Hartung).  The
specifications are numbered in that product order (``spec_id``, from 1).

Scale-out: the specifications are cut into ``chunks`` contiguous blocks; each block is fitted
on its own (``evsynth multiverse ID --chunk i --chunks n``, a separate Snakemake job) and
the blocks are gathered into one table (``evsynth multiverse-gather``); the two stage
functions are ``run_multiverse`` and ``run_multiverse_gather`` in :mod:`evsynth.pipeline.stages`.  A specification's
numbers do not depend on the block it is fitted in, so the gathered table is the same for
any number of chunks and any executor."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from evsynth.errors import InputError, ModelError

__all__ = [
    "dimensions",
    "specifications",
    "chunk_bounds",
    "fit_specifications",
    "aggregate_cs",
    "gather",
    "summary_tables",
    "n_chunks",
]

RESULT_COLUMNS = [
    "k",
    "n_excluded",
    "estimate",
    "se",
    "ci_lb",
    "ci_ub",
    "pval",
    "tau2",
    "I2",
    "pi_lb",
    "pi_ub",
    "status",
]


def dimensions(spec: dict) -> list[tuple[str, list]]:
    """(name, choices) of every dimension, in product order."""
    mv = spec.get("multiverse") or {}
    model = spec["model"]
    dims: list[tuple[str, list]] = []
    for s in mv.get("subsets", []):
        dims.append((s["name"], [o["label"] for o in s["options"]]))
    if "rho" in mv:
        dims.append(("rho", [float(r) for r in mv["rho"]]))
    dims.append(("influential", list(mv.get("influential", ["keep"]))))
    default_method = (
        model["method"] if model["method"] in ("EE", "FE", "DL", "HE", "PM", "ML", "REML", "EB") else "REML"
    )
    default_test = model["test"] if model["test"] in ("z", "knha") else "z"
    dims.append(("method", list(mv.get("method", [default_method]))))
    dims.append(("test", list(mv.get("test", [default_test]))))
    return dims


def specifications(spec: dict) -> pd.DataFrame:
    """One row per specification: ``spec_id`` and the choice in every dimension."""
    dims = dimensions(spec)
    rows = [dict(zip([d[0] for d in dims], combo)) for combo in itertools.product(*[d[1] for d in dims])]
    out = pd.DataFrame(rows, columns=[d[0] for d in dims])
    out.insert(0, "spec_id", np.arange(1, len(out) + 1))
    return out


def chunk_bounds(n_specs: int, chunk: int, chunks: int) -> tuple[int, int]:
    """[start, stop) of block ``chunk`` (0-based) of ``chunks`` contiguous blocks."""
    if not (0 <= chunk < chunks):
        raise InputError(f"chunk {chunk} is out of range: there are {chunks} chunks (0 to {chunks - 1})")
    return chunk * n_specs // chunks, (chunk + 1) * n_specs // chunks


def aggregate_cs(yi, vi, cluster, rho: float):
    """Aggregate the effects of each cluster into one, assuming sampling errors correlated
    ``rho`` within a cluster (compound symmetry): the GLS mean ``(1'V^-1 y) / (1'V^-1 1)``
    with variance ``1 / (1'V^-1 1)``, where ``V[i,j] = rho sqrt(v_i v_j)`` (metafor's
    ``aggregate.escalc`` with ``struct = "CS"``).  Clusters in order of first appearance."""
    yi, vi = np.asarray(yi, float), np.asarray(vi, float)
    codes, first = pd.factorize(pd.Series(cluster).astype(str))
    ya = np.empty(len(first))
    va = np.empty(len(first))
    # the rows of each cluster, in data order, from one stable sort (not a scan of all rows per
    # cluster, which made k rows in k clusters quadratic: issue 22 item 6)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(first) + 1))
    for c in range(len(first)):
        idx = order[bounds[c] : bounds[c + 1]]
        s = np.sqrt(vi[idx])
        V = rho * np.outer(s, s)
        np.fill_diagonal(V, vi[idx])
        w = np.linalg.solve(V, np.ones(idx.size))
        sw = w.sum()
        ya[c] = (w @ yi[idx]) / sw
        va[c] = 1.0 / sw
    return ya, va, list(first)


def _subset_mask(eff: pd.DataFrame, sub: dict, option: dict, where: str) -> np.ndarray:
    col = sub["column"]
    if col not in eff.columns:
        raise InputError(f"{where}: multiverse subset '{sub['name']}': column '{col}' is not in the effect-size table")
    keep = np.ones(len(eff), dtype=bool)
    if "in" in option:
        allowed = {str(x) for x in option["in"]}
        keep &= eff[col].astype(str).isin(allowed).to_numpy()
    if "min" in option or "max" in option:
        vals = pd.to_numeric(eff[col], errors="coerce").to_numpy(float)
        if "min" in option:
            keep &= vals >= option["min"]
        if "max" in option:
            keep &= vals <= option["max"]
    return keep


def _variant(eff: pd.DataFrame, spec: dict, choice: dict, level: float):
    """yi, vi of the data a specification pools (before the estimator) and how many
    effects the influence rule excluded."""
    mv = spec.get("multiverse") or {}
    where = spec["id"]
    keep = np.ones(len(eff), dtype=bool)
    for sub in mv.get("subsets", []):
        option = next(o for o in sub["options"] if o["label"] == choice[sub["name"]])
        keep &= _subset_mask(eff, sub, option, where)
    d = eff.loc[keep]
    yi, vi = d["yi"].to_numpy(float), d["vi"].to_numpy(float)
    if "rho" in choice:
        cl = spec["model"].get("cluster")
        if not cl:
            raise InputError(f"{where}: multiverse.rho needs model.cluster (the column grouping dependent effects)")
        if len(d):
            yi, vi, _ = aggregate_cs(yi, vi, d[cl].to_numpy(), choice["rho"])
    n_excl = 0
    if choice["influential"] == "exclude" and yi.size >= 3:
        from evsynth.engine import influence, rma

        try:
            infl = np.asarray(influence(rma(yi, vi, method="REML", level=level)).influential, dtype=bool)
        except ModelError:
            infl = np.zeros(yi.size, dtype=bool)
        n_excl = int(infl.sum())
        yi, vi = yi[~infl], vi[~infl]
    return yi, vi, n_excl


def fit_specifications(eff: pd.DataFrame, spec: dict, specs: pd.DataFrame, level: float) -> pd.DataFrame:
    """Fit the given specifications: one batched fit per (method, test) over all data
    variants they need."""
    from evsynth.engine import rma_batch

    dim_names = [d[0] for d in dimensions(spec)]
    data_dims = [d for d in dim_names if d not in ("method", "test")]
    variants: dict = {}
    keys = []
    for _, row in specs.iterrows():
        key = tuple(row[d] for d in data_dims)
        if key not in variants:
            variants[key] = _variant(eff, spec, dict(zip(data_dims, key)), level)
        keys.append(key)
    out = specs.copy().reset_index(drop=True)
    for c in RESULT_COLUMNS:
        out[c] = np.nan if c != "status" else ""
    out["k"] = [variants[k][0].size for k in keys]
    out["n_excluded"] = [variants[k][2] for k in keys]
    for (method, test), idx in out.groupby(["method", "test"], sort=False).groups.items():
        idx = np.asarray(idx)
        need = 1 if method in ("EE", "FE") else 2
        ok = [i for i in idx if out.at[i, "k"] >= need]
        for i in idx:
            if out.at[i, "k"] < need:
                out.at[i, "status"] = f"too few effect sizes (k = {out.at[i, 'k']})"
        # one batch per k: no padding, so that a specification's numbers are the same to the
        # last bit whichever other specifications share its block (chunks, executors)
        by_k: dict = {}
        for i in ok:
            by_k.setdefault(int(out.at[i, "k"]), []).append(i)
        for kk, rows_k in sorted(by_k.items()):
            Y = np.array([variants[keys[i]][0] for i in rows_k]).reshape(len(rows_k), kk)
            V = np.array([variants[keys[i]][1] for i in rows_k]).reshape(len(rows_k), kk)
            b = rma_batch(Y, V, method=method, test=test, level=level)
            _store(out, rows_k, b)
    out["k"] = out["k"].astype(int)
    out["n_excluded"] = out["n_excluded"].astype(int)
    return out


def _store(out: pd.DataFrame, rows, b) -> None:
    for r, i in enumerate(rows):
        out.at[i, "estimate"], out.at[i, "se"] = b.beta[r], b.se[r]
        out.at[i, "ci_lb"], out.at[i, "ci_ub"], out.at[i, "pval"] = b.ci_lb[r], b.ci_ub[r], b.pval[r]
        out.at[i, "tau2"], out.at[i, "I2"] = b.tau2[r], b.I2[r]
        out.at[i, "pi_lb"], out.at[i, "pi_ub"] = b.pi_lb[r], b.pi_ub[r]
        out.at[i, "status"] = b.status[r]


def gather(parts: list[pd.DataFrame], n_specs: int | None = None) -> pd.DataFrame:
    """The blocks in spec_id order, with ``rank``: the position of each fitted specification
    in the specification curve (sorted by estimate, ties by spec_id; empty when not fitted),
    and ``ci_excludes_zero`` (1 when the CI lies wholly above or below 0)."""
    t = pd.concat(parts, ignore_index=True).sort_values("spec_id", kind="mergesort").reset_index(drop=True)
    n = len(t) if n_specs is None else int(n_specs)
    if len(t) != n or (t["spec_id"].to_numpy() != np.arange(1, n + 1)).any():
        raise InputError(
            f"the multiverse blocks do not hold specifications 1..{n} exactly once each "
            f"({len(t)} rows): were they written with another config or number of chunks?"
        )
    fitted = t["status"] == "ok"
    order = t.loc[fitted].sort_values(["estimate", "spec_id"], kind="mergesort").index
    rank = pd.Series(pd.NA, index=t.index, dtype="Int64")
    rank.loc[order] = np.arange(1, len(order) + 1)
    t.insert(1, "rank", rank)
    t["ci_excludes_zero"] = np.where(fitted, ((t["ci_lb"] > 0) | (t["ci_ub"] < 0)).astype(int), 0)
    return t


def summary_tables(t: pd.DataFrame, spec: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary, dimensions): the numbers of the report's multiverse paragraph.

    ``summary``: number of specifications and fitted ones, the median estimate, the share (%)
    of fitted specifications whose CI excludes 0, and the dimension that moves the estimate
    most, with its choices of lowest and highest median estimate.  ``dimensions``: per dimension and choice, the number of fitted specifications and
    their median estimate; a dimension's ``spread`` is the largest minus the smallest of its
    choices' medians (the measure of "moves the estimate most")."""
    dims = dimensions(spec)
    fit = t[t["status"] == "ok"]
    rows = []
    for name, choices in dims:
        meds = {}
        for c in choices:
            sel = fit[fit[name].astype(str) == str(c)]
            meds[c] = float(sel["estimate"].median()) if len(sel) else np.nan
        finite = [m for m in meds.values() if np.isfinite(m)]
        spread = (max(finite) - min(finite)) if len(finite) > 1 else 0.0
        for c in choices:
            rows.append(
                {
                    "dimension": name,
                    "choice": str(c),
                    "n_fitted": int((fit[name].astype(str) == str(c)).sum()),
                    "median_estimate": meds[c],
                    "spread": spread,
                }
            )
    dtab = pd.DataFrame(rows, columns=["dimension", "choice", "n_fitted", "median_estimate", "spread"])
    excl = (fit["ci_lb"] > 0) | (fit["ci_ub"] < 0)
    multi = dtab[dtab.groupby("dimension")["choice"].transform("size") > 1]
    if len(multi) and multi["spread"].max() > 0:
        top = multi.loc[multi["spread"].idxmax()]
        top_dim, top_spread = top["dimension"], float(top["spread"])
        tm = multi[multi["dimension"] == top_dim].dropna(subset=["median_estimate"])
        lo, lo_med = tm.loc[tm["median_estimate"].idxmin(), ["choice", "median_estimate"]]
        hi, hi_med = tm.loc[tm["median_estimate"].idxmax(), ["choice", "median_estimate"]]
    else:
        top_dim, top_spread, lo, hi, lo_med, hi_med = "", 0.0, "", "", np.nan, np.nan
    summ = pd.DataFrame(
        [
            {
                "n_specifications": len(t),
                "n_fitted": len(fit),
                "median_estimate": float(fit["estimate"].median()) if len(fit) else np.nan,
                "min_estimate": float(fit["estimate"].min()) if len(fit) else np.nan,
                "max_estimate": float(fit["estimate"].max()) if len(fit) else np.nan,
                "n_ci_excludes_zero": int(excl.sum()),
                "pct_ci_excludes_zero": 100 * float(excl.mean()) if len(fit) else np.nan,
                "n_ci_above_zero": int((fit["ci_lb"] > 0).sum()),
                "most_influential_dimension": top_dim,
                "spread_of_medians": top_spread,
                "choice_lowest_median": lo,
                "lowest_median": lo_med,
                "choice_highest_median": hi,
                "highest_median": hi_med,
            }
        ]
    )
    return summ, dtab


def n_chunks(spec: dict) -> int:
    """The number of blocks the analysis' config asks for (``multiverse.chunks``, default 1)."""
    return int((spec.get("multiverse") or {}).get("chunks", 1))
