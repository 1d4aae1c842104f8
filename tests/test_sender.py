"""The sender: RFC 6749 2.3.1 encoding, budget, rate limit, 429 back-off, size cap, no redirects."""

from __future__ import annotations

import base64
import threading
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import httpx
import pytest
import respx

from conformance.errors import BudgetExhausted
from conformance.exchange import ANONYMOUS
from conformance.pacing import RateLimit, retry_after_seconds
from conformance.redact import Redactor
from conformance.sender import Sender, basic_credentials
from conformance.settings import Client, Settings

BASE = "https://target.test"
TOKEN = "/oauth2/v1/token"


def sender(**overrides: object) -> Sender:
    settings = Settings(client_id="c", client_secret="s", institution_id="00016", **overrides)  # type: ignore[arg-type]
    return Sender(settings, Redactor(), BASE)


@pytest.mark.parametrize(
    ("client_id", "secret", "wire"),
    [
        ("plain", "secret", "plain:secret"),
        ("a:b", "c:d", "a%3Ab:c%3Ad"),  # a colon in the id must not split it
        ("with space", "p+%", "with+space:p%2B%25"),
        ("spécial", "sécret", "sp%C3%A9cial:s%C3%A9cret"),
    ],
)
def test_basic_credentials__form_urlencoded_before_base64(
    client_id: str, secret: str, wire: str
) -> None:
    header = basic_credentials(Client(client_id, secret))
    assert base64.b64decode(header.removeprefix("Basic ")).decode() == wire


@respx.mock(base_url=BASE, assert_all_called=True)
def test_send__fresh_transaction_id_institution_and_form(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(TOKEN).mock(return_value=httpx.Response(200, json={}))
    s = sender()
    first = s.send("t", "a", form={"grant_type": "client_credentials"})
    second = s.send("t", "b", form={"grant_type": "client_credentials"})
    request = route.calls[0].request
    assert request.headers["institutionId"] == "00016"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.content == b"grant_type=client_credentials"
    assert first.sent_transaction_id != second.sent_transaction_id
    assert s.requests_sent == 2


@respx.mock(base_url=BASE)
def test_send__none_leaves_a_header_out(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.post(TOKEN).mock(return_value=httpx.Response(400, json={}))
    sender().send("t", "a", form={}, auth=None, transaction_id=None, institution=None)
    headers = route.calls[0].request.headers
    assert "authorization" not in headers and "transactionid" not in headers
    assert "institutionid" not in headers


@respx.mock(base_url=BASE)
def test_send__chunked_goes_without_content_length_and_again_on_a_retry(
    respx_mock: respx.MockRouter,
) -> None:
    route = respx_mock.post(TOKEN).mock(
        side_effect=[httpx.Response(429), httpx.Response(200, json={})]
    )
    s = sender()
    with mock.patch("conformance.sender.time.sleep"):
        exchange = s.send("t", "a", form={"grant_type": "client_credentials"}, chunked=True)
    assert exchange.status == 200 and route.call_count == 2
    for call in route.calls:  # the retry has a stream of its own: one is read only once
        assert call.request.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in call.request.headers
        assert call.request.read() == b"grant_type=client_credentials"
    assert exchange.request.header("transfer-encoding") == "chunked"
    assert exchange.request.body == b"grant_type=client_credentials"


@respx.mock(base_url=BASE)
def test_budget__the_request_past_the_budget_is_an_error(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(TOKEN).mock(return_value=httpx.Response(200, json={}))
    s = sender(max_requests=2)
    s.send("t", "1", form={})
    s.send("t", "2", form={})
    with pytest.raises(BudgetExhausted, match="max_requests"):
        s.send("t", "3", form={})


@respx.mock(base_url=BASE)
def test_429_with_retry_after__honoured_then_the_answer_is_recorded(
    respx_mock: respx.MockRouter,
) -> None:
    respx_mock.post(TOKEN).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "2"}),
            httpx.Response(200, json={"access_token": "x"}),
        ]
    )
    s = sender()
    with mock.patch("conformance.sender.time.sleep") as sleep:
        exchange = s.send("t", "a", form={})
    assert exchange.status == 200
    sleep.assert_called_once_with(2.0)
    assert s.retries_honoured == 1 and s.requests_sent == 2


@respx.mock(base_url=BASE)
def test_429_storm__gives_up_after_the_retries_and_records_the_429(
    respx_mock: respx.MockRouter,
) -> None:
    respx_mock.post(TOKEN).mock(return_value=httpx.Response(429))
    s = sender()
    with mock.patch("conformance.sender.time.sleep"):
        exchange = s.send("t", "a", form={})
    assert exchange.status == 429 and s.requests_sent == 4


