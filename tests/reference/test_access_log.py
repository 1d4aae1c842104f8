"""The access log of `conformance serve`, one ASGI call at a time: what each line holds and
what it never does (tests/test_serve.py reads it from the real command)."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import pytest

from conformance.reference.access_log import AccessLog

LINE = re.compile(r"^\d\d:\d\d:\d\d (.*) \d+\.\d ms$")


async def _answer(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _fail(scope: Any, receive: Any, send: Any) -> None:
    raise RuntimeError("boom")


def logged(
    path: bytes = b"/oauth2/v1/token",
    headers: list[tuple[bytes, bytes]] | None = None,
    app: Any = _answer,
    kind: str = "http",
) -> list[str]:
    """The lines one request writes, without their time and duration."""
    lines: list[str] = []
    scope = {
        "type": kind,
        "method": "POST",
        "path": path.decode("latin-1"),
        "raw_path": path,
        "query_string": b"code=abc",
        "headers": headers or [],
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"password=hunter2", "more_body": False}

    async def send(message: Any) -> None:
        return None

    asyncio.run(AccessLog(app, lines.append)(scope, receive, send))
    matched = [LINE.match(line) for line in lines]
    assert all(matched), lines
    return [m.group(1) for m in matched if m]


def test_a_line_holds_method_path_status_and_a_valid_transaction_id() -> None:
    txid = str(uuid.uuid4())
    # any spelling of the name: the header-name-case faults keep names as sent
    headers = [(b"TransactionId", txid.encode()), (b"authorization", b"Basic c2VjcmV0")]
    assert logged(headers=headers) == [f"POST /oauth2/v1/token 201 transactionId={txid}"]


@pytest.mark.parametrize(
    ("headers", "shown"),
    [
        ([], "-"),
        ([(b"transactionid", b"<script>x</script>")], "(invalid)"),
        ([(b"transactionid", str(uuid.uuid4()).encode())] * 2, "(invalid)"),  # two: not one id
    ],
    ids=["missing", "markup", "repeated"],
)
def test_a_transaction_id_that_is_not_one_valid_uuid_is_not_written(
    headers: list[tuple[bytes, bytes]], shown: str
) -> None:
    assert logged(headers=headers) == [f"POST /oauth2/v1/token 201 transactionId={shown}"]


def test_no_query_body_or_header_value_reaches_the_line() -> None:
    (line,) = logged(headers=[(b"authorization", b"Basic c2VjcmV0")])
    assert "code" not in line and "hunter2" not in line and "c2VjcmV0" not in line


def test_a_path_is_escaped_and_cut_short() -> None:
    (line,) = logged(path=b"/a\x1b[2J\xff b")
    assert line.startswith("POST /a\\x1b[2J\\xff\\x20b 201 ")
    (long,) = logged(path=b"/" + b"x" * 500)
    assert len(long.split()[1]) == 120 and long.split()[1].endswith("…")


def test_an_answer_never_started_is_logged_without_a_status_and_the_error_goes_on() -> None:
    lines: list[str] = []
    scope = {"type": "http", "method": "POST", "path": "/", "raw_path": b"/", "headers": []}
    with pytest.raises(RuntimeError, match="boom"):
        asyncio.run(AccessLog(_fail, lines.append)(scope, None, None))  # type: ignore[arg-type]
    assert len(lines) == 1 and " POST / - transactionId=- " in lines[0]


def test_other_scopes_pass_through_unlogged() -> None:
    lines: list[str] = []
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    asyncio.run(AccessLog(app, lines.append)({"type": "lifespan"}, None, None))  # type: ignore[arg-type]
    assert (seen, lines) == (["lifespan"], [])
