"""Checks over the schemathesis phase: negative cases refused, responses as documented.

The phase (conformance/properties/schemathesis_phase.py) labels a generated request
`negative` when a required form field of its grant is broken as sent, and notes every
schemathesis check that failed on a response as `schemathesis:<check>: <problem>`.
These checks read those labels and notes; they send nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from conformance.checks._registry import CheckContext, check, outcome, require_any
from conformance.exchange import Exchange

NEGATIVE = "negative"
NOTE_PREFIX = "schemathesis:"
SCHEMATHESIS_SCENARIOS = ("prop_positive", "prop_negative", "prop_coverage")


def _violation(exchange: Exchange) -> str:
    found = [n for n in exchange.notes if n.startswith("negative:")]
    return found[0].removeprefix("negative:").strip() if found else "a required field"


def _refused(exchange: Exchange) -> bool:
    return (
        exchange.status is not None and 400 <= exchange.status < 500 and not exchange.issued_token()
    )


@check("SCHEMA-NEGATIVE-REJECTED", uses=("prop_negative", "prop_coverage"))
def ensure_negative_cases_rejected(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A generated request whose required form fields violate the schema gets a 4xx and no token.

    Only requests labelled `negative` are judged: every header valid, and a required field
    of the named grant missing, repeated or invalid as sent. A negative case that breaks
    only optional or unknown fields is not: a server may ignore those (RFC 6749 3.2).
    """
    judged = [e for e in exchanges if e.label == NEGATIVE and e.response is not None]
    require_any(judged, "no generated request broke a required form field")
    accepted = [e for e in judged if not _refused(e)]
    if accepted:
        first = accepted[0]
        raise ctx.fail(
            f"{len(accepted)} of {len(judged)} schema-violating requests were not refused.",
            "HTTP 4xx and no token for a body whose required fields break the schema",
            f"{outcome(first)} for a body with {_violation(first)}",
            exchange=first,
        )


@check("SCHEMA-RESPONSE-CONFORMS", uses=SCHEMATHESIS_SCENARIOS)
def ensure_responses_conform(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """Responses to generated requests match the document: statuses, types, headers, schemas."""
    answered = [e for e in exchanges if e.response is not None]
    require_any(answered, "the schemathesis phase recorded no response")
    failing = [(e, n) for e in answered for n in e.notes if n.startswith(NOTE_PREFIX)]
    if failing:
        first, note = failing[0]
        checks = sorted({n.removeprefix(NOTE_PREFIX).split(":", 1)[0] for _, n in failing})
        raise ctx.fail(
            f"{len({id(e) for e, _ in failing})} of {len(answered)} responses to generated "
            f"requests fail schemathesis checks ({', '.join(checks)}).",
            "every response passes the schemathesis checks",
            f"{note.removeprefix(NOTE_PREFIX)} ({outcome(first)})",
            exchange=first,
        )
