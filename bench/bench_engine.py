"""Time evsynth against statsmodels, PyMARE (and R metafor when Rscript with metafor is
installed) at EQUAL work, on the same generated data, in one run, and write bench/latest.md.

    python bench/bench_engine.py            # the README's table (about two minutes)
    python bench/bench_engine.py --quick    # smaller sizes, a smoke test (not written)
    python bench/bench_engine.py --threads 2

BLAS threads are pinned (1 by default) before numpy is imported and the count actually in
force is reported (threadpoolctl when installed), with the CPU model and library versions.

Each row compares the same outputs:
- DL and PM (statsmodels' combine_effects, method_re "chi2" / "iterated") against rma with
  the same estimator and the z test: both give the pooled estimate, its SE and CI, tau^2, Q
  and I^2 (rma also gives p-values, H^2 and the prediction interval: it does at least the
  same work);
- REML with z test and heterogeneity statistics: PyMARE's fit + summary statistics against rma;
- REML with the Q-profile CI for tau^2: PyMARE's get_re_stats("QP") against rma + confint_tau2
  (evsynth's bounds are the exact roots, found by Newton steps);
- full inference (REML, Knapp-Hartung, prediction interval, Q-profile CI): metafor only
  (neither PyMARE nor statsmodels has Knapp-Hartung and Q-profile together);
- rma_batch against looping rma over the same analyses (k = 50), bare REML (z test) and full
  inference (Knapp-Hartung, prediction interval, Q-profile CI).
"""

from __future__ import annotations

import argparse
import os
import sys


def _pin_threads(n: int) -> None:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
        os.environ[var] = str(n)


if __name__ == "__main__":  # before numpy is imported anywhere
    _pre = argparse.ArgumentParser(add_help=False)
    _pre.add_argument("--threads", type=int, default=1)
    _pin_threads(_pre.parse_known_args()[0].threads)

import platform  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from evsynth.engine import confint_tau2, permutest, rma, rma_batch, rma_mv  # noqa: E402

warnings.simplefilter("ignore")
HERE = Path(__file__).parent
SEED = 20140601


def timeit(fn, min_time=0.2, max_rep=200):
    """Best CPU time of this process per call over repeats (at least 3 calls, up to
    ``min_time`` seconds).  With BLAS pinned to one thread the work is single-threaded, so
    CPU time is its compute time; wall time on a shared machine also counts others' load."""
    best, spent, n = np.inf, 0.0, 0
    while n < 3 or (spent < min_time and n < max_rep):
        t = time.process_time()
        fn()
        dt = time.process_time() - t
        best, spent, n = min(best, dt), spent + dt, n + 1
    return best


def uni_data(k, rng):
    v = rng.uniform(0.005, 0.2, k)
    y = rng.normal(0.3, np.sqrt(v + 0.04))
    return y, v


def three_level_data(kk, rng):
    """k effect sizes in clusters of 5 with between- and within-cluster heterogeneity."""
    n_cl = kk // 5
    cl = np.repeat(np.arange(n_cl), 5)
    v = rng.uniform(0.01, 0.1, kk)
    y = 0.3 + rng.normal(0, 0.2, n_cl)[cl] + rng.normal(0, np.sqrt(v + 0.05))
    return y, v, cl, np.arange(kk)


