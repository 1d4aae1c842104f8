"""Edition "rfc6749" of the reference: the token endpoint as RFC 6749 alone describes it.

Over real HTTP on loopback, like the platform editions' tests: the clean edition's
behaviour per requirement of specs/rfc6749.toml (valid requests get tokens, each error
its RFC 6749 5.2 code, status and headers), then every fault that names an rfc6749
requirement, twice: a probe showing the faulted behaviour next to the clean one, and a
small judge that replays the rfc6749 profile's requests and applies its judging rules
(as the profile's brief states them), which must find exactly that requirement broken.
"""

from __future__ import annotations

import base64
import json
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from conformance.reference import FAULTS, ReferenceServer, create_app
from conformance.reference.authorize import request_code

from .conftest import FakeClock
from .helpers import (
    AUTHORIZE,
    CLIENT,
    FORM,
    RESTRICTED,
    REVOKE,
    SECOND,
    SPECIAL,
    TOKEN,
    USER,
    Api,
    Credentials,
    ExtraHeaders,
    HeaderList,
    basic,
)

EDITION = "rfc6749"
SPEC = Path(__file__).resolve().parents[2] / "specs" / "rfc6749.toml"
SECURITY = SPEC.with_name("security.toml")
CLIENT_SCOPE = "accounts:read transactions:read"  # the default accounts' scopes, sorted
ACCESS_LIFETIME = 3600
CHALLENGE = 'Basic realm="token"'
# RFC 6749 5.2 / Appendix A.7-A.8: the characters of error and error_description.
ERROR_TEXT = re.compile(r"[\x20-\x21\x23-\x5B\x5D-\x7E]+")
FIVE_TWO_CODES = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
    }
)
RFC_FAULTS = sorted(name for name, fault in FAULTS.items() if fault.rfc6749 is not None)
UNMAPPED_FAULTS = sorted(name for name, fault in FAULTS.items() if fault.rfc6749 is None)


# --- requests -----------------------------------------------------------------------


def rfc_headers(
    api: Api, client: Credentials | None = CLIENT, extra: ExtraHeaders = ()
) -> HeaderList:
    """Basic credentials only: no transactionId, no institutionId."""
    return api.headers(client, txid=None, institution=None, extra=extra)


def post(
    api: Api,
    form: Mapping[str, str] | None = None,
    *,
    client: Credentials | None = CLIENT,
    content: bytes | None = None,
    content_type: str | None = FORM,
    extra: ExtraHeaders = (),
    path: str = TOKEN,
) -> httpx.Response:
    """A POST to the token endpoint (or `path`) as the rfc6749 profile sends it."""
    headers = rfc_headers(api, client, extra)
    return api.send(path, headers=headers, form=form, content=content, content_type=content_type)


def cc(api: Api, client: Credentials | None = CLIENT, **form: str) -> httpx.Response:
    return post(api, {"grant_type": "client_credentials", **form}, client=client)


def password(
    api: Api, client: Credentials = CLIENT, user: Credentials = USER, **form: str
) -> httpx.Response:
    fields = {"grant_type": "password", "username": user[0], "password": user[1], **form}
    return post(api, fields, client=client)


def refresh(api: Api, token: str, client: Credentials = CLIENT, **form: str) -> httpx.Response:
    return post(api, {"grant_type": "refresh_token", "refresh_token": token, **form}, client=client)


def exchange(api: Api, code: str, client: Credentials = CLIENT) -> httpx.Response:
    return post(api, {"grant_type": "authorization_code", "code": code}, client=client)


def login(api: Api, scope: str | None = None) -> dict[str, Any]:
    response = password(api) if scope is None else password(api, scope=scope)
    assert response.status_code == 200, response.text
    return dict(response.json())


def fresh_code(api: Api, scope: str = "openid") -> str:
    """A code from the reference-only authorize route, the way the embedded run gets one."""
    environ = {
        "CONFORMANCE_CLIENT_ID": CLIENT[0],
        "CONFORMANCE_CLIENT_SECRET": CLIENT[1],
        "CONFORMANCE_USERNAME": USER[0],
        "CONFORMANCE_PASSWORD": USER[1],
    }
    return request_code(api.server.url, environ, scope=scope)


# --- what answers look like ----------------------------------------------------------


def assert_token(response: httpx.Response, scope: str = CLIENT_SCOPE) -> dict[str, Any]:
    """A 200 token response of the clean edition (RFC 6749 5.1)."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    assert "transactionid" not in response.headers
    body: dict[str, Any] = response.json()
    assert set(body) <= {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert isinstance(body["access_token"], str) and body["access_token"]
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == ACCESS_LIFETIME and type(body["expires_in"]) is int
    assert body["scope"] == scope
    return body


def assert_rfc_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    """An RFC 6749 5.2 error body of fixed text, no token, no platform header."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "error_description"}
    assert body["error"] == error, body
    assert ERROR_TEXT.fullmatch(body["error"]) and ERROR_TEXT.fullmatch(body["error_description"])
    assert "access_token" not in body and "transactionid" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    if status == 401:
        assert response.headers["www-authenticate"] == CHALLENGE
    else:
        assert "www-authenticate" not in response.headers
    return body


# --- servers -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rfc() -> Iterator[Api]:
    """A client of a clean rfc6749-edition reference server."""
    with ReferenceServer(edition=EDITION) as server:
        api = Api(server)
        yield api
        api.close()


@pytest.fixture(scope="module")
def rfc_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def clocked_rfc(rfc_clock: FakeClock) -> Iterator[Api]:
    with ReferenceServer(edition=EDITION, clock=rfc_clock) as server:
        api = Api(server)
        yield api
        api.close()


@pytest.fixture(scope="module")
def faulty() -> Iterator[dict[str, Api]]:
    """One rfc6749-edition server per fault, started and stopped in parallel."""
    servers = [ReferenceServer(edition=EDITION, faults={name}) for name in sorted(FAULTS)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(ReferenceServer.start, servers))
    apis = {next(iter(server.faults)): Api(server) for server in servers}
    try:
        yield apis
    finally:
        for api in apis.values():
            api.close()
        with ThreadPoolExecutor(max_workers=len(servers)) as pool:
            list(pool.map(ReferenceServer.stop, servers))


