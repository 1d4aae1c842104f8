"""Judging: what a run makes of a target that throttles it."""

from __future__ import annotations

from unittest import mock

import httpx
import respx

from conformance.contract import load_contract
from conformance.run import Case, RunContext
from conformance.settings import Settings

BASE = "https://target.test"


@respx.mock(base_url=BASE)
def test_throttled_past_the_retries__an_error_not_a_failure(respx_mock: respx.MockRouter) -> None:
    # 429 with Retry-After is back-pressure: honoured, and never held against the target.
    respx_mock.post("/oauth2/v1/token").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "1"})
    )
    settings = Settings(
        target=BASE,
        client_id="c",
        client_secret="s",
        institution_id="1",
        username="u",
        password="p",
    )
    context = RunContext(settings, BASE)
    case = Case(load_contract().requirement("CC-SUCCESS"), "client_credentials")
    with mock.patch("conformance.sender.time.sleep"):
        outcome = context.judge(case)
    context.close()
    assert outcome.outcome == "error"
    assert "kept answering HTTP 429 (throttled)" in outcome.message
    assert context.sender.retries_honoured == 6  # 3 retries for each of the 2 requests
