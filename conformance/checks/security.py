"""The security findings (specs/security.toml): what can be seen from outside of whether
the endpoint is safe to put in front of customers' money. Judged like the contract's
rules, in both contracts; whether a finding fails the run is the `security` setting's
(judging), not the check's.

Transport findings read the run's `Transport` (the target's scheme and, over https, its
TLS posture: `tls_posture`); the others read exchanges.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl

from conformance import tls_posture, token_entropy
from conformance.checks._registry import ALL, CheckContext, check, labelled, outcome, require_any
from conformance.errors import Skipped
from conformance.exchange import Exchange
from conformance.vocabulary import CODE, EXTRA_SCOPE

TOKEN_FIELDS = (("access token", "access_token"), ("refresh token", "refresh_token"))


@check("SEC-PASSWORD-GRANT", uses=("password_success",))
def ensure_no_password_grant(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """The password grant is not in use: a valid password request gets no token."""
    answered = require_any(
        [e for e in exchanges if e.response is not None], "no password request was answered"
    )
    issued = next((e for e in answered if e.issued_token()), None)
    if issued is not None:
        raise ctx.fail(
            "The password grant is in use: the client handles the user's password.",
            "no token for the resource owner password credentials grant (RFC 9700 2.4)",
            outcome(issued),
            exchange=issued,
        )


def _samples(exchanges: Sequence[Exchange]) -> dict[str, list[str]]:
    """Every distinct access token, refresh token and authorization code the target
    issued in the run. A token seen twice (a refresh token kept, a code sent again on
    purpose) is one sample: a repeat across grants is TOKEN-UNIQUE's to judge."""
    found: dict[str, dict[str, None]] = {
        "access token": {},
        "refresh token": {},
        "authorization code": {},
    }
    for exchange in exchanges:
        if exchange.issued_token():
            body = exchange.body_object() or {}
            for kind, name in TOKEN_FIELDS:
                if isinstance(body.get(name), str) and body[name]:
                    found[kind][body[name]] = None
        # Only a code that got a token is known to be the target's: the suite also sends
        # codes of its own making (CODE-INVALID, the generated phase).
        if exchange.grant == CODE and exchange.issued_token() and exchange.request.body:
            form = dict(parse_qsl(exchange.request.body.decode("utf-8", "replace")))
            if form.get("code"):
                found["authorization code"][form["code"]] = None
    return {kind: list(values) for kind, values in found.items() if values}


def _entropy(exchanges: Sequence[Exchange], ctx: CheckContext, below: tuple[str, ...]) -> None:
    """Fail when a kind's verdict is one of `below`; skip when no kind could be judged."""
    verdicts = [
        token_entropy.judge(token_entropy.estimate(kind, samples))
        for kind, samples in _samples(exchanges).items()
    ]
    if not verdicts:
        raise Skipped("the run collected no token")
    judged = [v for v in verdicts if v.outcome != "skipped"]
    worst = next((v for v in verdicts if v.outcome in below), None)
    if worst is not None:
        raise ctx.fail(
            f"The {worst.kind}s are guessable more easily than RFC 6749 10.10 allows.",
            "at least 128 bits (MUST), 160 bits (SHOULD) of entropy per token",
            worst.reason,
        )
    if not judged:
        raise Skipped("; ".join(v.reason for v in verdicts))


