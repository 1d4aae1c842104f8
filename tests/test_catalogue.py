"""The contract and the checks stay in step: every requirement has exactly one check."""

from __future__ import annotations

import conformance
from conformance.checks import CHECKS
from conformance.contract import EDITIONS, ROLES, load_contract
from conformance.scenarios import SCENARIOS


def test_every_requirement_has_a_check_and_every_check_a_requirement() -> None:
    ids = {r.id for r in load_contract().requirements}
    assert ids - set(CHECKS) == set(), "requirements no check covers"
    assert set(CHECKS) - ids == set(), "checks naming unknown requirements"


def test_every_decision_d1_to_d23_is_a_requirement() -> None:
    decisions = {r.decision for r in load_contract().requirements if r.decision}
    assert decisions == {f"D{n}" for n in range(1, 24)}


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
