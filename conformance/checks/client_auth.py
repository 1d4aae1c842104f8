"""Client authentication: the challenge a 401 carries, a failed Basic authentication,
and a client whose id and secret need RFC 6749 2.3.1's encoding.

The requests refused for their credentials are rows of `refusals.REFUSALS`
(AUTH-MISSING ... AUTH-UNKNOWN-CLIENT, RFC-INVALID-CLIENT).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from conformance.checks._registry import ALL, CheckContext, check, outcome, require_any
from conformance.checks.refusals import documented, ensure_refused, only_labelled
from conformance.checks.success import ensure_token_issued
from conformance.contract import RFC6749
from conformance.errors import Skipped
from conformance.exchange import Exchange
from conformance.vocabulary import PLATFORM

QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
BASIC_SCHEME = re.compile(r"(?:^|,)\s*basic(?:\s|,|$)", re.IGNORECASE)

# The platform judges the special client against the main client's requests: when those
# get no token either, the grant is broken (CC-SUCCESS says so), which says nothing about
# special characters. The rfc6749 profile judges the special client's request alone.
SPECIAL_BASELINE = {PLATFORM: "cc_success"}


@check("AUTH-WWW-AUTHENTICATE", uses=ALL)
@check("RFC-401-CHALLENGE", uses=ALL)
def ensure_401_challenge(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A 401 carries a WWW-Authenticate challenge.

    Under RFC 6749 every 401 (RFC 9110 15.5.2); on the platform every 401 answering an
    Authorization header (RFC 6749 5.2).
    """
    every = ctx.family == RFC6749
    answered = [
        e for e in exchanges if e.status == 401 and (every or e.request.header("authorization"))
    ]
    unjudged = "no request got a 401" if every else "no 401 answered an Authorization header"
    for exchange in require_any(answered, unjudged):
        if not exchange.response or not exchange.response.header("www-authenticate"):
            raise ctx.fail(
                "A 401 carries no WWW-Authenticate challenge.",
                'a challenge, as WWW-Authenticate: Basic realm="..." (RFC 9110 15.5.2)',
                outcome(exchange),
                exchange=exchange,
            )


def _basic_challenge(exchange: Exchange) -> bool:
    """A Basic challenge among the WWW-Authenticate values (quoted text is not a scheme)."""
    values = exchange.response.header_values("www-authenticate") if exchange.response else []
    return any(BASIC_SCHEME.search(QUOTED.sub('""', value)) for value in values)


# Of `auth_malformed`'s headers, the failed Basic authentications: the scheme is Basic,
# the credentials are unusable. Its Bearer header is not one: RFC 6749 2.3 lets a server
# support only the schemes it chooses, so it may take a scheme it does not support for no
# client authentication, and 5.2 then only allows (MAY) a 401; the challenge "matching the
# authentication scheme used by the client" is owed when that scheme is the one 2.3.1
# makes every server support. The Bearer header stays judged by RFC-INVALID-CLIENT
# (invalid_client either way) and, if it gets a 401, by RFC-401-CHALLENGE.
MALFORMED_BASIC = {
    "auth_malformed": ("not-base64", "no-colon", "bare-basic", "not-utf8", "escape-not-utf8")
}


@check(
    "RFC-INVALID-CLIENT-401", uses=("auth_wrong_secret", "auth_unknown_client", "auth_malformed")
)
def ensure_invalid_client_401(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A failed Basic authentication gets 401 with a Basic challenge (RFC 6749 5.2)."""
    exchanges = only_labelled(exchanges, MALFORMED_BASIC)
    ensure_refused(exchanges, ctx, *documented(ctx))
    for exchange in exchanges:
        if not _basic_challenge(exchange):
            raise ctx.fail(
                "A failed Basic authentication got no Basic challenge.",
                "WWW-Authenticate: Basic ... (RFC 6749 5.2)",
                outcome(exchange),
                exchange=exchange,
            )


@check("AUTH-SPECIAL-CHARS", uses=("auth_special", "cc_success"))
@check("RFC-BASIC-ENCODING", uses=("auth_special",))
def ensure_special_characters_authenticate(
    exchanges: Sequence[Exchange], ctx: CheckContext
) -> None:
    """A client with special characters authenticates with form-urlencoded credentials.

    HTTP Basic of the id and secret form-urlencoded first (RFC 6749 2.3.1).
    """
    baseline = SPECIAL_BASELINE.get(ctx.family)
    if baseline and not any(e.issued_token() for e in exchanges if e.scenario == baseline):
        raise Skipped("the main client got no client_credentials token either (see CC-SUCCESS)")
    special = [e for e in exchanges if e.scenario == "auth_special"]
    ensure_token_issued(special, ctx, "client_credentials (special-character client)")
