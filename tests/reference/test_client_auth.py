"""Client authentication: HTTP Basic, form-urlencoded halves, 401 for every failure (D10, D11)."""

from __future__ import annotations

import base64
from urllib.parse import quote

import httpx
import pytest

from .helpers import CLIENT, SPECIAL, TOKEN, Api, HeaderList, assert_cmn_error, basic


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _with_authorization(api: Api, *values: str) -> HeaderList:
    return api.headers(None, extra=[("Authorization", value) for value in values])


def _assert_client_auth_failed(response: httpx.Response) -> None:
    assert_cmn_error(response, 401, "CMN_90004")
    assert response.headers["WWW-Authenticate"] == 'Basic realm="token"'


def test_client_auth__missing_authorization_is_401_with_a_basic_challenge(api: Api) -> None:
    _assert_client_auth_failed(api.token("client_credentials", client=None))


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer abc.def.ghi",
        "Digest username=conformance-client",
        "Basic",
        "Basic " + _b64(b":"),  # empty id and secret
        "Basic !!!not-base64!!!",
        "Basic " + _b64(b"conformance-client:reference-secret-1")[:-2],  # bad padding
        "Basic " + _b64(b"no-colon-anywhere"),
        "Basic " + _b64(b"conformance-client:\xff\xfe"),  # not UTF-8
        "Basic " + _b64(b"conformance-client:reference%zzsecret"),  # bad percent-encoding
        "Basic " + _b64(b"conformance-client:reference%FFsecret"),  # escape to invalid UTF-8
        basic(CLIENT) + "x",
    ],
)
def test_client_auth__malformed_credentials_are_401_never_400(api: Api, authorization: str) -> None:
    response = api.send(
        TOKEN,
        headers=_with_authorization(api, authorization),
        form={"grant_type": "client_credentials"},
    )
    _assert_client_auth_failed(response)


def test_client_auth__two_authorization_headers_are_401(api_131: Api) -> None:
    headers = _with_authorization(api_131, basic(CLIENT), basic(CLIENT))
    response = api_131.send(TOKEN, headers=headers, form={"grant_type": "client_credentials"})
    _assert_client_auth_failed(response)


def test_client_auth__unknown_client_is_401(api: Api) -> None:
    response = api.token("client_credentials", client=("no-such-client", "reference-secret-1"))
    _assert_client_auth_failed(response)


def test_client_auth__wrong_secret_is_401(api: Api) -> None:
    response = api.token("client_credentials", client=("conformance-client", "wrong-secret"))
    _assert_client_auth_failed(response)


def test_client_auth__another_clients_secret_is_401(api_131: Api) -> None:
    response = api_131.token(
        "client_credentials", client=("conformance-client", "reference-secret-2")
    )
    _assert_client_auth_failed(response)


@pytest.mark.parametrize("scheme", ["basic", "BASIC", "bAsIc"])
def test_client_auth__scheme_is_case_insensitive(api_131: Api, scheme: str) -> None:
    authorization = scheme + basic(CLIENT).removeprefix("Basic")
    response = api_131.send(
        TOKEN,
        headers=_with_authorization(api_131, authorization),
        form={"grant_type": "client_credentials"},
    )
    assert response.status_code == 200


def test_client_auth__special_characters_work_when_form_urlencoded(api: Api) -> None:
    response = api.token("client_credentials", client=SPECIAL)
    assert response.status_code == 200, response.text


def test_client_auth__space_may_be_encoded_as_percent_20(api_131: Api) -> None:
    # Form-urldecoding takes both "+" and "%20" for a space.
    raw = f"{quote(SPECIAL[0], safe='')}:{quote(SPECIAL[1], safe='')}".encode()
    response = api_131.send(
        TOKEN,
        headers=_with_authorization(api_131, "Basic " + _b64(raw)),
        form={"grant_type": "client_credentials"},
    )
    assert response.status_code == 200, response.text


def test_client_auth__special_characters_sent_without_urlencoding_are_401(api: Api) -> None:
    authorization = basic(SPECIAL, encode=False)
    response = api.send(
        TOKEN,
        headers=_with_authorization(api, authorization),
        form={"grant_type": "client_credentials"},
    )
    _assert_client_auth_failed(response)


def test_client_auth__is_checked_before_the_body(api_131: Api) -> None:
    headers = api_131.headers(None)
    response = api_131.send(TOKEN, headers=headers, content=b"{}", content_type="application/json")
    _assert_client_auth_failed(response)


def test_client_auth__error_never_contains_the_secret(api: Api) -> None:
    response = api.token("client_credentials", client=("conformance-client", "wrong-secret"))
    assert "secret" not in response.text.lower()
    assert "reference-secret-1" not in str(response.headers)
