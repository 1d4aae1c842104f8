"""The refusal checks (`conformance.checks.refusals`: "this request gets <status> and no
token") of the platform's contract, and METHOD-NOT-POST.

Each row says how the scenario sends its request and what the contract documents as
the answer; every row gets the same claims: the documented answer passes, a 200 with a
token fails, a wrong status fails, no answer fails, nothing sent skips.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from conformance.checks import CHECKS
from conformance.errors import Failure, Skipped
from conformance.exchange import Exchange
from conformance.settings import Client

Record = Callable[..., Exchange]
Judge = Callable[..., None]
Fails = Callable[..., Failure]
Skips = Callable[..., Skipped]

CC = "client_credentials"
PW = "password"
CODE = "authorization_code"
RT = "refresh_token"


@dataclass(frozen=True)
class Refusal:
    """How a scenario sends its request and what the check accepts in `edition`."""

    scenario: str
    label: str
    grant: str | None
    send: dict[str, Any] = field(default_factory=dict)
    documented: tuple[tuple[int, str], ...] = ((400, "CMN_90011"),)  # (status, CMN code) that pass
    fixed: bool = True  # False: the check accepts any 4xx
    wrong: int = 500  # a status the check must not accept
    edition: str = "1.3.1"
    expects: str | None = None
    never: tuple[int, ...] = ()  # 4xx statuses the check refuses although it takes any other

    def record(self, record: Record, status: int, **kwargs: Any) -> Exchange:
        options = {
            "scenario": self.scenario,
            "label": self.label,
            "grant": self.grant,
            "expects": self.expects,
            **self.send,
            **kwargs,
        }
        return record(status, **options)


def _form(**fields: str) -> dict[str, Any]:
    return {"form": fields}


WRONG_CLIENT = Client("conformance-client", "wrong-secret-5f1d")
UNKNOWN_CLIENT = Client("unknown-client-9a0b", "secret-77c2")
SECOND_CLIENT = Client("second-client", "reference-secret-2")
RESTRICTED_CLIENT = Client("restricted-client", "reference-secret-3")
PASSWORD_FORM = {"grant_type": PW, "username": "reference-user", "password": "Reference-Passw0rd!"}
OTHER_INSTITUTION = "00023"

# The MUST refusals with a fixed status (refusals.REFUSALS rows with `statuses`).
FIXED: dict[str, Refusal] = {
    "TXID-REQUIRED": Refusal(
        "txid_missing", "no-header", CC, {"transaction_id": None}, ((400, "CMN_90008"),), wrong=401
    ),
    "INST-REQUIRED": Refusal(
        "institution_missing", CC, CC, {"institution": None}, ((400, "CMN_90005"),), wrong=403
    ),
    "AUTH-MISSING": Refusal(
        "auth_missing", "no-header", CC, {"auth": None}, ((401, "CMN_90004"),), wrong=400
    ),
    "AUTH-MALFORMED": Refusal(
        "auth_malformed",
        "not-basic",
        CC,
        {"auth": "Bearer not-a-client-credential"},
        ((401, "CMN_90004"),),
        wrong=400,
    ),
    "AUTH-WRONG-SECRET": Refusal(
        "auth_wrong_secret",
        "wrong-secret",
        CC,
        {"auth": WRONG_CLIENT},
        ((401, "CMN_90004"),),
        wrong=403,
    ),
    "AUTH-CREDENTIALS-WHOLE": Refusal(
        "auth_near_miss_credentials",
        "secret-truncated",
        CC,
        {"auth": Client("conformance-client", "reference-secret-")},
        ((401, "CMN_90004"),),
        wrong=403,
    ),
    "AUTH-UNKNOWN-CLIENT": Refusal(
        "auth_unknown_client",
        "unknown",
        CC,
        {"auth": UNKNOWN_CLIENT},
        ((401, "CMN_90004"),),
        wrong=400,
    ),
    "GRANT-MISSING": Refusal(
        "grant_missing",
        "no-grant-type",
        None,
        _form(username="reference-user"),
        ((400, "CMN_90007"),),
        wrong=401,
    ),
    "GRANT-UNSUPPORTED": Refusal(
        "grant_unsupported",
        "implicit",
        None,
        _form(grant_type="implicit"),
        ((400, "CMN_90007"),),
        wrong=422,
    ),
}

# The MUST refusals that accept any 4xx.
ANY: dict[str, Refusal] = {
    "INST-INVALID": Refusal(
        "institution_invalid",
        PW,
        PW,
        {"institution": "not-an-institution"},
        ((400, "CMN_90005"),),
        fixed=False,
    ),
    # D26: any refusal but the 401 of a failed client authentication
    "INST-FOREIGN": Refusal(
        "institution_foreign",
        CC,
        CC,
        {"institution": OTHER_INSTITUTION},
        ((403, "CMN_90006"), (400, "CMN_90006")),
        fixed=False,
        wrong=401,
        never=(401,),
    ),
    "BODY-NOT-FORM": Refusal(
        "body_not_form",
        "json",
        None,
        {"body": b'{"grant_type": "client_credentials"}', "content_type": "application/json"},
        fixed=False,
    ),
    "PARAMS-BODY-ONLY": Refusal(
        "params_in_query",
        "query-only",
        None,
        {"body": b"", "params": {"grant_type": "client_credentials"}},
        fixed=False,
    ),
    "PARAM-REPEATED": Refusal(
        "param_repeated",
        "grant_type-twice",
        CC,
        {"form": [("grant_type", CC), ("grant_type", CC)]},
        fixed=False,
    ),
    "SCOPES-UNKNOWN": Refusal(
        "scopes_unknown",
        CC,
        CC,
        _form(grant_type=CC, scopes="conformance:not-a-scope"),
        ((400, "CMN_90012"),),
        fixed=False,
    ),
    "PASSWORD-FIELDS-REQUIRED": Refusal(
        "password_missing_fields",
        "no-username",
        PW,
        _form(grant_type=PW, password="Reference-Passw0rd!"),
        ((400, "CMN_90013"),),
        fixed=False,
    ),
    "PASSWORD-WRONG": Refusal(
        "password_wrong",
        "wrong-password",
        PW,
        _form(**{**PASSWORD_FORM, "password": "Wrong-Passw0rd-1"}),
        ((401, "CMN_90015"),),
        fixed=False,
    ),
    "PASSWORD-UNKNOWN-USER": Refusal(
        "password_unknown_user",
        "unknown-user",
        PW,
        _form(grant_type=PW, username="unknown-user-1", password="Passw0rd-1"),
        ((401, "CMN_90015"),),
        fixed=False,
    ),
    "PASSWORD-WHOLE": Refusal(
        "password_near_miss",
        "truncated",
        PW,
        _form(**{**PASSWORD_FORM, "password": "Reference-Passw0rd"}),
        ((401, "CMN_90015"),),
        fixed=False,
    ),
    "PASSWORD-USERNAME-WHOLE": Refusal(
        "password_username_case",
        "case-changed",
        PW,
        _form(grant_type=PW, username="REFERENCE-USER", password="Reference-Passw0rd!"),
        ((401, "CMN_90015"),),
        fixed=False,
    ),
    "CLIENT-GRANT-FORBIDDEN": Refusal(
        "restricted_password",
        PW,
        PW,
        {"auth": RESTRICTED_CLIENT, "form": PASSWORD_FORM},
        ((403, "CMN_90006"),),
        fixed=False,
    ),
    "CODE-FIELD-REQUIRED": Refusal(
        "code_missing", "no-code", CODE, _form(grant_type=CODE), fixed=False
    ),
    "CODE-CLIENT-BOUND": Refusal(
        "code_foreign",
        "other-client",
        CODE,
        _form(grant_type=CODE, code="issued-to-the-main-client"),
        ((400, "CMN_90016"),),
        fixed=False,
    ),
    "CODE-INVALID": Refusal(
        "code_invalid",
        "never-issued",
        CODE,
        _form(grant_type=CODE, code="never-issued-1"),
        ((400, "CMN_90016"),),
        fixed=False,
    ),
    "REFRESH-FIELD-REQUIRED": Refusal(
        "refresh_missing", "no-refresh-token", RT, _form(grant_type=RT), fixed=False
    ),
    "REFRESH-UNKNOWN": Refusal(
        "refresh_unknown",
        "never-issued",
        RT,
        _form(grant_type=RT, refresh_token="never-issued-1"),
        ((401, "CMN_90018"),),
        fixed=False,
    ),
    "REFRESH-FOREIGN": Refusal(
        "refresh_foreign",
        "other-client",
        RT,
        {"auth": SECOND_CLIENT, **_form(grant_type=RT, refresh_token="refresh-of-client-1")},
        ((400, "CMN_90016"),),
        fixed=False,
    ),
}

# The SHOULD rules on the exact status, per edition (the contract's `expect`).
DOCUMENTED: dict[str, Refusal] = {
    "TXID-FORMAT": Refusal(
        "txid_invalid",
        "not-a-uuid",
        CC,
        {"transaction_id": "not-a-uuid-12345"},
        ((400, "CMN_90008"),),
        wrong=401,
        expects="TXID-FORMAT",
    ),
    "PASSWORD-WRONG-401": Refusal(
        "password_wrong",
        "wrong-password",
        PW,
        _form(**{**PASSWORD_FORM, "password": "Wrong-Passw0rd-1"}),
        ((401, "CMN_90015"),),
        wrong=400,
        expects="PASSWORD-WRONG-401",
    ),
    "CLIENT-GRANT-FORBIDDEN-403@1.3.1": Refusal(
        "restricted_password",
        PW,
        PW,
        {"auth": RESTRICTED_CLIENT, "form": PASSWORD_FORM},
        ((403, "CMN_90006"), (400, "CMN_90006")),
        wrong=401,
        expects="CLIENT-GRANT-FORBIDDEN-403",
    ),
    "CLIENT-GRANT-FORBIDDEN-403@1.11.0": Refusal(
        "restricted_password",
        PW,
        PW,
        {"auth": RESTRICTED_CLIENT, "form": PASSWORD_FORM},
        ((403, "CMN_90006"),),
        wrong=400,
        edition="1.11.0",
        expects="CLIENT-GRANT-FORBIDDEN-403",
    ),
    "INST-FOREIGN-403@1.3.1": Refusal(
        "institution_foreign",
        PW,
        PW,
        {"institution": OTHER_INSTITUTION, "form": PASSWORD_FORM},
        ((403, "CMN_90006"), (400, "CMN_90006")),
        wrong=401,
        expects="INST-FOREIGN-403",
    ),
    "INST-FOREIGN-403@1.11.0": Refusal(
        "institution_foreign",
        CC,
        CC,
        {"institution": OTHER_INSTITUTION},
        ((403, "CMN_90006"),),
        wrong=400,
        edition="1.11.0",
        expects="INST-FOREIGN-403",
    ),
    "REFRESH-INVALID-STATUS@1.3.1": Refusal(
        "refresh_unknown",
        "never-issued",
        RT,
        _form(grant_type=RT, refresh_token="never-issued-1"),
        ((401, "CMN_90018"),),
        wrong=400,
        expects="REFRESH-INVALID-STATUS",
    ),
    "REFRESH-INVALID-STATUS@1.11.0": Refusal(
        "refresh_unknown",
        "never-issued",
        RT,
        _form(grant_type=RT, refresh_token="never-issued-1"),
        ((400, "CMN_90016"),),
        wrong=401,
        edition="1.11.0",
        expects="REFRESH-INVALID-STATUS",
    ),
}

ROWS = [
    (key.split("@")[0], key, refusal)
    for table in (FIXED, ANY, DOCUMENTED)
    for key, refusal in table.items()
]
TABLE = [pytest.param(rid, refusal, id=key) for rid, key, refusal in ROWS]
PASSING = [
    pytest.param(rid, refusal, status, code, id=f"{key}-{status}")
    for rid, key, refusal in ROWS
    for status, code in refusal.documented
]
ANY_4XX_STATUSES = (400, 401, 403, 404, 409, 422)


@pytest.mark.verdict("passes")
@pytest.mark.parametrize(("requirement_id", "refusal", "status", "code"), PASSING)
def test_refusal__documented_status_without_token_passes(
    record: Record, run_check: Judge, requirement_id: str, refusal: Refusal, status: int, code: str
) -> None:
    exchange = refusal.record(record, status, error=code)
    run_check(requirement_id, [exchange], edition=refusal.edition)


@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    ("requirement_id", "refusal", "status"),
    [
        pytest.param(rid, refusal, status, id=f"{rid}-{status}")
        for rid, refusal in ANY.items()
        for status in ANY_4XX_STATUSES
        if status not in refusal.never
    ],
)
def test_refusal__any_4xx_passes_where_the_contract_fixes_no_status(
    record: Record, run_check: Judge, requirement_id: str, refusal: Refusal, status: int
) -> None:
    run_check(requirement_id, [refusal.record(record, status)])


@pytest.mark.verdict("fails")
@pytest.mark.parametrize(("requirement_id", "refusal"), TABLE)
def test_refusal__200_with_a_token_fails(
    record: Record, fails: Fails, requirement_id: str, refusal: Refusal
) -> None:
    exchange = refusal.record(record, 200)
    assert exchange.issued_token()
    failure = fails(requirement_id, [exchange], edition=refusal.edition)
    assert failure.title == "The target issued a token for a request it must refuse."
    assert "with an access_token" in failure.received


@pytest.mark.verdict("fails")
@pytest.mark.parametrize(("requirement_id", "refusal"), TABLE)
def test_refusal__wrong_status_fails(
    record: Record, fails: Fails, requirement_id: str, refusal: Refusal
) -> None:
    exchange = refusal.record(record, refusal.wrong)
    failure = fails(requirement_id, [exchange], edition=refusal.edition)
    assert failure.title == "The target answered a request it must refuse with the wrong status."
    assert f"HTTP {refusal.wrong}" in failure.received
    if refusal.fixed:
        for status, _ in refusal.documented:
            assert f"HTTP {status}" in failure.expected
    elif refusal.never:
        never = " or ".join(f"HTTP {status}" for status in refusal.never)
        assert failure.expected == f"a 4xx other than {never}"
    else:
        assert failure.expected == "a 4xx"


@pytest.mark.verdict("fails")
@pytest.mark.parametrize(("requirement_id", "refusal"), TABLE)
def test_refusal__one_wrong_answer_among_right_ones_fails(
    record: Record, fails: Fails, requirement_id: str, refusal: Refusal
) -> None:
    status, code = refusal.documented[0]
    right = refusal.record(record, status, error=code)
    wrong = refusal.record(record, 200, label="second")
    fails(requirement_id, [right, wrong, right], edition=refusal.edition)


@pytest.mark.verdict("fails")
@pytest.mark.parametrize(
    ("requirement_id", "refusal"),
    [pytest.param(rid, refusal, id=rid) for rid, refusal in ANY.items()],
)
@pytest.mark.parametrize(
    "answer",
    [{"status": 200, "json": {"message": "ok"}}, {"status": 302, "json": {}}, {"status": 204}],
    ids=["200-without-token", "302", "204"],
)
def test_refusal__a_non_4xx_answer_without_token_fails(
    record: Record, fails: Fails, requirement_id: str, refusal: Refusal, answer: dict[str, Any]
) -> None:
    exchange = refusal.record(record, **answer)
    assert not exchange.issued_token()
    fails(requirement_id, [exchange])


@pytest.mark.verdict("fails")
@pytest.mark.parametrize(("requirement_id", "refusal"), TABLE)
def test_refusal__no_http_answer_fails(
    record: Record, fails: Fails, requirement_id: str, refusal: Refusal
) -> None:
    exchange = refusal.record(record, 400, raises=httpx.ReadTimeout)
    failure = fails(requirement_id, [exchange], edition=refusal.edition)
    assert "no HTTP answer" in failure.received


@pytest.mark.verdict("skips")
@pytest.mark.parametrize(("requirement_id", "refusal"), TABLE)
def test_refusal__nothing_sent_skips(skips: Skips, requirement_id: str, refusal: Refusal) -> None:
    skips(requirement_id, [], edition=refusal.edition)


def test_refusal__tables_cover_every_refusal_check() -> None:
    """A refusal registered without a row here would go untested."""
    from conformance.checks import refusals

    platform = {rid for rid in refusals.REFUSALS if not rid.startswith("RFC-")}
    documented = {rid for rid in platform if refusals.REFUSALS[rid].documented}
    # The refusals within a lifecycle are tested with the grant that leads there
    # (test_success.py, test_lifecycle.py), the RFC 6749 ones with the rest of that
    # contract (test_rfc6749.py).
    lifecycle = {"CODE-REUSE", "REFRESH-REUSE", "REFRESH-REVOKED"}
    assert platform - documented - lifecycle == set(FIXED) | set(ANY)
    assert documented == {key.split("@")[0] for key in DOCUMENTED}
    assert {rid for rid in platform if refusals.REFUSALS[rid].statuses} == set(FIXED)
    assert set(refusals.REFUSALS) <= set(CHECKS)


# --- METHOD-NOT-POST (D16) ----------------------------------------------------------------


def _other_method(record: Record, method: str, status: int = 405, **kwargs: Any) -> Exchange:
    if method == "GET":
        return record(
            status,
            scenario="method_not_post",
            label=method,
            method=method,
            operation="other",
            params={"grant_type": CC},
            content_type=None,
            **kwargs,
        )
    return record(
        status, scenario="method_not_post", label=method, method=method, operation="other", **kwargs
    )


@pytest.mark.requirement("METHOD-NOT-POST")
@pytest.mark.verdict("passes")
@pytest.mark.parametrize(
    "answer",
    [
        {"status": 405, "content": b"Method Not Allowed"},
        {"status": 404, "error": "CMN_90011"},
        {"status": 200, "json": {"status": "up"}},
    ],
    ids=["405", "404", "200-without-token"],
)
def test_method_not_post__no_token_passes(
    record: Record, run_check: Judge, answer: dict[str, Any]
) -> None:
    exchanges = [_other_method(record, m, **answer) for m in ("GET", "PUT", "PATCH", "DELETE")]
    assert [e.request.method for e in exchanges] == ["GET", "PUT", "PATCH", "DELETE"]
    run_check("METHOD-NOT-POST", exchanges)


@pytest.mark.requirement("METHOD-NOT-POST")
@pytest.mark.verdict("fails")
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_method_not_post__token_for_another_method_fails(
    record: Record, fails: Fails, method: str
) -> None:
    others = [_other_method(record, m) for m in ("GET", "PUT", "PATCH", "DELETE") if m != method]
    issued = _other_method(record, method, status=200, token={})
    failure = fails("METHOD-NOT-POST", [*others, issued])
    assert failure.title.startswith(f"{method} on the token endpoint")


@pytest.mark.requirement("METHOD-NOT-POST")
@pytest.mark.verdict("skips")
def test_method_not_post__nothing_sent_skips(skips: Skips) -> None:
    skips("METHOD-NOT-POST", [])
