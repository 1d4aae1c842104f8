"""What every hypothesis-driven scenario shares: settings, seeds, recording, raw sends.

A property never judges. It sends through the run's `Sender` and keeps what it
recorded; the registered checks judge later. `Recording` stops a property cleanly
when the phase's time or the request budget runs out (hypothesis keeps calling the
test; each call then returns at once), and keeps every transactionId it sends unique
within the run: hypothesis likes simple values and would otherwise send, for
example, the same low-numbered UUID from several properties, which a target may
take for a replay.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import threading
import time
import uuid
import weakref
import zlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

import httpx
from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis import strategies as st

from conformance.errors import BudgetExhausted
from conformance.exchange import Exchange, RecordedRequest, RecordedResponse
from conformance.properties import codec_tables
from conformance.properties.pipeline import Pipeline
from conformance.sender import FORM

if TYPE_CHECKING:
    from conformance.run import RunContext

TRANSACTION_ID = "transactionId"
F = TypeVar("F", bound=Callable[..., None])

# Run-wide: every transactionId any property sent, keyed by the run.
_SENT_IDS: weakref.WeakKeyDictionary[RunContext, set[str]] = weakref.WeakKeyDictionary()
_SENT_IDS_LOCK = threading.Lock()


def property_settings(examples: int, **extra: Any) -> settings:
    """Hypothesis settings of the phase: no database, no deadline, no shrinking (a
    property asserts nothing, so there is nothing to shrink), health checks off."""
    return settings(
        max_examples=max(1, examples),
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
        **extra,
    )


def seed_for(ctx: RunContext, name: str) -> int:
    """The hypothesis seed of one property: the run's seed mixed with the property's
    name, stable across processes (so `--seed N` replays the same requests)."""
    return zlib.crc32(f"{ctx.seed}:{name}".encode())


def run_property(rec: Recording, test: F, examples: int, workers: int = 0) -> None:
    """Run a `@given` test under the phase's settings and the property's seed (not at
    all when the phase's time or the budget is already spent). With `workers`, what the
    test `submit`s is sent by that many threads while it generates the next example."""
    if rec.active():
        seeded = seed(seed_for(rec.ctx, rec.name))(property_settings(examples)(test))
        with rec.pipelined(workers) if workers else contextlib.nullcontext():
            seeded()


class Recording:
    """The exchanges of one property, in the order they were generated (and, when
    one at a time, sent)."""

    def __init__(self, ctx: RunContext, name: str) -> None:
        self.ctx = ctx
        self.name = name
        self.exchanges: list[Exchange] = []
        self.stopped = False
        self._pipeline: Pipeline[Exchange | None] | None = None
        codec_tables.prime()
        with _SENT_IDS_LOCK:
            self._sent = _SENT_IDS.setdefault(ctx, set())

    def active(self) -> bool:
        """False once the phase's time or the request budget is spent."""
        if not self.stopped and self.ctx.time_left() <= 0:
            self.stopped = True
        return not self.stopped

    def transaction_ids(self) -> st.SearchStrategy[str]:
        """Valid UUIDs drawn by hypothesis (pass each through `take` before sending)."""
        return st.uuids().map(str)

    def take(self, txid: str) -> str:
        """`txid`, or when this run already sent it, a UUID derived from it: unique per
        run and still a function of what hypothesis drew (a filter on the run's state
        would make hypothesis's generation inconsistent)."""
        with _SENT_IDS_LOCK:
            key, value = txid.lower(), txid
            while key in self._sent:
                key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{key}:{len(self._sent)}"))
                value = key if txid == txid.lower() else key.upper()
            self._sent.add(key)
        return value

    def call(
        self, label: str, txid: str | bytes, *, name: str = TRANSACTION_ID, **send: Any
    ) -> Exchange | None:
        """Send one request with `txid` (already taken) in header `name`; None once the
        budget is spent. Records nothing: concurrent callers record in their own order."""
        if isinstance(txid, str) and name == TRANSACTION_ID:
            # RFC 6749 has no transactionId: the drawn one stays unsent (the sender's
            # default), so what is drawn, and so sent otherwise, does not depend on it.
            if self.ctx.settings.platform:
                send["transaction_id"] = txid
        else:
            send["transaction_id"] = None
            send["extra_headers"] = [*send.get("extra_headers", ()), (name, txid)]
        try:
            return self.ctx.send(self.name, label, **send)
        except BudgetExhausted:
            self.stopped = True  # the phase is bounded by the budget; the checks see the rest
            return None

    def send(self, label: str, txid: str | bytes, **send: Any) -> Exchange | None:
        """Take `txid` (when it is a valid id), send, and record."""
        exchange = self.call(label, self.take(txid) if isinstance(txid, str) else txid, **send)
        if exchange is not None:
            self.exchanges.append(exchange)
        return exchange

    def _raw(self, label: str, txid: bytes) -> Exchange | None:
        """`send_raw_transaction_id`; None once the budget is spent."""
        try:
            return send_raw_transaction_id(self.ctx, self.name, label, txid)
        except BudgetExhausted:
            self.stopped = True
            return None

    # --- pipelined: sent by worker threads, recorded here in generation order ------------

    @contextlib.contextmanager
    def pipelined(self, workers: int) -> Iterator[None]:
        """Within, `submit` and `submit_raw` keep up to `workers` requests in flight; on
        leaving, every answer is in and recorded (see `pipeline`)."""
        turns = self.ctx.sender.turns
        name = f"conformance-{self.name}"
        with Pipeline[Exchange | None](workers, name, turns.waiting) as pipeline:
            self._pipeline = pipeline
            try:
                yield
            finally:
                self._pipeline = None

    def submit(self, label: str, txid: str | bytes, **send: Any) -> None:
        """`send` without waiting for the answer: `txid` is taken now, in generation
        order, and the exchange recorded after those submitted before it."""
        taken = self.take(txid) if isinstance(txid, str) else txid
        self._in_order(lambda: self.call(label, taken, **send))

    def submit_raw(self, label: str, txid: bytes) -> None:
        """A raw send (`send_raw_transaction_id`), recorded in submission order."""
        self._in_order(lambda: self._raw(label, txid))

    def _in_order(self, request: Callable[[], Exchange | None]) -> None:
        if self._pipeline is None:
            self._keep(request())
        else:
            self._pipeline.submit(request, self._keep)

    def _keep(self, exchange: Exchange | None) -> None:
        if exchange is not None:
            self.exchanges.append(exchange)


# --- the few values httpx will not put on the wire ------------------------------------


def raw_sending_possible(base_url: str) -> bool:
    """Raw sends go to plain-HTTP loopback targets only (the embedded reference, a local
    build): elsewhere a proxy or TLS terminator would answer, not the target."""
    url = httpx.URL(base_url)
    if url.scheme != "http":
        return False
    if url.host == "localhost":
        return True
    try:
        return ipaddress.ip_address(url.host).is_loopback
    except ValueError:
        return False


def send_raw_transaction_id(ctx: RunContext, scenario: str, label: str, value: bytes) -> Exchange:
    """A client_credentials request whose transactionId holds bytes h11 refuses to send
    (CR, LF, NUL, VT, FF), written to the socket as is.

    The one place besides the Sender that sends: it still takes a slot of the Sender's
    budget and rate limit and runs inside its gate. The message is not valid HTTP, so
    the exchange's operation is "other": the rules of the token operation (D1, D17)
    do not speak of what an HTTP layer answers to a malformed message.
    """
    url, wire, body = _raw_request(ctx, value)
    message = b"".join(
        [b"POST " + url.raw_path + b" HTTP/1.1\r\n"]
        + [k.encode("ascii") + b": " + v + b"\r\n" for k, v in wire]
        + [b"\r\n", body]
    )
    ctx.sender.take_slot()  # the budget and rate limit apply to raw sends too
    sender = ctx.sender
    with sender.turns.waiting(), sender.gate.shared(), sender.in_flight.flying(None) as beside:
        response, error = _exchange_bytes(url, message, ctx.settings.timeout, ctx)
    headers = tuple((k, v.decode("latin-1")) for k, v in wire)
    return Exchange(
        scenario,
        label,
        RecordedRequest("POST", str(url), headers, body),
        response,
        grant="client_credentials",
        transport_error=error,
        operation="other",
        beside=frozenset(beside),
    )


def _raw_request(ctx: RunContext, value: bytes) -> tuple[httpx.URL, list[tuple[str, bytes]], bytes]:
    """The URL, header lines and body of a raw client_credentials request, built as the
    Sender builds its own (configured credentials and institutionId), `value` last."""
    url = httpx.URL(ctx.base_url.rstrip("/") + ctx.settings.token_path)
    body = urlencode({"grant_type": "client_credentials"}).encode()
    headers = ctx.sender.build_headers(
        auth=ctx.settings.client(),
        transaction_id=None,
        institution=ctx.settings.institution_id,
        content_type=FORM,
        extra=[
            ("Host", url.netloc.decode("ascii")),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
            (TRANSACTION_ID, value),
        ],
    )
    return url, [(k, v.encode("latin-1") if isinstance(v, str) else v) for k, v in headers], body


def _exchange_bytes(
    url: httpx.URL, message: bytes, timeout: float, ctx: RunContext
) -> tuple[RecordedResponse | None, str | None]:
    started = time.perf_counter()
    limit = ctx.settings.max_response_bytes
    try:
        with socket.create_connection((url.host, url.port or 80), timeout=timeout) as sock:
            sock.sendall(message)
            answer = http.client.HTTPResponse(sock)
            answer.begin()
            body = answer.read(limit + 1)
            headers = tuple(answer.getheaders())
            status = answer.status
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    recorded = RecordedResponse(
        status, headers, body[:limit], (time.perf_counter() - started) * 1000, len(body) > limit
    )
    ctx.redactor.learn_from_body(recorded.json())
    return recorded, None
