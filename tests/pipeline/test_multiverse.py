"""The multiverse stage.

Expected values: tests/r/multiverse_metafor.csv, written by tests/r/multiverse.R (metafor's
aggregate, influence and rma, one specification at a time) for the multiverses that
config.yaml declares for barlow2014, fukkinklont2007, landenberger2005, vanderpol2017 (MDFT) and
ahrq2015 (family and parenting programmes)."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT, evsynth_cmd
from evsynth.errors import ConfigError, InputError
from evsynth.pipeline import multiverse as mv
from evsynth.pipeline.dataset import compute_effects
from evsynth.pipeline.config import analysis_by_id, load_config, validate_config
from evsynth.pipeline.io import read_table

METAFOR = pd.read_csv(ROOT / "tests" / "r" / "multiverse_metafor.csv")
COLS = ["estimate", "se", "ci_lb", "ci_ub", "pval", "tau2", "I2", "pi_lb", "pi_ub"]


@pytest.fixture(scope="module")
def cfg():
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        yield load_config(ROOT / "config.yaml")
    finally:
        os.chdir(cwd)


def _effects(cfg, aid):
    spec = analysis_by_id(cfg, aid)
    data = read_table(ROOT / spec["dataset"]).data.replace("", pd.NA)
    return spec, compute_effects(data, spec, where=spec["dataset"])


@pytest.mark.parametrize(
    "aid, n",
    [
        ("barlow2014", 20),
        ("fukkinklont2007", 192),
        ("landenberger2005", 288),
        ("vanderpol2017", 288),
        ("ahrq2015", 1152),
    ],
)
def test_every_specification_equals_metafor(cfg, aid, n):
    spec, eff = _effects(cfg, aid)
    specs = mv.specifications(spec)
    assert len(specs) == n
    t = mv.fit_specifications(eff, spec, specs, float(cfg["level"]))
    want = METAFOR[METAFOR["analysis"] == aid].set_index("spec_id").loc[t["spec_id"]]
    assert len(want) == n
    np.testing.assert_array_equal(t["k"].to_numpy(), want["k"].to_numpy())
    np.testing.assert_array_equal(t["n_excluded"].to_numpy(), want["n_excluded"].to_numpy())
    fitted = want["estimate"].notna().to_numpy()
    assert (t["status"].to_numpy()[fitted] == "ok").all()
    assert (t["status"].to_numpy()[~fitted] != "ok").all()
    for c in COLS:
        np.testing.assert_allclose(
            t[c].to_numpy()[fitted], want[c].to_numpy()[fitted], rtol=1e-5, atol=1e-7, err_msg=f"{aid}: {c}"
        )
    # the data give the dimensions something to do (barlow2014 has no influential study)
    assert t["n_excluded"].max() > 0 or aid == "barlow2014"
    assert t["estimate"].nunique() >= n // 4


def test_aggregate_cs_is_the_gls_mean():
    # two clusters; the second has one effect and passes through unchanged
    y, v = np.array([0.2, 0.5, 0.1]), np.array([0.04, 0.09, 0.05])
    ya, va, names = mv.aggregate_cs(y, v, ["a", "a", "b"], 0.5)
    V = np.array([[0.04, 0.5 * 0.2 * 0.3], [0.5 * 0.2 * 0.3, 0.09]])
    w = np.linalg.inv(V).sum(axis=1)
    assert ya[0] == pytest.approx(w @ y[:2] / w.sum()) and va[0] == pytest.approx(1 / w.sum())
    assert (ya[1], va[1]) == (0.1, 0.05) and names == ["a", "b"]


def test_chunks_gather_to_the_same_table(cfg, tmp_path):
    spec, eff = _effects(cfg, "fukkinklont2007")
    specs = mv.specifications(spec)
    whole = mv.gather([mv.fit_specifications(eff, spec, specs, 95.0)])
    parts = []
    for i in range(5):
        lo, hi = mv.chunk_bounds(len(specs), i, 5)
        parts.append(mv.fit_specifications(eff, spec, specs.iloc[lo:hi], 95.0))
    assert sum(len(p) for p in parts) == len(specs)
    pd.testing.assert_frame_equal(mv.gather(parts[::-1]), whole)
    with pytest.raises(InputError, match="exactly once"):
        mv.gather(parts[:2], len(specs))
    with pytest.raises(InputError, match="out of range"):
        mv.chunk_bounds(10, 3, 3)


def test_summary_tables_from_the_metafor_numbers(cfg):
    """The report's numbers, computed from metafor's estimates with numpy."""
    spec = analysis_by_id(cfg, "fukkinklont2007")
    want = METAFOR[METAFOR["analysis"] == "fukkinklont2007"].reset_index(drop=True)
    t = mv.specifications(spec)
    for c in ["k", "n_excluded"] + COLS:
        t[c] = want[c].to_numpy()
    t["status"] = np.where(want["estimate"].notna(), "ok", "too few")
    t = mv.gather([t])
    summ, dims = mv.summary_tables(t, spec)
    ok = want["estimate"].notna()
    est = want.loc[ok, "estimate"]
    excl = (want.loc[ok, "ci_lb"] > 0) | (want.loc[ok, "ci_ub"] < 0)
    s = summ.iloc[0]
    assert s["n_specifications"] == 192 and s["n_fitted"] == ok.sum()
    assert s["median_estimate"] == pytest.approx(np.median(est))
    assert s["n_ci_excludes_zero"] == excl.sum() and s["pct_ci_excludes_zero"] == pytest.approx(100 * excl.mean())
    spreads = {}
    for name, choices in mv.dimensions(spec):
        meds = [np.median(est[(t.loc[ok, name].astype(str) == str(c)).to_numpy()]) for c in choices]
        spreads[name] = max(meds) - min(meds)
    top = max(spreads, key=spreads.get)
    assert s["most_influential_dimension"] == top
    assert s["spread_of_medians"] == pytest.approx(spreads[top])
    # rank orders the fitted specifications by estimate
    r = t.dropna(subset=["rank"]).sort_values("rank")
    assert np.all(np.diff(r["estimate"].to_numpy()) >= 0)


def test_config_errors_are_named(cfg):
    bad = yaml.safe_load(yaml.safe_dump(cfg))
    a = next(x for x in bad["analyses"] if x["id"] == "barlow2014")
    a["multiverse"]["rho"] = [0.5]
    with pytest.raises(ConfigError, match=r"analyses\[0\]\.multiverse\.rho: .*model\.cluster"):
        validate_config(bad)
    a["multiverse"].pop("rho")
    a["multiverse"]["method"] = ["REML", "XX"]
    with pytest.raises(ConfigError, match="multiverse"):
        validate_config(bad)


def test_missing_subset_column_is_one_clear_message(cfg):
    spec, eff = _effects(cfg, "barlow2014")
    spec = dict(spec, multiverse={"subsets": [{"name": "design", "column": "Design", "options": [{"label": "all"}]}]})
    with pytest.raises(InputError, match="multiverse subset 'design': column 'Design' is not in the effect-size table"):
        mv.fit_specifications(eff, spec, mv.specifications(spec), 95.0)


@pytest.mark.parametrize(
    "aid, message",
    [("aloe2013", "declares no multiverse"), ("fukkinklont2007", "x.csv: the effect-size table does not exist")],
)
def test_cli_errors_exit_1_without_traceback(tmp_path, aid, message):
    # tmp_path is outside the project folder: allowed explicitly (path confinement, README "Bad input")
    out = subprocess.run(
        evsynth_cmd()
        + [
            "--allow-dir",
            str(tmp_path),
            "multiverse",
            aid,
            "--effects",
            str(tmp_path / "x.csv"),
            "--out",
            str(tmp_path / "o.csv"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1
    assert message in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "o.csv").exists()


def test_quality_threshold_options_min_and_max():
    """A numeric column filtered by min/max (e.g. a quality score); each subset's fit is rma's
    on the rows kept (a row without a score is kept only by the option without a filter)."""
    from evsynth.engine import rma

    rng = np.random.default_rng(3)
    score = np.array([2, 4, 5, 6, np.nan, 4, 7, 3, 5, 6], dtype=float)
    v = rng.uniform(0.02, 0.1, score.size)
    eff = pd.DataFrame(
        {"study": [f"s{i}" for i in range(score.size)], "yi": rng.normal(0.3, 0.3, score.size), "vi": v, "score": score}
    )
    spec = {
        "id": "q",
        "model": {"type": "univariate", "method": "REML", "test": "z"},
        "multiverse": {
            "subsets": [
                {
                    "name": "quality",
                    "column": "score",
                    "options": [
                        {"label": "all"},
                        {"label": "score >= 4", "min": 4},
                        {"label": "4 <= score <= 5", "min": 4, "max": 5},
                    ],
                }
            ],
            "method": ["DL"],
        },
    }
    t = mv.fit_specifications(eff, spec, mv.specifications(spec), 95.0)
    keeps = [np.ones(score.size, bool), score >= 4, (score >= 4) & (score <= 5)]
    assert t["k"].tolist() == [int(k.sum()) for k in keeps] == [10, 7, 4]
    for i, keep in enumerate(keeps):
        f = rma(eff["yi"][keep], eff["vi"][keep], method="DL")
        assert t["estimate"][i] == pytest.approx(f.estimate, rel=1e-10)
        assert t["ci_ub"][i] == pytest.approx(f.ci_ub[0], rel=1e-10)


def test_a_changed_multiverse_config_is_rerun_not_gathered_from_old_blocks(tmp_path):
    """After a config change (other estimators, other number of chunks) the next run fits the
    new specifications; the blocks of the old config are never gathered. Checked with
    --rerun-triggers mtime (no help from Snakemake's record of params) and with the record wiped."""
    from conftest import copy_project, snakemake

    proj = copy_project(tmp_path / "p")
    target = "results/barlow2014/multiverse.csv"
    snakemake(proj, target)
    first = pd.read_csv(proj / target)
    blocks = proj / "results/barlow2014/multiverse"
    (old,) = [p for p in blocks.iterdir() if p.is_dir()]
    (blocks / "chunk_0.csv").write_text("left by the layout before keys\n")
    assert len(first) == 20 and set(first["method"]) == {"REML", "DL", "PM", "ML", "EE"}

    cfg_path = proj / "config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text())
    b = next(a for a in cfg["analyses"] if a["id"] == "barlow2014")
    b["multiverse"].update(method=["DL", "EE"], chunks=3)
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    shutil.rmtree(proj / ".snakemake", ignore_errors=True)  # Snakemake's record of params and code
    out = snakemake(proj, target, "--rerun-triggers", "mtime", check=False)
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
    second = pd.read_csv(proj / target)
    assert len(second) == 8 and set(second["method"]) == {"DL", "EE"}
    assert second["spec_id"].tolist() == list(range(1, 9))
    # the old config's block folder and the pre-key block are gone; only the new key's folder stays
    (new,) = [p for p in blocks.iterdir() if p.is_dir()]
    assert new.name != old.name and not old.exists() and not (blocks / "chunk_0.csv").exists()
    assert sorted(p.name for p in new.iterdir()) == ["chunk_0.csv", "chunk_1.csv", "chunk_2.csv"]
    # the same specification fitted under both configs has the same numbers
    m = first.merge(second, on=["influential", "method", "test"], suffixes=("_1", "_2"))
    assert len(m) == 8
    np.testing.assert_array_equal(m["estimate_1"].to_numpy(), m["estimate_2"].to_numpy())


def test_influence_flags_dfbetas_as_metafor():
    """metafor's is.infl has four criteria (DFFITS, Cook's distance, hat, |DFBETAS| > 1). In this
    specification of the ahrq2015 multiverse only DFBETAS flags study 5 (tests/r/influence_dfbetas.R)."""
    import json

    from evsynth.engine import influence, rma

    want = json.loads((ROOT / "tests" / "r" / "influence_dfbetas.json").read_text())
    inf = influence(rma(np.array(want["yi"]), np.array(want["vi"]), method="REML"))
    np.testing.assert_allclose(inf.dffits, want["dffits"], rtol=1e-6)
    np.testing.assert_allclose(inf.cooks_distance, want["cook_d"], rtol=1e-6)
    np.testing.assert_allclose(inf.hat, want["hat"], rtol=1e-6)
    assert np.asarray(inf.influential, bool).tolist() == want["is_infl"]
    dfbs = np.asarray(want["dfbs"])
    only_dfbs = (np.abs(dfbs) > 1) & ~(np.abs(want["dffits"]) > 3 * np.sqrt(1 / 9)) & ~(np.asarray(want["hat"]) > 0.3)
    assert only_dfbs.sum() == 1 and want["is_infl"][int(np.flatnonzero(only_dfbs)[0])]
