"""The end-of-run summary printed on the terminal: counts, a table of what did not pass."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from conformance.results import OUTCOMES, READING_ORDER, Outcome, untested_musts, verdict_line

REASON_WIDTH = 90


def pacing_line(header: Mapping[str, Any]) -> str:
    """The rate the run went at and the back-pressure it met, in one line."""
    limit, settled = header.get("rate_limit"), header.get("settled_rate")
    if limit in (None, "0"):
        rate = "rate unlimited"
    elif str(limit).startswith("auto"):
        rate = f"rate {limit}, settled at {settled:g} req/s" if settled else f"rate {limit}"
    else:
        rate = f"rate at most {limit} req/s"
    pushed = header.get("back_pressure") or {}
    answers = pushed.get("answers", 0)
    if not answers:
        return f"{rate}; back-pressure: none"
    kinds = ", ".join(f"{n} {kind}" for kind, n in pushed.get("by_kind", {}).items())
    low, high = pushed.get("rate_seen") or (0, 0)
    seen = f"{low}" if low == high else f"{low}-{high}"
    return (
        f"{rate}; back-pressure: {answers} answers ({kinds}) at {seen} req/s sent, "
        f"{header.get('retries_honoured', 0)} retried, {pushed.get('unresolved', 0)} "
        f"unresolved, {pushed.get('in_bursts', 0)} in bursts"
    )


def security_line(header: Mapping[str, Any]) -> str:
    """The threat roll-up in one line: each state and its threats (report.html has why)."""
    security = header.get("security") or {}
    threats = security.get("threats") or []
    if not threats:
        return ""
    states: dict[str, list[str]] = {}
    for entry in threats:
        states.setdefault(entry["state"], []).append(entry["title"].lower())
    order = ("unmitigated", "partly mitigated", "not judged", "mitigated")
    said = "; ".join(f"{s}: {', '.join(states[s])}" for s in order if s in states)
    return f"security (--security {security.get('mode', 'warn')}): {said}"


def render_summary(
    outcomes: Sequence[Outcome], header: Mapping[str, Any], brief: bool = False
) -> str:
    """Verdict and counts, the run's request figures, then a table of non-passing cases;
    `brief`: the verdict and the failures and errors alone."""
    counts = Counter(o.outcome for o in outcomes)
    complete = bool(header.get("require_complete"))
    verdict = (
        f"Conformance {verdict_line(outcomes, complete)}: {header.get('target')} "
        f"(edition {header.get('edition')}, profile {header.get('profile', 'default')})"
    )
    if brief:
        shown = [o for o in outcomes if o.outcome in ("error", "failed")]
        return "\n".join([verdict, *_table(shown, [])])
    lines = [
        verdict,
        "  " + ", ".join(f"{counts.get(k, 0)} {k}" for k in OUTCOMES),
        f"  requests sent: {header.get('requests_sent', '?')} "
        f"({header.get('generated_requests', 0)} generated, seed {header.get('seed')}), "
        f"wrong-password attempts: {header.get('wrong_password_attempts', 0)}"
        f"/{header.get('wrong_password_cap', '?')}",
        f"  {pacing_line(header)}",
    ]
    untested = untested_musts(outcomes)
    if untested:
        lines.append(f"  MUST requirements not tested: {', '.join(untested)}")
    if line := security_line(header):
        lines.append(f"  {line}")
    stale = sorted(o.case_id for o in outcomes if o.waiver and o.waiver.get("state") == "stale")
    return "\n".join(lines + _table([o for o in outcomes if o.outcome != "passed"], stale))


def _table(shown: Sequence[Outcome], stale: Sequence[str]) -> list[str]:
    """The cases `shown`, worst first, and the stale waivers, as aligned rows."""
    rows = [
        (o.outcome.upper(), o.level, o.case_id, (o.message.splitlines() or [""])[0])
        for kind in READING_ORDER
        for o in sorted((o for o in shown if o.outcome == kind), key=lambda o: o.case_id)
    ]
    rows += [
        ("STALE", "-", case_id, "waiver for a requirement that now passes") for case_id in stale
    ]
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows + [("OUTCOME", "LEVEL", "CASE", "")]) for i in (0, 1, 2)]
    lines = [
        "",
        f"  {'OUTCOME':<{widths[0]}}  {'LEVEL':<{widths[1]}}  {'CASE':<{widths[2]}}  REASON",
    ]
    for kind, level, case_id, reason in rows:
        if len(reason) > REASON_WIDTH:
            reason = reason[: REASON_WIDTH - 1] + "…"
        lines.append(
            f"  {kind:<{widths[0]}}  {level:<{widths[1]}}  {case_id:<{widths[2]}}  {reason}"
        )
    return lines
