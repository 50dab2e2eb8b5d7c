"""Time evsynth against PyMARE and statsmodels (and R metafor when Rscript with metafor is
installed) on the same generated data, in one run, and print a table with ratios.

    python bench/bench_engine.py            # full run (a few minutes)
    python bench/bench_engine.py --quick    # smaller sizes, for a smoke test

Targets (issue 6): univariate REML with full inference (Knapp-Hartung, prediction
interval, Q-profile CI) at k = 1e5 in at most 1/5 of PyMARE's bare REML time; k = 1e6
under 1 s; three-level REML at k = 1e5 under 5 s; 1,000 permutations of a k = 100
meta-regression under 0.5 s.  Results are also written to bench/latest.md."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from evsynth.engine.diagnostics import permutest
from evsynth.engine.models import confint_tau2, rma
from evsynth.engine.multilevel import rma_mv

warnings.simplefilter("ignore")
HERE = Path(__file__).parent
SEED = 20140601


def timeit(fn, repeat=3):
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def uni_data(k, rng):
    v = rng.uniform(0.005, 0.2, k)
    y = rng.normal(0.3, np.sqrt(v + 0.04))
    return y, v


def evsynth_full(y, v):
    f = rma(y, v, method="REML", test="knha")
    f.predict()
    confint_tau2(f)


def pymare_reml(y, v):
    from pymare import Dataset
    from pymare.estimators import VarianceBasedLikelihoodEstimator

    VarianceBasedLikelihoodEstimator(method="REML").fit_dataset(Dataset(y=y, v=v))


def statsmodels_pm(y, v):
    from statsmodels.stats.meta_analysis import combine_effects

    combine_effects(y, v, method_re="iterated")  # Paule-Mandel: statsmodels has no REML


def have_metafor() -> bool:
    if not shutil.which("Rscript"):
        return False
    out = subprocess.run(["Rscript", "-e", "library(metafor)"], capture_output=True)
    return out.returncode == 0


def metafor_time(kind: str, y, v, extra=None, timeout=900) -> float | str:
    """Time inside R (excluding R start-up and data loading)."""
    with tempfile.TemporaryDirectory() as td:
        data = Path(td) / "d.csv"
        cols = {"y": y, "v": v, **(extra or {})}
        np.savetxt(data, np.column_stack(list(cols.values())), delimiter=",", header=",".join(cols), comments="")
        call = {
            "uni": "f <- rma(y, v, data=d, method='REML', test='knha'); predict(f); confint(f)",
            "ml": "f <- rma.mv(y, v, random=~1|cl/es, data=d, method='REML')",
            "perm": "f <- rma(y, v, mods=~x, data=d, method='REML'); set.seed(1); permutest(f, iter=1000)",
        }[kind]
        script = (f"suppressMessages(library(metafor)); d <- read.csv('{data}'); "
                  f"t <- system.time({{ {call} }})[['elapsed']]; cat(t)")
        try:
            out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return f"> {timeout} s"
        try:
            return float(out.stdout.strip().split()[-1])
        except (ValueError, IndexError):
            return "failed"


def fmt(x) -> str:
    return x if isinstance(x, str) else (f"{x:.4f}" if x < 1 else f"{x:.2f}")


def ratio(other, mine) -> str:
    return "" if isinstance(other, str) or other is None else f"{other / mine:.1f}x"


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-r", action="store_true", help="skip metafor even when Rscript is present")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(SEED)
    use_r = have_metafor() and not args.no_r
    rows = []
    uni_k = [100, 1000, 10_000] if args.quick else [100, 1000, 10_000, 100_000, 1_000_000]
    for k in uni_k:
        y, v = uni_data(k, rng)
        rep = 3 if k <= 100_000 else 1
        ev = timeit(lambda: evsynth_full(y, v), rep)
        pm = timeit(lambda: pymare_reml(y, v), rep) if k <= 1_000_000 else "skipped"
        sm = timeit(lambda: statsmodels_pm(y, v), rep)
        mf = (metafor_time("uni", y, v) if k <= 1000 else "skipped (k x k matrices)") if use_r else "no Rscript"
        rows.append(("univariate REML + KnHa + PI + Q-profile CI", k, ev, pm, sm, mf))
    ml_k = [1000, 10_000] if args.quick else [1000, 10_000, 100_000]
    for k in ml_k:
        n_cl = k // 5
        cl = np.repeat(np.arange(n_cl), 5)
        v = rng.uniform(0.01, 0.1, k)
        y = 0.3 + rng.normal(0, 0.2, n_cl)[cl] + rng.normal(0, np.sqrt(v + 0.05))
        es = np.arange(k)
        ev = timeit(lambda: rma_mv(y, v, [cl, es], method="REML"), 3 if k <= 10_000 else 1)
        mf = (metafor_time("ml", y, v, {"cl": cl, "es": es}) if k <= 1000 else "skipped (dense k x k)") \
            if use_r else "no Rscript"
        rows.append(("three-level REML (5 effects per cluster)", k, ev, "n/a (no multilevel)", "n/a (no known-variance multilevel)", mf))
    k = 100
    x = rng.normal(size=k)
    v = rng.uniform(0.01, 0.1, k)
    y = 0.2 + 0.1 * x + rng.normal(0, np.sqrt(v + 0.03))
    fit = rma(y, v, x[:, None], method="REML")
    ev = timeit(lambda: permutest(fit, iterations=1000, seed=1), 3)

    def pymare_perm():
        from pymare import Dataset
        from pymare.estimators import VarianceBasedLikelihoodEstimator

        est = VarianceBasedLikelihoodEstimator(method="REML").fit_dataset(Dataset(y=y, v=v, X=x[:, None]))
        est.summary().permutation_test(n_perm=1000)

    pm = timeit(pymare_perm, 1)
    mf = metafor_time("perm", y, v, {"x": x}) if use_r else "no Rscript"
    rows.append(("1,000 permutations, k = 100 meta-regression (REML)", k, ev, pm, "n/a", mf))

    head = ("| benchmark | k | evsynth (s) | PyMARE (s) | statsmodels (s) | metafor (s) | PyMARE / evsynth | "
            "metafor / evsynth |\n|---|---:|---:|---:|---:|---:|---:|---:|")
    lines = [head]
    for name, k, ev, pm, sm, mf in rows:
        lines.append(f"| {name} | {k:,} | {fmt(ev)} | {fmt(pm)} | {fmt(sm)} | {fmt(mf)} | {ratio(pm, ev)} | {ratio(mf, ev)} |")
    targets = []
    get = {(r[0][:10], r[1]): r for r in rows}
    u5 = get.get(("univariate", 100_000))
    if u5 and not isinstance(u5[3], str):
        targets.append(f"- k = 1e5 univariate with full inference vs PyMARE bare REML: {u5[2]:.4f} s vs {u5[3]:.4f} s "
                       f"({'met' if u5[2] <= u5[3] / 5 else 'NOT met'}: target at most 1/5)")
    u6 = get.get(("univariate", 1_000_000))
    if u6:
        targets.append(f"- k = 1e6 univariate with full inference: {u6[2]:.3f} s ({'met' if u6[2] < 1 else 'NOT met'}: target < 1 s)")
    m5 = get.get(("three-leve", 100_000))
    if m5:
        targets.append(f"- three-level k = 1e5: {m5[2]:.3f} s ({'met' if m5[2] < 5 else 'NOT met'}: target < 5 s)")
    p = rows[-1]
    targets.append(f"- 1,000 permutations: {p[2]:.3f} s ({'met' if p[2] < 0.5 else 'NOT met'}: target < 0.5 s)")
    text = "\n".join(lines) + "\n\nTargets:\n" + "\n".join(targets) + "\n"
    print(text)
    if not args.quick:
        (HERE / "latest.md").write_text(text)


if __name__ == "__main__":
    sys.exit(main())
