"""The few requests httpx will not put on the wire, written to the socket as they are.

h11 refuses header values holding CR, LF, NUL, VT or FF, so a transactionId carrying
them can only be sent by hand. Such a send still goes through the `Sender`'s budget,
rate limit, gate and back-pressure retries (`Sender.deliver`), and records an
`Exchange` like any other. It goes to plain-HTTP loopback targets only (the embedded
reference, a local build): elsewhere a proxy or a TLS terminator would answer, not the
target.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import time
from urllib.parse import urlencode

import httpx

from conformance.exchange import Exchange, RecordedRequest, RecordedResponse
from conformance.sender import FORM, Sender

TRANSACTION_ID = "transactionId"


def raw_sending_possible(base_url: str) -> bool:
    """True for a plain-HTTP loopback target."""
    url = httpx.URL(base_url)
    if url.scheme != "http":
        return False
    if url.host == "localhost":
        return True
    try:
        return ipaddress.ip_address(url.host).is_loopback
    except ValueError:
        return False


def send_raw_transaction_id(
    sender: Sender, base_url: str, scenario: str, label: str, value: bytes
) -> Exchange:
    """A client_credentials request, built as the Sender builds its own (configured
    credentials and institutionId), whose transactionId is `value` as is.

    The message is not valid HTTP, so the exchange's operation is "other": the rules of
    the token operation (D1, D17) do not speak of what an HTTP layer answers to a
    malformed message.
    """
    settings = sender.settings
    url = httpx.URL(base_url.rstrip("/") + settings.token_path)
    body = urlencode({"grant_type": "client_credentials"}).encode()
    headers = sender.build_headers(
        auth=settings.client(),
        transaction_id=None,
        institution=settings.institution_id,
        content_type=FORM,
        extra=[
            ("Host", url.netloc.decode("ascii")),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
            (TRANSACTION_ID, value),
        ],
    )
    wire = [(k, v.encode("latin-1") if isinstance(v, str) else v) for k, v in headers]
    message = b"".join(
        [b"POST " + url.raw_path + b" HTTP/1.1\r\n"]
        + [k.encode("ascii") + b": " + v + b"\r\n" for k, v in wire]
        + [b"\r\n", body]
    )
    response, error, beside, pushed_back = sender.deliver(
        lambda: _exchange_bytes(url, message, sender)
    )
    return Exchange(
        scenario,
        label,
        RecordedRequest("POST", str(url), tuple((k, v.decode("latin-1")) for k, v in wire), body),
        response,
        grant="client_credentials",
        transport_error=error,
        operation="other",
        beside=beside,
        back_pressure=pushed_back.describe() if pushed_back else None,
    )


def _exchange_bytes(
    url: httpx.URL, message: bytes, sender: Sender
) -> tuple[RecordedResponse | None, str | None]:
    started = time.perf_counter()
    limit = sender.settings.max_response_bytes
    try:
        address = (url.host, url.port or 80)
        with socket.create_connection(address, timeout=sender.settings.timeout) as sock:
            sock.sendall(message)
            answer = http.client.HTTPResponse(sock)
            answer.begin()
            body = answer.read(limit + 1)
            headers = tuple(answer.getheaders())
            status = answer.status
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    elapsed = (time.perf_counter() - started) * 1000
    recorded = RecordedResponse(status, headers, body[:limit], elapsed, len(body) > limit)
    sender.redactor.learn_from_body(recorded.json())
    return recorded, None
