"""An independent OAuth 2.0 server: Authlib 1.9 + Flask, everything in memory.

Authlib's own grants and client authentication answer every token request; this module only
supplies the storage hooks Authlib asks for. `EXPECTED` is the verdict the rfc6749 profile
should give, worked out from RFC 6749 and from probing this app by hand with httpx.

Refresh tokens: Authlib's defaults are kept. RefreshTokenGrant.INCLUDE_NEW_REFRESH_TOKEN is
False, so a refresh answers with a new access token only and the refresh token stays valid
(revoke_old_credential retires the old access token, not the refresh token the client still
needs). OAUTH2_REFRESH_TOKEN_GENERATOR has to be switched on: the Flask integration issues
no refresh tokens at all by default.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    ClientMixin,
    OAuth2Error,
    TokenMixin,
    grants,
    list_to_scope,
    scope_to_list,
)
from flask import Flask

from tests.oauth_servers.harness import Expected, security_on_loopback

# Authlib refuses plain http (InsecureTransportError). 1.9 already lets loopback through;
# the variable keeps the app usable whatever host name the test client puts in Host.
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")

TOKEN_PATH = "/oauth/token"
AUTHORIZE_PATH = "/test-only/authorize"
SCOPE = "profile email"
REDIRECT_URI = "https://client.example/cb"
ALL_GRANTS = ("client_credentials", "password", "authorization_code", "refresh_token")

# RFC 6749 2.3.1 form-urlencodes id and secret before Basic: the space becomes '+', and a
# literal '+' becomes %2B, so a server decoding with plain percent-decoding gets it wrong.
SPECIAL_CLIENT_ID = "spécial:client+1 %"
SPECIAL_CLIENT_SECRET = "sécret:pa%ss+wörd 2"

SETTINGS: dict[str, object] = {
    "client_id": "main-client",
    "username": "alice",
    "token_path": TOKEN_PATH,
    "scope": SCOPE,
    "second_client_id": "second-client",
    "restricted_client_id": "restricted-client",
    "special_client_id": SPECIAL_CLIENT_ID,
}
SECRETS: dict[str, str] = {
    "client_secret": "main-secret-4f9c2a",
    "password": "alice-password-7d1e",
    "second_client_secret": "second-secret-b83e05",
    "restricted_client_secret": "restricted-secret-19ad7c",
    "special_client_secret": SPECIAL_CLIENT_SECRET,
}


def _same(a: str, b: str) -> bool:
    # compare_digest only takes ASCII str; bytes keep a non-ASCII secret from raising.
    return secrets.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True)
class User:
    username: str
    password: str


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str
    grant_types: tuple[str, ...]
    scope: str = SCOPE
    redirect_uris: tuple[str, ...] = (REDIRECT_URI,)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str | None) -> str:
        # What Authlib's own OAuth2ClientMixin does: keep the allowed part, drop the rest.
        if not scope:
            return ""
        allowed = set(self.scope.split())
        return list_to_scope([s for s in scope_to_list(scope) if s in allowed])

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return _same(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        # Every client is confidential and registered for client_secret_basic only.
        return method == "client_secret_basic" if endpoint == "token" else True

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


@dataclass
class AuthorizationCode(AuthorizationCodeMixin):
    code: str
    client_id: str
    user: User
    scope: str
    redirect_uri: str | None
    issued_at: float = field(default_factory=time.time)

    def get_redirect_uri(self) -> str | None:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def is_expired(self) -> bool:
        return time.time() > self.issued_at + 300  # RFC 6749 4.1.2: short-lived


@dataclass
class Token(TokenMixin):
    client: Client
    user: User | None
    access_token: str
    refresh_token: str | None
    scope: str
    expires_in: int
    issued_at: float = field(default_factory=time.time)
    access_revoked: bool = False

    def check_client(self, client: Client) -> bool:
        return self.client.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return time.time() > self.issued_at + self.expires_in

    def is_revoked(self) -> bool:
        return self.access_revoked

    def get_user(self) -> User | None:
        return self.user

    def get_client(self) -> Client:
        return self.client


@dataclass
class Store:
    """One app's clients, user, codes and tokens."""

    clients: dict[str, Client]
    users: dict[str, User]
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    by_refresh_token: dict[str, Token] = field(default_factory=dict)


