"""The one recorder every generated scenario sends through.

A property never judges: it sends through the run's `Sender` and keeps what it
recorded, and the registered checks judge later. `Recorder` holds what every
property shares, so that each is decided once:

- **the seed**: a property's hypothesis seed and its transactionId stream are
  functions of the run's seed and the property's name (and stream), so `--seed N`
  replays the same requests in any process;
- **the transactionIds**: every id sent is unique within the run. An id that is only a
  correlation id comes from the property's seeded stream (`transaction_id`); an id
  that is the input under test is drawn by hypothesis and passed through `take`, which
  replaces a repeat (hypothesis likes simple values, and a target may take a repeated
  id for a replay) with one derived from it;
- **the hypothesis settings** (`property_settings`) and the one way to run generation
  (`explore`), stopping cleanly when the phase's time, the request budget or the
  property's own limit is spent;
- **the sending**: one at a time (`send`) or pipelined (`submit` inside `pipelined`,
  see `pipeline`), recorded in generation order either way.
"""

from __future__ import annotations

import contextlib
import random
import threading
import uuid
import weakref
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, Phase, Verbosity, example, given, seed, settings
from hypothesis import strategies as st

from conformance.errors import BudgetExhausted
from conformance.exchange import Exchange
from conformance.properties import codec_tables
from conformance.properties.pipeline import Pipeline, workers_for
from conformance.raw_send import TRANSACTION_ID, send_raw_transaction_id

if TYPE_CHECKING:
    from conformance.run_context import RunContext

# An answer; None: the budget was spent.
Sent = Exchange | None
# What a recorder does to an answer as it records it (schemathesis' verdicts added).
Annotate = Callable[[Exchange], Exchange]

# Run-wide: every transactionId any property sent, keyed by the run.
_SENT_IDS: weakref.WeakKeyDictionary[RunContext, set[str]] = weakref.WeakKeyDictionary()
_SENT_IDS_LOCK = threading.Lock()


def property_settings(examples: int, **extra: Any) -> settings:
    """Hypothesis settings of the phase: no database, no deadline, no shrinking (a
    property asserts nothing, so there is nothing to shrink), health checks off, quiet."""
    return settings(
        max_examples=max(1, examples),
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
        verbosity=Verbosity.quiet,
        **extra,
    )


def examples_for(ctx: RunContext) -> int:
    """Examples each property generates in this run: the examples setting, or fewer when
    the request budget is short (`Recordings.examples_within`)."""
    return ctx.recordings.examples


def seed_for(ctx: RunContext, name: str) -> int:
    """A seed for `name` in this run, stable across processes."""
    return zlib.crc32(f"{ctx.seed}:{name}".encode())


class _Stop(Exception):  # noqa: N818 - a control-flow signal
    """Ends a hypothesis run early: the phase's time, budget or an error says stop."""


