"""A run: what it makes of a target that throttles it, where hypothesis keeps its caches,
the heap it keeps out of the collector's way."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import httpx
import hypothesis
import pytest
import respx
from hypothesis.configuration import set_hypothesis_home_dir, storage_directory

from conformance.contract import load_contract
from conformance.exchange import Exchange
from conformance.run_context import Case, RunContext
from conformance.scenarios import SCENARIOS, Scenario
from conformance.settings import Settings
from conformance.tuning import frozen_heap as _frozen_heap
from conformance.tuning import private_hypothesis_home as _private_hypothesis_home

BASE = "https://target.test"


@respx.mock(base_url=BASE)
def test_throttled_past_the_retries__an_error_not_a_failure(respx_mock: respx.MockRouter) -> None:
    # 429 with Retry-After is back-pressure: honoured, and never held against the target.
    respx_mock.post("/oauth2/v1/token").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "1"})
    )
    settings = Settings(
        target=BASE,
        client_id="c",
        client_secret="s",
        institution_id="1",
        username="u",
        password="p",
    )
    context = RunContext(settings, BASE)
    case = Case(load_contract().requirement("CC-SUCCESS"), "client_credentials")
    with mock.patch("conformance.sender.time.sleep"):
        outcome = context.judge(case)
    context.close()
    assert outcome.outcome == "error"
    assert "kept answering HTTP 429 (throttled)" in outcome.message
    assert context.sender.retries_honoured == 6  # 3 retries for each of the 2 requests


@pytest.fixture
def hypothesis_home() -> Iterator[None]:
    """Puts hypothesis' storage directory back after a test that moves it."""
    previous = storage_directory(intent_to_write=False).path
    yield
    set_hypothesis_home_dir(previous)


def test_hypothesis_home__in_the_user_cache_and_kept_across_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hypothesis_home: None
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    expected = (
        tmp_path / "cache" / "candescent-conformance" / f"hypothesis-{hypothesis.__version__}"
    )
    for _ in range(2):  # a second run finds what the first stored
        _private_hypothesis_home.__wrapped__()
        assert storage_directory(intent_to_write=False).path == expected
        assert expected.is_dir()


def test_hypothesis_home__a_relative_xdg_cache_home_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hypothesis_home: None
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # the XDG spec: absolute only
    monkeypatch.setenv("HOME", str(tmp_path))
    _private_hypothesis_home.__wrapped__()
    home = storage_directory(intent_to_write=False).path
    assert home.parent == tmp_path / ".cache" / "candescent-conformance"


def test_hypothesis_home__a_temporary_directory_when_no_cache_can_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hypothesis_home: None
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    _private_hypothesis_home.__wrapped__()
    home = storage_directory(intent_to_write=False).path
    assert home.name.startswith("conformance-hypothesis-")
    assert home.is_dir()
    home.rmdir()


def test_frozen_heap__hands_the_objects_back_to_the_collector_afterwards() -> None:
    with pytest.raises(KeyError), _frozen_heap():
        assert gc.get_freeze_count() > 0
        raise KeyError("even when the run raises")
    assert gc.get_freeze_count() == 0


def test_prepare__a_property_alongside_generates_while_the_others_wait_and_not_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The one alongside lends its turn (as every send does) and waits for the other to
    # start: were they run one after the other, or both at once, this would show it.
    started, seen = threading.Event(), []

    def machine(ctx: RunContext) -> list[Exchange]:
        seen.append(("machine holds the turn", turns.holding_thread() == threading.get_ident()))
        with turns.waiting():
            seen.append(("the other started meanwhile", started.wait(5)))
        seen.append(("machine holds it again", turns.holding_thread() == threading.get_ident()))
        return []

    def other(ctx: RunContext) -> list[Exchange]:
        started.set()
        seen.append(("other holds the turn", turns.holding_thread() == threading.get_ident()))
        return []

    monkeypatch.setitem(
        SCENARIOS, "z_machine", Scenario("z_machine", machine, phase="property", alongside=True)
    )
    monkeypatch.setitem(SCENARIOS, "a_other", Scenario("a_other", other, phase="property"))
    context = RunContext(Settings(target=BASE, client_id="c", client_secret="s"), BASE)
    turns = context.sender.turns
    context.prepare(["z_machine", "a_other"])
    context.close()
    assert dict(seen) == {
        "machine holds the turn": True,
        "the other started meanwhile": True,
        "other holds the turn": True,
        "machine holds it again": True,
    }
