"""The one place that sends requests to the target.

It builds requests (Basic credentials encoded per RFC 6749 2.3.1, a fresh
transactionId, the institutionId), applies the timeout, the response size cap, the
request budget and the rate limit (`pacing`), and records every request as an
`Exchange`. An answer the contract calls back-pressure (`[[back_pressure]]`: 429, a 503
with Retry-After, the platform's quota and spike-arrest 500s) is not recorded: the
request is sent again after Retry-After or a backoff, and only the answer that ends
its retries is. It never follows redirects: a redirect must not carry the client's
Basic credentials to another host.
"""

from __future__ import annotations

import base64
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx

from conformance.concurrency import Gate, InFlight, Turns
from conformance.contract import BackPressure, back_pressure_of, contract_for
from conformance.errors import BudgetExhausted, QuotaExhausted, RunTimedOut
from conformance.exchange import (
    Exchange,
    RecordedRequest,
    RecordedResponse,
)
from conformance.pacing import JITTER, BackPressureLog, Burst, Pacer, retry_after_seconds
from conformance.redact import Redactor
from conformance.settings import Client, Settings

__all__ = [
    "DEFAULT",
    "FORM",
    "Burst",
    "InFlight",
    "Sender",
    "basic_credentials",
    "new_transaction_id",
]

FORM = "application/x-www-form-urlencoded"
MAX_RETRIES = 3  # for back-pressure that lifts in seconds; a quota is waited for instead
DEADLINE_GRACE = 0.5  # seconds past the timeout before an exchange is abandoned


class _Default:
    """Marks 'use the configured value' for an argument where None means 'omit'."""


DEFAULT: Any = _Default()


def basic_credentials(client: Client) -> str:
    """`Basic base64(urlenc(id) ":" urlenc(secret))`, RFC 6749 2.3.1."""
    raw = f"{quote_plus(client.client_id)}:{quote_plus(client.client_secret)}"
    return "Basic " + base64.b64encode(raw.encode("utf-8")).decode("ascii")


def new_transaction_id() -> str:
    return str(uuid.uuid4())


def _carried_transaction_id(headers: Sequence[tuple[str, str | bytes]]) -> str | bytes | None:
    """The one transactionId a request carries, whatever the header name's case (None
    for none, or for several: the target then echoes no id of the request's own)."""
    values = [value for name, value in headers if name.lower() == "transactionid"]
    return values[0] if len(values) == 1 else None


