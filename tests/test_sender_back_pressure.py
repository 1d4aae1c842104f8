"""The sender and back-pressure as the contract defines it: retried, never recorded as
the answer while a retry may outlast it; marked when none did; a quota waited for until
run_timeout. Stand-in targets (respx); a hand-moved clock instead of waiting."""

from __future__ import annotations

from collections.abc import Iterator
from unittest import mock

import httpx
import pytest
import respx

from conformance.errors import QuotaExhausted, RunTimedOut
from conformance.pacing import RateLimit
from conformance.redact import Redactor
from conformance.sender import MAX_RETRIES, Sender
from conformance.settings import Settings

BASE = "https://target.test"
TOKEN = "/oauth2/v1/token"
SPIKE = httpx.Response(500, json={"code": "CMN_90003", "message": "Spike arrest violation"})
QUOTA = httpx.Response(500, json={"code": "CMN_90002", "message": "Quota limit violation"})
TOKEN_ANSWER = httpx.Response(200, json={"access_token": "a", "token_type": "Bearer"})


class Clock:
    """time.monotonic, moved on by time.sleep: a wait costs nothing."""

    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


@pytest.fixture
def clock() -> Iterator[Clock]:
    moved = Clock()
    with (
        mock.patch("conformance.sender.time.monotonic", moved),
        mock.patch("conformance.sender.time.sleep", moved.sleep),
    ):
        yield moved


def sender(**overrides: object) -> Sender:
    settings = Settings(client_id="c", client_secret="s", institution_id="1", **overrides)  # type: ignore[arg-type]
    return Sender(settings, Redactor(["s"]), BASE)


@respx.mock(base_url=BASE)
def test_spike_arrest__retried_and_only_the_answer_recorded(
    respx_mock: respx.MockRouter, clock: Clock
) -> None:
    route = respx_mock.post(TOKEN).mock(side_effect=[SPIKE, SPIKE, TOKEN_ANSWER])
    s = sender()
    exchange = s.send("t", "a", form={"grant_type": "client_credentials"})
    assert route.call_count == 3 and s.requests_sent == 3
    assert exchange.status == 200 and exchange.back_pressure is None
    assert s.retries_honoured == 2
    report = s.pacing_report()["back_pressure"]
    assert report["answers"] == 2 and report["by_kind"] == {"spike arrest": 2}
    assert report["unresolved"] == 0


@respx.mock(base_url=BASE)
def test_spike_arrest__past_the_retries_the_exchange_is_marked(
    respx_mock: respx.MockRouter, clock: Clock
) -> None:
    respx_mock.post(TOKEN).mock(return_value=SPIKE)
    s = sender()
    exchange = s.send("t", "a", form={})
    assert s.requests_sent == 1 + MAX_RETRIES
    assert exchange.back_pressure == "HTTP 500 CMN_90003 (spike arrest)"
    assert s.pacing_report()["back_pressure"]["unresolved"] == 1


@respx.mock(base_url=BASE)
def test_cmn_90000__is_an_answer_not_back_pressure(respx_mock: respx.MockRouter) -> None:
    respx_mock.post(TOKEN).mock(
        return_value=httpx.Response(500, json={"code": "CMN_90000", "message": "Internal"})
    )
    s = sender()
    exchange = s.send("t", "a", form={})
    assert s.requests_sent == 1 and s.retries_honoured == 0
    assert exchange.status == 500 and exchange.back_pressure is None
    assert s.pacing_report()["back_pressure"]["answers"] == 0


@respx.mock(base_url=BASE)
def test_cmn_90003__under_the_rfc6749_contract_is_an_answer(respx_mock: respx.MockRouter) -> None:
    # RFC 6749 knows no CMN code: a 500 is what the server answered, whatever its body.
    respx_mock.post(TOKEN).mock(return_value=SPIKE)
    s = sender(edition="rfc6749", contract="rfc6749")
    exchange = s.send("t", "a", form={})
    assert s.requests_sent == 1 and exchange.back_pressure is None


