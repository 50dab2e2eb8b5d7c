"""rma_batch: many intercept-only fits at once.

Expected values: metafor's (the golden cases, fitted all at once in one padded batch) and an
independent path, ``rma`` looped over the analyses one by one (itself checked against metafor
by the golden suite); the batch must equal the loop to 1e-10."""

from __future__ import annotations

import numpy as np
import pytest

import evsynth
from evsynth.conformance.golden import _case_frame, compare, load_case
from evsynth.engine import confint_tau2, rma, rma_batch
from evsynth.errors import InputError, ModelError

METHODS = ["EE", "DL", "HE", "PM", "ML", "REML", "EB"]
FIELDS = [
    "beta",
    "se",
    "stat",
    "pval",
    "ci_lb",
    "ci_ub",
    "tau2",
    "se_tau2",
    "QE",
    "QEp",
    "QM",
    "QMp",
    "I2",
    "H2",
    "vt",
    "pi_lb",
    "pi_ub",
]


def _ref(f) -> dict:
    ref = {
        "beta": f.beta[0],
        "se": f.se[0],
        "stat": f.stat[0],
        "pval": f.pval[0],
        "ci_lb": f.ci_lb[0],
        "ci_ub": f.ci_ub[0],
        "tau2": f.tau2,
        "se_tau2": np.nan if f.se_tau2 is None else f.se_tau2,
        "QE": f.QE,
        "QEp": f.QEp,
        "QM": f.QM,
        "QMp": f.QMp,
        "I2": f.I2,
        "H2": f.H2,
        "vt": f.vt,
        "pi_lb": f.ci_lb[0] if f.pi_lb is None else f.pi_lb,
        "pi_ub": f.ci_ub[0] if f.pi_ub is None else f.pi_ub,
    }
    return ref


def _close(got, want, tol=1e-10):
    if np.isnan(want):
        return np.isnan(got)
    if np.isinf(want):
        return got == want
    return abs(got - want) <= tol * max(1.0, abs(want))


def _random_batch(seed, n=120, kmax=25):
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.005, 0.3, (n, kmax))
    tau2 = rng.choice([0.0, 0.005, 0.05, 0.3], n)
    y = rng.normal(0.2, np.sqrt(v + tau2[:, None]))
    k = rng.integers(2, kmax + 1, n)
    mask = np.arange(kmax)[None, :] < k[:, None]
    # scatter the mask so that masked cells are not only at the end of each row
    perm = rng.permutation(kmax)
    return y[:, perm], v[:, perm], mask[:, perm]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("test", ["z", "knha"])
def test_batch_equals_rma_loop(method, test):
    y, v, mask = _random_batch(7)
    b = rma_batch(y, v, mask, method=method, test=test, confint=method != "EE")
    assert len(b) == y.shape[0]
    checked = 0
    for i in range(y.shape[0]):
        s = mask[i]
        assert b.k[i] == s.sum()
        f = rma(y[i, s], v[i, s], method=method, test=test)
        assert b.status[i] == "ok"
        for key, want in _ref(f).items():
            assert _close(getattr(b, key)[i], want), (i, key, getattr(b, key)[i], want)
        if method != "EE":
            c = confint_tau2(f)
            for key in ("tau2_ci_lb", "tau2_ci_ub", "I2_ci_lb", "I2_ci_ub", "H2_ci_lb", "H2_ci_ub"):
                assert _close(getattr(b, key)[i], getattr(c, key)), (i, key)
        checked += 1
    assert checked == y.shape[0]
    # the data cover both the boundary and the interior for the estimators of tau^2
    if method not in ("EE",):
        assert np.any(b.tau2 == 0) and np.any(b.tau2 > 0.05)


def test_batch_level_and_iterations():
    y, v, mask = _random_batch(11, n=40)
    b = rma_batch(y, v, mask, method="REML", test="knha", level=90, confint=True)
    for i in range(40):
        s = mask[i]
        f = rma(y[i, s], v[i, s], method="REML", test="knha", level=90)
        assert _close(b.ci_lb[i], f.ci_lb[0]) and _close(b.pi_ub[i], f.pi_ub)
        assert b.iterations[i] == f.extra["iterations"]
        assert _close(b.tau2_ci_ub[i], confint_tau2(f).tau2_ci_ub)


def _golden_cases(golden):
    cases = []
    for path in sorted((golden / "cases").glob("*.json")):
        case = load_case(path)
        model = case.get("model") or {}
        if case["analysis"] not in ("rma", "confint") or model.get("mods") or model.get("random"):
            continue
        if model.get("method", "REML") not in METHODS + ["FE"]:
            continue
        cases.append(case)
    return cases


