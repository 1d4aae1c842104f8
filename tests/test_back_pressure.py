"""Back-pressure is not behaviour: no check is handed an answer the contract calls
back-pressure; one the retries could not outlast is no verdict; a burst it cut into is
inconclusive."""

from __future__ import annotations

from typing import Any

from conformance.contract import contract_for, load_contract
from conformance.exchange import Exchange, RecordedRequest, RecordedResponse
from conformance.judging import Case, pushed_back
from conformance.run import RunContext
from conformance.settings import Settings

BASE = "https://target.test"
SPIKE = b'{"code": "CMN_90003", "message": "Spike arrest violation"}'
TXID = "3f1c2a5e-8b9d-4c7e-a1f2-0b3c4d5e6f70"


def _exchange(
    scenario: str, status: int, body: bytes = b"{}", *, marked: bool = False, burst: bool = False
) -> Exchange:
    request = RecordedRequest("POST", BASE + "/oauth2/v1/token", (("transactionId", TXID),))
    headers = (("transactionId", TXID), ("Content-Type", "application/json"))
    return Exchange(
        scenario,
        "request-0",
        request,
        RecordedResponse(status, headers, body, 1.0),
        grant="client_credentials",
        back_pressure="HTTP 500 CMN_90003 (spike arrest)" if marked else None,
        burst=burst,
    )


def _judge(requirement: str, recorded: dict[str, list[Exchange]], grant: str | None = None) -> Any:
    """The outcome of one case judged on `recorded` (scenario name -> exchanges)."""
    settings = Settings(client_id="c", client_secret="s", institution_id="1")
    context = RunContext(settings, BASE)
    context.recordings.exchanges = lambda name: recorded.get(name, [])  # type: ignore[method-assign]
    try:
        return context.judge(Case(load_contract().requirement(requirement), grant))
    finally:
        context.close()


def test_back_pressure__as_the_contract_defines_it() -> None:
    platform, rfc6749 = contract_for("1.3.1"), contract_for("rfc6749")
    spike = _exchange("cc_success", 500, SPIKE)
    assert pushed_back(platform, spike) == "HTTP 500 CMN_90003 (spike arrest)"
    assert pushed_back(rfc6749, spike) is None  # RFC 6749 has no CMN codes: a 500 is an answer
    assert pushed_back(platform, _exchange("cc_success", 500, b'{"code": "CMN_90000"}')) is None
    assert pushed_back(platform, _exchange("cc_success", 503)) is None  # no Retry-After


def test_every_exchange_check__judges_the_answers_and_leaves_back_pressure_out() -> None:
    # Sent outside the Sender's retries (unmarked) or past them (marked): not an answer.
    recorded = {
        "cc_success": [_exchange("cc_success", 200), _exchange("cc_success", 500, SPIKE)],
        "txid_missing": [_exchange("txid_missing", 500, SPIKE, marked=True)],
    }
    assert _judge("NO-5XX", recorded).outcome == "passed"


def test_every_exchange_check__a_500_that_is_not_back_pressure_reaches_it() -> None:
    recorded = {"cc_success": [_exchange("cc_success", 500, b'{"code": "CMN_90000"}')]}
    assert _judge("NO-5XX", recorded).outcome == "failed"


def test_a_check_reading_back_pressure__no_verdict_never_a_failure() -> None:
    recorded = {"cc_success": [_exchange("cc_success", 500, SPIKE, marked=True)] * 2}
    outcome = _judge("CC-SUCCESS", recorded, "client_credentials")
    assert outcome.outcome == "error"
    assert "kept answering HTTP 500 CMN_90003 (spike arrest)" in outcome.message


def test_a_burst_cut_by_back_pressure__inconclusive() -> None:
    burst = [_exchange("txid_concurrent", 200, burst=True)] * 3
    burst.append(_exchange("txid_concurrent", 500, SPIKE, marked=True, burst=True))
    outcome = _judge("TXID-CONCURRENT", {"txid_concurrent": burst})
    assert outcome.outcome == "skipped"
    assert outcome.message.startswith("inconclusive: 1 request(s) of a burst")
