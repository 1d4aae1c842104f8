"""The preflight: does the target give any HTTP answer at all? Exit 2 early if not."""

from __future__ import annotations

import threading

import httpx

from conformance.errors import TargetUnreachable
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
