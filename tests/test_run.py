"""A run: what it makes of a target that throttles it, where hypothesis keeps its caches,
the heap it keeps out of the collector's way."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import httpx
import hypothesis
import pytest
import respx
from hypothesis.configuration import set_hypothesis_home_dir, storage_directory

from conformance.contract import load_contract
from conformance.run import Case, RunContext, _private_hypothesis_home
from conformance.runner import _frozen_heap
from conformance.settings import Settings

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
