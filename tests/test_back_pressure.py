"""Back-pressure is not behaviour: no check is handed an answer the contract calls
back-pressure; one the retries could not outlast is no verdict; a burst it cut into is
inconclusive; a quota that does not lift ends the run inconclusive (exit 2, never 1).

Judging on recorded exchanges first, then whole runs over real HTTP against the
reference with its gateway limits on (spike arrest, quota)."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from conformance.contract import contract_for, load_contract
from conformance.embedded import ReferenceCodeSource, role_settings
from conformance.exchange import Exchange, RecordedRequest, RecordedResponse
from conformance.judging import Case, pushed_back
from conformance.pacing import RateLimit
from conformance.reference import ReferenceServer, default_accounts
from conformance.reference.limits import Limits
from conformance.run_command import run_suite
from conformance.run_context import RunContext
from conformance.settings import Settings

BASE = "https://target.test"
SPIKE = b'{"code": "CMN_90003", "message": "Spike arrest violation"}'
TXID = "3f1c2a5e-8b9d-4c7e-a1f2-0b3c4d5e6f70"
JUDGED = ("passed", "failed", "warned", "waived")


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


# --- whole runs against the reference behind its gateway's limits -------------------------


def _run(tmp_path: Path, limits: Limits, **overrides: object) -> tuple[int, dict[str, Any]]:
    """`conformance run --target <the reference>` with `overrides`: exit code, results.json."""
    accounts = default_accounts()
    with ReferenceServer(accounts=accounts, limits=limits) as server:
        values: dict[str, Any] = {**role_settings(accounts), **overrides}
        settings = replace(Settings(report_dir=str(tmp_path), skip_properties=True), **values)
        codes = ReferenceCodeSource(settings, server.url)
        code = run_suite(settings, server.url, codes, out=io.StringIO())
    return code, json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))


def _judged_on(result: dict[str, Any], code: str) -> bool:
    """Whether an outcome's evidence shows an answer carrying the CMN `code`."""
    return any(
        code in json.dumps((e.get("response") or {}).get("body", "")) for e in result["evidence"]
    )


@pytest.mark.slow
def test_spike_arrested_reference__passes_and_reports_the_back_pressure(tmp_path: Path) -> None:
    # A correct target, throttling above 8 requests a second, below the adaptive rate's
    # start: the adaptive rate and the retries outlast it; a burst it cuts into (bursts
    # hold up to the starting rate's 10) says so.
    limit = RateLimit.parse("auto")
    code, results = _run(tmp_path, Limits(spike_arrest=8), rate_limit=limit, concurrency=30)
    assert code == 0 and results["verdict"] == "PASS"
    pushed = results["run"]["back_pressure"]
    assert pushed["answers"] > 0 and pushed["by_kind"].keys() == {"spike arrest"}
    assert results["run"]["rate_limit"] == "auto" and results["run"]["settled_rate"] > 0
    judged = [r for r in results["results"] if r["outcome"] in JUDGED]
    assert not [r["case"] for r in judged if _judged_on(r, "CMN_90003")]
    if pushed["in_bursts"]:
        concurrent = next(r for r in results["results"] if r["case"] == "TXID-CONCURRENT")
        assert concurrent["outcome"] == "skipped"
        assert concurrent["message"].startswith("inconclusive: ")


@pytest.mark.slow
def test_quota_exhausted_reference__ends_inconclusive_exit_2_never_1(tmp_path: Path) -> None:
    code, results = _run(tmp_path, Limits(quota=40), run_timeout=3.0)
    assert code == 2 and results["verdict"] == "ERROR"
    outcomes = {r["case"]: r for r in results["results"]}
    quota = outcomes["QUOTA"]
    assert quota["outcome"] == "error"
    assert quota["message"].startswith("inconclusive: the target's quota is exhausted (CMN_90002)")
    assert "Judged before it ran out (" in quota["message"]
    assert "Not judged (" in quota["message"]
    judged = {case: r for case, r in outcomes.items() if r["outcome"] in JUDGED}
    assert not [case for case, r in judged.items() if r["outcome"] == "failed"]
    assert not [case for case, r in judged.items() if _judged_on(r, "CMN_90002")]
    # Some were judged before the quota ran out, and the report keeps them.
    assert any(r["outcome"] == "passed" for r in outcomes.values())
