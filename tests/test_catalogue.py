"""The contracts and the checks stay in step: every requirement has exactly one check.

Two contracts share the registry: the platform's (specs/contract.toml) and the rfc6749
profile's (specs/rfc6749.toml); a check reads only its own contract's scenarios.
"""

from __future__ import annotations

import conformance
from conformance.checks import CHECKS
from conformance.contract import EDITIONS, RFC6749, ROLES, contract_for, load_contract
from conformance.scenarios import SCENARIOS

# The security findings (specs/security.toml) are judged beside either contract.
SECURITY_IDS = {r.id for r in load_contract().requirements if r.is_security}
PLATFORM_IDS = {r.id for r in load_contract().requirements} - SECURITY_IDS
RFC_IDS = {r.id for r in contract_for(RFC6749).requirements} - SECURITY_IDS


def test_every_requirement_has_a_check_and_every_check_a_requirement() -> None:
    ids = PLATFORM_IDS | RFC_IDS | SECURITY_IDS
    assert not PLATFORM_IDS & RFC_IDS, "one id in both contracts"
    assert {r.id for r in contract_for(RFC6749).requirements} >= SECURITY_IDS
    assert ids - set(CHECKS) == set(), "requirements no check covers"
    assert set(CHECKS) - ids == set(), "checks naming unknown requirements"


def test_checks_read_only_their_own_contracts_scenarios() -> None:
    for check in CHECKS.values():
        if check.requirement_id in SECURITY_IDS:
            continue  # judged beside either contract: a scenario of either serves it
        family = "rfc6749" if check.requirement_id in RFC_IDS else "platform"
        serving = [SCENARIOS[name].contracts for name in check.uses if name != "*"]
        assert all(family in contracts for contracts in serving), check.requirement_id


def test_rfc6749_requirements__levels_are_the_rfcs_and_codes_are_section_5_2s() -> None:
    contract = contract_for(RFC6749)
    codes = {c.code for c in contract.error_codes}
    assert codes == {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
    }
    for req in contract.requirements:
        assert set(req.level_by_edition) == {RFC6749}, req.id
        assert req.level(RFC6749) in {"MUST", "SHOULD", "MAY"}, req.id
        assert req.needs is None or req.needs in ROLES, req.id
        assert req.source.startswith("RFC "), req.id
        expectation = req.expectation(RFC6749)
        if expectation and expectation.code:
            assert expectation.code in codes, (req.id, expectation.code)


def test_every_decision_d1_to_d23_is_a_requirement_and_later_ones_name_real_decisions() -> None:
    # D24-D31 came with the independent implementation's findings; each gets its
    # requirement as its check lands (issue 17), and none may name a decision not made.
    decisions = {r.decision for r in load_contract().requirements if r.decision}
    assert {f"D{n}" for n in range(1, 24)} <= decisions <= {f"D{n}" for n in range(1, 32)}


def test_requirements__levels_editions_roles_and_expectations_are_well_formed() -> None:
    contract = load_contract()
    codes = {c.code for c in contract.error_codes}
    for req in contract.requirements:
        assert set(req.level_by_edition) == set(EDITIONS), req.id
        assert set(req.level_by_edition.values()) <= {"MUST", "SHOULD"}, req.id
        assert req.needs is None or req.needs in ROLES, req.id
        for edition in EDITIONS:
            expectation = req.expectation(edition)
            if expectation and expectation.code:
                assert expectation.code in codes, (req.id, expectation.code)


def test_checks_read_only_registered_scenarios() -> None:
    for check in CHECKS.values():
        assert check.uses == ("*",) or set(check.uses) <= set(SCENARIOS), check.requirement_id


def test_checks_have_docstrings_the_report_can_show() -> None:
    for check in CHECKS.values():
        assert check.function.__doc__, check.requirement_id


def test_public_surface__sorted_and_as_documented() -> None:
    assert conformance.__all__ == sorted(conformance.__all__)
    assert conformance.__all__ == [
        "ConfigError",
        "ConformanceError",
        "Contract",
        "Failure",
        "Requirement",
        "Settings",
        "Skipped",
        "TargetUnreachable",
        "__version__",
        "load_contract",
        "load_settings",
    ]


def test_every_should_names_why_it_is_not_a_must() -> None:
    # Levels follow the sources: a SHOULD only where a source says SHOULD (or MAY) or
    # the sources disagree, and the requirement says which; a MUST needs no such note.
    for contract in (load_contract(), contract_for(RFC6749)):
        for requirement in contract.requirements:
            softened = {"SHOULD", "MAY"} & set(requirement.level_by_edition.values())
            assert bool(softened) == bool(requirement.should_because), requirement.id
