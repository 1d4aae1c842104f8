"""The threat roll-up (`conformance.threats`): each threat's state from its findings."""

from __future__ import annotations

from conformance.contract import Threat
from conformance.results import Outcome
from conformance.threats import rollup

THREATS = (Threat("t", "A threat", "what it is"),)


def _finding(rid: str, outcome: str, level: str = "MUST", **extra: object) -> Outcome:
    return Outcome(
        requirement_id=rid, level=level, grant=None, edition="1.3.1", outcome=outcome,
        message=f"{rid} said why\n\nExpected: x", summary="s", area="security", threat="t",
        **extra,  # type: ignore[arg-type]
    )  # fmt: skip


def _state(*findings: Outcome) -> tuple[str, str]:
    (entry,) = rollup(findings, THREATS)
    return entry["state"], entry["why"]


def test_every_finding_holding_is_mitigated() -> None:
    assert _state(_finding("A", "passed"), _finding("B", "passed", "SHOULD")) == (
        "mitigated",
        "holds: A, B",
    )


def test_a_must_finding_that_does_not_hold_is_unmitigated() -> None:
    state, why = _state(_finding("A", "passed"), _finding("B", "warned"))
    assert state == "unmitigated" and why.startswith("B (MUST): B said why")


def test_only_should_findings_not_holding_is_partly_mitigated() -> None:
    state, _ = _state(_finding("A", "passed"), _finding("B", "failed", "SHOULD"))
    assert state == "partly mitigated"


def test_a_waived_finding_still_counts_and_says_who_accepted_it() -> None:
    waiver = {"reason": "r", "expires": "2099-12-31", "state": "applied", "owner": "sec-team"}
    state, why = _state(_finding("A", "waived", waiver=waiver))
    assert state == "unmitigated"
    assert why.endswith("[accepted by sec-team until 2099-12-31]")


def test_nothing_judged_is_not_judged_with_the_reasons() -> None:
    skipped = _finding("A", "skipped")
    assert _state(skipped) == ("not judged", "A said why")
    (entry,) = rollup([], THREATS)
    assert entry["state"] == "not judged" and entry["findings"] == {}


def test_findings_of_other_threats_or_the_contract_are_not_counted() -> None:
    other = Outcome("C", "MUST", None, "1.3.1", "failed", "m", "s", area="security", threat="u")
    contract = Outcome("D", "MUST", None, "1.3.1", "failed", "m", "s", area="errors")
    assert _state(_finding("A", "passed"), other, contract)[0] == "mitigated"