@respx.mock(base_url=BASE)
def test_429__still_back_pressure_under_the_rfc6749_contract(
    respx_mock: respx.MockRouter, clock: Clock
) -> None:
    respx_mock.post(TOKEN).mock(side_effect=[httpx.Response(429), TOKEN_ANSWER])
    s = sender(edition="rfc6749", contract="rfc6749")
    assert s.send("t", "a", form={}).status == 200 and s.requests_sent == 2


@respx.mock(base_url=BASE)
def test_quota__waited_for_until_it_lifts(respx_mock: respx.MockRouter, clock: Clock) -> None:
    # More answers of the quota than a spike arrest's retries: a quota is waited for.
    respx_mock.post(TOKEN).mock(side_effect=[QUOTA] * (MAX_RETRIES + 2) + [TOKEN_ANSWER])
    s = sender()
    exchange = s.send("t", "a", form={})
    assert exchange.status == 200 and exchange.back_pressure is None
    assert s.quota_exhausted is None
    s.send("t", "b", form={})  # the quota lifted: nothing holds the next request


@respx.mock(base_url=BASE)
def test_quota__that_does_not_lift_within_run_timeout_ends_the_run(
    respx_mock: respx.MockRouter, clock: Clock
) -> None:
    respx_mock.post(TOKEN).mock(return_value=QUOTA)
    s = sender(run_timeout=60.0)
    with pytest.raises(QuotaExhausted) as ended:
        s.send("t", "a", form={})
    message = str(ended.value)
    assert message.startswith("inconclusive: the target's quota is exhausted (CMN_90002)")
    assert "run_timeout" in message
    assert s.quota_exhausted is ended.value
    with pytest.raises(QuotaExhausted):  # and every later request, whichever thread
        s.send("t", "b", form={})


@respx.mock(base_url=BASE)
def test_burst__not_paced_not_retried_and_marked(
    respx_mock: respx.MockRouter, clock: Clock
) -> None:
    respx_mock.post(TOKEN).mock(side_effect=[TOKEN_ANSWER, SPIKE, TOKEN_ANSWER])
    s = sender(rate_limit=RateLimit(rate=1.0))
    s.send("t", "before", form={})
    with s.burst(2) as burst:
        released = clock.now
        sent = [s.send("t", f"burst-{i}", form={}, burst=burst) for i in range(2)]
        assert clock.now == released  # the second did not wait for a slot of its own
    assert s.requests_sent == 3  # the pushed-back one was not sent again
    assert [e.burst for e in sent] == [True, True]
    assert [e.back_pressure for e in sent] == ["HTTP 500 CMN_90003 (spike arrest)", None]
    assert s.pacing_report()["back_pressure"]["in_bursts"] == 1


@respx.mock(base_url=BASE)
def test_adaptive_rate__slows_down_on_back_pressure(
    respx_mock: respx.MockRouter, clock: Clock
) -> None:
    respx_mock.post(TOKEN).mock(side_effect=[SPIKE, TOKEN_ANSWER])
    s = sender(rate_limit=RateLimit.parse("auto"))
    start = s.pacer.rate
    s.send("t", "a", form={})
    assert s.pacer.rate is not None and start is not None and s.pacer.rate < start
    assert s.pacing_report()["rate_limit"] == "auto"


@respx.mock(base_url=BASE)
def test_pacing__a_request_due_after_run_timeout_is_never_sent(
    respx_mock: respx.MockRouter, clock: Clock
) -> None:
    # A slow rate (a quota's floor, a long queue) must not carry the run past its end.
    route = respx_mock.post(TOKEN).mock(return_value=TOKEN_ANSWER)
    s = sender(rate_limit=RateLimit(rate=0.5), run_timeout=3.0)
    s.send("t", "now", form={})
    s.send("t", "in two seconds", form={})
    with pytest.raises(RunTimedOut):
        s.send("t", "in four seconds", form={})
    assert route.call_count == 2 and s.requests_sent == 2
