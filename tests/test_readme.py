"""The README stays true: its commands are the ones CI runs and the CLI offers, and the
documents it points to exist and stay current."""

from __future__ import annotations

import re
from pathlib import Path

from conformance.settings import ENV_PREFIX, FLAG_HELP, SETTING_NAMES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# The project's own documents: each must stand alone, without a sibling checkout.
DOCUMENTS = [
    ROOT / "README.md",
    ROOT / "ARCHITECTURE.md",
    ROOT / "benchmarks" / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
]


def _commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", README)


def test_readme__has_two_one_line_setup_commands() -> None:
    run, tests = _commands()[:2]
    assert run.endswith("conformance run") and "pip install" in run
    assert tests.endswith("pytest") and "pip install" in tests


def test_ci_runs_both_readme_commands_exactly_in_a_minimal_environment() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = ci.splitlines()
    run, tests = _commands()[:2]
    assert run in lines and tests in lines
    # each under `env -i` (no PYTHONUNBUFFERED, no CONFORMANCE_*), in a fresh venv
    for command in (run, tests):
        before = lines[: lines.index(command)]
        assert before[-1].startswith("env -i PATH=") and "rm -rf .venv" in "\n".join(before)


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


def test_readme__every_relative_link_names_a_file_of_the_project() -> None:
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
            if "://" not in target:
                assert (document.parent / target).exists(), f"{document.name}: {target}"


def test_readme__no_document_points_outside_the_project() -> None:
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        assert "../shared" not in text and "token-endpoint.md" not in text, document.name
