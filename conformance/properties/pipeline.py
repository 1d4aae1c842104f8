"""Sending generated requests while the next ones are generated, recorded in order.

Generation (hypothesis, schemathesis) and schemathesis' verdicts stay in the calling
thread: neither is safe in several threads at once (lazy imports, and CPython 3.11's
`ast`). Only the sending goes to worker threads, through the run's thread-safe
`Sender`. A property hands each request to `Pipeline.submit` as soon as it is
generated, with what to do with the answer (`finish`); the pipeline calls `finish` in
the calling thread and in the order of submission, whatever order the answers come in,
so a property records in generation order and the same seed records the same list.

At most `workers` requests are in flight: `submit` waits for the oldest one when the
window is full (back-pressure), so generation never runs far ahead of the target and a
stop (time, budget, an error) is seen within a window. A property whose next request
depends on an answer (a refresh chain, the lifecycle machine) does not submit: it
sends and waits.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from types import TracebackType
from typing import Generic, TypeVar

R = TypeVar("R")

# Requests one property keeps in flight, at most (never more than settings.concurrency).
# Measured against a target 50 ms away (benchmarks/profile_run.py --latency 0.05): 8
# left the properties waiting 2 s longer in all; 16 costs nothing measurable nearby.
WORKERS = 16


def workers_for(concurrency: int, limit: int = WORKERS) -> int:
    """Workers of a property's pipeline: `limit`, never more than the run's concurrency."""
    return max(1, min(limit, concurrency))


class Pipeline(Generic[R]):
    """A bounded window of requests in flight; answers handed back in submission order.

    Use as a context manager: leaving it normally waits for every answer and finishes
    them in order; leaving it on an error waits for the requests in flight (nothing
    is left sending) and drops their answers.
    """

    def __init__(
        self,
        workers: int,
        name: str = "conformance-pipeline",
        waiting: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> None:
        self.workers = max(1, workers)
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix=name)
        self._pending: deque[tuple[Future[R], Callable[[R], object]]] = deque()
        self._waiting = waiting  # around each wait for an answer (`concurrency.Turns.waiting`)

    def __enter__(self) -> Pipeline[R]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                self.drain()
        finally:
            self._pending.clear()
            self._pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, send: Callable[[], R], finish: Callable[[R], object]) -> None:
        """Run `send` in a worker; `finish(answer)` later, here, in submission order.
        An exception `send` raises is raised here, in order, instead of `finish`."""
        self.ready()
        while len(self._pending) >= self.workers:
            self._finish_oldest()
        self._pending.append((self._pool.submit(send), finish))

    def ready(self) -> None:
        """Finish the answers already in, oldest first, up to the first one still out."""
        while self._pending and self._pending[0][0].done():
            self._finish_oldest()

    def drain(self) -> None:
        """Wait for every answer and finish them in order."""
        while self._pending:
            self._finish_oldest()

    def _finish_oldest(self) -> None:
        future, finish = self._pending.popleft()
        with self._waiting():
            answer = future.result()
        finish(answer)
