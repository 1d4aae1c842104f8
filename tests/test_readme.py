"""The README stays true: its commands are the ones CI runs and the CLI offers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.settings import ENV_PREFIX, FLAG_HELP, SETTING_NAMES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


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


VENDOR = ROOT.parent / "shared" / "vendor"


@pytest.mark.skipif(not VENDOR.is_dir(), reason=f"the platform's documents are not at {VENDOR}")
@pytest.mark.parametrize("edition", ["1.3.1", "1.11.0"])
def test_readme__spec_diff_output_is_current(edition: str) -> None:
    from conformance.contract import load_contract
    from conformance.openapi import build_openapi
    from conformance.spec_diff import diff_documents, load_document, render_diff

    vendor = load_document(VENDOR / f"candescent-di-api-{edition}.oauth.yaml")
    fresh = render_diff(diff_documents(build_openapi(load_contract(), edition), vendor)).rstrip(
        "\n"
    )
    shown = re.search(
        rf"<!-- spec-diff {re.escape(edition)} -->\n```text\n(.*?)\n```", README, re.S
    )
    assert shown is not None
    assert shown.group(1) == fresh, "README is stale: paste the output of conformance spec diff"
