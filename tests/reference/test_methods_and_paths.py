"""Routes: only POST issues tokens; other methods 405, other paths 404 (D16, D17, D20)."""

from __future__ import annotations

import pytest

from .helpers import AUTHORIZE, REVOKE, TOKEN, Api, assert_cmn_error, is_uuid


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_token_path__other_methods_are_405_with_allow(api: Api, method: str) -> None:
    response = api.send(TOKEN, method=method, form={"grant_type": "client_credentials"})
    assert_cmn_error(response, 405, "CMN_90011")
    assert response.headers["allow"] == "POST"


def test_token_path__head_is_405_without_a_body(api_131: Api) -> None:
    response = api_131.http.head(TOKEN)
    assert response.status_code == 405
    assert response.content == b""
    assert is_uuid(response.headers["transactionId"])


def test_token_path__get_with_query_parameters_issues_no_token(api: Api) -> None:
    params = {"grant_type": "client_credentials"}
    response = api.http.get(TOKEN, params=params, headers=api.headers())
    assert_cmn_error(response, 405)  # D16


@pytest.mark.parametrize(("path", "allowed"), [(REVOKE, {"DELETE", "POST"}), (AUTHORIZE, {"POST"})])
def test_other_routes__wrong_method_is_405_with_allow(
    api_131: Api, path: str, allowed: set[str]
) -> None:
    response = api_131.send(path, method="PUT", form={"token": "x"})
    assert_cmn_error(response, 405, "CMN_90011")
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed


@pytest.mark.parametrize(
    "path", ["/", "/oauth2/v1/token/", "/oauth2/v2/token", "/v1/oauth/token", "/OAUTH2/V1/TOKEN"]
)
def test_unknown_path__is_404_cmn_error(api: Api, path: str) -> None:
    response = api.send(path, form={"grant_type": "client_credentials"})
    assert_cmn_error(response, 404, "CMN_90011")


def test_no_request_gets_a_5xx(api: Api) -> None:
    """A sweep of odd requests: every answer is a CMN 4xx with a transactionId (D20)."""
    odd = [
        api.send(TOKEN, content=b"\xff" * 100),
        api.send(TOKEN, content=b"=" * 100),
        api.send(TOKEN, content=b"%" * 100),
        api.send(TOKEN, content=b"grant_type=%00"),
        api.send(TOKEN, content=b"grant_type=password&username=%00&password=%00"),
        api.send(TOKEN, content=b"grant_type=refresh_token&refresh_token=" + b"A" * 5000),
        api.send(TOKEN, content=b"grant_type=authorization_code&code=%E2%80%AE"),
        api.send(TOKEN, content=b"[]", content_type="application/json"),
        api.send(TOKEN, content=b"a=b", content_type="application/x-www-form-urlencoded; ;;="),
        api.send(TOKEN, headers=api.headers(extra=[("Content-Length", "5")]), content=b"abcde"),
        api.send(TOKEN, headers=api.headers(txid="0" * 5000)),
        api.send(
            TOKEN, headers=api.headers(institution="9" * 1000), form={"grant_type": "password"}
        ),
        api.send(REVOKE, method="DELETE", content=b"token=%zz"),
        api.send(AUTHORIZE, content=b"scope=%ff"),
    ]
    for response in odd:
        assert 400 <= response.status_code < 500, response.text
        assert response.json()["code"].startswith("CMN_9")
        assert is_uuid(response.headers["transactionId"])
