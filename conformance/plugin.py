"""The pytest plugin: `pytest --conformance-target URL` runs the suite against URL.

Quiet by design: it only adds `--conformance-*` options and does nothing unless
`--conformance-target` is given. Installed, it is loaded by every pytest session in the
environment, so at import time it needs only `conformance.settings` (the options' names
and help); the engine (schemathesis, hypothesis, httpx: ~0.5 s) is imported in
`pytest_configure`, and only for a conformance run.

`conformance run` registers `SuitePlugin` (conformance/suite_plugin.py) itself with a
prepared `RunContext` (and the embedded reference when no target is set). Either way the
run begins and finishes in `SuitePlugin`, through `conformance.session`, so both paths
check, judge, report and exit alike.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conformance.errors import ConformanceError
from conformance.settings import BOOL_SETTINGS, FLAG_HELP

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
    # Only a conformance run pays for the engine; see the module docstring.
    from conformance.results import EXIT_COULD_NOT_RUN
    from conformance.run_context import RunContext
    from conformance.session import PYTEST_FLAGS, describe, load_run_settings
    from conformance.suite_plugin import SuitePlugin

    flags = {name: config.getoption(f"conformance_{name}") for name in FLAG_HELP}
    given = config.getoption("conformance_config")
    try:
        settings = load_run_settings(
            flags,
            Path(given) if given else None,
            os.environ,
            options=PYTEST_FLAGS,
            writes_reports=not config.option.collectonly,
            needs_target=True,
        )
    except ConformanceError as error:
        # exit 2, as `conformance run` does; a UsageError would be pytest's 4
        pytest.exit(f"error: {describe(error, PYTEST_FLAGS)}", returncode=EXIT_COULD_NOT_RUN)
    assert settings.target is not None  # needs_target
    context = RunContext(settings, settings.target)
    config.pluginmanager.register(SuitePlugin(context, PYTEST_FLAGS), PLUGIN_NAME)
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args = [str(SUITE_PATH)]  # the suite alone, not the caller's own tests