@check("SEC-TOKEN-ENTROPY", uses=ALL)
def ensure_token_entropy(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """Tokens and codes carry at least 128 bits of entropy (estimated from the samples)."""
    _entropy(exchanges, ctx, ("failed",))


@check("SEC-TOKEN-ENTROPY-160", uses=ALL)
def ensure_token_entropy_160(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """Tokens and codes carry at least 160 bits of entropy."""
    _entropy(exchanges, ctx, ("failed", "warned"))


def _no_token(exchange: Exchange, ctx: CheckContext, title: str, expected: str) -> None:
    """Fail with `title` when `exchange` got a token: the finding's request must not."""
    if exchange.issued_token():
        raise ctx.fail(title, expected, outcome(exchange), exchange=exchange)


@check("SEC-CODE-REUSE-REVOKES", uses=("code_flow",))
def ensure_code_reuse_revokes(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A code exchanged twice: the refresh token of its first exchange stops working."""
    first = labelled(exchanges, "exchange", "no authorization code was exchanged")
    if not first[0].issued_token():
        raise Skipped("the code's first exchange got no token (CODE-SUCCESS judges it)")
    after = labelled(
        exchanges,
        "refresh-after-reuse",
        "the code's first exchange returned no refresh token to watch the revocation through",
    )[0]
    _no_token(
        after,
        ctx,
        "A reused code left the tokens of its first exchange working.",
        "the first exchange's refresh token refused once the code is reused (RFC 6749 4.1.2)",
    )


@check("SEC-REFRESH-CLIENT-AUTH", uses=("refresh_no_client_auth",))
def ensure_refresh_needs_client(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A valid refresh token without client authentication gets no token."""
    sent = labelled(exchanges, "no-client-auth", "the login issued no refresh token")[0]
    _no_token(
        sent,
        ctx,
        "A refresh token works without client authentication: whoever holds it is served.",
        "4xx and no token without client authentication (RFC 6749 6)",
    )


@check("SEC-REFRESH-BOUND", uses=("refresh_foreign", "refresh_scope"))
def ensure_refresh_bound(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A refresh token serves no other client, and never more scope than it was granted."""
    other = [e for e in exchanges if e.label == "other-client"]
    wider = [e for e in exchanges if e.label == "wider-scope"]  # rfc6749: scope is reported
    if not other and not wider:
        raise Skipped(
            "no refresh token was presented by another client (a role: the second client) "
            "or asked for more scope than its login got"
        )
    for exchange in other:
        _no_token(
            exchange,
            ctx,
            "A refresh token works for a client it was not issued to.",
            "4xx and no token for another client (RFC 9700 4.14.2)",
        )
    for exchange in wider:
        granted = (exchange.body_object() or {}).get("scope")
        # Only a scope the answer names is proof; an answer that names none is
        # RFC-REFRESH-SCOPE-NOT-WIDER's to judge (3.3: it must say when it differs).
        if exchange.issued_token() and isinstance(granted, str) and EXTRA_SCOPE in granted.split():
            raise ctx.fail(
                "A refresh token was widened to a scope its login was never granted.",
                f"no {EXTRA_SCOPE} in the refreshed token's scope (RFC 9700 4.14.2, RFC 6749 6)",
                f"scope {granted!r:.80}: {outcome(exchange)}",
                exchange=exchange,
            )


@check("SEC-TLS-REQUIRED", uses=())
def ensure_tls(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """The target is reached over https (plain HTTP only on loopback, not judged there)."""
    transport = ctx.transport
    if transport is None:
        raise Skipped("no target URL to judge")
    if transport.scheme == "https":
        return
    if transport.loopback:
        raise Skipped("a loopback target over plain HTTP: nothing crosses a network")
    raise ctx.fail(
        "The token endpoint is reached over plain HTTP: credentials and tokens cross the "
        "network in clear.",
        "https (RFC 6749 3.2: the token endpoint MUST require TLS)",
        f"{transport.scheme}:// to {transport.host}",
    )


def _tls_finding(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """One TLS posture finding, as `tls_posture.findings` judged it."""
    transport = ctx.transport
    if transport is None or transport.scheme != "https":
        raise Skipped("the target is not reached over TLS (SEC-TLS-REQUIRED judges that)")
    if transport.posture is None:
        raise Skipped(f"the TLS posture could not be probed: {transport.error}")
    finding = tls_posture.finding(transport.posture, ctx.requirement_id)
    if finding.verdict is tls_posture.Verdict.NOT_JUDGED:
        raise Skipped(finding.reason)
    if finding.verdict is not tls_posture.Verdict.PASS:
        raise ctx.fail(
            f"The target's TLS does not hold {finding.requirement_id}.",
            f"{finding.source}",
            finding.reason,
        )


for _tls_id in tls_posture.FINDING_IDS:
    check(_tls_id, uses=())(_tls_finding)
