"""Checks that only generated input (the hypothesis properties) gives something to judge."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import parse_qsl

from conformance.checks._registry import ALL, CheckContext, check, outcome, require_any
from conformance.exchange import Exchange

# What must never travel from a request's invalid transactionId into a response
# header: control characters (CR and LF among them) and markup.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Characters kept on each side of an unsafe one: enough that finding the piece in a
# response header means it was copied, not that the header happens to hold a "<".
_CONTEXT = 3
_BASELINE = {"cc_success": "client_credentials", "password_success": "password"}


def _copied_pieces(sent: str) -> set[str]:
    """Each unsafe character of `sent` with its neighbours, as a copy would carry it."""
    value = sent.strip(" \t")  # whitespace at the ends is not part of a field value
    return {
        value[max(0, m.start() - _CONTEXT) : m.end() + _CONTEXT] for m in _UNSAFE.finditer(value)
    }


def _injected_fields(sent: str) -> set[tuple[str, str]]:
    """The header fields a target that split `sent` at its line breaks would add."""
    fields = set()
    for line in _LINE_BREAK.split(sent)[1:]:
        name, colon, value = line.partition(":")
        if colon and name.strip():
            fields.add((name.strip().lower(), value.strip()))
    return fields


def _reflection(exchange: Exchange) -> str | None:
    """The response header that carries part of the request's unsafe transactionId."""
    sent = exchange.sent_transaction_id or ""
    pieces, injected = _copied_pieces(sent), _injected_fields(sent)
    assert exchange.response is not None
    for name, value in exchange.response.headers:
        if any(piece in value for piece in pieces) or (name.lower(), value.strip()) in injected:
            return f"{name}: {value[:120]!r}"
    return None


def _unsafe_sent(exchanges: Sequence[Exchange]) -> list[Exchange]:
    return [
        e
        for e in exchanges
        if e.response is not None and _UNSAFE.search((e.sent_transaction_id or "").strip(" \t"))
    ]


@check("TXID-NOT-REFLECTED", uses=ALL)
def ensure_invalid_transaction_id_not_reflected(
    exchanges: Sequence[Exchange], ctx: CheckContext
) -> None:
    """No response header carries control characters or markup from an invalid transactionId.

    Echoing an invalid but printable value is allowed; copying CR, LF, other control
    characters or `<`/`>` is not (header injection, response splitting, markup in
    logs and consoles).
    """
    judged = require_any(
        _unsafe_sent(exchanges),
        "no request carried a transactionId with control characters or markup "
        "(the property-based phase sends them)",
    )
    for exchange in judged:
        reflected = _reflection(exchange)
        if reflected:
            raise ctx.fail(
                "A response header carries unsafe characters from the request's transactionId.",
                "a fresh transactionId (or none of the request's control characters and markup)",
                f"{reflected} after transactionId {exchange.sent_transaction_id!r:.120}",
                exchange=exchange,
            )


def _parameter_names(exchange: Exchange) -> str:
    """The form's parameter names in the order sent (names only: values may be secret)."""
    try:
        pairs = parse_qsl(exchange.request.body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return "?"
    return ", ".join(name for name, _ in pairs)


@check("PARAM-ORDER", uses=("prop_param_order", *_BASELINE))
def ensure_parameter_order_irrelevant(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A valid request is accepted whatever the order of its form parameters."""
    # Judged against a baseline: a grant that gets no token in its usual order is
    # broken (CC-SUCCESS, PASSWORD-SUCCESS say so), not sensitive to order.
    working = {
        grant
        for name, grant in _BASELINE.items()
        if any(e.scenario == name and e.issued_token() for e in exchanges)
    }
    permuted = [
        e
        for e in exchanges
        if e.scenario == "prop_param_order" and e.label == "permutation" and e.grant in working
    ]
    for exchange in require_any(
        permuted,
        "no permuted request of a grant that works in its usual order was sent "
        "(the property-based phase sends them; see CC-SUCCESS)",
    ):
        if not exchange.issued_token():
            raise ctx.fail(
                "A valid request was refused because of the order of its form parameters.",
                "HTTP 200 with a token, whatever the order",
                f"{outcome(exchange)} for parameters in the order {_parameter_names(exchange)}",
                exchange=exchange,
            )
