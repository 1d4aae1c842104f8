"""Runs `conformance run` against each hostile target, as a user runs it: a real process,
real sockets, real report files. The runs start together at the beginning of the session
(a few at a time) and each test waits for the one it asserts on.

Fixtures:

- `hostile_runs` (session) -> `Runs`: `hostile_runs["silent"]` is that case's `Finished`
  run. When the first test asks for it, the runs of every case that a selected test is
  parametrized with (`case`) start, slow ones first.
- `browser` (module): tests.reports' headless Chromium (Debian's; skips unless
  CANDESCENT_TESTS_REQUIRE_BROWSER=1, which fails instead).

A test takes the case it asserts on as its `case` parameter (a `tests.hostile.table.Case`).
"""

from __future__ import annotations

import base64
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest

from tests.hostile.server import (
    UNKNOWN_HOST_URL,
    HostileServer,
    Seen,
    closed_port_url,
    self_signed_tls,
)
from tests.hostile.table import BY_NAME, CASES, SLOW, STORM, Case
from tests.reports.conftest import browser  # noqa: F401 - the fixture, shared

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4  # runs at a time: most of a run's time is waiting on its target
KILL_AFTER = 30.0  # seconds past a case's bound: a hung run is killed and fails its test
TOKEN_PATH = "/oauth2/v1/token"

# The client's credentials. The id's length keeps base64("id:secret") out of step with
# base64("secret"), so a leak of the Basic header cannot hide behind the secret's mask.
CLIENT_ID = "hostile-client-1"
CLIENT_SECRET = "CANARY-client-secret-5e1f"
PASSWORD = "CANARY-password-0b77"
CREDENTIALS = {
    "CONFORMANCE_CLIENT_ID": CLIENT_ID,
    "CONFORMANCE_CLIENT_SECRET": CLIENT_SECRET,
    "CONFORMANCE_INSTITUTION_ID": "00016",
    "CONFORMANCE_USERNAME": "hostile-user",
    "CONFORMANCE_PASSWORD": PASSWORD,
}
BASIC = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
SECRETS = sorted(
    {CLIENT_SECRET, PASSWORD, BASIC, quote_plus(BASIC)}
    | {base64.b64encode(s.encode()).decode() for s in (CLIENT_SECRET, PASSWORD)}
)
# The environment of a run: this process's, less any CONFORMANCE_* setting (read once, at
# import: the autouse clean_environment fixture edits os.environ while runs are going).
BASE_ENV = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}


@dataclass
class Finished:
    """One `conformance run` against one hostile target, and what the target saw."""

    case: Case
    url: str
    exit_code: int
    stdout: str
    stderr: str
    elapsed_s: float
    max_rss_mib: float
    report_dir: Path
    killed: bool = False
    seen: list[Seen] = field(default_factory=list)  # requests the target read
    sink_url: str = ""
    sink_seen: list[Seen] = field(default_factory=list)  # requests the redirect sink read
    body_bytes_sent: int = 0

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    def report(self, name: str) -> Path:
        return self.report_dir / name

    def results(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.report("results.json").read_text("utf-8"))
        return document

    def html(self) -> str:
        return self.report("report.html").read_text(encoding="utf-8")

    def messages(self, *outcomes: str) -> list[str]:
        """The messages of the results with one of `outcomes` (default: all not passed)."""
        wanted = outcomes or ("failed", "warned", "error")
        return [r["message"] for r in self.results()["results"] if r["outcome"] in wanted]

    def artifacts(self) -> dict[str, str]:
        """Every report file's text, and what the run printed."""
        texts = {p.name: p.read_text(encoding="utf-8") for p in self.report_dir.iterdir()}
        return texts | {"stdout": self.stdout, "stderr": self.stderr}

    def describe(self) -> str:
        """For assertion messages: how the run ended and the ends of its output."""
        return (
            f"{self.case.name}: exit {self.exit_code} in {self.elapsed_s:.1f} s"
            f"{' (killed)' if self.killed else ''}\n--- stdout\n{self.stdout[-3000:]}"
            f"\n--- stderr\n{self.stderr[-3000:]}"
        )


@dataclass
class Target:
    url: str
    server: HostileServer | None = None
    sink: HostileServer | None = None


