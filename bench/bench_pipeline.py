"""The whole pipeline on one analysis at growing k: time and peak memory of every stage.

A synthetic analysis of k effect sizes (yi, vi, a numeric and a categorical moderator, a
design column) is declared in a copy of the project's config, with the diagnostics
(confint, egger, begg, trimfill, fsn, pet_peese, leave1out, influence, cumulative) and a
multiverse (5 estimators x 2 tests x keep/exclude influential = 20 specifications, in 2
blocks).  Each stage runs as its own process, in the order the workflow runs them:
effects, fit, diagnose, multiverse (each block), multiverse-gather, figures; a stage's
peak resident memory is its own (ru_maxrss of that process).

    .venv/bin/python bench/bench_pipeline.py [--sizes 2000,20000,200000] [--stages effects,fit,...]

Stage ``whole`` (in the default list) is one whole run on the same synthetic project, as
``make report`` runs it: the input checks, then Snakemake with ``--cores 2`` through every rule
(the review's other outputs, the analysis, its figures and the report in both languages); its
row is the wall time from start to end and the largest peak resident memory of any one process
of the run (the processes run side by side on the 2 cores, so together they may hold more).

Prints one markdown table (stage x k: seconds / peak MB) and the growth per tenfold k.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AID = "bench"
STAGES = ("effects", "fit", "diagnose", "multiverse", "multiverse-gather", "figures", "whole")


def _project(dest: Path, k: int) -> Path:
    """A copy of the project's inputs with one synthetic analysis of ``k`` rows."""
    import numpy as np
    import pandas as pd
    import yaml

    for name in ("config.yaml", "data", "Snakefile", "workflow"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dest / name)
    rng = np.random.default_rng(20140601)
    n = rng.integers(20, 400, k)
    vi = (4 / n + 0.2**2 / (2 * n)).round(6)
    mod = rng.uniform(0, 10, k).round(3)
    yi = (0.2 + 0.02 * mod + rng.normal(0, 0.15, k) + rng.normal(0, np.sqrt(vi))).round(6)
    pd.DataFrame(
        {
            "study": [f"Study {i:06d}" for i in range(k)],
            "yi": yi,
            "vi": vi,
            "dose": mod,
            "setting": rng.choice(["home", "clinic", "school"], k),
            "design": rng.choice(["randomised", "matched"], k),
        }
    ).to_csv(dest / "data/bench.csv", index=False)
    cfg = yaml.safe_load((dest / "config.yaml").read_text(encoding="utf-8"))
    cfg["analyses"] = [
        {
            "id": AID,
            "title": f"Synthetic benchmark analysis (k = {k:,})",
            "role": "secondary",
            "design": {"column": "design", "randomised_values": ["randomised"], "note": "simulated"},
            "dataset": "data/bench.csv",
            "citation": "synthetic (bench/bench_pipeline.py)",
            "data_source": "simulated",
            "study_label": "study",
            "effect": {"yi": "yi", "vi": "vi", "scale": "standardised mean difference (SMD)"},
            "direction": {"rule": "simulated; not flipped", "flip": False, "interpretation": "improvement"},
            "model": {"type": "univariate", "method": "REML", "test": "knha"},
            "moderators": [
                {"column": "dose", "type": "numeric", "label": "dose"},
                {"column": "setting", "type": "categorical", "levels": ["home", "clinic", "school"]},
            ],
            "subgroups": ["setting"],
            "diagnostics": [
                "confint",
                "egger",
                "begg",
                "trimfill",
                "fsn",
                "pet_peese",
                "leave1out",
                "influence",
                "cumulative",
            ],
            "multiverse": {
                "method": ["REML", "DL", "PM", "ML", "EE"],
                "test": ["z", "knha"],
                "influential": ["keep", "exclude"],
                "chunks": 2,
            },
        }
    ]
    (dest / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return dest


def _commands(k: int) -> list[tuple[str, list[str]]]:
    res = f"results/{AID}"
    out = [
        ("effects", ["effects", AID, "--out", f"{res}/effects.csv"]),
        ("fit", ["fit", AID, "--effects", f"{res}/effects.csv", "--outdir", res]),
        ("diagnose", ["diagnose", AID, "--effects", f"{res}/effects.csv", "--outdir", f"{res}/diagnostics"]),
    ]
    out += [
        (
            "multiverse",
            [
                "multiverse",
                AID,
                "--effects",
                f"{res}/effects.csv",
                "--chunk",
                str(i),
                "--chunks",
                "2",
                "--out",
                f"{res}/multiverse/blocks/chunk_{i}.csv",
            ],
        )
        for i in range(2)
    ]
    out += [
        (
            "multiverse-gather",
            [
                "multiverse-gather",
                AID,
                f"{res}/multiverse/blocks/chunk_0.csv",
                f"{res}/multiverse/blocks/chunk_1.csv",
                "--outdir",
                res,
            ],
        ),
        ("figures", ["figures", AID, "--results", "results", "--outdir", "figures"]),
    ]
    return out


def _child(args: list[str]) -> None:
    """Run one evsynth command in this process; report seconds and peak RSS (MB) as JSON."""
    from evsynth.pipeline.cli import main

    t0 = time.perf_counter()
    rc = main(args)
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rc": rc, "seconds": secs, "peak_MB": peak}))


def _whole_run(project: Path, timeout: float) -> dict:
    """One whole run as ``make report`` runs it (warm process, guard with the input checks,
    Snakemake --cores 2): wall seconds and the largest peak RSS of one process (MB)."""
    bindir = Path(sys.executable).parent
    cmd = [
        sys.executable,
        "-m",
        "evsynth.pipeline.warm",
        "--",
        sys.executable,
        "-m",
        "evsynth.pipeline.guard",
        "--config",
        "config.yaml",
        "--",
        str(bindir / "snakemake"),
        "--cores",
        "2",
        "--quiet",
        "rules",
        "--rerun-incomplete",
    ]
    if os.environ.get("BENCH_WHOLE_CHILD") != "1":  # measured from a process of its own (its children only)
        try:
            p = subprocess.run(
                [sys.executable, __file__, "--whole-child", str(timeout)],
                cwd=project,
                capture_output=True,
                text=True,
                timeout=timeout + 60,
                env={**os.environ, "BENCH_WHOLE_CHILD": "1"},
            )
        except subprocess.TimeoutExpired:
            return {"rc": "timeout", "seconds": timeout, "peak_MB": float("nan")}
        if p.stderr.strip():
            print(p.stderr[-3000:], file=sys.stderr)
        return json.loads(p.stdout.strip().splitlines()[-1])
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:  # the run's whole process group: server, Snakemake, its jobs
        os.killpg(proc.pid, signal.SIGTERM)
        proc.communicate()
        return {"rc": "timeout", "seconds": timeout, "peak_MB": float("nan")}
    p = subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if p.returncode != 0:
        print(f"whole run failed\n{p.stderr[-3000:]}", file=sys.stderr)
    ok = p.returncode == 0 and (project / "results/report.html").is_file()
    return {"rc": 0 if ok else p.returncode or "no report", "seconds": secs, "peak_MB": peak}


def run_size(k: int, stages, timeout: float) -> dict[str, dict]:
    out: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as d:
        # the projects are made in processes of their own: a child's peak memory (ru_maxrss)
        # counts what its parent held when it was forked (Linux keeps it across exec)
        subprocess.run([sys.executable, __file__, "--make", f"{d}:{k}"], check=True)
        project = Path(d)
        if "whole" in stages:  # first, in a copy of its own (the stages below write into results/)
            with tempfile.TemporaryDirectory() as w:
                subprocess.run([sys.executable, __file__, "--make", f"{w}:{k}"], check=True)
                out["whole"] = r = _whole_run(Path(w), timeout)
                if r.get("rc") not in (0, "timeout"):
                    r.update(seconds=float("nan"), peak_MB=float("nan"))
                print(f"k={k:,} whole run: {r['seconds']:.2f} s, {r['peak_MB']:.0f} MB", file=sys.stderr, flush=True)
        for stage, args in _commands(k):
            if stage not in stages:
                continue
            try:
                p = subprocess.run(
                    [sys.executable, __file__, "--child", json.dumps(args)],
                    cwd=project,
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                )
            except subprocess.TimeoutExpired:
                out[stage] = {"rc": "timeout", "seconds": timeout, "peak_MB": float("nan")}
                print(f"k={k:,} {stage}: more than {timeout:.0f} s (stopped)", file=sys.stderr)
                break
            r = json.loads(p.stdout.strip().splitlines()[-1]) if p.stdout.strip() else {"rc": p.returncode}
            if r.get("rc") != 0:
                print(f"k={k:,} {stage}: failed\n{p.stderr[-2000:]}", file=sys.stderr)
                out[stage] = {"rc": r.get("rc"), "seconds": float("nan"), "peak_MB": float("nan")}
                break
            prev = out.get(stage)  # the multiverse blocks: summed time, larger peak
            if prev:
                r = {"rc": 0, "seconds": prev["seconds"] + r["seconds"], "peak_MB": max(prev["peak_MB"], r["peak_MB"])}
            out[stage] = r
            print(f"k={k:,} {stage}: {r['seconds']:.2f} s, {r['peak_MB']:.0f} MB", file=sys.stderr, flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2000,20000,200000")
    ap.add_argument("--stages", default=",".join(STAGES))
    ap.add_argument(
        "--timeout", type=float, default=600, help="seconds allowed per stage and for the whole run (default 600)"
    )
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--whole-child", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--make", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.make:
        d, k = a.make.rsplit(":", 1)
        _project(Path(d), int(k))
        return 0
    if a.whole_child:
        print(json.dumps(_whole_run(Path.cwd(), a.whole_child)))
        return 0
    if a.child:
        _child(json.loads(a.child))
        return 0
    sizes = [int(s) for s in a.sizes.split(",")]
    stages = [s for s in a.stages.split(",") if s]
    results = {k: run_size(k, stages, a.timeout) for k in sizes}
    print(
        f"\nbench_pipeline: {os.cpu_count()} CPUs visible; Python {sys.version.split()[0]}; "
        "each stage a fresh process (seconds / peak resident MB)\n"
    )
    print("| stage | " + " | ".join(f"k = {k:,}" for k in sizes) + " | growth per tenfold k (time) |")
    print("|---|" + "---|" * len(sizes) + "---|")
    for s in stages:
        cells, secs = [], []
        for k in sizes:
            r = results[k].get(s)
            if r is not None and r.get("rc") == "timeout":
                cells.append(f"more than {r['seconds']:.0f} s (stopped)")
                r = None
            else:
                cells.append("-" if r is None else f"{r['seconds']:.2f} s / {r['peak_MB']:.0f} MB")
            secs.append(None if r is None else r["seconds"])
        growth = [f"{b / a:.1f}x" for a, b in zip(secs, secs[1:]) if a and b and a == a and b == b]
        print(f"| {s} | " + " | ".join(cells) + f" | {', '.join(growth) or '-'} |")
    total = {
        k: sum(r["seconds"] for s, r in results[k].items() if s != "whole" and r["seconds"] == r["seconds"])
        for k in sizes
    }
    print("| **stages above (whole run excluded)** | " + " | ".join(f"{total[k]:.1f} s" for k in sizes) + " |  |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