@respx.mock(base_url=BASE)
def test_plain_503__is_an_answer_not_back_pressure(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(TOKEN).mock(return_value=httpx.Response(503))
    s = sender()
    assert s.send("t", "a", form={}).status == 503
    assert s.requests_sent == 1


def test_retry_after__numbers_capped_dates_and_absence_back_off() -> None:
    assert retry_after_seconds("3", 0) == 3.0
    assert retry_after_seconds("3600", 0) == 10.0  # capped: a run has a budget of time
    assert retry_after_seconds(None, 2) == 2.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", 0) == 0.5


@respx.mock(base_url=BASE)
def test_rate_limit__spaces_requests(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(TOKEN).mock(return_value=httpx.Response(200, json={}))
    s = sender(rate_limit=RateLimit(rate=4.0))
    with (
        mock.patch("conformance.sender.time.sleep") as sleep,
        mock.patch("conformance.sender.time.monotonic", return_value=100.0),
    ):
        for label in "abc":
            s.send("t", label, form={})
    assert [c.args[0] for c in sleep.call_args_list] == [0.25, 0.5]


@respx.mock(base_url=BASE)
def test_body_cap__reads_at_most_the_limit_and_marks_truncation(
    respx_mock: respx.MockRouter,
) -> None:
    respx_mock.post(TOKEN).mock(return_value=httpx.Response(200, content=b"x" * 5000))
    exchange = sender(max_response_bytes=1000).send("t", "a", form={})
    assert exchange.response is not None
    assert len(exchange.response.body) == 1000 and exchange.response.truncated
    assert exchange.response.json() is None


@respx.mock(base_url=BASE, assert_all_called=False)
def test_redirect__never_followed(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(TOKEN).mock(
        return_value=httpx.Response(307, headers={"Location": "https://elsewhere.test/steal"})
    )
    elsewhere = respx_mock.post("https://elsewhere.test/steal")
    exchange = sender().send("t", "a", form={})
    assert exchange.status == 307 and not elsewhere.called


@respx.mock(base_url=BASE)
def test_transport_error__recorded_not_raised(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(TOKEN).mock(side_effect=httpx.ConnectError("refused"))
    exchange = sender().send("t", "a", form={})
    assert exchange.response is None and exchange.transport_error
    assert "ConnectError" in exchange.transport_error


def test_deadline__a_trickling_target_is_abandoned_after_the_timeout() -> None:
    import socket
    import threading
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def trickle() -> None:  # a status line, then one byte a second: no read ever times out
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        while not stop.wait(0.2):
            try:
                conn.sendall(b"x")
            except OSError:
                break
        conn.close()

    threading.Thread(target=trickle, daemon=True).start()
    settings = Settings(client_id="c", client_secret="s", timeout=0.5)
    s = Sender(settings, Redactor(), f"http://127.0.0.1:{listener.getsockname()[1]}")
    started = time.monotonic()
    exchange = s.send("t", "a", form={})
    elapsed = time.monotonic() - started
    stop.set()
    listener.close()
    assert exchange.response is None
    assert "no complete answer within 0.5 s (setting timeout)" in (exchange.transport_error or "")
    assert elapsed < 5  # bounded (the exact figure is the timeout plus a grace)


def test_run_timeout__no_request_is_sent_after_it() -> None:
    from conformance.errors import RunTimedOut

    s = sender(run_timeout=0.0)
    with pytest.raises(RunTimedOut, match="run_timeout"):
        s.send("t", "a", form={})


X, Y = "3f1c2a5e-8b9d-4c7e-a1f2-0b3c4d5e6f70", "0E7B6A35-93F4-4D7A-9D0E-2A8C5F1B3E47"


@respx.mock(base_url=BASE)
def test_beside__each_exchange_records_the_ids_in_flight_with_it(
    respx_mock: respx.MockRouter,
) -> None:
    # The first request is held until the second has reached the target: they overlap.
    arrived, release = threading.Event(), threading.Event()

    def answer(request: httpx.Request) -> httpx.Response:
        if request.headers.get("transactionid") == X:
            arrived.set()
            release.wait(5)
        else:
            release.set()
        return httpx.Response(200, json={})

    respx_mock.post(TOKEN).mock(side_effect=answer)
    s = sender()
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(s.send, "t", "x", form={}, transaction_id=X)
        arrived.wait(5)
        # The header name's case does not matter; the id is tracked lower-cased.
        second = pool.submit(
            s.send, "t", "y", form={}, transaction_id=None, extra_headers=[("TRANSACTIONID", Y)]
        )
        assert first.result().beside == frozenset({Y.lower()})
        assert second.result().beside == frozenset({X})
    # Sent after the others landed: alone. Two ids, or none valid: the target makes one up.
    assert s.send("t", "z", form={}).beside == frozenset()
    release.clear()
    arrived.clear()
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(s.send, "t", "x", form={}, transaction_id=X)
        arrived.wait(5)
        twice = [("transactionId", Y)]
        second = pool.submit(s.send, "t", "y", form={}, transaction_id=Y, extra_headers=twice)
        assert first.result().beside == frozenset({ANONYMOUS})
        assert second.result().beside == frozenset({X})


@respx.mock(base_url=BASE)
def test_turns__a_thread_holding_the_turn_lends_it_while_its_request_is_out(
    respx_mock: respx.MockRouter,
) -> None:
    s = sender()
    other_generated = threading.Event()

    def generate_meanwhile() -> None:
        with s.turns.holding():  # blocks until the holder lends the turn
            other_generated.set()

    def answer(request: httpx.Request) -> httpx.Response:
        # The target answers only once the other thread has had its turn.
        return httpx.Response(200 if other_generated.wait(5) else 504, json={})

    respx_mock.post(TOKEN).mock(side_effect=answer)
    other = threading.Thread(target=generate_meanwhile)
    with s.turns.holding():
        other.start()
        assert not other_generated.wait(0.05)  # held: the other waits
        assert s.send("t", "a", form={}).status == 200
        assert s.turns.holding_thread() == threading.get_ident()  # taken back after
    other.join(5)


def test_turns__reentrant_and_waiting_without_the_turn_takes_nothing() -> None:
    s = sender()
    with s.turns.holding(), s.turns.holding():
        assert s.turns.holding_thread() == threading.get_ident()
    assert s.turns.holding_thread() is None
    with s.turns.waiting():  # not held: nothing to lend, nothing to take back
        assert s.turns.holding_thread() is None
