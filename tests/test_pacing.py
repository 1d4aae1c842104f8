"""Pacing: the rate setting, the adaptive rate (AIMD), bursts, backoff, and the count of
back-pressure answers. A hand-moved clock: nothing here waits or measures time."""

from __future__ import annotations

import pytest

from conformance.pacing import (
    DECREASE,
    FLOOR,
    INCREASE,
    MAX_RETRY_WAIT,
    START_GROWTH,
    START_RATE,
    BackPressureLog,
    Pacer,
    RateLimit,
    default_rate_limit,
    retry_after_seconds,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("given", "adaptive", "rate", "spelled"),
    [
        ("0", False, 0.0, "0"),
        ("5", False, 5.0, "5"),
        (2.5, False, 2.5, "2.5"),
        ("auto", True, 0.0, "auto"),
        (" AUTO:50 ", True, 50.0, "auto:50"),
    ],
)
def test_rate_limit__the_four_forms(
    given: object, adaptive: bool, rate: float, spelled: str
) -> None:
    limit = RateLimit.parse(given)
    assert (limit.adaptive, limit.rate, str(limit)) == (adaptive, rate, spelled)


@pytest.mark.parametrize("given", ["", "fast", "-1", "nan", "inf", "auto:", "auto:0", "auto:x"])
def test_rate_limit__anything_else_is_refused(given: str) -> None:
    with pytest.raises(ValueError):
        RateLimit.parse(given)


@pytest.mark.parametrize(
    ("target", "spelled"),
    [
        (None, "0"),  # the embedded reference
        ("http://127.0.0.1:8400", "0"),
        ("http://localhost:8400", "0"),
        ("http://[::1]:8400", "0"),
        ("https://api.sandbox.candescent.com", "auto"),
        ("http://10.1.2.3", "auto"),
    ],
)
def test_default__adaptive_for_a_remote_target_unlimited_on_loopback(
    target: str | None, spelled: str
) -> None:
    assert str(default_rate_limit(target)) == spelled


def test_unlimited__every_request_leaves_at_once() -> None:
    clock = Clock()
    pacer = Pacer(RateLimit(), clock)
    assert [pacer.reserve() for _ in range(3)] == [1000.0] * 3
    assert pacer.rate is None


def test_fixed__requests_spaced_by_the_rate_which_never_changes() -> None:
    clock = Clock()
    pacer = Pacer(RateLimit(rate=4.0), clock)
    assert [pacer.reserve() for _ in range(3)] == [1000.0, 1000.25, 1000.5]
    pacer.answered(1000.0, back_pressure=True)
    assert pacer.rate == 4.0


def test_aimd__starts_moderate_and_cuts_on_back_pressure() -> None:
    clock = Clock()
    pacer = Pacer(RateLimit.parse("auto"), clock)
    assert pacer.rate == START_RATE
    sent = pacer.reserve()
    pacer.answered(sent, back_pressure=True)
    assert pacer.rate == START_RATE * DECREASE


def test_aimd__answers_to_requests_sent_before_the_cut_settled_do_not_cut_again() -> None:
    clock = Clock()
    pacer = Pacer(RateLimit.parse("auto"), clock)
    early = [pacer.reserve() for _ in range(5)]
    clock.now = early[-1]
    for sent in early:  # one crowded second: one cut
        pacer.answered(sent, back_pressure=True)
    assert pacer.rate == START_RATE * DECREASE
    clock.now += 2.0
    pacer.answered(pacer.reserve(), back_pressure=True)  # still too fast, later on
    assert pacer.rate == START_RATE * DECREASE**2


def test_aimd__never_below_the_floor() -> None:
    clock = Clock()
    pacer = Pacer(RateLimit.parse("auto"), clock)
    for _ in range(20):
        clock.now += 5.0
        pacer.answered(pacer.reserve(), back_pressure=True)
    assert pacer.rate == FLOOR


def _clean_seconds(pacer: Pacer, clock: Clock, seconds: int) -> None:
    """`seconds` seconds of clean answers, with requests always waiting for their turn."""
    for _ in range(seconds):
        pacer.reserve()
        pacer.reserve()  # the second waits: the pacer holds requests back
        clock.now += 1.0
        pacer.answered(clock.now, back_pressure=False)


