"""The token response checks (`conformance.checks.responses`: shape, types, lifetimes)
and the whole-run rules (tokens unique, secrets never echoed), judged on recordings."""

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
PW = "password"
CODE = "authorization_code"
RT = "refresh_token"
GRANTS = (CC, PW, CODE, RT)

CLIENT_SECRET = "reference-secret-1"
PASSWORD = "Reference-Passw0rd!"
SPECIAL_SECRET = "sécret: with%+plus"
SECRETS = (CLIENT_SECRET, PASSWORD, SPECIAL_SECRET)


def _token(record: Record, grant: str = CC, **kwargs: Any) -> Exchange:
    """A 200 of `grant`; `kwargs` override the conforming defaults."""
    return record(kwargs.pop("status", 200), grant=grant, **kwargs)


# --- the per-grant success checks: every one skips without a 200 --------------------------

SUCCESS_CHECKS = (
    "RESP-CONTENT-TYPE",
    "RESP-TOKEN-TYPE",
    "RESP-EXPIRES-IN",
    "RESP-CACHE-CONTROL",
    "RESP-PRAGMA",
    "RESP-REFRESH-EXPIRES-PRESENT",
)


@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    ("requirement_id", "grant"),
    [
        pytest.param(rid, grant, id=f"{rid}-{grant}")
        for rid in (*SUCCESS_CHECKS, "RESP-EXPIRES-IN-TYPE")
        for grant in GRANTS
        # client_credentials and authorization_code answer without a refresh token: skipped
        if rid != "RESP-REFRESH-EXPIRES-PRESENT" or grant in (PW, RT)
    ],
)
def test_response_checks__conforming_token_response_passes(
    record: Record, run_check: Judge, requirement_id: str, grant: str
) -> None:
    exchanges = [_token(record, grant), _token(record, grant, label="second")]
    run_check(requirement_id, exchanges, strict_typing=True)


@pytest.mark.verdict("skips")
@pytest.mark.parametrize("requirement_id", [*SUCCESS_CHECKS, "RESP-EXPIRES-IN-TYPE"])
def test_response_checks__no_200_skips(record: Record, skips: Skips, requirement_id: str) -> None:
    refused = record(401, error="CMN_90004")
    revoked = record(
        200,
        operation="revoke",
        method="DELETE",
        grant=None,
        form={"token": "t-1"},
        json={"access_token": "a", "token_type": "mac"},
    )
    other = record(
        200,
        operation="other",
        method="PUT",
        scenario="method_not_post",
        label="PUT",
        token={"token_type": "mac"},
    )
    skips(requirement_id, [], strict_typing=True)
    skips(requirement_id, [refused, revoked, other], strict_typing=True)


# --- RESP-CONTENT-TYPE --------------------------------------------------------------------


@pytest.mark.requirement("RESP-CONTENT-TYPE")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    "media",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/vnd.token+json",
    ],
    ids=["json", "json-charset", "json-upper", "suffix-json"],
)
def test_content_type__json_object_passes(record: Record, run_check: Judge, media: str) -> None:
    run_check("RESP-CONTENT-TYPE", [_token(record, headers={"Content-Type": media})])


@pytest.mark.requirement("RESP-CONTENT-TYPE")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    ("media", "received"),
    [
        ("text/plain", "Content-Type: text/plain"),
        ("text/html; charset=utf-8", "Content-Type: text/html"),
        (None, "Content-Type: (none)"),
    ],
    ids=["text-plain", "html", "missing"],
)
def test_content_type__json_body_with_another_media_type_fails(
    record: Record, fails: Fails, media: str | None, received: str
) -> None:
    exchange = _token(
        record,
        content=json.dumps({"access_token": "a-1"}).encode(),
        headers={"Content-Type": media},
    )
    assert fails("RESP-CONTENT-TYPE", [_token(record), exchange]).received == received


@pytest.mark.requirement("RESP-CONTENT-TYPE")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    "content",
    [b"access_token=a-1&token_type=Bearer", b'["a-1"]', b'"a-1"', b"", b'{"access_token": "a-'],
    ids=["form", "json-list", "json-string", "empty", "truncated-json"],
)
def test_content_type__body_not_a_json_object_fails(
    record: Record, fails: Fails, content: bytes
) -> None:
    exchange = _token(record, content=content, headers={"Content-Type": "application/json"})
    assert fails("RESP-CONTENT-TYPE", [exchange]).expected == "a JSON object"