class Recorder:
    """The exchanges of one property (or one stream of it), in generation order.

    `limit` bounds the generated cases it sends (`send`/`submit` with `case=True`);
    requests a case needs first (a login for a refresh chain) do not count.
    """

    def __init__(self, ctx: RunContext, name: str, stream: str = "", limit: int = 2**31) -> None:
        self.ctx = ctx
        self.name = name
        self.limit = limit
        self.seed = seed_for(ctx, f"{name}:{stream}")
        self.exchanges: list[Exchange] = []
        self.cases = 0
        self.stopped = False
        self._ids = random.Random(self.seed)
        self._replaced = 0  # drawn ids this recorder sent as another (`take`)
        self._pipeline: Pipeline[Sent] | None = None
        codec_tables.prime()
        with _SENT_IDS_LOCK:
            self._sent = _SENT_IDS.setdefault(ctx, set())

    def active(self) -> bool:
        """False once the phase's time, the request budget or `limit` is spent."""
        if not self.stopped and (self.cases >= self.limit or self.ctx.time_left() <= 0):
            self.stopped = True
        return not self.stopped

    # --- transactionIds ---------------------------------------------------------------

    def transaction_id(self) -> str:
        """The next id of the property's seeded stream (unique in the run). Not
        hypothesis' st.uuids(): it repeats values, and its first does not even depend
        on the seed."""
        return self.take(str(uuid.UUID(int=self._ids.getrandbits(128), version=4)))

    def take(self, drawn: str) -> str:
        """`drawn`, or when this run already sent it, a UUID derived from it: unique per
        run and still a function of what was drawn (a filter on the run's state would
        make hypothesis' generation inconsistent). The letter case is kept.

        The derived UUID depends on this recorder's seed and its own count of
        replacements, not on how many ids the run has sent: other properties send
        beside this one (the lifecycle machines, the refresh chains), and the same seed
        must still send the same ids."""
        with _SENT_IDS_LOCK:
            key, value = drawn.lower(), drawn
            while key in self._sent:
                self._replaced += 1
                key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{key}:{self.seed}:{self._replaced}"))
                value = key if drawn == drawn.lower() else key.upper()
            self._sent.add(key)
        return value

    # --- generation -------------------------------------------------------------------

    def explore(
        self,
        handle: Callable[..., None],
        examples: int,
        *,
        explicit: Sequence[Mapping[str, object]] = (),
        workers: int = 0,
        **strategies: st.SearchStrategy[Any],
    ) -> None:
        """Call `handle(**values)` for each of `explicit` (in order, every run), then for
        up to `examples` generated values of `strategies`, under the property's seed.
        With `workers`, what `handle` submits is sent by up to that many threads while
        the next value is generated.

        Nothing is judged inside hypothesis, so there is nothing to shrink: each value
        is one request (or a few), sent once. To end early the test raises `_Stop`;
        hypothesis replays that value once to confirm, which raises `_Stop` again before
        anything is sent. An error in `handle` stops the run the same way and is raised
        once hypothesis is done.
        """
        if not self.active():
            return
        errors: list[Exception] = []

        def run(**values: Any) -> None:
            if errors or not self.active():
                raise _Stop
            try:
                handle(**values)
            except Exception as exc:  # raised below, once hypothesis is out of the way
                errors.append(exc)

        test = given(**strategies)(run)
        for values in reversed(explicit):  # the decorator nearest the function runs first
            test = example(**values)(test)
        test = seed(self.seed)(property_settings(examples)(test))
        pipelined = self.pipelined(workers) if workers else contextlib.nullcontext()
        with pipelined, contextlib.suppress(_Stop):
            test()
        if errors:
            raise errors[0]

    def workers(self) -> int:
        """Requests in flight a pipelined property may keep: `pipeline.WORKERS`, never
        more than the run's concurrency."""
        return workers_for(self.ctx.settings.concurrency)

    # --- sending ------------------------------------------------------------------------

    def request(
        self,
        label: str,
        txid: str | bytes | None = None,
        *,
        header: str = TRANSACTION_ID,
        case: bool = False,
        annotate: Annotate | None = None,
        **send: Any,
    ) -> tuple[Callable[[], Sent], Callable[[Sent], Sent]] | None:
        """What to send (in any thread) and how to record its answer (in the calling
        thread, in order); None once the property must stop. Everything the request
        carries is decided now, by the one thread that makes the property's requests.

        `txid`: None for the next id of the stream, a drawn id (taken here), or bytes
        sent as they are; `header` names the header that carries it. Under RFC 6749 no
        transactionId is sent by default, but one is still drawn, so what a property
        draws, and so sends, does not depend on the contract.
        """
        if not self.active():
            return None
        if case:
            self.cases += 1
        if txid is None:
            txid = self.transaction_id()
        elif isinstance(txid, str):
            txid = self.take(txid)
        if isinstance(txid, str) and header == TRANSACTION_ID:
            if self.ctx.settings.platform:
                send.setdefault("transaction_id", txid)
        else:
            send["transaction_id"] = None
            send["extra_headers"] = [*send.get("extra_headers", ()), (header, txid)]

        def sent() -> Sent:
            return self.exchange(label, **send)

        def finish(exchange: Sent) -> Sent:
            if exchange is None:
                self.stopped = True
                return None
            if annotate is not None:
                exchange = annotate(exchange)
            self.exchanges.append(exchange)
            return exchange

        return sent, finish

    def exchange(self, label: str, **send: Any) -> Sent:
        """Send one request as it is and record nothing; None once the budget is spent
        (the budget bounds the phase: the checks judge what was recorded)."""
        try:
            return self.ctx.send(self.name, label, **send)
        except BudgetExhausted:
            return None

    def send(self, label: str, txid: str | bytes | None = None, **options: Any) -> Sent:
        """Send, wait for the answer and record it (see `request`)."""
        request = self.request(label, txid, **options)
        if request is None:
            return None
        sent, finish = request
        return finish(sent())

    def submit(self, label: str, txid: str | bytes | None = None, **options: Any) -> None:
        """`send` without waiting for the answer when pipelined: it is recorded after
        those submitted before it."""
        request = self.request(label, txid, **options)
        if request is not None:
            self._in_order(*request)

    def submit_raw(self, label: str, value: bytes) -> None:
        """A transactionId httpx will not send (`raw_send`), recorded in order."""
        if not self.active():
            return
        ctx = self.ctx

        def sent() -> Sent:
            try:
                return send_raw_transaction_id(ctx.sender, ctx.base_url, self.name, label, value)
            except BudgetExhausted:
                return None

        self._in_order(sent, self._keep)

    @contextlib.contextmanager
    def pipelined(self, workers: int) -> Iterator[None]:
        """Within, `submit` keeps up to `workers` requests in flight; on leaving, every
        answer is in and recorded (see `pipeline`)."""
        turns = self.ctx.sender.turns
        with Pipeline[Sent](workers, f"conformance-{self.name}", turns.waiting) as pipeline:
            self._pipeline = pipeline
            try:
                yield
            finally:
                self._pipeline = None

    def _in_order(self, sent: Callable[[], Sent], finish: Callable[[Sent], object]) -> None:
        if self._pipeline is None:
            finish(sent())
        else:
            self._pipeline.submit(sent, finish)

    def _keep(self, exchange: Sent) -> None:
        if exchange is None:
            self.stopped = True
        else:
            self.exchanges.append(exchange)
