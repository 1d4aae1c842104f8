"""`SuitePlugin`: one run of the suite inside a pytest session.

Registered by `conformance run` (conformance/run_command.py) and, under
`pytest --conformance-target`, by the entry-point plugin (conformance/plugin.py). It
begins the run before the first test and finishes it at the session's end, both through
`conformance.session`, so the two paths check, judge, report and exit alike.

It loads the engine (schemathesis, hypothesis, httpx); conformance/plugin.py imports it
only when a run is asked for.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

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
        self.bundle_path: Path | None = None

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
        started = time.monotonic()
        try:
            run_session.begin(self.context)
            # Only what the selected checks read is sent: a deselected check costs nothing.
            names = {name for case in selected for name in self.context.scenarios_for(case)}
            self.context.prepare(names, _progress_bar(reporter, self.context) if reporter else None)
        except ConformanceError as error:
            self.error = error
            return True  # nothing is judged; the reports say why
        if reporter is not None:
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
        code, self.final_header, self.outcomes, self.bundle_path = run_session.finish(
            self.context, self.header, self.error, self.deselected, self.flags
        )
        self.exit_status = session.exitstatus = code

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.collect_only or self.final_header is None:
            return
        terminalreporter.section("conformance summary")
        terminalreporter.write_line(render_summary(self.outcomes, self.final_header))
        if self.bundle_path is not None:
            terminalreporter.write_line(f"Certification bundle: {self.bundle_path}")

    def pytest_unconfigure(self) -> None:
        self.context.close()
