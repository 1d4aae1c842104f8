"""The four grants of the token endpoint (rules 5, 7 and 8) and the token body.

Each grant takes the authenticated client and the parsed parameters and returns the
JSON body of a 200, or raises ApiError. Faults are checked by name at the single
place each one changes behaviour.

Edition "rfc6749" differs in scope (RFC 6749 3.3: a space-delimited `scope`, checked
against the client's scopes and, on refresh, against the original grant, and always
reported in the response) and in the token body (integer expires_in, no platform or
OpenID members).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote_plus

from .accounts import GRANT_TYPES, Accounts, Client, User
from .context import ReferenceContext
from .errors import ApiError, Problem
from .forms import Params
from .idtoken import make_id_token
from .logins import FailedLogins
from .store import CodeGrant, IssuedTokens, Outcome

TokenBody = dict[str, object]

# D5: the grants for which the institutionId header is required.
INSTITUTION_GRANTS = frozenset({"client_credentials", "password"})
# OpenID Connect scopes the authorize route takes besides the client's own.
OIDC_SCOPES = frozenset({"openid", "profile", "offline_access"})
ID_TOKEN_ISSUER = "https://reference.conformance.invalid"
# RFC 6749 Appendix A.4: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")
# The request parameters RFC 6749 defines for the token endpoint (4.1.3, 4.3.2, 4.4.2,
# 6, and client_id / client_secret of 2.3.1); only `rfc-unknown-param-rejected` uses it.
RFC_PARAMETERS = frozenset(
    {
        "grant_type",
        "scope",
        "username",
        "password",
        "code",
        "redirect_uri",
        "client_id",
        "client_secret",
        "refresh_token",
    }
)


@dataclass(frozen=True)
class GrantRequest:
    """One token request that passed rules 1 to 7."""

    ctx: ReferenceContext
    client: Client
    params: Params
    # `code-race`, `refresh-race`: the code or refresh token was found unspent a moment
    # ago, and that is trusted now.
    checked_earlier: bool = False

    def fault(self, name: str) -> bool:
        """Whether the app runs with this fault."""
        return self.ctx.has_fault(name)


def select_grant(params: Params, faults: frozenset[str]) -> str:
    """Rule 5: a supported grant_type, else 400 CMN_90007 (D12).

    In edition "rfc6749" a missing or empty grant_type is invalid_request and an
    unknown one unsupported_grant_type (RFC 6749 3.2, 5.2).
    """
    grant = params.get("grant_type", "")
    # The fault needs other parameters present: an empty body stays refused, so the fault
    # breaks GRANT-MISSING alone and not BODY-NOT-FORM (D15) as well.
    if not grant and params and "grant-missing-defaults" in faults:
        return "client_credentials"
    if not grant:
        # RFC 6749 3.2: a parameter sent without a value counts as omitted.
        raise ApiError(Problem.MISSING_GRANT_TYPE)
    if grant not in GRANT_TYPES:
        if "rfc-unsupported-grant-invalid-request" in faults:
            raise ApiError(Problem.INVALID_REQUEST, "the grant type is not recognised")
        status = 403 if "grant-unsupported-403" in faults else None
        raise ApiError(Problem.INVALID_GRANT_TYPE, status=status)
    return grant


def check_rfc_request(params: Params, client: Client, faults: frozenset[str]) -> None:
    """Edition "rfc6749": one client authentication method per request (RFC 6749 2.3).

    The client authenticated with Basic already, so client_secret in the body is a
    second method; a client_id in the body may be sent (4.1.3) but must name the
    authenticated client. An empty value counts as omitted (3.2).
    """
    if params.get("client_secret") and "rfc-two-auth-accepted" not in faults:
        raise ApiError(Problem.INVALID_REQUEST, "the client used more than one authentication")
    body_client_id = params.get("client_id")
    if body_client_id and body_client_id != client.client_id:
        raise ApiError(Problem.INVALID_REQUEST, "client_id is not the authenticated client")
    if "rfc-unknown-param-rejected" in faults and set(params) - RFC_PARAMETERS:
        raise ApiError(Problem.INVALID_REQUEST, "the request has an unrecognised parameter")


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


@dataclass(frozen=True)
class Granted:
    """The scope a token request is granted, and whether the response reports it."""

    scope: frozenset[str]
    # False only under `rfc-unknown-scope-dropped`: less was granted than asked, unsaid.
    reported: bool = True


def token_body(
    ctx: ReferenceContext,
    issued: IssuedTokens,
    *,
    id_token: str | None = None,
    granted: Granted | None = None,
) -> TokenBody:
    """The JSON body of a 200 token response (spec section 3; D6, D7; RFC 6749 5.1).

    Edition "rfc6749" reports `granted` (default: the session's scope) as `scope` and
    leaves out the platform's refresh_token_expires_in and the OpenID id_token.
    """
    lifetimes = ctx.store.lifetimes
    body: TokenBody = {
        "access_token": issued.access_token,
        "token_type": "mac" if ctx.has_fault("token-type-mac") else "Bearer",
    }
    if not ctx.has_fault("rfc-no-expires-in"):
        suffixed = ctx.has_fault("expires-in-suffixed")
        body["expires_in"] = _seconds(ctx, lifetimes.access, suffixed=suffixed)
    if issued.refresh_token is not None:
        body["refresh_token"] = issued.refresh_token
        if not ctx.rfc6749:
            body["refresh_token_expires_in"] = _seconds(ctx, lifetimes.refresh)
    elif ctx.has_fault("refresh-token-null"):
        body["refresh_token"] = None  # the bug under test: a null where section 3 says string
    if id_token is not None and not ctx.rfc6749:
        body["id_token"] = id_token
    granted = granted or Granted(issued.scope)
    if ctx.rfc6749 and granted.reported and granted.scope:
        body["scope"] = " ".join(sorted(granted.scope))
    return body


def _seconds(ctx: ReferenceContext, value: int, *, suffixed: bool = False) -> int | str:
    # D6: 1.3.1's examples give integers, 1.11.0's schema and examples digit strings;
    # RFC 6749 5.1 a number.
    if suffixed:
        return f"{value}s"
    return str(value) if ctx.edition == "1.11.0" else value


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


def parse_rfc_scope(raw: str) -> frozenset[str]:
    """A non-empty RFC 6749 3.3 scope: scope-tokens separated by single spaces."""
    tokens = raw.split(" ")
    if not all(_SCOPE_TOKEN.fullmatch(token) for token in tokens):
        raise ApiError(Problem.INVALID_SCOPES, "the scope is malformed")
    return frozenset(tokens)


def check_rfc_scope(raw: str | None, client: Client, faults: frozenset[str]) -> Granted:
    """Edition "rfc6749": the requested `scope`, each token one of the client's.

    Omitted (or empty, RFC 6749 3.2) grants the client's scopes (3.3: a pre-defined
    default). An unknown scope is 400 invalid_scope, unless the
    `rfc-unknown-scope-dropped` fault drops it silently.
    """
    if not raw:
        return Granted(client.scopes)
    requested = parse_rfc_scope(raw)
    if requested <= client.scopes:
        return Granted(requested)
    if "rfc-unknown-scope-dropped" in faults:
        return Granted(requested & client.scopes or client.scopes, reported=False)
    raise ApiError(Problem.INVALID_SCOPES)


def check_refresh_scope(raw: str | None, original: frozenset[str], widen: bool) -> Granted:
    """Edition "rfc6749": a refresh's `scope` may narrow, never widen, the original
    grant (RFC 6749 6); omitted, it is the original. `widen` is the
    `rfc-refresh-scope-widened` fault: whatever is asked is granted."""
    if not raw:
        return Granted(original)
    requested = parse_rfc_scope(raw)
    if requested <= original or widen:
        return Granted(requested)
    raise ApiError(Problem.INVALID_SCOPES, "the scope exceeds the scope originally granted")


def _request_scope(request: GrantRequest) -> Granted:
    """The scope of a client_credentials or password request, per edition."""
    if request.ctx.rfc6749:
        return check_rfc_scope(request.params.get("scope"), request.client, request.ctx.faults)
    return Granted(check_scopes(request.params.get("scopes"), request.client))


def check_authorize_scope(raw: str | None, client: Client) -> frozenset[str]:
    """The authorize route's `scope`: space- or comma-separated, OIDC or client scopes."""
    requested = frozenset((raw or "").replace(",", " ").split())
    if requested - client.scopes - OIDC_SCOPES:
        raise ApiError(Problem.INVALID_SCOPES)
    return requested


