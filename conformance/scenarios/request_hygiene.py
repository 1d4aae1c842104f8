"""The request itself: grant_type missing or unknown, a body that is not a form, a form
without a Content-Type or sent chunked, a method other than POST, a repeated or
unrecognized parameter, a scope no server grants, header names spelled in another case, a
header value outside ASCII.

Where the two contracts judge the same rule with different requests, the scenario reads
the run's family and sends its contract's; the labels say which request is which.
"""

from __future__ import annotations

import json
from functools import partial
from typing import TYPE_CHECKING

from conformance.contract import RFC6749
from conformance.exchange import Exchange
from conformance.scenarios.base import (
    BOTH,
    cc_form,
    expecting,
    password_form,
    scenario,
    side_by_side,
    with_scope,
)
from conformance.sender import FORM, new_transaction_id
from conformance.vocabulary import CC, PW, UNKNOWN_SCOPE

if TYPE_CHECKING:
    from conformance.run_context import RunContext

PLATFORM_UNKNOWN_SCOPE = "conformance:not-a-scope"
# A header no server gives a meaning to: its value is all that is tried.
OBS_TEXT_HEADER = "X-Conformance-Probe"


@scenario("grant_missing", contracts=BOTH)
def grant_missing(ctx: RunContext) -> list[Exchange]:
    if ctx.settings.platform:  # a form, only without grant_type
        cases: dict[str, dict[str, object]] = {
            "no-grant-type": {"form": {"username": ctx.settings.username or "x"}}
        }
    else:  # RFC 6749 3.2: a parameter sent without a value is treated as omitted
        cases = {"omitted": {"body": b""}, "empty": {"form": {"grant_type": ""}}}
    expects = expecting(ctx, "GRANT-MISSING")
    return [
        ctx.send("grant_missing", label, expects=expects, **sending)
        for label, sending in cases.items()
    ]


@scenario("grant_unsupported", contracts=BOTH)
def grant_unsupported(ctx: RunContext) -> list[Exchange]:
    # The platform's contract offers four grants, so any other is unsupported. A server
    # judged by RFC 6749 alone may offer extension grants (4.5), so it is asked for one
    # that no server defines.
    if ctx.settings.platform:
        values = {v: v for v in ("implicit", "urn:ietf:params:oauth:grant-type:device_code")}
    else:
        values = {"unknown-grant": "urn:example:conformance:unsupported-grant"}
    expects = expecting(ctx, "GRANT-UNSUPPORTED")
    return [
        ctx.send("grant_unsupported", label, form={"grant_type": value}, expects=expects)
        for label, value in values.items()
    ]


@scenario("body_not_form", contracts=BOTH)
def body_not_form(ctx: RunContext) -> list[Exchange]:
    cases = {"json": (json.dumps(cc_form(ctx)).encode(), "application/json")}
    if ctx.settings.platform:  # its contract refuses any body that is not a form
        # Garbage is binary with no '=' or '&', so no parser, however lenient, finds a
        # grant in it.
        cases |= {
            "empty": (b"", "application/x-www-form-urlencoded"),
            "garbage": (
                bytes(range(0x80, 0xA0)) + b"\x00\x01\xfe\xff",
                "application/x-www-form-urlencoded",
            ),
        }
    expects = expecting(ctx, "BODY-NOT-FORM")
    return [
        ctx.send("body_not_form", label, body=body, content_type=media, expects=expects)
        for label, (body, media) in cases.items()
    ]


@scenario("body_framing", contracts=BOTH)
def body_framing(ctx: RunContext) -> list[Exchange]:
    """The client_credentials request of `cc_success`, its form sent without a Content-Type,
    and sent as Transfer-Encoding: chunked with no Content-Length. A server may sniff the
    form or refuse it, and may read the chunked body (RFC 9112 7.1: every HTTP/1.1
    recipient can), refuse it with 411 (RFC 9110 15.5.12), or, as WSGI servers do, see an
    empty body and refuse that; none of them is a 5xx, the one thing judged (NO-5XX).

    Their operation is "other", as for a method the contract does not define: the token
    operation is a form with its Content-Type and its length, and what a server, or the
    HTTP layer in front of it, answers to another framing (a 411 page, say) is not an
    error answer of that operation (D1, D17, RFC 6749 5.2)."""
    framings: dict[str, dict[str, object]] = {
        "no-content-type": {"content_type": None},
        "chunked": {"chunked": True},
    }
    return side_by_side(
        ctx,
        [
            partial(
                ctx.send,
                "body_framing",
                label,
                form=cc_form(ctx),
                grant=CC,
                operation="other",
                **framing,
            )
            for label, framing in framings.items()
        ],
    )