# --- the edition and its fault table ------------------------------------------------


def test_edition__is_known_to_the_app_and_the_server() -> None:
    assert create_app(edition=EDITION).state.reference.rfc6749
    with ReferenceServer(edition=EDITION) as server:
        assert server.edition == EDITION


@pytest.mark.parametrize("edition", ["1.3.1", "1.11.0"])
def test_rfc6749_only_faults__are_refused_in_platform_editions(edition: str) -> None:
    with pytest.raises(ValueError, match="applies to edition 'rfc6749' only"):
        create_app(edition=edition, faults={"rfc-no-pragma"})


def test_fault_table__rfc6749_fields_name_requirements_of_the_rfc_spec() -> None:
    spec = tomllib.loads(SPEC.read_text(encoding="utf-8"))
    levels = {r["id"]: r["level"] for r in spec["requirement"]}
    # the security findings, judged beside either contract, may be a fault's too
    security = tomllib.loads(SECURITY.read_text(encoding="utf-8"))["requirement"]
    findings = {r["id"]: r["level"] for r in security}
    for name, fault in FAULTS.items():
        if fault.requirement is None:  # rfc6749-only
            assert name.startswith("rfc-") and fault.rfc6749 is not None, name
            assert fault.description and not fault.generated_input
        else:
            assert not name.startswith("rfc-"), name
        if fault.rfc6749 is not None:
            level = levels.get(fault.rfc6749) or findings.get(fault.rfc6749)
            assert level in {"MUST", "SHOULD"}, (name, fault.rfc6749)
    faulted = {fault.rfc6749 for fault in FAULTS.values()}
    musts = {rid for rid, level in levels.items() if level == "MUST"}
    assert musts - faulted == set(), "MUST requirements of rfc6749.toml without a fault"
    wanted_shoulds = {"RFC-ONE-AUTH-METHOD", "RFC-BODY-FORM", "RFC-EXPIRES-IN", "RFC-CC-NO-REFRESH"}
    assert wanted_shoulds - faulted == set()


# --- the clean edition: success -------------------------------------------------------


def test_client_credentials__token_with_the_clients_scope_and_no_refresh_token(rfc: Api) -> None:
    body = assert_token(cc(rfc))
    assert "refresh_token" not in body


def test_platform_headers__are_neither_required_nor_checked_nor_echoed(rfc: Api) -> None:
    for txid, institution in [(None, None), ("not-a-uuid", "abc"), ("", "99999")]:
        extra = [(k, v) for k, v in (("transactionId", txid), ("institutionId", institution)) if v]
        headers = rfc_headers(rfc, extra=extra)
        response = rfc.send(TOKEN, headers=headers, form={"grant_type": "client_credentials"})
        assert_token(response)
    error = cc(rfc, client=None)
    assert "transactionid" not in error.headers


def test_password__token_with_a_refresh_token(rfc: Api) -> None:
    body = assert_token(password(rfc))
    assert isinstance(body["refresh_token"], str) and body["refresh_token"]
    assert "refresh_token_expires_in" not in body


@pytest.mark.parametrize(
    ("scope", "granted"),
    [
        ("accounts:read", "accounts:read"),
        ("transactions:read accounts:read", CLIENT_SCOPE),
        ("", CLIENT_SCOPE),  # RFC 6749 3.2: a parameter without a value is omitted
    ],
)
def test_scope__space_delimited_and_always_reported_sorted(
    rfc: Api, scope: str, granted: str
) -> None:
    assert_token(cc(rfc, scope=scope), granted)
    assert_token(password(rfc, scope=scope), granted)


def test_scope__the_platforms_scopes_parameter_is_an_unknown_one(rfc: Api) -> None:
    assert_token(cc(rfc, scopes="admin"))


@pytest.mark.parametrize(
    "scope", ["admin", "accounts:read admin", "conformance-unknown-scope", " accounts:read"]
)
def test_scope__unknown_or_malformed_is_invalid_scope(rfc: Api, scope: str) -> None:
    assert_rfc_error(cc(rfc, scope=scope), 400, "invalid_scope")
    assert_rfc_error(password(rfc, scope=scope), 400, "invalid_scope")


def test_authorization_code__exchanged_once_without_platform_headers(rfc: Api) -> None:
    code = fresh_code(rfc)
    body = assert_token(exchange(rfc, code), "openid")
    assert "id_token" not in body and "refresh_token" not in body
    assert_rfc_error(exchange(rfc, code), 400, "invalid_grant")


def test_authorization_code__offline_access_brings_a_refresh_token(rfc: Api) -> None:
    body = assert_token(
        exchange(rfc, fresh_code(rfc, "openid offline_access")), "offline_access openid"
    )
    assert_token(refresh(rfc, body["refresh_token"]), "offline_access openid")


def test_authorization_code__bound_to_its_client(rfc: Api) -> None:
    code = fresh_code(rfc)
    assert_rfc_error(exchange(rfc, code, client=SECOND), 400, "invalid_grant")
    assert_token(exchange(rfc, code), "openid")


def test_authorize_route__works_without_platform_headers(rfc: Api) -> None:
    form = {"username": USER[0], "password": USER[1], "scope": "openid"}
    response = post(rfc, form, path=AUTHORIZE)
    assert response.status_code == 200, response.text
    assert_token(exchange(rfc, response.json()["code"]), "openid")


def test_refresh__rotates_and_revokes_the_old_refresh_token(rfc: Api) -> None:
    old = login(rfc)["refresh_token"]
    body = assert_token(refresh(rfc, old))
    assert body["refresh_token"] != old
    assert_rfc_error(refresh(rfc, old), 400, "invalid_grant")
    assert_token(refresh(rfc, body["refresh_token"]))


def test_refresh__bound_to_its_client(rfc: Api) -> None:
    token = login(rfc)["refresh_token"]
    assert_rfc_error(refresh(rfc, token, client=SECOND), 400, "invalid_grant")
    assert_token(refresh(rfc, token))  # the rightful client still can


