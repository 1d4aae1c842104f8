"""Checks over the schemathesis phase: negative cases refused, responses as documented.

The phase (conformance/properties/schemathesis_phase.py) labels a generated request
`negative` when a required form field of its grant is broken as sent (`Exchange.violation`
says which), and records every schemathesis check that failed on a response
(`Exchange.findings`). These checks read them; they send nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from conformance.checks._registry import CheckContext, check, outcome, require_any
from conformance.exchange import Exchange

NEGATIVE = "negative"
SCHEMATHESIS_SCENARIOS = ("prop_positive", "prop_negative", "prop_coverage")


def _violation(exchange: Exchange) -> str:
    return exchange.violation or "a required field"


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
    failing = [(e, f) for e in answered for f in e.findings]
    if failing:
        first, finding = failing[0]
        checks = sorted({f.check for _, f in failing})
        raise ctx.fail(
            f"{len({id(e) for e, _ in failing})} of {len(answered)} responses to generated "
            f"requests fail schemathesis checks ({', '.join(checks)}).",
            "every response passes the schemathesis checks",
            f"{finding.check}: {finding.problem} ({outcome(first)})",
            exchange=first,
        )
