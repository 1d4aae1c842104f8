"""`conformance run`: settings in, exit code out, pytest underneath.

0 every MUST holds, 1 a MUST failed, 2 the suite could not run.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

import pytest

from conformance.errors import ConfigError
from conformance.pacing import default_rate_limit
from conformance.plugin import SUITE_DIR, SUITE_PATH
from conformance.results import EXIT_COULD_NOT_RUN, EXIT_OK
from conformance.run_context import AuthCodeSource, RunContext
from conformance.session import report_refused_settings
from conformance.settings import BOOL_SETTINGS, FLAG_HELP, SECRET_SETTINGS, Settings
from conformance.suite_plugin import SuitePlugin
from conformance.tuning import CollectOnce, frozen_heap, quick_pytest_args

# The settings the line leads with; the others follow in FLAG_HELP's order.
LEADING = ("target", "contract", "edition")


def _repeats(settings: Settings, name: str) -> bool:
    """Whether the repeat line names setting `name`: every one with a flag whose value
    is not what the run would take anyway."""
    value = getattr(settings, name)
    if name in SECRET_SETTINGS or name == "seed":  # the seed is always named, last of LEADING
        return False
    if name == "profile":  # an alias: contract and certification say what it set
        return False
    if name == "edition":  # the platform's default edition may change; rfc6749 has one
        return settings.platform
    if name == "require_complete":  # implied by --certification
        return bool(value) and not settings.certification
    if name == "rate_limit":  # validated: the default for this target, resolved
        return bool(value != default_rate_limit(settings.target))
    return bool(value != getattr(Settings, name))


def _option(name: str, value: object) -> str:
    flag = "--" + name.replace("_", "-")
    if name in BOOL_SETTINGS:
        return flag
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{flag} {shlex.quote(text)}"


def repeat_command(
    settings: Settings, seed: int, config: Path | None = None, pytest_args: Sequence[str] = ()
) -> str:
    """The command that repeats this run (style.md 9): every setting that has a flag and
    is not at its default, derived from the settings' names, so a new one is carried
    without a change here; the seed; the config file and the pytest arguments (a
    deselection changes what is sent). Secrets have no flag and never appear: they, and
    what only the environment sets, come from the environment or the file again."""
    names = [n for n in LEADING if n in FLAG_HELP] + [n for n in FLAG_HELP if n not in LEADING]
    shown = [_option(n, getattr(settings, n)) for n in names if _repeats(settings, n)]
    leading = sum(1 for n in LEADING if _repeats(settings, n))
    parts = ["conformance run", *shown[:leading], f"--seed {seed}", *shown[leading:]]
    if config is not None:
        parts.append(f"--config {shlex.quote(str(config))}")
    if pytest_args:
        parts += ["--", shlex.join(pytest_args)]
    return " ".join(parts)


def run_suite(
    settings: Settings,
    base_url: str,
    auth_code_source: AuthCodeSource | None = None,
    pytest_args: Sequence[str] = (),
    out: TextIO = sys.stdout,
    judged: Callable[[], None] | None = None,
    given: Settings | None = None,
    config: Path | None = None,
    verbosity: int = 0,
) -> int:
    """Run every check against `base_url` through pytest and the suite's plugin, which
    begins the run, judges it and writes its reports; return the exit code.

    `judged` is called once every check is judged, before the reports are written:
    nothing is sent to the target after it. `given`: the settings as the user gave them,
    which the repeat line names (the embedded reference fills in its own credentials),
    and `config` the file they were read from. `verbosity`: `run -v` minus `run -q`."""
    context = RunContext(settings, base_url, auth_code_source)
    plugin = SuitePlugin(context)
    plugins: list[object] = [plugin, CollectOnce()]
    if judged is not None:
        plugins.append(_Judged(judged))
    try:
        repeat = repeat_command(given or settings, context.seed, config, pytest_args)
        print(f"Repeat this run with: {repeat}", file=out)
        with frozen_heap():
            status = pytest.main(_pytest_args(pytest_args, verbosity), plugins=plugins)
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


def _pytest_args(extra: Sequence[str], verbosity: int = 0) -> list[str]:
    """The suite module alone, with its own configuration, not the caller's. `verbosity`
    (`run -v` minus `run -q`) sets pytest's: -q (a dot per case) by default, -qq for
    `run -q`, which the suite's plugin takes as quiet (`suite_plugin.QUIET`), -v (a line
    per case) for `run -v`."""
    level = verbosity - 1 if verbosity <= 0 else verbosity
    loudness = ["-" + ("v" if level > 0 else "q") * abs(level)]
    if verbosity < 0:
        loudness.append("--tb=no")  # the summary's table names each failure
    return [
        str(SUITE_PATH),
        "-c",
        str(SUITE_DIR / "suite.ini"),
        "--rootdir",
        str(SUITE_DIR),
        *loudness,
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


def execute(
    settings: Settings,
    pytest_args: Sequence[str] = (),
    out: TextIO = sys.stdout,
    config: Path | None = None,
    verbosity: int = 0,
) -> int:
    """Run against the configured target, or the embedded reference (`--target embedded`,
    or no target and no credentials configured). `config`: the file the settings came
    from, for the repeat line; `verbosity`: `run -v` minus `run -q`."""
    if settings.target is not None:
        return run_suite(
            settings,
            settings.target,
            pytest_args=pytest_args,
            out=out,
            config=config,
            verbosity=verbosity,
        )
    # imported here: the reference (starlette, uvicorn: ~0.1 s) serves only this case
    from conformance.embedded import embedded_target

    with embedded_target(settings) as (filled, server, codes):
        if verbosity >= 0:
            print(
                f"Target: the embedded reference at {server.url} (a self-test, not a real target)",
                file=out,
            )
        # uvicorn takes 0.1-0.2 s to wind down (it polls); let it while reports are written
        return run_suite(
            filled,
            server.url,
            codes,
            pytest_args=pytest_args,
            out=out,
            judged=server.request_stop,
            given=settings,
            config=config,
            verbosity=verbosity,
        )
