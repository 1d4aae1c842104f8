"""The threat roll-up: the security findings of a run grouped by the threat they answer
(specs/security.toml), each threat mitigated, partly mitigated, unmitigated or not judged,
with the one line that says why. report.html and the Markdown summary show it; it fits
one screen because there are five threats, not fifty findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conformance.contract import Threat
from conformance.results import Outcome

# What a threat's state is, from the findings judged under it.
MITIGATED = "mitigated"
PARTLY = "partly mitigated"
UNMITIGATED = "unmitigated"
NOT_JUDGED = "not judged"
NOT_HOLDING = frozenset({"failed", "warned", "waived"})


def _first_line(outcome: Outcome) -> str:
    return (outcome.message.splitlines() or [outcome.summary])[0]


def _said(outcome: Outcome) -> str:
    """A finding that does not hold, as the roll-up names it (and who accepted it)."""
    text = f"{outcome.requirement_id} ({outcome.level}): {_first_line(outcome)}"
    waiver = outcome.waiver or {}
    if outcome.outcome == "waived":
        owner = f" by {waiver['owner']}" if waiver.get("owner") else ""
        text += f" [accepted{owner} until {waiver.get('expires')}]"
    return text


def rollup(outcomes: Sequence[Outcome], threats: Sequence[Threat]) -> list[dict[str, Any]]:
    """One entry per threat: id, title, state, why, and the findings under it."""
    entries = []
    for threat in threats:
        findings = sorted(
            {o.requirement_id: o for o in outcomes if o.threat == threat.id}.values(),
            key=lambda o: o.requirement_id,
        )
        judged = [o for o in findings if o.outcome in {"passed", *NOT_HOLDING}]
        failing = [o for o in judged if o.outcome in NOT_HOLDING]
        if not judged:
            state = NOT_JUDGED
            reasons = sorted({_first_line(o) for o in findings if o.outcome == "skipped"})
            why = "; ".join(reasons) or "no finding of this threat was run"
        elif not failing:
            state = MITIGATED
            why = "holds: " + ", ".join(o.requirement_id for o in judged)
        else:
            state = UNMITIGATED if any(o.level == "MUST" for o in failing) else PARTLY
            why = "; ".join(_said(o) for o in failing)
        entries.append(
            {
                "threat": threat.id,
                "title": threat.title,
                "state": state,
                "why": why,
                "findings": {o.requirement_id: o.outcome for o in findings},
            }
        )
    return entries