def test_refresh__scope_may_narrow_never_widen(rfc: Api) -> None:
    token = login(rfc, scope="accounts:read")["refresh_token"]
    for wider in ["accounts:read transactions:read", "accounts:read conformance-extra-scope"]:
        assert_rfc_error(refresh(rfc, token, scope=wider), 400, "invalid_scope")
    # A refused scope spends nothing; omitted, the scope is the original one.
    body = assert_token(refresh(rfc, token), "accounts:read")
    token = login(rfc)["refresh_token"]
    narrowed = assert_token(refresh(rfc, token, scope="transactions:read"), "transactions:read")
    # RFC 6749 6: a new refresh token keeps the original grant's scope.
    assert_token(refresh(rfc, narrowed["refresh_token"]), CLIENT_SCOPE)
    assert body


def test_revocation__a_revoked_refresh_token_is_invalid_grant(rfc: Api) -> None:
    token = login(rfc)["refresh_token"]
    revoked = post(rfc, {"token": token}, path=REVOKE)
    assert revoked.status_code == 204
    assert_rfc_error(refresh(rfc, token), 400, "invalid_grant")


def test_expired_code_and_refresh_token__are_invalid_grant(
    clocked_rfc: Api, rfc_clock: FakeClock
) -> None:
    code = fresh_code(clocked_rfc)
    token = login(clocked_rfc)["refresh_token"]
    rfc_clock.advance(15_552_000)
    assert_rfc_error(exchange(clocked_rfc, code), 400, "invalid_grant")
    assert_rfc_error(refresh(clocked_rfc, token), 400, "invalid_grant")


# --- the clean edition: client authentication ----------------------------------------


def _b64(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode("ascii")


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        basic((CLIENT[0], "wrong-secret")),
        basic(("no-such-client", "x")),
        basic(SPECIAL, encode=False),
        "Bearer abc",
        _b64(b"no-colon"),
        "Basic !!not*base64!!",
        "Basic",
    ],
    ids=[
        "missing",
        "wrong-secret",
        "unknown-client",
        "special-unencoded",
        "bearer",
        "no-colon",
        "not-base64",
        "bare-basic",
    ],
)
def test_client_auth__every_failure_is_401_invalid_client_with_a_basic_challenge(
    rfc: Api, authorization: str | None
) -> None:
    extra = [] if authorization is None else [("Authorization", authorization)]
    response = post(rfc, {"grant_type": "client_credentials"}, client=None, extra=extra)
    assert_rfc_error(response, 401, "invalid_client")


def test_client_auth__basic_credentials_are_form_urldecoded(rfc: Api) -> None:
    assert_token(cc(rfc, client=SPECIAL))


def test_client_auth__basic_and_body_secret_together_is_invalid_request(rfc: Api) -> None:
    both = {"grant_type": "client_credentials", "client_id": CLIENT[0], "client_secret": CLIENT[1]}
    assert_rfc_error(post(rfc, both), 400, "invalid_request")


def test_client_auth__body_credentials_alone_are_not_a_method_of_this_server(rfc: Api) -> None:
    body_only = {
        "grant_type": "client_credentials",
        "client_id": CLIENT[0],
        "client_secret": CLIENT[1],
    }
    assert_rfc_error(post(rfc, body_only, client=None), 401, "invalid_client")


def test_client_auth__a_body_client_id_must_name_the_authenticated_client(rfc: Api) -> None:
    assert_token(cc(rfc, client_id=CLIENT[0]))  # RFC 6749 4.1.3 lets it be sent
    assert_token(cc(rfc, client_secret=""))  # empty counts as omitted (3.2)
    assert_rfc_error(cc(rfc, client_id=SECOND[0]), 400, "invalid_request")


# --- the clean edition: request errors ------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"grant_type=", b"scope=accounts%3Aread"])
def test_grant_type__missing_or_empty_is_invalid_request(rfc: Api, content: bytes) -> None:
    assert_rfc_error(post(rfc, content=content), 400, "invalid_request")


@pytest.mark.parametrize(
    "grant", ["urn:example:conformance:unsupported-grant", "implicit", "CLIENT_CREDENTIALS"]
)
def test_grant_type__unknown_is_unsupported_grant_type(rfc: Api, grant: str) -> None:
    assert_rfc_error(post(rfc, {"grant_type": grant}), 400, "unsupported_grant_type")


def test_grant__a_client_not_allowed_it_is_unauthorized_client(rfc: Api) -> None:
    assert_rfc_error(password(rfc, client=RESTRICTED), 400, "unauthorized_client")
    assert_token(cc(rfc, client=RESTRICTED))


@pytest.mark.parametrize(
    "content",
    [
        b"grant_type=client_credentials&grant_type=client_credentials",
        b"grant_type=client_credentials&scope=accounts:read&scope=accounts:read",
    ],
)
def test_repeated_parameter__is_invalid_request(rfc: Api, content: bytes) -> None:
    assert_rfc_error(post(rfc, content=content), 400, "invalid_request")


def test_unknown_parameter__is_ignored(rfc: Api) -> None:
    assert_token(cc(rfc, conformance_unrecognized="ignored"))


@pytest.mark.parametrize(
    "form",
    [
        {"grant_type": "authorization_code"},
        {"grant_type": "authorization_code", "code": ""},
        {"grant_type": "refresh_token"},
        {"grant_type": "password", "password": "x"},
        {"grant_type": "password", "username": USER[0]},
    ],
    ids=["no-code", "empty-code", "no-refresh-token", "no-username", "no-password"],
)
def test_missing_field__is_invalid_request(rfc: Api, form: dict[str, str]) -> None:
    assert_rfc_error(post(rfc, form), 400, "invalid_request")


@pytest.mark.parametrize("grant", ["authorization_code", "refresh_token"])
def test_never_issued_code_or_refresh_token__is_invalid_grant(rfc: Api, grant: str) -> None:
    field = "code" if grant == "authorization_code" else "refresh_token"
    assert_rfc_error(post(rfc, {"grant_type": grant, field: "never-issued"}), 400, "invalid_grant")


