"""Codes, refresh tokens and revocation over time (D14, D21, D22; RFC 7009)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from .conftest import FakeClock
from .helpers import (
    AUTHORIZE,
    CLIENT,
    RESTRICTED,
    REVOKE,
    SECOND,
    Api,
    assert_cmn_error,
    assert_invalid_token,
    is_uuid,
    new_txid,
)

ACCESS_LIFETIME = {"1.3.1": 3600, "1.11.0": 86400}


def _b64url_json(segment: str) -> dict[str, Any]:
    return dict(json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))))


def _store_of(api: Api) -> Any:
    return api.server.app.state.reference.store


# --- the reference-only authorize route ---------------------------------------------


def test_authorize__returns_a_code_with_no_store(api: Api) -> None:
    txid = new_txid()
    headers = api.headers(txid=txid, institution=None)
    response = api.send(
        AUTHORIZE,
        headers=headers,
        form={"username": "reference-user", "password": "Reference-Passw0rd!"},
    )
    assert response.status_code == 200
    assert set(response.json()) == {"code"}
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["transactionId"] == txid


@pytest.mark.parametrize(
    ("form", "status", "code"),
    [
        ({"password": "Reference-Passw0rd!"}, 400, "CMN_90013"),
        ({"username": "reference-user"}, 400, "CMN_90014"),
        ({"username": "reference-user", "password": "wrong"}, 401, "CMN_90015"),
        (
            {"username": "reference-user", "password": "Reference-Passw0rd!", "scope": "admin"},
            400,
            "CMN_90012",
        ),
    ],
    ids=["no-username", "no-password", "wrong-password", "unknown-scope"],
)
def test_authorize__rejects_bad_user_input(
    api_131: Api, form: dict[str, str], status: int, code: str
) -> None:
    response = api_131.send(AUTHORIZE, headers=api_131.headers(institution=None), form=form)
    assert_cmn_error(response, status, code)


def test_authorize__requires_client_authentication(api_131: Api) -> None:
    response = api_131.send(AUTHORIZE, headers=api_131.headers(None), form={})
    assert_cmn_error(response, 401, "CMN_90004")


def test_authorize__client_without_the_code_grant_is_403(api_131: Api) -> None:
    assert_cmn_error(api_131.authorize(RESTRICTED), 403, "CMN_90006")


# --- authorization_code grant --------------------------------------------------------


def test_code_exchange__returns_an_id_token_and_no_refresh_without_offline_access(api: Api) -> None:
    response = api.exchange(api.code(scope="openid profile"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "id_token"}
    assert body["token_type"] == "Bearer"
    assert response.headers["cache-control"] == "no-store"


def test_code_exchange__offline_access_adds_a_refresh_token(api: Api) -> None:
    body = api.exchange(api.code(scope="openid,offline_access")).json()
    assert {"refresh_token", "refresh_token_expires_in", "id_token"} <= set(body)
    assert api.refresh(body["refresh_token"]).status_code == 200


def test_code_exchange__id_token_is_a_signed_jwt_for_the_client(api_131: Api) -> None:
    id_token = api_131.exchange(api_131.code()).json()["id_token"]
    header, payload, signature = id_token.split(".")
    assert _b64url_json(header) == {"alg": "HS256", "typ": "JWT"}
    claims = _b64url_json(payload)
    assert claims["sub"] == "reference-user"
    assert claims["aud"] == CLIENT[0]
    assert claims["iss"].startswith("https://")
    assert claims["exp"] - claims["iat"] == ACCESS_LIFETIME["1.3.1"]
    key = api_131.server.app.state.reference.signing_key
    expected = hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64encode(expected).rstrip(b"=").decode() == signature


def test_code_exchange__a_code_works_once(api: Api) -> None:
    code = api.code()
    assert api.exchange(code).status_code == 200
    assert_invalid_token(api, api.exchange(code))  # D21


def test_code_exchange__unknown_code_is_an_invalid_token(api: Api) -> None:
    assert_invalid_token(api, api.exchange("never-issued-code"))


def test_code_exchange__missing_code_is_400_cmn_90011(api: Api) -> None:
    response = api.token("authorization_code", institution=None)
    assert_cmn_error(response, 400, "CMN_90011")


def test_code_exchange__another_clients_code_is_refused_and_not_spent(api: Api) -> None:
    code = api.code(SECOND)
    assert_invalid_token(api, api.exchange(code, CLIENT))
    assert api.exchange(code, SECOND).status_code == 200


def test_code_exchange__concurrent_exchanges_succeed_once(api_131: Api) -> None:
    code = api_131.code()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: api_131.exchange(code).status_code, range(8)))
    assert statuses.count(200) == 1


# --- refresh_token grant -------------------------------------------------------------


def test_refresh__returns_new_access_and_refresh_tokens(api: Api) -> None:
    old = api.password_tokens()
    response = api.refresh(old["refresh_token"])
    assert response.status_code == 200, response.text
    body = response.json()
    keys = {"access_token", "token_type", "expires_in", "refresh_token", "refresh_token_expires_in"}
    assert set(body) == keys
    assert body["access_token"] != old["access_token"]
    assert body["refresh_token"] != old["refresh_token"]


def test_refresh_token__rotated_token_is_rejected(api: Api) -> None:
    old = api.password_tokens()["refresh_token"]
    new = api.refresh(old).json()["refresh_token"]
    assert_invalid_token(api, api.refresh(old))  # D14
    assert api.refresh(new).status_code == 200


def test_refresh_token__concurrent_refreshes_succeed_once(api_131: Api) -> None:
    refresh_token = api_131.password_tokens()["refresh_token"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: api_131.refresh(refresh_token).status_code, range(8)))
    assert statuses.count(200) == 1


def test_refresh_token__unknown_token_is_rejected(api: Api) -> None:
    assert_invalid_token(api, api.refresh("never-issued-refresh-token"))


def test_refresh_token__another_clients_token_is_rejected_and_stays_valid(api: Api) -> None:
    theirs = api.password_tokens(SECOND)["refresh_token"]
    assert_invalid_token(api, api.refresh(theirs, CLIENT))  # D14
    assert api.refresh(theirs, SECOND).status_code == 200


def test_refresh_token__missing_is_400_cmn_90011(api: Api) -> None:
    assert_cmn_error(api.token("refresh_token", institution=None), 400, "CMN_90011")


def test_refresh_token__revoked_token_is_rejected(api: Api) -> None:
    refresh_token = api.password_tokens()["refresh_token"]
    assert api.revoke(refresh_token).status_code == 204
    assert_invalid_token(api, api.refresh(refresh_token))  # D22


# --- revocation ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["DELETE", "POST"])
def test_revoke__answers_204_with_no_body(api: Api, method: str) -> None:
    txid = new_txid()
    token = api.token("client_credentials").json()["access_token"]
    headers = api.headers(txid=txid, institution=None)
    response = api.send(REVOKE, method=method, headers=headers, form={"token": token})
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["transactionId"] == txid
    assert response.headers["cache-control"] == "no-store"
    assert not _store_of(api).access_token_valid(token)


def test_revoke__unknown_token_answers_204(api: Api) -> None:
    assert api.revoke("never-issued-token").status_code == 204


def test_revoke__another_clients_token_is_403_and_stays_valid(api: Api) -> None:
    theirs = api.password_tokens(SECOND)["refresh_token"]
    assert_cmn_error(api.revoke(theirs, CLIENT), 403, "CMN_90006")
    assert api.refresh(theirs, SECOND).status_code == 200


def test_revoke__refresh_token_revocation_ends_the_access_tokens_issued_from_it(
    api_131: Api,
) -> None:
    first = api_131.password_tokens()
    second = api_131.refresh(first["refresh_token"]).json()
    store = _store_of(api_131)
    assert store.access_token_valid(first["access_token"])
    assert api_131.revoke(second["refresh_token"]).status_code == 204
    assert not store.access_token_valid(first["access_token"])
    assert not store.access_token_valid(second["access_token"])


def test_revoke__access_token_revocation_leaves_the_refresh_token(api_131: Api) -> None:
    tokens = api_131.password_tokens()
    assert api_131.revoke(tokens["access_token"]).status_code == 204
    assert not _store_of(api_131).access_token_valid(tokens["access_token"])
    assert api_131.refresh(tokens["refresh_token"]).status_code == 200


def test_revoke__missing_token_is_400_cmn_90011(api: Api) -> None:
    response = api.send(REVOKE, method="DELETE", headers=api.headers(institution=None), form={})
    assert_cmn_error(response, 400, "CMN_90011")


def test_revoke__requires_client_authentication_and_a_form_body(api_131: Api) -> None:
    response = api_131.send(
        REVOKE, method="DELETE", headers=api_131.headers(None), form={"token": "x"}
    )
    assert_cmn_error(response, 401, "CMN_90004")
    response = api_131.send(
        REVOKE, method="DELETE", content=b'{"token": "x"}', content_type="application/json"
    )
    assert_cmn_error(response, 400, "CMN_90011")
    response = api_131.send(
        REVOKE, method="DELETE", headers=api_131.headers(txid=None), form={"token": "x"}
    )
    assert_cmn_error(response, 400, "CMN_90008")


# --- expiry, with a clock the test moves ---------------------------------------------


def test_expiry__code_expires_after_60_seconds(clocked_api: Api, clock: FakeClock) -> None:
    code = clocked_api.code()
    clock.advance(61)
    assert_invalid_token(clocked_api, clocked_api.exchange(code))


def test_expiry__refresh_token_expires(clocked_api: Api, clock: FakeClock) -> None:
    refresh_token = clocked_api.password_tokens()["refresh_token"]
    clock.advance(15551998)
    fresh = clocked_api.refresh(refresh_token)
    assert fresh.status_code == 200
    clock.advance(15552000)
    assert_invalid_token(clocked_api, clocked_api.refresh(fresh.json()["refresh_token"]))


def test_expiry__access_token_expires(clocked_api: Api, clock: FakeClock) -> None:
    token = clocked_api.token("client_credentials").json()["access_token"]
    store = _store_of(clocked_api)
    clock.advance(ACCESS_LIFETIME[clocked_api.edition] - 1)
    assert store.access_token_valid(token)
    clock.advance(2)
    assert not store.access_token_valid(token)
    # An expired token is unknown to revocation: 204 (RFC 7009 2.2).
    response = clocked_api.revoke(token)
    assert response.status_code == 204
    assert is_uuid(response.headers["transactionId"])
