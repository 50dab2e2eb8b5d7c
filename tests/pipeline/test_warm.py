"""The warm start of the pipeline's jobs (src/evsynth/pipeline/warm.py): the ``evsynth``
command hands its work to a server that imported the library once.

Expected values are the same commands run cold (a fresh interpreter each): the outputs, the
messages and the exit statuses must be identical byte for byte."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import BIN, ROOT

HEAVY = ("numpy", "pandas", "scipy", "scipy.stats", "matplotlib", "jinja2")
EVSYNTH = str(BIN / "evsynth")


def _env(server: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "EVSYNTH_SERVER"}
    if server:
        env["EVSYNTH_SERVER"] = server
    return env


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("warm") / "s.sock")
    proc = subprocess.Popen([sys.executable, "-m", "evsynth.pipeline.warm", "serve", path], cwd=ROOT)
    for _ in range(600):
        if Path(path).exists():
            break
        time.sleep(0.05)
    yield path
    proc.terminate()
    proc.wait(30)


def _evsynth(args, tmp, server=None):
    return subprocess.run(
        [EVSYNTH, "--allow-dir", str(tmp), *args], cwd=ROOT, capture_output=True, text=True, env=_env(server)
    )


def test_the_command_line_imports_no_numerics():
    """Starting `evsynth` costs an interpreter and the standard library, not pandas/scipy/matplotlib."""
    code = (
        "import sys, evsynth.pipeline.cli, evsynth.pipeline.warm; "
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_served_command_runs_in_the_server_not_in_the_caller(server, tmp_path):
    out = tmp_path / "effects.csv"
    code = (
        "import sys; from evsynth.pipeline.cli import main; "
        f"sys.argv = ['evsynth', '--allow-dir', {str(tmp_path)!r}, 'effects', 'barlow2014', '--out', {str(out)!r}]; "
        "rc = main(); "
        f"print(rc, sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=_env(server))
    # the served command says what it wrote (issue 17), then the caller prints its status and modules
    assert r.stdout.strip().splitlines() == [
        f"evsynth effects: wrote {out} (26 rows)",
        f"evsynth effects: wrote {tmp_path / 'exclusions.csv'} (0 rows)",
        "0 []",
    ], r.stderr
    assert out.is_file() and out.stat().st_size > 0


def test_served_outputs_equal_cold_outputs(server, tmp_path):
    for name, srv in (("cold", None), ("warm", server)):
        d = tmp_path / name
        assert _evsynth(["effects", "aloe2013", "--out", str(d / "effects.csv")], tmp_path, srv).returncode == 0
        r = _evsynth(
            ["fit", "aloe2013", "--effects", str(d / "effects.csv"), "--outdir", str(d / "fit")], tmp_path, srv
        )
        assert r.returncode == 0, r.stderr
        r = _evsynth(
            ["diagnose", "aloe2013", "--effects", str(d / "effects.csv"), "--outdir", str(d / "diag")], tmp_path, srv
        )
        assert r.returncode == 0, r.stderr
    cold = sorted(p.relative_to(tmp_path / "cold") for p in (tmp_path / "cold").rglob("*") if p.is_file())
    warm = sorted(p.relative_to(tmp_path / "warm") for p in (tmp_path / "warm").rglob("*") if p.is_file())
    assert cold == warm and len(cold) > 10
    for rel in cold:
        assert (tmp_path / "cold" / rel).read_bytes() == (tmp_path / "warm" / rel).read_bytes(), rel


@pytest.mark.parametrize(
    "args, status",
    [
        (["fit", "nope", "--effects", "x.csv", "--outdir", "o"], 1),  # a bad analysis id: one message
        (["fit"], 2),  # a usage error (argparse)
        (["check-config", "--config", "config.yaml"], 0),  # stdout passed through
    ],
)
def test_messages_and_exit_status_are_those_of_a_cold_run(server, tmp_path, args, status):
    cold = _evsynth(args, tmp_path)
    warm = _evsynth(args, tmp_path, server)
    assert cold.returncode == warm.returncode == status
    assert (warm.stdout, warm.stderr) == (cold.stdout, cold.stderr)
    assert "Traceback" not in warm.stderr


def test_without_an_answering_server_the_command_runs_itself(tmp_path):
    out = tmp_path / "effects.csv"
    r = _evsynth(["effects", "aloe2013", "--out", str(out)], tmp_path, str(tmp_path / "no-such.sock"))
    assert r.returncode == 0, r.stderr
    assert out.is_file()


def test_run_starts_and_stops_the_server(tmp_path):
    """`python -m evsynth.pipeline.warm -- CMD` gives CMD a server and returns CMD's status."""
    script = tmp_path / "probe.py"
    script.write_text(
        "import os, socket, sys\n"
        "s = socket.socket(socket.AF_UNIX); s.connect(os.environ['EVSYNTH_SERVER'])\n"
        "print(os.environ['EVSYNTH_SERVER']); sys.exit(3)\n"
    )
    r = subprocess.run(
        [sys.executable, "-m", "evsynth.pipeline.warm", "--", sys.executable, str(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_env(None),
    )
    assert r.returncode == 3, r.stderr
    sock = Path(r.stdout.strip())
    assert sock.name == "server.sock" and not sock.parent.exists()  # cleaned up