def environment(threads: int) -> list[str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or "unknown"
    try:
        from threadpoolctl import threadpool_info

        pools = "; ".join(
            f"{p['internal_api']} {p.get('version') or ''} ({p['num_threads']} thread(s))" for p in threadpool_info()
        )
    except ImportError:
        pools = f"threadpoolctl not installed; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}"
    vers = []
    for pkg in ("evsynth", "numpy", "scipy", "statsmodels", "pymare"):
        try:
            vers.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            vers.append(f"{pkg} not installed")
    core = os.environ.get("OPENBLAS_CORETYPE")
    return [
        f"- CPU: {cpu}, {os.cpu_count()} logical CPU(s) (shared with other work: ratios in one run are the "
        f"measure, absolute times vary); times are CPU times of the process (best of repeats)",
        f"- BLAS threads pinned to {threads}: {pools}" + (f"; OPENBLAS_CORETYPE={core}" if core else ""),
        f"- Python {platform.python_version()}; " + ", ".join(vers),
    ]


# ---------------------------------------------------------------------------------------
# the contenders at equal work
# ---------------------------------------------------------------------------------------


def sm_combine(y, v, method_re):
    from statsmodels.stats.meta_analysis import combine_effects

    r = combine_effects(y, v, method_re=method_re)
    return r.mean_effect_re, r.sd_eff_w_re, r.conf_int(), r.tau2, r.q, r.i2


def pymare_reml_stats(y, v):
    from pymare import Dataset
    from pymare.estimators import VarianceBasedLikelihoodEstimator

    s = VarianceBasedLikelihoodEstimator(method="REML").fit_dataset(Dataset(y=y, v=v)).summary()
    return s.get_fe_stats(), s.get_heterogeneity_stats()


def pymare_reml_qp(y, v):
    from pymare import Dataset
    from pymare.estimators import VarianceBasedLikelihoodEstimator

    s = VarianceBasedLikelihoodEstimator(method="REML").fit_dataset(Dataset(y=y, v=v)).summary()
    return s.get_fe_stats(), s.get_heterogeneity_stats(), s.get_re_stats(method="QP")


def evsynth_full(y, v):
    f = rma(y, v, method="REML", test="knha")
    return confint_tau2(f)


def have_metafor() -> bool:
    if not shutil.which("Rscript"):
        return False
    return subprocess.run(["Rscript", "-e", "library(metafor)"], capture_output=True).returncode == 0


def metafor_time(kind: str, y, v, extra=None, timeout=300, reps=3) -> float | str:
    """Best of ``reps`` CPU times (user + system) inside R (excluding R start-up and data
    loading)."""
    with tempfile.TemporaryDirectory() as td:
        data = Path(td) / "d.csv"
        cols = {"y": y, "v": v, **(extra or {})}
        np.savetxt(data, np.column_stack(list(cols.values())), delimiter=",", header=",".join(cols), comments="")
        call = {
            "uni": "f <- rma(y, v, data=d, method='REML', test='knha'); predict(f); confint(f)",
            "ml": "f <- rma.mv(y, v, random=~1|cl/es, data=d, method='REML')",
            "perm": "f <- rma(y, v, mods=~x, data=d, method='REML'); set.seed(1); permutest(f, iter=1000)",
            "l1o": "f <- rma(y, v, data=d, method='REML'); leave1out(f); influence(f)",
        }[kind]
        script = (
            f"suppressMessages(library(metafor)); d <- read.csv('{data}'); "
            f"t <- min(sapply(1:{reps}, function(i) sum(system.time({{ {call} }})[c('user.self', 'sys.self')]))); "
            "cat(t)"
        )
        try:
            out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return f"> {timeout} s"
        try:
            return float(out.stdout.strip().split()[-1])
        except (ValueError, IndexError):
            return "failed"


def fmt(x) -> str:
    if isinstance(x, str):
        return x
    if x < 1e-3:
        return f"{x * 1e6:.0f} µs"
    if x < 1:
        return f"{x * 1e3:.2f} ms"
    return f"{x:.2f} s"


def bench_deletion(add, targets, rng, use_r: bool, quick: bool) -> None:
    """Issue 16 item 4: leave1out and influence (all k left-out fits at once) against one
    fit, against the k refits they replace, and against metafor."""
    import evsynth.engine as eng
    from evsynth.engine import casedeletion as cd

    for kk in [1000] if quick else [1000, 10_000]:
        y, v = uni_data(kk, rng)
        one = timeit(lambda: rma(y, v, method="REML", test="z"), min_time=0.3)
        fit = rma(y, v, method="REML", test="z")
        l1o = timeit(lambda: eng.leave1out(fit), min_time=0.3, max_rep=20)
        infl = timeit(lambda: eng.influence(fit), min_time=0.3, max_rep=20)
        add("leave1out (REML) vs one rma fit", f"k = {kk:,}", l1o, "one fit", one)
        add("influence (REML) vs one rma fit", f"k = {kk:,}", infl, "one fit", one)
        if kk == 1000:
            ref = timeit(lambda: cd._leave1out_refit(fit), min_time=0.0, max_rep=1)
            add("leave1out (REML) vs k refits (the former route)", f"k = {kk:,}", l1o, "k refits", ref)
        if kk == 10_000 or quick:
            worst = max(l1o, infl) / one
            targets.append(
                f"- leave1out / influence at k = {kk:,} (REML): {fmt(l1o)} / {fmt(infl)}, {l1o / one:.1f}x / "
                f"{infl / one:.1f}x one fit ({'met' if worst <= 20 else 'NOT met'}: target within 20x)"
            )
    kk = 200
    y, v = uni_data(kk, rng)
    fit = rma(y, v, method="REML", test="z")
    ev = timeit(lambda: (eng.leave1out(fit), eng.influence(fit)), min_time=0.3)
    mf = metafor_time("l1o", y, v, reps=1) if use_r and not quick else "not run"
    add("leave1out + influence (REML) vs metafor", f"k = {kk:,}", ev, "metafor", mf)


def bench_multilevel(add, targets, rng, quick: bool) -> None:
    """Issue 16 item 5: the three-level model by the diagonal-plus-rank-one route against the
    general route of per-block Cholesky factorisations (the former code path), in one run."""
    from evsynth.engine import mvblocks as mb

    kk = 10_000 if quick else 100_000
    y, v, cl, es = three_level_data(kk, rng)
    fast = timeit(lambda: rma_mv(y, v, [cl, es], method="REML"), min_time=0.3, max_rep=5)
    mb._FAST = False
    try:
        gen = timeit(lambda: rma_mv(y, v, [cl, es], method="REML"), min_time=0.3, max_rep=3)
    finally:
        mb._FAST = True
    r = add("three-level REML: rank-one route vs per-block route", f"k = {kk:,}", fast, "per-block", gen)
    targets.append(
        f"- three-level REML at k = {kk:,}: {fmt(fast)}, {r:.1f}x faster than the per-block route "
        f"({fmt(gen)}) ({'met' if r >= 3 else 'NOT met'}: target >= 3x)"
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes; bench/latest.md is not written")
    ap.add_argument("--no-r", action="store_true", help="skip metafor even when Rscript is present")
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads (pinned before numpy loads)")
    ap.add_argument(
        "--batch-only",
        action="store_true",
        help="section 1 only (rma_batch vs looping rma); bench/latest.md is not written",
    )
    args = ap.parse_args(argv)
    rng = np.random.default_rng(SEED)
    use_r = have_metafor() and not args.no_r
    rows = []  # (comparison, setting, evsynth time, other, other time, ratio other/evsynth)
    targets = []

    def add(name, setting, ev, other, ot):
        r = ot / ev if not isinstance(ot, str) else None
        rows.append((name, setting, ev, other, ot, r))
        print(
            f"{name:58s} {setting:>12s}  evsynth {fmt(ev):>10s}  {other} {fmt(ot):>10s}  "
            f"ratio {'' if r is None else f'{r:.2f}x'}",
            flush=True,
        )
        return r

    # 1. rma_batch against looping rma, k = 50
    n_batch = 2000 if args.quick else 20_000
    k = 50
    V = rng.uniform(0.005, 0.2, (n_batch, k))
    Y = rng.normal(0.3, np.sqrt(V + rng.choice([0.0, 0.02, 0.1], n_batch)[:, None]))
    n_loop = 200 if args.quick else 1000
    for label, kw, full in (
        ("REML, z", dict(method="REML", test="z"), False),
        ("REML, Knapp-Hartung, PI, Q-profile CI", dict(method="REML", test="knha"), True),
    ):
        tb = timeit(lambda: rma_batch(Y, V, confint=full, **kw), min_time=0.5, max_rep=5) / n_batch

        def loop():
            for i in range(n_loop):
                f = rma(Y[i], V[i], **kw)
                if full:
                    confint_tau2(f)

        tl = timeit(loop, min_time=0.5, max_rep=3) / n_loop
        r = add(f"rma_batch vs looping rma ({label})", f"k = 50, {n_batch:,} fits", tb, "loop of rma", tl)
        if not full:
            fits = 1 / tb
            targets.append(
                f"- rma_batch at k = 50, REML: {fits:,.0f} fits/s ({'met' if fits >= 1e5 else 'NOT met'}: "
                f"target >= 100,000); {r:.0f}x looping rma ({'met' if r >= 100 else 'NOT met'}: target >= 100x)"
            )
        else:
            targets.append(
                f"- rma_batch with full inference at k = 50: {1 / tb:,.0f} fits/s, {r:.0f}x looping rma (no target)"
            )
    if args.batch_only:
        print("\n".join(environment(args.threads) + targets))
        return

    # 2. per-call cost: rma vs statsmodels at equal outputs, DL and PM
    sizes = [100, 1000, 10_000] if args.quick else [100, 1000, 10_000, 100_000, 1_000_000]
    worst = {}
    for kk in sizes:
        y, v = uni_data(kk, rng)
        mt = 0.2 if kk < 1_000_000 else 1.0
        for method, sm in (("DL", "chi2"), ("PM", "iterated")):
            ev = timeit(lambda: rma(y, v, method=method, test="z"), min_time=mt)
            st = timeit(lambda: sm_combine(y, v, sm), min_time=mt)
            r = add(f"rma {method} vs statsmodels combine_effects ({sm})", f"k = {kk:,}", ev, "statsmodels", st)
            if method not in worst or r < worst[method][0]:
                worst[method] = (r, kk)
    for method, (r, kk) in worst.items():
        targets.append(
            f"- rma {method} vs statsmodels at equal outputs, k = 1e2 to {sizes[-1]:.0e}: slowest ratio "
            f"{r:.2f}x at k = {kk:,} ({'met' if r >= 1 else 'NOT met'}: target >= 1x at every k)"
        )

    # 3. REML against PyMARE at equal work, and full inference against metafor
    for kk in sizes:
        y, v = uni_data(kk, rng)
        mt = 0.2 if kk < 1_000_000 else 1.0
        ev = timeit(lambda: rma(y, v, method="REML", test="z"), min_time=mt)
        pm = timeit(lambda: pymare_reml_stats(y, v), min_time=mt)
        add("rma REML (z, Q, I²) vs PyMARE REML + summary stats", f"k = {kk:,}", ev, "PyMARE", pm)
        ev = timeit(lambda: confint_tau2(rma(y, v, method="REML", test="z")), min_time=mt)
        pm = timeit(lambda: pymare_reml_qp(y, v), min_time=mt)
        add("rma REML + Q-profile CI vs PyMARE REML + QP CI", f"k = {kk:,}", ev, "PyMARE", pm)
    for kk in [100] if args.quick else [100, 1000]:
        y, v = uni_data(kk, rng)
        ev = timeit(lambda: evsynth_full(y, v))
        mf = metafor_time("uni", y, v, reps=3 if kk <= 100 else 1) if use_r else "no Rscript"
        add("REML + Knapp-Hartung + PI + Q-profile CI vs metafor", f"k = {kk:,}", ev, "metafor", mf)
    # the floor at k = 1e6: five fused passes (each reads y and v once: a weighted sum); the two
    # timings alternate three times and the best of each counts (another job's burst on the shared
    # machine then disturbs neither side alone)
    y, v = uni_data(1_000_000 if not args.quick else 100_000, rng)
    one_pass = full = np.inf
    for _ in range(3):
        one_pass = min(one_pass, timeit(lambda: np.dot(1.0 / (v + 0.04), y), min_time=0.3))
        full = min(full, timeit(lambda: evsynth_full(y, v), min_time=0.6))
    targets.append(
        f"- full inference (REML, Knapp-Hartung, PI, exact Q-profile CI) at k = {y.size:.0e}: {fmt(full)}, "
        f"{full / (5 * one_pass):.1f}x the time of five fused passes ({fmt(5 * one_pass)}; one pass = "
        f"np.dot(1 / (v + c), y)) ({'met' if full <= 15 * one_pass else 'NOT met'}: target within 3x)"
    )

    # 4. three-level model and permutations (evsynth only, metafor at the smallest size)
    for kk in [250] if args.quick else [250, 100_000]:
        y, v, cl, es = three_level_data(kk, rng)
        ev = timeit(lambda: rma_mv(y, v, [cl, es], method="REML"), min_time=0.2, max_rep=3)
        mf = (
            metafor_time("ml", y, v, {"cl": cl, "es": es}, reps=1)
            if use_r and kk <= 1000
            else ("skipped (dense k x k)" if use_r else "no Rscript")
        )
        add("three-level REML (5 effects per cluster) vs metafor rma.mv", f"k = {kk:,}", ev, "metafor", mf)
    bench_deletion(add, targets, rng, use_r, args.quick)
    bench_multilevel(add, targets, rng, args.quick)
    kk = 100
    x = rng.normal(size=kk)
    v = rng.uniform(0.01, 0.1, kk)
    y = 0.2 + 0.1 * x + rng.normal(0, np.sqrt(v + 0.03))
    fit = rma(y, v, x[:, None], method="REML")
    ev = timeit(lambda: permutest(fit, iterations=1000, seed=1), min_time=0.3, max_rep=3)
    mf = metafor_time("perm", y, v, {"x": x}, reps=1) if use_r and not args.quick else "not run"
    add("1,000 permutations, meta-regression (REML) vs metafor permutest", "k = 100", ev, "metafor", mf)

    lines = [
        "| comparison (equal work) | setting | evsynth | other | other's time | other / evsynth |",
        "|---|---|---:|---|---:|---:|",
    ]
    for name, setting, ev, other, ot, r in rows:
        lines.append(f"| {name} | {setting} | {fmt(ev)} | {other} | {fmt(ot)} | {'' if r is None else f'{r:.2f}x'} |")
    text = (
        "Environment:\n"
        + "\n".join(environment(args.threads))
        + "\n\n"
        + "\n".join(lines)
        + "\n\nTargets (issue 16):\n"
        + "\n".join(targets)
        + "\n"
    )
    print()
    print(text)
    if not args.quick:
        (HERE / "latest.md").write_text(text)


if __name__ == "__main__":
    sys.exit(main())