@pytest.mark.parametrize("user", [(USER[0], "wrong-password"), ("no-such-user", USER[1])])
def test_wrong_resource_owner_credentials__are_invalid_grant(rfc: Api, user: Credentials) -> None:
    assert_rfc_error(password(rfc, user=user), 400, "invalid_grant")


def test_get__issues_no_token(rfc: Api) -> None:
    response = rfc.http.get(
        TOKEN, params={"grant_type": "client_credentials"}, headers=rfc_headers(rfc)
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["error"] not in FIVE_TWO_CODES


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("application/json", b'{"grant_type": "client_credentials"}'),
        ("text/plain", b"grant_type=client_credentials"),
    ],
)
def test_body__not_a_form_is_invalid_request(rfc: Api, content_type: str, content: bytes) -> None:
    assert_rfc_error(post(rfc, content=content, content_type=content_type), 400, "invalid_request")


def test_header__non_printable_is_invalid_request(rfc: Api) -> None:
    response = post(rfc, {"grant_type": "client_credentials"}, extra=[("X-Note", b"a\x01b")])
    assert_rfc_error(response, 400, "invalid_request")


def test_unknown_path__is_a_json_404_with_no_5_2_code(rfc: Api) -> None:
    response = post(rfc, {"grant_type": "client_credentials"}, path="/token")
    assert response.status_code == 404
    assert response.json()["error"] not in FIVE_TWO_CODES
    assert ERROR_TEXT.fullmatch(response.json()["error_description"])


# --- a small judge: the rfc6749 profile's requests and rules, as the brief gives them --

UNKNOWN_SCOPE = "conformance-unknown-scope"
# The profile's Authorization headers without usable client credentials; all but the
# Bearer one are failed Basic authentications.
MALFORMED = {
    "not-basic": "Bearer not-a-client-credential",
    "not-base64": "Basic !!not*base64!!",
    "no-colon": "Basic " + base64.b64encode(b"client-without-colon").decode(),
    "bare-basic": "Basic",
}
EXTRA_SCOPE = "conformance-extra-scope"
_VSCHAR = re.compile(r"[\x20-\x7E]+")
_TYPE_NAME = re.compile(r"[A-Za-z0-9._-]+")
_SCOPE = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*")
_URI_TEXT = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")


@dataclass(frozen=True)
class Ex:
    """One request of the replay and its answer."""

    scenario: str
    label: str
    response: httpx.Response
    grant: str | None = None
    method: str = "POST"

    @property
    def status(self) -> int:
        return self.response.status_code

    def body(self) -> dict[str, Any] | None:
        try:
            value = json.loads(self.response.content)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def error(self) -> object:
        return (self.body() or {}).get("error")

    def token(self) -> bool:
        body = self.body()
        return (
            200 <= self.status < 300
            and body is not None
            and isinstance(body.get("access_token"), str)
            and bool(body["access_token"])
        )

    def refused(self, status: int, error: str) -> bool:
        return not self.token() and self.status == status and self.error() == error

    def media_type(self) -> str:
        value: str = self.response.headers.get("content-type", "")
        return value.split(";")[0].strip().lower()


def replay(api: Api) -> list[Ex]:
    """Every request the rfc6749 profile sends (no scope setting), against `api`."""
    out: list[Ex] = []
    cc_form = {"grant_type": "client_credentials"}
    pw_form = {"grant_type": "password", "username": USER[0], "password": USER[1]}

    def send(scenario: str, label: str, grant: str | None = None, **kw: Any) -> Ex:
        ex = Ex(scenario, label, post(api, **kw), grant)
        out.append(ex)
        return ex

    def refresh_token_of(ex: Ex) -> str | None:
        value = (ex.body() or {}).get("refresh_token")
        return value if isinstance(value, str) and value and ex.status == 200 else None

    for i in range(2):
        send("rfc_cc", f"token-{i}", "client_credentials", form=cc_form)
    send("rfc_password", "token", "password", form=pw_form)
    code_form = {"grant_type": "authorization_code", "code": fresh_code(api)}
    if send("rfc_code_flow", "exchange", "authorization_code", form=code_form).token():
        send("rfc_code_flow", "reuse", "authorization_code", form=code_form)
    old = refresh_token_of(send("rfc_refresh", "password-setup", "password", form=pw_form))
    if old:
        rt_form = {"grant_type": "refresh_token", "refresh_token": old}
        new = refresh_token_of(send("rfc_refresh", "refresh", "refresh_token", form=rt_form))
        if new and new != old:
            send("rfc_refresh", "reuse-old", "refresh_token", form=rt_form)
    setup = send("rfc_refresh_scope", "password-setup", "password", form=pw_form)
    token = refresh_token_of(setup)
    if token:
        granted = (setup.body() or {}).get("scope")
        base = granted if isinstance(granted, str) and granted else ""
        form = {"grant_type": "refresh_token", "refresh_token": token}
        form["scope"] = f"{base} {EXTRA_SCOPE}".strip()
        send("rfc_refresh_scope", "wider-scope", "refresh_token", form=form)
    token = refresh_token_of(
        send("rfc_refresh_foreign", "password-setup", "password", form=pw_form)
    )
    if token:
        form = {"grant_type": "refresh_token", "refresh_token": token}
        send("rfc_refresh_foreign", "other-client", "refresh_token", form=form, client=SECOND)
    never = {"grant_type": "refresh_token", "refresh_token": "never-issued-0123456789abcdef"}
    send("rfc_refresh_unknown", "never-issued", "refresh_token", form=never)
    never = {"grant_type": "authorization_code", "code": "never-issued-0123456789abcdef"}
    send("rfc_code_invalid", "never-issued", "authorization_code", form=never)
    send(
        "rfc_field_missing",
        "no-code",
        "authorization_code",
        form={"grant_type": "authorization_code"},
    )
    send(
        "rfc_field_missing",
        "no-refresh-token",
        "refresh_token",
        form={"grant_type": "refresh_token"},
    )
    send(
        "rfc_field_missing",
        "no-username",
        "password",
        form={"grant_type": "password", "password": "Passw0rd-1"},
    )
    send("rfc_auth_missing", "no-header", "client_credentials", form=cc_form, client=None)
    wrong = (CLIENT[0], "wrong-secret-0123456789abcdef")
    send("rfc_auth_wrong_secret", "wrong-secret", "client_credentials", form=cc_form, client=wrong)
    unknown = ("unknown-client-0123456789abcdef", "secret-0123456789abcdef")
    send("rfc_auth_unknown_client", "unknown", "client_credentials", form=cc_form, client=unknown)
    for label, value in MALFORMED.items():
        extra_auth = [("Authorization", value)]
        send(
            "rfc_auth_malformed",
            label,
            "client_credentials",
            form=cc_form,
            client=None,
            extra=extra_auth,
        )
    both = {**cc_form, "client_id": CLIENT[0], "client_secret": CLIENT[1]}
    send("rfc_two_auth", "basic-and-body", "client_credentials", form=both)
    send("rfc_grant_missing", "omitted", content=b"")
    send("rfc_grant_missing", "empty", form={"grant_type": ""})
    unsupported = {"grant_type": "urn:example:conformance:unsupported-grant"}
    send("rfc_grant_unsupported", "unknown-grant", form=unsupported)
    twice = b"grant_type=client_credentials&grant_type=client_credentials"
    send("rfc_param_repeated", "grant_type-twice", "client_credentials", content=twice)
    extra = {**cc_form, "conformance_unrecognized": "ignored"}
    send("rfc_unknown_param", "unrecognized", "client_credentials", form=extra)
    get = api.http.get(TOKEN, params=cc_form, headers=rfc_headers(api))
    out.append(Ex("rfc_method_get", "GET", get, None, "GET"))
    as_json = json.dumps(cc_form).encode()
    send(
        "rfc_body_json",
        "json",
        "client_credentials",
        content=as_json,
        content_type="application/json",
    )
    send(
        "rfc_scope_unknown",
        "unknown-scope",
        "client_credentials",
        form={**cc_form, "scope": UNKNOWN_SCOPE},
    )
    send("rfc_auth_special", "token", "client_credentials", form=cc_form, client=SPECIAL)
    send("rfc_restricted", "password", "password", form=pw_form, client=RESTRICTED)
    wrong_pw = {**pw_form, "password": "Wrong-Passw0rd-0123456789"}
    send("rfc_password_wrong", "wrong-password", "password", form=wrong_pw)
    # Two of D31's input classes, as the profile's prop_bodies sends them in every run.
    cc_body = urlencode(cc_form).encode()
    send("rfc_bodies", "percent-escape", "client_credentials", content=cc_body + b"&note=%G1")
    padding = b"&x-padding=" + b"a" * (1024 * 1024)
    send("rfc_bodies", "large-body", "client_credentials", content=cc_body + padding)
    return out


