"""`conformance run`: settings in, exit code out, pytest underneath.

0 every MUST holds, 1 a MUST failed, 2 the suite could not run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

import pytest

from conformance.errors import ConfigError
from conformance.plugin import SUITE_DIR, SUITE_PATH
from conformance.results import EXIT_COULD_NOT_RUN, EXIT_OK
from conformance.run_context import AuthCodeSource, RunContext
from conformance.session import report_refused_settings
from conformance.settings import Settings
from conformance.suite_plugin import SuitePlugin
from conformance.tuning import CollectOnce, frozen_heap, quick_pytest_args


def repeat_command(settings: Settings, seed: int) -> str:
    """The flags that repeat this run (style.md 9); secrets never appear here."""
    parts = ["conformance run"]
    if settings.target:
        parts.append(f"--target {settings.target}")
    if settings.platform:  # the rfc6749 profile has one edition
        parts.append(f"--edition {settings.edition}")
    if settings.token_path != Settings.token_path:
        parts.append(f"--token-path {settings.token_path}")
    if settings.strict:
        parts.append("--strict")
    if settings.contract != Settings.contract:
        parts.append(f"--contract {settings.contract}")
    if settings.certification:
        parts.append("--certification")
    elif settings.require_complete:
        parts.append("--require-complete")
    parts.append(f"--seed {seed}")
    return " ".join(parts)


def run_suite(
    settings: Settings,
    base_url: str,
    auth_code_source: AuthCodeSource | None = None,
    pytest_args: Sequence[str] = (),
    out: TextIO = sys.stdout,
    judged: Callable[[], None] | None = None,
) -> int:
    """Run every check against `base_url` through pytest and the suite's plugin, which
    begins the run, judges it and writes its reports; return the exit code.

    `judged` is called once every check is judged, before the reports are written:
    nothing is sent to the target after it."""
    context = RunContext(settings, base_url, auth_code_source)
    plugin = SuitePlugin(context)
    plugins: list[object] = [plugin, CollectOnce()]
    if judged is not None:
        plugins.append(_Judged(judged))
    try:
        print(f"Repeat this run with: {repeat_command(settings, context.seed)}", file=out)
        with frozen_heap():
            status = pytest.main(_pytest_args(pytest_args), plugins=plugins)
    finally:
        context.close()
    if plugin.collect_only:
        return EXIT_OK if status == pytest.ExitCode.OK else EXIT_COULD_NOT_RUN
    if plugin.exit_status is None:  # pytest refused PYTEST_ARGS before the session began
        report_refused_settings(
            Path(settings.report_dir),
            ConfigError(
                f"pytest could not run the suite (pytest exit {int(status)}); see its "
                "message above.",
                setting="PYTEST_ARGS",
            ),
        )
        return EXIT_COULD_NOT_RUN
    return plugin.exit_status


def _pytest_args(extra: Sequence[str]) -> list[str]:
    """The suite module alone, with its own configuration, not the caller's."""
    return [
        str(SUITE_PATH),
        "-c",
        str(SUITE_DIR / "suite.ini"),
        "--rootdir",
        str(SUITE_DIR),
        "-q",
        "-rN",
        *quick_pytest_args(),
        *extra,
    ]


class _Judged:
    """Calls back when the session ends, before the suite's own plugin writes reports."""

    def __init__(self, callback: Callable[[], None]) -> None:
        self._callback = callback

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        self._callback()


def execute(settings: Settings, pytest_args: Sequence[str] = (), out: TextIO = sys.stdout) -> int:
    """Run against the configured target, or the embedded reference (`--target embedded`,
    or no target and no credentials configured)."""
    if settings.target is not None:
        return run_suite(settings, settings.target, pytest_args=pytest_args, out=out)
    # imported here: the reference (starlette, uvicorn: ~0.1 s) serves only this case
    from conformance.embedded import embedded_target

    with embedded_target(settings) as (filled, server, codes):
        print(
            f"Target: the embedded reference at {server.url} (a self-test, not a real target)",
            file=out,
        )
        # uvicorn takes 0.1-0.2 s to wind down (it polls); let it while reports are written
        return run_suite(
            filled, server.url, codes, pytest_args=pytest_args, out=out, judged=server.request_stop
        )