# --- RESP-TOKEN-TYPE (D7) -----------------------------------------------------------------


@pytest.mark.requirement("RESP-TOKEN-TYPE")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("token_type", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_token_type__bearer_in_any_case_passes(
    record: Record, run_check: Judge, token_type: str
) -> None:
    run_check("RESP-TOKEN-TYPE", [_token(record, token={"token_type": token_type})])


@pytest.mark.requirement("RESP-TOKEN-TYPE")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    "token_type",
    ["mac", "Bearer ", "Basic", "", None, 1, ["Bearer"]],
    ids=["mac", "trailing-space", "basic", "empty", "missing", "number", "list"],
)
def test_token_type__anything_else_fails(record: Record, fails: Fails, token_type: Any) -> None:
    bad = _token(record, label="bad", token={"token_type": token_type})
    failure = fails("RESP-TOKEN-TYPE", [_token(record), bad])
    assert failure.received == f"token_type: {token_type!r}"


@pytest.mark.requirement("RESP-TOKEN-TYPE")
@pytest.mark.verdict("passes")
def test_token_type__error_responses_are_not_judged_passes(
    record: Record, run_check: Judge
) -> None:
    error = record(400, json={"code": "CMN_90011", "message": "x", "token_type": "mac"})
    run_check("RESP-TOKEN-TYPE", [_token(record), error])


# --- RESP-EXPIRES-IN (D6) -----------------------------------------------------------------


@pytest.mark.requirement("RESP-EXPIRES-IN")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    "value",
    [3600, "3600", 1, "1", "2591999", 15551999, "007"],
    ids=["int", "digits", "one", "one-string", "month-string", "half-year", "leading-zeros"],
)
def test_expires_in__positive_whole_seconds_pass(
    record: Record, run_check: Judge, value: Any
) -> None:
    run_check("RESP-EXPIRES-IN", [_token(record, token={"expires_in": value})])


EXPIRES_BAD = [
    pytest.param("3600s", id="unit-suffix"),
    pytest.param(0, id="zero"),
    pytest.param("0", id="zero-string"),
    pytest.param(-1, id="negative"),
    pytest.param("-1", id="negative-string"),
    pytest.param("1.5", id="decimal-string"),
    pytest.param(1.5, id="float"),
    pytest.param(3600.0, id="whole-float"),
    pytest.param(True, id="true"),
    pytest.param(False, id="false"),
    pytest.param("", id="empty"),
    pytest.param(" 3600", id="leading-space"),
    pytest.param("+3600", id="plus-sign"),
    pytest.param("٣٦٠٠", id="arabic-indic-digits"),
    pytest.param([3600], id="list"),
    pytest.param({"seconds": 3600}, id="object"),
]


@pytest.mark.requirement("RESP-EXPIRES-IN")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("value", EXPIRES_BAD)
def test_expires_in__anything_else_fails(record: Record, fails: Fails, value: Any) -> None:
    failure = fails(
        "RESP-EXPIRES-IN", [_token(record), _token(record, token={"expires_in": value})]
    )
    assert failure.title == "expires_in is not a positive whole number of seconds."
    assert failure.received.startswith(f"expires_in: {value!r}")


@pytest.mark.requirement("RESP-EXPIRES-IN")
@pytest.mark.verdict("fails")
def test_expires_in__digits_with_a_trailing_newline_fail(record: Record, fails: Fails) -> None:
    # "3600\n" is not a string of digits (D6); `$` in DIGITS also matches before a final "\n".
    fails("RESP-EXPIRES-IN", [_token(record, token={"expires_in": "3600\n"})])


@pytest.mark.requirement("RESP-EXPIRES-IN")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("value", [None], ids=["missing"])
def test_expires_in__missing_fails(record: Record, fails: Fails, value: None) -> None:
    failure = fails("RESP-EXPIRES-IN", [_token(record, token={"expires_in": value})])
    assert failure.received == "expires_in: None"


