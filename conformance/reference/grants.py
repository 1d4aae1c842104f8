"""The four grants of the token endpoint (rules 5, 7 and 8) and the token body.

Each grant takes the authenticated client and the parsed parameters and returns the
JSON body of a 200, or raises ApiError. Faults are checked by name at the single
place each one changes behaviour.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass

from .accounts import GRANT_TYPES, Accounts, Client, User
from .context import ReferenceContext
from .errors import ApiError, Problem
from .forms import Params
from .idtoken import make_id_token
from .store import CodeGrant, IssuedTokens, Outcome

TokenBody = dict[str, object]

# D5: the grants for which the institutionId header is required.
INSTITUTION_GRANTS = frozenset({"client_credentials", "password"})
# OpenID Connect scopes the authorize route takes besides the client's own.
OIDC_SCOPES = frozenset({"openid", "profile", "offline_access"})
ID_TOKEN_ISSUER = "https://reference.conformance.invalid"


@dataclass(frozen=True)
class GrantRequest:
    """One token request that passed rules 1 to 7."""

    ctx: ReferenceContext
    client: Client
    params: Params

    def fault(self, name: str) -> bool:
        """Whether the app runs with this fault."""
        return self.ctx.has_fault(name)


def select_grant(params: Params, faults: frozenset[str]) -> str:
    """Rule 5: a supported grant_type, else 400 CMN_90007 (D12)."""
    grant = params.get("grant_type", "")
    # The fault needs other parameters present: an empty body stays refused, so the fault
    # breaks GRANT-MISSING alone and not BODY-NOT-FORM (D15) as well.
    if not grant and params and "grant-missing-defaults" in faults:
        return "client_credentials"
    if grant not in GRANT_TYPES:
        status = 403 if grant and "grant-unsupported-403" in faults else None
        raise ApiError(Problem.INVALID_GRANT_TYPE, status=status)
    return grant


def run_grant(grant: str, request: GrantRequest) -> TokenBody:
    """Rule 8: the body of a successful response for this grant, or ApiError."""
    body = _GRANTS[grant](request)
    if request.fault("audit-log-ascii"):
        _write_ascii_audit_log(request.params)
    return body


def _write_ascii_audit_log(params: Params) -> None:
    """The `audit-log-ascii` fault: the request's parameters are logged as ASCII once the
    tokens are issued, so a name or value outside ASCII fails the request with a 500."""
    line = "&".join(f"{name}={value}" for name, value in params.items())
    try:
        line.encode("ascii")
    except UnicodeEncodeError:
        raise ApiError(Problem.INTERNAL, "the audit log could not be written") from None


def token_body(
    ctx: ReferenceContext, issued: IssuedTokens, *, id_token: str | None = None
) -> TokenBody:
    """The JSON body of a 200 token response (spec section 3; D6, D7)."""
    lifetimes = ctx.store.lifetimes
    body: TokenBody = {
        "access_token": issued.access_token,
        "token_type": "mac" if ctx.has_fault("token-type-mac") else "Bearer",
        "expires_in": _seconds(
            ctx, lifetimes.access, suffixed=ctx.has_fault("expires-in-suffixed")
        ),
    }
    if issued.refresh_token is not None:
        body["refresh_token"] = issued.refresh_token
        body["refresh_token_expires_in"] = _seconds(ctx, lifetimes.refresh)
    if id_token is not None:
        body["id_token"] = id_token
    return body


def _seconds(ctx: ReferenceContext, value: int, *, suffixed: bool = False) -> int | str:
    # D6: 1.3.1's examples give integers, 1.11.0's schema and examples digit strings.
    if suffixed:
        return f"{value}s"
    return value if ctx.edition == "1.3.1" else str(value)


def check_scopes(raw: str | None, client: Client) -> frozenset[str]:
    """Requested `scopes` (comma-separated), each one the client's, else 400 CMN_90012.

    No scopes, or a blank value, grants all the client's scopes (1.11.0 schema).
    """
    if raw is None or not raw.strip():
        return client.scopes
    requested = [scope.strip() for scope in raw.split(",")]
    if any(scope not in client.scopes for scope in requested):
        raise ApiError(Problem.INVALID_SCOPES)
    return frozenset(requested)


def check_authorize_scope(raw: str | None, client: Client) -> frozenset[str]:
    """The authorize route's `scope`: space- or comma-separated, OIDC or client scopes."""
    requested = frozenset((raw or "").replace(",", " ").split())
    if requested - client.scopes - OIDC_SCOPES:
        raise ApiError(Problem.INVALID_SCOPES)
    return requested


