"""A warm start for the pipeline's jobs: one process imports the library once, and every
``evsynth`` command of a run is a fork of it instead of a new interpreter.

Every Snakemake job is one ``evsynth`` command.  Started cold, each spends about 1.3 s of CPU
importing pandas, scipy.stats and the library before it computes anything (figures and the
report more, for matplotlib and jinja2) -- most of a cold ``make report``.  ``make report``
therefore runs Snakemake under

    python -m evsynth.pipeline.warm -- COMMAND...

which starts a server (``python -m evsynth.pipeline.warm serve SOCKET``: binds a Unix socket in
a fresh private temporary folder, imports :data:`PRELOAD`, then forks one child per request),
runs COMMAND with ``$EVSYNTH_SERVER`` naming the socket, and stops the server when COMMAND
ends (its exit status is COMMAND's).

The ``evsynth`` command line (:func:`evsynth.pipeline.cli.main`) first calls :func:`delegate`:
with ``$EVSYNTH_SERVER`` set and the server answering, it sends its arguments, working folder,
environment and its standard input, output and error (the file descriptors themselves), and
waits for the exit status; the forked child runs the very same ``main(argv)`` in that folder
with that environment, writing straight to the caller's stdout/stderr.  Signals the caller gets
(a cancelled job) are passed on to the child.  Without the variable, or when nothing answers
(a job on another machine of a cluster, a server that is gone), the command runs in its own
process exactly as before: the server changes how fast a job starts, never what it computes
(the results are byte-identical; tested).  Snakemake still schedules, runs and reruns every
job on its own; only the local run of ``make report`` uses the server (a cluster executor
does not: jobs there are separate processes, as before).

The client side (:func:`delegate`) imports nothing but the standard library."""

from __future__ import annotations

import os
import sys

__all__ = ["ENV", "PRELOAD", "BLAS_THREADS", "one_blas_thread", "delegate", "serve", "run"]

#: the environment variables that set how many threads a BLAS library starts (read when numpy loads)
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


def one_blas_thread() -> None:
    """Each pipeline command computes on one core (unless the environment says otherwise):
    Snakemake runs a job per core (``--cores``), and a BLAS library starting a thread per core
    in every job oversubscribes the machine -- the blocked sums of the tau^2 iterations then
    wait on each other: at k = 200,000 the fit stage took 40 s with two BLAS threads on the busy
    2-core machine and 9 s with one.  Called before numpy is first imported (the command line,
    the warm server); the results are the same (checked: make report byte-identical)."""
    for var in BLAS_THREADS:
        os.environ.setdefault(var, "1")


ENV = "EVSYNTH_SERVER"
#: what the server imports before it answers: everything a stage imports
PRELOAD = (
    "evsynth.pipeline.cli",
    "evsynth.pipeline.stages",
    "evsynth.pipeline.multiverse",
    "evsynth.engine.batch",
    "evsynth.review.grade",
    "evsynth.review.published",
    "evsynth.review.evidence",
    "evsynth.review.studies",
    "evsynth.review.prisma",
    "evsynth.review.quality",
    "evsynth.review.extraction",
    "evsynth.present.figures",
    "evsynth.present.report",
    "evsynth.conformance.golden",
)
_HEADER = 8  # bytes of the request length


def _std_fds() -> list[int]:
    """Descriptors 0, 1, 2 of this process (a closed one is replaced by /dev/null)."""
    fds = []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
            fds.append(fd)
        except OSError:
            fds.append(os.open(os.devnull, os.O_RDWR))
    return fds


def delegate(argv: list[str]) -> int | None:
    """Run ``evsynth argv`` in a fork of the warm server; the exit status, or None when no
    server answers (the caller then runs the command itself)."""
    path = os.environ.get(ENV)
    if not path:
        return None
    import json
    import signal
    import socket

    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
    except OSError:
        s.close()
        return None
    env = {k: v for k, v in os.environ.items() if k != ENV}
    body = json.dumps({"argv": list(argv), "cwd": os.getcwd(), "env": env}).encode()
    try:
        socket.send_fds(s, [len(body).to_bytes(_HEADER, "big") + body], _std_fds())
        f = s.makefile("rb")
        pid = int(f.readline().split()[1])
    except (OSError, ValueError, IndexError):
        s.close()
        return None  # the request was not taken: nothing has run yet

    def forward(signum, _frame):
        try:
            os.kill(pid, signum)
        except OSError:
            pass

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, forward)
    while True:
        try:
            line = f.readline()
            break
        except InterruptedError:  # pragma: no cover - retried by Python since 3.5
            continue
    s.close()
    if not line.startswith(b"exit "):
        sys.stderr.write("evsynth: the command's process ended without an exit status (killed?)\n")
        return 1
    return int(line.split()[1])


