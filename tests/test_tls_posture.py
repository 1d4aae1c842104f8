"""The TLS posture probe against real TLS servers on 127.0.0.1, one per posture, their
certificates from a test CA (trustme), and its findings on both sides of each line.

This machine's OpenSSL may be unable to offer an old version or a weak suite; a case that
needs one skips saying so, and the probe then reports it not judged, never passed.
"""

from __future__ import annotations

import socket
import socketserver
import ssl
import struct
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme

from conformance import tls_posture
from conformance.tls_posture import (
    Answer,
    Attempt,
    Certificate,
    TlsPosture,
    Verdict,
    findings,
    probe,
    transport_of,
)

V = ssl.TLSVersion
HOST = "localhost"  # the name the test certificates are issued for


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, handle: Callable[[socket.socket], None]) -> None:
        self.handle_connection = handle
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # refusing a handshake is what most of these servers are for


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.server.handle_connection(self.request)


@contextmanager
def serving(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    server = _Server(handle)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def tls_server_context(
    cert: trustme.LeafCert, lowest: V, highest: V, ciphers: str | None = None
) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(ctx)
    if ciphers:
        ctx.set_ciphers(ciphers)
    with warnings.catch_warnings():  # a server that still speaks TLS 1.0 is a posture here
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = lowest
        ctx.maximum_version = highest
    return ctx


@contextmanager
def tls_server(ctx: ssl.SSLContext) -> Iterator[int]:
    def handshake(raw: socket.socket) -> None:
        raw.settimeout(5)
        with ctx.wrap_socket(raw, server_side=True):
            pass

    with serving(handshake) as port:
        yield port


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def leaf(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert(HOST, "127.0.0.1")


@pytest.fixture
def cafile(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def verdicts(posture: TlsPosture) -> dict[str, Verdict]:
    return {finding.requirement_id: finding.verdict for finding in findings(posture)}


def probed(
    port: int, cafile: str | None, *, timeout: float = 5.0, now: datetime | None = None
) -> TlsPosture:
    return probe("127.0.0.1", port, server_hostname=HOST, cafile=cafile, timeout=timeout, now=now)


def skip_unless_offerable(posture: TlsPosture, *labels: str) -> None:
    for label in labels:
        attempt = posture.version(label)
        if attempt.answer is Answer.NOT_TESTABLE:
            pytest.skip(attempt.reason)


# Real servers, one per posture


def test_tls13_only_server_passes_every_finding(leaf: trustme.LeafCert, cafile: str) -> None:
    with tls_server(tls_server_context(leaf, V.TLSv1_3, V.TLSv1_3)) as port:
        posture = probed(port, cafile)
    assert (posture.default.answer, posture.default.protocol) == (Answer.ACCEPTED, "TLSv1.3")
    assert posture.default.cipher  # the suite the default client offer got
    assert [attempt.answer for _, attempt in posture.versions] == [
        Answer.REFUSED,
        Answer.REFUSED,
        Answer.REFUSED,
        Answer.ACCEPTED,
    ]
    assert posture.certificate.verified is True
    assert posture.certificate.error is None
    assert set(verdicts(posture).values()) == {Verdict.PASS}
    # its refusal of every version a weak suite exists in is what passes the weak line,
    # whatever weak suites this machine can offer
    assert posture.weak == Attempt(Answer.REFUSED, "TLSV1_ALERT_PROTOCOL_VERSION")


def test_tls12_only_server_warns_that_tls13_is_not_offered(
    leaf: trustme.LeafCert, cafile: str
) -> None:
    with tls_server(tls_server_context(leaf, V.TLSv1_2, V.TLSv1_2)) as port:
        posture = probed(port, cafile)
    found = {finding.requirement_id: finding for finding in findings(posture)}
    assert found["SEC-TLS-1.3-OFFERED"].verdict is Verdict.WARN
    assert found["SEC-TLS-1.3-OFFERED"].level == "SHOULD"
    assert "TLS 1.3 refused" in found["SEC-TLS-1.3-OFFERED"].reason
    assert posture.default.protocol == "TLSv1.2"
    for requirement in (
        "SEC-TLS-OLD-VERSIONS-REFUSED",
        "SEC-TLS-MODERN-OFFERED",
        "SEC-TLS-CERT-VALID",
    ):
        assert found[requirement].verdict is Verdict.PASS, found[requirement]
    # its default suites refuse a weak-only offer; whether that passes depends on which
    # weak families this machine could offer at all
    assert posture.weak.answer is Answer.REFUSED
    weak = found["SEC-TLS-NO-WEAK-CIPHERS"]
    if posture.weak_not_offerable:
        assert weak.verdict is Verdict.NOT_JUDGED
        assert all(family in weak.reason for family in posture.weak_not_offerable)
    else:
        assert weak.verdict is Verdict.PASS


def test_server_still_accepting_tls10_and_tls11_fails(leaf: trustme.LeafCert, cafile: str) -> None:
    ctx = tls_server_context(leaf, V.TLSv1, V.TLSv1_3, "DEFAULT:@SECLEVEL=0")
    with tls_server(ctx) as port:
        posture = probed(port, cafile)
    skip_unless_offerable(posture, "TLS 1.0", "TLS 1.1")
    assert posture.version("TLS 1.0").protocol == "TLSv1"
    assert posture.version("TLS 1.1").protocol == "TLSv1.1"
    old = findings(posture)[0]
    assert (old.requirement_id, old.verdict) == ("SEC-TLS-OLD-VERSIONS-REFUSED", Verdict.FAIL)
    assert "TLS 1.0 accepted" in old.reason and "TLS 1.1 accepted" in old.reason
    assert verdicts(posture)["SEC-TLS-MODERN-OFFERED"] is Verdict.PASS


def test_server_speaking_only_tls10_and_tls11_fails_the_modern_line(
    leaf: trustme.LeafCert, cafile: str
) -> None:
    ctx = tls_server_context(leaf, V.TLSv1, V.TLSv1_1, "DEFAULT:@SECLEVEL=0")
    with tls_server(ctx) as port:
        posture = probed(port, cafile)
    skip_unless_offerable(posture, "TLS 1.0", "TLS 1.1")
    assert posture.default.answer is Answer.REFUSED  # the default offer starts at TLS 1.2
    found = verdicts(posture)
    assert found["SEC-TLS-MODERN-OFFERED"] is Verdict.FAIL
    assert found["SEC-TLS-1.3-OFFERED"] is Verdict.WARN
    assert found["SEC-TLS-OLD-VERSIONS-REFUSED"] is Verdict.FAIL
    # no handshake a verifying client would make got through: the chain is not judged
    assert found["SEC-TLS-CERT-VALID"] is Verdict.NOT_JUDGED
    assert found["SEC-TLS-CERT-EXPIRY"] is Verdict.NOT_JUDGED


@pytest.mark.parametrize(("family", "keyword"), [("NULL", "eNULL"), ("anonymous", "aNULL")])
def test_server_accepting_a_weak_suite_fails(
    leaf: trustme.LeafCert, cafile: str, family: str, keyword: str
) -> None:
    try:
        ctx = tls_server_context(leaf, V.TLSv1_2, V.TLSv1_2, f"ECDHE+AESGCM:{keyword}:@SECLEVEL=0")
    except ssl.SSLError as error:
        pytest.skip(f"this machine's {ssl.OPENSSL_VERSION} has no {family} suite: {error}")
    with tls_server(ctx) as port:
        posture = probed(port, cafile)
    if family in posture.weak_not_offerable:
        pytest.skip(f"this machine's {ssl.OPENSSL_VERSION} cannot offer a {family} suite")
    assert posture.weak.answer is Answer.ACCEPTED
    weak = {f.requirement_id: f for f in findings(posture)}["SEC-TLS-NO-WEAK-CIPHERS"]
    assert weak.verdict is Verdict.FAIL
    assert posture.weak.cipher and posture.weak.cipher in weak.reason
    offered = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    offered.set_ciphers(f"{keyword}:@SECLEVEL=0")
    assert posture.weak.cipher in {c["name"] for c in offered.get_ciphers()}
    # a normal client still gets a strong suite: only the weak-only offer shows it
    assert verdicts(posture)["SEC-TLS-MODERN-OFFERED"] is Verdict.PASS


def test_certificate_for_another_host_name_fails(ca: trustme.CA, cafile: str) -> None:
    elsewhere = ca.issue_cert("other.example")
    with tls_server(tls_server_context(elsewhere, V.TLSv1_2, V.TLSv1_3)) as port:
        posture = probed(port, cafile)
    assert posture.certificate.verified is False
    valid = {f.requirement_id: f for f in findings(posture)}["SEC-TLS-CERT-VALID"]
    assert valid.verdict is Verdict.FAIL
    assert "localhost" in valid.reason and "Hostname mismatch" in valid.reason
    # the version lines are judged apart from the chain
    assert verdicts(posture)["SEC-TLS-MODERN-OFFERED"] is Verdict.PASS


def test_chain_from_a_ca_the_store_does_not_hold_fails(leaf: trustme.LeafCert) -> None:
    with tls_server(tls_server_context(leaf, V.TLSv1_2, V.TLSv1_3)) as port:
        posture = probed(port, None)  # the system store: it never holds the test CA
    assert posture.certificate.verified is False
    assert posture.certificate.error == "unable to get local issuer certificate"
    assert verdicts(posture)["SEC-TLS-CERT-VALID"] is Verdict.FAIL


def test_certificate_expiring_in_ten_days_warns(ca: trustme.CA, cafile: str) -> None:
    soon = ca.issue_cert(HOST, not_after=datetime.now(UTC) + timedelta(days=10))
    with tls_server(tls_server_context(soon, V.TLSv1_2, V.TLSv1_3)) as port:
        posture = probed(port, cafile)
    assert posture.certificate.days_left in (9, 10)
    expiry = {f.requirement_id: f for f in findings(posture)}["SEC-TLS-CERT-EXPIRY"]
    assert (expiry.verdict, expiry.level) == (Verdict.WARN, "SHOULD")
    assert "days left" in expiry.reason
    assert verdicts(posture)["SEC-TLS-CERT-VALID"] is Verdict.PASS  # still valid today


def test_expired_certificate_fails_validity_and_warns_expiry(ca: trustme.CA, cafile: str) -> None:
    yesterday = datetime.now(UTC) - timedelta(days=1)
    gone = ca.issue_cert(HOST, not_before=yesterday - timedelta(days=90), not_after=yesterday)
    with tls_server(tls_server_context(gone, V.TLSv1_2, V.TLSv1_3)) as port:
        posture = probed(port, cafile)
    assert posture.certificate.error == "certificate has expired"
    assert posture.certificate.days_left is not None and posture.certificate.days_left < 0
    found = verdicts(posture)
    assert (found["SEC-TLS-CERT-VALID"], found["SEC-TLS-CERT-EXPIRY"]) == (
        Verdict.FAIL,
        Verdict.WARN,
    )


def test_expiry_is_counted_from_the_given_now(leaf: trustme.LeafCert, cafile: str) -> None:
    with tls_server(tls_server_context(leaf, V.TLSv1_3, V.TLSv1_3)) as port:
        far = probed(port, cafile)
        assert far.certificate.not_after is not None
        late = probed(port, cafile, now=far.certificate.not_after - timedelta(days=3))
    assert verdicts(far)["SEC-TLS-CERT-EXPIRY"] is Verdict.PASS
    assert late.certificate.days_left == 3
    assert verdicts(late)["SEC-TLS-CERT-EXPIRY"] is Verdict.WARN


# Targets that do not answer: not judged, within the timeout


def _hang(stopping: threading.Event) -> Callable[[socket.socket], None]:
    def handle(raw: socket.socket) -> None:
        stopping.wait(10)  # TCP accepted; the handshake never answered

    return handle


def _assert_nothing_judged(posture: TlsPosture) -> None:
    assert set(verdicts(posture).values()) == {Verdict.NOT_JUDGED}
    assert posture.default.answer is Answer.NO_ANSWER
    assert all(f.reason for f in findings(posture))


def test_server_that_never_answers_the_handshake_is_not_judged_within_the_timeout() -> None:
    stopping = threading.Event()
    with serving(_hang(stopping)) as port:
        started = time.monotonic()
        posture = probed(port, None, timeout=0.5)
        elapsed = time.monotonic() - started
        stopping.set()
    assert elapsed < 1.5  # one handshake's wait, not one per handshake
    _assert_nothing_judged(posture)
    assert "within 0.5 s" in posture.default.reason


def test_server_dripping_bytes_cannot_stretch_the_timeout() -> None:
    # a record header announcing 16 KiB, then a byte every 0.1 s: each read gets one well
    # inside the timeout, so only a deadline on the whole handshake ends it
    stopping = threading.Event()

    def drip(raw: socket.socket) -> None:
        raw.sendall(b"\x16\x03\x03\x40\x00")
        for _ in range(40):  # 4 s at most, so a probe without the deadline fails, not hangs
            if stopping.wait(0.1):
                return
            raw.sendall(b"\x00")

    with serving(drip) as port:
        started = time.monotonic()
        posture = probed(port, None, timeout=0.5)
        elapsed = time.monotonic() - started
        stopping.set()
    assert elapsed < 1.5
    _assert_nothing_judged(posture)
    assert "within 0.5 s" in posture.default.reason


def test_server_that_resets_the_connection_is_not_judged() -> None:
    def reset(raw: socket.socket) -> None:
        raw.recv(1024)
        # linger on, zero seconds: close sends a reset, not the orderly end of the stream
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        raw.close()

    with serving(reset) as port:
        posture = probed(port, None, timeout=2)
    _assert_nothing_judged(posture)


def test_plain_http_answer_is_not_taken_for_a_refusal() -> None:
    def http(raw: socket.socket) -> None:
        raw.recv(1024)
        raw.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    with serving(http) as port:
        posture = probed(port, None, timeout=2)
    _assert_nothing_judged(posture)


def test_nothing_listening_is_not_judged() -> None:
    with socket.create_server(("127.0.0.1", 0)) as unused:
        port = unused.getsockname()[1]
    _assert_nothing_judged(probed(port, None, timeout=2))


# What this machine cannot offer is not judged, never passed


def test_old_version_this_machine_cannot_offer_is_not_judged_never_passed(
    leaf: trustme.LeafCert, cafile: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # AES-GCM suites exist only from TLS 1.2: no OpenSSL can offer TLS 1.0 or 1.1 with them
    monkeypatch.setattr(tls_posture, "VERSION_PROBE_CIPHERS", "ECDHE+AESGCM")
    with tls_server(tls_server_context(leaf, V.TLSv1_3, V.TLSv1_3)) as port:
        posture = probed(port, cafile)
    for label in ("TLS 1.0", "TLS 1.1"):
        attempt = posture.version(label)
        assert attempt.answer is Answer.NOT_TESTABLE
        assert f"cannot offer {label} even at SECLEVEL=0" in attempt.reason
    old = findings(posture)[0]
    assert old.verdict is Verdict.NOT_JUDGED  # the server would refuse both: still not judged
    assert "TLS 1.0 not testable" in old.reason


@pytest.mark.parametrize(
    ("families", "expected"),
    [
        ({"NULL": "eNULL"}, Verdict.PASS),  # all it tried to offer, offered and refused
        ({"NULL": "eNULL", "imaginary": "NO-SUCH-SUITE"}, Verdict.NOT_JUDGED),
        ({"imaginary": "NO-SUCH-SUITE"}, Verdict.NOT_JUDGED),
    ],
)
def test_weak_families_this_machine_cannot_offer_leave_the_weak_line_not_judged(
    leaf: trustme.LeafCert,
    cafile: str,
    monkeypatch: pytest.MonkeyPatch,
    families: dict[str, str],
    expected: Verdict,
) -> None:
    monkeypatch.setattr(tls_posture, "WEAK_FAMILIES", families)
    with tls_server(tls_server_context(leaf, V.TLSv1_2, V.TLSv1_2)) as port:
        posture = probed(port, cafile)
    if "NULL" in families and "NULL" in posture.weak_not_offerable:
        pytest.skip(f"this machine's {ssl.OPENSSL_VERSION} cannot offer a NULL suite")
    assert ("imaginary" in posture.weak_not_offerable) == ("imaginary" in families)
    weak = {f.requirement_id: f for f in findings(posture)}["SEC-TLS-NO-WEAK-CIPHERS"]
    assert weak.verdict is expected, weak
    if expected is Verdict.NOT_JUDGED:
        assert "imaginary" in weak.reason


# findings() alone, on postures built by hand: the lines' edges


def _posture(**changes: object) -> TlsPosture:
    refused = Attempt(Answer.REFUSED, "TLSV1_ALERT_PROTOCOL_VERSION")
    accepted = Attempt(Answer.ACCEPTED, "", "TLSv1.3", "TLS_AES_128_GCM_SHA256")
    checked = datetime(2030, 1, 1, tzinfo=UTC)
    base = TlsPosture(
        host="127.0.0.1",
        port=443,
        server_hostname=HOST,
        openssl=ssl.OPENSSL_VERSION,
        checked_at=checked,
        default=accepted,
        versions=(
            ("TLS 1.0", refused),
            ("TLS 1.1", refused),
            ("TLS 1.2", refused),
            ("TLS 1.3", accepted),
        ),
        weak=refused,
        weak_not_offerable=(),
        certificate=Certificate(True, None, checked + timedelta(days=90), 90),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _with_version(label: str, attempt: Attempt) -> TlsPosture:
    versions = tuple((name, attempt if name == label else a) for name, a in _posture().versions)
    return _posture(versions=versions)


def test_findings_name_each_requirement_with_its_level_and_source() -> None:
    assert [(f.requirement_id, f.level, f.source) for f in findings(_posture())] == [
        ("SEC-TLS-OLD-VERSIONS-REFUSED", "MUST", "RFC 8996 sections 2-3"),
        ("SEC-TLS-MODERN-OFFERED", "MUST", "RFC 9325 3.1.1"),
        ("SEC-TLS-1.3-OFFERED", "SHOULD", "RFC 9325 3.1.1"),
        ("SEC-TLS-NO-WEAK-CIPHERS", "MUST", "RFC 9325 4.1; RFC 7465"),
        ("SEC-TLS-CERT-VALID", "MUST", "RFC 9325 7.2; RFC 6125"),
        ("SEC-TLS-CERT-EXPIRY", "SHOULD", "30 days' notice"),
    ]
    assert all("\n" not in f.reason and f.reason for f in findings(_posture()))


@pytest.mark.parametrize(
    ("label", "attempt", "requirement", "expected"),
    [
        ("TLS 1.1", Attempt(Answer.NO_ANSWER, "timed out"), "SEC-TLS-OLD-VERSIONS-REFUSED", None),
        ("TLS 1.0", Attempt(Answer.NOT_TESTABLE, "no"), "SEC-TLS-OLD-VERSIONS-REFUSED", None),
        ("TLS 1.3", Attempt(Answer.NOT_TESTABLE, "no"), "SEC-TLS-1.3-OFFERED", None),
        ("TLS 1.3", Attempt(Answer.NOT_TESTABLE, "no"), "SEC-TLS-MODERN-OFFERED", None),
        ("TLS 1.3", Attempt(Answer.REFUSED, "X_ALERT"), "SEC-TLS-MODERN-OFFERED", Verdict.FAIL),
        (
            "TLS 1.2",
            Attempt(Answer.ACCEPTED, "", "TLSv1.2", "A"),
            "SEC-TLS-MODERN-OFFERED",
            Verdict.PASS,
        ),
    ],
)
def test_version_lines_on_both_sides(
    label: str, attempt: Attempt, requirement: str, expected: Verdict | None
) -> None:
    # the base posture refuses TLS 1.0 to 1.2 and accepts TLS 1.3; one version changes
    posture = _with_version(label, attempt)
    assert verdicts(posture)[requirement] is (expected or Verdict.NOT_JUDGED)


@pytest.mark.parametrize(
    ("weak", "missing", "expected"),
    [
        (Attempt(Answer.ACCEPTED, "", "TLSv1.2", "NULL-SHA"), ("RC4",), Verdict.FAIL),
        (Attempt(Answer.REFUSED, "TLSV1_ALERT_PROTOCOL_VERSION"), ("RC4",), Verdict.PASS),
        (Attempt(Answer.REFUSED, "SSLV3_ALERT_HANDSHAKE_FAILURE"), (), Verdict.PASS),
        (Attempt(Answer.REFUSED, "SSLV3_ALERT_HANDSHAKE_FAILURE"), ("RC4",), Verdict.NOT_JUDGED),
        (Attempt(Answer.NOT_TESTABLE, "none offerable"), ("RC4",), Verdict.NOT_JUDGED),
        (Attempt(Answer.NO_ANSWER, "reset"), (), Verdict.NOT_JUDGED),
    ],
)
def test_weak_line_on_both_sides(
    weak: Attempt, missing: tuple[str, ...], expected: Verdict
) -> None:
    posture = _posture(weak=weak, weak_not_offerable=missing)
    assert verdicts(posture)["SEC-TLS-NO-WEAK-CIPHERS"] is expected


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        (timedelta(days=30, seconds=1), Verdict.PASS),
        (timedelta(days=30), Verdict.WARN),  # "more than 30 days": exactly 30 is within
        (timedelta(days=-1), Verdict.WARN),  # expired: the validity line fails it as well
    ],
)
def test_expiry_line_at_thirty_days(left: timedelta, expected: Verdict) -> None:
    posture = _posture()
    certificate = replace(posture.certificate, not_after=posture.checked_at + left)
    assert verdicts(replace(posture, certificate=certificate))["SEC-TLS-CERT-EXPIRY"] is expected


def test_certificate_lines_not_judged_without_a_certificate() -> None:
    unknown = Certificate(None, "no certificate seen: TLSV1_ALERT_PROTOCOL_VERSION", None, None)
    found = {f.requirement_id: f for f in findings(_posture(certificate=unknown))}
    for requirement in ("SEC-TLS-CERT-VALID", "SEC-TLS-CERT-EXPIRY"):
        assert found[requirement].verdict is Verdict.NOT_JUDGED
        assert "no certificate seen" in found[requirement].reason


def test_posture_is_frozen() -> None:
    with pytest.raises(AttributeError):
        _posture().weak = Attempt(Answer.ACCEPTED)  # type: ignore[misc]


# The run's view: transport_of, which RunContext calls once for the security findings


def test_transport_of__an_https_target_is_probed_and_its_findings_hold(
    leaf: trustme.LeafCert, cafile: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conformance.checks import CHECKS, CheckContext
    from conformance.contract import load_contract

    monkeypatch.setenv("SSL_CERT_FILE", cafile)  # the machine's store, as a user's would hold it
    with tls_server(tls_server_context(leaf, V.TLSv1_2, V.TLSv1_3)) as port:
        transport = transport_of(f"https://127.0.0.1:{port}/base", timeout=2.0)
    assert (transport.scheme, transport.loopback, transport.error) == ("https", True, "")
    assert transport.posture is not None and transport.posture.certificate.verified
    for requirement_id in ("SEC-TLS-REQUIRED", "SEC-TLS-MODERN-OFFERED", "SEC-TLS-CERT-VALID"):
        context = CheckContext(requirement_id, "1.3.1", load_contract(), transport=transport)
        CHECKS[requirement_id].function([], context)  # holds: no Failure, no Skipped


def test_transport_of__plain_http_is_not_probed_and_a_bad_host_is_an_error_not_a_crash() -> None:
    plain = transport_of("http://127.0.0.1:9/")
    assert (plain.scheme, plain.loopback, plain.posture) == ("http", True, None)
    remote = transport_of("http://api.example/")
    assert remote.loopback is False
    unknown = transport_of("https://name.invalid/", timeout=1.0)
    assert unknown.posture is None or unknown.posture.default.answer is Answer.NO_ANSWER
