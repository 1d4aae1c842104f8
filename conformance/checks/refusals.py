"""Requests the target must refuse, in both contracts: bad headers, credentials, bodies,
fields and tokens.

Most rules share one shape ("these requests get <status> and no token"), so they are
registered from one table, `REFUSALS`, each with the status its contract fixes, any 4xx,
or what the contract documents for it. Under RFC 6749 the documented answer includes the
5.2 error, judged here; the platform's CMN codes are ERR-CODE's, judged over every
answer. An answer that says the grant itself is not offered (unsupported_grant_type,
unauthorized_client) is, where a row says so, no verdict on a rule about its fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from conformance.checks._registry import (
    CheckContext,
    CheckFunction,
    check,
    error_of,
    labelled,
    outcome,
    register,
    require_any,
)
from conformance.contract import RFC6749
from conformance.errors import Skipped
from conformance.exchange import Exchange
from conformance.vocabulary import EXTRA_SCOPE, UNKNOWN_SCOPE

# Per scenario, the labels of its requests a rule judges (a scenario not named is judged
# whole): property scenarios and lifecycles record several kinds of request.
Labels = Mapping[str, tuple[str, ...]]

NOT_OFFERED = frozenset({"unsupported_grant_type", "unauthorized_client"})
NOTHING_SENT = "the scenario sent no request for this requirement"
LIFECYCLE = "prop_lifecycle"


def _describe(
    statuses: tuple[int, ...] | None, code: str | None = None, never: tuple[int, ...] = ()
) -> str:
    described = "a 4xx" if not statuses else " or ".join(f"HTTP {s}" for s in statuses)
    if never:
        described += " other than " + " or ".join(f"HTTP {s}" for s in never)
    return f"{described} with error {code}" if code else described


def ensure_refused(
    exchanges: Sequence[Exchange],
    ctx: CheckContext,
    statuses: tuple[int, ...] | None,
    code: str | None = None,
    *,
    not_offered_skips: bool = False,
    unsent: str = NOTHING_SENT,
    never: tuple[int, ...] = (),
) -> None:
    """Every exchange got `statuses` (any 4xx when None) but none of `never`, no token
    and, with `code`, the RFC 6749 5.2 error `code`. With `not_offered_skips`, an answer
    saying the grant is not offered is not judged; `unsent` is the reason to skip when
    nothing was sent."""
    judged = [
        e
        for e in require_any(exchanges, unsent)
        if not (not_offered_skips and e.status == 400 and error_of(e) in NOT_OFFERED)
    ]
    if not judged:
        raise Skipped(f"the target does not offer the grant: it answered {error_of(exchanges[0])}")
    wanted = _describe(statuses, code, never)
    for exchange in judged:
        if exchange.issued_token():
            raise ctx.fail(
                "The target issued a token for a request it must refuse.",
                f"{wanted} and no access_token",
                outcome(exchange),
                exchange=exchange,
            )
        status = exchange.status
        status_ok = status is not None and (status in statuses if statuses else 400 <= status < 500)
        status_ok = status_ok and status not in never
        if code is not None and not (status_ok and error_of(exchange) == code):
            title = f"The target did not answer with the RFC 6749 5.2 error {code}."
        elif not status_ok:
            title = "The target answered a request it must refuse with the wrong status."
        else:
            continue
        raise ctx.fail(title, wanted, outcome(exchange), exchange=exchange)


def documented(ctx: CheckContext) -> tuple[tuple[int, ...] | None, str | None]:
    """The statuses the contract documents for the requirement (None: any 4xx) and, under
    RFC 6749, its 5.2 error (the platform's CMN code is ERR-CODE's to judge)."""
    expectation = ctx.contract.requirement(ctx.requirement_id).expectation(ctx.edition)
    if expectation is None:
        return None, None
    return expectation.statuses or None, expectation.code if ctx.family == RFC6749 else None


def only_labelled(exchanges: Sequence[Exchange], labels: Labels) -> list[Exchange]:
    """The exchanges a rule judges: all of a scenario not in `labels`, and of one in it
    only those with one of its labels."""
    return [e for e in exchanges if e.scenario not in labels or e.label in labels[e.scenario]]


@dataclass(frozen=True)
class Refusal:
    """A rule of the shape "these requests get <status> and no token"."""

    uses: tuple[str, ...]
    statuses: tuple[int, ...] | None = None  # fixed as MUST; None: any 4xx
    documented: bool = False  # instead: what the contract documents for the requirement
    labels: Labels = field(default_factory=dict)
    unsent: str = NOTHING_SENT
    not_offered_skips: bool = False
    never: tuple[int, ...] = ()  # statuses refused whatever else is accepted

    def check(self) -> CheckFunction:
        def check(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
            statuses, code = documented(ctx) if self.documented else (self.statuses, None)
            ensure_refused(
                only_labelled(exchanges, self.labels),
                ctx,
                statuses,
                code,
                not_offered_skips=self.not_offered_skips,
                unsent=self.unsent,
                never=self.never,
            )

        check.__doc__ = (
            "The scenario's requests get the answer the contract documents and no token."
            if self.documented
            else f"The scenario's requests get {_describe(self.statuses, None, self.never)} "
            "and no token."
        )
        return check


# The requests whose client authentication fails, known from the request alone: no
# credentials, a wrong secret, an unknown client, an Authorization header with no usable
# client credentials. RFC 6749 5.2 names invalid_client for each ("no client
# authentication included, or unsupported authentication method"), so a Bearer header,
# which a server may take for no client authentication at all, is judged here too.
CLIENT_AUTH_FAILURES = (
    "auth_missing",
    "auth_wrong_secret",
    "auth_unknown_client",
    "auth_malformed",
)
_NO_REFRESH_TOKEN = "the password grant issued no refresh token to use"

REFUSALS: dict[str, Refusal] = {
    # the platform's, with the status its contract fixes as MUST, or any 4xx
    "TXID-REQUIRED": Refusal(("txid_missing",), (400,)),
    "INST-REQUIRED": Refusal(("institution_missing",), (400,)),
    "INST-INVALID": Refusal(("institution_invalid",)),
    # D26: the client authenticated, so a 401 would say it had not
    "INST-FOREIGN": Refusal(("institution_foreign",), never=(401,)),
    # D10 holds for every grant: a refresh token sent with no client authentication too
    "AUTH-MISSING": Refusal(
        ("auth_missing", "refresh_no_client_auth"),
        (401,),
        labels={"refresh_no_client_auth": ("no-client-auth",)},
    ),
    "AUTH-MALFORMED": Refusal(("auth_malformed",), (401,)),
    "AUTH-WRONG-SECRET": Refusal(("auth_wrong_secret",), (401,)),
    "AUTH-UNKNOWN-CLIENT": Refusal(("auth_unknown_client",), (401,)),
    "AUTH-CREDENTIALS-WHOLE": Refusal(("auth_near_miss_credentials",), (401,)),
    "GRANT-MISSING": Refusal(("grant_missing",), (400,)),
    "GRANT-UNSUPPORTED": Refusal(("grant_unsupported",), (400,)),
    "BODY-NOT-FORM": Refusal(("body_not_form",)),
    "PARAMS-BODY-ONLY": Refusal(("params_in_query",)),
    "PARAM-REPEATED": Refusal(
        ("param_repeated", "prop_param_order"), labels={"prop_param_order": ("repeated",)}
    ),
    "SCOPES-UNKNOWN": Refusal(
        ("scopes_unknown", "prop_scopes"), labels={"prop_scopes": ("unknown-scope",)}
    ),
    "PASSWORD-FIELDS-REQUIRED": Refusal(("password_missing_fields",)),
    "PASSWORD-WRONG": Refusal(("password_wrong",)),
    "PASSWORD-UNKNOWN-USER": Refusal(("password_unknown_user",)),
    "PASSWORD-USERNAME-WHOLE": Refusal(("password_username_case",)),
    "PASSWORD-WHOLE": Refusal(("password_near_miss",)),
    "CLIENT-GRANT-FORBIDDEN": Refusal(("restricted_password",)),
    "CODE-FIELD-REQUIRED": Refusal(("code_missing",)),
    "CODE-INVALID": Refusal(("code_invalid",)),
    "CODE-CLIENT-BOUND": Refusal(("code_foreign",)),
    "CODE-REUSE": Refusal(
        ("code_flow",),
        labels={"code_flow": ("reuse",)},
        unsent="the first exchange of the code failed (see CODE-SUCCESS)",
    ),
    "REFRESH-FIELD-REQUIRED": Refusal(("refresh_missing",)),
    "REFRESH-UNKNOWN": Refusal(
        ("refresh_unknown", LIFECYCLE), labels={LIFECYCLE: ("never-issued", "access-as-refresh")}
    ),
    "REFRESH-FOREIGN": Refusal(
        ("refresh_foreign", LIFECYCLE), labels={LIFECYCLE: ("other-client",)}
    ),
    # The lifecycle state machine labels its requests as the fixed scenarios do.
    "REFRESH-REUSE": Refusal(
        ("refresh_rotation", LIFECYCLE),
        labels={"refresh_rotation": ("reuse",), LIFECYCLE: ("reuse",)},
        unsent="no refresh token was rotated out (see REFRESH-SUCCESS, REFRESH-ROTATES)",
    ),
    "REFRESH-REVOKED": Refusal(
        ("revoke_flow", LIFECYCLE),
        labels={"revoke_flow": ("after-revoke",), LIFECYCLE: ("after-revoke",)},
        unsent="the revocation did not succeed (see REVOKE-SUCCESS)",
    ),
    # the platform's SHOULD rules about the exact status: its contract documents which
    "TXID-FORMAT": Refusal(
        ("txid_invalid", "prop_txid_invalid"),
        documented=True,
        labels={"prop_txid_invalid": ("invalid",)},
    ),
    "PASSWORD-WRONG-401": Refusal(("password_wrong",), documented=True),
    "CLIENT-GRANT-FORBIDDEN-403": Refusal(("restricted_password",), documented=True),
    "INST-FOREIGN-403": Refusal(("institution_foreign",), documented=True),
    "REFRESH-INVALID-STATUS": Refusal(("refresh_unknown",), documented=True),
    # RFC 6749's, each with the status and 5.2 error its contract documents
    # RFC 6749 6: a confidential client authenticates on refresh too
    "RFC-INVALID-CLIENT": Refusal(
        (*CLIENT_AUTH_FAILURES, "refresh_no_client_auth"),
        documented=True,
        labels={"refresh_no_client_auth": ("no-client-auth",)},
    ),
    "RFC-ONE-AUTH-METHOD": Refusal(("two_auth",), documented=True),
    "RFC-GRANT-TYPE-MISSING": Refusal(("grant_missing",), documented=True),
    "RFC-UNSUPPORTED-GRANT": Refusal(
        ("grant_unsupported", "prop_grant_types"),
        documented=True,
        labels={"prop_grant_types": ("unsupported-grant",)},
    ),
    "RFC-PARAM-REPEATED": Refusal(("param_repeated",), documented=True),
    "RFC-FIELD-MISSING": Refusal(
        ("code_missing", "refresh_missing", "password_missing_fields"),
        documented=True,
        not_offered_skips=True,
    ),
    # The lifecycle's refresh tokens no server issued. Not its rotated-out ones: RFC 6749
    # 6 lets the server keep an old refresh token valid (it MAY revoke it), which
    # RFC-REFRESH-ROTATION reports; the status of a refused one is RFC-ERROR-STATUS's.
    "RFC-INVALID-GRANT": Refusal(
        ("code_invalid", "refresh_unknown", LIFECYCLE),
        documented=True,
        labels={LIFECYCLE: ("never-issued", "access-as-refresh")},
        not_offered_skips=True,
    ),
    "RFC-PASSWORD-WRONG": Refusal(("password_wrong",), documented=True),
    "RFC-CODE-SINGLE-USE": Refusal(
        ("code_flow",),
        documented=True,
        labels={"code_flow": ("reuse",)},
        unsent="the first exchange of the code failed (see RFC-CODE-SUCCESS)",
    ),
    # A second client not allowed the refresh grant says nothing about binding.
    "RFC-REFRESH-CLIENT-BOUND": Refusal(
        ("refresh_foreign", LIFECYCLE),
        documented=True,
        labels={"refresh_foreign": ("other-client",), LIFECYCLE: ("other-client",)},
        unsent=_NO_REFRESH_TOKEN,
        not_offered_skips=True,
    ),
    "RFC-UNAUTHORIZED-CLIENT": Refusal(("restricted_password",), documented=True),
}

for _id, _refusal in REFUSALS.items():
    register(_id, _refusal.check(), _refusal.uses)


@check("METHOD-NOT-POST", uses=("method_not_post",))
@check("RFC-POST-ONLY", uses=("method_not_post",))
def ensure_only_post_issues_tokens(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A method other than POST issues no token."""
    for exchange in require_any(exchanges, "the scenario sent no request"):
        if exchange.issued_token():
            raise ctx.fail(
                f"{exchange.request.method} on the token endpoint issued a token.",
                "no token for any method but POST",
                outcome(exchange),
                exchange=exchange,
            )


