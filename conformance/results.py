"""The result model and what is written from it: results.json and the terminal summary.

Every writer reads only `Outcome` records (already redacted when they were made).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS_SCHEMA_VERSION = 1
EXIT_OK, EXIT_MUST_FAILED, EXIT_COULD_NOT_RUN = 0, 1, 2
OUTCOMES = ("passed", "failed", "warned", "skipped", "error")


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

    @property
    def case_id(self) -> str:
        return f"{self.requirement_id}:{self.grant}" if self.grant else self.requirement_id


def exit_code(outcomes: Sequence[Outcome]) -> int:
    """0 every MUST holds, 1 a MUST failed, 2 the suite could not run."""
    kinds = {o.outcome for o in outcomes}
    if "error" in kinds or not outcomes:
        return EXIT_COULD_NOT_RUN
    return EXIT_MUST_FAILED if "failed" in kinds else EXIT_OK


def verdict(outcomes: Sequence[Outcome]) -> str:
    return {EXIT_OK: "PASS", EXIT_MUST_FAILED: "FAIL", EXIT_COULD_NOT_RUN: "ERROR"}[
        exit_code(outcomes)
    ]


def write_results(path: Path, outcomes: Sequence[Outcome], header: dict[str, Any]) -> Path:
    """Write results.json: {schema_version, run: header, verdict, counts, results: [...]}."""
    document = {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "run": header,
        "verdict": verdict(outcomes),
        "exit_code": exit_code(outcomes),
        "counts": dict(Counter(o.outcome for o in outcomes)),
        "results": [asdict(o) | {"case": o.case_id} for o in sorted(outcomes, key=_order)],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _order(outcome: Outcome) -> tuple[int, str]:
    return (OUTCOMES.index(outcome.outcome) * -1, outcome.case_id)


def render_summary(outcomes: Sequence[Outcome], header: dict[str, Any]) -> str:
    """The end-of-run summary: counts, then every non-passing case with its reason."""
    counts = Counter(o.outcome for o in outcomes)
    lines = [
        f"Conformance {verdict(outcomes)}: {header.get('target')} "
        f"(edition {header.get('edition')})",
        "  " + ", ".join(f"{counts.get(k, 0)} {k}" for k in OUTCOMES),
        f"  requests sent: {header.get('requests_sent', '?')} "
        f"({header.get('generated_requests', 0)} generated, seed {header.get('seed')}), "
        f"wrong-password attempts: {header.get('wrong_password_attempts', 0)}"
        f"/{header.get('wrong_password_cap', '?')}, 429/503 retries honoured: "
        f"{header.get('retries_honoured', 0)}",
    ]
    for kind in ("error", "failed", "warned", "skipped"):
        for o in sorted((o for o in outcomes if o.outcome == kind), key=lambda o: o.case_id):
            first_line = o.message.splitlines()[0] if o.message else ""
            lines.append(f"  {kind.upper():7} {o.level:6} {o.case_id}: {first_line}")
    return "\n".join(lines)
