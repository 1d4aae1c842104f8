"""The checks of generated input (TXID-NOT-REFLECTED, PARAM-ORDER) judged on recordings,
and how the fixed checks read the property scenarios: by label, where a property
scenario records several kinds of request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest

from conformance.errors import Failure, Skipped
from conformance.exchange import Exchange

Record = Callable[..., Exchange]
Judge = Callable[..., None]
Fails = Callable[..., Failure]
Skips = Callable[..., Skipped]

CC = "client_credentials"
PW = "password"
RT = "refresh_token"
FRESH = "0b7c52c4-2f7e-4bb8-9d59-3c1c4fd5e0a7"
SENT = "f8187c63-678f-4f0c-9263-46723794661a"
PASSWORD_FORM = [("password", "Reference-Passw0rd!"), ("grant_type", PW), ("username", "u")]


def _invalid(record: Record, value: bytes, **kwargs: object) -> Exchange:
    """A request of prop_txid_invalid carrying `value` as its transactionId."""
    options: dict[str, object] = {
        "scenario": "prop_txid_invalid",
        "label": "invalid",
        "error": "CMN_90008",
        "transaction_id": None,
        "extra_headers": [("transactionId", value)],
        **kwargs,
    }
    return record(400, **options)


# --- TXID-NOT-REFLECTED ---------------------------------------------------------------


@pytest.mark.requirement("TXID-NOT-REFLECTED")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    "value",
    [b"<script>alert(1)</script>", b"a\x1bb", b"tab\there", b"'\"><svg onload=alert(1)>"],
    ids=["markup", "escape", "tab", "quotes-and-markup"],
)
def test_txid_not_reflected__fresh_id_for_unsafe_value_passes(
    record: Record, run_check: Judge, value: bytes
) -> None:
    run_check(
        "TXID-NOT-REFLECTED",
        [_invalid(record, value, echo=False, headers={"transactionId": FRESH})],
    )


@pytest.mark.requirement("TXID-NOT-REFLECTED")
@pytest.mark.verdict("passes")
def test_txid_not_reflected__printable_value_echoed_passes(
    record: Record, run_check: Judge
) -> None:
    # Echoing a printable non-UUID is allowed; only the unsafe request is judged.
    printable = _invalid(record, b"not-a-uuid-12345")
    unsafe = _invalid(record, b"<b>x</b>", echo=False, headers={"transactionId": FRESH})
    run_check("TXID-NOT-REFLECTED", [printable, unsafe])


@pytest.mark.requirement("TXID-NOT-REFLECTED")
@pytest.mark.verdict("passes")
def test_txid_not_reflected__escaped_or_unrelated_markup_passes(
    record: Record, run_check: Judge
) -> None:
    escaped = _invalid(record, b"<b>", headers={"transactionId": "&lt;b&gt;"})
    unrelated = _invalid(
        record, b"<script>", echo=False, raw_headers=[("Link", "<https://target.test/>")]
    )
    run_check("TXID-NOT-REFLECTED", [escaped, unrelated])


@pytest.mark.requirement("TXID-NOT-REFLECTED")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    "value",
    [b"<script>alert(1)</script>", b"a\x1bb", b"x\x7fy", b"id<img src=x onerror=alert(1)>"],
    ids=["markup", "escape", "del", "embedded-markup"],
)
def test_txid_not_reflected__unsafe_value_echoed_fails(
    record: Record, fails: Fails, value: bytes
) -> None:
    good = _invalid(record, b"<i>", echo=False, headers={"transactionId": FRESH})
    bad = _invalid(record, value, label="reflected")
    failure = fails("TXID-NOT-REFLECTED", [good, bad])
    assert failure.exchange is bad
    assert "transactionId" in failure.received


@pytest.mark.requirement("TXID-NOT-REFLECTED")
@pytest.mark.verdict("fails")
def test_txid_not_reflected__copied_into_another_header_fails(record: Record, fails: Fails) -> None:
    exchange = _invalid(
        record,
        b"<script>alert(1)</script>",
        echo=False,
        raw_headers=[("X-Trace", "request <script>alert(1)</script> rejected")],
    )
    failure = fails("TXID-NOT-REFLECTED", [exchange])
    assert "X-Trace" in failure.received


@pytest.mark.requirement("TXID-NOT-REFLECTED")
@pytest.mark.verdict("fails")
def test_txid_not_reflected__header_injection_fails(record: Record, fails: Fails) -> None:
    # What a raw send records: the CR LF cannot go through httpx, so the recording is
    # rewritten to show the value the raw request carried.
    sent = _invalid(
        record,
        b"abc",
        echo=False,
        label="raw",
        raw_headers=[("transactionId", FRESH), ("X-Conformance-Injected", "1f")],
    )
    headers = tuple(
        (k, "abc\r\nX-Conformance-Injected: 1f" if k == "transactionId" else v)
        for k, v in sent.request.headers
    )
    raw = replace(sent, request=replace(sent.request, headers=headers), operation="other")
    failure = fails("TXID-NOT-REFLECTED", [raw])
    assert "X-Conformance-Injected" in failure.received


@pytest.mark.requirement("TXID-NOT-REFLECTED")
@pytest.mark.verdict("skips")
def test_txid_not_reflected__no_unsafe_value_sent_skips(record: Record, skips: Skips) -> None:
    printable = _invalid(record, b"not-a-uuid-12345")
    valid = record(200)
    unanswered = _invalid(record, b"<b>", raises=httpx.ReadTimeout)
    skips("TXID-NOT-REFLECTED", [printable, valid, unanswered])


@pytest.mark.requirement("TXID-NOT-REFLECTED")
@pytest.mark.verdict("skips")
def test_txid_not_reflected__nothing_sent_skips(skips: Skips) -> None:
    skips("TXID-NOT-REFLECTED", [])


# --- PARAM-ORDER ------------------------------------------------------------------------


def _permuted(record: Record, status: int = 200, **kwargs: object) -> Exchange:
    options: dict[str, object] = {
        "scenario": "prop_param_order",
        "label": "permutation",
        "form": [("x-extra", "1"), ("grant_type", CC)],
        **kwargs,
    }
    return record(status, **options)


@pytest.mark.requirement("PARAM-ORDER")
@pytest.mark.verdict("passes")
def test_param_order__every_permutation_gets_a_token_passes(
    record: Record, run_check: Judge
) -> None:
    baseline = [record(200), record(200, grant=PW, scenario="password_success")]
    permuted = [
        _permuted(record),
        _permuted(record, form=PASSWORD_FORM, grant=PW),
        _permuted(record, 400, label="repeated", form=[("grant_type", CC)] * 2),
    ]
    run_check("PARAM-ORDER", [*baseline, *permuted])


@pytest.mark.requirement("PARAM-ORDER")
@pytest.mark.verdict("fails")
def test_param_order__refused_permutation_fails(record: Record, fails: Fails) -> None:
    refused = _permuted(record, 400, error="CMN_90007", label="permutation")
    failure = fails("PARAM-ORDER", [record(200), _permuted(record), refused])
    assert failure.exchange is refused
    assert "x-extra, grant_type" in failure.received
    assert "CMN_90007" in failure.received


@pytest.mark.requirement("PARAM-ORDER")
@pytest.mark.verdict("fails")
def test_param_order__permuted_password_form_refused_fails(record: Record, fails: Fails) -> None:
    baseline = record(200, grant=PW, scenario="password_success")
    refused = _permuted(record, 401, error="CMN_90015", form=PASSWORD_FORM, grant=PW)
    failure = fails("PARAM-ORDER", [baseline, refused])
    assert "password, grant_type, username" in failure.received


@pytest.mark.requirement("PARAM-ORDER")
@pytest.mark.verdict("skips")
def test_param_order__grant_broken_in_its_usual_order_skips(record: Record, skips: Skips) -> None:
    # The grant fails whatever the order (CC-SUCCESS says so): order is not the cause.
    baseline = record(403, error="CMN_90006")
    skips("PARAM-ORDER", [baseline, _permuted(record, 403, error="CMN_90006")])


@pytest.mark.requirement("PARAM-ORDER")
@pytest.mark.verdict("skips")
def test_param_order__no_permutation_sent_skips(record: Record, skips: Skips) -> None:
    repeated = _permuted(record, 400, label="repeated", form=[("grant_type", CC)] * 2)
    skips("PARAM-ORDER", [record(200), repeated])


# --- fixed checks reading the property scenarios ----------------------------------------


@pytest.mark.requirement("PARAM-REPEATED")
@pytest.mark.verdict("passes")
def test_param_repeated__only_repeated_requests_of_the_property_are_judged(
    record: Record, run_check: Judge
) -> None:
    permutation = _permuted(record)  # a token, rightly: it repeats nothing
    repeated = _permuted(record, 400, label="repeated", form=[("grant_type", CC)] * 2)
    run_check("PARAM-REPEATED", [permutation, repeated])


@pytest.mark.requirement("PARAM-REPEATED")
@pytest.mark.verdict("fails")
def test_param_repeated__repeated_request_of_the_property_with_token_fails(
    record: Record, fails: Fails
) -> None:
    repeated = _permuted(record, label="repeated", form=[("grant_type", CC), ("grant_type", PW)])
    assert fails("PARAM-REPEATED", [repeated]).exchange is repeated


@pytest.mark.requirement("SCOPES-UNKNOWN")
@pytest.mark.verdict("passes")
def test_scopes_unknown__generated_scopes_judged_only_when_surely_unknown(
    record: Record, run_check: Judge
) -> None:
    maybe_known = record(200, scenario="prop_scopes", label="scopes")
    unknown = record(400, error="CMN_90012", scenario="prop_scopes", label="unknown-scope")
    run_check("SCOPES-UNKNOWN", [maybe_known, unknown])


@pytest.mark.requirement("SCOPES-UNKNOWN")
@pytest.mark.verdict("fails")
def test_scopes_unknown__token_for_a_surely_unknown_scope_fails(
    record: Record, fails: Fails
) -> None:
    fails("SCOPES-UNKNOWN", [record(200, scenario="prop_scopes", label="unknown-scope")])


@pytest.mark.requirement("TXID-FORMAT")
@pytest.mark.verdict("passes")
def test_txid_format__raw_sends_of_the_property_are_not_judged(
    record: Record, run_check: Judge
) -> None:
    # A raw send is not valid HTTP: whatever answers it (or not) is no token operation's.
    raw = _invalid(record, b"abc", label="raw", raises=httpx.RemoteProtocolError)
    run_check("TXID-FORMAT", [_invalid(record, b"<b>"), raw])


@pytest.mark.requirement("TXID-FORMAT")
@pytest.mark.verdict("fails")
def test_txid_format__invalid_value_of_the_property_accepted_fails(
    record: Record, fails: Fails
) -> None:
    accepted = record(200, scenario="prop_txid_invalid", label="invalid", transaction_id="x")
    fails("TXID-FORMAT", [_invalid(record, b"<b>"), accepted])


def _lifecycle(record: Record, status: int, label: str, **kwargs: object) -> Exchange:
    options: dict[str, object] = {"scenario": "prop_lifecycle", "label": label, "grant": RT}
    if status >= 400:
        options["error"] = "CMN_90018"
    return record(status, **{**options, **kwargs})


@pytest.mark.requirement("REFRESH-FOREIGN")
@pytest.mark.verdict("passes")
def test_refresh_foreign__lifecycle_judged_only_on_other_client_requests(
    record: Record, run_check: Judge
) -> None:
    refreshes = [_lifecycle(record, 200, "refresh"), _lifecycle(record, 200, "refresh-after-reuse")]
    run_check("REFRESH-FOREIGN", [*refreshes, _lifecycle(record, 401, "other-client")])


@pytest.mark.requirement("REFRESH-FOREIGN")
@pytest.mark.verdict("fails")
def test_refresh_foreign__lifecycle_token_for_another_client_fails(
    record: Record, fails: Fails
) -> None:
    foreign = _lifecycle(record, 200, "other-client")
    assert (
        fails("REFRESH-FOREIGN", [_lifecycle(record, 200, "refresh"), foreign]).exchange is foreign
    )


@pytest.mark.requirement("REFRESH-UNKNOWN")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("label", ["never-issued", "access-as-refresh"])
def test_refresh_unknown__lifecycle_token_for_no_refresh_token_fails(
    record: Record, fails: Fails, label: str
) -> None:
    fails("REFRESH-UNKNOWN", [_lifecycle(record, 200, "refresh"), _lifecycle(record, 200, label)])


@pytest.mark.requirement("REFRESH-REUSE")
@pytest.mark.verdict("fails")
def test_refresh_reuse__lifecycle_reuse_with_token_fails(record: Record, fails: Fails) -> None:
    fails("REFRESH-REUSE", [_lifecycle(record, 401, "reuse"), _lifecycle(record, 200, "reuse")])


@pytest.mark.requirement("REFRESH-REVOKED")
@pytest.mark.verdict("fails")
def test_refresh_revoked__lifecycle_revoked_token_with_token_fails(
    record: Record, fails: Fails
) -> None:
    fails("REFRESH-REVOKED", [_lifecycle(record, 200, "after-revoke")])


@pytest.mark.requirement("REFRESH-SUCCESS")
@pytest.mark.verdict("passes")
def test_refresh_success__lifecycle_refresh_after_reuse_not_judged(
    record: Record, run_check: Judge
) -> None:
    # After a rotated-out token came back, a server may end the session (RFC 9700 4.14.2).
    after_reuse = _lifecycle(record, 401, "refresh-after-reuse")
    run_check("REFRESH-SUCCESS", [_lifecycle(record, 200, "refresh"), after_reuse])


@pytest.mark.requirement("TXID-CONCURRENT")
@pytest.mark.verdict("fails")
def test_txid_concurrent__crossed_ids_in_a_generated_batch_fail(
    record: Record, fails: Fails
) -> None:
    baseline = record(200, scenario="prop_txid_echo", label="token")
    crossed = record(
        200,
        scenario="prop_txid_concurrent",
        label="batch-1-0",
        transaction_id=SENT,
        echo=False,
        headers={"transactionId": FRESH},
    )
    fails("TXID-CONCURRENT", [baseline, record(200, scenario="prop_txid_concurrent"), crossed])


@pytest.mark.requirement("TXID-CONCURRENT")
@pytest.mark.verdict("skips")
def test_txid_concurrent__generated_baseline_not_echoed_skips(record: Record, skips: Skips) -> None:
    baseline = record(
        200, scenario="prop_txid_echo", label="token", echo=False, headers={"transactionId": FRESH}
    )
    concurrent = record(200, scenario="prop_txid_concurrent", label="batch-1-0")
    skips("TXID-CONCURRENT", [baseline, concurrent])


@pytest.mark.requirement("TXID-ECHO")
@pytest.mark.verdict("fails")
def test_txid_echo__generated_request_answered_with_another_id_fails(
    record: Record, fails: Fails
) -> None:
    other = _lifecycle(
        record, 200, "refresh", transaction_id=SENT, echo=False, headers={"transactionId": FRESH}
    )
    fails("TXID-ECHO", [record(200, scenario="prop_txid_echo", label="token"), other])


@pytest.mark.requirement("TXID-HEADER-CASE")
@pytest.mark.verdict("fails")
def test_txid_header_case__generated_spelling_refused_fails(record: Record, fails: Fails) -> None:
    refused = record(
        400,
        error="CMN_90008",
        scenario="prop_txid_case",
        label="tRaNsAcTiOnId",
        transaction_id=None,
        extra_headers=[("tRaNsAcTiOnId", SENT)],
    )
    assert fails("TXID-HEADER-CASE", [refused]).exchange is refused
