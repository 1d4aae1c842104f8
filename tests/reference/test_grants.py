"""The four grants' success shapes and their request rules (D5-D9, D12, D13, D18, D19)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conformance.reference import Accounts, ReferenceServer, default_accounts
from conformance.reference.accounts import Client, Institution, User

from .helpers import (
    CLIENT,
    RESTRICTED,
    SECOND,
    SPECIAL,
    TOKEN,
    USER,
    Api,
    assert_cmn_error,
)

ACCESS_LIFETIME = {"1.3.1": 3600, "1.11.0": 86400}
REFRESH_LIFETIME = 15551999


def _seconds(api: Api, value: int) -> int | str:
    """D6 as each edition documents it: 1.3.1 integers, 1.11.0 digit strings."""
    return value if api.edition == "1.3.1" else str(value)


def _assert_success(api: Api, response: httpx.Response, keys: set[str]) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"  # D9
    assert response.headers["pragma"] == "no-cache"
    body: dict[str, Any] = response.json()
    assert set(body) == keys
    assert body["token_type"] == "Bearer"  # D7
    assert body["expires_in"] == _seconds(api, ACCESS_LIFETIME[api.edition])  # D6
    if "refresh_token_expires_in" in body:
        assert body["refresh_token_expires_in"] == _seconds(api, REFRESH_LIFETIME)
    assert all(
        isinstance(body[k], str) and body[k] for k in keys & {"access_token", "refresh_token"}
    )
    return body


CC_KEYS = {"access_token", "token_type", "expires_in"}
PASSWORD_KEYS = CC_KEYS | {"refresh_token", "refresh_token_expires_in"}


def test_client_credentials__returns_an_access_token_and_no_refresh_token(api: Api) -> None:
    _assert_success(api, api.token("client_credentials"), CC_KEYS)


@pytest.mark.parametrize(
    "scopes",
    ["accounts:read", "accounts:read,transactions:read", " accounts:read , transactions:read ", ""],
)
def test_client_credentials__the_clients_scopes_are_accepted(api_131: Api, scopes: str) -> None:
    _assert_success(api_131, api_131.token("client_credentials", scopes=scopes), CC_KEYS)


@pytest.mark.parametrize(
    "scopes", ["admin", "accounts:read,admin", "accounts:read,,transactions:read"]
)
def test_client_credentials__other_scopes_are_400_cmn_90012(api: Api, scopes: str) -> None:
    assert_cmn_error(api.token("client_credentials", scopes=scopes), 400, "CMN_90012")


def test_client_credentials__restricted_client_may_use_it(api_131: Api) -> None:
    _assert_success(api_131, api_131.token("client_credentials", client=RESTRICTED), CC_KEYS)


def test_password__returns_access_and_refresh_tokens(api: Api) -> None:
    _assert_success(api, api.password_grant(), PASSWORD_KEYS)


def test_password__scopes_are_checked(api_131: Api) -> None:
    _assert_success(api_131, api_131.password_grant(scopes="transactions:read"), PASSWORD_KEYS)
    assert_cmn_error(api_131.password_grant(scopes="admin"), 400, "CMN_90012")


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"password": USER[1]}, "CMN_90013"),
        ({"username": "", "password": USER[1]}, "CMN_90013"),
        ({"username": USER[0]}, "CMN_90014"),
        ({"username": USER[0], "password": ""}, "CMN_90014"),
    ],
    ids=["no-username", "empty-username", "no-password", "empty-password"],
)
def test_password__missing_fields_are_400(api: Api, form: dict[str, str], code: str) -> None:
    assert_cmn_error(api.send(TOKEN, form={"grant_type": "password", **form}), 400, code)


@pytest.mark.parametrize(
    "user",
    [(USER[0], "wrong-password"), ("no-such-user", USER[1]), (USER[0], USER[1].lower())],
    ids=["wrong-password", "unknown-user", "case-changed-password"],
)
def test_password__wrong_user_credentials_are_401_cmn_90015(
    api: Api, user: tuple[str, str]
) -> None:
    assert_cmn_error(api.password_grant(user=user), 401, "CMN_90015")


def test_password__restricted_client_is_403_cmn_90006(api: Api) -> None:
    assert_cmn_error(api.password_grant(client=RESTRICTED), 403, "CMN_90006")


@pytest.mark.parametrize("grant", ["client_credentials", "password"])
def test_institution__missing_is_400_cmn_90005(api: Api, grant: str) -> None:
    if grant == "password":
        response = api.password_grant(institution=None)
    else:
        response = api.token(grant, institution=None)
    assert_cmn_error(response, 400, "CMN_90005")


@pytest.mark.parametrize("grant", ["client_credentials", "password"])
def test_institution__one_the_client_does_not_belong_to_is_403_cmn_90006(
    api: Api, grant: str
) -> None:
    # D26: the client authenticated; 00023 exists in the default accounts, without clients
    if grant == "password":
        response = api.password_grant(institution="00023")
    else:
        response = api.token(grant, institution="00023")
    assert_cmn_error(response, 403, "CMN_90006")


@pytest.mark.parametrize("value", ["abc", "16a", "99999", "-0016", "00 16"])
def test_institution__invalid_or_unknown_is_400_cmn_90005(api: Api, value: str) -> None:
    assert_cmn_error(api.token("client_credentials", institution=value), 400, "CMN_90005")


def test_institution__optional_for_code_and_refresh_grants(api_131: Api) -> None:
    refresh_token = api_131.password_tokens()["refresh_token"]
    assert api_131.refresh(refresh_token).status_code == 200  # sent without institutionId
    assert api_131.exchange(api_131.code()).status_code == 200


def test_institution__when_present_for_refresh_it_must_be_valid(api_131: Api) -> None:
    refresh_token = api_131.password_tokens()["refresh_token"]
    response = api_131.token("refresh_token", institution="x", refresh_token=refresh_token)
    assert_cmn_error(response, 400, "CMN_90005")


@pytest.fixture(scope="module")
def two_institutions_api() -> Iterator[Api]:
    """A server with a second institution, its own client and its own user."""
    base = default_accounts()
    scopes = frozenset({"accounts:read"})
    accounts = Accounts(
        institutions=(*base.institutions, Institution("00017")),
        clients=(
            *base.clients,
            Client("other-bank-client", "other-secret", "00017", frozenset({"password"}), scopes),
        ),
        users=(*base.users, User("other-bank-user", "Other-Passw0rd!", "00017")),
    )
    with ReferenceServer(accounts=accounts) as server:
        api = Api(server)
        yield api
        api.close()


def test_institution__another_clients_institution_is_403_cmn_90006(
    two_institutions_api: Api,
) -> None:
    response = two_institutions_api.token("client_credentials", institution="00017")
    assert_cmn_error(response, 403, "CMN_90006")


def test_password__a_user_of_another_institution_is_401_cmn_90015(
    two_institutions_api: Api,
) -> None:
    response = two_institutions_api.password_grant(user=("other-bank-user", "Other-Passw0rd!"))
    assert_cmn_error(response, 401, "CMN_90015")


@pytest.mark.parametrize("grant_type", [None, ""])
def test_grant_type__missing_is_400_cmn_90007(api: Api, grant_type: str | None) -> None:
    response = api.token(None) if grant_type is None else api.token(grant_type)
    assert_cmn_error(response, 400, "CMN_90007")


@pytest.mark.parametrize(
    "grant_type",
    [
        "implicit",
        "CLIENT_CREDENTIALS",
        "client_credentials ",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
    ],
)
def test_grant_type__unsupported_is_400_cmn_90007(api: Api, grant_type: str) -> None:
    assert_cmn_error(api.token(grant_type), 400, "CMN_90007")


def test_tokens__never_repeat(api_131: Api) -> None:
    tokens = [api_131.token("client_credentials").json()["access_token"] for _ in range(10)]
    tokens += [
        api_131.token("client_credentials", client=SECOND).json()["access_token"] for _ in range(5)
    ]
    body = api_131.password_tokens()
    tokens += [body["access_token"], body["refresh_token"]]
    assert len(set(tokens)) == len(tokens)  # D19


def test_responses__never_contain_secrets_or_passwords(api: Api) -> None:
    code = api.code(scope="offline_access")
    responses = [
        api.token("client_credentials"),
        api.token("client_credentials", client=SPECIAL),
        api.password_grant(),
        api.password_grant(user=(USER[0], "wrong")),
        api.token("client_credentials", client=(CLIENT[0], "wrong")),
        api.exchange(code),
        api.token("password", username=USER[0]),
    ]
    secrets = ["reference-secret-1", "sécret", "Reference-Passw0rd!", "Passw0rd"]
    for response in responses:
        text = response.text + str(response.headers)
        assert not any(secret in text for secret in secrets)  # D18
