"""How fast requests leave for the target, and what it pushed back with.

`RateLimit` is the setting (`--rate-limit`): `0` unlimited, `N` at most N requests a
second, `auto` adaptive, `auto:N` adaptive and never above N. `Pacer` says when each
request may leave. The adaptive rate is AIMD, as in TCP's congestion control: it starts
at START_RATE, grows by START_GROWTH after each clean second until the first
back-pressure answer, is multiplied by DECREASE on a back-pressure answer, and grows by
INCREASE after each clean second, so it settles just under what the target takes.
`BackPressureLog` counts the back-pressure answers and the rate they came at, for the
run's summary.
"""

from __future__ import annotations

import bisect
import ipaddress
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

AUTO = "auto"
START_RATE = 10.0  # requests per second: moderate for a sandbox, quick to leave
# Until the first back-pressure answer the rate is multiplied by this after each clean
# second: nothing is known of the target yet, and +INCREASE took 15 s to reach 25 req/s.
START_GROWTH = 1.25
# As TCP CUBIC's: over a cycle the rate averages (1 + DECREASE) / 2 of what the target
# takes. Against the reference spike-arrested at 25 req/s, 0.5 took 1.41-1.54 times the
# time the requests need at 25 req/s (benchmarks/bench.py), 0.7 about 1.35.
DECREASE = 0.7
INCREASE = 1.0  # requests per second, added after each clean second
CLEAN_SECOND = 1.0
# A cut takes effect only once the target's window (a second, for a spike arrest) holds
# none of what came before it: answers to requests that left sooner do not cut again.
CUT_SETTLES = 1.0
FLOOR = 0.5  # the adaptive rate never drops below one request every two seconds
MAX_RETRY_WAIT = 10.0
# Backoffs are stretched by up to this share, at random: requests pushed back together
# do not all come back together. Never shortened: the target asked for at least that.
JITTER = 0.5
# Departures are kept this long (seconds) for the rate a back-pressure answer came at:
# longer than any answer takes; forgotten in batches, once there are this many.
HORIZON = 120.0
FORGET_AFTER = 4096


def retry_after_seconds(value: str | None, attempt: int, stretch: float = 0.0) -> float:
    """Seconds to wait before retrying: Retry-After when it is a number, else an
    exponential backoff stretched by `stretch` (the jitter); capped either way."""
    if value is not None and value.strip().isdigit():
        return min(float(value.strip()), MAX_RETRY_WAIT)
    return min(0.5 * 2.0 ** min(attempt, 16) * (1.0 + stretch), MAX_RETRY_WAIT)


@dataclass(frozen=True)
class RateLimit:
    """The rate setting. Fixed: `rate` requests per second (0: unlimited). Adaptive:
    AIMD, never above `rate` (0: no ceiling)."""

    adaptive: bool = False
    rate: float = 0.0

    @classmethod
    def parse(cls, value: object) -> RateLimit:
        """`0`, `N`, `auto` or `auto:N`; ValueError for anything else."""
        text = str(value).strip().lower()
        if text == AUTO:
            return cls(adaptive=True)
        adaptive = text.startswith(AUTO + ":")
        rate = float(text.removeprefix(AUTO + ":"))  # ValueError for words
        if not math.isfinite(rate) or rate < 0 or (adaptive and rate == 0):
            raise ValueError(value)
        return cls(adaptive, rate)

    def __str__(self) -> str:
        number = f"{self.rate:g}"
        if self.adaptive:
            return f"{AUTO}:{number}" if self.rate else AUTO
        return number


UNLIMITED = RateLimit()
ADAPTIVE = RateLimit(adaptive=True)


def default_rate_limit(target: str | None) -> RateLimit:
    """Adaptive for a real target, paced until it shows what it takes; unlimited for
    one on this machine (a local build; None: the embedded reference), which is nobody
    else's sandbox."""
    host = (urlsplit(target).hostname or "") if target else "localhost"
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    return UNLIMITED if local else ADAPTIVE


@dataclass(frozen=True)
class Burst:
    """Requests released together (TXID-CONCURRENT's batches, D30's code burst): their
    moment was reserved once for all (`Pacer.reserve` with their count), so none of
    them is paced alone, and none is retried, since a retry would not be simultaneous."""

    size: int
    at: float


def _monotonic() -> float:
    return time.monotonic()  # looked up on each call, so a test's patched clock applies


