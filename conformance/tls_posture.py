"""The TLS posture of an https target, from a bounded number of handshakes (issue 20).

`probe` offers the target at most seven handshakes, each bounded by `timeout` as a whole
(connect, every read and write): the default client offer, the same with the chain
verified, each of TLS 1.0 to 1.3 alone, and weak suites alone. No HTTP request is sent.
`findings` judges the posture. This machine's OpenSSL may be unable to offer an old
version or a weak suite; what it cannot offer is never judged to pass.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

# Every suite OpenSSL has, at the lowest security level: the old versions have none left
# at the levels distributions default to, and a server refusing a version must not be
# told apart from one that shares no suite with a short offer.
VERSION_PROBE_CIPHERS = "ALL:@SECLEVEL=0"
# The weak families, by OpenSSL's cipher-string keyword; builds drop some of them.
WEAK_FAMILIES = {
    "NULL": "eNULL",
    "anonymous": "aNULL",
    "export": "EXPORT",
    "RC4": "RC4",
    "3DES": "3DES",
    "DES": "DES",
}
EXPIRY_NOTICE = timedelta(days=30)

_VERSIONS = {
    "TLS 1.0": ssl.TLSVersion.TLSv1,
    "TLS 1.1": ssl.TLSVersion.TLSv1_1,
    "TLS 1.2": ssl.TLSVersion.TLSv1_2,
    "TLS 1.3": ssl.TLSVersion.TLSv1_3,
}
# The server spoke TLS and said no: an alert, or a version the offer did not hold.
# Anything else (silence, a reset, a close, bytes that are not TLS) says nothing.
_REFUSALS = ("ALERT", "UNSUPPORTED_PROTOCOL")
_VERSION_REFUSED = "TLSV1_ALERT_PROTOCOL_VERSION"


class Answer(StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"
    NOT_TESTABLE = "not testable"  # this machine's OpenSSL cannot make the offer
    NO_ANSWER = "no answer"  # a hang, a reset, a close, or an answer that is not TLS


@dataclass(frozen=True)
class Attempt:
    """One handshake: accepted (what was negotiated), refused (OpenSSL's reason code), or
    not tried or not answered (why)."""

    answer: Answer
    reason: str = ""
    protocol: str | None = None
    cipher: str | None = None


_Attempter = Callable[[ssl.SSLContext], Attempt]  # one handshake at the probed target


@dataclass(frozen=True)
class Certificate:
    verified: bool | None  # None: no handshake got far enough to say
    error: str | None  # why the chain did not verify for the host name, or why unknown
    not_after: datetime | None
    days_left: int | None


@dataclass(frozen=True)
class TlsPosture:
    host: str
    port: int
    server_hostname: str
    openssl: str
    checked_at: datetime
    default: Attempt  # the default client offer
    versions: tuple[tuple[str, Attempt], ...]  # ("TLS 1.0", attempt), ... to TLS 1.3
    weak: Attempt  # only weak suites offered, at TLS 1.0 to 1.2
    weak_not_offerable: tuple[str, ...]  # weak families this machine's OpenSSL lacks
    certificate: Certificate

    def version(self, name: str) -> Attempt:
        return dict(self.versions)[name]


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    NOT_JUDGED = "not-judged"


@dataclass(frozen=True)
class TlsFinding:
    requirement_id: str
    level: str
    source: str
    verdict: Verdict
    reason: str


def probe(
    host: str,
    port: int,
    *,
    server_hostname: str | None = None,
    cafile: str | None = None,
    timeout: float = 5.0,
    now: datetime | None = None,
) -> TlsPosture:
    """What the target at host:port accepts, and its certificate. `now` (naive means UTC)
    counts the days left; the chain is verified at the machine's own clock."""
    name = server_hostname or host
    checked_at = _aware(now or datetime.now(UTC))
    verifying = ssl.create_default_context(cafile=cafile)  # a bad cafile is the caller's error

    def attempt(ctx: ssl.SSLContext) -> Attempt:
        return _attempt(ctx, host, port, name, timeout)[0]

    missing: tuple[str, ...]
    default, shown = _attempt(_unverified(), host, port, name, timeout)
    if default.answer is Answer.NO_ANSWER:  # one wait, not seven, for a target that hangs
        silent = Attempt(Answer.NO_ANSWER, default.reason)
        versions = tuple((label, silent) for label in _VERSIONS)
        weak, missing = silent, ()
        certificate = Certificate(None, f"no TLS answer: {default.reason}", None, None)
    else:
        versions = tuple(
            (label, _version_attempt(label, v, attempt)) for label, v in _VERSIONS.items()
        )
        weak, missing = _weak_attempt(attempt)
        certificate = Certificate(None, f"no certificate seen: {default.reason}", None, None)
        if shown is not None and (der := shown.getpeercert(binary_form=True)):
            # cryptography only here: a run of a plain-HTTP target never loads it
            from cryptography import x509

            not_after = x509.load_der_x509_certificate(der).not_valid_after_utc
            verified, error = _verify(verifying, host, port, name, timeout)
            days_left = (not_after - checked_at) // timedelta(days=1)
            certificate = Certificate(verified, error, not_after, days_left)
    return TlsPosture(
        host, port, name, ssl.OPENSSL_VERSION, checked_at, default, versions, weak, missing,
        certificate,
    )  # fmt: skip


def findings(posture: TlsPosture) -> list[TlsFinding]:
    """One finding per requirement, each verdict with the one line that says why."""
    return [finding(posture, requirement_id) for requirement_id in FINDING_IDS]


def finding(posture: TlsPosture, requirement_id: str) -> TlsFinding:
    """The finding of one requirement (one of FINDING_IDS)."""
    level, source, judge = _FINDINGS[requirement_id]
    return TlsFinding(requirement_id, level, source, *judge(posture))


def _said(label: str, attempt: Attempt) -> str:
    if attempt.answer is Answer.ACCEPTED:
        return f"{label} accepted ({attempt.cipher})"
    return f"{label} {attempt.answer.value} ({attempt.reason})"


def _pair(posture: TlsPosture, *labels: str) -> tuple[set[Answer], str]:
    attempts = [(label, posture.version(label)) for label in labels]
    said = "; ".join(_said(label, attempt) for label, attempt in attempts)
    return {attempt.answer for _, attempt in attempts}, said


def _old(posture: TlsPosture) -> tuple[Verdict, str]:
    answers, said = _pair(posture, "TLS 1.0", "TLS 1.1")
    if Answer.ACCEPTED in answers:
        return Verdict.FAIL, said
    if answers == {Answer.REFUSED}:
        return Verdict.PASS, "TLS 1.0 and TLS 1.1 refused"
    return Verdict.NOT_JUDGED, said  # a version not offered is not a version refused


def _modern(posture: TlsPosture) -> tuple[Verdict, str]:
    answers, said = _pair(posture, "TLS 1.2", "TLS 1.3")
    if Answer.ACCEPTED in answers:
        return Verdict.PASS, said
    if answers == {Answer.REFUSED}:
        return Verdict.FAIL, said
    return Verdict.NOT_JUDGED, said


def _tls13(posture: TlsPosture) -> tuple[Verdict, str]:
    attempt = posture.version("TLS 1.3")
    verdict = {Answer.ACCEPTED: Verdict.PASS, Answer.REFUSED: Verdict.WARN}
    return verdict.get(attempt.answer, Verdict.NOT_JUDGED), _said("TLS 1.3", attempt)


def _weak(posture: TlsPosture) -> tuple[Verdict, str]:
    weak, missing = posture.weak, posture.weak_not_offerable
    if weak.answer is Answer.ACCEPTED:
        return Verdict.FAIL, f"{weak.cipher} negotiated when only weak suites were offered"
    if weak.answer is not Answer.REFUSED:
        return Verdict.NOT_JUDGED, f"weak suites {weak.answer.value}: {weak.reason}"
    if weak.reason == _VERSION_REFUSED:  # every weak suite is TLS 1.2 or older
        return Verdict.PASS, "TLS 1.2 and older refused, so no weak suite is negotiable"
    if missing:  # refusing what was offered says nothing of what could not be
        return Verdict.NOT_JUDGED, (
            f"weak suites offered were refused ({weak.reason}), but this machine's "
            f"{posture.openssl} cannot offer {', '.join(missing)}"
        )
    return Verdict.PASS, f"every weak suite offered was refused ({weak.reason})"


def _valid(posture: TlsPosture) -> tuple[Verdict, str]:
    certificate = posture.certificate
    if certificate.verified:
        return Verdict.PASS, f"the chain verifies for {posture.server_hostname}"
    if certificate.verified is False:
        return Verdict.FAIL, f"not valid for {posture.server_hostname}: {certificate.error}"
    return Verdict.NOT_JUDGED, f"{certificate.error}"


def _expiry(posture: TlsPosture) -> tuple[Verdict, str]:
    not_after = posture.certificate.not_after
    if not_after is None:
        return Verdict.NOT_JUDGED, f"{posture.certificate.error}"
    said = f"expires {not_after:%Y-%m-%d %H:%M} UTC, {posture.certificate.days_left} days left"
    if not_after - posture.checked_at > EXPIRY_NOTICE:
        return Verdict.PASS, said
    return Verdict.WARN, said + f" (renew with more than {EXPIRY_NOTICE.days} days left)"


# Each finding's requirement id, level, source and judge.
_FINDINGS: dict[str, tuple[str, str, Callable[[TlsPosture], tuple[Verdict, str]]]] = {
    "SEC-TLS-OLD-VERSIONS-REFUSED": ("MUST", "RFC 8996 sections 2-3", _old),
    "SEC-TLS-MODERN-OFFERED": ("MUST", "RFC 9325 3.1.1", _modern),
    "SEC-TLS-1.3-OFFERED": ("SHOULD", "RFC 9325 3.1.1", _tls13),
    "SEC-TLS-NO-WEAK-CIPHERS": ("MUST", "RFC 9325 4.1; RFC 7465", _weak),
    "SEC-TLS-CERT-VALID": ("MUST", "RFC 9325 7.2; RFC 6125", _valid),
    "SEC-TLS-CERT-EXPIRY": ("SHOULD", "30 days' notice", _expiry),
}
FINDING_IDS = tuple(_FINDINGS)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _unverified(ciphers: str | None = None) -> ssl.SSLContext:
    # the posture is judged apart from the chain: a bad certificate must not hide a version
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if ciphers:
        ctx.set_ciphers(ciphers)
    return ctx


def _only(ctx: ssl.SSLContext, lowest: ssl.TLSVersion, highest: ssl.TLSVersion) -> None:
    with warnings.catch_warnings():  # offering the deprecated versions is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = lowest
        ctx.maximum_version = highest


def _cannot_offer(ctx: ssl.SSLContext) -> str | None:
    """Why this machine cannot write a ClientHello from `ctx`, tried in memory; None if it can."""
    tls = ctx.wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO())
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        return None  # the hello is written and waits for the server
    except ssl.SSLError as error:
        return error.reason or str(error)
    return "a handshake completed with no server"


