"""The preflights: before the target is judged, does it answer at all, and does it accept
the configured credentials? A no to either is the suite's problem, not the target's:
exit 2, naming what to check, before a single negative request is sent.

Also here: what counts as a refused login of the configured user, which the lock-out
count must include whichever scenario sent it."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs

import httpx

from conformance.errors import CredentialsRefused, TargetUnreachable
from conformance.exchange import Exchange
from conformance.sender import DEADLINE_GRACE
from conformance.settings import Settings


def preflight(base_url: str, settings: Settings) -> None:
    """Fail fast, naming the URL and the setting, when the target gives no HTTP answer.

    A status line and headers are an answer (a broken body is for the checks to judge),
    and they must arrive within `timeout` as a whole: a target trickling them a byte at
    a time never trips httpx's per-read timeouts, so the probe runs under a deadline.
    """
    url = base_url + settings.token_path
    limit = min(settings.timeout, 10.0)
    problem = _probe(url, limit, verify=not settings.insecure)
    if problem is not None:
        raise TargetUnreachable(
            f"Cannot reach the target at {url}.\n\n"
            f"Expected: an HTTP answer\nReceived: {problem}\n"
            "Check the target (--target / CONFORMANCE_TARGET) and token_path; for a TLS "
            "certificate you trust but cannot verify, --insecure."
        )


def _probe(url: str, limit: float, verify: bool) -> str | None:
    """None when GET `url` gets a status line and headers within `limit` s, else why not."""
    too_slow = f"no HTTP answer within {limit:g} s (setting timeout)"
    found: list[str | None] = []

    def probe() -> None:
        try:
            with httpx.stream("GET", url, timeout=limit, verify=verify):
                found.append(None)  # the body is not read
        except httpx.TimeoutException:
            found.append(too_slow)
        except Exception as exc:  # noqa: BLE001 - whatever the transport raises is the answer
            found.append(f"{type(exc).__name__}: {exc}")

    # A daemon thread: a target that never finishes its headers cannot keep the process alive.
    thread = threading.Thread(target=probe, daemon=True, name="conformance-preflight")
    thread.start()
    thread.join(limit + DEADLINE_GRACE)
    return found[0] if found else too_slow


# The platform's codes for refused client credentials and for a refused user (section 4:
# invalid client credentials; access blocked, username / password invalid, invalid user
# credentials, invalid user). RFC 6749 5.2 says the same with `invalid_client` and
# `invalid_grant`.
CLIENT_REFUSED_CODES = frozenset({"CMN_90004"})
LOGIN_REFUSED_CODES = frozenset({"CMN_90009", "CMN_90013", "CMN_90014", "CMN_90015", "CMN_90016"})


def _error_of(exchange: Exchange) -> tuple[object, object]:
    body = exchange.body_object() or {}
    return body.get("code"), body.get("error")


def _names_client_refused(exchange: Exchange) -> bool:
    """The answer's code says the client's credentials were refused."""
    code, error = _error_of(exchange)
    return code in CLIENT_REFUSED_CODES or error == "invalid_client"


def client_refused(exchange: Exchange) -> bool:
    """The target said the client's credentials are wrong (a 401, or its code for it)."""
    if exchange.response is None or exchange.issued_token():
        return False
    return exchange.status == 401 or _names_client_refused(exchange)


def login_refused(exchange: Exchange) -> bool:
    """The target refused a password login because of the user's credentials: what an
    identity provider counts towards locking the user out."""
    if exchange.response is None or exchange.issued_token() or _names_client_refused(exchange):
        return False  # no answer, a token, or refused before the user was looked at
    code, error = _error_of(exchange)
    return code in LOGIN_REFUSED_CODES or error == "invalid_grant" or exchange.status == 401


def logs_in_as(exchange: Exchange, username: str | None, password: str | None) -> bool:
    """A password-grant request carrying exactly the configured user's credentials."""
    if not username or password is None or exchange.grant not in (None, "password"):
        return False
    try:
        fields = parse_qs(exchange.request.body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return False
    return (
        fields.get("grant_type") == ["password"]
        and fields.get("username") == [username]
        and fields.get("password") == [password]
    )


def check_client(exchange: Exchange) -> None:
    """Stop the run when the target refused the main client's credentials."""
    if client_refused(exchange):
        raise CredentialsRefused(
            "inconclusive: the target refused the configured client credentials "
            "(CONFORMANCE_CLIENT_SECRET?)\n\n"
            "Expected: a token for a client_credentials request with the configured client\n"
            f"Received: {_answer(exchange)}\n"
            "No further request was sent: every verdict would have been about the "
            "credentials, not the target. Check CONFORMANCE_CLIENT_ID and "
            "CONFORMANCE_CLIENT_SECRET (a rotated secret?).",
            setting="client_secret",
        )


def check_login(exchange: Exchange) -> None:
    """Stop the run when the target refused the configured user's login (or, saying so
    by its code, the client: a 401 alone is the user's here, as D13 has it)."""
    if not exchange.issued_token() and _names_client_refused(exchange):
        check_client(exchange)
    if login_refused(exchange):
        raise CredentialsRefused(
            "inconclusive: the target refused the configured user's login "
            "(CONFORMANCE_PASSWORD?)\n\n"
            "Expected: a token for a password request with the configured user\n"
            f"Received: {_answer(exchange)}\n"
            "No further request was sent, so no further failed login counts against the "
            "user. Check CONFORMANCE_USERNAME and CONFORMANCE_PASSWORD (and that the user "
            "is not locked out).",
            setting="password",
        )


def _answer(exchange: Exchange) -> str:
    code, error = _error_of(exchange)
    named = code if isinstance(code, str) else error if isinstance(error, str) else None
    return f"HTTP {exchange.status}" + (f" {named}" if named else "")
