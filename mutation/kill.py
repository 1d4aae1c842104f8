"""One mutant against default `conformance run`s of the editions its code serves.

A mutant is killed when a run does not pass: exit 1 (a MUST failed), and also exit 2
(the suite could not judge the target, e.g. its credentials were refused) or any other
non-zero code, since a target that stops the suite is not a target that passes. It
survives only when every run it was tried with exits 0; a run that outlives its timeout
makes it "timeout". Runs stop at the first that kills.

Every run is the default one (default budget, properties on) but for a fixed seed, so
that a mutant's outcome can be repeated and does not depend on the seed a run drew.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mutation.workspace import Workspace

SEED = 1
TIMEOUT = 120.0  # seconds per run; a clean run takes ~4-9 s


@dataclass(frozen=True)
class Run:
    """One default run: its name (the edition it judges) and the flags that choose it."""

    name: str
    flags: tuple[str, ...]

    def command(self, report_dir: Path, seed: int = SEED, extra: Sequence[str] = ()) -> list[str]:
        """The `conformance run` command line, as the interpreter running this module."""
        return [
            sys.executable,
            "-m",
            "conformance.cli",
            "run",
            "--target",
            "embedded",
            *self.flags,
            "--seed",
            str(seed),
            "--report-dir",
            str(report_dir),
            *extra,
        ]


# In the order tried: the platform's newest edition, its oldest, then RFC 6749 alone.
RUNS: tuple[Run, ...] = (
    Run("1.11.0", ("--edition", "1.11.0")),
    Run("1.3.1", ("--edition", "1.3.1")),
    Run("rfc6749", ("--contract", "rfc6749")),
)
RUNS_BY_NAME = {run.name: run for run in RUNS}


@dataclass(frozen=True)
class RunResult:
    """What one run said: its exit code (None: timed out) and the requirements it failed."""

    run: str
    exit_code: int | None
    seconds: float
    failed: tuple[str, ...] = ()  # MUST requirements failed (or errored)
    warned: tuple[str, ...] = ()  # SHOULD requirements failed: a warning, the run passes
    tail: str = ""  # the output's last lines when the run could not judge

    @property
    def passed(self) -> bool:
        return self.exit_code == 0

    def as_dict(self) -> dict[str, object]:
        return {
            "run": self.run,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 2),
            "failed": list(self.failed),
            "warned": list(self.warned),
            **({"tail": self.tail} if self.tail else {}),
        }


@dataclass(frozen=True)
class Verdict:
    """The outcome of trying a mutant: killed, survived or timeout, with every run."""

    outcome: str
    runs: tuple[RunResult, ...] = field(default=())

    @property
    def killed_by(self) -> RunResult | None:
        last = self.runs[-1] if self.runs else None
        return last if self.outcome == "killed" else None


def run_once(
    workspace: Workspace,
    run: Run,
    *,
    seed: int = SEED,
    timeout: float = TIMEOUT,
    extra: Sequence[str] = (),
    env_extra: Mapping[str, str] | None = None,
) -> RunResult:
    """One `conformance run` in the workspace, as it is now; `extra`: more flags."""
    with tempfile.TemporaryDirectory(prefix="mutant-run-") as directory:
        report_dir = Path(directory)
        started = time.monotonic()
        process = subprocess.Popen(
            run.command(report_dir, seed, extra),
            cwd=workspace.root,
            env=workspace.env(env_extra),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a timeout ends the run and its reference together
        )
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return RunResult(run.name, None, time.monotonic() - started)
        seconds = time.monotonic() - started
        failed, warned = _judged(report_dir / "results.json")
        code = process.returncode
        tail = "" if code in (0, 1) else _tail(output.decode("utf-8", "replace"))
        return RunResult(run.name, code, seconds, failed, warned, tail)


def kill(
    workspace: Workspace,
    runs: Sequence[Run],
    *,
    seed: int = SEED,
    timeout: float = TIMEOUT,
    extra: Sequence[str] = (),
) -> Verdict:
    """Try the workspace as it is (a mutant applied) with each run in turn."""
    results: list[RunResult] = []
    for run in runs:
        result = run_once(workspace, run, seed=seed, timeout=timeout, extra=extra)
        results.append(result)
        if result.exit_code is None:
            return Verdict("timeout", tuple(results))
        if not result.passed:
            return Verdict("killed", tuple(results))
    return Verdict("survived", tuple(results))


def _judged(results_json: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The requirement ids a run's results.json reports failed (or in error) and warned."""
    try:
        document = json.loads(results_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return (), ()
    failed: list[str] = []
    warned: list[str] = []
    for result in document.get("results", []):
        bucket = {"failed": failed, "error": failed, "warned": warned}.get(result.get("outcome"))
        if bucket is not None and result.get("requirement_id") not in bucket:
            bucket.append(result["requirement_id"])
    return tuple(sorted(failed)), tuple(sorted(warned))


def _tail(output: str, lines: int = 8) -> str:
    return "\n".join(output.strip().splitlines()[-lines:])