def authenticate_user(
    accounts: Accounts,
    client: Client,
    params: Params,
    faults: frozenset[str],
    *,
    failed_logins: FailedLogins | None = None,
) -> User:
    """The user named by `username`/`password` (D13), in the client's institution.

    Missing fields are 400s (CMN_90013, CMN_90014); a wrong password, an unknown
    user and a user of another institution all answer the same 401 CMN_90015, so the
    response does not reveal which usernames exist. A refusal for an existing user's
    password is recorded in `failed_logins` when given (the definition: `FailedLogins`).
    """
    username = params.get("username", "")
    if not username:
        raise ApiError(Problem.INVALID_USERNAME, "username is required")
    password = params.get("password")
    user = accounts.user(username)
    if user is None and "username-case-insensitive" in faults:
        # The bug under test (D28): a directory that compares names without their case.
        user = next((u for u in accounts.users if u.username.lower() == username.lower()), None)
    if user is not None and user.institution_id != client.institution_id:
        user = None
    if password is None and user is not None and "password-field-optional" in faults:
        return user
    if not password:
        _count_failed_login(user, failed_logins)
        raise ApiError(Problem.INVALID_PASSWORD, "password is required")
    if "username-non-ascii-500" in faults and not username.isascii():
        # The bug under test: the directory is queried in ASCII (no login is counted).
        raise ApiError(Problem.INTERNAL, "the user directory could not be queried")
    if user is None and accounts.user(username) is None and "unknown-user-accepted" in faults:
        return User(username, "", client.institution_id)
    if user is None:
        raise ApiError(Problem.INVALID_USER_CREDENTIALS)
    matches = _same(password, user.password)
    if "password-prefix-compare" in faults:
        # The bug under test (D28): the password compared over the length presented.
        matches = user.password.startswith(password)
    if not matches and "password-not-checked" not in faults:
        _count_failed_login(user, failed_logins)
        raise ApiError(Problem.INVALID_USER_CREDENTIALS)
    return user