class Sender:
    """Sends and records; thread-safe, so scenarios may run concurrently."""

    def __init__(
        self,
        settings: Settings,
        redactor: Redactor,
        base_url: str,
        back_pressure: Sequence[BackPressure] | None = None,
    ) -> None:
        self.settings = settings
        self.redactor = redactor
        if back_pressure is None:
            back_pressure = contract_for(settings.edition).back_pressure
        self.back_pressure = tuple(back_pressure)
        self._client = httpx.Client(
            base_url=base_url,
            timeout=settings.timeout,
            follow_redirects=False,
            verify=not settings.insecure,
            limits=httpx.Limits(max_connections=settings.concurrency + 10),
        )
        self._lock = threading.Lock()
        self._sent = 0
        self.pacer = Pacer(settings.rate_limit)
        self.pressure_log = BackPressureLog()
        self.retries_honoured = 0
        self._quota: BackPressure | None = None  # the quota the run is waiting for, if any
        self.quota_exhausted: QuotaExhausted | None = None
        self.gate = Gate()
        self.in_flight = InFlight()
        self.turns = Turns()
        self._run_deadline = time.monotonic() + settings.run_timeout
        # Told of every exchange sent (the run counts refused logins of its user there).
        self.on_exchange: Callable[[Exchange], None] | None = None

    @property
    def requests_sent(self) -> int:
        return self._sent

    def close(self) -> None:
        self._client.close()

    def take_slot(self, burst: Burst | None = None) -> float:
        """Count the request against the budget and wait for its moment (the burst's,
        when it is one of a burst); return that moment."""
        with self._lock:
            self._check_deadline()
            if self._sent >= self.settings.max_requests:
                raise BudgetExhausted(
                    f"The request budget of {self.settings.max_requests} is spent "
                    "(setting max_requests)."
                )
            self._sent += 1
        at = burst.at if burst is not None else self.pacer.reserve()
        if at >= self._run_deadline:
            # Its moment comes after the run's end (a slow rate, a long queue): it is
            # never sent, and the run ends on time.
            time.sleep(max(0.0, self._run_deadline - time.monotonic()))
            with self._lock:
                self._sent -= 1
                self._check_deadline()
        wait = at - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        return at

    def _check_deadline(self) -> None:
        """Past run_timeout: RunTimedOut, or QuotaExhausted while the run waits for a quota."""
        if time.monotonic() < self._run_deadline:
            return
        kind = self._quota
        if kind is not None:
            self.quota_exhausted = self.quota_exhausted or QuotaExhausted(
                f"inconclusive: the target's quota is exhausted ({kind.code or kind.status})"
                f"\n\nThe target answered {kind.describe()} and the quota did not lift within "
                f"{self.settings.run_timeout:g} s (setting run_timeout): later requests were "
                "not sent. Run again once the quota has reset, or with a smaller max_requests "
                "or examples."
            )
            raise self.quota_exhausted
        raise RunTimedOut(
            f"The run took longer than {self.settings.run_timeout:g} s "
            "(setting run_timeout); later requests were not sent."
        )

    @contextmanager
    def burst(self, size: int) -> Iterator[Burst]:
        """Within, once the rate limit allows `size` requests at once, the requests sent
        with the `Burst` yielded leave together, without pacing (`Burst`); no exclusive
        section holds them at the gate (`Gate.together`)."""
        with self.gate.together():
            at = self.pacer.reserve(size)
            wait = at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            yield Burst(size, at)

    def pacing_report(self) -> dict[str, Any]:
        """For the run's header: the rate setting, the rate it ended at (None when
        unlimited), and the back-pressure answers (`BackPressureLog.summary`)."""
        rate = self.pacer.rate
        return {
            "rate_limit": str(self.pacer.limit),
            "settled_rate": None if rate is None else round(rate, 2),
            "back_pressure": self.pressure_log.summary(),
        }

    def build_headers(
        self,
        *,
        auth: Client | str | None,
        transaction_id: str | None,
        institution: str | None,
        content_type: str | None,
        extra: Sequence[tuple[str, str | bytes]] = (),
    ) -> list[tuple[str, str | bytes]]:
        headers: list[tuple[str, str | bytes]] = []
        if isinstance(auth, Client):
            credentials = basic_credentials(auth)
            # base64(id:secret) does not contain base64(secret): a target echoing the
            # header back would show the secret unless the redactor knows this spelling.
            self.redactor.learn(credentials.removeprefix("Basic "))
            headers.append(("Authorization", credentials))
        elif auth is not None:
            headers.append(("Authorization", auth))
        if transaction_id is not None:
            headers.append(("transactionId", transaction_id))
        if institution is not None:
            headers.append(("institutionId", institution))
        if content_type is not None:
            headers.append(("Content-Type", content_type))
        return headers + list(extra)

    def send(
        self,
        scenario: str,
        label: str,
        *,
        form: Sequence[tuple[str, str]] | dict[str, str] | None = None,
        body: bytes | None = None,
        method: str = "POST",
        path: str | None = None,
        operation: str = "token",
        params: dict[str, str] | None = None,
        auth: Any = DEFAULT,
        transaction_id: Any = DEFAULT,
        institution: Any = DEFAULT,
        content_type: Any = DEFAULT,
        extra_headers: Sequence[tuple[str, str | bytes]] = (),
        grant: str | None = None,
        expects: str | None = None,
        burst: Burst | None = None,
        chunked: bool = False,
    ) -> Exchange:
        """Send one request and record it. Arguments left DEFAULT take the configured value;
        None leaves the header out. `burst`: one of requests released together. `chunked`:
        the body goes as Transfer-Encoding: chunked with no Content-Length, as httpx sends
        a streamed body (RFC 9112 7.1)."""
        if form is not None:
            items = list(form.items()) if isinstance(form, dict) else list(form)
            body = urlencode(items).encode("utf-8")
        # The platform's own headers; the rfc6749 profile sends neither unless told to.
        platform = self.settings.platform
        if transaction_id is DEFAULT:
            transaction_id = new_transaction_id() if platform else None
        if institution is DEFAULT:
            institution = self.settings.institution_id if platform else None
        headers = self.build_headers(
            auth=self.settings.client() if auth is DEFAULT else auth,
            transaction_id=transaction_id,
            institution=institution,
            content_type=FORM if content_type is DEFAULT else content_type,
            extra=extra_headers,
        )
        path = path or (
            self.settings.revoke_path if operation == "revoke" else self.settings.token_path
        )

        def build() -> httpx.Request:
            # A stream is read once: a retry after back-pressure needs a request of its own.
            content = iter((body or b"",)) if chunked else body or b""
            return self._client.build_request(
                method,
                path,
                headers=headers,  # type: ignore[arg-type]  # httpx takes str and bytes values
                content=content,
                params=params,
            )

        request = build()
        recorded = RecordedRequest(
            method=method,
            url=str(request.url),
            headers=tuple(
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw
            ),
            body=body or b"",
        )
        response, error, beside, pushed_back = self.deliver(
            lambda: self._send_once(build() if chunked else request),
            _carried_transaction_id(headers),
            burst,
        )
        exchange = Exchange(
            scenario,
            label,
            recorded,
            response,
            grant=grant,
            expects=expects,
            transport_error=error,
            operation=operation,
            beside=beside,
            back_pressure=pushed_back.describe() if pushed_back else None,
            burst=burst is not None,
        )
        if self.on_exchange is not None:
            self.on_exchange(exchange)
        return exchange

    def deliver(
        self,
        send_once: Callable[[], tuple[RecordedResponse | None, str | None]],
        transaction_id: object = None,
        burst: Burst | None = None,
    ) -> tuple[RecordedResponse | None, str | None, frozenset[str], BackPressure | None]:
        """One request through the budget, the rate limit, the gate and the retries:
        `send_once` puts it on the wire once and returns the answer, or why none came.

        Returns the answer (sent again while it is back-pressure, as long as the retries
        allow), or why none came; the ids of the requests that flew beside it, counted
        only once past the gate, since a request waiting there for an exclusive section
        is not in flight; and the back-pressure the retries could not outlast, if any."""
        with self.turns.waiting():
            return self._send_with_retries(send_once, transaction_id, burst)

    def _send_with_retries(
        self,
        send_once: Callable[[], tuple[RecordedResponse | None, str | None]],
        transaction_id: object,
        burst: Burst | None,
    ) -> tuple[RecordedResponse | None, str | None, frozenset[str], BackPressure | None]:
        beside: set[str] = set()
        attempt = 0
        while True:
            sent_at = self.take_slot(burst)
            with self.gate.shared(), self.in_flight.flying(transaction_id) as flew:
                left = self.pressure_log.left()
                response, error = send_once()
            beside |= flew
            if response is None:
                return response, error, frozenset(beside), None
            pushed_back = back_pressure_of(
                self.back_pressure, response.status, response.header, response.json
            )
            if burst is None:  # a burst refused for its size says nothing of the rate
                self.pacer.answered(sent_at, pushed_back is not None)
            if pushed_back is None:
                self._quota = None  # an answer: whatever quota there was has lifted
                return response, error, frozenset(beside), None
            self.pressure_log.record(pushed_back.name, left)
            ended = burst is not None or (not pushed_back.quota and attempt >= MAX_RETRIES)
            if ended:
                self.pressure_log.count("in_bursts" if burst is not None else "unresolved")
                return response, error, frozenset(beside), pushed_back
            if pushed_back.quota:
                # Waited for until run_timeout: take_slot then ends the run (QuotaExhausted).
                self._quota = pushed_back
            self.retries_honoured += 1
            wait = retry_after_seconds(
                response.header("retry-after"), attempt, random.uniform(0.0, JITTER)
            )
            time.sleep(min(wait, max(0.0, self._run_deadline - time.monotonic())))
            attempt += 1

    def _send_once(self, request: httpx.Request) -> tuple[RecordedResponse | None, str | None]:
        """One request under a deadline for the WHOLE exchange: httpx's timeouts are per
        socket operation, so a target trickling one byte a second would never trip them."""
        result: list[tuple[RecordedResponse | None, str | None]] = []
        finished = threading.Event()

        def exchange() -> None:
            try:
                result.append(self._exchange_once(request))
            except Exception as exc:  # noqa: BLE001 - anything the transport raises is recorded
                result.append((None, f"{type(exc).__name__}: {exc}"))
            finally:
                finished.set()

        # A daemon thread: a target that never finishes cannot keep the process alive.
        threading.Thread(target=exchange, daemon=True, name="conformance-request").start()
        if not finished.wait(self.settings.timeout + DEADLINE_GRACE):
            return None, self._too_slow()
        return result[0]

    def _too_slow(self) -> str:
        return f"no complete answer within {self.settings.timeout:g} s (setting timeout)"

    def _exchange_once(self, request: httpx.Request) -> tuple[RecordedResponse | None, str | None]:
        started = time.perf_counter()
        try:
            response = self._client.send(request, stream=True)
        except httpx.TimeoutException:
            return None, self._too_slow()
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        try:
            body, truncated = self._read_capped(response)
        except httpx.TimeoutException:
            return None, self._too_slow()
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__} while reading the body: {exc}"
        finally:
            response.close()
        recorded = RecordedResponse(
            status=response.status_code,
            headers=tuple(
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw
            ),
            body=body,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            truncated=truncated,
        )
        self.redactor.learn_from_body(recorded.json())
        return recorded, None

    def _read_capped(self, response: httpx.Response) -> tuple[bytes, bool]:
        """Read at most max_response_bytes, so a hostile target cannot exhaust memory."""
        limit = self.settings.max_response_bytes
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                return b"".join(chunks)[:limit], True
        return b"".join(chunks), False
