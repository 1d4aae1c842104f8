"""The error answer checks (`conformance.checks.error_bodies`) of the platform's contract,
judged on recordings: the {code, message} body, the documented codes, no 5xx."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conformance.errors import Failure, Skipped
from conformance.exchange import Exchange

Record = Callable[..., Exchange]
Judge = Callable[..., None]
Fails = Callable[..., Failure]
Skips = Callable[..., Skipped]

CC = "client_credentials"
CODE = "authorization_code"

PASSWORD = "Reference-Passw0rd!"


def _token(record: Record, grant: str = CC, **kwargs: Any) -> Exchange:
    """A 200 of `grant`; `kwargs` override the conforming defaults."""
    return record(kwargs.pop("status", 200), grant=grant, **kwargs)


# --- ERR-BODY-SHAPE (D17) -----------------------------------------------------------------


@pytest.mark.requirement("ERR-BODY-SHAPE")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"code": "CMN_90011", "message": "Request is invalid"}),
        (401, {"code": "CMN_90004", "message": ""}),
        (500, {"code": "CMN_90000", "message": "Internal server error", "detail": "extra"}),
    ],
    ids=["400", "401-empty-message", "500-extra-field"],
)
def test_err_body_shape__code_and_message_pass(
    record: Record, run_check: Judge, status: int, body: dict[str, Any]
) -> None:
    revoke = record(
        400, operation="revoke", method="DELETE", grant=None, form={"token": "t"}, error="CMN_90011"
    )
    run_check("ERR-BODY-SHAPE", [_token(record), record(status, json=body), revoke])


ERR_BODIES_BAD = [
    pytest.param(
        {"json": {"code": "90004", "message": "Invalid client credentials"}}, id="bare-code"
    ),
    pytest.param({"json": {"code": 90004, "message": "x"}}, id="numeric-code"),
    pytest.param({"json": {"code": "cmn_90004", "message": "x"}}, id="lowercase-prefix"),
    pytest.param({"json": {"code": "CMN_9004", "message": "x"}}, id="four-digits"),
    pytest.param({"json": {"code": "CMN_900041", "message": "x"}}, id="six-digits"),
    pytest.param({"json": {"code": "CMN-90004", "message": "x"}}, id="dash"),
    pytest.param({"json": {"code": "CMN_90004"}}, id="missing-message"),
    pytest.param({"json": {"code": "CMN_90004", "message": None}}, id="null-message"),
    pytest.param({"json": {"code": "CMN_90004", "message": ["x"]}}, id="list-message"),
    pytest.param({"json": {"message": "x"}}, id="missing-code"),
    pytest.param({"json": {"error": "invalid_client"}}, id="rfc6749-shape"),
    pytest.param({"json": [{"code": "CMN_90004", "message": "x"}]}, id="json-list"),
    pytest.param(
        {"content": b"Unauthorized", "headers": {"Content-Type": "text/plain"}}, id="text-plain"
    ),
    pytest.param(
        {"content": b"<html>401</html>", "headers": {"Content-Type": "text/html"}}, id="html"
    ),
    pytest.param({"content": b""}, id="empty"),
]


@pytest.mark.requirement("ERR-BODY-SHAPE")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("answer", ERR_BODIES_BAD)
def test_err_body_shape__other_shapes_fail(
    record: Record, fails: Fails, answer: dict[str, Any]
) -> None:
    bad = record(401, label="bad", **answer)
    failure = fails("ERR-BODY-SHAPE", [record(400, error="CMN_90011"), bad])
    assert "HTTP 401" in failure.received and "/bad" in failure.received


@pytest.mark.requirement("ERR-BODY-SHAPE")
@pytest.mark.verdict("fails")
def test_err_body_shape__revoke_error_without_cmn_body_fails(record: Record, fails: Fails) -> None:
    revoke = record(
        400,
        operation="revoke",
        method="DELETE",
        grant=None,
        form={"token": "t"},
        json={"error": "unsupported_token_type"},
    )
    fails("ERR-BODY-SHAPE", [revoke])


@pytest.mark.requirement("ERR-BODY-SHAPE")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    "code",
    ["CMN_90004\n", "CMN_９０００４", "CMN_٩٠٠٠٤"],
    ids=["trailing-newline", "fullwidth-digits", "arabic-indic-digits"],
)
def test_err_body_shape__code_that_only_python_regex_accepts_fails(
    record: Record, fails: Fails, code: str
) -> None:
    # ^CMN_\d{5}$ (D17, the contract's cmn_code_pattern) means five ASCII digits and
    # nothing after; Python's `\d` matches any Unicode digit and `$` matches before "\n".
    fails("ERR-BODY-SHAPE", [record(401, json={"code": code, "message": "x"})])


@pytest.mark.requirement("ERR-BODY-SHAPE")
@pytest.mark.verdict("fails")
def test_err_body_shape__json_served_as_text_plain_fails(record: Record, fails: Fails) -> None:
    # Spec §4: "a JSON body"; both platform releases declare errors as application/json.
    content = json.dumps({"code": "CMN_90004", "message": "Invalid client credentials"}).encode()
    fails("ERR-BODY-SHAPE", [record(401, content=content, headers={"Content-Type": "text/plain"})])


@pytest.mark.requirement("ERR-BODY-SHAPE")
@pytest.mark.verdict("passes")
def test_err_body_shape__an_answer_to_another_framing_of_the_body_is_not_judged_passes(
    record: Record, run_check: Judge
) -> None:
    # body_framing's requests are not the token operation's form: only NO-5XX judges them
    framed = {"scenario": "body_framing", "operation": "other"}
    chunked = record(411, content=b"<html>Length Required</html>", chunked=True, **framed)
    bare = record(415, content=b"", content_type=None, label="no-content-type", **framed)
    run_check("ERR-BODY-SHAPE", [record(400, error="CMN_90011"), chunked, bare])


@pytest.mark.requirement("ERR-BODY-SHAPE")
@pytest.mark.verdict("skips")
def test_err_body_shape__no_error_response_skips(record: Record, skips: Skips) -> None:
    other = record(
        405,
        content=b"Method Not Allowed",
        method="PUT",
        operation="other",
        scenario="method_not_post",
        label="PUT",
    )
    skips("ERR-BODY-SHAPE", [])
    skips("ERR-BODY-SHAPE", [_token(record), other, record(raises=httpx.ConnectError)])


# --- ERR-CODE (D17, per edition) ----------------------------------------------------------

ERR_CODE_RIGHT = [
    ("AUTH-MISSING", "1.3.1", 401, "CMN_90004"),
    ("TXID-REQUIRED", "1.3.1", 400, "CMN_90008"),
    ("TXID-FORMAT", "1.11.0", 400, "CMN_90008"),
    ("INST-REQUIRED", "1.3.1", 400, "CMN_90005"),
    ("GRANT-UNSUPPORTED", "1.11.0", 400, "CMN_90007"),
    ("PASSWORD-WRONG-401", "1.3.1", 401, "CMN_90015"),
    ("REFRESH-INVALID-STATUS", "1.3.1", 401, "CMN_90018"),
    ("REFRESH-INVALID-STATUS", "1.11.0", 400, "CMN_90016"),
    ("CLIENT-GRANT-FORBIDDEN-403", "1.3.1", 400, "CMN_90006"),
    ("CLIENT-GRANT-FORBIDDEN-403", "1.3.1", 403, "CMN_90006"),
    ("CLIENT-GRANT-FORBIDDEN-403", "1.11.0", 403, "CMN_90006"),
    ("BODY-NOT-FORM", "1.3.1", 400, "CMN_90011"),
    ("BODY-NOT-FORM", "1.3.1", 400, "CMN_90007"),
]
ERR_CODE_WRONG = [
    ("AUTH-MISSING", "1.3.1", 401, "CMN_90011", "HTTP 401, code CMN_90004"),
    ("AUTH-MISSING", "1.3.1", 400, "CMN_90004", "HTTP 401, code CMN_90004"),
    ("INST-REQUIRED", "1.3.1", 400, "CMN_90010", "HTTP 400, code CMN_90005"),
    ("REFRESH-INVALID-STATUS", "1.3.1", 400, "CMN_90016", "HTTP 401, code CMN_90018"),
    ("REFRESH-INVALID-STATUS", "1.11.0", 401, "CMN_90018", "HTTP 400, code CMN_90016"),
    ("REFRESH-INVALID-STATUS", "1.11.0", 400, "CMN_90018", "HTTP 400, code CMN_90016"),
    ("CLIENT-GRANT-FORBIDDEN-403", "1.11.0", 400, "CMN_90006", "HTTP 403, code CMN_90006"),
    ("BODY-NOT-FORM", "1.3.1", 415, "CMN_90011", "HTTP 400, code any"),
]


@pytest.mark.requirement("ERR-CODE")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    ("expects", "edition", "status", "code"),
    [pytest.param(*row, id=f"{row[0]}-{row[1]}-{row[2]}-{row[3]}") for row in ERR_CODE_RIGHT],
)
def test_err_code__documented_status_and_code_pass(
    record: Record, run_check: Judge, expects: str, edition: str, status: int, code: str
) -> None:
    exchanges = [
        record(status, error=code, expects=expects),
        _token(record),
        record(400, error="CMN_90099", label="no-documented-cause"),
    ]
    run_check("ERR-CODE", exchanges, edition=edition)


@pytest.mark.requirement("ERR-CODE")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    ("expects", "edition", "status", "code", "expected"),
    [pytest.param(*row, id=f"{row[0]}-{row[1]}-{row[2]}-{row[3]}") for row in ERR_CODE_WRONG],
)
def test_err_code__other_status_or_code_fails(
    record: Record, fails: Fails, expects: str, edition: str, status: int, code: str, expected: str
) -> None:
    failure = fails("ERR-CODE", [record(status, error=code, expects=expects)], edition=edition)
    assert failure.expected == expected
    assert f"HTTP {status}, code {code}" in failure.received
    assert expects in failure.title and edition in failure.title


@pytest.mark.requirement("ERR-CODE")
@pytest.mark.verdict("fails")
def test_err_code__error_without_a_json_body_fails(record: Record, fails: Fails) -> None:
    bare = record(401, content=b"Unauthorized", expects="AUTH-MISSING", auth=None)
    fails("ERR-CODE", [bare])


@pytest.mark.requirement("ERR-CODE")
@pytest.mark.verdict("skips")
def test_err_code__no_error_with_a_documented_cause_skips(record: Record, skips: Skips) -> None:
    accepted = _token(record, expects="TXID-FORMAT")  # a lenient target: other checks judge it
    skips("ERR-CODE", [])
    skips(
        "ERR-CODE",
        [
            accepted,
            record(401, error="CMN_90004"),
            record(raises=httpx.ConnectError, expects="AUTH-MISSING"),
        ],
    )


# --- NO-5XX (D20) -------------------------------------------------------------------------


@pytest.mark.requirement("NO-5XX")
@pytest.mark.verdict("passes")
def test_no_5xx__answers_below_500_pass(record: Record, run_check: Judge) -> None:
    exchanges = [
        _token(record),
        record(400, error="CMN_90011"),
        record(401, error="CMN_90004"),
        record(204, operation="revoke", method="DELETE", grant=None, form={"token": "t"}),
        record(405, method="PUT", operation="other", content=b""),
        record(raises=httpx.ReadTimeout),
    ]
    run_check("NO-5XX", exchanges)


@pytest.mark.requirement("NO-5XX")
@pytest.mark.verdict("fails")
# CMN_90002 and CMN_90003 are back-pressure (specs/contract.toml): retried, never judged
@pytest.mark.parametrize("code", ["CMN_90000", "CMN_90001", "CMN_90019"])
def test_no_5xx__500_fails_naming_its_cmn_code(record: Record, fails: Fails, code: str) -> None:
    failure = fails("NO-5XX", [_token(record), record(500, error=code, label="quota")])
    assert failure.title == f"The target failed with a server error (the target reports {code})."
    assert f"HTTP 500, code {code}" in failure.received and "/quota" in failure.received


@pytest.mark.requirement("NO-5XX")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    "answer",
    [
        {"status": 502, "content": b"Bad Gateway", "headers": {"Content-Type": "text/plain"}},
        {"status": 503, "content": b""},
        {"status": 504, "json": {"message": "timeout"}},
    ],
    ids=["502-text", "503-empty", "504-no-code"],
)
def test_no_5xx__5xx_without_code_fails(
    record: Record, fails: Fails, answer: dict[str, Any]
) -> None:
    failure = fails("NO-5XX", [record(**answer)])
    assert failure.title == "The target failed with a server error."


@pytest.mark.requirement("NO-5XX")
@pytest.mark.verdict("fails")
def test_no_5xx__5xx_to_another_method_fails(record: Record, fails: Fails) -> None:
    other = record(
        500, method="PATCH", operation="other", scenario="method_not_post", label="PATCH"
    )
    fails("NO-5XX", [other])


@pytest.mark.requirement("NO-5XX")
@pytest.mark.verdict("skips")
def test_no_5xx__no_response_skips(record: Record, skips: Skips) -> None:
    skips("NO-5XX", [])
    skips("NO-5XX", [record(raises=httpx.ConnectError)])


# --- ERR-CODE-STATUS: a documented code comes with its documented status ------------------


@pytest.mark.requirement("ERR-CODE-STATUS")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    ("edition", "status", "code"),
    [
        ("1.3.1", 400, "CMN_90011"),
        ("1.3.1", 401, "CMN_90018"),
        ("1.3.1", 400, "CMN_90006"),  # 1.3.1 lists it under 400 and shows it in its 403
        ("1.3.1", 403, "CMN_90006"),
        ("1.11.0", 403, "CMN_90006"),
        ("1.11.0", 401, "CMN_90001"),
        ("1.11.0", 400, "CMN_90016"),
    ],
    ids=lambda v: str(v),
)
def test_err_code_status__documented_pairs_pass(
    record: Record, run_check: Judge, edition: str, status: int, code: str
) -> None:
    revoke = record(
        400, operation="revoke", method="DELETE", grant=None, form={"token": "t"}, error="CMN_90011"
    )
    exchanges = [
        record(status, error=code),
        revoke,
        _token(record),
        record(400, error="CMN_90099", label="undocumented-code"),  # ERR-CODE's, not this
        record(404, error="CMN_90011", method="GET", label="wrong-method"),  # HTTP's answer
        record(400, json={"code": ["CMN_90011"], "message": "x"}, label="code-not-a-string"),
    ]
    run_check("ERR-CODE-STATUS", exchanges, edition=edition)


@pytest.mark.requirement("ERR-CODE-STATUS")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    ("edition", "status", "code", "operation"),
    [
        ("1.3.1", 401, "CMN_90011", "token"),  # "Request is invalid" is a 400
        ("1.3.1", 402, "CMN_90015", "token"),  # "Invalid user credentials" is a 401
        ("1.11.0", 401, "CMN_90016", "token"),
        ("1.11.0", 400, "CMN_90006", "token"),  # 1.11.0 moved it to 403
        ("1.3.1", 404, "CMN_90006", "token"),
        ("1.3.1", 405, "CMN_90011", "revoke"),
    ],
    ids=lambda v: str(v),
)
def test_err_code_status__another_status_fails(
    record: Record, fails: Fails, edition: str, status: int, code: str, operation: str
) -> None:
    send: dict[str, Any] = {"error": code}
    if operation == "revoke":
        send |= {"operation": "revoke", "method": "DELETE", "grant": None, "form": {"token": "t"}}
    failure = fails("ERR-CODE-STATUS", [_token(record), record(status, **send)], edition=edition)
    assert code in failure.expected and f"HTTP {status}" in failure.received
    assert edition in failure.title


@pytest.mark.requirement("ERR-CODE-STATUS")
@pytest.mark.verdict("skips")
def test_err_code_status__no_documented_code_skips(record: Record, skips: Skips) -> None:
    skips("ERR-CODE-STATUS", [])
    skips(
        "ERR-CODE-STATUS",
        [
            _token(record),
            record(400, error="CMN_90099"),
            record(401, content=b"Unauthorized", auth=None),
            record(raises=httpx.ConnectError),
        ],
    )
    # a code this edition does not list (1.11.0 moved CMN_90018 to CMN_90016)
    skips("ERR-CODE-STATUS", [record(401, error="CMN_90018")], edition="1.11.0")