def test_aimd__grows_by_a_share_each_clean_second_until_the_first_back_pressure() -> None:
    clock = Clock()
    pacer = Pacer(RateLimit.parse("auto"), clock)
    _clean_seconds(pacer, clock, 3)
    assert pacer.rate == pytest.approx(START_RATE * START_GROWTH**3)


def test_aimd__after_a_cut_grows_by_one_request_a_second_for_each_clean_second() -> None:
    clock = Clock()
    pacer = Pacer(RateLimit.parse("auto"), clock)
    pacer.answered(pacer.reserve(), back_pressure=True)
    clock.now += 1.0
    _clean_seconds(pacer, clock, 3)
    assert pacer.rate == pytest.approx(START_RATE * DECREASE + 3 * INCREASE)


def test_aimd__does_not_grow_while_nothing_waits_for_it() -> None:
    clock = Clock()
    pacer = Pacer(RateLimit.parse("auto"), clock)
    for _ in range(5):  # one request every two seconds: the rate never holds one back
        clock.now += 2.0
        pacer.answered(pacer.reserve(), back_pressure=False)
    assert pacer.rate == START_RATE


def test_aimd__never_above_the_ceiling() -> None:
    clock = Clock()
    pacer = Pacer(RateLimit.parse("auto:12"), clock)
    _clean_seconds(pacer, clock, 10)
    assert pacer.rate == 12.0
    low = Pacer(RateLimit.parse("auto:4"), clock)
    assert low.rate == 4.0  # the start never exceeds the ceiling either
    _clean_seconds(low, clock, 3)
    assert low.rate == 4.0


def test_aimd__after_a_cut_it_grows_back() -> None:
    clock = Clock()
    pacer = Pacer(RateLimit.parse("auto"), clock)
    pacer.answered(pacer.reserve(), back_pressure=True)
    clock.now += 1.0
    _clean_seconds(pacer, clock, 2)
    assert pacer.rate == START_RATE * DECREASE + 2 * INCREASE


def test_burst__leaves_as_one_with_the_rate_kept_on_both_sides() -> None:
    clock = Clock()
    pacer = Pacer(RateLimit(rate=10.0), clock)
    before = pacer.reserve()
    burst = pacer.reserve(5)
    after = pacer.reserve()
    # Five requests' worth of quiet before the burst and after it: no second around it
    # holds more than the rate allows.
    assert burst - before == pytest.approx(0.5)
    assert after - burst == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("limit", "wanted", "cap"),
    [
        ("0", 50, 50),
        ("4", 50, 4),
        ("auto", 50, int(START_RATE)),
        ("auto:6", 50, 6),
        ("auto", 5, 5),
        ("0.5", 50, 2),
    ],
)
def test_burst__never_more_than_a_second_at_the_starting_rate(
    limit: str, wanted: int, cap: int
) -> None:
    pacer = Pacer(RateLimit.parse(limit), Clock())
    assert pacer.burst_cap(wanted) == cap
    pacer.answered(pacer.reserve(), back_pressure=True)  # the rate now does not change it
    assert pacer.burst_cap(wanted) == cap


def test_burst__unlimited_leaves_at_once() -> None:
    clock = Clock()
    assert Pacer(RateLimit(), clock).reserve(50) == clock.now


def test_backoff__retry_after_honoured_else_exponential_stretched_never_shortened() -> None:
    assert retry_after_seconds("2", 0, stretch=0.5) == 2.0  # the target's word, as given
    assert retry_after_seconds(None, 0) == 0.5
    assert retry_after_seconds(None, 1, stretch=0.5) == 1.5
    assert retry_after_seconds(None, 30, stretch=0.5) == MAX_RETRY_WAIT


def test_log__counts_by_kind_and_the_rate_the_target_saw() -> None:
    clock = Clock()
    log = BackPressureLog(clock)
    for _ in range(3):
        log.left()
        clock.now += 0.1
    clock.now += 5.0
    last = log.left()
    log.record("spike arrest", last)  # alone in its second
    log.record("spike arrest", 1000.2)  # the third of three within a second
    log.record("quota", last)
    log.count("unresolved")
    assert log.summary() == {
        "answers": 3,
        "by_kind": {"quota": 1, "spike arrest": 2},
        "rate_seen": [1, 3],
        "unresolved": 1,
        "in_bursts": 0,
    }
