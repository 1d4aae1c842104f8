"""The transactionId checks (D1, D2, D23 and header-name case) judged on recordings."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import httpx
import pytest

from conformance.errors import Failure, Skipped
from conformance.exchange import ANONYMOUS, Exchange

Record = Callable[..., Exchange]
Judge = Callable[..., None]
Fails = Callable[..., Failure]
Skips = Callable[..., Skipped]

SENT = "f8187c63-678f-4f0c-9263-46723794661a"
OTHER = "0b7c52c4-2f7e-4bb8-9d59-3c1c4fd5e0a7"


# --- TXID-PRESENT (D1) --------------------------------------------------------------------


@pytest.mark.requirement("TXID-PRESENT")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    ("status", "operation"),
    [
        (200, "token"),
        (400, "token"),
        (401, "token"),
        (500, "token"),
        (204, "revoke"),
        (400, "revoke"),
    ],
    ids=["token-200", "token-400", "token-401", "token-500", "revoke-204", "revoke-400"],
)
def test_txid_present__header_on_every_status_passes(
    record: Record, run_check: Judge, status: int, operation: str
) -> None:
    method = "DELETE" if operation == "revoke" else "POST"
    exchange = record(status, operation=operation, method=method, form={"token": "refresh-1"})
    run_check("TXID-PRESENT", [exchange])


@pytest.mark.requirement("TXID-PRESENT")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("status", [200, 401, 500], ids=["200", "401", "500"])
def test_txid_present__missing_header_fails(record: Record, fails: Fails, status: int) -> None:
    good = record(200)
    bad = record(status, echo=False, label="no-echo")
    failure = fails("TXID-PRESENT", [good, bad])
    assert f"HTTP {status}" in failure.received


@pytest.mark.requirement("TXID-PRESENT")
@pytest.mark.verdict("fails")
def test_txid_present__blank_header_fails(record: Record, fails: Fails) -> None:
    fails("TXID-PRESENT", [record(400, headers={"transactionId": "  "})])


@pytest.mark.requirement("TXID-PRESENT")
@pytest.mark.verdict("fails")
def test_txid_present__revoke_answer_without_header_fails(record: Record, fails: Fails) -> None:
    revoke = record(
        204,
        echo=False,
        operation="revoke",
        method="DELETE",
        grant=None,
        scenario="revoke_flow",
        label="revoke",
        form={"token": "refresh-1"},
    )
    fails("TXID-PRESENT", [revoke])


@pytest.mark.requirement("TXID-PRESENT")
@pytest.mark.verdict("passes")
def test_txid_present__header_name_case_is_ignored_passes(record: Record, run_check: Judge) -> None:
    exchange = record(200, echo=False, headers={"TRANSACTIONID": SENT}, transaction_id=SENT)
    run_check("TXID-PRESENT", [exchange])


@pytest.mark.requirement("TXID-PRESENT")
@pytest.mark.verdict("fails")
def test_txid_present__wrong_method_answer_without_header_fails(
    record: Record, fails: Fails
) -> None:
    # D1: "whatever the status": the token endpoint's 405 to a PUT is a response too.
    other = record(
        405, echo=False, method="PUT", operation="other", scenario="method_not_post", label="PUT"
    )
    fails("TXID-PRESENT", [other, record(200)])


@pytest.mark.requirement("TXID-PRESENT")
@pytest.mark.verdict("passes")
def test_txid_present__wrong_method_answer_with_header_passes(
    record: Record, run_check: Judge
) -> None:
    other = record(405, method="PUT", operation="other", scenario="method_not_post", label="PUT")
    run_check("TXID-PRESENT", [other, record(200)])


@pytest.mark.requirement("TXID-PRESENT")
@pytest.mark.verdict("passes")
def test_txid_present__a_message_that_is_not_valid_http_is_not_judged_passes(
    record: Record, run_check: Judge
) -> None:
    # A raw POST whose transactionId holds CR or LF: what answers it is an HTTP layer.
    raw = record(400, echo=False, operation="other", scenario="prop_txid_invalid", label="raw")
    run_check("TXID-PRESENT", [raw, record(200)])


@pytest.mark.requirement("TXID-PRESENT")
@pytest.mark.verdict("skips")
def test_txid_present__nothing_answered_skips(record: Record, skips: Skips) -> None:
    raw = record(400, echo=False, operation="other", scenario="prop_txid_invalid", label="raw")
    lost = record(raises=httpx.ConnectError)
    skips("TXID-PRESENT", [])
    skips("TXID-PRESENT", [raw, lost])


# --- TXID-ECHO (D2) -----------------------------------------------------------------------


@pytest.mark.requirement("TXID-ECHO")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("echoed", [SENT, SENT.upper()], ids=["same-spelling", "uppercase-hex"])
def test_txid_echo__same_uuid_passes(record: Record, run_check: Judge, echoed: str) -> None:
    exchange = record(200, echo=False, transaction_id=SENT, headers={"transactionId": echoed})
    run_check("TXID-ECHO", [exchange])


@pytest.mark.requirement("TXID-ECHO")
@pytest.mark.verdict("passes")
def test_txid_echo__uppercase_request_id_echoed_lowercase_passes(
    record: Record, run_check: Judge
) -> None:
    exchange = record(401, echo=False, transaction_id=SENT.upper(), headers={"transactionId": SENT})
    run_check("TXID-ECHO", [exchange])


@pytest.mark.requirement("TXID-ECHO")
@pytest.mark.verdict("passes")
def test_txid_echo__echo_from_the_sender_passes(record: Record, run_check: Judge) -> None:
    run_check("TXID-ECHO", [record(200), record(400, label="error"), record(401, label="auth")])


@pytest.mark.requirement("TXID-ECHO")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    "echoed", [OTHER, "not-a-uuid", SENT[:-1]], ids=["different-uuid", "not-a-uuid", "truncated"]
)
def test_txid_echo__other_value_fails(record: Record, fails: Fails, echoed: str) -> None:
    good = record(200)
    bad = record(
        200, echo=False, transaction_id=SENT, headers={"transactionId": echoed}, label="wrong-echo"
    )
    failure = fails("TXID-ECHO", [good, bad])
    assert SENT in failure.expected
    assert echoed in failure.received and "cc_success/wrong-echo" in failure.received


@pytest.mark.requirement("TXID-ECHO")
@pytest.mark.verdict("fails")
def test_txid_echo__mismatch_on_an_error_fails(record: Record, fails: Fails) -> None:
    bad = record(400, echo=False, transaction_id=SENT, headers={"transactionId": OTHER})
    fails("TXID-ECHO", [bad])


@pytest.mark.requirement("TXID-ECHO")
@pytest.mark.verdict("passes")
def test_txid_echo__request_without_a_valid_id_is_not_judged_passes(
    record: Record, run_check: Judge
) -> None:
    # D2 speaks only of requests that carried a valid transactionId.
    invalid = record(
        400,
        echo=False,
        transaction_id="not-a-uuid-12345",
        headers={"transactionId": OTHER},
        scenario="txid_invalid",
        label="not-a-uuid",
    )
    run_check("TXID-ECHO", [invalid, record(200)])


@pytest.mark.requirement("TXID-ECHO")
@pytest.mark.verdict("skips")
def test_txid_echo__no_response_transaction_id_skips(record: Record, skips: Skips) -> None:
    silent = record(200, echo=False)
    missing = record(
        400,
        transaction_id=None,
        headers={"transactionId": OTHER},
        scenario="txid_missing",
        label="no-header",
    )
    invalid = record(
        400, transaction_id="not-a-uuid-12345", scenario="txid_invalid", label="not-a-uuid"
    )
    skips("TXID-ECHO", [silent, missing, invalid])
    skips("TXID-ECHO", [])


def _answered_with_other(record: Record, beside: frozenset[str], scenario: str) -> Exchange:
    """A request carrying SENT answered with OTHER, having flown beside `beside`."""
    exchange = record(
        200,
        echo=False,
        transaction_id=SENT,
        headers={"transactionId": OTHER.upper()},
        scenario=scenario,
        label="token",
    )
    return replace(exchange, beside=beside)


@pytest.mark.requirement("TXID-ECHO")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("beside", [frozenset({OTHER}), frozenset({SENT, ANONYMOUS})])
def test_txid_echo__the_id_of_a_request_in_flight_beside_is_cross_talk_passes(
    record: Record, run_check: Judge, beside: frozenset[str]
) -> None:
    # OTHER flew beside it, or a request without an id the target made one up for: the
    # mismatch may be cross-talk, D23's (TXID-CONCURRENT), not D2's.
    ok = record(200, scenario="prop_txid_echo", label="token")
    run_check("TXID-ECHO", [ok, _answered_with_other(record, beside, "prop_txid_echo")])


@pytest.mark.requirement("TXID-ECHO")
@pytest.mark.verdict("fails")
def test_txid_echo__an_id_no_request_beside_carried_fails(record: Record, fails: Fails) -> None:
    # Requests flew beside it, but none carried OTHER: the target did not echo.
    crossed = _answered_with_other(record, frozenset({SENT, str(uuid.uuid4())}), "prop_scopes")
    failure = fails("TXID-ECHO", [crossed])
    assert "prop_scopes/token" in failure.received


# --- TXID-CONCURRENT (D23) ----------------------------------------------------------------


def _concurrent(record: Record, count: int) -> list[Exchange]:
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [
            pool.submit(record, 200, scenario="txid_concurrent", label=f"request-{i}")
            for i in range(count)
        ]
        return [f.result() for f in futures]


@pytest.mark.requirement("TXID-CONCURRENT")
@pytest.mark.verdict("passes")
def test_txid_concurrent__each_response_its_own_id_passes(record: Record, run_check: Judge) -> None:
    exchanges = _concurrent(record, 8)
    assert len({e.sent_transaction_id for e in exchanges}) == 8
    run_check("TXID-CONCURRENT", exchanges)


@pytest.mark.requirement("TXID-CONCURRENT")
@pytest.mark.verdict("fails")
def test_txid_concurrent__swapped_ids_fail(record: Record, fails: Fails) -> None:
    first = record(
        200,
        echo=False,
        transaction_id=SENT,
        headers={"transactionId": OTHER},
        scenario="txid_concurrent",
        label="request-0",
    )
    second = record(
        200,
        echo=False,
        transaction_id=OTHER,
        headers={"transactionId": SENT},
        scenario="txid_concurrent",
        label="request-1",
    )
    failure = fails("TXID-CONCURRENT", [first, second])
    assert failure.title.startswith("2 of 2 ")


@pytest.mark.requirement("TXID-CONCURRENT")
@pytest.mark.verdict("fails")
def test_txid_concurrent__one_crossed_answer_among_many_fails(record: Record, fails: Fails) -> None:
    crossed = record(
        200,
        echo=False,
        headers={"transactionId": str(uuid.uuid4())},
        scenario="txid_concurrent",
        label="request-9",
    )
    failure = fails("TXID-CONCURRENT", [*_concurrent(record, 4), crossed])
    assert failure.title.startswith("1 of 5 ")


@pytest.mark.requirement("TXID-CONCURRENT")
@pytest.mark.verdict("fails")
def test_txid_concurrent__another_requests_id_beside_an_echo_request_fails(
    record: Record, fails: Fails
) -> None:
    # The batches came back clean, but an echo request got the id of one beside it.
    crossed = _answered_with_other(record, frozenset({OTHER}), "prop_txid_echo")
    failure = fails("TXID-CONCURRENT", [*_concurrent(record, 3), crossed])
    assert failure.title.startswith("0 of 3 ") and "1 other answer(s)" in failure.title
    assert "prop_txid_echo/token" in failure.received


@pytest.mark.requirement("TXID-CONCURRENT")
@pytest.mark.verdict("passes")
def test_txid_concurrent__an_id_made_up_beside_a_request_without_one_passes(
    record: Record, run_check: Judge
) -> None:
    # Only a request without an id flew beside it: OTHER may be the target's made-up id
    # for that one, or a failed echo. Not surely cross-talk: TXID-ECHO's to judge, or none.
    crossed = _answered_with_other(record, frozenset({ANONYMOUS}), "prop_txid_echo")
    run_check("TXID-CONCURRENT", [*_concurrent(record, 3), crossed])


@pytest.mark.requirement("TXID-CONCURRENT")
@pytest.mark.verdict("skips")
def test_txid_concurrent__no_response_carries_an_id_skips(record: Record, skips: Skips) -> None:
    silent = [
        record(200, echo=False, scenario="txid_concurrent", label=f"request-{i}") for i in range(2)
    ]
    skips("TXID-CONCURRENT", silent)
    skips("TXID-CONCURRENT", [])


# --- TXID-HEADER-CASE ---------------------------------------------------------------------


def _spelled(record: Record, spelling: str, status: int = 200) -> Exchange:
    return record(
        status,
        scenario="txid_case",
        label=spelling,
        transaction_id=None,
        extra_headers=[(spelling, str(uuid.uuid4()))],
    )


@pytest.mark.requirement("TXID-HEADER-CASE")
@pytest.mark.verdict("passes")
def test_txid_header_case__token_for_every_spelling_passes(
    record: Record, run_check: Judge
) -> None:
    exchanges = [_spelled(record, "transactionid"), _spelled(record, "TRANSACTIONID")]
    sent = [n for e in exchanges for n, _ in e.request.headers if n.lower() == "transactionid"]
    assert sent == ["transactionid", "TRANSACTIONID"]
    run_check("TXID-HEADER-CASE", exchanges)


@pytest.mark.requirement("TXID-HEADER-CASE")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("status", [400, 500], ids=["400", "500"])
def test_txid_header_case__refused_spelling_fails(
    record: Record, fails: Fails, status: int
) -> None:
    exchanges = [_spelled(record, "transactionid"), _spelled(record, "TRANSACTIONID", status)]
    failure = fails("TXID-HEADER-CASE", exchanges)
    assert "TRANSACTIONID" in failure.expected
    assert f"HTTP {status}" in failure.received


@pytest.mark.requirement("TXID-HEADER-CASE")
@pytest.mark.verdict("fails")
def test_txid_header_case__refused_only_when_spelled_otherwise_fails(
    record: Record, fails: Fails
) -> None:
    canonical = record(200, scenario="cc_success", label="token-0")
    fails("TXID-HEADER-CASE", [canonical, _spelled(record, "TRANSACTIONID", 400)])


@pytest.mark.requirement("TXID-HEADER-CASE")
@pytest.mark.verdict("skips")
def test_txid_header_case__refused_however_spelled_skips(record: Record, skips: Skips) -> None:
    # The canonical spelling is refused too (a broken grant): nothing says the case matters.
    canonical = record(403, scenario="cc_success", label="token-0")
    skips("TXID-HEADER-CASE", [canonical, _spelled(record, "TRANSACTIONID", 403)])


@pytest.mark.requirement("TXID-HEADER-CASE")
@pytest.mark.verdict("fails")
def test_txid_header_case__200_without_token_fails(record: Record, fails: Fails) -> None:
    empty = record(
        200,
        json={"token_type": "Bearer"},
        scenario="txid_case",
        label="transactionid",
        transaction_id=None,
        extra_headers=[("transactionid", SENT)],
    )
    fails("TXID-HEADER-CASE", [empty])


@pytest.mark.requirement("TXID-HEADER-CASE")
@pytest.mark.verdict("skips")
def test_txid_header_case__no_request_skips(skips: Skips) -> None:
    skips("TXID-HEADER-CASE", [])


# --- HEADER-NAME-CASE ---------------------------------------------------------------------


def _respelled(record: Record, spelling: str, status: int = 200) -> Exchange:
    """The scenario's request: one header name (`spelling`) in another case."""
    canonical = {"institutionid": "institutionId", "authorization": "Authorization"}
    name = canonical.get(spelling.lower(), "Content-Type")
    headers = record.sender.build_headers(
        auth=record.sender.settings.client(),
        transaction_id=str(uuid.uuid4()),
        institution="00016",
        content_type="application/x-www-form-urlencoded",
    )
    return record(
        status,
        scenario="header_name_case",
        label=spelling,
        auth=None,
        transaction_id=None,
        institution=None,
        content_type=None,
        extra_headers=[(spelling if n == name else n, v) for n, v in headers],
    )