def test_batch_reproduces_golden_cases(golden):
    """Every intercept-only rma/confint case of a batched estimator, fitted together in one
    padded batch per (method, test), against metafor's values with the case's tolerance."""
    cases = _golden_cases(golden)
    assert len(cases) >= 10
    groups: dict = {}
    for case in cases:
        m = case["model"]
        groups.setdefault((m.get("method", "REML"), m.get("test", "z")), []).append(case)
    n_checked = 0
    for (method, test), group in groups.items():
        data = [_case_frame(c, golden / "data")[1:] for c in group]
        kmax = max(len(yi) for yi, _ in data)
        Y = np.zeros((len(group), kmax))
        V = np.ones((len(group), kmax))
        M = np.zeros((len(group), kmax), dtype=bool)
        for r, (yi, vi) in enumerate(data):
            Y[r, : len(yi)], V[r, : len(yi)], M[r, : len(yi)] = yi, vi, True
        b = rma_batch(Y, V, M, method=method, test=test, confint=any(c["analysis"] == "confint" for c in group))
        for r, case in enumerate(group):
            if case["analysis"] == "confint":
                got = {"tau2_est": b.tau2[r]} | {
                    key: getattr(b, key)[r]
                    for key in ("tau2_ci_lb", "tau2_ci_ub", "I2_ci_lb", "I2_ci_ub", "H2_ci_lb", "H2_ci_ub")
                }
            else:
                got = {key: getattr(b, key)[r] for key in FIELDS} | {"coef_names": "intrcpt", "k": b.k[r]}
                got["df"] = None if test == "z" else b.df[r]
                if method in ("EE", "FE"):
                    got.update(se_tau2=None, pi_lb=None, pi_ub=None, tau2=0.0)
                for key in ("se_tau2",):
                    if got[key] is not None and np.isnan(got[key]):
                        got[key] = None
            expected = {k: v for k, v in case["expected"].items() if k != "R2"}
            msg = compare(got, expected, case.get("tolerance", {}))
            assert msg is None, f"{case['id']}: {msg}"
            n_checked += 1
    assert n_checked == len(cases)


def test_unequal_k_and_mask_placement_do_not_matter():
    y, v, mask = _random_batch(3, n=30)
    b = rma_batch(y, v, mask, method="REML")
    # the same analyses packed to the left of each row, with garbage in the masked cells
    Y = np.full_like(y, np.nan)
    V = np.full_like(v, -1.0)
    M = np.zeros_like(mask)
    for i in range(30):
        k = mask[i].sum()
        Y[i, :k], V[i, :k], M[i, :k] = y[i, mask[i]], v[i, mask[i]], True
    b2 = rma_batch(Y, V, M, method="REML")
    np.testing.assert_allclose(b2.beta, b.beta, rtol=1e-12)
    np.testing.assert_allclose(b2.tau2, b.tau2, rtol=1e-12, atol=1e-15)


def test_single_analysis_as_1d_and_top_level_export():
    rng = np.random.default_rng(5)
    v = rng.uniform(0.01, 0.1, 12)
    y = rng.normal(0.3, np.sqrt(v + 0.02))
    b = evsynth.rma_batch(y, v, method="DL", test="knha")
    f = rma(y, v, method="DL", test="knha")
    assert len(b) == 1 and _close(b.beta[0], f.estimate) and _close(b.pval[0], f.pval[0])
    assert "rma_batch" in dir(evsynth)


def test_to_frame_and_summary():
    y, v, mask = _random_batch(9, n=20)
    b = rma_batch(y, v, mask, method="PM", test="knha", confint=True)
    df = b.to_frame()
    assert len(df) == 20
    for col in ("k", "beta", "se", "ci_lb", "tau2", "tau2_ci_ub", "pi_lb", "status"):
        assert col in df.columns
    np.testing.assert_array_equal(df["beta"].to_numpy(), b.beta)
    s = b.summary()
    assert "20 intercept-only models" in s and "tau^2 estimator: PM" in s
    assert f"{np.median(b.beta):9.4f}" in s


def test_exact_fit_under_knapp_hartung_is_flagged_not_raised():
    y = np.array([[0.2, 0.2, 0.2], [0.1, 0.4, 0.3]])
    v = np.full((2, 3), 0.05)
    b = rma_batch(y, v, method="DL", test="knha")
    assert b.status[0].startswith("knha undefined") and np.isnan(b.se[0])
    assert b.status[1] == "ok" and _close(b.se[1], rma(y[1], v[1], method="DL", test="knha").se[0])
    with pytest.raises(ModelError):
        rma(y[0], v[0], method="DL", test="knha")


@pytest.mark.parametrize(
    "bad, where",
    [
        ("nan_y", "yi: effect size is missing or not finite in analysis (row) 2, column 3"),
        ("zero_v", "vi: sampling variance must be > 0; found 0 in analysis (row) 1, column 2"),
    ],
)
def test_bad_input_names_row_and_column(bad, where):
    y = np.zeros((2, 4))
    v = np.full((2, 4), 0.1)
    if bad == "nan_y":
        y[1, 2] = np.nan
    else:
        v[0, 1] = 0.0
    with pytest.raises(InputError, match=__import__("re").escape(where)):
        rma_batch(y, v)


