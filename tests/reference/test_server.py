"""ReferenceServer: starts on a free local port, reports its URL, stops cleanly."""

from __future__ import annotations

import socket

import httpx
import pytest

from conformance.reference import ReferenceServer, default_accounts

from .helpers import TOKEN


def test_server__listens_on_localhost_and_reports_its_url() -> None:
    with ReferenceServer(edition="1.11.0") as server:
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.edition == "1.11.0"
        assert server.accounts == default_accounts()
        response = httpx.post(server.url + TOKEN)
        assert response.status_code == 400  # it answers, as the contract says
        port = server.port
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


def test_server__cannot_start_twice() -> None:
    with ReferenceServer() as server, pytest.raises(RuntimeError, match="already running"):
        server.start()


def test_server__a_taken_port_is_a_runtime_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(RuntimeError, match="stopped while starting"):
            ReferenceServer(port=taken.getsockname()[1]).start()


def test_server__rejects_an_unknown_edition_before_starting() -> None:
    with pytest.raises(ValueError, match="unknown edition"):
        ReferenceServer(edition="1.4")


def test_server__request_stop_does_not_wait_and_stop_then_finishes_it() -> None:
    server = ReferenceServer().start()
    port = server.port
    server.request_stop()  # uvicorn winds down in its own thread meanwhile
    assert server.port == port  # still the running server until `stop` has waited
    server.stop()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    server.request_stop()  # a stopped server: nothing to ask
