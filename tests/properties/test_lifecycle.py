"""The token lifecycle state machine against the reference over real HTTP.

On the clean reference it walks every step (login, refresh, reuse, revoke, use after
revocation, another client's token, tokens that are no refresh token) and no check
fails on what it recorded. Each lifecycle fault is caught by the machine's recording
alone, and only the faulted requirement fails: the model stops labelling what it no
longer knows. Logins stay few and never use a wrong password; the same seed sends
the same requests. The machines walking side by side generate one at a time, and what
each sends does not depend on how they interleave.
"""

from __future__ import annotations

import threading
from collections import Counter
from urllib.parse import parse_qsl

import pytest

from conformance.properties.lifecycle import (
    LOGIN_CAP,
    MACHINE_SHARE,
    MACHINES,
    MIN_WALKS,
    NAME,
    dealt,
)
from conformance.properties.recording import Recorder
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


def test_machines__walk_side_by_side_each_generating_only_in_its_turn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every request a machine decides on is decided inside hypothesis: the thread
    # deciding it must hold the run's turn, and more than one thread walks.
    deciding: list[tuple[int, bool]] = []
    request = Recorder.request

    def watched(self: Recorder, *args: object, **kwargs: object) -> object:
        if self.name == NAME:
            me = threading.get_ident()
            deciding.append((me, self.ctx.sender.turns.holding_thread() == me))
        return request(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Recorder, "request", watched)
    with reference_context(examples=100, seed=5) as ctx:
        exchanges = ctx.exchanges(NAME)
    assert exchanges and len(deciding) == len(exchanges)
    assert all(held for _, held in deciding)
    assert len({thread for thread, _ in deciding}) == MACHINES


def test_machines__what_each_sends_does_not_depend_on_how_they_interleave() -> None:
    # With a concurrency of 1 the machines walk one after another; side by side they
    # interleave as the answers come: each has its own seed, stream and sessions.
    def record(**overrides: object) -> list[tuple[object, ...]]:
        with reference_context(examples=100, seed=8, **overrides) as ctx:
            return requests_of(ctx, (NAME,))

    assert record() == record(concurrency=1)


@pytest.mark.parametrize(("examples", "machines"), [(10, 1), (50, 3), (100, 4), (400, 4)])
def test_machines__logins_are_dealt_out_within_the_cap(examples: int, machines: int) -> None:
    dealt_examples = max(2, examples // MACHINE_SHARE)
    count = max(1, min(MACHINES, dealt_examples // MIN_WALKS))
    assert count == machines
    assert sum(dealt(LOGIN_CAP, count)) == LOGIN_CAP
    assert sum(dealt(dealt_examples, count)) == dealt_examples
    assert min(dealt(dealt_examples, count)) >= min(MIN_WALKS, dealt_examples)