def _version_attempt(label: str, version: ssl.TLSVersion, attempt: _Attempter) -> Attempt:
    why_not = f"this machine's {ssl.OPENSSL_VERSION} cannot offer {label} even at SECLEVEL=0"
    try:
        ctx = _unverified(VERSION_PROBE_CIPHERS)
        _only(ctx, version, version)
    except (ValueError, ssl.SSLError) as error:  # the build lacks the version or the suites
        return Attempt(Answer.NOT_TESTABLE, f"{why_not}: {error}")
    problem = _cannot_offer(ctx)
    if problem:
        return Attempt(Answer.NOT_TESTABLE, f"{why_not}: {problem}")
    return attempt(ctx)


def _weak_attempt(attempt: _Attempter) -> tuple[Attempt, tuple[str, ...]]:
    offerable, missing = [], []
    for family, keyword in WEAK_FAMILIES.items():
        try:
            _unverified(f"{keyword}:@SECLEVEL=0")
            offerable.append(keyword)
        except ssl.SSLError:
            missing.append(family)
    why_not = f"this machine's {ssl.OPENSSL_VERSION} cannot offer any weak suite"
    if not offerable:
        return Attempt(Answer.NOT_TESTABLE, f"{why_not} ({', '.join(missing)})"), tuple(missing)
    ctx = _unverified(":".join(offerable) + ":@SECLEVEL=0")
    _only(ctx, ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_2)  # no weak suite exists in 1.3
    problem = _cannot_offer(ctx)
    if problem:
        return Attempt(Answer.NOT_TESTABLE, f"{why_not}: {problem}"), tuple(missing)
    return attempt(ctx), tuple(missing)


