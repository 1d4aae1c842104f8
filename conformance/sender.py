"""The one place that sends requests to the target.

It builds requests (Basic credentials encoded per RFC 6749 2.3.1, a fresh
transactionId, the institutionId), applies the timeout, the response size cap, the
request budget and the rate limit, honours 429/503 Retry-After, and records every
request as an `Exchange`. It never follows redirects: a redirect must not carry the
client's Basic credentials to another host.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote_plus, urlencode

import httpx

from conformance.concurrency import Gate, InFlight, Turns
from conformance.errors import BudgetExhausted, RunTimedOut
from conformance.exchange import (
    Exchange,
    RecordedRequest,
    RecordedResponse,
)
from conformance.redact import Redactor
from conformance.settings import Client, Settings

__all__ = ["DEFAULT", "FORM", "InFlight", "Sender", "basic_credentials", "new_transaction_id"]

FORM = "application/x-www-form-urlencoded"
RETRY_STATUSES = frozenset({429, 503})
MAX_RETRIES = 3
MAX_RETRY_WAIT = 10.0
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


def retry_after_seconds(value: str | None, attempt: int) -> float:
    """Seconds to wait before retrying: Retry-After when it is a number, else backoff."""
    if value is not None and value.strip().isdigit():
        return min(float(value.strip()), MAX_RETRY_WAIT)
    return min(0.5 * 2.0**attempt, MAX_RETRY_WAIT)


class Sender:
    """Sends and records; thread-safe, so scenarios may run concurrently."""

    def __init__(self, settings: Settings, redactor: Redactor, base_url: str) -> None:
        self.settings = settings
        self.redactor = redactor
        self._client = httpx.Client(
            base_url=base_url,
            timeout=settings.timeout,
            follow_redirects=False,
            verify=not settings.insecure,
            limits=httpx.Limits(max_connections=settings.concurrency + 10),
        )
        self._lock = threading.Lock()
        self._sent = 0
        self._next_slot = 0.0
        self.retries_honoured = 0
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

    def take_slot(self) -> None:
        """Count the request against the budget and wait for the rate limit."""
        with self._lock:
            if time.monotonic() > self._run_deadline:
                raise RunTimedOut(
                    f"The run took longer than {self.settings.run_timeout:g} s "
                    "(setting run_timeout); later requests were not sent."
                )
            if self._sent >= self.settings.max_requests:
                raise BudgetExhausted(
                    f"The request budget of {self.settings.max_requests} is spent "
                    "(setting max_requests)."
                )
            self._sent += 1
            wait = 0.0
            if self.settings.rate_limit > 0:
                now = time.monotonic()
                slot = max(now, self._next_slot)
                self._next_slot = slot + 1.0 / self.settings.rate_limit
                wait = slot - now
        if wait > 0:
            time.sleep(wait)

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
    ) -> Exchange:
        """Send one request and record it. Arguments left DEFAULT take the configured value;
        None leaves the header out."""
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
        request = self._client.build_request(
            method,
            path,
            headers=headers,  # type: ignore[arg-type]  # httpx takes str and bytes values
            content=body or b"",
            params=params,
        )
        recorded = RecordedRequest(
            method=method,
            url=str(request.url),
            headers=tuple(
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw
            ),
            body=body or b"",
        )
        with self.turns.waiting():
            response, error, beside = self._send_with_retries(
                request, _carried_transaction_id(headers)
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
        )
        if self.on_exchange is not None:
            self.on_exchange(exchange)
        return exchange

    def _send_with_retries(
        self, request: httpx.Request, transaction_id: object
    ) -> tuple[RecordedResponse | None, str | None, frozenset[str]]:
        """The answer (after honoured Retry-Afters), or why none came, and the ids of the
        requests that flew beside it: counted only once past the gate, since a request
        waiting there for an exclusive section is not in flight."""
        beside: set[str] = set()
        for attempt in range(MAX_RETRIES + 1):
            self.take_slot()
            with self.gate.shared(), self.in_flight.flying(transaction_id) as flew:
                response, error = self._send_once(request)
            beside |= flew
            retryable = response is not None and response.status in RETRY_STATUSES
            if not retryable or attempt == MAX_RETRIES:
                return response, error, frozenset(beside)
            assert response is not None
            if response.status == 503 and response.header("retry-after") is None:
                return (
                    response,
                    error,
                    frozenset(beside),
                )  # a plain 503 is an answer, not back-pressure
            self.retries_honoured += 1
            wait = retry_after_seconds(response.header("retry-after"), attempt)
            time.sleep(min(wait, max(0.0, self._run_deadline - time.monotonic())))
        raise AssertionError("unreachable")

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
