"""The rfc6749 profile proves itself against the reference's RFC 6749 edition over real
HTTP: clean, and with each fault that breaks one RFC requirement there."""

from __future__ import annotations

import pytest

from conformance.contract import RFC6749, contract_for
from conformance.reference import FAULTS
from conformance.results import EXIT_MUST_FAILED, EXIT_OK, exit_code
from tests.fixtures.targets import JudgeReference

pytestmark = pytest.mark.slow

# Faults of security findings (judged beside the contract, warning unless --security says
# otherwise) are proven in test_security_findings.
SECURITY_IDS = {r.id for r in contract_for(RFC6749).requirements if r.is_security}
RFC_FAULTS = sorted(
    name for name, fault in FAULTS.items() if fault.rfc6749 and fault.rfc6749 not in SECURITY_IDS
)
# The property-based phase runs in every run here, as in a user's: enough examples that
# each property sends some of each kind of request, few enough for one run per fault.
EXAMPLES = 20


def test_clean_reference__every_rfc_requirement_passes_and_no_role_is_missing(
    judge_reference: JudgeReference,
) -> None:
    judged = judge_reference(RFC6749, examples=EXAMPLES)
    assert {o.requirement_id for o in judged} == {r.id for r in contract_for(RFC6749).requirements}
    outcomes = [o for o in judged if o.area != "security"]  # test_security_findings' to judge
    problems = [f"{o.case_id}: {o.outcome}: {o.message}" for o in outcomes if o.outcome != "passed"]
    assert problems == []
    rotation = next(o for o in outcomes if o.requirement_id == "RFC-REFRESH-ROTATION")
    assert rotation.message.startswith("The server rotates refresh tokens")  # MAY: reported
    assert exit_code(outcomes) == EXIT_OK


def test_every_rfc_must_requirement_has_a_fault() -> None:
    contract = contract_for(RFC6749)
    musts = {
        r.id for r in contract.requirements if r.level(RFC6749) == "MUST" and not r.is_security
    }
    faulted = {FAULTS[name].rfc6749 for name in RFC_FAULTS}
    assert musts - faulted == set(), "RFC MUST requirements without a reference fault"
    assert faulted - {r.id for r in contract.requirements} == set(), "faults naming unknown ids"


@pytest.mark.parametrize("name", RFC_FAULTS)
def test_fault__the_profile_fails_exactly_the_faulted_requirement(
    judge_reference: JudgeReference, name: str
) -> None:
    wanted = FAULTS[name].rfc6749
    outcomes = judge_reference(RFC6749, frozenset({name}), examples=EXAMPLES)
    assert not [o for o in outcomes if o.outcome == "error"]
    broken = {
        o.requirement_id: o.outcome
        for o in outcomes
        if o.outcome in {"failed", "warned"} and o.area != "security"
    }
    level = contract_for(RFC6749).requirement(str(wanted)).level(RFC6749)
    assert broken == {wanted: "failed" if level == "MUST" else "warned"}
    assert exit_code(outcomes) == (EXIT_MUST_FAILED if level == "MUST" else EXIT_OK)
