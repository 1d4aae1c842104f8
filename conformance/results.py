"""The result model: one `Outcome` per check run, and the verdict it leads to.

Every writer (conformance.reports) reads only `Outcome` records, already redacted when
they were made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

EXIT_OK, EXIT_MUST_FAILED, EXIT_COULD_NOT_RUN = 0, 1, 2
# "waived": a failure the waivers file accepts until its expiry date.
OUTCOMES = ("passed", "failed", "warned", "waived", "skipped", "error")
# The order every writer lists outcomes in: the suite's own errors first, then failures.
READING_ORDER = ("error", "failed", "warned", "waived", "skipped", "passed")


@dataclass(frozen=True)
class Outcome:
    """One check run: the requirement, its grant, what happened and the redacted evidence."""

    requirement_id: str
    level: str
    grant: str | None
    edition: str
    outcome: str
    message: str
    summary: str
    evidence: list[dict[str, Any]] = field(default_factory=list)
    duration_s: float = 0.0
    area: str = ""
    source: str = ""
    decision: str | None = None
    waiver: dict[str, Any] | None = None  # the waiver that applied (or that is now stale)
    threat: str | None = None  # a security finding's threat (specs/security.toml)

    @property
    def case_id(self) -> str:
        return f"{self.requirement_id}:{self.grant}" if self.grant else self.requirement_id


JUDGED = frozenset({"passed", "failed", "warned", "waived"})
# How a case left unsent by --exitfirst is skipped: its message starts so.
CUT_SHORT = "not sent: --exitfirst ended the sending once a MUST requirement failed"


def cut_short(outcomes: Sequence[Outcome]) -> bool:
    """Whether --exitfirst left cases unsent: the verdict then says so, and is no PASS."""
    return any(o.outcome == "skipped" and o.message.startswith(CUT_SHORT) for o in outcomes)


def untested_musts(outcomes: Sequence[Outcome]) -> list[str]:
    """The MUST requirements some case of which was not judged (skipped for a role,
    deselected, past the lock-out cap): a PASS says nothing about them. Security findings
    are not the contract's: one not judged (a TLS finding on a plain-HTTP target) leaves
    the contract's verdict whole."""
    return sorted(
        {
            o.requirement_id
            for o in outcomes
            if o.level == "MUST"
            and o.outcome == "skipped"
            and o.area != "security"  # specs/security.toml
        }
    )


def exit_code(outcomes: Sequence[Outcome], require_complete: bool = False) -> int:
    """0 every MUST holds, 1 a MUST failed (or, with `require_complete`, went untested; or
    the run was cut short, which only a failure does), 2 the suite could not run or
    judged nothing at all."""
    kinds = {o.outcome for o in outcomes}
    if "error" in kinds or not kinds & JUDGED:
        return EXIT_COULD_NOT_RUN
    if "failed" in kinds or cut_short(outcomes) or (require_complete and untested_musts(outcomes)):
        return EXIT_MUST_FAILED
    return EXIT_OK


def verdict(outcomes: Sequence[Outcome], require_complete: bool = False) -> str:
    """PASS, FAIL or ERROR: the word the exit code stands for."""
    return {EXIT_OK: "PASS", EXIT_MUST_FAILED: "FAIL", EXIT_COULD_NOT_RUN: "ERROR"}[
        exit_code(outcomes, require_complete)
    ]


def verdict_line(outcomes: Sequence[Outcome], require_complete: bool = False) -> str:
    """The verdict as every report states it, saying when it does not cover every MUST."""
    word = verdict(outcomes, require_complete)
    untested = untested_musts(outcomes)
    notes = ["cut short by --exitfirst"] if cut_short(outcomes) else []
    if word != "ERROR" and untested:
        notes.append(f"incomplete: {len(untested)} MUST requirements not tested")
    return f"{word} ({'; '.join(notes)})" if notes else word
