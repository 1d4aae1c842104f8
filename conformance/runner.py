"""`conformance run`: settings in, exit code out, pytest underneath.

0 every MUST holds, 1 a MUST failed, 2 the suite could not run.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import httpx
import pytest

from conformance.embedded import embedded_target
from conformance.errors import ConfigError, TargetUnreachable
from conformance.plugin import SUITE_DIR, SUITE_PATH, SuitePlugin, run_header
from conformance.results import EXIT_COULD_NOT_RUN, exit_code
from conformance.run import AuthCodeSource, RunContext
from conformance.settings import Settings
from conformance.waivers import must_waivers


def preflight(base_url: str, settings: Settings) -> None:
    """Fail fast, naming the URL and the setting, when the target gives no HTTP answer."""
    url = base_url + settings.token_path
    try:
        httpx.request("GET", url, timeout=min(settings.timeout, 10.0), verify=not settings.insecure)
    except httpx.HTTPError as exc:
        raise TargetUnreachable(
            f"Cannot reach the target at {url}.\n\n"
            f"Expected: an HTTP answer\nReceived: {type(exc).__name__}: {exc}\n"
            "Check the target (--target / CONFORMANCE_TARGET) and token_path; for a TLS "
            "certificate you trust but cannot verify, --insecure."
        ) from None


def repeat_command(settings: Settings, seed: int) -> str:
    """The flags that repeat this run (style.md 9); secrets never appear here."""
    parts = ["conformance run"]
    if settings.target:
        parts.append(f"--target {settings.target}")
    parts.append(f"--edition {settings.edition}")
    if settings.token_path != Settings.token_path:
        parts.append(f"--token-path {settings.token_path}")
    if settings.strict:
        parts.append("--strict")
    if settings.profile != "default":
        parts.append(f"--profile {settings.profile}")
    parts.append(f"--seed {seed}")
    return " ".join(parts)


def run_suite(
    settings: Settings,
    base_url: str,
    auth_code_source: AuthCodeSource | None = None,
    pytest_args: Sequence[str] = (),
    out: TextIO = sys.stdout,
) -> int:
    """Run every check against `base_url` and write the reports; return the exit code."""
    preflight(base_url, settings)
    context = RunContext(settings, base_url, auth_code_source)
    try:
        check_profile(context)
        Path(settings.report_dir).mkdir(parents=True, exist_ok=True)
        print(f"Repeat this run with: {repeat_command(settings, context.seed)}", file=out)
        pytest.main(_pytest_args(pytest_args), plugins=[SuitePlugin(context, run_header(context))])
    finally:
        context.close()
    return exit_code(context.outcomes) if context.outcomes else EXIT_COULD_NOT_RUN


def _pytest_args(extra: Sequence[str]) -> list[str]:
    return [
        str(SUITE_PATH),
        "-c",
        str(SUITE_DIR / "suite.ini"),
        "--rootdir",
        str(SUITE_DIR),
        "-p",
        "no:cacheprovider",
        "-q",
        "-rN",
        # plugins imported before this in-process run cannot be rewritten; that is expected
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
        *extra,
    ]


def check_profile(context: RunContext) -> None:
    """The certification profile needs every role and accepts no waiver of a MUST."""
    settings = context.settings
    if settings.profile != "certification":  # the default profile needs nothing more
        return
    missing = {role: reason for role, reason in context.roles().items() if reason}
    if missing:
        raise ConfigError(
            "The certification profile needs every role: "
            + "; ".join(f"{role} {reason}" for role, reason in sorted(missing.items())),
            setting=next(iter(sorted(missing))),
        )
    waived = must_waivers(context.waivers, context.contract, settings.edition)
    if waived:
        raise ConfigError(
            "The certification profile accepts no waiver of a MUST requirement: "
            + ", ".join(waived),
            setting="waivers",
        )
    if settings.skip_properties:
        raise ConfigError(
            "The certification profile runs the property-based phase.", setting="skip_properties"
        )


def execute(settings: Settings, pytest_args: Sequence[str] = (), out: TextIO = sys.stdout) -> int:
    """Run against the configured target, or against the embedded reference when none is set."""
    if settings.target is not None:
        return run_suite(settings, settings.target, pytest_args=pytest_args, out=out)
    with embedded_target(settings) as (filled, server, codes):
        print(f"No target given: using the embedded reference at {server.url}", file=out)
        return run_suite(filled, server.url, codes, pytest_args=pytest_args, out=out)
