"""The safety net: an exception no rule anticipated still answers a CMN 500.

No request the reference's tests send reaches this path in the real app (D20); it is
exercised here on a deliberately broken inner app.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from conformance.reference import create_app
from conformance.reference.middleware import ResponseHeadersMiddleware

from .helpers import is_uuid, new_txid


async def _broken_app(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("a bug the rules did not anticipate")


def test_middleware__unexpected_exception_is_a_cmn_500_with_the_transaction_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ctx = create_app().state.reference
    app = ResponseHeadersMiddleware(_broken_app, ctx)
    txid = new_txid()

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://reference") as client:
            return await client.post("/oauth2/v1/token", headers={"transactionId": txid})

    response = asyncio.run(call())
    assert response.status_code == 500
    assert response.json() == {"code": "CMN_90000", "message": "Internal server error"}
    assert response.headers["transactionId"] == txid
    assert response.headers["cache-control"] == "no-store"
    # Logged by type and place only: the exception's text could hold a secret.
    assert "RuntimeError" in caplog.text
    assert "did not anticipate" not in caplog.text


def test_middleware__invalid_transaction_id_is_replaced_not_reflected() -> None:
    ctx = create_app().state.reference
    app = ResponseHeadersMiddleware(_broken_app, ctx)

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://reference") as client:
            return await client.get("/", headers={"transactionId": "<b>x</b>"})

    response = asyncio.run(call())
    assert is_uuid(response.headers["transactionId"])
