"""One test per requirement of the contract (and per grant where it applies).

The judging happens in the `judged` fixture, so a suite that cannot run (a
ConformanceError) is reported as a test *error*, and the target breaking a rule as a
test *failure*.
"""

from __future__ import annotations

import pytest

from conformance.results import Outcome
from conformance.run_context import Case, RunContext


@pytest.fixture
def judged(
    conformance_run: RunContext, requirement_case: Case, request: pytest.FixtureRequest
) -> Outcome:
    outcome = conformance_run.judge(requirement_case)
    request.node.user_properties.extend(
        [
            ("requirement", outcome.requirement_id),
            ("level", outcome.level),
            ("edition", outcome.edition),
            ("grant", outcome.grant or "-"),
            ("outcome", outcome.outcome),
        ]
    )
    if outcome.outcome == "error":
        pytest.fail(outcome.message, pytrace=False)
    return outcome


def test_requirement(judged: Outcome) -> None:
    """The target meets the requirement (a SHOULD failure is a warning unless --strict)."""
    if judged.outcome == "skipped":
        pytest.skip(judged.message)
    if judged.outcome == "failed":
        pytest.fail(f"[{judged.level}] {judged.message}", pytrace=False)
