"""Requests the target must refuse: bad headers, bad credentials, bad bodies, bad tokens.

Most rules here share one shape ("this request gets <status> and no token"), so they
are registered from one factory with the status the contract fixes, if any.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from conformance.checks._registry import (
    ALL,
    CheckContext,
    CheckFunction,
    check,
    outcome,
    register,
    require_any,
)
from conformance.exchange import Exchange

# Per property scenario, the labels of its requests a rule judges.
Labels = Mapping[str, tuple[str, ...]]


def _describe_statuses(statuses: tuple[int, ...] | None) -> str:
    return "a 4xx" if not statuses else " or ".join(f"HTTP {s}" for s in statuses)


def ensure_refused(
    exchanges: Sequence[Exchange], ctx: CheckContext, statuses: tuple[int, ...] | None
) -> None:
    """Every exchange got `statuses` (any 4xx when None) and no token."""
    for exchange in require_any(exchanges, "the scenario sent no request for this requirement"):
        if exchange.issued_token():
            raise ctx.fail(
                "The target issued a token for a request it must refuse.",
                f"{_describe_statuses(statuses)} and no access_token",
                outcome(exchange),
                exchange=exchange,
            )
        status = exchange.status
        ok = status is not None and (status in statuses if statuses else 400 <= status < 500)
        if not ok:
            raise ctx.fail(
                "The target answered a request it must refuse with the wrong status.",
                _describe_statuses(statuses),
                outcome(exchange),
                exchange=exchange,
            )


def only_labelled(exchanges: Sequence[Exchange], labels: Labels) -> list[Exchange]:
    """The exchanges a rule judges: all of a scenario not in `labels`, and of one in it
    only those with one of its labels (a property scenario records several kinds)."""
    return [e for e in exchanges if e.scenario not in labels or e.label in labels[e.scenario]]


def refused(statuses: tuple[int, ...] | None = None, labels: Labels | None = None) -> CheckFunction:
    """A check: the scenario's requests get `statuses` (any 4xx when None) and no token."""

    def check(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
        ensure_refused(only_labelled(exchanges, labels or {}), ctx, statuses)

    check.__doc__ = f"The scenario's requests get {_describe_statuses(statuses)} and no token."
    return check


def refused_as_documented(labels: Labels | None = None) -> CheckFunction:
    """A check: the scenario's requests get the status the edition documents for it."""

    def check(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
        expectation = ctx.contract.requirement(ctx.requirement_id).expectation(ctx.edition)
        judged = only_labelled(exchanges, labels or {})
        ensure_refused(judged, ctx, expectation.statuses if expectation else None)

    check.__doc__ = (
        "The scenario's requests get the status the edition documents for the requirement."
    )
    return check


# (requirement id, scenarios, statuses the contract fixes as MUST or None for "a 4xx")
_REFUSALS: tuple[tuple[str, tuple[str, ...], tuple[int, ...] | None], ...] = (
    ("TXID-REQUIRED", ("txid_missing",), (400,)),
    ("INST-REQUIRED", ("institution_missing",), (400,)),
    ("INST-INVALID", ("institution_invalid",), None),
    ("AUTH-MISSING", ("auth_missing",), (401,)),
    ("AUTH-MALFORMED", ("auth_malformed",), (401,)),
    ("AUTH-WRONG-SECRET", ("auth_wrong_secret",), (401,)),
    ("AUTH-UNKNOWN-CLIENT", ("auth_unknown_client",), (401,)),
    ("GRANT-MISSING", ("grant_missing",), (400,)),
    ("GRANT-UNSUPPORTED", ("grant_unsupported",), (400,)),
    ("BODY-NOT-FORM", ("body_not_form",), None),
    ("PARAM-REPEATED", ("param_repeated", "prop_param_order"), None),
    ("SCOPES-UNKNOWN", ("scopes_unknown", "prop_scopes"), None),
    ("PASSWORD-FIELDS-REQUIRED", ("password_missing_fields",), None),
    ("PASSWORD-WRONG", ("password_wrong",), None),
    ("PASSWORD-UNKNOWN-USER", ("password_unknown_user",), None),
    ("CLIENT-GRANT-FORBIDDEN", ("restricted_password",), None),
    ("CODE-FIELD-REQUIRED", ("code_missing",), None),
    ("CODE-INVALID", ("code_invalid",), None),
    ("REFRESH-FIELD-REQUIRED", ("refresh_missing",), None),
    ("REFRESH-UNKNOWN", ("refresh_unknown", "prop_lifecycle"), None),
    ("REFRESH-FOREIGN", ("refresh_foreign", "prop_lifecycle"), None),
)

# SHOULD rules about the exact status: the expectation in the contract says which.
_DOCUMENTED_STATUS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("TXID-FORMAT", ("txid_invalid", "prop_txid_invalid")),
    ("PASSWORD-WRONG-401", ("password_wrong",)),
    ("CLIENT-GRANT-FORBIDDEN-403", ("restricted_password",)),
    ("REFRESH-INVALID-STATUS", ("refresh_unknown",)),
)


@check("AUTH-WWW-AUTHENTICATE", uses=ALL)
def ensure_www_authenticate(exchanges: Sequence[Exchange], ctx: CheckContext) -> None:
    """A 401 answering an Authorization header carries WWW-Authenticate (RFC 6749 5.2)."""
    answered = [e for e in exchanges if e.status == 401 and e.request.header("authorization")]
    for exchange in require_any(answered, "no 401 answered a request with an Authorization header"):
        assert exchange.response is not None
        if not exchange.response.header("www-authenticate"):
            raise ctx.fail(
                "A 401 carries no WWW-Authenticate header.",
                'WWW-Authenticate: Basic realm="..."',
                outcome(exchange),
                exchange=exchange,
            )


# The property scenarios record several kinds of request; these rules judge only
# the kinds that are theirs (the fixed scenarios are judged whole, as before).
_LABELLED: dict[str, Labels] = {
    "TXID-FORMAT": {"prop_txid_invalid": ("invalid",)},
    "PARAM-REPEATED": {"prop_param_order": ("repeated",)},
    "SCOPES-UNKNOWN": {"prop_scopes": ("unknown-scope",)},
    "REFRESH-UNKNOWN": {"prop_lifecycle": ("never-issued", "access-as-refresh")},
    "REFRESH-FOREIGN": {"prop_lifecycle": ("other-client",)},
}

for _id, _uses, _statuses in _REFUSALS:
    register(_id, refused(_statuses, _LABELLED.get(_id)), _uses)
for _id, _uses in _DOCUMENTED_STATUS:
    register(_id, refused_as_documented(_LABELLED.get(_id)), _uses)