@pytest.mark.requirement("RESP-EXPIRES-IN")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    "value", [0, "3600s", "1.5", None, True], ids=["zero", "unit", "decimal", "null", "true"]
)
def test_expires_in__bad_refresh_token_expires_in_fails(
    record: Record, fails: Fails, value: Any
) -> None:
    exchange = record(
        200,
        grant=PW,
        json={
            "access_token": "a-1",
            "token_type": "Bearer",
            "expires_in": 3599,
            "refresh_token": "r-1",
            "refresh_token_expires_in": value,
        },
    )
    failure = fails("RESP-EXPIRES-IN", [exchange])
    assert failure.title.startswith("refresh_token_expires_in ")


@pytest.mark.requirement("RESP-EXPIRES-IN")
@pytest.mark.verdict("passes")
def test_expires_in__absent_refresh_token_expires_in_passes(
    record: Record, run_check: Judge
) -> None:
    exchange = _token(record, PW, token={"refresh_token_expires_in": None, "expires_in": "86399"})
    run_check("RESP-EXPIRES-IN", [exchange])


# --- RESP-EXPIRES-IN-TYPE (D6, strict typing) ---------------------------------------------


@pytest.mark.requirement("RESP-EXPIRES-IN-TYPE")
@pytest.mark.verdict("skips")
def test_expires_in_type__strict_typing_off_skips(record: Record, skips: Skips) -> None:
    exchange = _token(record, token={"expires_in": 1.5})
    reason = skips("RESP-EXPIRES-IN-TYPE", [exchange], edition="1.11.0", strict_typing=False)
    assert "--strict-typing" in str(reason)


@pytest.mark.requirement("RESP-EXPIRES-IN-TYPE")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    ("edition", "value"),
    [("1.3.1", 3599), ("1.3.1", "3599"), ("1.11.0", "86399")],
    ids=["1.3.1-int", "1.3.1-string", "1.11.0-string"],
)
def test_expires_in_type__documented_type_passes(
    record: Record, run_check: Judge, edition: str, value: Any
) -> None:
    exchange = _token(record, token={"expires_in": value})
    run_check("RESP-EXPIRES-IN-TYPE", [exchange], edition=edition, strict_typing=True)


@pytest.mark.requirement("RESP-EXPIRES-IN-TYPE")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    ("edition", "value", "expected", "received"),
    [
        ("1.11.0", 86399, "str", "int"),
        ("1.3.1", 3599.0, "int or str", "float"),
        ("1.3.1", True, "int or str", "bool"),
        ("1.11.0", None, "str", "NoneType"),
    ],
    ids=["1.11.0-int", "1.3.1-float", "1.3.1-bool", "1.11.0-missing"],
)
def test_expires_in_type__undocumented_type_fails(
    record: Record, fails: Fails, edition: str, value: Any, expected: str, received: str
) -> None:
    exchange = _token(record, token={"expires_in": value})
    failure = fails("RESP-EXPIRES-IN-TYPE", [exchange], edition=edition, strict_typing=True)
    assert (failure.expected, failure.received) == (expected, received)
    assert edition in failure.title


# --- RESP-REFRESH-EXPIRES-PRESENT ---------------------------------------------------------


@pytest.mark.requirement("RESP-REFRESH-EXPIRES-PRESENT")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("grant", [PW, RT])
def test_refresh_expires_present__refresh_token_without_lifetime_fails(
    record: Record, fails: Fails, grant: str
) -> None:
    bare = _token(record, grant, label="bare", token={"refresh_token_expires_in": None})
    failure = fails("RESP-REFRESH-EXPIRES-PRESENT", [_token(record, grant), bare])
    assert "/bare" in failure.received


@pytest.mark.requirement("RESP-REFRESH-EXPIRES-PRESENT")
@pytest.mark.verdict("skips")
def test_refresh_expires_present__no_refresh_token_skips(record: Record, skips: Skips) -> None:
    without = _token(record, PW, token={"refresh_token": None, "refresh_token_expires_in": None})
    reason = skips("RESP-REFRESH-EXPIRES-PRESENT", [without])
    assert "refresh_token" in str(reason)


# --- TOKEN-UNIQUE (D19) -------------------------------------------------------------------


@pytest.mark.requirement("TOKEN-UNIQUE")
@pytest.mark.verdict("passes")
def test_token_unique__distinct_tokens_pass(record: Record, run_check: Judge) -> None:
    exchanges = [_token(record, grant, label=f"t-{grant}") for grant in GRANTS]
    run_check("TOKEN-UNIQUE", [*exchanges, _token(record)])


