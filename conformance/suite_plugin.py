"""`SuitePlugin`: one run of the suite inside a pytest session.

Registered by `conformance run` (conformance/run_command.py) and, under
`pytest --conformance-target`, by the entry-point plugin (conformance/plugin.py). It
begins the run before the first test and finishes it at the session's end, both through
`conformance.session`, so the two paths check, judge, report and exit alike.

It loads the engine (schemathesis, hypothesis, httpx); conformance/plugin.py imports it
only when a run is asked for.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TextIO

import pytest

from conformance import session as run_session
from conformance.errors import ConformanceError
from conformance.reports.terminal import render_summary
from conformance.results import Outcome
from conformance.run_context import Case, Progress, RunContext, cases
from conformance.session import CLI_FLAGS


def _progress_bar(reporter: Any, context: RunContext) -> Progress:
    """A one-line bar redrawn in place on a terminal; silent when output is not a terminal."""
    width = 30

    def draw(done: int, total: int, name: str) -> None:
        if not reporter.isatty():
            return
        filled = width * done // max(total, 1)
        reporter.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} scenarios, "
            f"{context.sender.requests_sent} requests  {name[:24]:<24}",
            flush=True,
        )
        if done == total:
            reporter.write("\n")

    return draw


# Seconds between progress lines where no bar can be redrawn (a CI log): a job silent for
# minutes looks hung, and one line a second would bury the summary.
PROGRESS_EVERY = 5.0
# pytest's verbosity at or below which the run prints only its verdict, failures and files
# (`conformance run -q`, or `pytest -qq`); `conformance run` alone passes -q.
QUIET = -2


@contextmanager
def progress_lines(
    context: RunContext, every: float = PROGRESS_EVERY, stream: TextIO | None = None
) -> Iterator[None]:
    """While the body runs, a line every `every` seconds on stderr: requests sent of the
    budget, the rate since the last line, the time elapsed."""
    stop = threading.Event()
    started = time.monotonic()
    budget = context.settings.max_requests

    def tick() -> None:
        last_sent, last_at = 0, started
        while not stop.wait(every):
            now, sent = time.monotonic(), context.sender.requests_sent
            rate = (sent - last_sent) / max(now - last_at, 1e-6)
            print(
                f"conformance: {sent}/{budget} requests sent, {rate:.1f} req/s, "
                f"{now - started:.0f} s elapsed",
                file=stream or sys.stderr,
                flush=True,
            )
            last_sent, last_at = sent, now

    thread = threading.Thread(target=tick, name="conformance-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class SuitePlugin:
    """Feeds the suite module its cases; begins the run before the first test and
    finishes it (verdict, reports, exit code) at the session's end.

    `flags` is how the user's path spells options: `--` for `conformance run`,
    `--conformance-` under pytest."""

    def __init__(self, context: RunContext, flags: str = CLI_FLAGS) -> None:
        self.context = context
        self.flags = flags
        self.header = run_session.run_header(context)
        self._cases = cases(context.contract)
        self.collect_only = False
        self.error: ConformanceError | None = None
        self.deselected: list[Case] = []
        self.exit_status: int | None = None
        self.final_header: dict[str, Any] | None = None
        self.outcomes: list[Outcome] = []
        self.written: dict[str, Path] = {}
        self.quiet = False

    @pytest.fixture(scope="session")
    def conformance_run(self) -> RunContext:
        return self.context

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "requirement_case" in metafunc.fixturenames:
            metafunc.parametrize("requirement_case", self._cases, ids=[c.id for c in self._cases])

    def pytest_report_header(self) -> list[str]:
        h = self.header
        return [
            f"conformance: target={h['target']} edition={h['edition']} "
            f"token_path={h['token_path']} seed={h['seed']}"
        ]

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        # Collecting only sends nothing and writes nothing, not even a preflight.
        self.collect_only = bool(session.config.option.collectonly)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        if self.collect_only:
            return None
        selected = [
            item.callspec.params["requirement_case"]
            for item in session.items
            if hasattr(item, "callspec") and "requirement_case" in item.callspec.params
        ]
        chosen = {case.id for case in selected}
        self.deselected = [case for case in self._cases if case.id not in chosen]
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        self.quiet = session.config.option.verbose <= QUIET
        on_terminal = reporter is not None and reporter.isatty()
        lines: AbstractContextManager[None] = (
            nullcontext() if self.quiet or on_terminal else progress_lines(self.context)
        )
        started = time.monotonic()
        try:
            run_session.begin(self.context)
            # Only what the selected checks read is sent: a deselected check costs nothing.
            names = {name for case in selected for name in self.context.scenarios_for(case)}
            bar = _progress_bar(reporter, self.context) if on_terminal and not self.quiet else None
            with lines:
                self.context.prepare(names, bar, selected)
        except ConformanceError as error:
            self.error = error
            return True  # nothing is judged; the reports say why
        if reporter is not None and not self.quiet:
            reporter.write_line(
                f"sent {len(names)} scenarios, {self.context.sender.requests_sent} requests "
                f"({self.context.generated_requests()} generated) in "
                f"{time.monotonic() - started:.1f} s; judging"
            )
        return None

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.collect_only:
            return
        code, self.final_header, self.outcomes, self.written = run_session.finish(
            self.context, self.header, self.error, self.deselected, self.flags
        )
        self.exit_status = session.exitstatus = code

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report: pytest.TestReport) -> tuple[str, str, str] | None:
        """Quiet: the cases are counted, not drawn one by one (the summary lists failures)."""
        if not self.quiet:
            return None
        if report.when == "call":
            return report.outcome, "", ""
        return ("error" if report.failed else "skipped" if report.skipped else ""), "", ""

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.collect_only or self.final_header is None:
            return
        terminalreporter.section("conformance summary")
        summary = render_summary(self.outcomes, self.final_header, brief=self.quiet)
        terminalreporter.write_line(summary)
        bundle = self.written.get(run_session.BUNDLE_NAME)
        if bundle is not None:
            terminalreporter.write_line(f"Certification bundle: {bundle}")
        # Every file the run wrote, for the CI step that publishes them.
        terminalreporter.write_line("Written:")
        for path in self.written.values():
            terminalreporter.write_line(f"  {path}")

    def pytest_unconfigure(self) -> None:
        self.context.close()