def test_too_few_and_unknown_method():
    y = np.zeros((2, 3))
    v = np.full((2, 3), 0.1)
    mask = np.array([[1, 1, 1], [1, 0, 0]], dtype=bool)
    with pytest.raises(ModelError, match=r"analysis \(row\) 2 has k = 1"):
        rma_batch(y, v, mask, method="REML")
    assert rma_batch(y, v, mask, method="EE").k.tolist() == [3, 1]
    with pytest.raises(InputError, match="allowed"):
        rma_batch(y, v, method="SJ")
    with pytest.raises(InputError, match="mask has shape"):
        rma_batch(y, v, mask[:, :2])


@pytest.mark.parametrize("method", METHODS)
def test_full_rows_without_mask(method):
    y, v, _ = _random_batch(21, n=30, kmax=15)
    b = rma_batch(y, v, method=method, test="knha")
    for i in range(30):
        for key, want in _ref(rma(y[i], v[i], method=method, test="knha")).items():
            assert _close(getattr(b, key)[i], want), (i, key)


@pytest.mark.parametrize("method", ["ML", "REML", "EB"])
def test_safeguard_after_maxiter_as_rma(method):
    """With maxiter = 2 most rows do not converge by scoring: rma then takes the root of the
    score (EB: the Paule-Mandel root); the batch must take the same path."""
    y, v, mask = _random_batch(13, n=40)
    con = {"maxiter": 2}
    b = rma_batch(y, v, mask, method=method, control=con)
    assert np.sum(b.iterations == 2) > 10
    for i in range(40):
        s = mask[i]
        f = rma(y[i, s], v[i, s], method=method, control=con)
        assert _close(b.tau2[i], f.tau2), (i, b.tau2[i], f.tau2)
        assert _close(b.beta[i], f.beta[0])


@pytest.mark.parametrize("method", ["ML", "REML", "EB"])
def test_blocked_scoring_across_block_boundaries(method, monkeypatch):
    """Fisher scoring runs over row blocks, and the rows still iterating when a block is
    nearly done finish together with those of the other blocks.  With blocks of 64 rows,
    300 analyses (masks, unequal k) span five blocks; rows converge at different iterations,
    take halved steps (a step that changes sign and lowers the likelihood; a step below
    tau^2 = 0) and some hit maxiter (the safeguard).  Every row must equal rma's fit of it,
    iteration counts included.  (Seed 17 has 1 (ML) and 6 (REML) steps halved after a sign
    change, counted with an instrumented copy when the test was written.)"""
    import evsynth.engine.batch as batch

    monkeypatch.setattr(batch, "block_rows", lambda k: 64)
    y, v, mask = _random_batch(17, n=300, kmax=30)
    con = {"maxiter": 12}
    b = rma_batch(y, v, mask, method=method, test="knha", control=con)
    its = []
    for i in range(300):
        s = mask[i]
        f = rma(y[i, s], v[i, s], method=method, test="knha", control=con)
        for key, want in _ref(f).items():
            assert _close(getattr(b, key)[i], want), (i, key, getattr(b, key)[i], want)
        assert b.iterations[i] == f.extra["iterations"], i
        its.append(f.extra["iterations"])
    its = np.array(its)
    # the data reach the branches named above: rows done in one step, rows still iterating
    # after a block has let them go (more than a few steps), rows stopped by maxiter
    assert np.any(its == 1) and np.any((its > 4) & (its < 12)) and np.any(its == 12)
    assert len(set(its.tolist())) >= 6


def test_halving_to_nonnegative_as_the_plain_loop():
    """The closed-form count of halvings equals the loop rma runs (exact binary halving)."""
    from evsynth.engine.batch import _halve_to_nonneg

    rng = np.random.default_rng(4)
    t = np.concatenate([10.0 ** rng.uniform(-12, 2, 2000), [1.0, 1.0, 0.5, 3e-300]])
    a = np.concatenate([-t[:2000] * 10.0 ** rng.uniform(-0.5, 8, 2000), [-2.0, -4.0 - 1e-15, -1.0, -1.0]])
    a[:50] = -t[:50] * 2.0 ** rng.integers(1, 40, 50)  # exact powers of two: the boundary case
    sel = t + a < 0
    got = _halve_to_nonneg(t[sel], a[sel])
    want = []
    for ti, ai in zip(t[sel], a[sel]):
        while ti + ai < 0:
            ai /= 2
        want.append(ai)
    np.testing.assert_array_equal(got, np.array(want))
    assert sel.sum() > 1800


def test_block_size_follows_the_cache_and_k(monkeypatch):
    """Blocks: five (rows, k) float arrays in about twice the L2 cache, within [64, 16384]."""
    import evsynth.engine.rowwise as rowwise

    monkeypatch.setattr(rowwise, "_L2", 2 << 20)
    assert rowwise.block_rows(50) == (2 * (2 << 20)) // (5 * 8 * 50) == 2097
    assert rowwise.block_rows(100_000) == 64 and rowwise.block_rows(1) == 16384
    assert rowwise._l2_bytes() > 0