@pytest.mark.requirement("TOKEN-UNIQUE")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    ("first", "second"), [(CC, CC), (PW, RT)], ids=["same-grant", "across-grants"]
)
def test_token_unique__repeated_access_token_fails(
    record: Record, fails: Fails, first: str, second: str
) -> None:
    exchanges = [
        _token(record, first, token={"access_token": "same-token"}),
        _token(record),
        _token(record, second, label="again", token={"access_token": "same-token"}),
    ]
    failure = fails("TOKEN-UNIQUE", exchanges)
    assert failure.received == "2 distinct among 3"


@pytest.mark.requirement("TOKEN-UNIQUE")
@pytest.mark.verdict("passes")
def test_token_unique__refused_answers_are_not_counted_passes(
    record: Record, run_check: Judge
) -> None:
    echo = {"code": "CMN_90011", "message": "x", "access_token": "access-same"}
    exchanges = [
        _token(record, token={"access_token": "access-same"}),
        _token(record),
        record(400, json=echo),
    ]
    run_check("TOKEN-UNIQUE", exchanges)


@pytest.mark.requirement("TOKEN-UNIQUE")
@pytest.mark.verdict("skips")
def test_token_unique__fewer_than_two_tokens_skips(record: Record, skips: Skips) -> None:
    skips("TOKEN-UNIQUE", [])
    skips("TOKEN-UNIQUE", [_token(record), record(401, error="CMN_90004")])


# --- SECRET-NOT-ECHOED (D18) --------------------------------------------------------------


@pytest.mark.requirement("SECRET-NOT-ECHOED")
@pytest.mark.verdict("passes")
def test_secret_not_echoed__clean_responses_pass(record: Record, run_check: Judge) -> None:
    exchanges = [
        _token(record),
        _token(record, PW),
        record(401, error="CMN_90004"),
        record(raises=httpx.ConnectError),
    ]
    run_check("SECRET-NOT-ECHOED", exchanges, secrets=SECRETS)


@pytest.mark.requirement("SECRET-NOT-ECHOED")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("secret", SECRETS, ids=["client-secret", "password", "special-secret"])
def test_secret_not_echoed__secret_in_a_body_fails(
    record: Record, fails: Fails, secret: str
) -> None:
    leak = record(
        401,
        label="leak",
        content=f'{{"code": "CMN_90004", "message": "{secret}"}}'.encode(),
        headers={"Content-Type": "application/json"},
    )
    failure = fails("SECRET-NOT-ECHOED", [_token(record), leak], secrets=SECRETS)
    assert failure.received == "a secret in the response to cc_success/leak"
    assert secret not in str(failure)


@pytest.mark.requirement("SECRET-NOT-ECHOED")
@pytest.mark.verdict("fails")
def test_secret_not_echoed__secret_in_a_header_fails(record: Record, fails: Fails) -> None:
    leak = _token(record, headers={"X-Debug-Password": f"user={PASSWORD}"})
    fails("SECRET-NOT-ECHOED", [leak], secrets=SECRETS)


@pytest.mark.requirement("SECRET-NOT-ECHOED")
@pytest.mark.verdict("fails")
def test_secret_not_echoed__secret_in_a_revoke_answer_fails(record: Record, fails: Fails) -> None:
    leak = record(
        400,
        operation="revoke",
        method="DELETE",
        grant=None,
        form={"token": "t"},
        json={"code": "CMN_90011", "message": f"bad client secret {CLIENT_SECRET}"},
    )
    fails("SECRET-NOT-ECHOED", [leak], secrets=SECRETS)


@pytest.mark.requirement("SECRET-NOT-ECHOED")
@pytest.mark.verdict("fails")
def test_secret_not_echoed__form_encoded_password_in_a_body_fails(
    record: Record, fails: Fails
) -> None:
    # A target echoing the raw request body in its error message leaks the password as
    # "Reference-Passw0rd%21": the secret, form-encoded (the redactor knows this spelling).
    echoed = "grant_type=password&username=reference-user&password=Reference-Passw0rd%21"
    leak = record(
        400, grant=PW, json={"code": "CMN_90011", "message": f"Request is invalid: {echoed}"}
    )
    fails("SECRET-NOT-ECHOED", [leak], secrets=SECRETS)