SPELLINGS = ("institutionid", "INSTITUTIONID", "authorization", "AUTHORIZATION", "content-type")


@pytest.mark.requirement("HEADER-NAME-CASE")
@pytest.mark.verdict("passes")
def test_header_name_case__token_for_every_spelling_passes(
    record: Record, run_check: Judge
) -> None:
    exchanges = [_respelled(record, spelling) for spelling in SPELLINGS]
    names = {n for e in exchanges for n, _ in e.request.headers}
    assert set(SPELLINGS) <= names
    run_check("HEADER-NAME-CASE", [record(200, scenario="cc_success"), *exchanges])


@pytest.mark.requirement("HEADER-NAME-CASE")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("spelling", ["INSTITUTIONID", "authorization", "CONTENT-TYPE"])
@pytest.mark.parametrize("status", [400, 401])
def test_header_name_case__refused_spelling_fails_naming_it(
    record: Record, fails: Fails, spelling: str, status: int
) -> None:
    canonical = record(200, scenario="cc_success")
    refused = _respelled(record, spelling, status)
    failure = fails("HEADER-NAME-CASE", [canonical, _respelled(record, "institutionid"), refused])
    assert failure.exchange is refused
    assert spelling in failure.expected
    assert f"HTTP {status}" in failure.received


@pytest.mark.requirement("HEADER-NAME-CASE")
@pytest.mark.verdict("skips")
def test_header_name_case__refused_however_spelled_skips(record: Record, skips: Skips) -> None:
    canonical = record(403, scenario="cc_success")
    skips("HEADER-NAME-CASE", [canonical, _respelled(record, "AUTHORIZATION", 403)])
    skips("HEADER-NAME-CASE", [])
