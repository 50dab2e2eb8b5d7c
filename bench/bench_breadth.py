"""Time the verbs added for issue 15 at growing k (to show linear growth) and, where
Rscript with metafor is installed, the same calls in metafor on the same data.

    python bench/bench_breadth.py            # k = 1e3, 1e4, 1e5
    python bench/bench_breadth.py --quick    # k = 1e3, 1e4
    python bench/bench_breadth.py --no-r     # without the metafor columns

For each verb the first table gives the best-of-3 time per k and the growth factor per tenfold
k (about 10 means linear), and metafor's time at k = 1,000.  The second table sets evsynth
against metafor at equal work, on identical data (both sides draw it from the same seed), at
the sizes where metafor finishes: the multilevel verbs at k = 250 and 1,000 (metafor's
``rma.mv(..., sparse = TRUE)``; its dense route takes 190-260 s per fit at k = 1,000),
``selmodel`` at 1,000 and 10,000 (the sizes evsynth is timed at), the rest at 1,000.  A fit a
verb works on (``selmodel``, ``ranef``, ``fitstats``, ``predict``) is made before the clock
starts on both sides.  metafor runs once per cell (a slow call is stopped after R_TIMEOUT s).
Results are also written to bench/latest_breadth.md."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # one BLAS thread, as bench_engine
    os.environ[_var] = "1"

import numpy as np  # noqa: E402  (after pinning the BLAS threads)

from evsynth.engine import (
    anova,
    blup,
    fitstats,
    influence,
    influence_mv,
    leave1out,
    predict,
    ranef,
    rma,
    rma_mh,
    rma_mv,
    rma_peto,
    selmodel,
    vcalc,
)

warnings.simplefilter("ignore")
HERE = Path(__file__).parent
SEED = 20240615


def timeit(fn, repeat=3):
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def tables(k, rng):
    n1 = rng.integers(20, 200, k)
    n2 = rng.integers(20, 200, k)
    p1 = rng.uniform(0.05, 0.5, k)
    ai = rng.binomial(n1, p1)
    ci = rng.binomial(n2, np.clip(p1 * 1.3, 0, 0.95))
    return {"ai": ai, "bi": n1 - ai, "ci": ci, "di": n2 - ci}


def uni(k, rng):
    v = rng.uniform(0.005, 0.2, k)
    x = rng.uniform(0, 1, k)
    y = rng.normal(0.2 + 0.3 * x, np.sqrt(v + 0.04))
    return y, v, x


def clustered(k, rng, size=5):
    cl = np.repeat(np.arange(k // size), size)
    v = rng.uniform(0.01, 0.1, cl.size)
    y = 0.2 + rng.normal(0, 0.2, k // size)[cl] + rng.normal(0, 0.1, cl.size) + rng.normal(0, np.sqrt(v))
    return y, v, cl, np.tile(np.arange(size), k // size)


def verbs(k, rng):
    t = tables(k, rng)
    y, v, x = uni(k, rng)
    fit = rma(y, v, x[:, None])
    fit0 = rma(y, v)
    yc, vc, cl, obs = clustered(k, rng)
    three = rma_mv(yc, vc, [cl, obs])
    return {
        "rma_mh (OR, CMH, Tarone)": lambda: rma_mh("OR", **t),
        "rma_peto": lambda: rma_peto(**t),
        "fitstats + anova (L)": lambda: (fitstats(fit), anova(fit, L=[[0, 1], [1, 1]])),
        "predict (100 rows) + blup": lambda: (predict(fit, np.linspace(0, 1, 100)[:, None]), blup(fit)),
        "rma_mv with vcalc V (rho 0.6, 5 per cluster)": lambda: rma_mv(
            yc, vc, [cl, obs], V=vcalc(vc, cl, obs=obs, rho=0.6)
        ),
        "selmodel (steps 0.025, 0.5)": lambda: selmodel(fit0, steps=[0.025, 0.5]),
        "leave1out (REML) + influence (REML, one moderator)": lambda: (leave1out(fit0), influence(fit)),
        "three-level REML fit (5 per cluster) + ranef": lambda: ranef(rma_mv(yc, vc, [cl, obs])),
        "ranef of a three-level fit": lambda: ranef(three),
        "influence_mv, reestimate=False (three-level)": lambda: influence_mv(three, reestimate=False),
    }


SEL = "selmodel (steps 0.025, 0.5)"
MV_V = "rma_mv with vcalc V (rho 0.6, 5 per cluster)"
MV_FIT = "three-level REML fit (5 per cluster) + ranef"
MV_RANEF = "ranef of a three-level fit"
R_CODE = {
    "rma_mh (OR, CMH, Tarone)": "rma.mh(measure='OR', ai=d$ai, bi=d$bi, ci=d$ci, di=d$di)",
    "rma_peto": "rma.peto(ai=d$ai, bi=d$bi, ci=d$ci, di=d$di)",
    # the fit is made before the clock starts, as on the evsynth side (equal work: the verbs only)
    "fitstats + anova (L)": ("f <- rma(yu, vu, mods=~xu, data=d)", "fitstats(f); anova(f, X=rbind(c(0, 1), c(1, 1)))"),
    "predict (100 rows) + blup": (
        "f <- rma(yu, vu, mods=~xu, data=d)",
        "predict(f, newmods=seq(0, 1, length.out=100)); blup(f)",
    ),
    # metafor's leave1out refuses models with moderators
    "leave1out (REML) + influence (REML, one moderator)": "leave1out(rma(yu, vu, data=d)); influence(rma(yu, vu, mods=~xu, data=d))",
    # multilevel: sparse matrices (metafor's dense rma.mv takes minutes per fit at k = 1,000)
    # obs as a factor: metafor's vcalc returns NA for a numeric obs of 0
    MV_V: (
        "d$obsf <- factor(d$obs)",
        "V <- vcalc(vc, cluster=cl, obs=obsf, rho=0.6, data=d); rma.mv(yc, V, random=~1|cl/obs, data=d, sparse=TRUE)",
    ),
    SEL: ("f <- rma(yu, vu, data=d)", "selmodel(f, type='stepfun', steps=c(0.025, 0.5))"),
    MV_FIT: "ranef(rma.mv(yc, vc, random=~1|cl/obs, data=d, sparse=TRUE))",
    MV_RANEF: ("f <- rma.mv(yc, vc, random=~1|cl/obs, data=d, sparse=TRUE)", "ranef(f)"),
}
R_TIMEOUT = 300  # seconds for one metafor call; a slower one is reported as "> 300 (stopped)"
# the sizes at which evsynth and metafor are set side by side (default: 1,000)
COMPARE_KS = {MV_V: [250, 1_000], MV_FIT: [250, 1_000], MV_RANEF: [250, 1_000], SEL: [1_000, 10_000]}


def have_metafor() -> bool:
    if not shutil.which("Rscript"):
        return False
    return subprocess.run(["Rscript", "-e", "library(metafor)"], capture_output=True).returncode == 0


def metafor_time(code, k: int, rng) -> float | str:
    """Seconds metafor takes for ``code`` (or ``(setup, code)``: only ``code`` is timed)."""
    setup, code = code if isinstance(code, tuple) else ("", code)
    t = tables(k, rng)
    yu, vu, xu = uni(k, rng)
    yc, vc, cl, obs = clustered(k, rng)
    with tempfile.TemporaryDirectory() as td:
        data = Path(td) / "d.csv"
        cols = {**t, "yu": yu, "vu": vu, "xu": xu, "yc": yc, "vc": vc, "cl": cl, "obs": obs}
        np.savetxt(data, np.column_stack(list(cols.values())), delimiter=",", header=",".join(cols), comments="")
        script = (
            f"suppressMessages(library(metafor)); d <- read.csv('{data}'); "
            f"{setup + '; ' if setup else ''}t <- system.time({{ {code} }})[['elapsed']]; cat(t)"
        )  # one run: minutes for some verbs
        try:
            out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, timeout=R_TIMEOUT)
        except subprocess.TimeoutExpired:
            return f"> {R_TIMEOUT} (stopped)"
    try:
        return float(out.stdout.strip())
    except ValueError:
        return "error"


def influence_mv_growth(rng, ks=(250, 500, 1_000, 2_000)) -> list[str]:
    """influence_mv of a three-level fit (5 effects per cluster) at small k: the re-estimated
    route refits per deletion (k fits of O(k) each: growth about 4x per doubling of k), the
    route with the variance components held fixed is O(k) (a report, not an assertion)."""
    rows = {"influence_mv (re-estimated, the default)": [], "influence_mv (reestimate=False)": []}
    y0, v0, c0, _ = clustered(50, rng)
    influence_mv(rma_mv(y0, v0, [c0]))  # the first call's imports off the clock
    for k in ks:
        yc, vc, cl, obs = clustered(k, rng)
        three = rma_mv(yc, vc, [cl, obs])
        rows["influence_mv (re-estimated, the default)"].append(timeit(lambda: influence_mv(three), repeat=1))
        rows["influence_mv (reestimate=False)"].append(timeit(lambda: influence_mv(three, reestimate=False)))
    out = [
        "| influence_mv, three-level REML | " + " | ".join(f"k = {k:,} (s)" for k in ks) + " | growth per 2x k |",
        "|---|" + "---:|" * (len(ks) + 1),
    ]
    for name, ts in rows.items():
        growth = " / ".join(f"{ts[i + 1] / ts[i]:.1f}x" for i in range(len(ts) - 1))
        out.append(f"| {name} | " + " | ".join(f"{t:.3g}" for t in ts) + f" | {growth} |")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-r", action="store_true", help="skip metafor even when Rscript is present")
    a = ap.parse_args(argv)
    ks = [1_000, 10_000] if a.quick else [1_000, 10_000, 100_000]
    rng = np.random.default_rng(SEED)
    times: dict[str, list[float]] = {}
    for k in ks:
        for name, fn in verbs(k, rng).items():
            if name.startswith("selmodel") and k > 10_000:  # numerical optimisation: many O(k) evaluations
                times.setdefault(name, []).append(float("nan"))
                continue
            times.setdefault(name, []).append(timeit(fn))
    r = have_metafor() and not a.no_r
    pairs = []  # (verb, k, evsynth s, metafor s or text): identical data on both sides
    if r:
        for k in sorted({k for name in times for k in COMPARE_KS.get(name, [1_000]) if k <= max(ks)}):
            fns = verbs(k, np.random.default_rng(SEED))  # the data metafor_time draws for this k
            for name in times:
                if k in COMPARE_KS.get(name, [1_000]):
                    mf = metafor_time(R_CODE[name], k, np.random.default_rng(SEED))
                    pairs.append((name, k, timeit(fns[name]), mf))
    pairs.sort(key=lambda q: (list(times).index(q[0]), q[1]))
    fmt = lambda x: f"{x:.4f}" if isinstance(x, float) else x  # noqa: E731
    head = "| verb | " + " | ".join(f"k = {k:,} (s)" for k in ks) + " | growth per 10x k | metafor k = 1,000 (s) |"
    lines = [head, "|---|" + "---:|" * (len(ks) + 2)]
    for name, ts in times.items():
        growth = " / ".join(f"{ts[i + 1] / ts[i]:.1f}x" for i in range(len(ts) - 1) if np.isfinite(ts[i + 1]))
        mf = next((m for n, k, _, m in pairs if n == name and k == 1_000), "n/a")
        lines.append(
            f"| {name} | "
            + " | ".join(f"{t:.4f}" if np.isfinite(t) else "skipped" for t in ts)
            + f" | {growth} | {fmt(mf)} |"
        )
    if pairs:
        lines += [
            "",
            "Equal work on identical data (a fit the verb needs made before the clock on both sides; "
            "metafor's multilevel fits with sparse = TRUE):",
            "",
            "| verb | k | evsynth (s) | metafor (s) | metafor / evsynth |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, k, ev, mf in pairs:
            ratio = (
                f"{mf / ev:,.0f}x"
                if isinstance(mf, float)
                else f"> {R_TIMEOUT / ev:,.0f}x"
                if mf.startswith(">")
                else "n/a"
            )  # stopped: at least the timeout
            lines.append(f"| {name} | {k:,} | {ev:.4f} | {fmt(mf)} | {ratio} |")
    lines += ["", *influence_mv_growth(rng)]
    text = "\n".join(lines)
    print(text)
    (HERE / "latest_breadth.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
