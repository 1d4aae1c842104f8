"""ReferenceProcess: the reference in a child process, on a free loopback port; it
answers without Nagle stalls, stops when asked, and never outlives its parent."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time

import httpx
import pytest

from conformance.reference.process import ReferenceProcess, listening_socket

from .helpers import CLIENT, INSTITUTION, TOKEN, basic, new_txid


def _closed(port: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except OSError:
            return True
        time.sleep(0.05)
    return False


def test_process__serves_the_edition_over_loopback_and_stops() -> None:
    with ReferenceProcess(edition="1.11.0") as server:
        assert server.url == f"http://127.0.0.1:{server.port}"
        form = {"grant_type": "client_credentials"}
        headers = {
            "Authorization": basic(CLIENT),
            "transactionId": new_txid(),
            "institutionId": INSTITUTION,
        }
        answer = httpx.post(server.url + TOKEN, data=form, headers=headers)
        assert answer.status_code == 200 and answer.json()["access_token"]
        assert httpx.post(server.url + TOKEN).status_code == 400
        port = server.port
    assert _closed(port)
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


async def _accepted_nodelay(listening: socket.socket) -> int:
    """TCP_NODELAY of the connection asyncio accepts on `listening` (as uvicorn does)."""
    loop = asyncio.get_running_loop()
    accepted: asyncio.Future[int] = loop.create_future()

    class Accepting(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    server = await loop.create_server(Accepting, sock=listening)
    _, writer = await asyncio.open_connection(*listening.getsockname()[:2])
    try:
        return await asyncio.wait_for(accepted, 5)
    finally:
        writer.close()
        server.close()


def test_listening_socket__asyncio_turns_nagle_off_on_what_it_accepts() -> None:
    # Headers and body leave in two writes: with Nagle on, each answer waits ~40 ms
    # for the client's delayed ACK. The plain way to make a server socket gets it wrong.
    assert asyncio.run(_accepted_nodelay(listening_socket())) != 0
    assert asyncio.run(_accepted_nodelay(socket.create_server(("127.0.0.1", 0)))) == 0


def test_process__an_edition_it_cannot_serve_is_a_runtime_error_naming_the_exit() -> None:
    with pytest.raises(RuntimeError, match="ended with status 1"):
        ReferenceProcess(edition="9.9").start()


def test_process__cannot_start_twice() -> None:
    with ReferenceProcess() as server, pytest.raises(RuntimeError, match="already running"):
        server.start()


def test_process__ends_with_its_parent_however_the_parent_ends() -> None:
    # The parent starts it, prints its port and dies without stopping it.
    parent = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; from conformance.reference.process import ReferenceProcess; "
            "print(ReferenceProcess().start().port, flush=True); os._exit(0)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert _closed(int(parent.stdout.strip()))


def test_process__serves_the_named_faults() -> None:
    form = {"grant_type": "client_credentials"}
    headers = {"Authorization": basic(CLIENT), "transactionId": new_txid()}
    # institution-optional: a missing institutionId is accepted
    with ReferenceProcess(faults={"institution-optional"}) as server:
        assert httpx.post(server.url + TOKEN, data=form, headers=headers).status_code == 200
    with ReferenceProcess() as server:
        assert httpx.post(server.url + TOKEN, data=form, headers=headers).status_code == 400


def test_process__an_unknown_fault_is_refused_before_a_child_starts() -> None:
    with pytest.raises(ValueError, match="institution-optional"):
        ReferenceProcess(faults={"institution-optionl"})
