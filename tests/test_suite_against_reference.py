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
from tests.fixtures.targets import JudgeReference, reference_context

pytestmark = pytest.mark.slow
# The platform's faults; rfc-only ones (requirement None) are in test_rfc6749_against_reference,
# and those of security findings, which warn unless --security says otherwise, in
# test_security_findings.
SECURITY_IDS = {r.id for r in load_contract().requirements if r.is_security}
PLATFORM_FAULTS = {
    name: fault
    for name, fault in FAULTS.items()
    if fault.requirement and fault.requirement not in SECURITY_IDS
}


def _contract(outcomes: list[Outcome]) -> list[Outcome]:
    """The contract's outcomes: the security findings are judged beside it."""
    return [o for o in outcomes if o.area != "security"]


def _failed_musts(outcomes: list[Outcome]) -> set[str]:
    return {o.requirement_id for o in outcomes if o.outcome == "failed"}


@pytest.mark.parametrize("edition", EDITIONS)
def test_clean_reference__every_must_passes_and_no_role_is_missing(
    judge_reference: JudgeReference, edition: str
) -> None:
    outcomes = _contract(judge_reference(edition, examples=20))
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
    outcomes = judge_reference(edition, strict_typing=True, skip_properties=True)
    typed = [o for o in outcomes if o.requirement_id == "RESP-EXPIRES-IN-TYPE"]
    assert {o.outcome for o in typed} == {"passed"}


def test_every_must_requirement_has_a_fault() -> None:
    contract = load_contract()
    musts = {
        r.id
        for r in contract.requirements
        if "MUST" in r.level_by_edition.values() and not r.is_security
    }
    faulted = {fault.requirement for fault in PLATFORM_FAULTS.values()}
    assert musts - faulted == set(), "MUST requirements without a reference fault"
    assert faulted - {r.id for r in contract.requirements} == set(), "faults naming unknown ids"


@pytest.mark.parametrize("name", sorted(PLATFORM_FAULTS))
def test_fault__suite_fails_exactly_the_faulted_requirement(
    judge_reference: JudgeReference, name: str
) -> None:
    fault = PLATFORM_FAULTS[name]
    assert fault.requirement is not None
    # Faults on paths only generated input meets need the property-based phase; the
    # others are judged without it, which keeps 40-odd full runs fast.
    phase = {"examples": 25} if fault.generated_input else {"skip_properties": True}
    outcomes = _contract(judge_reference("1.3.1", frozenset({name}), **phase))
    assert not [o for o in outcomes if o.outcome == "error"]
    if load_contract().requirement(fault.requirement).level("1.3.1") == "SHOULD":
        # a fault of a SHOULD rule is a warning of it (SCHEMA-RESPONSE-CONFORMS, the
        # document-wide SHOULD, may warn too), and no MUST fails
        warned = {o.requirement_id for o in outcomes if o.outcome == "warned"}
        assert fault.requirement in warned
        assert warned <= {fault.requirement, "SCHEMA-RESPONSE-CONFORMS"}
        assert _failed_musts(outcomes) == set() and exit_code(outcomes) == EXIT_OK
        return
    assert _failed_musts(outcomes) == {fault.requirement, *fault.also}
    assert exit_code(outcomes) == EXIT_MUST_FAILED


@pytest.mark.parametrize("name", sorted(n for n, f in PLATFORM_FAULTS.items() if f.generated_input))
def test_generated_input_fault__only_the_property_phase_finds_it(
    judge_reference: JudgeReference, name: str
) -> None:
    outcomes = judge_reference("1.3.1", frozenset({name}), skip_properties=True)
    caught = {o.requirement_id for o in outcomes if o.outcome in {"failed", "warned"}}
    assert FAULTS[name].requirement not in caught


def test_edition_1_11_0__missing_transaction_id_header_is_a_warning(
    judge_reference: JudgeReference,
) -> None:
    # D1 is MUST in 1.3.1 and SHOULD in 1.11.0, which no longer declares the header.
    outcomes = judge_reference(
        "1.11.0", frozenset({"txid-missing-on-errors"}), skip_properties=True
    )
    present = [o for o in outcomes if o.requirement_id == "TXID-PRESENT"]
    assert [(o.level, o.outcome) for o in present] == [("SHOULD", "warned")]
    assert exit_code(outcomes) == EXIT_OK


def test_strict__a_should_failure_fails_the_run(judge_reference: JudgeReference) -> None:
    outcomes = judge_reference(
        "1.11.0", frozenset({"txid-missing-on-errors"}), strict=True, skip_properties=True
    )
    assert _failed_musts(outcomes) == {"TXID-PRESENT"}
    assert exit_code(outcomes) == EXIT_MUST_FAILED


def test_edition__a_1_3_1_target_judged_as_1_11_0_warns_only_where_editions_differ() -> None:
    # The 1.3.1 reference answers an invalid refresh token with 401 CMN_90018; 1.11.0
    # documents 400 CMN_90016. Those are SHOULD rules: warnings, and no MUST fails.
    with reference_context("1.11.0", server_edition="1.3.1") as context:
        outcomes = context.judge_all()
    warned = {o.requirement_id for o in outcomes if o.outcome == "warned"}
    assert {"REFRESH-INVALID-STATUS", "ERR-CODE"} <= warned
    assert _failed_musts(outcomes) == set()