def authenticate_user(
    accounts: Accounts, client: Client, params: Params, faults: frozenset[str]
) -> User:
    """The user named by `username`/`password` (D13), in the client's institution.

    Missing fields are 400s (CMN_90013, CMN_90014); a wrong password, an unknown
    user and a user of another institution all answer the same 401 CMN_90015, so the
    response does not reveal which usernames exist.
    """
    username = params.get("username", "")
    if not username:
        raise ApiError(Problem.INVALID_USERNAME, "username is required")
    password = params.get("password")
    user = accounts.user(username)
    if user is not None and user.institution_id != client.institution_id:
        user = None
    if password is None and user is not None and "password-field-optional" in faults:
        return user
    if not password:
        raise ApiError(Problem.INVALID_PASSWORD, "password is required")
    if user is None and accounts.user(username) is None and "unknown-user-accepted" in faults:
        return User(username, "", client.institution_id)
    if user is None:
        raise ApiError(Problem.INVALID_USER_CREDENTIALS)
    if not _same(password, user.password) and "password-not-checked" not in faults:
        raise ApiError(Problem.INVALID_USER_CREDENTIALS)
    return user


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _client_credentials(request: GrantRequest) -> TokenBody:
    check_scopes(request.params.get("scopes"), request.client)
    if request.fault("client-credentials-broken"):
        raise ApiError(Problem.FORBIDDEN)
    store, client_id = request.ctx.store, request.client.client_id
    if request.fault("access-token-reused"):
        cache = request.ctx.cached_access_tokens
        if client_id not in cache:
            cache[client_id] = store.issue(client_id, None, refresh=False).access_token
        return token_body(request.ctx, IssuedTokens(cache[client_id], None, None))
    # D8: an institution-level token has no refresh token.
    with_refresh = request.fault("client-credentials-refresh-token")
    return token_body(request.ctx, store.issue(client_id, None, refresh=with_refresh))


def _password(request: GrantRequest) -> TokenBody:
    user = authenticate_user(
        request.ctx.accounts, request.client, request.params, request.ctx.faults
    )
    check_scopes(request.params.get("scopes"), request.client)
    if request.fault("password-grant-broken"):
        raise ApiError(Problem.INVALID_USER_CREDENTIALS)
    # D8: the password grant returns a refresh token.
    with_refresh = not request.fault("password-no-refresh-token")
    issued = request.ctx.store.issue(request.client.client_id, user.username, refresh=with_refresh)
    return token_body(request.ctx, issued)


def _authorization_code(request: GrantRequest) -> TokenBody:
    code = request.params.get("code", "")
    client_id = request.client.client_id
    # `code-blank-accepted` checks that the field is there, not that it has a value; RFC
    # 6749 3.2 says a parameter sent without a value counts as omitted.
    present = "code" in request.params and request.fault("code-blank-accepted")
    if not code and not (present or request.fault("code-field-optional")):
        raise ApiError(Problem.INVALID_REQUEST, "code is required")
    grant: CodeGrant | None = CodeGrant(client_id, None, offline_access=False)
    if code:
        consume = not (request.fault("code-reusable") or request.fault("code-exchange-broken"))
        outcome, grant = request.ctx.store.redeem_code(code, client_id, consume=consume)
        if outcome is Outcome.UNKNOWN and request.fault("invalid-code-accepted"):
            grant = CodeGrant(client_id, None, offline_access=False)
        elif outcome is Outcome.OK and request.fault("code-exchange-broken"):
            grant = None
    if grant is None:
        # D21: unknown, expired, used or another client's code.
        raise ApiError(Problem.INVALID_TOKEN)
    issued = request.ctx.store.issue(client_id, grant.username, refresh=grant.offline_access)
    id_token = make_id_token(
        request.ctx.signing_key,
        subject=grant.username or client_id,
        issuer=ID_TOKEN_ISSUER,
        audience=client_id,
        lifetime=request.ctx.store.lifetimes.access,
    )
    return token_body(request.ctx, issued, id_token=id_token)


def _refresh_token(request: GrantRequest) -> TokenBody:
    token = request.params.get("refresh_token", "")
    store, client_id = request.ctx.store, request.client.client_id
    if not token:
        if not request.fault("refresh-field-optional"):
            raise ApiError(Problem.INVALID_REQUEST, "refresh_token is required")
        return token_body(request.ctx, store.issue(client_id, None, refresh=True))
    bind = not request.fault("refresh-not-bound-to-client")
    if (
        request.fault("refresh-grant-broken")
        and store.check_refresh(token, client_id, bind_to_client=bind) is Outcome.OK
    ):
        raise ApiError(Problem.INVALID_TOKEN)
    outcome, issued = store.refresh(
        token,
        client_id,
        bind_to_client=bind,
        rotate=not request.fault("refresh-not-rotated"),
        keep_old=request.fault("rotated-refresh-still-valid"),
    )
    if outcome is Outcome.UNKNOWN and request.fault("unknown-refresh-accepted"):
        issued = store.issue(client_id, None, refresh=True)
    if issued is None:
        # D14: unknown, expired, rotated-out, revoked (D22) or another client's token.
        raise ApiError(Problem.INVALID_TOKEN)
    return token_body(request.ctx, issued)


_GRANTS: dict[str, Callable[[GrantRequest], TokenBody]] = {
    "client_credentials": _client_credentials,
    "password": _password,
    "authorization_code": _authorization_code,
    "refresh_token": _refresh_token,
}
