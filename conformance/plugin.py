"""The pytest plugin: `pytest --conformance-target URL` runs the suite against URL.

Quiet by design (style.md 8): it only adds `--conformance-*` options and does nothing
unless `--conformance-target` is given. `conformance run` registers `SuitePlugin`
itself with a prepared `RunContext` (and the embedded reference when no target is set).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import pytest

from conformance import __version__
from conformance.contract import contract_path
from conformance.errors import ConformanceError
from conformance.openapi import openapi_path
from conformance.preflight import preflight
from conformance.reports import write_reports
from conformance.reports.terminal import render_summary
from conformance.results import exit_code
from conformance.run import Case, Progress, RunContext, cases
from conformance.settings import BOOL_SETTINGS, FLAG_HELP, load_settings

SUITE_DIR = Path(__file__).resolve().parent / "suite"
SUITE_PATH = SUITE_DIR / "test_contract.py"
PLUGIN_NAME = "conformance-suite"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "token endpoint conformance suite")
    group.addoption(
        "--conformance-config",
        dest="conformance_config",
        default=None,
        help="TOML file of conformance settings",
    )
    for name, text in FLAG_HELP.items():
        flag = "--conformance-" + name.replace("_", "-")
        if name in BOOL_SETTINGS:
            group.addoption(
                flag, dest=f"conformance_{name}", action="store_true", default=None, help=text
            )
        else:
            group.addoption(flag, dest=f"conformance_{name}", default=None, help=text)


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.has_plugin(PLUGIN_NAME) or not config.getoption(
        "conformance_target", None
    ):
        return
    flags = {name: config.getoption(f"conformance_{name}") for name in FLAG_HELP}
    config_file = config.getoption("conformance_config")
    try:
        settings = load_settings(flags, Path(config_file) if config_file else None, os.environ)
    except ConformanceError as error:
        raise pytest.UsageError(str(error)) from None
    assert settings.target is not None
    try:
        preflight(settings.target, settings)  # no HTTP answer: a usage error, not 80 failures
    except ConformanceError as error:
        raise pytest.UsageError(str(error)) from None
    context = RunContext(settings, settings.target)
    config.pluginmanager.register(SuitePlugin(context, run_header(context)), PLUGIN_NAME)
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args = [str(SUITE_PATH)]  # the suite alone, not the caller's own tests


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")


def run_header(context: RunContext, **extra: Any) -> dict[str, Any]:
    """What identifies a run; printed first and stored in every report."""
    s = context.settings
    return {
        "target": s.target or f"embedded reference ({context.base_url})",
        "base_url": context.base_url,
        "token_path": s.token_path,
        "edition": s.edition,
        "strict": s.strict,
        "profile": s.profile,
        "seed": context.seed,
        "suite_version": __version__,
        **extra,
    }


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
    """Feeds the suite module its cases and run, and writes the reports at the end."""

    def __init__(self, context: RunContext, header: dict[str, Any]) -> None:
        self.context = context
        self.header = header
        self._cases = cases(context.contract)
        self._selected: list[Case] = []
        self.final_header: dict[str, Any] | None = None
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

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self._selected = [
            item.callspec.params["requirement_case"]
            for item in items
            if hasattr(item, "callspec") and "requirement_case" in item.callspec.params
        ]

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        # Send every scenario the selected checks read before judging, concurrently.
        names = {name for case in self._selected for name in self.context.scenarios_for(case)}
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        started = time.monotonic()
        self.context.prepare(names, _progress_bar(reporter, self.context) if reporter else None)
        if reporter is not None:
            reporter.write_line(
                f"sent {len(names)} scenarios, {self.context.sender.requests_sent} requests "
                f"({self.context.generated_requests()} generated) in "
                f"{time.monotonic() - started:.1f} s; judging"
            )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        outcomes = self.context.outcomes
        header = self.final_header = self.finish_header()
        settings = self.context.settings
        report_dir = Path(settings.report_dir)
        summary_md = Path(settings.summary_md) if settings.summary_md else None
        written = write_reports(report_dir, outcomes, header, summary_md)
        if settings.profile == "certification":
            # imported here: it loads cryptography (~50 ms), which only this profile needs
            from conformance.bundle import write_bundle

            bundle = write_bundle(
                report_dir / "certification-bundle.tar.gz",
                {k: v for k, v in written.items() if k != "summary.md"},
                contract_path(settings.edition),
                openapi_path(settings.edition),
                header,
                outcomes,
                Path(settings.signing_key) if settings.signing_key else None,
            )
            self.bundle_path = bundle
        if outcomes:
            session.exitstatus = exit_code(outcomes)

    def finish_header(self) -> dict[str, Any]:
        ctx = self.context
        finished = time.time()
        return {
            **self.header,
            "started": _iso(ctx.started),
            "finished": _iso(finished),
            "duration_s": round(finished - ctx.started, 3),
            "requests_sent": ctx.sender.requests_sent,
            "generated_requests": ctx.generated_requests(),
            "retries_honoured": ctx.sender.retries_honoured,
            "wrong_password_attempts": ctx.wrong_password_attempts,
            "wrong_password_cap": ctx.settings.wrong_password_cap,
        }

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.section("conformance summary")
        header = self.final_header or self.finish_header()
        terminalreporter.write_line(render_summary(self.context.outcomes, header))
        if self.bundle_path is not None:
            terminalreporter.write_line(f"Certification bundle: {self.bundle_path}")

    def pytest_unconfigure(self) -> None:
        self.context.close()