def _recv_request(conn) -> tuple[dict, list[int]]:
    import json
    import socket

    data, fds, _flags, _addr = socket.recv_fds(conn, 65536, 3)
    while len(data) < _HEADER:
        more = conn.recv(65536)
        if not more:
            raise ConnectionError("incomplete request")
        data += more
    n = int.from_bytes(data[:_HEADER], "big")
    body = data[_HEADER:]
    while len(body) < n:
        more = conn.recv(65536)
        if not more:
            raise ConnectionError("incomplete request")
        body += more
    return json.loads(body.decode()), list(fds)


def _child(conn) -> None:
    """In the forked child: take the request, become the caller's command, report its status."""
    import signal

    code = 1
    try:
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        req, fds = _recv_request(conn)
        conn.sendall(f"pid {os.getpid()}\n".encode())
        for target, fd in zip((0, 1, 2), fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        sys.argv = ["evsynth", *req["argv"]]
        from evsynth.pipeline.cli import main

        try:
            code = main(req["argv"])
        except SystemExit as exc:  # argparse's usage errors, --help
            c = exc.code
            if c is None or isinstance(c, int):
                code = c or 0
            else:
                sys.stderr.write(f"{c}\n")
                code = 1
        except KeyboardInterrupt:
            code = 130
    except BaseException:  # noqa: BLE001 - a bug here must still end this child cleanly
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        try:
            conn.sendall(f"exit {int(code)}\n".encode())
        except OSError:
            pass
        os._exit(int(code) & 0xFF)


def serve(path: str) -> None:
    """Listen on ``path``, import :data:`PRELOAD`, fork one child per request (until SIGTERM)."""
    import importlib
    import signal
    import socket

    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(256)  # requests that arrive while the imports below run wait in the queue
    one_blas_thread()  # before numpy loads: the forked jobs share its thread pool setting
    for name in PRELOAD:
        importlib.import_module(name)
    import matplotlib.pyplot  # noqa: F401  (the figures stage draws with it; its font cache is read here)

    def reap(*_):  # waited for (not ignored), so that `time` of the run counts the children's CPU
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass

    signal.signal(signal.SIGCHLD, reap)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches each command through its caller
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getppid()
    srv.settimeout(2.0)
    while True:
        try:
            conn, _ = srv.accept()
        except TimeoutError:
            if os.getppid() != parent:  # whoever started the server is gone (killed outright)
                os._exit(0)
            continue
        conn.settimeout(None)
        pid = os.fork()
        if pid == 0:
            srv.close()
            _child(conn)
        conn.close()


def run(command: list[str]) -> int:
    """Start a server, run ``command`` with ``$EVSYNTH_SERVER`` set, stop the server; the
    command's exit status."""
    import shutil
    import subprocess
    import tempfile

    folder = tempfile.mkdtemp(prefix="evsynth-warm-")
    path = os.path.join(folder, "server.sock")
    server = subprocess.Popen(
        [sys.executable, "-m", "evsynth.pipeline.warm", "serve", path], stdin=subprocess.DEVNULL, start_new_session=True
    )
    env = dict(os.environ, **{ENV: path})
    try:
        import time

        for _ in range(400):  # until it listens (its imports come after): at most 20 s
            if os.path.exists(path) or server.poll() is not None:
                break
            time.sleep(0.05)
        try:
            proc = subprocess.Popen(command, env=env)
        except OSError as exc:
            sys.stderr.write(f"evsynth: cannot start {command[0]}: {exc.strerror}\n")
            return 1
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:  # Ctrl-C reaches the command too: let it stop cleanly
                continue
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) == 2 and argv[0] == "serve":
        serve(argv[1])
        return 0
    if argv[:1] == ["--"] and len(argv) > 1:
        return run(argv[1:])
    sys.stderr.write(
        "usage: python -m evsynth.pipeline.warm -- COMMAND...\n       python -m evsynth.pipeline.warm serve SOCKET\n"
    )
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