def _count_failed_login(user: User | None, failed_logins: FailedLogins | None) -> None:
    # An unknown user (or one of another institution) has no account here to lock.
    if user is not None and failed_logins is not None:
        failed_logins.record(user.username)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _client_credentials(request: GrantRequest) -> TokenBody:
    granted = _request_scope(request)
    if request.fault("client-credentials-broken"):
        raise ApiError(Problem.FORBIDDEN)
    store, client_id = request.ctx.store, request.client.client_id
    if request.fault("rfc-cc-broken") and _plain_cc_request(request):
        raise ApiError(Problem.GRANT_NOT_ALLOWED)
    if request.fault("access-token-reused"):
        cache = request.ctx.cached_access_tokens
        if client_id not in cache:
            cache[client_id] = store.issue(client_id, None, refresh=False).access_token
        issued = IssuedTokens(cache[client_id], None, None)
        return token_body(request.ctx, issued, granted=granted)
    # D8: an institution-level token has no refresh token.
    with_refresh = request.fault("client-credentials-refresh-token")
    issued = store.issue(client_id, None, refresh=with_refresh, scope=granted.scope)
    return token_body(request.ctx, issued, granted=granted)


def _plain_cc_request(request: GrantRequest) -> bool:
    """What `rfc-cc-broken` refuses: nothing but grant_type and scope, from a client
    whose id form-urlencoding leaves unchanged."""
    client_id = request.client.client_id
    return set(request.params) <= {"grant_type", "scope"} and client_id == quote_plus(client_id)


