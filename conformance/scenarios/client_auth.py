"""Client authentication: HTTP Basic missing, malformed, wrong, unknown, doubled, and a
client whose id and secret need RFC 6749 2.3.1's encoding."""

from __future__ import annotations

import base64
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import quote_plus

from conformance.contract import RFC6749
from conformance.exchange import Exchange
from conformance.scenarios.base import (
    BOTH,
    cc_form,
    expecting,
    near_misses,
    random_value,
    scenario,
    side_by_side,
)
from conformance.settings import Client
from conformance.vocabulary import CC

if TYPE_CHECKING:
    from conformance.run_context import RunContext


@scenario("auth_special", needs="special_client", contracts=BOTH)
def auth_special(ctx: RunContext) -> list[Exchange]:
    special = ctx.settings.client("special")
    return [ctx.send("auth_special", "token", form=cc_form(ctx), auth=special, grant=CC)]


def _refused_client(
    ctx: RunContext, name: str, label: str, auth: Client | str | None, requirement: str
) -> Exchange:
    """client_credentials sent with `auth`, a client authentication the target must refuse
    as `requirement` documents."""
    expects = expecting(ctx, requirement)
    return ctx.send(name, label, form=cc_form(ctx), auth=auth, grant=CC, expects=expects)


@scenario("auth_missing", contracts=BOTH)
def auth_missing(ctx: RunContext) -> list[Exchange]:
    return [_refused_client(ctx, "auth_missing", "no-header", None, "AUTH-MISSING")]


@scenario("auth_malformed", contracts=BOTH)
def auth_malformed(ctx: RunContext) -> list[Exchange]:
    """Authorization headers that carry no usable client credentials. Under RFC 6749 the
    checks decide which of them are failed Basic authentications (see
    `checks.client_auth.MALFORMED_BASIC`)."""
    no_colon = "Basic " + base64.b64encode(b"client-without-colon").decode()
    variants = {
        "not-basic": "Bearer not-a-client-credential",
        "not-base64": "Basic !!not*base64!!",
        "no-colon": no_colon,
        "bare-basic": "Basic",
        **_spoilt_credentials(ctx),
    }
    return side_by_side(
        ctx,
        [
            partial(_refused_client, ctx, "auth_malformed", label, value, "AUTH-MALFORMED")
            for label, value in variants.items()
        ],
    )


def _spoilt_credentials(ctx: RunContext) -> dict[str, str]:
    """The configured client's own Basic credentials (RFC 6749 2.3.1), spoilt in one place,
    by label: a server that decodes them leniently finds the client and issues a token, one
    that decodes them strictly without catching the failure answers 500. Each header holds
    the secret: the redactor learns it, so no report or curl line shows it."""
    halves = (
        quote_plus(ctx.settings.client_id or ""),
        quote_plus(ctx.settings.client_secret or ""),
    )
    user, password = (half.encode() for half in halves)
    spoilt = {
        # bytes before the id that are not UTF-8 (2.3.1's form-urlencoding leaves only ASCII)
        "not-utf8": base64.b64encode(b"\xff\xfe" + user + b":" + password).decode(),
        # a %-escape in the id that 2.3.1's form-urldecoding turns into bytes that are not
        # UTF-8, so the id cannot be decoded at all
        "escape-not-utf8": base64.b64encode(b"%FF" + user + b":" + password).decode(),
    }
    if ctx.settings.platform:
        # A character outside the base64 alphabet, inside the valid credentials: RFC 4648
        # 3.3 has decoders reject it (D10: malformed). Not under RFC 6749: RFC 7617 does
        # not restate 4648's rule, and servers in use (Authlib, oauthlib's
        # django-oauth-toolkit, which decode with Python's lenient b64decode) skip the
        # character and issue a token; without evidence that RFC 6749 forbids that, its
        # verdict on real servers stays as it is.
        valid = base64.b64encode(user + b":" + password).decode()
        middle = len(valid) // 2
        spoilt["outside-alphabet"] = valid[:middle] + "*" + valid[middle:]
    for payload in spoilt.values():
        ctx.redactor.learn(payload)
    return {label: f"Basic {payload}" for label, payload in spoilt.items()}


@scenario("auth_wrong_secret", contracts=BOTH)
def auth_wrong_secret(ctx: RunContext) -> list[Exchange]:
    wrong = Client(ctx.settings.client_id or "", random_value("wrong-secret"))
    return [_refused_client(ctx, "auth_wrong_secret", "wrong-secret", wrong, "AUTH-WRONG-SECRET")]


@scenario("auth_near_miss_credentials")
def auth_near_miss_credentials(ctx: RunContext) -> list[Exchange]:
    """The configured client's id and secret, each spelled almost right."""
    client_id, secret = ctx.settings.client_id or "", ctx.settings.client_secret or ""
    near = {f"secret-{k}": Client(client_id, v) for k, v in near_misses(secret).items()}
    near |= {f"id-{k}": Client(v, secret) for k, v in near_misses(client_id).items()}
    name = "auth_near_miss_credentials"
    return side_by_side(
        ctx,
        [
            partial(_refused_client, ctx, name, label, auth, "AUTH-CREDENTIALS-WHOLE")
            for label, auth in near.items()
        ],
    )


@scenario("auth_unknown_client", contracts=BOTH)
def auth_unknown_client(ctx: RunContext) -> list[Exchange]:
    unknown = Client(random_value("unknown-client"), random_value("secret"))
    return [_refused_client(ctx, "auth_unknown_client", "unknown", unknown, "AUTH-UNKNOWN-CLIENT")]


@scenario("two_auth", contracts=(RFC6749,))
def two_auth(ctx: RunContext) -> list[Exchange]:
    # RFC 6749 2.3: Basic and client_secret_post together are two methods in one request.
    body = {
        **cc_form(ctx),
        "client_id": ctx.settings.client_id or "",
        "client_secret": ctx.settings.client_secret or "",
    }
    return [ctx.send("two_auth", "basic-and-body", form=body, grant=CC)]
