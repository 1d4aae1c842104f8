"""The token lifecycle state machine against the reference over real HTTP.

On the clean reference it walks every step (login, refresh, reuse, revoke, use after
revocation, another client's token, tokens that are no refresh token) and no check
fails on what it recorded. Each lifecycle fault is caught by the machine's recording
alone, and only the faulted requirement fails: the model stops labelling what it no
longer knows. Logins stay few and never use a wrong password; the same seed sends
the same requests.
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qsl

import pytest

from conformance.properties.lifecycle import LOGIN_CAP, NAME
from tests.fixtures.targets import reference_context
from tests.properties.test_hypothesis_phase import failures, requests_of

LABELS = {
    "login",
    "refresh",
    "reuse",
    "revoke",
    "after-revoke",
    "other-client",
    "never-issued",
    "access-as-refresh",
}
SEEDS = (1, 2)


@pytest.mark.parametrize("seed", SEEDS)
def test_clean_reference__every_step_is_walked_and_no_check_fails(seed: int) -> None:
    with reference_context(examples=100, seed=seed) as ctx:
        exchanges = ctx.exchanges(NAME)
        assert failures(ctx, (NAME,)) == []
        password = ctx.settings.password
        wrong = ctx.wrong_password_attempts
    labels = Counter(e.label for e in exchanges)
    assert set(labels) >= LABELS
    assert labels["login"] <= LOGIN_CAP
    logins = [dict(parse_qsl(e.request.body.decode())) for e in exchanges if e.grant == "password"]
    assert logins and all(form["password"] == password for form in logins)
    assert wrong == 0
    assert all(e.issued_token() for e in exchanges if e.label in {"login", "refresh"})


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("fault", "requirement"),
    [
        ("rotated-refresh-still-valid", "REFRESH-REUSE"),
        ("revoke-noop", "REFRESH-REVOKED"),
        ("refresh-not-bound-to-client", "REFRESH-FOREIGN"),
        ("unknown-refresh-accepted", "REFRESH-UNKNOWN"),
    ],
)
def test_fault__caught_by_the_lifecycle_alone(fault: str, requirement: str, seed: int) -> None:
    with reference_context(faults=frozenset({fault}), examples=100, seed=seed) as ctx:
        found = failures(ctx, (NAME,))
    assert [f.split(":")[0] for f in found] == [requirement]


def test_roles__without_second_client_or_revocation_those_steps_are_left_out() -> None:
    overrides = {"second_client_id": None, "second_client_secret": None, "revoke_path": ""}
    with reference_context(examples=50, seed=4, **overrides) as ctx:
        labels = {e.label for e in ctx.exchanges(NAME)}
        assert failures(ctx, (NAME,)) == []
    assert {"refresh", "reuse", "never-issued"} <= labels
    assert not labels & {"other-client", "revoke", "after-revoke"}


def test_same_seed__same_requests_other_seed__other_requests() -> None:
    def record(seed: int) -> list[tuple[object, ...]]:
        with reference_context(examples=40, seed=seed) as ctx:
            return requests_of(ctx, (NAME,))

    first, again, other = record(21), record(21), record(22)
    assert first == again
    assert first != other
