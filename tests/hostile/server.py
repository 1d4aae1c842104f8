"""A hostile test target: raw sockets on a free loopback port, one named behaviour each.

It has to misbehave below HTTP (never answer, trickle bytes, close mid-body, reset the
connection, send a 1 MiB header), which an ASGI app cannot, so it speaks HTTP/1.1 by
hand over plain threads. Usage::

    with HostileServer("silent") as server:
        run_the_suite(server.url)

By default a behaviour breaks the token endpoint only: a POST (what the suite sends) gets
it, any other method a plain 405, so the suite's preflight GET passes and the sending
path itself meets the hostile answer. With `every_request=True` it breaks every request,
the preflight too. `HostileServer.seen` records what each request carried (the
redirect sink proves with it that no credentials arrived); `bytes_sent` counts the
bytes of the 50 MiB body that actually went out.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024
HUGE_BODY_BYTES = 50 * MIB
HUGE_HEADER_BYTES = 1 * MIB
CHUNK = 64 * 1024
TRICKLE_INTERVAL = 1.0  # seconds between two bytes
MAX_REQUEST_HEAD = 64 * 1024

# What the hostile-content behaviour plants. Each script, if it ever ran in a report,
# would leave a mark (window.__pwned, the page title) that the browser test looks for.
SCRIPT = "<script>window.__pwned = 1; document.title = 'pwned'</script>"
IMG = '"><img src=x onerror="window.__pwned = 2">'
PRE_BREAK = "</pre></details><script>window.__pwned = 3</script>"
ANSI = "\x1b[2J\x1b[31mRED"  # clears a terminal that prints it raw
HOSTILE_MESSAGE = f"invalid_request {SCRIPT} {PRE_BREAK} {IMG}\r\nSet-Cookie: injected=1 {ANSI}"


@dataclass(frozen=True)
class Request:
    """One request as the target read it."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


@dataclass(frozen=True)
class Seen:
    """What one request carried and when, for the tests (the redirect sink, the storms)."""

    method: str
    path: str
    authorization: str | None
    transaction_id: str | None
    at: float  # time.monotonic() when the request was read


def response(
    status: int,
    body: bytes = b"",
    headers: list[tuple[str, str | bytes]] | None = None,
    content_type: str | None = "application/json",
    reason: str = "Hostile",
) -> bytes:
    """The bytes of an HTTP/1.1 response; header values go out as given (no validation)."""
    lines = [f"HTTP/1.1 {status} {reason}".encode()]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}".encode())
    for name, value in [*(headers or []), ("Content-Length", str(len(body)))]:
        raw = value if isinstance(value, bytes) else value.encode("latin-1")
        lines.append(name.encode("latin-1") + b": " + raw)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def token_body(access_token: str = "hostile-access-token-0123") -> bytes:
    return json.dumps(
        {"access_token": access_token, "token_type": "Bearer", "expires_in": 3600}
    ).encode()


def echo(request: Request) -> list[tuple[str, str | bytes]]:
    """The transactionId header echoed, as a well-behaved target does."""
    txid = request.header("transactionId")
    return [("transactionId", txid)] if txid else []