@pytest.mark.requirement("SECRET-NOT-ECHOED")
@pytest.mark.verdict("fails")
def test_secret_not_echoed__json_escaped_secret_in_a_body_fails(
    record: Record, fails: Fails
) -> None:
    # JSON may spell "é" as "\u00e9"; the body still carries the secret (D18).
    content = json.dumps({"code": "CMN_90004", "message": f"bad secret {SPECIAL_SECRET}"}).encode()
    assert SPECIAL_SECRET.encode() not in content
    leak = record(401, content=content, headers={"Content-Type": "application/json"})
    assert leak.body_object() == {"code": "CMN_90004", "message": f"bad secret {SPECIAL_SECRET}"}
    fails("SECRET-NOT-ECHOED", [leak], secrets=SECRETS)


@pytest.mark.requirement("SECRET-NOT-ECHOED")
@pytest.mark.verdict("passes")
def test_secret_not_echoed__secret_split_between_body_and_header_passes(
    record: Record, run_check: Judge
) -> None:
    # Neither the body nor any header holds the secret; only gluing them together does.
    exchange = record(
        401,
        echo=False,
        content=b"unknown client reference-",
        headers={"X-Reason": "secret-1 rotated", "Content-Type": "text/plain"},
    )
    assert CLIENT_SECRET not in exchange.response.body.decode()  # type: ignore[union-attr]
    assert all(CLIENT_SECRET not in v for _, v in exchange.response.headers)  # type: ignore[union-attr]
    run_check("SECRET-NOT-ECHOED", [exchange], secrets=SECRETS)


@pytest.mark.requirement("SECRET-NOT-ECHOED")
@pytest.mark.verdict("passes")
def test_secret_not_echoed__short_secrets_are_ignored_passes(
    record: Record, run_check: Judge
) -> None:
    exchange = record(400, json={"code": "CMN_90011", "message": "abc12 is invalid"})
    run_check("SECRET-NOT-ECHOED", [exchange], secrets=("abc12", CLIENT_SECRET))


@pytest.mark.requirement("SECRET-NOT-ECHOED")
@pytest.mark.verdict("skips")
def test_secret_not_echoed__no_secret_long_enough_skips(record: Record, skips: Skips) -> None:
    leak = record(400, json={"code": "CMN_90011", "message": "abc12"})
    reason = skips("SECRET-NOT-ECHOED", [leak], secrets=("abc12",))
    assert "6 characters" in str(reason)
    skips("SECRET-NOT-ECHOED", [leak], secrets=())


@pytest.mark.requirement("SECRET-NOT-ECHOED")
@pytest.mark.verdict("skips")
def test_secret_not_echoed__no_response_skips(record: Record, skips: Skips) -> None:
    skips("SECRET-NOT-ECHOED", [], secrets=SECRETS)
    skips("SECRET-NOT-ECHOED", [record(raises=httpx.ConnectError)], secrets=SECRETS)


# --- RESP-FIELD-TYPES: section 3's fields are non-empty strings ---------------------------


@pytest.mark.requirement("RESP-FIELD-TYPES")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize("grant", GRANTS)
def test_field_types__strings_pass(record: Record, run_check: Judge, grant: str) -> None:
    extra = record(200, grant=grant, token={"scope": None, "extra": None, "note": 5})
    run_check("RESP-FIELD-TYPES", [_token(record, grant), extra, record(400, grant=grant)])


@pytest.mark.requirement("RESP-FIELD-TYPES")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("refresh_token", None, "refresh_token is null"),
        ("id_token", None, "id_token is null"),
        ("access_token", "", "access_token is an empty string"),
        ("token_type", 1, "token_type is JSON int"),
        ("refresh_token", {"value": "r"}, "refresh_token is JSON dict"),
    ],
    ids=["refresh-null", "id-token-null", "access-empty", "type-number", "refresh-object"],
)
def test_field_types__null_empty_or_not_a_string_fails(
    record: Record, fails: Fails, name: str, value: Any, said: str
) -> None:
    body = {"access_token": "access-1", "token_type": "Bearer", "expires_in": 3599, name: value}
    failure = fails("RESP-FIELD-TYPES", [_token(record), record(200, json=body)])
    assert failure.received.startswith(said)


@pytest.mark.requirement("RESP-FIELD-TYPES")
@pytest.mark.verdict("skips")
def test_field_types__no_200_skips(record: Record, skips: Skips) -> None:
    skips("RESP-FIELD-TYPES", [record(400), record(raises=httpx.ConnectError)])
