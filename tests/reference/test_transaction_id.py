"""transactionId: required, a UUID, echoed on every response, per request (D1-D4, D23)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from .helpers import CLIENT, REVOKE, TOKEN, Api, assert_cmn_error, basic, is_uuid, new_txid


def test_transaction_id__echoed_on_success(api: Api) -> None:
    txid = new_txid()
    response = api.token("client_credentials", txid=txid)
    assert response.status_code == 200
    assert response.headers["transactionId"] == txid


def _no_auth(api: Api, txid: str) -> httpx.Response:
    return api.token("client_credentials", client=None, txid=txid)


def _unsupported_grant(api: Api, txid: str) -> httpx.Response:
    return api.token("implicit", txid=txid)


def _forbidden_grant(api: Api, txid: str) -> httpx.Response:
    return api.token("password", client=("restricted-client", "reference-secret-3"), txid=txid)


def _wrong_method(api: Api, txid: str) -> httpx.Response:
    return api.http.get(TOKEN, headers={"transactionId": txid})


def _unknown_path(api: Api, txid: str) -> httpx.Response:
    return api.http.post("/oauth2/v1/nothing", headers={"transactionId": txid})


def _revoke_without_token(api: Api, txid: str) -> httpx.Response:
    return api.send(REVOKE, method="DELETE", headers=api.headers(txid=txid), form={})


@pytest.mark.parametrize(
    ("send", "status"),
    [
        (_no_auth, 401),
        (_unsupported_grant, 400),
        (_forbidden_grant, 403),
        (_wrong_method, 405),
        (_unknown_path, 404),
        (_revoke_without_token, 400),
    ],
    ids=["401", "400", "403", "405", "404", "revoke-400"],
)
def test_transaction_id__echoed_on_every_error_status(
    api: Api, send: Callable[[Api, str], httpx.Response], status: int
) -> None:
    txid = new_txid()
    response = send(api, txid)
    assert_cmn_error(response, status)
    assert response.headers["transactionId"] == txid


@pytest.mark.parametrize(
    "name", ["transactionId", "transactionid", "TRANSACTIONID", "TransactionId"]
)
def test_transaction_id__header_name_is_case_insensitive(api_131: Api, name: str) -> None:
    txid = new_txid()
    headers = api_131.headers(txid=None, extra=[(name, txid)])
    response = api_131.send(TOKEN, headers=headers, form={"grant_type": "client_credentials"})
    assert response.status_code == 200
    assert response.headers["transactionId"] == txid


def test_transaction_id__uppercase_hex_uuid_is_accepted_and_echoed_verbatim(api_131: Api) -> None:
    txid = new_txid().upper()
    response = api_131.token("client_credentials", txid=txid)
    assert response.status_code == 200
    assert response.headers["transactionId"] == txid


def test_transaction_id__missing_is_rejected_with_400_and_a_fresh_id(api: Api) -> None:
    response = api.token("client_credentials", txid=None)
    assert_cmn_error(response, 400, "CMN_90008")


@pytest.mark.parametrize(
    "value",
    [
        "not-a-uuid",
        "",
        "<script>alert(1)</script>",
        "0123456789abcdef0123456789abcdef",  # UUID without dashes
        "{12345678-1234-1234-1234-123456789abc}",
        "urn:uuid:12345678-1234-1234-1234-123456789abc",
        "12345678-1234-1234-1234-123456789abcd",
        "12345678-1234-1234-1234-12345678zabc",
        b"12345678-1234-1234-1234-12345678\x01abc",
        b"12345678-1234-1234-1234-123456789ab\xe9",
    ],
)
def test_transaction_id__not_a_uuid_is_rejected_and_never_reflected(
    api: Api, value: str | bytes
) -> None:
    response = api.token("client_credentials", txid=value)
    assert_cmn_error(response, 400, "CMN_90008")
    sent = value.decode("latin-1") if isinstance(value, bytes) else value
    assert response.headers["transactionId"] != sent


def test_transaction_id__repeated_header_is_rejected(api_131: Api) -> None:
    extra = [("transactionId", new_txid()), ("transactionId", new_txid())]
    headers = api_131.headers(txid=None, extra=extra)
    response = api_131.send(TOKEN, headers=headers, form={"grant_type": "client_credentials"})
    assert_cmn_error(response, 400, "CMN_90008")


def test_transaction_id__is_checked_before_client_authentication(api_131: Api) -> None:
    response = api_131.token("client_credentials", client=None, txid=None)
    assert_cmn_error(response, 400, "CMN_90008")


def test_transaction_id__concurrent_requests_each_get_their_own(api: Api) -> None:
    async def one(client: httpx.AsyncClient) -> tuple[str, str | None]:
        txid = new_txid()
        headers = {"transactionId": txid, "Authorization": basic(CLIENT), "institutionId": "00016"}
        response = await client.post(
            TOKEN, headers=headers, data={"grant_type": "client_credentials"}
        )
        assert response.status_code == 200
        return txid, response.headers.get("transactionId")

    async def many() -> list[tuple[str, str | None]]:
        async with httpx.AsyncClient(base_url=api.server.url, timeout=10.0) as client:
            return list(await asyncio.gather(*(one(client) for _ in range(50))))

    pairs = asyncio.run(many())
    assert all(sent == received for sent, received in pairs)
    assert is_uuid(pairs[0][1])