def _duplicate_member(ex: Ex) -> bool:
    seen: list[list[str]] = []

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen.append([name for name, _ in pairs])
        return dict(pairs)

    try:
        json.loads(ex.response.content, object_pairs_hook=hook)
    except ValueError:
        return False
    return bool(seen) and len(seen[-1]) != len(set(seen[-1]))  # the top level closes last


def _token_syntax_ok(body: dict[str, Any]) -> bool:
    for name in ("access_token", "refresh_token"):
        if name in body and not (isinstance(body[name], str) and _VSCHAR.fullmatch(body[name])):
            return False
    token_type = body.get("token_type")
    if not isinstance(token_type, str):
        return False
    if not (_TYPE_NAME.fullmatch(token_type) or urlsplit(token_type).scheme):
        return False
    expires_in = body.get("expires_in")
    if "expires_in" in body and not (type(expires_in) is int and expires_in > 0):
        return False
    scope = body.get("scope")
    return "scope" not in body or (isinstance(scope, str) and bool(_SCOPE.fullmatch(scope)))


def _error_text_ok(body: dict[str, Any]) -> bool:
    for name in ("error", "error_description"):
        if name in body and not (isinstance(body[name], str) and ERROR_TEXT.fullmatch(body[name])):
            return False
    uri = body.get("error_uri")
    return "error_uri" not in body or (isinstance(uri, str) and bool(_URI_TEXT.fullmatch(uri)))


