"""A million extraction rows: time and peak memory of checking the review's extraction table.

A synthetic extraction effects table of N rows in the form of
``data/effects/holwerda2014_effects.csv`` (the same 43 columns; every input form a row may take
in turn: means and SDs, t, F, p, events, an odds ratio with its CI, a mean difference with its
CI, pre-post means, d with its variance, d with the group sizes; some rows give p beside t; the
outcome and the quote hold commas, so they are quoted as spreadsheets write them, and the outcome
non-ASCII letters, as Dutch text has, so every cell is stripped and brought to NFC) replaces the shipped one in
a copy of the project, where it is both ``extraction.effects`` and the dataset of the
``effect.extracted`` analyses.  Then, each in a fresh process:

- ``check-inputs``: ``evsynth check-inputs`` (every input of the config; the extraction table
  read, schema-checked and converted once, its analyses' domains from it);
- ``effects``: ``evsynth effects holwerda_parenting`` (the effects stage of one extracted
  analysis: the table read, checked and converted, one outcome domain kept).

    .venv/bin/python bench/bench_extraction.py [--rows 1000000] [--commands check-inputs,effects]

Prints one markdown table (command x rows: seconds from ``main()`` to its return / peak
resident MB of the process).  Issue 22 item 6 asks for 10^6 rows in under 30 s and 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EFFECTS = "data/effects/holwerda2014_effects.csv"
COMMANDS = {
    "check-inputs": ["check-inputs"],
    "effects": ["effects", "holwerda_parenting", "--out", "results/holwerda_parenting/effects.csv"],
}


def synthetic_extraction(n: int, seed: int = 20140601):
    """``n`` extraction rows cycling through every input form (a pandas DataFrame of text)."""
    import numpy as np
    import pandas as pd

    header = (ROOT / EFFECTS).read_text(encoding="utf-8").splitlines()[0].split(",")
    studies = pd.read_csv(ROOT / "data/holwerda2014/primary_studies.csv", dtype=str)["study_id"].to_numpy()
    domains = ["parenting", "child behaviour", "child development/health", "family functioning", "service use"]
    rng = np.random.default_rng(seed)
    form = np.arange(n) % 11
    n1 = rng.integers(20, 200, n)
    n2 = rng.integers(20, 200, n)
    g = rng.normal(0.25, 0.3, n)
    cols = {c: np.full(n, "", dtype=object) for c in header}
    cols["effect_id"] = np.array([f"syn{i:07d}" for i in range(n)], dtype=object)
    cols["study_id"] = studies[np.arange(n) % len(studies)]
    cols["outcome"] = np.array(["synthetic outcome, scale total (één schaal)"], dtype=object)[np.zeros(n, int)]
    cols["outcome_domain"] = np.array(domains, dtype=object)[np.arange(n) % len(domains)]
    cols["timepoint"] = np.array(["12 months", "end of intervention"], dtype=object)[np.arange(n) % 2]
    cols["outcome_choice"] = np.array(["primary", "first listed"], dtype=object)[np.arange(n) % 2]
    cols["analysis"] = np.array(["ITT", "completers", "not stated"], dtype=object)[np.arange(n) % 3]
    cols["higher_is_better"] = np.where(rng.random(n) < 0.7, "yes", "no").astype(object)
    cols["approximation"] = np.where(form == 10, "yes", "no").astype(object)
    cols["approximation_note"] = np.where(form == 10, "equal split assumed, n1 = n2 = N/2", "").astype(object)
    cols["source_url"] = np.array(["https://example.org/synthetic"], dtype=object)[np.zeros(n, int)]
    cols["source_quote"] = np.array(['t = 2.2, "p < .05", n = 181'], dtype=object)[np.zeros(n, int)]
    cols["coder"] = np.array(["A+B"], dtype=object)[np.zeros(n, int)]

    def put(col, mask, values, fmt="{:.3f}"):
        cols[col][mask] = [fmt.format(v) for v in np.asarray(values)[mask]]

    se = np.sqrt(1 / n1 + 1 / n2)
    t = g / se
    sd = rng.uniform(2, 6, n)
    two = (form == 0) | (form == 9) | (form == 10) | (form == 1) | (form == 2) | (form == 3) | (form == 6)
    put("n1", two, n1, "{}")
    put("n2", two, n2, "{}")
    m = form == 0  # means and SDs
    put("m1", m, 20 + g * sd)
    put("sd1", m, sd)
    put("m2", m, np.full(n, 20.0))
    put("sd2", m, sd * rng.uniform(0.8, 1.2, n))
    put("t", form == 1, t, "{:.2f}")  # t, with p beside it in every other such row
    from scipy import stats

    p_t = 2 * stats.t.sf(np.abs(np.round(t, 2)), n1 + n2 - 2)
    put("p", (form == 1) & (np.arange(n) % 2 == 0) & (p_t > 1e-3) & (p_t < 0.999), p_t, "{:.4f}")
    put("f", form == 2, t**2, "{:.2f}")  # F with sign
    put("sign", (form == 2) | (form == 3), np.where(t < 0, -1, 1), "{}")
    put("p", form == 3, np.clip(p_t, 1e-4, 0.9999), "{:.4f}")
    e = form == 4  # events and totals
    put("total1", e, n1, "{}")
    put("total2", e, n2, "{}")
    put("events1", e, (n1 * rng.uniform(0.1, 0.6, n)).astype(int), "{}")
    put("events2", e, (n2 * rng.uniform(0.1, 0.6, n)).astype(int), "{}")
    o = form == 5  # odds ratio with its CI
    lor = g * np.pi / np.sqrt(3)
    put("or", o, np.exp(lor))
    put("or_ci_lb", o, np.exp(lor - 1.96 * 0.3), "{:.4f}")
    put("or_ci_ub", o, np.exp(lor + 1.96 * 0.3), "{:.4f}")
    d = form == 6  # mean difference with its CI
    put("md", d, g * sd)
    put("md_ci_lb", d, g * sd - 1.97 * sd * se)
    put("md_ci_ub", d, g * sd + 1.97 * sd * se)
    pp = form == 7  # pre-post
    put("pre_m", pp, np.full(n, 10.0))
    put("post_m", pp, 10 + g * sd)
    put("pre_sd", pp, sd)
    put("n_prepost", pp, n1, "{}")
    put("prepost_r", pp, np.full(n, 0.6), "{:.2f}")
    put("d_reported", form == 8, g)  # d with its variance
    put("d_var_reported", form == 8, se**2 + g**2 / (2 * (n1 + n2)), "{:.5f}")
    put("d_reported", (form == 9) | (form == 10), g)  # d with the group sizes
    return pd.DataFrame(cols, columns=header)


def _project(dest: Path, n: int) -> Path:
    for name in ("config.yaml", "data"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dest / name)
    synthetic_extraction(n).to_csv(dest / EFFECTS, index=False)  # the quotes (commas, quote marks) quoted
    return dest


def _child(args: list[str]) -> None:
    from evsynth.pipeline.cli import main

    t0 = time.perf_counter()
    with open(os.devnull, "w") as sink:
        saved, sys.stdout = sys.stdout, sink
        try:
            rc = main(args)
        finally:
            sys.stdout = saved
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rc": rc, "seconds": secs, "peak_MB": peak}))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="1000000", help="comma-separated row counts (default 1000000)")
    ap.add_argument("--commands", default=",".join(COMMANDS))
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--make", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.make:
        d, n = a.make.rsplit(":", 1)
        _project(Path(d), int(n))
        return 0
    if a.child:
        _child(json.loads(a.child))
        return 0
    sizes = [int(s) for s in a.rows.split(",")]
    commands = [c for c in a.commands.split(",") if c]
    results: dict[int, dict[str, dict]] = {}
    for n in sizes:
        results[n] = {}
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            # made in a process of its own: a child's peak memory (ru_maxrss) counts what its
            # parent held when it was forked (Linux keeps it across exec)
            subprocess.run([sys.executable, __file__, "--make", f"{d}:{n}"], check=True)
            project = Path(d)
            size = (project / EFFECTS).stat().st_size
            print(
                f"{n:,} rows: table of {size / 2**20:.0f} MiB written in {time.perf_counter() - t0:.1f} s",
                file=sys.stderr,
            )
            for c in commands:
                try:
                    p = subprocess.run(
                        [sys.executable, __file__, "--child", json.dumps(COMMANDS[c])],
                        cwd=project,
                        capture_output=True,
                        text=True,
                        timeout=a.timeout,
                    )
                    r = json.loads(p.stdout.strip().splitlines()[-1]) if p.stdout.strip() else {"rc": p.returncode}
                except subprocess.TimeoutExpired:
                    r = {"rc": "timeout", "seconds": a.timeout, "peak_MB": float("nan")}
                if r.get("rc") != 0:
                    print(f"{n:,} rows, {c}: failed ({r.get('rc')})\n{p.stderr[-3000:]}", file=sys.stderr)
                    r = {"rc": r.get("rc"), "seconds": float("nan"), "peak_MB": float("nan")}
                results[n][c] = r
                print(f"{n:,} rows, {c}: {r['seconds']:.2f} s, {r['peak_MB']:.0f} MB", file=sys.stderr, flush=True)
    print(
        f"\nbench_extraction: {os.cpu_count()} CPUs visible; Python {sys.version.split()[0]}; "
        "each command a fresh process (seconds / peak resident MB)\n"
    )
    print("| command | " + " | ".join(f"{n:,} rows" for n in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for c in commands:
        cells = [f"{results[n][c]['seconds']:.2f} s / {results[n][c]['peak_MB']:.0f} MB" for n in sizes]
        print(f"| {c} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
