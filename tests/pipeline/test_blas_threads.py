"""Every pipeline command computes on one core: the command line pins BLAS to one thread
before numpy loads (Snakemake runs a job per core; a BLAS thread per core in every job
oversubscribed the machine), and a user's own setting wins."""

import subprocess
import sys

from evsynth.pipeline import warm

PROBE = """
import os, sys
for v in {vars!r}:
    os.environ.pop(v, None)
{setting}
from evsynth.pipeline.cli import main
assert "numpy" not in sys.modules  # the command line pins before numpy is loaded
main(["check-config", "--config", "no-such-config.yaml"])  # any command (this one fails with a message)
import numpy  # noqa: F401
from threadpoolctl import threadpool_info
print(os.environ["OPENBLAS_NUM_THREADS"], max(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"))
"""


def _probe(tmp_path, setting: str = "") -> list[str]:
    code = PROBE.format(vars=warm.BLAS_THREADS, setting=setting)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_a_command_runs_blas_on_one_thread(tmp_path):
    assert _probe(tmp_path) == ["1", "1"]


def test_the_users_setting_wins(tmp_path):
    env_var, threads = _probe(tmp_path, "os.environ['OPENBLAS_NUM_THREADS'] = '2'")
    assert env_var == "2" and int(threads) <= 2


def test_one_blas_thread_sets_only_what_is_unset(monkeypatch):
    for v in warm.BLAS_THREADS:
        monkeypatch.delenv(v, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "4")
    warm.one_blas_thread()
    import os

    assert os.environ["OPENBLAS_NUM_THREADS"] == "1" and os.environ["OMP_NUM_THREADS"] == "1"
    assert os.environ["MKL_NUM_THREADS"] == "4"