def _verify(
    ctx: ssl.SSLContext, host: str, port: int, name: str, timeout: float
) -> tuple[bool | None, str | None]:
    """Whether the chain verifies for the host name; None when the handshake cannot say."""
    try:
        _handshake(ctx, host, port, name, timeout)
    except ssl.SSLCertVerificationError as error:
        return False, error.verify_message
    except (ssl.SSLError, OSError) as error:
        return None, f"the verifying handshake failed: {error}"
    return True, None


def _attempt(
    ctx: ssl.SSLContext, host: str, port: int, name: str, timeout: float
) -> tuple[Attempt, ssl.SSLObject | None]:
    try:
        tls = _handshake(ctx, host, port, name, timeout)
    except ssl.SSLError as error:
        code = error.reason or type(error).__name__
        if any(word in code for word in _REFUSALS):
            return Attempt(Answer.REFUSED, code), None
        return Attempt(Answer.NO_ANSWER, f"not a TLS answer or cut short: {code}"), None
    except OSError as error:  # TimeoutError, resets, refused connections, unknown hosts
        return Attempt(Answer.NO_ANSWER, str(error) or type(error).__name__), None
    negotiated = tls.cipher()
    return Attempt(Answer.ACCEPTED, "", tls.version(), negotiated and negotiated[0]), tls