def judge(exchanges: list[Ex]) -> set[str]:
    """The MUST and SHOULD requirements the answers break (MAY ones never fail)."""
    by: dict[str, list[Ex]] = {}
    for ex in exchanges:
        by.setdefault(ex.scenario, []).append(ex)

    def one(scenario: str, label: str) -> Ex | None:
        return next((e for e in by.get(scenario, []) if e.label == label), None)

    def ok_token(ex: Ex | None) -> bool:
        return ex is not None and ex.status == 200 and ex.token()

    posts = [e for e in exchanges if e.method == "POST"]
    successes = [e for e in exchanges if e.status == 200]
    holding = [e for e in successes if e.token()]
    not_offered = {"unsupported_grant_type", "unauthorized_client"}
    broken: set[str] = set()

    def rule(requirement: str, holds: bool) -> None:
        if not holds:
            broken.add(requirement)

    rule("RFC-CC-SUCCESS", all(ok_token(e) for e in by["rfc_cc"]))
    rule("RFC-PASSWORD-SUCCESS", ok_token(one("rfc_password", "token")))
    rule("RFC-CODE-SUCCESS", ok_token(one("rfc_code_flow", "exchange")))
    refreshed = one("rfc_refresh", "refresh")
    rule("RFC-REFRESH-SUCCESS", refreshed is None or ok_token(refreshed))
    rule(
        "RFC-SUCCESS-FIELDS",
        all(
            e.media_type() == "application/json"
            and (body := e.body()) is not None
            and all(
                isinstance(body.get(k), str) and body[k] for k in ("access_token", "token_type")
            )
            for e in successes
            if e.method == "POST" and e.grant is not None
        ),
    )
    rule("RFC-TOKEN-SYNTAX", all(_token_syntax_ok(e.body() or {}) for e in successes if e.body()))
    rule("RFC-EXPIRES-IN", all("expires_in" in (e.body() or {}) for e in holding))
    cache_control = [e.response.headers.get("cache-control", "").lower() for e in holding]
    rule("RFC-NO-STORE", all("no-store" in value for value in cache_control))
    pragma = [e.response.headers.get("pragma", "").lower() for e in holding]
    rule("RFC-PRAGMA", all("no-cache" in value for value in pragma))
    rule("RFC-PARAMS-ONCE", not any(_duplicate_member(e) for e in exchanges))
    rule(
        "RFC-CC-NO-REFRESH",
        not any(
            (e.body() or {}).get("refresh_token")
            for e in successes
            if e.grant == "client_credentials"
        ),
    )
    errors = [e for e in posts if e.status in (400, 401)]
    rule(
        "RFC-ERROR-BODY",
        all(
            e.media_type() == "application/json"
            and isinstance(e.error(), str)
            and all(
                isinstance((e.body() or {}).get(k, ""), str)
                for k in ("error_description", "error_uri")
            )
            for e in errors
        ),
    )
    rule(
        "RFC-ERROR-CHARSET",
        all(_error_text_ok(b) for e in exchanges if (b := e.body()) and "error" in b),
    )
    auth_failures = [
        *by["rfc_auth_missing"],
        *by["rfc_auth_wrong_secret"],
        *by["rfc_auth_unknown_client"],
        *by["rfc_auth_malformed"],
    ]
    rule(
        "RFC-ERROR-STATUS",
        all(
            e.status == 400 or (e.status == 401 and e.error() == "invalid_client")
            for e in posts
            if e.error() in FIVE_TWO_CODES
        )
        # invalid_client is known from the request: its status is judged whatever the body
        and all(e.status in (400, 401) for e in auth_failures if not e.token()),
    )
    rule(
        "RFC-INVALID-CLIENT",
        all(
            not e.token() and e.status in (400, 401) and e.error() == "invalid_client"
            for e in auth_failures
        ),
    )
    rule(
        "RFC-INVALID-CLIENT-401",
        all(
            e.status == 401
            and e.response.headers.get("www-authenticate", "").lower().startswith("basic")
            for e in [
                *by["rfc_auth_wrong_secret"],
                *by["rfc_auth_unknown_client"],
                *(e for e in by["rfc_auth_malformed"] if e.label != "not-basic"),
            ]
        ),
    )
    rule(
        "RFC-401-CHALLENGE",
        all("www-authenticate" in e.response.headers for e in exchanges if e.status == 401),
    )
    rule("RFC-BASIC-ENCODING", ok_token(one("rfc_auth_special", "token")))
    rule("RFC-ONE-AUTH-METHOD", by["rfc_two_auth"][0].refused(400, "invalid_request"))
    rule(
        "RFC-GRANT-TYPE-MISSING",
        all(e.refused(400, "invalid_request") for e in by["rfc_grant_missing"]),
    )
    rule(
        "RFC-UNSUPPORTED-GRANT",
        by["rfc_grant_unsupported"][0].refused(400, "unsupported_grant_type"),
    )
    rule("RFC-PARAM-REPEATED", by["rfc_param_repeated"][0].refused(400, "invalid_request"))
    rule(
        "RFC-FIELD-MISSING",
        all(
            e.refused(400, "invalid_request")
            for e in by["rfc_field_missing"]
            if not (e.status == 400 and e.error() in not_offered)
        ),
    )
    rule("RFC-UNKNOWN-PARAM-IGNORED", ok_token(one("rfc_unknown_param", "unrecognized")))
    rule("RFC-POST-ONLY", not by["rfc_method_get"][0].token())
    body_json = by["rfc_body_json"][0]
    rule(
        "RFC-BODY-FORM",
        not body_json.token()
        and (
            (body_json.status == 400 and isinstance(body_json.error(), str))
            or body_json.status == 415
        ),
    )

    def scope_left_out(ex: Ex, refused_with: str, left_out: str) -> bool:
        if ex.refused(400, refused_with):
            return True
        scope = (ex.body() or {}).get("scope")
        return ex.status == 200 and isinstance(scope, str) and left_out not in scope.split(" ")

    rule(
        "RFC-SCOPE-UNKNOWN",
        scope_left_out(by["rfc_scope_unknown"][0], "invalid_scope", UNKNOWN_SCOPE),
    )
    rule(
        "RFC-INVALID-GRANT",
        all(
            e.refused(400, "invalid_grant")
            for e in [*by["rfc_code_invalid"], *by["rfc_refresh_unknown"]]
            if not (e.status == 400 and e.error() in not_offered)
        ),
    )
    rule("RFC-PASSWORD-WRONG", by["rfc_password_wrong"][0].refused(400, "invalid_grant"))
    reuse = one("rfc_code_flow", "reuse")
    rule("RFC-CODE-SINGLE-USE", reuse is None or reuse.refused(400, "invalid_grant"))
    foreign = one("rfc_refresh_foreign", "other-client")
    rule("RFC-REFRESH-CLIENT-BOUND", foreign is None or foreign.refused(400, "invalid_grant"))
    wider = one("rfc_refresh_scope", "wider-scope")
    rule(
        "RFC-REFRESH-SCOPE-NOT-WIDER",
        wider is None or scope_left_out(wider, "invalid_scope", EXTRA_SCOPE),
    )
    rule("RFC-UNAUTHORIZED-CLIENT", by["rfc_restricted"][0].refused(400, "unauthorized_client"))
    rule("RFC-NO-5XX", all(e.status < 500 for e in exchanges))
    # 8.5: extension codes registered for the token endpoint (RFC 8628, 8707, 9396, 9449).
    registered = {"authorization_pending", "slow_down", "access_denied", "expired_token"}
    registered |= {"invalid_target", "invalid_authorization_details"}
    registered |= {"invalid_dpop_proof", "use_dpop_nonce"}
    rule(
        "RFC-ERROR-CODE-KNOWN",
        all(
            e.error() in FIVE_TWO_CODES | registered
            for e in posts
            if e.status in (400, 401) and isinstance(e.error(), str)
        ),
    )
    return broken


