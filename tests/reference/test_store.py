"""The token store on its own: outcomes, rotation, revocation, expiry sweep."""

from __future__ import annotations

from conformance.reference.store import Lifetimes, Outcome, TokenStore

from .conftest import FakeClock


def _store() -> tuple[TokenStore, FakeClock]:
    clock = FakeClock()
    return TokenStore(Lifetimes(access=100, refresh=1000, code=10), clock), clock


def test_store__code_outcomes() -> None:
    store, clock = _store()
    code = store.issue_code("a", "user", offline_access=True)
    assert store.redeem_code(code, "b") == (Outcome.FOREIGN, None)
    outcome, grant = store.redeem_code(code, "a")
    assert outcome is Outcome.OK and grant is not None and grant.offline_access
    assert store.redeem_code(code, "a") == (Outcome.USED, None)
    assert store.redeem_code("never", "a") == (Outcome.UNKNOWN, None)
    late = store.issue_code("a", "user", offline_access=False)
    clock.advance(10)
    assert store.redeem_code(late, "a") == (Outcome.EXPIRED, None)


def test_store__refresh_rotation_and_its_variants() -> None:
    store, _ = _store()
    first = store.issue("a", "user", refresh=True).refresh_token
    assert first is not None
    outcome, kept = store.refresh(first, "a", rotate=False)
    assert outcome is Outcome.OK and kept is not None and kept.refresh_token == first
    outcome, renewed = store.refresh(first, "a", keep_old=True)
    assert renewed is not None and renewed.refresh_token != first
    assert store.check_refresh(first, "a") is Outcome.OK
    store.refresh(first, "a")
    assert store.check_refresh(first, "a") is Outcome.USED
    assert store.check_refresh(first, "b") is Outcome.USED
    assert store.check_refresh("never", "a") is Outcome.UNKNOWN


def test_store__revocation_outcomes_and_dry_run() -> None:
    store, _ = _store()
    tokens = store.issue("a", "user", refresh=True)
    assert tokens.refresh_token is not None
    assert store.revoke(tokens.refresh_token, "b") is Outcome.FOREIGN
    assert store.revoke(tokens.refresh_token, "a", apply=False) is Outcome.OK
    assert store.access_token_valid(tokens.access_token)
    assert store.revoke(tokens.refresh_token, "a") is Outcome.OK
    assert not store.access_token_valid(tokens.access_token)
    assert store.check_refresh(tokens.refresh_token, "a") is Outcome.REVOKED


def test_store__expired_records_are_swept_eventually() -> None:
    store, clock = _store()
    old = store.issue("a", None, refresh=True)
    assert old.refresh_token is not None
    clock.advance(1001)
    for _ in range(600):  # past one sweep interval
        store.issue("a", None, refresh=False)
    assert store.check_refresh(old.refresh_token, "a") is Outcome.UNKNOWN
