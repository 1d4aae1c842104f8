"""How requests share the wire and the generators: who may fly beside whom, which thread
may generate input, and what flew beside each request. The Sender uses all three."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from conformance.exchange import ANONYMOUS, valid_transaction_id


class Gate:
    """Lets requests fly concurrently, except while one thread holds it exclusively.

    The echo baseline (`txid_echo`) is sent with nothing else in flight: TXID-CONCURRENT
    compares what concurrent requests get back against what one request alone gets. Every
    other request may fly beside others; what flew beside it is recorded (`InFlight`).

    A burst released together (`together`) and an exclusive section wait for each other:
    held at the gate, a burst would leave after its moment, into the quiet the rate limit
    kept after it for others (`pacing.Pacer.reserve`).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._in_flight = 0
        self._owner: int | None = None
        self._bursts = 0

    @contextmanager
    def shared(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._cond:
            while self._owner is not None and self._owner != me:
                self._cond.wait()
            self._in_flight += 1
        try:
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()

    @contextmanager
    def together(self) -> Iterator[None]:
        """Within, no exclusive section starts (one under way is waited for first): the
        requests of a burst, sent from other threads, pass the gate when they are due."""
        with self._cond:
            while self._owner is not None:
                self._cond.wait()
            self._bursts += 1
        try:
            yield
        finally:
            with self._cond:
                self._bursts -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._cond:
            while self._owner is not None or self._bursts:
                self._cond.wait()
            self._owner = me
            while self._in_flight:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._owner = None
                self._cond.notify_all()


class Turns:
    """One thread at a time generates input (hypothesis, schemathesis); a thread that
    holds the turn hands it over while it waits for the network.

    Neither library is safe in several threads at once (schemathesis imports lazily,
    CPython 3.11's `ast` is not thread-safe), so property scenarios generate one at a
    time. One that mostly waits for the target (the lifecycle machine: each step needs
    the answer before it) still runs beside the others: each holds the turn while it
    runs (`holding`), and every wait for an answer (`waiting`: the Sender's exchanges,
    a pipeline's answers) lets another thread generate meanwhile. Threads that only
    send (pipeline workers, refresh chains) never hold it.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._owner: int | None = None
        self._depth = 0

    @contextmanager
    def holding(self) -> Iterator[None]:
        """Within, this thread has the turn (waiting for it first; re-entrant)."""
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
            else:
                while self._owner is not None:
                    self._cond.wait()
                self._owner, self._depth = me, 1
        try:
            yield
        finally:
            with self._cond:
                self._depth -= 1
                if self._depth == 0:
                    self._owner = None
                    self._cond.notify_all()

    def holding_thread(self) -> int | None:
        """The thread (`threading.get_ident()`) that holds the turn now, if any."""
        with self._cond:
            return self._owner

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """Within, a thread that holds the turn lends it out; it takes it back after.
        A thread that does not hold it just goes on."""
        me = threading.get_ident()
        with self._cond:
            depth = self._depth if self._owner == me else 0
            if depth:
                self._owner, self._depth = None, 0
                self._cond.notify_all()
        try:
            yield
        finally:
            if depth:
                with self._cond:
                    while self._owner is not None:
                        self._cond.wait()
                    self._owner, self._depth = me, depth


class InFlight:
    """Which requests flew beside which: for each request, the transactionIds (lower
    case) of the requests that were in flight at some moment while it was, `ANONYMOUS`
    for one that carried no valid transactionId (the target made one up for it).

    A response carrying another request's transactionId is cross-talk (D23) only if
    that request was in flight beside it; every exchange records this set (`beside`),
    so the echo rule (D2) can leave such a mismatch to TXID-CONCURRENT and requests
    need not be sent one at a time to be judged one by one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flying: dict[int, tuple[str, set[str]]] = {}
        self._next = 0

    @contextmanager
    def flying(self, transaction_id: object) -> Iterator[set[str]]:
        """Within, the request carrying `transaction_id` counts as in flight; the set
        yielded gathers the ids of the requests that fly beside it until it lands."""
        own = transaction_id.lower() if valid_transaction_id(transaction_id) else ANONYMOUS
        beside: set[str] = set()
        with self._lock:
            key, self._next = self._next, self._next + 1
            for other, others_beside in self._flying.values():
                beside.add(other)
                others_beside.add(own)
            self._flying[key] = (own, beside)
        try:
            yield beside
        finally:
            with self._lock:
                del self._flying[key]
