"""The README stays true: its commands are the ones CI runs and the CLI offers."""

from __future__ import annotations

import re
from pathlib import Path

from conformance.settings import ENV_PREFIX, FLAG_HELP, SETTING_NAMES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", README)


def test_readme__has_two_one_line_setup_commands() -> None:
    run, tests = _commands()[:2]
    assert run.endswith("conformance run") and "pip install" in run
    assert tests.endswith("pytest") and "pip install" in tests


def test_ci_runs_the_readme_test_command_exactly() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert _commands()[1] in ci


def test_readme__documents_every_flag_and_environment_variable() -> None:
    for name in FLAG_HELP:
        assert "--" + name.replace("_", "-") in README, name
    for name in SETTING_NAMES:
        if name not in {"report_dir", "max_response_bytes"}:
            variable = ENV_PREFIX + name.upper()
            documented = (
                variable in README or variable.rsplit("_", 1)[0] + "_ID` / `_SECRET" in README
            )
            assert documented, variable
