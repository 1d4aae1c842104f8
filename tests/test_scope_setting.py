"""The scope setting, over real HTTP against the reference: the platform's success
requests ask for the configured `scopes`, RFC 6749's refreshes ask for the scope their
login was granted, and a target that refuses what was asked fails the success rule
rather than stopping the run or passing it."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest

from conformance.contract import RFC6749
from conformance.embedded import embedded_target, role_settings
from conformance.exchange import Exchange, RecordedRequest, RecordedResponse
from conformance.reference import default_accounts
from conformance.run_context import RunContext, cases
from conformance.scenarios.base import platform_scopes, refresh_scope_for
from conformance.settings import Settings
from conformance.vocabulary import PW, RT
from tests.fixtures.targets import reference_context

EVERY_SCOPE = "accounts:read transactions:read"  # the reference's main client's scopes
NOT_HELD = "conformance:not-held"


def _form(exchange: Exchange) -> dict[str, str]:
    return dict(parse_qsl(exchange.request.body.decode("utf-8"), keep_blank_values=True))


def _outcomes(ctx: RunContext, ids: set[str]) -> dict[str, tuple[str, str]]:
    """The named requirements judged as a run judges them: the credential preflight first."""
    chosen = [case for case in cases(ctx.contract) if case.requirement.id in ids]
    return {o.case_id: (o.outcome, o.message) for o in ctx.judge_all(chosen)}


def test_embedded_roles__name_every_scope_of_the_main_client() -> None:
    assert role_settings(default_accounts())["scope"] == EVERY_SCOPE


@pytest.mark.parametrize(
    ("scope", "sent"),
    [
        (EVERY_SCOPE, "accounts:read,transactions:read"),
        ("accounts:read, transactions:read", "accounts:read,transactions:read"),
        ("accounts:read", "accounts:read"),
        (" , ", None),
        (None, None),
    ],
)
def test_platform_scopes__the_setting_comma_separated(scope: str | None, sent: str | None) -> None:
    ctx = _Ctx(Settings(scope=scope))
    assert platform_scopes(ctx) == sent  # type: ignore[arg-type]
    assert platform_scopes(_Ctx(Settings(edition=RFC6749, scope=scope))) is None  # type: ignore[arg-type]


def test_platform__the_success_requests_ask_for_the_configured_scopes() -> None:
    with reference_context("1.11.0") as ctx:
        cc, password = ctx.exchanges("cc_success"), ctx.exchanges("password_success")
        minimal = ctx.exchanges("header_name_case")
    assert {_form(e).get("scopes") for e in cc + password} == {"accounts:read,transactions:read"}
    assert all(e.issued_token() for e in cc + password)
    # the other scenarios keep the minimal request: they judge what they are about
    assert not [e for e in minimal if "scopes" in _form(e)]


def test_platform__without_a_scope_no_scopes_are_asked_for() -> None:
    with reference_context("1.3.1", scope=None) as ctx:
        sent = ctx.exchanges("cc_success") + ctx.exchanges("password_success")
    assert not [e for e in sent if "scopes" in _form(e)]


@pytest.mark.parametrize("edition", ["1.3.1", "1.11.0"])
def test_platform__configured_scopes_refused_fail_the_success_rules(edition: str) -> None:
    # CMN_90012 refuses the scopes, not the credentials: the run goes on and says so.
    with reference_context(edition, scope=f"accounts:read {NOT_HELD}") as ctx:
        outcomes = _outcomes(ctx, {"CC-SUCCESS", "PASSWORD-SUCCESS"})
    assert outcomes.keys() == {"CC-SUCCESS:client_credentials", "PASSWORD-SUCCESS:password"}
    for outcome, message in outcomes.values():
        assert outcome == "failed"
        assert "did not get a token" in message and "CMN_90012" in message


def test_rfc6749__configured_scope_refused_fails_the_success_rules() -> None:
    with reference_context(RFC6749, scope=f"accounts:read {NOT_HELD}") as ctx:
        outcomes = _outcomes(ctx, {"RFC-CC-SUCCESS", "RFC-PASSWORD-SUCCESS"})
    assert {outcome for outcome, _ in outcomes.values()} == {"failed"}
    assert all("invalid_scope" in message for _, message in outcomes.values())


def test_rfc6749__refreshes_ask_for_the_scope_the_login_was_granted() -> None:
    # Asked for in another order, the scope is granted and reported sorted: the refreshes
    # ask for what the answer says was granted.
    with reference_context(RFC6749, scope="transactions:read accounts:read") as ctx:
        rotation = ctx.exchanges("refresh_rotation")
        foreign = ctx.exchanges("refresh_foreign")
        unknown = ctx.exchanges("refresh_unknown")
        outcomes = _outcomes(
            ctx, {"RFC-REFRESH-SUCCESS", "RFC-INVALID-GRANT", "RFC-REFRESH-CLIENT-BOUND"}
        )
    login = rotation[0]
    assert _form(login)["scope"] == "transactions:read accounts:read"
    assert (login.body_object() or {})["scope"] == EVERY_SCOPE
    refreshes = [e for e in rotation + foreign if e.grant == RT]
    assert [e.label for e in refreshes] == ["refresh", "reuse", "other-client"]
    assert {_form(e)["scope"] for e in refreshes} == {EVERY_SCOPE}
    assert rotation[1].issued_token()  # the original scope asked for again: granted
    # no login: the configured scope, as a client sends it
    assert _form(unknown[0])["scope"] == "transactions:read accounts:read"
    assert {outcome for outcome, _ in outcomes.values()} == {"passed"}


def test_rfc6749__the_generated_refreshes_ask_for_the_granted_scope_too() -> None:
    with reference_context(RFC6749, examples=100, seed=1) as ctx:
        sent = ctx.exchanges("prop_lifecycle") + ctx.exchanges("prop_positive")
    refreshes = [e for e in sent if e.grant == RT]
    labels = {e.label for e in refreshes}
    assert {"refresh", "reuse", "other-client", "never-issued", "positive"} <= labels
    assert {_form(e).get("scope") for e in refreshes} == {EVERY_SCOPE}
    assert all(e.issued_token() for e in refreshes if e.label in {"refresh", "positive"})


def test_embedded_target__fills_the_scope_unless_the_user_gave_one() -> None:
    with embedded_target(Settings(skip_properties=True)) as (filled, _, _):
        assert filled.scope == EVERY_SCOPE
    with embedded_target(Settings(scope="accounts:read")) as (filled, _, _):
        assert filled.scope == "accounts:read"


def test_rfc6749__without_a_scope_refreshes_ask_for_none() -> None:
    with reference_context(RFC6749, scope=None) as ctx:
        sent = [
            e
            for name in ("refresh_rotation", "refresh_foreign", "refresh_unknown")
            for e in ctx.exchanges(name)
        ]
    assert sent and not [e for e in sent if "scope" in _form(e)]


@pytest.mark.parametrize(
    ("edition", "scope", "answer", "asked"),
    [
        (RFC6749, "a b", {"access_token": "t", "scope": "a"}, "a"),  # what was granted
        (RFC6749, "a b", {"access_token": "t"}, "a b"),  # not reported: as requested
        (RFC6749, None, {"access_token": "t", "scope": "a"}, None),  # nothing configured
        ("1.11.0", "a b", {"access_token": "t", "scope": "a"}, None),  # no such parameter
    ],
)
def test_refresh_scope_for__the_granted_scope_when_one_is_configured(
    edition: str, scope: str | None, answer: dict[str, str], asked: str | None
) -> None:
    login = _answer(answer)
    assert refresh_scope_for(_Ctx(Settings(edition=edition, scope=scope)), login) == asked  # type: ignore[arg-type]


class _Ctx:
    """What the scope helpers read of a run: its settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings


def _answer(body: dict[str, str]) -> Exchange:
    request = RecordedRequest("POST", "http://target.test/token", (), b"grant_type=password")
    headers = (("Content-Type", "application/json"),)
    response = RecordedResponse(200, headers, json.dumps(body).encode(), elapsed_ms=1.0)
    return Exchange("refresh_rotation", "password-setup", request, response, grant=PW)