def test_judge__the_clean_edition_breaks_no_requirement(rfc: Api) -> None:
    exchanges = replay(rfc)
    assert judge(exchanges) == set()
    # Every conditional request was sent: nothing was judged by its absence.
    labels = {(e.scenario, e.label) for e in exchanges}
    for wanted in [
        ("rfc_code_flow", "reuse"),
        ("rfc_refresh", "reuse-old"),
        ("rfc_refresh_scope", "wider-scope"),
        ("rfc_refresh_foreign", "other-client"),
    ]:
        assert wanted in labels


@pytest.mark.parametrize("name", RFC_FAULTS)
def test_judge__each_fault_breaks_exactly_its_rfc6749_requirement(
    faulty: dict[str, Api], name: str
) -> None:
    assert judge(replay(faulty[name])) == {FAULTS[name].rfc6749}


@pytest.mark.parametrize("name", UNMAPPED_FAULTS)
def test_judge__an_unmapped_fault_does_not_break_exactly_one_requirement(
    faulty: dict[str, Api], name: str
) -> None:
    assert len(judge(replay(faulty[name]))) != 1


# --- each fault's breakage, next to the clean behaviour -------------------------------

Probe = Callable[[Api], object]


def _status_error(response: httpx.Response) -> tuple[int, object]:
    try:
        error = response.json().get("error")
    except ValueError:
        error = None
    return response.status_code, error


def _spent_refresh(api: Api) -> tuple[int, object]:
    old = login(api)["refresh_token"]
    refresh(api, old)
    return _status_error(refresh(api, old))


def _code_reuse(api: Api) -> tuple[int, object]:
    code = fresh_code(api)
    exchange(api, code)
    return _status_error(exchange(api, code))


def _wider_refresh(api: Api) -> object:
    token = login(api)["refresh_token"]
    response = refresh(api, token, scope=f"{CLIENT_SCOPE} {EXTRA_SCOPE}")
    return response.json().get("scope", response.json().get("error"))


def _duplicate(api: Api) -> list[str]:
    names: list[str] = []
    json.loads(cc(api).content, object_pairs_hook=lambda pairs: names.extend(n for n, _ in pairs))
    return sorted(names)


JSON = "application/json"
_CC = {"grant_type": "client_credentials"}
_BOTH = {**_CC, "client_id": CLIENT[0], "client_secret": CLIENT[1]}
_WRONG_SECRET: Credentials = (CLIENT[0], "wrong")
_BAD = ("Bearer abc", "Basic")  # another scheme; Basic without credentials


def _challenged(response: httpx.Response) -> tuple[int, object, str | None]:
    return (*_status_error(response), response.headers.get("www-authenticate"))


def _with_header(api: Api, authorization: str) -> httpx.Response:
    return post(api, _CC, client=None, extra=[("Authorization", authorization)])


