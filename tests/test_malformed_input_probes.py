"""The malformed inputs of the fixed scenarios, sent over real HTTP to the reference:
Basic credentials spoilt in one place (D10), a form without Content-Type or sent chunked,
a header value outside ASCII (D20, D31), a password grant without its password.

Each must reach the target as described (not refused by the client's HTTP layer, not
rewritten by it), leave no secret in the evidence, and get the clean reference's answer.
"""

from __future__ import annotations

import base64
import json

import pytest

from conformance.exchange import Exchange
from conformance.run_context import RunContext
from tests.fixtures.targets import reference_context

SPOILT = ("not-utf8", "escape-not-utf8", "outside-alphabet")


def _labelled(ctx: RunContext, scenario: str) -> dict[str, Exchange]:
    return {e.label: e for e in ctx.exchanges(scenario)}


def _payload(exchange: Exchange) -> str:
    return (exchange.request.header("authorization") or "").removeprefix("Basic ")


@pytest.mark.parametrize("edition", ["1.3.1", "rfc6749"])
def test_spoilt_credentials__the_clients_own_refused_401_and_never_shown(edition: str) -> None:
    with reference_context(edition, skip_properties=True) as ctx:
        sent = _labelled(ctx, "auth_malformed")
        secret = ctx.settings.client_secret or ""
        evidence = json.dumps(
            [ctx.redactor.evidence(sent[label]) for label in SPOILT if label in sent]
        )
    # RFC 4648 3.3's alphabet is the platform's rule only (see the scenario)
    expected = SPOILT if edition == "1.3.1" else SPOILT[:2]
    assert [label for label in SPOILT if label in sent] == list(expected)
    for label in expected:
        assert sent[label].status == 401, label
        assert _payload(sent[label]) not in evidence and secret not in evidence
    assert base64.b64decode(_payload(sent["not-utf8"])).startswith(b"\xff\xfe")
    assert base64.b64decode(_payload(sent["escape-not-utf8"])).startswith(b"%FF")
    if edition == "1.3.1":
        spoilt = _payload(sent["outside-alphabet"])
        assert "*" in spoilt and spoilt.count("*") == 1
        whole = base64.b64decode(spoilt.replace("*", ""), validate=True).decode()
        assert whole.endswith(":" + secret)  # the valid credentials but for the one character


@pytest.mark.parametrize(("edition", "refused"), [("1.3.1", "CMN_90011"), ("rfc6749", None)])
def test_body_framing__without_content_type_and_chunked_as_labelled(
    edition: str, refused: str | None
) -> None:
    with reference_context(edition, skip_properties=True) as ctx:
        sent = _labelled(ctx, "body_framing")
    bare, chunked = sent["no-content-type"], sent["chunked"]
    assert bare.operation == chunked.operation == "other"  # judged by NO-5XX alone
    assert bare.request.header("content-type") is None
    assert bare.status == 400 and (bare.body_object() or {}).get("code") == refused
    assert chunked.request.header("transfer-encoding") == "chunked"
    assert chunked.request.header("content-length") is None
    assert chunked.issued_token()  # the reference read the whole chunked body


@pytest.mark.parametrize(
    ("edition", "member", "value"),
    [("1.3.1", "code", "CMN_90017"), ("rfc6749", "error", "invalid_request")],
)
def test_header_obs_text__reaches_the_application(edition: str, member: str, value: str) -> None:
    # An answer of h11's own (a bare 400, no JSON) would mean the byte never reached the app.
    with reference_context(edition, skip_properties=True) as ctx:
        (exchange,) = ctx.exchanges("header_obs_text")
    assert exchange.request.header("x-conformance-probe") == "conformance-caf\xe9"
    assert exchange.operation == "token"  # judged as every error answer of the operation
    assert exchange.status == 400 and (exchange.body_object() or {}).get(member) == value


def test_password_without_password__rfc6749_names_a_user_no_target_has() -> None:
    with reference_context("rfc6749", skip_properties=True) as ctx:
        (exchange,) = [
            e for e in ctx.exchanges("password_missing_fields") if e.label == "no-password"
        ]
        attempts = ctx.wrong_password_attempts
    body = dict(pair.split("=") for pair in exchange.request.body.decode().split("&"))
    assert set(body) == {"grant_type", "username"}
    assert body["username"] != ctx.settings.username and body["username"].startswith("unknown-user")
    assert (
        exchange.status == 400 and (exchange.body_object() or {}).get("error") == "invalid_request"
    )
    assert attempts == 0  # no login of the configured user was spent
