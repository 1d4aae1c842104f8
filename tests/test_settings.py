"""Settings: precedence, errors that name the setting, roles, and the lock-out cap."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.errors import ConfigError, Skipped
from conformance.settings import Settings
from conformance.settings_load import load_settings, validate
from tests.fixtures.targets import reference_context

CREDENTIALS = {
    "CONFORMANCE_CLIENT_ID": "env-client",
    "CONFORMANCE_CLIENT_SECRET": "env-secret-value",
    "CONFORMANCE_INSTITUTION_ID": "00016",
    "CONFORMANCE_USERNAME": "env-user",
    "CONFORMANCE_PASSWORD": "env-password",
}


def test_precedence__flag_beats_file_beats_environment(tmp_path: Path) -> None:
    config = tmp_path / "conformance.toml"
    config.write_text(
        'target = "http://file.test"\ntoken_path = "/file/token"\nedition = "1.11.0"\n'
    )
    environ = {
        **CREDENTIALS,
        "CONFORMANCE_TARGET": "http://env.test",
        "CONFORMANCE_TOKEN_PATH": "/env",
        "CONFORMANCE_TIMEOUT": "3.5",
    }
    settings = load_settings({"target": "http://flag.test/"}, config, environ)
    assert settings.target == "http://flag.test"  # flag, trailing slash dropped
    assert settings.token_path == "/file/token"  # file beats environment
    assert settings.edition == "1.11.0"
    assert settings.timeout == 3.5  # environment beats default
    assert settings.client_id == "env-client"


def test_defaults__embedded_reference_needs_no_setting() -> None:
    settings = load_settings({}, None, {})
    assert settings.target is None
    assert settings.token_path == "/oauth2/v1/token"
    assert settings.wrong_password_cap == 2


def test_file__accepts_a_conformance_table(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[conformance]\nrate_limit = 5\nstrict = true\n")
    settings = load_settings({}, config, {})
    assert (str(settings.rate_limit), settings.strict) == ("5", True)


@pytest.mark.parametrize(
    ("flags", "environ", "setting", "fragment"),
    [
        ({"edition": "1.3"}, {}, "edition", "did you mean '1.3.1'"),
        ({"target": "ftp://x.test"}, CREDENTIALS, "target", "not an http(s) URL"),
        ({"target": "http://x.test"}, {}, "client_id", "CONFORMANCE_CLIENT_SECRET"),
        ({"timeout": "soon"}, {}, "timeout", "CONFORMANCE_TIMEOUT"),
        ({"max_requests": "0"}, {}, "max_requests", "must be positive"),
        ({"token_path": "oauth/token"}, {}, "token_path", "must start with '/'"),
        ({}, {"CONFORMANCE_STRICT": "maybe"}, "strict", "invalid value"),
        ({"rate_limit": "fast"}, {}, "rate_limit", "to 0, N, auto or auto:N"),
        (
            {"target": "http://x.test", "other_institution_id": "bank-2"},
            CREDENTIALS,
            "other_institution_id",
            "must be digits",
        ),
        (
            {"target": "http://x.test", "other_institution_id": "00016"},
            CREDENTIALS,
            "other_institution_id",
            "the client's own institution",
        ),
    ],
)
def test_bad_values__config_error_names_the_setting(
    flags: dict[str, str], environ: dict[str, str], setting: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(flags, None, environ)
    assert caught.value.setting == setting
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("target", "given", "rate"),
    [
        ("https://api.sandbox.candescent.com", None, "auto"),  # someone else's sandbox
        ("http://127.0.0.1:8400", None, "0"),  # this machine: unlimited, as before
        ("embedded", None, "0"),
        ("https://api.sandbox.candescent.com", "auto:50", "auto:50"),
        ("https://api.sandbox.candescent.com", "0", "0"),
    ],
)
def test_rate_limit__adaptive_by_default_unless_on_loopback(
    target: str, given: str | None, rate: str
) -> None:
    flags = {"target": target, "rate_limit": given}
    assert str(load_settings(flags, None, CREDENTIALS).rate_limit) == rate


def test_file__unknown_key_suggests_the_closest(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('clinet_id = "x"\n')
    with pytest.raises(ConfigError, match="did you mean 'client_id'"):
        load_settings({}, config, {})


def test_file__missing_or_invalid_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings({}, tmp_path / "nope.toml", {})
    bad = tmp_path / "bad.toml"
    bad.write_text("target = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings({}, bad, {})


def test_secrets__never_in_repr() -> None:
    settings = load_settings(
        {"target": "embedded"},
        None,
        {**CREDENTIALS, "CONFORMANCE_SECOND_CLIENT_SECRET": "second-secret"},
    )
    assert "env-secret-value" not in repr(settings)
    assert "env-password" not in repr(settings)
    assert "second-secret" not in repr(settings)


def test_roles__each_missing_role_has_a_reason() -> None:
    roles = Settings(revoke_path="").roles()
    assert (
        roles["second_client"]
        == "needs CONFORMANCE_SECOND_CLIENT_ID and CONFORMANCE_SECOND_CLIENT_SECRET"
    )
    assert roles["restricted_client"] and "RESTRICTED" in roles["restricted_client"]
    assert roles["auth_code"] == "needs CONFORMANCE_AUTH_CODE_COMMAND"
    assert roles["revocation"] and "revoke_path" in roles["revocation"]
    assert roles["other_institution"] == "needs CONFORMANCE_OTHER_INSTITUTION_ID"


def test_roles__another_institution_from_any_source_and_only_for_the_platform() -> None:
    environ = {**CREDENTIALS, "CONFORMANCE_OTHER_INSTITUTION_ID": "00023"}
    settings = load_settings({"target": "http://x.test"}, None, environ)
    assert settings.other_institution_id == "00023"
    assert settings.roles()["other_institution"] is None
    assert "00023" in repr(settings)  # not a secret
    assert "CONFORMANCE_OTHER_INSTITUTION_ID" not in settings.shell_variables()
    rfc = load_settings({"target": "http://x.test", "contract": "rfc6749"}, None, CREDENTIALS)
    assert "other_institution" not in rfc.roles()  # RFC 6749 has no institutions


def test_missing_roles__checks_are_skipped_with_their_reason() -> None:
    with reference_context(
        second_client_id=None,
        restricted_client_id=None,
        special_client_id=None,
        other_institution_id=None,
        revoke_path="",
        with_auth_codes=False,
        examples=10,
    ) as context:
        outcomes = {o.case_id: o for o in context.judge_all()}
    expected = {
        "REFRESH-FOREIGN:refresh_token": "SECOND_CLIENT",
        "CLIENT-GRANT-FORBIDDEN:password": "RESTRICTED_CLIENT",
        "AUTH-SPECIAL-CHARS": "SPECIAL_CLIENT",
        "CODE-SUCCESS:authorization_code": "AUTH_CODE_COMMAND",
        "CODE-REUSE:authorization_code": "AUTH_CODE_COMMAND",
        "REVOKE-SUCCESS": "revoke_path",
        "REFRESH-REVOKED:refresh_token": "revoke_path",
        "INST-FOREIGN:client_credentials": "OTHER_INSTITUTION_ID",
        "INST-FOREIGN-403:password": "OTHER_INSTITUTION_ID",
    }
    for case_id, fragment in expected.items():
        assert outcomes[case_id].outcome == "skipped", case_id
        assert fragment in outcomes[case_id].message, (case_id, outcomes[case_id].message)
    assert not [o for o in outcomes.values() if o.outcome in {"failed", "error"}]


def test_lockout_cap__wrong_password_attempts_stop_at_the_cap() -> None:
    with reference_context(wrong_password_cap=1, examples=10) as context:
        outcomes = {o.case_id: o for o in context.judge_all()}
        assert context.wrong_password_attempts == 1
        labels = [e.label for e in context.exchanges("password_missing_fields")]
    # one of the two scenarios took the only attempt (they run concurrently); never both
    wrong_skipped = outcomes["PASSWORD-WRONG:password"].outcome == "skipped"
    assert wrong_skipped == ("no-password" in labels)
    if wrong_skipped:
        assert "the cap (1 per run" in outcomes["PASSWORD-WRONG:password"].message
    assert "no-username" in labels
    # the four near-misses of the password are sent all together or not at all
    whole = outcomes["PASSWORD-WHOLE:password"]
    assert whole.outcome == "skipped" and "needs 4 wrong-password logins" in whole.message


def test_lockout_cap__zero_sends_no_wrong_password() -> None:
    with reference_context(wrong_password_cap=0, examples=10) as context:
        with pytest.raises(Skipped, match="cap"):
            context.take_wrong_password_attempt("test")
        context.judge_all()
        bodies = [
            e.request.body
            for name in ("password_wrong", "password_missing_fields")
            for e in _recorded(context, name)
        ]
    assert all(b"Wrong-Passw0rd" not in body for body in bodies)


def _recorded(context, name):  # type: ignore[no-untyped-def]
    try:
        return context.exchanges(name)
    except Skipped:
        return []


def test_rfc6749_profile__its_own_edition_and_only_the_client_required(tmp_path: Path) -> None:
    environ = {"CONFORMANCE_CLIENT_ID": "c", "CONFORMANCE_CLIENT_SECRET": "s"}
    settings = load_settings({"target": "http://oauth.test", "contract": "rfc6749"}, None, environ)
    assert settings.edition == "rfc6749"
    assert not settings.platform
    assert settings.roles()["user"] == "needs CONFORMANCE_USERNAME and CONFORMANCE_PASSWORD"
    with pytest.raises(ConfigError) as raised:  # the platform profile still needs them all
        load_settings({"target": "http://oauth.test"}, None, environ)
    assert raised.value.setting == "institution_id"


def test_rfc6749_profile__a_platform_edition_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({"contract": "rfc6749", "edition": "1.11.0"}, None, {})
    assert raised.value.setting == "edition"
    assert "rfc6749" in str(raised.value)


def test_scope__flag_file_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "conformance.toml"
    config.write_text('contract = "rfc6749"\nscope = "read write"\n')
    assert load_settings({}, config, {}).scope == "read write"
    assert load_settings({}, None, {"CONFORMANCE_SCOPE": "profile"}).scope == "profile"
    assert load_settings({"scope": "email"}, config, {"CONFORMANCE_SCOPE": "x"}).scope == "email"


@pytest.mark.parametrize(
    ("given", "contract", "certification", "name"),
    [
        ({}, "platform", False, "default"),
        ({"contract": "rfc6749"}, "rfc6749", False, "rfc6749"),
        ({"certification": True}, "platform", True, "certification"),
        ({"contract": "rfc6749", "certification": True}, "rfc6749", True, "rfc6749 certification"),
    ],
)
def test_contract_and_certification__two_settings_and_the_name_reports_show(
    given: dict[str, object], contract: str, certification: bool, name: str
) -> None:
    settings = load_settings(given, None, {})
    assert (settings.contract, settings.certification, settings.profile) == (
        contract,
        certification,
        name,
    )
    assert settings.require_complete is certification  # a certificate covers every MUST
    assert validate(settings) == settings  # the name given back is valid as given


@pytest.mark.parametrize(
    ("profile", "contract", "certification", "replacement"),
    [
        ("rfc6749", "rfc6749", False, "--contract rfc6749"),
        ("certification", "platform", True, "--certification"),
    ],
)
def test_profile__an_alias_for_one_release_with_a_notice(
    profile: str, contract: str, certification: bool, replacement: str
) -> None:
    notices: list[str] = []
    settings = load_settings({}, None, {"CONFORMANCE_PROFILE": profile}, notices)
    assert (settings.contract, settings.certification) == (contract, certification)
    assert len(notices) == 1 and replacement in notices[0]
    assert load_settings({"contract": contract}, None, {}, notices := []) and notices == []


def test_contract__unknown_suggests_the_closest() -> None:
    with pytest.raises(ConfigError, match="did you mean 'rfc6749'") as raised:
        load_settings({"contract": "rfc6794"}, None, {})
    assert raised.value.setting == "contract"


def test_environment__the_tests_opt_in_variable_is_not_a_setting_nor_an_error() -> None:
    # CONFORMANCE_VENDOR_DOCS is for pytest (docs/spec-diff.md); a shell exporting it
    # still runs the suite, while a misspelt setting is still refused.
    assert load_settings({}, None, {"CONFORMANCE_VENDOR_DOCS": "/docs"}) == load_settings(
        {}, None, {}
    )
    with pytest.raises(ConfigError, match="CONFORMANCE_VENDOR_DOC"):
        load_settings({}, None, {"CONFORMANCE_VENDOR_DOC": "/docs"})
