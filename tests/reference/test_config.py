"""Accounts, faults and app options: defaults, TOML loading, validation messages."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

import conformance.reference as reference
from conformance.reference import (
    FAULTS,
    create_app,
    default_accounts,
    describe_credentials,
    load_accounts,
    parse_faults,
)

from .helpers import CLIENT, RESTRICTED, SECOND, SPECIAL, USER

ALL_GRANTS = frozenset({"client_credentials", "password", "authorization_code", "refresh_token"})

GOOD_TOML = """
[[institutions]]
id = "00016"

[[institutions]]
id = "00042"

[[clients]]
client_id = "toml-client"
client_secret = "toml-secret"
institution_id = "00042"
grants = ["client_credentials", "password"]
scopes = ["accounts:read"]

[[users]]
username = "toml-user"
password = "toml-password"
institution_id = "00042"
"""


def test_exports__are_sorted_and_complete() -> None:
    assert reference.__all__ == sorted(reference.__all__)
    assert set(reference.__all__) == {
        "Accounts",
        "FAULTS",
        "Fault",
        "ReferenceServer",
        "create_app",
        "default_accounts",
        "describe_credentials",
        "load_accounts",
        "parse_faults",
    }


def test_default_accounts__hold_the_documented_credentials() -> None:
    accounts = default_accounts()
    # 00023: an institution no client belongs to (D26)
    assert [i.id for i in accounts.institutions] == ["00016", "00023"]
    expected = {
        CLIENT: ALL_GRANTS,
        SECOND: ALL_GRANTS,
        RESTRICTED: frozenset({"client_credentials"}),
        SPECIAL: ALL_GRANTS,
    }
    for (client_id, secret), grants in expected.items():
        client = accounts.client(client_id)
        assert client is not None
        assert client.client_secret == secret
        assert client.grants == grants
        assert client.institution_id == "00016"
        assert client.scopes == frozenset({"accounts:read", "transactions:read"})
    user = accounts.user(USER[0])
    assert user is not None and (user.password, user.institution_id) == (USER[1], "00016")


def test_default_accounts__secrets_stay_out_of_repr() -> None:
    assert "reference-secret-1" not in repr(default_accounts())
    assert "Reference-Passw0rd!" not in repr(default_accounts())


def test_describe_credentials__lists_every_client_and_user() -> None:
    text = describe_credentials(default_accounts())
    for client_id, secret in (CLIENT, SECOND, RESTRICTED, SPECIAL, USER):
        assert client_id in text and secret in text
    assert "sp%C3%A9cial%3Aclient+%25%2B" in text  # the encoded form, for client developers


def test_load_accounts__reads_a_toml_file(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(GOOD_TOML, encoding="utf-8")
    accounts = load_accounts(path)
    client = accounts.client("toml-client")
    assert client is not None
    assert client.institution_id == "00042"
    assert client.grants == frozenset({"client_credentials", "password"})
    assert accounts.user("toml-user") is not None
    assert accounts.has_institution("00042")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t + "\n[[banks]]\nid = '1'\n", "banks: unknown key"),
        (
            lambda t: t.replace('client_secret = "toml-secret"\n', ""),
            "clients[0].client_secret: missing",
        ),
        (
            lambda t: t.replace(
                'grants = ["client_credentials", "password"]', 'grants = "password"'
            ),
            "clients[0].grants",
        ),
        (
            lambda t: t.replace('"password"]', '"implicit"]'),
            "clients[0].grants: unknown grant 'implicit'",
        ),
        (
            lambda t: t.replace(
                'institution_id = "00042"\ngrants', 'institution_id = "00099"\ngrants'
            ),
            "clients[0].institution_id: unknown institution '00099'",
        ),
        (lambda t: t.replace('username = "toml-user"', "username = 7"), "users[0].username"),
        (
            lambda t: t.replace('password = "toml-password"', 'password = "x"\ncolour = "blue"'),
            "users[0].colour: unknown key",
        ),
        (lambda t: t.replace('id = "00042"', 'id = "00016"'), "institutions[1].id: duplicate"),
        (lambda t: t + "\n[[clients\n", "not valid TOML"),
        (lambda t: "clients = 3\n", "clients: expected an array of tables"),
    ],
    ids=[
        "unknown-table",
        "missing-key",
        "wrong-type",
        "unknown-grant",
        "unknown-institution",
        "non-string",
        "unknown-key",
        "duplicate",
        "bad-toml",
        "not-an-array",
    ],
)
def test_load_accounts__bad_file_names_the_bad_key(
    tmp_path: Path, change: Callable[[str], str], message: str
) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(change(GOOD_TOML), encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(message)):
        load_accounts(path)


def test_faults__each_names_the_requirement_it_breaks_and_how() -> None:
    # A requirement may have several faults: each is a realistic way to break it (D1 on
    # error statuses, and on the answer to another method). What a fault breaks is proven
    # over real HTTP (tests/test_suite_against_reference.py).
    # (Platform faults; the rfc6749-only ones are checked in test_rfc6749_edition.py.)
    platform = {name: f for name, f in FAULTS.items() if f.requirement is not None}
    for name, fault in platform.items():
        assert fault.name == name
        assert re.fullmatch(r"[A-Z0-9]+(-[A-Z0-9]+)+", fault.requirement or "")
        assert fault.description


def test_parse_faults__unknown_name_suggests_the_closest() -> None:
    with pytest.raises(
        ValueError, match="unknown fault 'token-type-mack'; did you mean 'token-type-mac'"
    ):
        parse_faults(["token-type-mack"])


def test_parse_faults__accepts_names_and_comma_separated_text() -> None:
    assert parse_faults(["token-type-mac", " revoke-noop "]) == {"token-type-mac", "revoke-noop"}
    assert parse_faults("token-type-mac,revoke-noop,") == {"token-type-mac", "revoke-noop"}
    assert parse_faults([]) == frozenset()


def test_create_app__rejects_unknown_editions_faults_and_lifetimes() -> None:
    with pytest.raises(ValueError, match="unknown edition '2.0'"):
        create_app(edition="2.0")
    with pytest.raises(ValueError, match="did you mean 'revoke-noop'"):
        create_app(faults={"revoke-nop"})
    with pytest.raises(ValueError, match="lifetimes must be positive"):
        create_app(code_lifetime=0)