@scenario("header_obs_text", contracts=BOTH)
def header_obs_text(ctx: RunContext) -> list[Exchange]:
    """The client_credentials request of `cc_success` with one more header, whose value
    holds a byte outside ASCII that HTTP/1.1 still carries (obs-text, RFC 9110 5.5): a
    server may ignore the header or refuse the request (the platform's CMN_90017). Only
    the rules of every error answer judge it (its body, its status for its code, no 5xx),
    so a token is no failure."""
    header = (OBS_TEXT_HEADER, b"conformance-caf\xe9")
    return [
        ctx.send("header_obs_text", "obs-text", form=cc_form(ctx), grant=CC, extra_headers=[header])
    ]


@scenario("params_in_query")
def params_in_query(ctx: RunContext) -> list[Exchange]:
    # D27: read from the body only. The grant alone travels in the query: no credential
    # is ever put in a URL, where servers and proxies log it.
    expects = expecting(ctx, "PARAMS-BODY-ONLY")
    return [
        ctx.send("params_in_query", "query-only", params=cc_form(ctx), body=b"", expects=expects)
    ]


@scenario("method_not_post", contracts=BOTH)
def method_not_post(ctx: RunContext) -> list[Exchange]:
    sent = [
        ctx.send(
            "method_not_post",
            "GET",
            method="GET",
            params=cc_form(ctx),
            content_type=None,
            operation="other",
        )
    ]
    # RFC 6749 3.2 speaks of a GET carrying the request in its query; the platform's
    # contract refuses every method but POST.
    others = ("PUT", "PATCH", "DELETE") if ctx.settings.platform else ()
    sent += [
        ctx.send("method_not_post", method, method=method, form=cc_form(ctx), operation="other")
        for method in others
    ]
    return sent


@scenario("param_repeated", contracts=BOTH)
def param_repeated(ctx: RunContext) -> list[Exchange]:
    form = [("grant_type", CC), ("grant_type", CC)]
    expects = expecting(ctx, "PARAM-REPEATED")
    return [ctx.send("param_repeated", "grant_type-twice", form=form, grant=CC, expects=expects)]


@scenario("unknown_param", contracts=(RFC6749,))
def unknown_param(ctx: RunContext) -> list[Exchange]:
    form = {**cc_form(ctx), "conformance_unrecognized": "ignored"}
    return [ctx.send("unknown_param", "unrecognized", form=form, grant=CC)]


@scenario("scopes_unknown", contracts=BOTH)
def scopes_unknown(ctx: RunContext) -> list[Exchange]:
    if ctx.settings.platform:  # its own `scopes` parameter, with both grants that take it
        asked = [
            (grant, {**form, "scopes": PLATFORM_UNKNOWN_SCOPE}, grant)
            for grant, form in ((CC, cc_form(ctx)), (PW, password_form(ctx)))
        ]
    else:  # RFC 6749 3.3's scope, beside the configured one and alone
        scope = f"{ctx.settings.scope or ''} {UNKNOWN_SCOPE}".strip()
        asked = [("unknown-scope", with_scope(ctx, {"grant_type": CC}, scope), CC)]
        # Beside a known scope, a server may refuse the request for its known part's sake or
        # drop the unknown one; alone, it must either refuse it or say what it granted
        # instead, and its own error code for an unknown scope shows. Without a configured
        # scope the request above already is this one.
        if ctx.settings.scope:
            alone = with_scope(ctx, {"grant_type": CC}, UNKNOWN_SCOPE)
            asked.append(("unknown-scope-alone", alone, CC))
    expects = expecting(ctx, "SCOPES-UNKNOWN")
    return [
        ctx.send("scopes_unknown", label, form=form, grant=grant, expects=expects)
        for label, form, grant in asked
    ]


@scenario("header_name_case")
def header_name_case(ctx: RunContext) -> list[Exchange]:
    """The client_credentials request of `cc_success` with one header name, institutionId,
    Authorization or Content-Type, spelled in lower and then in upper case (D24)."""
    sends = []
    names = ("institutionId", "Authorization", "Content-Type")
    for name in names if ctx.settings.institution_id else names[1:]:
        for spelling in (name.lower(), name.upper()):
            headers = ctx.sender.build_headers(
                auth=ctx.settings.client(),
                transaction_id=new_transaction_id(),
                institution=ctx.settings.institution_id,
                content_type=FORM,
            )
            respelled = [(spelling if n == name else n, v) for n, v in headers]
            sends.append(
                partial(
                    ctx.send,
                    "header_name_case",
                    spelling,
                    form=cc_form(ctx),
                    grant=CC,
                    auth=None,
                    transaction_id=None,
                    institution=None,
                    content_type=None,
                    extra_headers=respelled,
                )
            )
    return side_by_side(ctx, sends)
