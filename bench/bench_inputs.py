"""Input checking at scale: time and peak memory of reading and checking an analysis
dataset (read_table + compute_effects) and a schema-checked table (load_table, effects
schema) of 10^4, 10^5 and 10^6 rows.  Each size runs in a fresh process so that its peak
resident memory is its own.  Figures go into README "Bad input".

    .venv/bin/python bench/bench_inputs.py [--sizes 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one(n: int, kind: str) -> dict:
    import numpy as np
    import pandas as pd

    from evsynth.pipeline.dataset import compute_effects
    from evsynth.pipeline.io import load_table, read_table

    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "t.csv"
        if kind == "dataset":
            pd.DataFrame(
                {
                    "study": [f"s{i}" for i in range(n)],
                    "yi": rng.normal(size=n).round(6),
                    "vi": rng.uniform(0.01, 0.2, n).round(6),
                    "design": rng.choice(["rct", "match"], n),
                }
            ).to_csv(p, index=False)
            spec = {
                "id": "b",
                "study_label": "study",
                "effect": {"yi": "yi", "vi": "vi"},
                "direction": {"flip": False},
                "model": {"type": "univariate"},
                "moderators": [{"column": "design", "type": "categorical", "levels": ["rct", "match"]}],
            }
            base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            t0 = time.perf_counter()
            t = read_table(p)
            eff = compute_effects(t.data.replace("", pd.NA), spec, str(p), decimal=t.decimal, rows=t.rows)
            assert len(eff) == n
        else:
            pd.DataFrame(
                {
                    "effect_id": [f"e{i}" for i in range(n)],
                    "study_id": [f"s{i % 47}" for i in range(n)],
                    "outcome": "CBCL",
                    "outcome_domain": "child behaviour",
                    "higher_is_better": "no",
                    "m1": rng.normal(10, 2, n).round(3),
                    "sd1": rng.uniform(1, 3, n).round(3),
                    "n1": rng.integers(10, 100, n),
                    "m2": rng.normal(10, 2, n).round(3),
                    "sd2": rng.uniform(1, 3, n).round(3),
                    "n2": rng.integers(10, 100, n),
                    "source_page": "p. 3",
                    "coder": "AH",
                }
            ).to_csv(p, index=False)
            base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            t0 = time.perf_counter()
            df = load_table(p, "effects")
            assert len(df) == n
        secs = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        size = p.stat().st_size
    return {
        "kind": kind,
        "rows": n,
        "file_MB": round(size / 1e6, 1),
        "seconds": round(secs, 2),
        "peak_MB": round(peak / 1024, 0),
        "added_MB": round((peak - base) / 1024, 0),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        n, kind = a.one.split(":")
        print(json.dumps(one(int(n), kind)))
        return
    print(f"{'table':<10}{'rows':>10}{'file MB':>9}{'seconds':>9}{'peak MB':>9}{'added MB':>10}")
    for kind in ("dataset", "schema"):
        for n in map(int, a.sizes.split(",")):
            out = subprocess.run(
                [sys.executable, __file__, "--one", f"{n}:{kind}"], capture_output=True, text=True, check=True
            )
            r = json.loads(out.stdout)
            print(
                f"{r['kind']:<10}{r['rows']:>10,}{r['file_MB']:>9}{r['seconds']:>9}{r['peak_MB']:>9}{r['added_MB']:>10}"
            )


if __name__ == "__main__":
    main()