def _store() -> Store:
    def client(role: str, grant_types: tuple[str, ...]) -> Client:
        prefix = f"{role}_" if role else ""
        return Client(
            str(SETTINGS[f"{prefix}client_id"]), SECRETS[f"{prefix}client_secret"], grant_types
        )

    clients = [
        client("", ALL_GRANTS),
        client("second", ALL_GRANTS),
        client("restricted", ("client_credentials", "refresh_token")),
        client("special", ALL_GRANTS),
    ]
    user = User(str(SETTINGS["username"]), SECRETS["password"])
    return Store({c.client_id: c for c in clients}, {user.username: user})


class MemoryAuthorizationServer(AuthorizationServer):
    """Authlib's Flask server with the two storage hooks it needs, over a Store."""

    def __init__(self, app: Flask, store: Store) -> None:
        self.store = store
        super().__init__(app)

    def query_client(self, client_id: str) -> Client | None:
        return self.store.clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        item = Token(
            client=request.client,
            user=request.user,
            access_token=token["access_token"],
            refresh_token=token.get("refresh_token"),
            scope=token.get("scope", ""),
            expires_in=token["expires_in"],
        )
        # Only refresh tokens are ever looked up again; no resource server reads access tokens.
        if item.refresh_token:
            self.store.by_refresh_token[item.refresh_token] = item


class PasswordGrant(grants.ResourceOwnerPasswordCredentialsGrant):
    def authenticate_user(self, username: str, password: str) -> User | None:
        user = self.server.store.users.get(username)
        return user if user and _same(user.password, password) else None


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    def save_authorization_code(self, code: str, request: Any) -> None:
        # request.payload.redirect_uri is None when the request left it out: then
        # RFC 6749 4.1.3 does not ask for it at the token endpoint either.
        self.server.store.codes[code] = AuthorizationCode(
            code,
            request.client.client_id,
            request.user,
            request.scope,
            request.payload.redirect_uri,
        )

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        item = self.server.store.codes.get(code)
        if item and item.client_id == client.client_id and not item.is_expired():
            return item
        return None

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        self.server.store.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: AuthorizationCode) -> User:
        return authorization_code.user


class RefreshTokenGrant(grants.RefreshTokenGrant):
    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        return self.server.store.by_refresh_token.get(refresh_token)

    def authenticate_user(self, refresh_token: Token) -> User | None:
        return refresh_token.user

    def revoke_old_credential(self, refresh_token: Token) -> None:
        # No new refresh token is issued (Authlib's default), so the client keeps this one.
        refresh_token.access_revoked = True


def create_app() -> Flask:
    """A fresh app with its own in-memory store."""
    app = Flask(__name__)
    app.config["OAUTH2_REFRESH_TOKEN_GENERATOR"] = True
    server = MemoryAuthorizationServer(app, _store())
    server.register_grant(grants.ClientCredentialsGrant)
    server.register_grant(PasswordGrant)
    server.register_grant(AuthorizationCodeGrant)
    server.register_grant(RefreshTokenGrant)

    # Authlib's documented token route: POST only, everything else is Authlib's answer.
    @app.post(TOKEN_PATH)
    def token() -> Any:
        return server.create_token_response()

    # Test-only: the resource owner has already logged in and consents to every request.
    @app.route(AUTHORIZE_PATH, methods=["GET", "POST"])
    def authorize() -> Any:
        user = server.store.users[str(SETTINGS["username"])]
        try:
            grant = server.get_consent_grant(end_user=user)
        except OAuth2Error as error:  # a bad authorize request: Authlib's own error answer
            return server.handle_error_response(None, error)
        # Passing `grant` avoids Authlib's deprecation warning (an error under pytest).
        return server.create_authorization_response(grant_user=user, grant=grant)

    return app


def fetch_code(base_url: str) -> str:
    """A fresh authorization code for the main client and the user, via the app's flow."""
    query = {"response_type": "code", "client_id": SETTINGS["client_id"], "scope": SCOPE}
    answer = httpx.get(base_url + AUTHORIZE_PATH, params=query, timeout=10)
    location = answer.headers.get("location", "")
    codes = parse_qs(urlsplit(location).query).get("code")
    if answer.status_code != 302 or not location.startswith(REDIRECT_URI) or not codes:
        raise RuntimeError(f"authorize gave no code: {answer.status_code} {location[:200]}")
    return codes[0]


def _ok(why: str) -> Expected:
    return Expected("passed", why)


def _fail(why: str) -> Expected:
    return Expected("failed", why)