# fault -> (probe, what the clean edition shows, what the faulted one shows)
PROBES: dict[str, tuple[Probe, object, object]] = {
    "basic-not-urldecoded": (
        lambda api: _status_error(cc(api, client=SPECIAL)),
        (200, None),
        (401, "invalid_client"),
    ),
    "grant-missing-defaults": (
        lambda api: _status_error(post(api, {"grant_type": ""})),
        (400, "invalid_request"),
        (200, None),
    ),
    "json-body-accepted": (
        lambda api: _status_error(
            post(api, content=json.dumps(_CC).encode(), content_type="application/json")
        ),
        (400, "invalid_request"),
        (200, None),
    ),
    "get-issues-token": (
        lambda api: api.http.get(TOKEN, params=_CC, headers=rfc_headers(api)).status_code,
        405,
        200,
    ),
    "code-field-optional": (
        lambda api: _status_error(post(api, {"grant_type": "authorization_code"})),
        (400, "invalid_request"),
        (200, None),
    ),
    "refresh-field-optional": (
        lambda api: _status_error(post(api, {"grant_type": "refresh_token"})),
        (400, "invalid_request"),
        (200, None),
    ),
    "password-grant-broken": (
        lambda api: _status_error(password(api)),
        (200, None),
        (403, "access_denied"),
    ),
    "code-exchange-broken": (
        lambda api: _status_error(exchange(api, fresh_code(api))),
        (200, None),
        (400, "invalid_grant"),
    ),
    "refresh-grant-broken": (
        lambda api: _status_error(refresh(api, login(api)["refresh_token"])),
        (200, None),
        (400, "invalid_grant"),
    ),
    "expires-in-suffixed": (lambda api: cc(api).json()["expires_in"], 3600, "3600s"),
    "refresh-token-null": (lambda api: "refresh_token" in cc(api).json(), False, True),
    "client-credentials-refresh-token": (
        lambda api: "refresh_token" in cc(api).json(),
        False,
        True,
    ),
    "no-cache-control": (lambda api: cc(api).headers.get("cache-control"), "no-store", None),
    "token-content-type-text": (
        lambda api: cc(api).headers["content-type"],
        "application/json",
        "text/plain; charset=utf-8",
    ),
    "password-not-checked": (
        lambda api: _status_error(password(api, user=(USER[0], "wrong"))),
        (400, "invalid_grant"),
        (200, None),
    ),
    "unknown-refresh-accepted": (
        lambda api: _status_error(refresh(api, "never-issued")),
        (400, "invalid_grant"),
        (200, None),
    ),
    "refresh-not-bound-to-client": (
        lambda api: _status_error(refresh(api, login(api)["refresh_token"], client=SECOND)),
        (400, "invalid_grant"),
        (200, None),
    ),
    "code-reusable": (_code_reuse, (400, "invalid_grant"), (200, None)),
    "invalid-code-accepted": (
        lambda api: _status_error(exchange(api, "never-issued")),
        (400, "invalid_grant"),
        (200, None),
    ),
    "grant-restrictions-ignored": (
        lambda api: _status_error(password(api, client=RESTRICTED)),
        (400, "unauthorized_client"),
        (200, None),
    ),
    "grant-forbidden-401": (
        lambda api: _status_error(password(api, client=RESTRICTED)),
        (400, "unauthorized_client"),
        (401, "invalid_client"),
    ),
    "rfc-cc-broken": (
        lambda api: [
            _status_error(cc(api)),
            _status_error(cc(api, scope="accounts:read")),
            _status_error(cc(api, note="x")),
            _status_error(cc(api, client=SPECIAL)),
        ],
        [(200, None)] * 4,
        [(400, "unauthorized_client"), (400, "unauthorized_client"), (200, None), (200, None)],
    ),
    "rfc-no-pragma": (lambda api: cc(api).headers.get("pragma"), "no-cache", None),
    "rfc-duplicate-json-member": (
        _duplicate,
        ["access_token", "expires_in", "scope", "token_type"],
        ["access_token", "expires_in", "scope", "token_type", "token_type"],
    ),
    "rfc-no-expires-in": (lambda api: "expires_in" in password(api).json(), True, False),
    "rfc-invalid-client-text-plain": (
        lambda api: [
            cc(api, client=_WRONG_SECRET).headers["content-type"],
            post(api, {"grant_type": ""}).headers["content-type"],
        ],
        ["application/json", "application/json"],
        ["text/plain; charset=utf-8", "application/json"],
    ),
    "percent-escape-500": (
        lambda api: post(api, content=b"grant_type=client_credentials&note=%G1").status_code,
        400,
        500,
    ),
    "large-body-500": (
        lambda api: (
            post(api, content=b"grant_type=client_credentials&pad=" + b"a" * 65 * 1024).status_code
        ),
        400,
        500,
    ),
    "rfc-own-error-code": (
        lambda api: [
            post(api, content=b'{"grant_type": "client_credentials"}', content_type=JSON).json()[
                "error"
            ],
            post(api, {"grant_type": ""}).json()["error"],
        ],
        ["invalid_request", "invalid_request"],
        ["unsupported_content_type", "invalid_request"],
    ),
    "rfc-error-description-non-ascii": (
        lambda api: post(api, {"grant_type": ""}).json()["error_description"].isascii(),
        True,
        False,
    ),
    "rfc-spent-refresh-401": (
        lambda api: [
            _spent_refresh(api),
            _status_error(refresh(api, "never-issued")),
            _status_error(refresh(api, login(api)["refresh_token"], client=SECOND)),
        ],
        [(400, "invalid_grant")] * 3,
        [(401, "invalid_grant"), (400, "invalid_grant"), (400, "invalid_grant")],
    ),
    "rfc-no-auth-invalid-request": (
        lambda api: _status_error(cc(api, client=None)),
        (401, "invalid_client"),
        (400, "invalid_request"),
    ),
    "rfc-invalid-client-400": (
        lambda api: [
            (*_status_error(r), r.headers.get("www-authenticate"))
            for r in (
                cc(api, client=_WRONG_SECRET),
                cc(api, client=("nobody", "x")),
                cc(api, client=None),
            )
        ],
        [(401, "invalid_client", CHALLENGE)] * 3,
        [
            (400, "invalid_client", None),
            (400, "invalid_client", None),
            (401, "invalid_client", CHALLENGE),
        ],
    ),
    "auth-malformed-400": (
        lambda api: [_challenged(_with_header(api, value)) for value in _BAD],
        [(401, "invalid_client", CHALLENGE)] * 2,
        [(400, "invalid_client", None)] * 2,
    ),
    "rfc-malformed-basic-400": (
        lambda api: [
            _challenged(r)
            for r in (
                *(_with_header(api, value) for value in _BAD),
                cc(api, client=_WRONG_SECRET),
            )
        ],
        [(401, "invalid_client", CHALLENGE)] * 3,
        [(401, "invalid_client", CHALLENGE), (400, "invalid_client", None)]
        + [(401, "invalid_client", CHALLENGE)],
    ),
    "rfc-no-auth-401-without-challenge": (
        lambda api: [
            (*_status_error(r), r.headers.get("www-authenticate"))
            for r in (cc(api, client=None), cc(api, client=_WRONG_SECRET))
        ],
        [(401, "invalid_client", CHALLENGE)] * 2,
        [(401, "invalid_client", None), (401, "invalid_client", CHALLENGE)],
    ),
    "rfc-two-auth-accepted": (
        lambda api: _status_error(post(api, _BOTH)),
        (400, "invalid_request"),
        (200, None),
    ),
    "rfc-unsupported-grant-invalid-request": (
        lambda api: _status_error(post(api, {"grant_type": "implicit"})),
        (400, "unsupported_grant_type"),
        (400, "invalid_request"),
    ),
    "rfc-repeated-param-first-wins": (
        lambda api: _status_error(post(api, content=b"grant_type=client_credentials&grant_type=x")),
        (400, "invalid_request"),
        (200, None),
    ),
    "rfc-unknown-param-rejected": (
        lambda api: _status_error(cc(api, conformance_unrecognized="ignored")),
        (200, None),
        (400, "invalid_request"),
    ),
    "rfc-unknown-scope-dropped": (
        lambda api: [
            (lambda r: (r.status_code, r.json().get("scope", r.json().get("error"))))(
                cc(api, scope=scope)
            )
            for scope in ("accounts:read admin", "accounts:read")
        ],
        [(400, "invalid_scope"), (200, "accounts:read")],
        [(200, None), (200, "accounts:read")],
    ),
    "rfc-refresh-scope-widened": (
        _wider_refresh,
        "invalid_scope",
        "accounts:read conformance-extra-scope transactions:read",
    ),
}


def test_probes__every_fault_with_an_rfc6749_requirement_has_one() -> None:
    assert set(PROBES) == set(RFC_FAULTS)


@pytest.mark.parametrize("name", RFC_FAULTS)
def test_fault__shows_its_breakage_and_the_clean_edition_does_not(
    rfc: Api, faulty: dict[str, Api], name: str
) -> None:
    probe, clean, faulted = PROBES[name]
    assert probe(rfc) == clean
    assert probe(faulty[name]) == faulted
