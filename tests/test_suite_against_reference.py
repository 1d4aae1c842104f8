"""The suite proves itself against the reference over real HTTP: clean, and with each fault.

Clean: no MUST check fails and nothing is skipped for lack of a role (the reference
provides every role). Each named fault breaks one MUST requirement: the suite must
fail exactly that requirement and no other MUST one.
"""

from __future__ import annotations

import pytest

from conformance.contract import EDITIONS, load_contract
from conformance.reference import FAULTS
from conformance.results import EXIT_MUST_FAILED, EXIT_OK, Outcome, exit_code
from tests.fixtures.targets import JudgeReference

pytestmark = pytest.mark.slow


def _failed_musts(outcomes: list[Outcome]) -> set[str]:
    return {o.requirement_id for o in outcomes if o.outcome == "failed"}


@pytest.mark.parametrize("edition", EDITIONS)
def test_clean_reference__every_must_passes_and_no_role_is_missing(
    judge_reference: JudgeReference, edition: str
) -> None:
    outcomes = judge_reference(edition)
    problems = [
        f"{o.case_id}: {o.outcome}: {o.message}"
        for o in outcomes
        if o.outcome in {"failed", "warned", "error"}
    ]
    assert problems == []
    skipped = {o.case_id: o.message for o in outcomes if o.outcome == "skipped"}
    assert all("strict typing is off" in reason for reason in skipped.values()), skipped
    assert exit_code(outcomes) == EXIT_OK


@pytest.mark.parametrize("edition", EDITIONS)
def test_clean_reference__strict_typing_holds_for_its_edition(
    judge_reference: JudgeReference, edition: str
) -> None:
    outcomes = judge_reference(edition, strict_typing=True)
    typed = [o for o in outcomes if o.requirement_id == "RESP-EXPIRES-IN-TYPE"]
    assert {o.outcome for o in typed} == {"passed"}


def test_every_must_requirement_has_a_fault() -> None:
    contract = load_contract()
    musts = {r.id for r in contract.requirements if "MUST" in r.level_by_edition.values()}
    faulted = {fault.requirement for fault in FAULTS.values()}
    assert musts - faulted == set(), "MUST requirements without a reference fault"
    assert faulted - {r.id for r in contract.requirements} == set(), "faults naming unknown ids"


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_fault__suite_fails_exactly_the_faulted_requirement(
    judge_reference: JudgeReference, name: str
) -> None:
    fault = FAULTS[name]
    outcomes = judge_reference("1.3.1", frozenset({name}))
    assert _failed_musts(outcomes) == {fault.requirement}
    assert exit_code(outcomes) == EXIT_MUST_FAILED
    assert not [o for o in outcomes if o.outcome == "error"]