@check("RFC-BODY-FORM", uses=("body_not_form",))
def ensure_form_body(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A JSON body gets no token: 400 with an error, or 415 (RFC 6749 3.2)."""
    for exchange in require_any(exchanges, "no JSON body was sent"):
        error_answer = exchange.status == 400 and error_of(exchange) is not None
        if exchange.issued_token() or not (error_answer or exchange.status == 415):
            raise ctx.fail(
                "A JSON body was not refused.",
                "no token; HTTP 400 with an error, or 415",
                outcome(exchange),
                exchange=exchange,
            )


def _asked(exchange: Exchange, marker: str) -> list[str]:
    """The scope tokens the request asked for that begin with `marker` (the suite's
    invented ones: the fixed value itself, or a generated one built on it)."""
    try:
        pairs = parse_qsl(exchange.request.body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        pairs = []
    scope = next((value for name, value in pairs if name == "scope"), "")
    return [token for token in scope.split(" ") if token.startswith(marker)] or [marker]


def _scope_left_out(
    exchanges: Sequence[Exchange], ctx: CheckContext, marker: str, what: str
) -> None:
    """Refused as documented (invalid_scope), or a token whose `scope` member leaves out
    every scope token asked for that begins with `marker` (RFC 6749 3.3: a server may
    ignore what it does not grant, but then says so)."""
    for exchange in require_any(exchanges, f"no {what} request was sent"):
        if not exchange.issued_token():
            ensure_refused([exchange], ctx, *documented(ctx))
            continue
        asked = _asked(exchange, marker)
        granted = (exchange.body_object() or {}).get("scope")
        if not isinstance(granted, str) or set(asked) & set(granted.split(" ")):
            said = "no scope member" if not isinstance(granted, str) else f"scope {granted!r:.80}"
            raise ctx.fail(
                f"The target issued a token for {what} without saying it left it out.",
                f"HTTP 400 invalid_scope, or a scope member without {' '.join(asked)!s:.120} "
                "(RFC 6749 3.3)",
                f"{said}: {outcome(exchange)}",
                exchange=exchange,
            )


@check("RFC-SCOPE-UNKNOWN", uses=("scopes_unknown", "prop_scope_tokens"))
def ensure_unknown_scope(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """An unknown scope gets invalid_scope, or a token whose scope leaves it out (3.3)."""
    _scope_left_out(exchanges, ctx, UNKNOWN_SCOPE, "an unknown scope")


@check("RFC-REFRESH-SCOPE-NOT-WIDER", uses=("refresh_scope",))
def ensure_refresh_scope_not_wider(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A refresh asking for more scope than granted does not get it (6, 3.3)."""
    wider = labelled(exchanges, "wider-scope", _NO_REFRESH_TOKEN)
    _scope_left_out(wider, ctx, EXTRA_SCOPE, "a scope beyond the original grant")