class Connection:
    """One accepted socket: reads requests, and the behaviours write to it."""

    def __init__(self, sock: socket.socket, server: HostileServer) -> None:
        self.sock = sock
        self.server = server
        self._buffer = b""

    def read_request(self) -> Request | None:
        """The next request, or None when the client closed the connection."""
        while b"\r\n\r\n" not in self._buffer:
            if len(self._buffer) > MAX_REQUEST_HEAD or not self._recv():
                return None
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        start, *lines = head.decode("latin-1").split("\r\n")
        method, path, _ = (start.split(" ", 2) + ["", ""])[:3]
        headers = tuple(
            (name.strip(), value.strip())
            for name, _, value in (line.partition(":") for line in lines)
        )
        request = Request(method, path, headers, b"")
        if (request.header("Transfer-Encoding") or "").lower() == "chunked":
            chunked = self._chunked_body()
            return None if chunked is None else Request(method, path, headers, chunked)
        length = int(request.header("Content-Length") or 0)
        while len(self._buffer) < length:
            if not self._recv():
                return None
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        return Request(method, path, headers, body)

    def _chunked_body(self) -> bytes | None:
        """A chunked body (RFC 9112 7.1: size lines in hex, each chunk and its CRLF, a last
        chunk of 0, the trailer section up to an empty line); None when the client left."""
        body = b""
        while (line := self._line()) is not None:
            size = int(line.split(b";")[0], 16)  # not hex: ValueError, the connection ends
            if size == 0:
                while (trailer := self._line()) is not None:
                    if not trailer:
                        return body
                return None
            while len(self._buffer) < size + 2:
                if not self._recv():
                    return None
            body, self._buffer = body + self._buffer[:size], self._buffer[size + 2 :]
        return None

    def _line(self) -> bytes | None:
        while b"\r\n" not in self._buffer:
            if len(self._buffer) > MAX_REQUEST_HEAD or not self._recv():
                return None
        line, self._buffer = self._buffer.split(b"\r\n", 1)
        return line

    def _recv(self) -> bool:
        try:
            data = self.sock.recv(CHUNK)
        except OSError:
            return False
        self._buffer += data
        return bool(data)

    def send(self, data: bytes) -> bool:
        """Send everything; False when the client has gone away."""
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def wait_until_closed(self) -> None:
        """Read and drop until the client closes (or the server stops)."""
        while not self.server.stopped.is_set() and self._recv():
            self._buffer = b""

    def reset(self) -> None:
        """Close with SO_LINGER 0: the kernel sends RST instead of FIN."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


# A behaviour answers one request; it returns True to keep the connection open.
Behaviour = Callable[[Connection, Request], bool]


def _silent(conn: Connection, request: Request) -> bool:
    conn.wait_until_closed()
    return False


def _trickle(conn: Connection, request: Request) -> bool:
    for byte in response(200, token_body(), echo(request)):
        if conn.server.stopped.wait(TRICKLE_INTERVAL) or not conn.send(bytes([byte])):
            break
    return False


def _close_mid_body(conn: Connection, request: Request) -> bool:
    whole = response(200, token_body(), echo(request))
    conn.send(whole[: len(whole) - 20])  # Content-Length promises 20 bytes more
    return False


def _reset(conn: Connection, request: Request) -> bool:
    conn.reset()
    return False


def _huge_body(conn: Connection, request: Request) -> bool:
    head = response(200, b"", echo(request)).replace(
        b"Content-Length: 0", f"Content-Length: {HUGE_BODY_BYTES}".encode()
    )
    if not conn.send(head + b'{"access_token": "'):
        return False
    chunk = b"a" * CHUNK
    sent = 18
    while sent < HUGE_BODY_BYTES and not conn.server.stopped.is_set():
        piece = chunk[: HUGE_BODY_BYTES - sent]
        if not conn.send(piece):
            break  # the client read what it wanted and closed: the expected end
        sent += len(piece)
        conn.server.count_body_bytes(len(piece))
    return False


def _huge_header(conn: Connection, request: Request) -> bool:
    filler = ("X-Filler", "a" * HUGE_HEADER_BYTES)
    conn.send(response(200, token_body(), [*echo(request), filler]))
    return False


def _fixed(
    body: bytes, content_type: str | None = "application/json", status: int = 200
) -> Behaviour:
    def answer(conn: Connection, request: Request) -> bool:
        return conn.send(response(status, body, echo(request), content_type))

    return answer


def _redirect(conn: Connection, request: Request) -> bool:
    location = f"{conn.server.location}{request.path}"
    return conn.send(response(307, b"", [*echo(request), ("Location", location)], None))


def _storm(status: int, retry_after: str | None) -> Behaviour:
    def answer(conn: Connection, request: Request) -> bool:
        headers = [*echo(request), *([("Retry-After", retry_after)] if retry_after else [])]
        body = json.dumps({"code": str(status), "message": "slow down"}).encode()
        return conn.send(response(status, body, headers))

    return answer


def _hostile_content(conn: Connection, request: Request) -> bool:
    """Markup and control characters everywhere the suite shows what it received."""
    txid = request.header("transactionId") or ""
    credentials = request.header("Authorization") or ""
    body = json.dumps(
        {
            "code": f"400{SCRIPT}",
            "message": f"{HOSTILE_MESSAGE} (you sent {credentials})",
            "transactionId": f"{txid}{SCRIPT}",
            SCRIPT: IMG,
        }
    ).encode()
    headers: list[tuple[str, str | bytes]] = [
        ("transactionId", f"{txid}{SCRIPT}"),  # the reflected id, with markup in it
        ("X-Debug", IMG),
        ("X-You-Sent", credentials),  # the client's credentials, echoed: must be masked
        ("X-Script", SCRIPT),
        # What the socket layer lets through: h11 takes a bare LF as a line end (a second
        # header appears), control characters and latin-1 bytes in values, and folds
        # obs-fold lines. A bare CR it refuses (that would lose the whole answer).
        ("X-Crlf", b"split\nSet-Cookie: injected=1"),
        ("X-Control", b"\x01\x1b[2J\x7fend"),
        ("X-Latin1", b"\xff\xfe<script>"),
        ("X-Folded", b"first\r\n <script>window.__pwned = 5</script>"),
    ]
    return conn.send(response(400, body, headers, "application/json; charset=utf-8"))


def _bare_cr(conn: Connection, request: Request) -> bool:
    """A CR alone in a header value: what a header-splitting attempt looks like raw."""
    crlf = ("X-Split", b"value\rSet-Cookie: injected=1")
    return conn.send(response(200, token_body(), [*echo(request), crlf]))


def _sink(conn: Connection, request: Request) -> bool:
    return conn.send(response(200, token_body("sink-token-0123"), echo(request)))


def _rejects(conn: Connection, request: Request) -> bool:
    body = json.dumps({"code": "400", "message": "invalid_request"}).encode()
    return conn.send(response(400, body, echo(request)))


BEHAVIOURS: dict[str, Behaviour] = {
    "silent": _silent,
    "trickle": _trickle,
    "close-mid-body": _close_mid_body,
    "reset": _reset,
    "huge-body": _huge_body,
    "huge-header": _huge_header,
    "invalid-json": _fixed(b'{"access_token": "abc", "token_type": '),
    "invalid-utf8": _fixed(b'{"access_token": "\xff\xfe\xfa", "token_type": "Bearer"}'),
    "json-array": _fixed(b'[{"access_token": "abc", "token_type": "Bearer", "expires_in": 3600}]'),
    "json-string": _fixed(b'"access_token"'),
    "wrong-content-type": _fixed(token_body(), "text/html"),
    "no-content-type": _fixed(token_body(), None),
    "redirect-307": _redirect,
    "429-retry-after": _storm(429, "1"),
    "429-storm": _storm(429, None),
    "503-retry-after": _storm(503, "1"),
    "503-storm": _storm(503, None),
    "hostile-content": _hostile_content,
    "bare-cr": _bare_cr,
    "rejects": _rejects,
    "sink": _sink,
}


def _not_allowed(conn: Connection, request: Request) -> bool:
    body = json.dumps({"code": "405", "message": "method not allowed"}).encode()
    return conn.send(response(405, body, [*echo(request), ("Allow", "POST")]))


class HostileServer:
    """One behaviour on 127.0.0.1:<free port>, optionally over TLS; a context manager."""

    def __init__(
        self,
        behaviour: str,
        *,
        every_request: bool = False,
        tls: ssl.SSLContext | None = None,
        location: str = "",
    ) -> None:
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; one of {sorted(BEHAVIOURS)}")
        self.behaviour = behaviour
        self.every_request = every_request
        self.location = location  # where redirect-307 points
        self.stopped = threading.Event()
        self.seen: list[Seen] = []
        self.bytes_sent = 0
        self._tls = tls
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(
            target=self._accept, daemon=True, name=f"hostile-{behaviour}"
        )

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    def count_body_bytes(self, count: int) -> None:
        with self._lock:
            self.bytes_sent += count

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop accepting and drop every open connection (their threads then end)."""
        self.stopped.set()
        self._thread.join(timeout=5)
        self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(None)
        with self._lock:
            self._sockets.add(sock)
        try:
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_side=True)
                with self._lock:
                    self._sockets.add(sock)
            self._converse(Connection(sock, self))
        except (OSError, ValueError):  # SSLError included: the client refused our certificate
            pass
        finally:
            with suppress(OSError):
                sock.close()

    def _converse(self, conn: Connection) -> None:
        keep_open = True
        while keep_open and not self.stopped.is_set():
            request = conn.read_request()
            if request is None:
                return
            with self._lock:
                self.seen.append(
                    Seen(
                        request.method,
                        request.path,
                        request.header("Authorization"),
                        request.header("transactionId"),
                        time.monotonic(),
                    )
                )
            hostile = self.every_request or request.method == "POST"
            answer = BEHAVIOURS[self.behaviour] if hostile else None
            keep_open = (answer or _not_allowed)(conn, request)


def closed_port_url() -> str:
    """A loopback URL nothing listens on (the port was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


UNKNOWN_HOST_URL = "http://conformance-target.invalid"  # RFC 6761: never resolves


def self_signed_tls(directory: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hostile.test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context