# From RFC 6749 and a hand probe of every scenario (httpx, raw requests), not the suite.
EXPECTED: dict[str, Expected] = {
    # --- success ---------------------------------------------------------------------
    "RFC-CC-SUCCESS": _ok("Both Basic client_credentials requests get 200 and a Bearer token."),
    "RFC-PASSWORD-SUCCESS": _ok(
        "The user's password request gets 200, an access and a refresh token."
    ),
    "RFC-CODE-SUCCESS": _ok(
        "A code from the test authorize route (no redirect_uri in the request) is exchanged "
        "without redirect_uri for 200 and a token, as 4.1.3 allows."
    ),
    "RFC-REFRESH-SUCCESS": _ok(
        "The refresh token from the password login gets 200 and a new access token."
    ),
    "RFC-SUCCESS-FIELDS:client_credentials": _ok(
        "application/json object with string access_token and token_type Bearer (5.1)."
    ),
    "RFC-SUCCESS-FIELDS:password": _ok(
        "application/json object, access_token and token_type Bearer."
    ),
    "RFC-SUCCESS-FIELDS:authorization_code": _ok(
        "application/json object, access_token and token_type Bearer."
    ),
    "RFC-SUCCESS-FIELDS:refresh_token": _ok(
        "application/json object, access_token and token_type Bearer."
    ),
    "RFC-TOKEN-SYNTAX": _ok(
        "Tokens are 42/48 ASCII letters and digits, token_type Bearer, expires_in a JSON integer "
        "(864000, 3600 on refresh), scope 'profile email'."
    ),
    "RFC-EXPIRES-IN": _ok("Authlib's BearerTokenGenerator puts expires_in on every token answer."),
    "RFC-NO-STORE": _ok(
        "Every token answer carries Cache-Control: no-store (authlib default_json_headers)."
    ),
    "RFC-PRAGMA": _ok(
        "Every token answer carries Pragma: no-cache (authlib default_json_headers)."
    ),
    "RFC-PARAMS-ONCE": _ok("Bodies are json.dumps of a dict: no member can repeat."),
    "RFC-CC-NO-REFRESH": _ok(
        "ClientCredentialsGrant asks for include_refresh_token=False (4.4.3)."
    ),
    "RFC-REFRESH-ROTATION": _ok(
        "MAY, information only: a refresh returns no new refresh token (INCLUDE_NEW_REFRESH_TOKEN "
        "is False by default) and the old one keeps working."
    ),
    # --- errors ----------------------------------------------------------------------
    "RFC-ERROR-BODY": _ok(
        "Every 400/401 to a POST is application/json with a string error (error_description a "
        "string when present); the GET's HTML 405 is not a POST."
    ),
    "RFC-ERROR-CHARSET": _ok(
        "Codes and descriptions are plain ASCII without '\"' or '\\' (authlib refuses other "
        "characters in a description it is given); no error_uri is sent."
    ),
    "RFC-ERROR-STATUS": _fail(
        "Every 5.2 error comes with 400 and invalid_client with 401, but one failed client "
        "authentication does not: Basic credentials whose bytes are not UTF-8 get a 500 (see "
        "RFC-NO-5XX), where 5.2 has invalid_client answer 400 or 401."
    ),
    "RFC-ERROR-CODE-KNOWN": _ok(
        "Every 400 and 401 names one of 5.2's six codes, with the property phase on as "
        "well (seed 7)."
    ),
    "RFC-NO-5XX": _fail(
        "Basic credentials that decode from base64 to bytes that are not UTF-8 (auth_malformed/"
        "not-utf8) get Werkzeug's HTML 500: extract_basic_authorization decodes them strictly "
        "and catches only binascii.Error and TypeError (what authlib issue #28 added in 2018 for "
        "credentials that are not base64), so the UnicodeDecodeError escapes. Everything else "
        "got no 5xx: a form without Content-Type and a chunked one get 400 or a token, and "
        "with the property phase on as well (seed 7), the D31 bodies got none either."
    ),
    "RFC-INVALID-CLIENT": _fail(
        "No Authorization, a wrong secret, an unknown client and each header without usable "
        "credentials (Bearer, Basic not base64, Basic without ':', a bare 'Basic', a %-escape "
        "to no UTF-8) get 401 invalid_client and no token, but Basic credentials that are not "
        "UTF-8 get a 500 instead of invalid_client (see RFC-NO-5XX)."
    ),
    "RFC-INVALID-CLIENT-401": _fail(
        "A failed Basic authentication (wrong secret, unknown client, a malformed Basic header) "
        "gets 401 and 'WWW-Authenticate: Basic error=...' (5.2), except Basic credentials "
        "that are not UTF-8, which get a 500 (see RFC-NO-5XX)."
    ),
    "RFC-401-CHALLENGE": _ok("Every 401 (all invalid_client) carries a Basic WWW-Authenticate."),
    "RFC-BASIC-ENCODING": _fail(
        "Authlib decodes Basic credentials with urllib unquote, not form-urldecoding, so the '+' "
        "2.3.1 makes of a space stays '+': the special client is unknown (401 invalid_client)."
    ),
    "RFC-ONE-AUTH-METHOD": Expected(
        "warned",
        "Basic plus client_id/client_secret in the body gets 200 and a token: authlib uses the "
        "first method that works; 5.2 names invalid_request for more than one mechanism.",
    ),
    "RFC-GRANT-TYPE-MISSING": _fail(
        "An absent or empty grant_type gets 400 unsupported_grant_type (no grant matches None/''); "
        "3.2 and 5.2 make it a missing required parameter: invalid_request."
    ),
    "RFC-UNSUPPORTED-GRANT": _ok("An unknown grant_type gets 400 unsupported_grant_type."),
    "RFC-PARAM-REPEATED": _fail(
        "grant_type sent twice gets 200 and a token: Flask's values.get takes the first and the "
        "token endpoint never checks repeats (authlib does so only at the authorization endpoint)."
    ),
    "RFC-FIELD-MISSING": _ok(
        "Missing code, refresh_token, username or password each get 400 invalid_request "
        "'Missing ...'."
    ),
    "RFC-UNKNOWN-PARAM-IGNORED": _ok(
        "The unrecognized parameter is ignored: 200 and a token (3.2)."
    ),
    "RFC-POST-ONLY": _ok(
        "The route is POST-only (authlib's documented setup): GET gets Flask's 405."
    ),
    "RFC-BODY-FORM": _ok(
        "A JSON body has no form grant_type, so it gets a JSON 400 unsupported_grant_type "
        "and no token."
    ),
    "RFC-SCOPE-UNKNOWN": Expected(
        "warned",
        "The unknown scope is dropped (OAuth2ClientMixin-style get_allowed_scope): beside "
        "'profile email' the 200 says scope 'profile email', but asked alone it gets 200 and a "
        "token with no scope member (nothing is left to grant, and BearerTokenGenerator omits "
        "an empty scope); 3.3 requires scope in the response when it differs from the request.",
    ),
    "RFC-INVALID-GRANT:authorization_code": _ok("A never-issued code gets 400 invalid_grant."),
    "RFC-INVALID-GRANT:refresh_token": _ok("A never-issued refresh token gets 400 invalid_grant."),
    "RFC-PASSWORD-WRONG": _fail(
        "A wrong password gets 400 invalid_request ('Invalid username or password'); 5.2 names "
        "invalid_grant for invalid resource owner credentials."
    ),
    "RFC-CODE-SINGLE-USE": _ok(
        "The code is deleted on exchange; the reuse gets 400 invalid_grant."
    ),
    "RFC-REFRESH-CLIENT-BOUND": _ok(
        "The second client presenting the main client's refresh token gets 400 invalid_grant (6)."
    ),
    "RFC-REFRESH-SCOPE-NOT-WIDER": _ok(
        "Asking for 'profile email conformance-extra-scope' on refresh gets 400 invalid_scope (6)."
    ),
    "RFC-UNAUTHORIZED-CLIENT": _ok(
        "The restricted client's password request gets 400 unauthorized_client, no token."
    ),
    # --- security findings (specs/security.toml), judged beside the contract -------------
    **security_on_loopback(),
    "SEC-TOKEN-ENTROPY": _ok(
        "Authlib's generate_token draws 42 (tokens) and 48 (codes) characters from 62 letters "
        "and digits, about 250 bits; the samples show every position varying."
    ),
    "SEC-TOKEN-ENTROPY-160": _ok("As SEC-TOKEN-ENTROPY: well over 160 bits."),
    "SEC-CODE-REUSE-REVOKES": Expected(
        "warned",
        "A reused code is refused (the code is deleted once exchanged), but nothing "
        "ties the tokens to it: the first exchange's refresh token keeps working (RFC 6749 "
        "4.1.2's SHOULD).",
    ),
}