def _handshake(
    ctx: ssl.SSLContext, host: str, port: int, name: str, timeout: float
) -> ssl.SSLObject:
    """One handshake through memory buffers, so one deadline bounds it whole: a server that
    drips a byte at a time cannot stretch it the way a per-read timeout would let it."""
    deadline = time.monotonic() + timeout
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname=name)

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no TLS handshake within {timeout:g} s")
        return left

    with socket.create_connection((host, port), timeout=remaining()) as sock:
        while True:
            try:
                tls.do_handshake()
                done = True
            except ssl.SSLWantReadError:
                done = False
            sock.settimeout(remaining())
            sock.sendall(outgoing.read())  # the hello, or the Finished that ends it
            if done:
                return tls
            sock.settimeout(remaining())
            try:
                data = sock.recv(65536)
            except TimeoutError:
                raise TimeoutError(f"no TLS handshake within {timeout:g} s") from None
            if data:
                incoming.write(data)
            else:
                incoming.write_eof()  # the next step raises SSLEOFError: no answer


@dataclass(frozen=True)
class Transport:
    """How the run reaches its target: the scheme and host and, over https, the TLS
    posture (None with `error` when the probe could not run)."""

    scheme: str
    host: str
    loopback: bool
    posture: TlsPosture | None = None
    error: str = ""


def transport_of(base_url: str, *, timeout: float = 5.0) -> Transport:
    """The target's transport; an https target is probed once (a bounded few handshakes)."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    scheme = parts.scheme.lower()
    loopback = host == "localhost" or _is_loopback_address(host)
    if scheme != "https":
        return Transport(scheme, host, loopback)
    try:
        posture = probe(host, parts.port or 443, timeout=timeout)
    except (OSError, ValueError) as exc:  # a name that does not resolve, say
        return Transport(scheme, host, loopback, None, f"{type(exc).__name__}: {exc}")
    return Transport(scheme, host, loopback, posture)


def _is_loopback_address(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