@contextmanager
def hostile_target(case: Case, tls: ssl.SSLContext) -> Iterator[Target]:
    """The case's target, up for the duration; a sink listens where redirects point."""
    if case.behaviour == "closed-port":
        yield Target(closed_port_url())
        return
    if case.behaviour == "unknown-host":
        yield Target(UNKNOWN_HOST_URL)
        return
    with (
        HostileServer("sink") as sink,
        HostileServer(
            case.behaviour,
            every_request=case.every_request,
            tls=tls if case.tls else None,
            location=sink.url,
        ) as server,
    ):
        yield Target(server.url, server, sink)


def run_case(case: Case, workdir: Path, tls: ssl.SSLContext) -> Finished:
    """`conformance run` against the case's target; its exit, output, time and peak memory."""
    report_dir = workdir / "reports"
    env = {**BASE_ENV, **CREDENTIALS, **dict(case.env)}
    with hostile_target(case, tls) as target:
        command = [
            sys.executable,
            "-m",
            "conformance.cli",
            "run",
            "--target",
            target.url,
            "--report-dir",
            str(report_dir),
            *case.cli_flags(),
        ]
        finished = _run(command, env, workdir, case.bound_s + KILL_AFTER)
    return Finished(
        case,
        target.url,
        report_dir=report_dir,
        seen=list(target.server.seen) if target.server else [],
        sink_url=target.sink.url if target.sink else "",
        sink_seen=list(target.sink.seen) if target.sink else [],
        body_bytes_sent=target.server.bytes_sent if target.server else 0,
        **finished,
    )


# The run goes through a small Python parent that reports its child's peak memory. The run
# cannot be measured directly: when a child forked from this (large) pytest process execs,
# the kernel keeps the peak it had so far, which is this process's, as the child's own.
MEASURE = (
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[2:]); "
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); "
    "sys.exit(done.returncode)"
)


def _run(command: list[str], env: dict[str, str], cwd: Path, kill_after: float) -> dict[str, Any]:
    """Run `command`: its exit code, output, wall-clock time and peak memory (MiB)."""
    out, err, peak = cwd / "stdout.txt", cwd / "stderr.txt", cwd / "maxrss.txt"
    measured = [sys.executable, "-c", MEASURE, str(peak), *command]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            measured, stdout=stdout, stderr=stderr, env=env, cwd=cwd, start_new_session=True
        )
    killed = threading.Event()

    def kill() -> None:  # the whole session: the run and the parent measuring it
        killed.set()
        with suppress(ProcessLookupError):  # it ended just now
            os.killpg(process.pid, signal.SIGKILL)

    killer = threading.Timer(kill_after, kill)
    killer.start()
    started = time.monotonic()
    process.wait()
    elapsed = time.monotonic() - started
    killer.cancel()
    return {
        "exit_code": process.returncode,
        "stdout": out.read_text(encoding="utf-8", errors="replace"),
        "stderr": err.read_text(encoding="utf-8", errors="replace"),
        "elapsed_s": elapsed,
        "max_rss_mib": int(peak.read_text() or 0) / 1024 if peak.exists() else 0.0,
        "killed": killed.is_set(),
    }


class Runs:
    """The hostile runs of the session, started in the background, `WORKERS` at a time."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._tls = self_signed_tls(root)
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="hostile-run")
        self._futures: dict[str, Future[Finished]] = {}
        self._lock = threading.Lock()

    def start(self, names: list[str]) -> None:
        """Start the named cases not yet started; the slow ones first."""
        slow_first = sorted(names, key=lambda n: BY_NAME[n].group not in (SLOW, STORM))
        with self._lock:
            for name in slow_first:
                if name not in self._futures:
                    workdir = self._root / name
                    workdir.mkdir()
                    self._futures[name] = self._pool.submit(
                        run_case, BY_NAME[name], workdir, self._tls
                    )

    def __getitem__(self, name: str) -> Finished:
        self.start([name])
        return self._futures[name].result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session")
def hostile_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runs]:
    runs = Runs(tmp_path_factory.mktemp("hostile"))
    selected = {
        item.callspec.params["case"].name
        for item in request.session.items
        if hasattr(item, "callspec") and isinstance(item.callspec.params.get("case"), Case)
    }
    runs.start([case.name for case in CASES if case.name in selected])
    yield runs
    runs.close()


def with_cases(*names: str) -> pytest.MarkDecorator:
    """Parametrize a test with the named cases as `case` (so their runs start early)."""
    return pytest.mark.parametrize("case", [BY_NAME[n] for n in names], ids=list(names))
