"""The transactionId correlation header: present, echoed, its own under concurrency."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from conformance.checks._registry import ALL, CheckContext, check, outcome, require_any
from conformance.errors import Skipped
from conformance.exchange import Exchange, valid_transaction_id

DOCUMENTED_OPERATIONS = ("token", "revoke")


def _same_id(sent: str, received: str) -> bool:
    # UUIDs are compared as UUIDs: a target may normalise hex case.
    return valid_transaction_id(received) and uuid.UUID(sent) == uuid.UUID(received)


def _answered(exchanges: Sequence[Exchange]) -> list[Exchange]:
    return [e for e in exchanges if e.response is not None and e.operation in DOCUMENTED_OPERATIONS]


def _wrong_method(exchange: Exchange) -> bool:
    """A request to the token path with another method than POST: still answered by the
    endpoint, so D1 ("whatever the status") holds for its 405 too."""
    return (
        exchange.response is not None
        and exchange.operation == "other"
        and exchange.request.method != "POST"
    )


@check("TXID-PRESENT", uses=ALL)
def ensure_transaction_id_present(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """Every response of the token endpoint (whatever the method) and of revocation carries
    a transactionId header."""
    answered = _answered(exchanges) + [e for e in exchanges if _wrong_method(e)]
    for exchange in require_any(answered, "no answered request to inspect"):
        assert exchange.response is not None
        if not (exchange.response.header("transactionId") or "").strip():
            raise ctx.fail(
                "A response carries no transactionId header.",
                "a transactionId response header on every status",
                outcome(exchange),
                exchange=exchange,
            )


def _echo_mismatches(exchanges: Sequence[Exchange]) -> list[tuple[Exchange, str]]:
    """Answers whose transactionId is not their request's valid one, leaving out those
    that may carry the id of a request in flight beside them (cross-talk: D23's)."""
    mismatches = []
    for exchange in _answered(exchanges):
        assert exchange.response is not None
        sent = exchange.sent_transaction_id
        received = exchange.response.header("transactionId")
        if (
            valid_transaction_id(sent)
            and received
            and not _same_id(sent or "", received)
            and not exchange.crossed()
        ):
            mismatches.append((exchange, received))
    return mismatches


def _judged(exchanges: Sequence[Exchange]) -> list[Exchange]:
    """Exchanges that sent a valid transactionId and got one back: the ones D2 speaks of."""
    return [
        e
        for e in _answered(exchanges)
        if valid_transaction_id(e.sent_transaction_id)
        and e.response
        and e.response.header("transactionId")
    ]


# Scenarios whose requests D2 judges one by one: each carries a valid transactionId of
# its own. Several may be in flight at once: every exchange knows which ids flew beside
# it (`Exchange.beside`), so a response carrying one of those is cross-talk, left to D23.
ECHO_JUDGED = (
    "txid_echo",
    "prop_txid_echo",
    "prop_txid_case",
    "prop_scopes",
    "prop_param_order",
    "prop_lifecycle",
)
CONCURRENT = ("txid_concurrent", "prop_txid_concurrent")  # batches sent at once, for D23
_BASELINE = ("txid_echo", "prop_txid_echo")  # does the target echo at all?


@check("TXID-ECHO", uses=ECHO_JUDGED)
def ensure_transaction_id_echoed(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A response's transactionId equals the valid one its request carried.

    A response carrying the id of a request in flight beside it is cross-talk,
    TXID-CONCURRENT's (D23), not this rule's.
    """
    require_any(
        _judged(exchanges), "no response carried a transactionId to compare (see TXID-PRESENT)"
    )
    mismatches = _echo_mismatches(exchanges)
    if mismatches:
        exchange, received = mismatches[0]
        raise ctx.fail(
            f"{len(mismatches)} response(s) carry a transactionId other than their request's.",
            f"transactionId: {exchange.sent_transaction_id}",
            f"transactionId: {received[:80]!r} ({exchange.scenario}/{exchange.label})",
        )


@check("TXID-CONCURRENT", uses=(*CONCURRENT, *ECHO_JUDGED))
def ensure_transaction_id_own_under_concurrency(
    exchanges: Sequence[Exchange], ctx: CheckContext
) -> None:
    """Under concurrent requests each response's transactionId is its own request's.

    Judged on the batches sent to find cross-talk, and on any other answer that carries
    the id of a request in flight beside it.
    """
    # Judged against a baseline: a target that does not echo even one request at a time
    # breaks D2 (TXID-ECHO), which says nothing about concurrency.
    if _echo_mismatches([e for e in exchanges if e.scenario in _BASELINE]):
        raise Skipped("responses do not echo transactionId even one at a time (see TXID-ECHO)")
    concurrent = [e for e in exchanges if e.scenario in CONCURRENT]
    judged = require_any(_judged(concurrent), "no concurrent response carried a transactionId")
    in_batches = [
        e for e in judged if not _same_id(e.sent_transaction_id or "", e.received_transaction_id())
    ]
    elsewhere = [
        e for e in _judged(exchanges) if e.scenario not in CONCURRENT and e.crossed_surely()
    ]
    if in_batches or elsewhere:
        exchange = (in_batches or elsewhere)[0]
        assert exchange.response is not None  # judged: it was answered
        also = (
            f" {len(elsewhere)} other answer(s) carry the id of a request in flight beside them."
            if elsewhere
            else ""
        )
        raise ctx.fail(
            f"{len(in_batches)} of {len(judged)} concurrent responses carry another request's "
            f"transactionId.{also}",
            f"each response's transactionId equals its request's ({exchange.sent_transaction_id})",
            f"{(exchange.response.header('transactionId') or '')[:80]!r} "
            f"({exchange.scenario}/{exchange.label})",
        )


@check("TXID-HEADER-CASE", uses=("txid_case", "prop_txid_case", "cc_success"))
def ensure_transaction_id_name_case_insensitive(
    exchanges: Sequence[Exchange], ctx: CheckContext
) -> None:
    """transactionId is accepted whatever the case of the header name."""
    ensure_respelled_accepted(exchanges, ctx, ("transactionId",))


@check("HEADER-NAME-CASE", uses=("header_name_case", "cc_success"))
def ensure_header_names_case_insensitive(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """institutionId, Authorization and Content-Type are read whatever the case of their names."""
    ensure_respelled_accepted(exchanges, ctx, ("institutionId", "Authorization", "Content-Type"))


def ensure_respelled_accepted(
    exchanges: Sequence[Exchange], ctx: CheckContext, names: Sequence[str]
) -> None:
    """Each request of the scenarios but `cc_success` (the canonical spelling) spells one
    of `names` another way (D24); each gets a token when the canonical one did."""
    variants = [e for e in exchanges if e.scenario != "cc_success"]
    canonical = [e for e in exchanges if e.scenario == "cc_success"]
    if canonical and not any(e.issued_token() for e in canonical):
        # Refused however the name is spelled: that is not about its case.
        raise Skipped(
            "the same request with the header spelled transactionId got no token either "
            "(see CC-SUCCESS): no verdict on the case of its name"
        )
    lowered = {name.lower(): name for name in names}
    for exchange in require_any(variants, "the scenario sent no request"):
        if not exchange.issued_token():
            spelled = [n for n, _ in exchange.request.headers if n.lower() in lowered]
            odd = next((n for n in spelled if n not in names), spelled[0] if spelled else "?")
            raise ctx.fail(
                f"A valid request was refused because of the {lowered.get(odd.lower(), odd)} "
                "header name's case.",
                f"HTTP 200 with a token for a header spelled {odd}",
                outcome(exchange),
                exchange=exchange,
            )
