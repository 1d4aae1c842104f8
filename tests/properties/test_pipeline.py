"""The pipeline that sends generated requests while the next ones are generated.

Answers are handed back in the order of submission, whatever order they come in; the
window bounds what is in flight; an error is raised in its turn and leaves nothing
sending. Against the reference, a pipelined property sends and records exactly what
it records one request at a time.
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import pytest

from conformance.exchange import ANONYMOUS
from conformance.properties.pipeline import WORKERS, Pipeline, workers_for
from conformance.sender import FORM, InFlight
from tests.fixtures.targets import reference_context


def test_answers__finished_in_submission_order_whatever_order_they_come_in() -> None:
    finished: list[int] = []

    def answer(i: int) -> int:
        time.sleep(0.01 * (8 - i))  # later submissions answer first
        return i

    with Pipeline[int](4) as pipeline:
        for i in range(8):
            pipeline.submit(functools.partial(answer, i), finished.append)
    assert finished == list(range(8))


def test_window__never_more_than_workers_in_flight_and_they_overlap() -> None:
    lock, flying, most = threading.Lock(), [0], [0]
    barrier = threading.Barrier(3, timeout=5)  # three must be in flight at once

    def send() -> None:
        with lock:
            flying[0] += 1
            most[0] = max(most[0], flying[0])
        barrier.wait()
        with lock:
            flying[0] -= 1

    with Pipeline[None](3) as pipeline:
        for _ in range(9):
            pipeline.submit(send, lambda _: None)
    assert most[0] == 3


def test_error__raised_in_its_turn_and_nothing_left_sending() -> None:
    finished: list[int] = []
    started = threading.Event()
    done: list[int] = []

    def slow(i: int) -> int:
        started.set()
        time.sleep(0.05)
        done.append(i)
        return i

    def fails() -> int:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"), Pipeline[int](2) as pipeline:
        pipeline.submit(lambda: slow(0), finished.append)
        pipeline.submit(fails, finished.append)
        pipeline.submit(lambda: slow(2), finished.append)  # waits for 0, then raises
        pipeline.submit(lambda: slow(3), finished.append)
    assert finished == [0]
    assert started.is_set() and 0 in done and set(done) <= {0, 2, 3}
    settled = list(done)
    time.sleep(0.1)
    assert done == settled  # nothing still sending after the pipeline is left


X, Y = "3f1c2a5e-8b9d-4c7e-a1f2-0b3c4d5e6f70", "0E7B6A35-93F4-4D7A-9D0E-2A8C5F1B3E47"


def _flown(flying: InFlight, transaction_id: object, send: Any) -> tuple[Any, frozenset[str]]:
    with flying.flying(transaction_id) as beside:
        answer = send()
    return answer, frozenset(beside)


def test_in_flight__each_request_knows_the_ids_that_flew_beside_it() -> None:
    flying = InFlight()
    assert _flown(flying, X, lambda: 1) == (1, frozenset())
    assert _flown(flying, Y, lambda: 2) == (2, frozenset())  # one after the other: alone
    started, release = threading.Event(), threading.Event()

    def first() -> str:
        started.set()
        release.wait(5)
        return "first"

    def last() -> str:
        release.set()
        return "last"

    answers: list[tuple[str, frozenset[str]]] = []
    with Pipeline[tuple[str, frozenset[str]]](3) as pipeline:
        pipeline.submit(lambda: _flown(flying, X, first), answers.append)
        started.wait(5)
        pipeline.submit(lambda: _flown(flying, "not-a-uuid", lambda: "no id"), answers.append)
        pipeline.submit(lambda: _flown(flying, Y, last), answers.append)
    assert answers == [
        ("first", frozenset({ANONYMOUS, Y.lower()})),  # both started while X flew
        ("no id", frozenset({X})),
        ("last", frozenset({X})),
    ]


def test_workers__capped_by_the_runs_concurrency() -> None:
    assert workers_for(50) == WORKERS == 16
    assert workers_for(3) == 3
    assert workers_for(0) == 1


PIPELINED = (
    "prop_positive",
    "prop_negative",
    "prop_coverage",
    "prop_txid_echo",
    "prop_txid_case",
    "prop_txid_invalid",
    "prop_scopes",
    "prop_param_order",
)


def _sent(**overrides: Any) -> list[tuple[object, ...]]:
    """What the pipelined properties sent, in the order recorded; issued refresh tokens
    and codes (which differ per run) masked."""
    with reference_context(examples=12, seed=41, **overrides) as ctx:
        return [
            (
                e.scenario,
                e.label,
                e.request.method,
                urlsplit(e.request.url).path,
                tuple((k, v) for k, v in e.request.headers if k.lower() != "host"),
                ctx.redactor.body(e.request.body, FORM),
                e.status,
            )
            for name in PIPELINED
            for e in ctx.exchanges(name)
        ]


def test_reference__one_in_flight_or_several_the_same_requests_in_the_same_order() -> None:
    one_in_flight, pipelined = _sent(concurrency=1), _sent()
    assert len(pipelined) > 100
    assert pipelined == one_in_flight