def _password(request: GrantRequest) -> TokenBody:
    user = authenticate_user(
        request.ctx.accounts,
        request.client,
        request.params,
        request.ctx.faults,
        failed_logins=request.ctx.failed_logins,
    )
    granted = _request_scope(request)
    if request.fault("password-grant-broken"):
        # Not a refusal of the user's credentials: that would read, rightly, as a wrong
        # configured password, and stop the run before it judged anything.
        raise ApiError(Problem.FORBIDDEN)
    # D8: the password grant returns a refresh token.
    with_refresh = not request.fault("password-no-refresh-token")
    issued = request.ctx.store.issue(
        request.client.client_id, user.username, refresh=with_refresh, scope=granted.scope
    )
    return token_body(request.ctx, issued, granted=granted)


def _authorization_code(request: GrantRequest) -> TokenBody:
    code = request.params.get("code", "")
    client_id = request.client.client_id
    # `code-blank-accepted` checks that the field is there, not that it has a value; RFC
    # 6749 3.2 says a parameter sent without a value counts as omitted.
    present = "code" in request.params and request.fault("code-blank-accepted")
    if not code and not (present or request.fault("code-field-optional")):
        raise ApiError(Problem.INVALID_REQUEST, "code is required")
    # What the faults below issue a token for: the client alone, with its own scopes.
    client_grant = CodeGrant(client_id, None, offline_access=False, scope=request.client.scopes)
    grant: CodeGrant | None = client_grant
    if code:
        consume = not (request.fault("code-reusable") or request.fault("code-exchange-broken"))
        outcome, grant = request.ctx.store.redeem_code(
            code,
            client_id,
            consume=consume,
            bind_to_client=not request.fault("code-not-client-bound"),
            spent_ok=request.checked_earlier,
            revoke_on_reuse=not request.fault("code-reuse-keeps-tokens"),
        )
        if outcome is Outcome.UNKNOWN and request.fault("invalid-code-accepted"):
            grant = client_grant
        elif outcome is Outcome.OK and request.fault("code-exchange-broken"):
            grant = None
    if grant is None:
        # D21: unknown, expired, used or another client's code.
        raise ApiError(Problem.INVALID_TOKEN)
    issued = request.ctx.store.issue(
        client_id, grant.username, refresh=grant.offline_access, scope=grant.scope, code=code
    )
    id_token = make_id_token(
        request.ctx.signing_key,
        subject=grant.username or client_id,
        issuer=ID_TOKEN_ISSUER,
        audience=client_id,
        # `id-token-expired`: the lifetime subtracted, so exp falls before iat.
        lifetime=request.ctx.store.lifetimes.access
        * (-1 if request.fault("id-token-expired") else 1),
    )
    return token_body(request.ctx, issued, id_token=id_token)


def _refresh_token(request: GrantRequest) -> TokenBody:
    token = request.params.get("refresh_token", "")
    store, client = request.ctx.store, request.client
    client_id = client.client_id
    if not token:
        if not request.fault("refresh-field-optional"):
            raise ApiError(Problem.INVALID_REQUEST, "refresh_token is required")
        return token_body(
            request.ctx, store.issue(client_id, None, refresh=True, scope=client.scopes)
        )
    bind = not request.fault("refresh-not-bound-to-client")
    granted: Granted | None = None
    if request.ctx.rfc6749:
        # Before anything changes: a refused scope leaves the refresh token valid.
        outcome, original = store.refresh_scope(token, client_id, bind_to_client=bind)
        if outcome is Outcome.OK:
            widen = request.fault("rfc-refresh-scope-widened")
            granted = check_refresh_scope(request.params.get("scope"), original, widen)
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
        spent_ok=request.checked_earlier,
    )
    if outcome is Outcome.UNKNOWN and request.fault("unknown-refresh-accepted"):
        issued = store.issue(client_id, None, refresh=True, scope=client.scopes)
    if issued is None:
        # D14: unknown, expired, rotated-out, revoked (D22) or another client's token.
        spent_401 = outcome is Outcome.USED and request.fault("rfc-spent-refresh-401")
        raise ApiError(Problem.INVALID_TOKEN, status=401 if spent_401 else None)
    return token_body(request.ctx, issued, granted=granted)


_GRANTS: dict[str, Callable[[GrantRequest], TokenBody]] = {
    "client_credentials": _client_credentials,
    "password": _password,
    "authorization_code": _authorization_code,
    "refresh_token": _refresh_token,
}
