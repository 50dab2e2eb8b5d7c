"""Time the verbs added for issue 15 at growing k (to show linear growth) and, where
Rscript with metafor is installed, the same calls in metafor at the smallest k.

    python bench/bench_breadth.py            # k = 1e3, 1e4, 1e5
    python bench/bench_breadth.py --quick    # k = 1e3, 1e4
    python bench/bench_breadth.py --no-r     # without the metafor column
    python bench/bench_breadth.py --r-multilevel   # also time metafor's rma.mv + ranef at k = 1e3
                                             # (dense k x k: minutes per fit, so off by default)

For each verb the table gives the best-of-3 time per k and the growth factor per tenfold k
(about 10 means linear).  Results are also written to bench/latest_breadth.md."""

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

from evsynth.engine.diagnostics import influence, leave1out
from evsynth.engine.fitstats import anova, fitstats
from evsynth.engine.mh import rma_mh, rma_peto
from evsynth.engine.models import rma
from evsynth.engine.multilevel import rma_mv, vcalc
from evsynth.engine.mvdiag import influence_mv
from evsynth.engine.predict import blup, predict, ranef
from evsynth.engine.selmodel import selmodel

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
        "rma_mv with vcalc V (rho 0.6, 5 per cluster)": lambda: rma_mv(yc, vc, [cl, obs], V=vcalc(vc, cl, obs=obs,
                                                                                                  rho=0.6)),
        "selmodel (steps 0.025, 0.5)": lambda: selmodel(rma(y, v), steps=[0.025, 0.5]),
        "leave1out (REML) + influence (REML, one moderator)": lambda: (leave1out(fit0), influence(fit)),
        "three-level REML fit (5 per cluster) + ranef": lambda: ranef(rma_mv(yc, vc, [cl, obs])),
        "ranef of a three-level fit": lambda: ranef(three),
        "influence_mv, reestimate=False (three-level)": lambda: influence_mv(three, reestimate=False),
    }


R_CODE = {
    "rma_mh (OR, CMH, Tarone)": "rma.mh(measure='OR', ai=d$ai, bi=d$bi, ci=d$ci, di=d$di)",
    "rma_peto": "rma.peto(ai=d$ai, bi=d$bi, ci=d$ci, di=d$di)",
    # the fit is made before the clock starts, as on the evsynth side (equal work: the verbs only)
    "fitstats + anova (L)": ("f <- rma(yu, vu, mods=~xu, data=d)", "fitstats(f); anova(f, X=rbind(c(0, 1), c(1, 1)))"),
    "predict (100 rows) + blup": ("f <- rma(yu, vu, mods=~xu, data=d)",
                                  "predict(f, newmods=seq(0, 1, length.out=100)); blup(f)"),
    # metafor's leave1out refuses models with moderators
    "leave1out (REML) + influence (REML, one moderator)": "leave1out(rma(yu, vu, data=d)); influence(rma(yu, vu, mods=~xu, data=d))",
}
R_TIMEOUT = 300  # seconds for one metafor call; a slower one is reported as "> 300 (stopped)"
R_MULTILEVEL = {"three-level REML fit (5 per cluster) + ranef": "ranef(rma.mv(yc, vc, random=~1|cl/obs, data=d))"}
# metafor's rma.mv with a vcalc V works on dense k x k matrices: one fit at k = 1,000 took 190 s
# (elapsed, 2 shared cores) when measured by hand, so it is not repeated here


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
        script = (f"suppressMessages(library(metafor)); d <- read.csv('{data}'); "
                  f"{setup + '; ' if setup else ''}t <- system.time({{ {code} }})[['elapsed']]; cat(t)")  # one run: minutes for some verbs
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
    out = ["| influence_mv, three-level REML | " + " | ".join(f"k = {k:,} (s)" for k in ks) + " | growth per 2x k |",
           "|---|" + "---:|" * (len(ks) + 1)]
    for name, ts in rows.items():
        growth = " / ".join(f"{ts[i + 1] / ts[i]:.1f}x" for i in range(len(ts) - 1))
        out.append(f"| {name} | " + " | ".join(f"{t:.3g}" for t in ts) + f" | {growth} |")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-r", action="store_true", help="skip metafor even when Rscript is present")
    ap.add_argument("--r-multilevel", action="store_true", help="also time metafor's rma.mv + ranef (minutes)")
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
    r_code = {**R_CODE, **(R_MULTILEVEL if a.r_multilevel else {})}
    head = "| verb | " + " | ".join(f"k = {k:,} (s)" for k in ks) + " | growth per 10x k | metafor k = 1,000 (s) |"
    lines = [head, "|---|" + "---:|" * (len(ks) + 2)]
    for name, ts in times.items():
        growth = " / ".join(f"{ts[i + 1] / ts[i]:.1f}x" for i in range(len(ts) - 1) if np.isfinite(ts[i + 1]))
        mf = metafor_time(r_code[name], 1_000, np.random.default_rng(SEED)) if (r and name in r_code) else "n/a"
        mf = f"{mf:.4f}" if isinstance(mf, float) else mf
        lines.append(f"| {name} | " + " | ".join(f"{t:.4f}" if np.isfinite(t) else "skipped" for t in ts)
                     + f" | {growth} | {mf} |")
    lines += ["", *influence_mv_growth(rng)]
    text = "\n".join(lines)
    print(text)
    (HERE / "latest_breadth.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