class Pacer:
    """When each request may leave: thread-safe, one per run (the Sender's)."""

    def __init__(self, limit: RateLimit | None, clock: Callable[[], float] | None = None):
        self.limit = limit or UNLIMITED
        self._clock = clock or _monotonic
        self._lock = threading.Lock()
        self._ceiling = self.limit.rate or math.inf
        rate = min(START_RATE, self._ceiling) if self.limit.adaptive else self.limit.rate
        self._rate: float | None = rate or None  # None: unlimited
        self._next = 0.0  # when the next request may leave
        self._changed = self._clock()  # the last change of the rate
        self._cut = -math.inf  # the last cut
        self._held = False  # a request waited for its moment since the last change
        self._start = self._rate  # the rate the run starts at (None: unlimited)

    @property
    def rate(self) -> float | None:
        """Requests per second now; None when unlimited."""
        return self._rate

    def burst_cap(self, wanted: int) -> int:
        """How many of `wanted` requests a burst released together may hold: no more
        than one second at the rate the run starts at (the fixed rate, or the adaptive
        start), at least two. A burst larger than the rate is what a spike arrest
        refuses (50 at once, against 25 a second, got 25 refusals: no verdict). The
        start, not the rate now, so that the same settings send the same bursts."""
        if self._start is None:
            return wanted
        return max(2, min(wanted, math.floor(self._start)))

    def reserve(self, count: int = 1) -> float:
        """The moment (on the pacer's clock) `count` requests may leave together.

        A burst of several stands for `count` requests at the rate on each side of it:
        nothing leaves as long before as after it, so no second around it holds more
        than the rate allows. One request is the same rule with `count` 1."""
        with self._lock:
            now = self._clock()
            at = now
            if self._rate is not None:
                gap = 1.0 / self._rate
                at = max(now, self._next + (count - 1) * gap)
                self._next = at + count * gap
                self._held = self._held or at > now
            return at

    def answered(self, sent_at: float, back_pressure: bool) -> None:
        """Adapt to an answer to a request that left at `sent_at` (adaptive only).

        A back-pressure answer cuts the rate, once for the requests that left after the
        last cut had settled (CUT_SETTLES): those sent sooner met a target still counting
        what came at the old rate, and say nothing of the new. A clean answer grows it,
        once a clean second has passed since the last change, and only while the pacer
        held requests back: a rate the run never reached says nothing about what the
        target takes."""
        if not self.limit.adaptive or self._rate is None:
            return
        with self._lock:
            now = self._clock()
            if back_pressure:
                if sent_at >= self._cut + CUT_SETTLES:
                    self._rate = max(FLOOR, self._rate * DECREASE)
                    self._changed = self._cut = now
                    self._held = False
            elif self._held and now - self._changed >= CLEAN_SECOND:
                before_any_cut = self._cut == -math.inf
                grown = self._rate * START_GROWTH if before_any_cut else self._rate + INCREASE
                self._rate = min(self._ceiling, grown)
                self._changed = now
                self._held = False


class BackPressureLog:
    """The back-pressure answers of a run: how many, of which kind, at what rate (the
    requests that left in the second before the one pushed back, as a target's sliding
    window counts them), and those no retry outlasted: still there when the retries ran
    out, or in a burst (the Sender counts the retries themselves: `retries_honoured`)."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self._clock = clock or _monotonic
        self._lock = threading.Lock()
        self._left: list[float] = []  # when requests left, in order, over HORIZON
        self._kinds: Counter[str] = Counter()
        self._rates: list[int] = []
        self.unresolved = self.in_bursts = 0

    def left(self) -> float:
        """Note that a request leaves now; return the moment, for `record`."""
        with self._lock:
            now = self._clock()
            self._left.append(now)
            if len(self._left) > FORGET_AFTER and self._left[0] < now - HORIZON:
                del self._left[: bisect.bisect_left(self._left, now - HORIZON)]
            return now

    def record(self, kind: str, left: float) -> None:
        """A back-pressure answer of `kind` to the request that left at `left`."""
        with self._lock:
            self._kinds[kind] += 1
            before = bisect.bisect_right(self._left, left - 1.0)
            self._rates.append(bisect.bisect_right(self._left, left) - before)

    def count(self, what: str) -> None:
        """One more `unresolved` or `in_bursts`."""
        with self._lock:
            setattr(self, what, getattr(self, what) + 1)

    def summary(self) -> dict[str, Any]:
        """JSON-ready: answers, by kind, the rate they came at (requests in the second
        before each: lowest, highest), unresolved, in bursts."""
        with self._lock:
            rates = sorted(self._rates)
            return {
                "answers": sum(self._kinds.values()),
                "by_kind": dict(sorted(self._kinds.items())),
                "rate_seen": [rates[0], rates[-1]] if rates else None,
                "unresolved": self.unresolved,
                "in_bursts": self.in_bursts,
            }
