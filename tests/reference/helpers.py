"""Request helpers for the reference target's tests.

The tests speak HTTP to a running `ReferenceServer`; these helpers build the
requests the contract describes (Basic credentials form-urlencoded before base64,
a fresh transactionId, institutionId) so each test states only what it varies.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx

from conformance.reference import ReferenceServer

TOKEN = "/oauth2/v1/token"
REVOKE = "/oauth2/v1/revoke"
AUTHORIZE = "/reference/v1/authorize"
FORM = "application/x-www-form-urlencoded"
INSTITUTION = "00016"

Credentials = tuple[str, str]
CLIENT: Credentials = ("conformance-client", "reference-secret-1")
SECOND: Credentials = ("second-client", "reference-secret-2")
RESTRICTED: Credentials = ("restricted-client", "reference-secret-3")
SPECIAL: Credentials = ("spécial:client %+", "sécret: with%+plus")
USER: Credentials = ("reference-user", "Reference-Passw0rd!")

# Sentinel: "send a fresh valid transactionId" (None means: send none).
FRESH = "fresh"

# Raw header pairs: bytes let a test send exactly the bytes it means (control
# characters, non-ASCII), and a list lets it repeat a header.
HeaderList = list[tuple[bytes, bytes]]
ExtraHeaders = Sequence[tuple[str, str | bytes]]


def raw_header(name: str, value: str | bytes) -> tuple[bytes, bytes]:
    """A header pair as bytes (str values must be ASCII)."""
    return name.encode("ascii"), value if isinstance(value, bytes) else value.encode("ascii")


def basic(credentials: Credentials, *, encode: bool = True) -> str:
    """`Basic base64(urlenc(id) ":" urlenc(secret))` (RFC 6749 2.3.1)."""
    client_id, secret = credentials
    if encode:
        client_id, secret = quote_plus(client_id), quote_plus(secret)
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode("ascii")


def new_txid() -> str:
    """A fresh transactionId."""
    return str(uuid.uuid4())


def is_uuid(value: str | None) -> bool:
    """Whether a header value is a canonical UUID."""
    pattern = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    return value is not None and re.fullmatch(pattern, value, re.IGNORECASE) is not None


class Api:
    """An httpx client for one running reference server, with contract defaults."""

    def __init__(self, server: ReferenceServer) -> None:
        self.server = server
        self.edition = server.edition
        self.http = httpx.Client(base_url=server.url, timeout=10.0)

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    @property
    def invalid_token(self) -> tuple[int, str]:
        """(status, code) of the invalid-token error in this edition."""
        return (401, "CMN_90018") if self.edition == "1.3.1" else (400, "CMN_90016")

    def headers(
        self,
        client: Credentials | None = CLIENT,
        *,
        txid: str | bytes | None = FRESH,
        institution: str | None = INSTITUTION,
        extra: ExtraHeaders = (),
    ) -> HeaderList:
        """Headers of a well-formed request, minus what is set to None, plus `extra`."""
        pairs: list[tuple[str, str | bytes]] = []
        if txid is not None:
            pairs.append(("transactionId", new_txid() if txid == FRESH else txid))
        if client is not None:
            pairs.append(("Authorization", basic(client)))
        if institution is not None:
            pairs.append(("institutionId", institution))
        return [raw_header(name, value) for name, value in [*pairs, *extra]]

    def send(
        self,
        path: str,
        *,
        method: str = "POST",
        headers: HeaderList | None = None,
        form: Mapping[str, str] | None = None,
        content: bytes | None = None,
        content_type: str | None = FORM,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request; `form` is urlencoded, `content` sent as is."""
        all_headers = list(self.headers() if headers is None else headers)
        if content_type is not None:
            all_headers.append(raw_header("Content-Type", content_type))
        body = content
        if form is not None:
            body = urlencode(form).encode("ascii")
        return self.http.request(method, path, headers=all_headers, content=body, **kwargs)

    def token(
        self,
        grant_type: str | None,
        *,
        client: Credentials | None = CLIENT,
        txid: str | bytes | None = FRESH,
        institution: str | None = INSTITUTION,
        extra_headers: ExtraHeaders = (),
        **form: str,
    ) -> httpx.Response:
        """A token request; keyword arguments are the form fields."""
        fields = dict(form) if grant_type is None else {"grant_type": grant_type, **form}
        headers = self.headers(client, txid=txid, institution=institution, extra=extra_headers)
        return self.send(TOKEN, headers=headers, form=fields)

    def password_grant(
        self,
        client: Credentials = CLIENT,
        user: Credentials = USER,
        *,
        institution: str | None = INSTITUTION,
        scopes: str | None = None,
    ) -> httpx.Response:
        """A password-grant request, for the default user unless told otherwise."""
        fields = {"grant_type": "password", "username": user[0], "password": user[1]}
        if scopes is not None:
            fields["scopes"] = scopes
        headers = self.headers(client, institution=institution)
        return self.send(TOKEN, headers=headers, form=fields)

    def password_tokens(self, client: Credentials = CLIENT) -> dict[str, Any]:
        """The body of a successful password grant."""
        response = self.password_grant(client)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def refresh(self, refresh_token: str, client: Credentials = CLIENT) -> httpx.Response:
        """A refresh_token-grant request (no institutionId: it is optional there)."""
        return self.token(
            "refresh_token", client=client, institution=None, refresh_token=refresh_token
        )

    def authorize(
        self, client: Credentials = CLIENT, *, scope: str | None = "openid offline_access"
    ) -> httpx.Response:
        """Ask the reference-only authorize route for a code for the default user."""
        fields = {"username": USER[0], "password": USER[1]}
        if scope is not None:
            fields["scope"] = scope
        return self.send(AUTHORIZE, headers=self.headers(client, institution=None), form=fields)

    def code(self, client: Credentials = CLIENT, *, scope: str | None = "openid") -> str:
        """A fresh authorization code."""
        response = self.authorize(client, scope=scope)
        assert response.status_code == 200, response.text
        return str(response.json()["code"])

    def exchange(self, code: str, client: Credentials = CLIENT) -> httpx.Response:
        """An authorization_code-grant request."""
        return self.token("authorization_code", client=client, institution=None, code=code)

    def revoke(
        self, token: str, client: Credentials = CLIENT, *, method: str = "DELETE"
    ) -> httpx.Response:
        """A revocation request."""
        headers = self.headers(client, institution=None)
        return self.send(REVOKE, method=method, headers=headers, form={"token": token})


def assert_cmn_error(response: httpx.Response, status: int, code: str | None = None) -> None:
    """A CMN error (D17) with the given status, a transactionId (D1) and no token."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"code", "message"}
    assert re.fullmatch(r"CMN_\d{5}", body["code"])
    if code is not None:
        assert body["code"] == code, body
    assert is_uuid(response.headers.get("transactionId"))
    assert response.headers["cache-control"] == "no-store"
    assert "access_token" not in response.text


def assert_invalid_token(api: Api, response: httpx.Response) -> None:
    """The edition's invalid-token error (1.3.1: 401 CMN_90018; 1.11.0: 400 CMN_90016)."""
    status, code = api.invalid_token
    assert_cmn_error(response, status, code)
