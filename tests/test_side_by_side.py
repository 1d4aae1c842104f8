"""A fixed scenario's independent requests go side by side and are recorded in order."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any, cast

from conformance.exchange import Exchange
from conformance.scenarios.base import side_by_side


def _ctx(concurrency: int) -> Any:
    return SimpleNamespace(settings=SimpleNamespace(concurrency=concurrency))


def test_side_by_side__all_in_flight_at_once_recorded_in_the_order_given() -> None:
    together = threading.Barrier(3, timeout=30)  # broken unless all three wait at once

    def send(i: int) -> Exchange:
        together.wait()
        return cast(Exchange, i)

    assert side_by_side(_ctx(50), [lambda i=i: send(i) for i in range(3)]) == [0, 1, 2]


def test_side_by_side__a_concurrency_of_one_sends_one_after_another_here() -> None:
    threads: list[int] = []

    def send(i: int) -> Exchange:
        threads.append(threading.get_ident())
        return cast(Exchange, i)

    assert side_by_side(_ctx(1), [lambda i=i: send(i) for i in range(3)]) == [0, 1, 2]
    assert threads == [threading.get_ident()] * 3
