"""A small hand-made run for the report tests: every outcome kind, all four grants,
evidence with a request and a response, and a target that puts markup everywhere.

Fixtures:

- `outcomes` -> list[Outcome]: ten cases over six requirements, one of each outcome kind
  at least (a waived one with an applied waiver, a passed one with a stale waiver).
  The failing TXID-ECHO case carries hostile content in its message and evidence.
- `run_header` -> dict: the run header, its target URL hostile too.
- `browser` (module scope) -> a Playwright Browser on Debian's /usr/bin/chromium; skips
  when it (or Playwright) is missing, fails instead when CANDESCENT_TESTS_REQUIRE_BROWSER=1.

Helpers: `ParsedPage(html)` reads tags and the matrix from the markup; `open_report(browser,
path)` opens a report and records console errors, page errors and requests. The constants
name the hostile strings so the tests can look for them (or their absence).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from conformance.results import Outcome

# Each payload, if it ever ran, would leave a mark the browser test looks for.
SCRIPT = "<script>window.__pwned = 1; document.title = 'pwned'</script>"
ATTRIBUTE = '"><img src=x onerror="window.__pwned = 2">'
PRE_BREAK = "</pre><script>window.__pwned = 3</script>"
CRLF_VALUE = "abc\r\nSet-Cookie: injected=1"
TARGET = "https://sandbox.example/<script>window.__pwned = 4</script>"
FAILED_TITLE = f"transactionId not echoed {SCRIPT}"
EXPECTED_ROWS = (
    "TXID-PRESENT",
    "TXID-ECHO",
    "RESP-TOKEN-TYPE",
    "RESP-PRAGMA",
    "CLIENT-GRANT-FORBIDDEN-403",
    "TXID-CONCURRENT",
)


def _exchange(
    label: str, grant: str | None, status: int, body: str, txid: str = "8c1f0b7e"
) -> dict[str, Any]:
    """A redacted evidence record, shaped like `Redactor.evidence` makes them."""
    url = "https://sandbox.example/oauth2/token"
    return {
        "scenario": f"{grant or 'common'}-{label}",
        "label": label,
        "grant": grant,
        "request": {
            "method": "POST",
            "url": url,
            "headers": [
                ["content-type", "application/x-www-form-urlencoded"],
                ["authorization", "Basic ********"],
                ["transactionId", txid],
            ],
            "body": f"grant_type={grant or 'client_credentials'}&scope=openid",
        },
        "response": {
            "status": status,
            "headers": [["content-type", "application/json"], ["transactionId", txid]],
            "body": body,
            "truncated": False,
            "elapsed_ms": 41.7,
        },
        "transport_error": None,
        "curl": f"curl -i -X POST {url} -H 'transactionId: {txid}' --data-binary 'grant_type=x'",
    }


def _outcome(requirement_id: str, grant: str | None, outcome: str, **extra: Any) -> Outcome:
    fields: dict[str, Any] = {
        "level": "MUST",
        "edition": "1.3.1",
        "message": "",
        "summary": f"What {requirement_id} requires.",
        "duration_s": 0.004,
        "area": "response",
        "source": "spec §3",
        **extra,
    }
    return Outcome(requirement_id=requirement_id, grant=grant, outcome=outcome, **fields)


def _hostile_failure() -> Outcome:
    """The target reflects markup in its transactionId, headers and body."""
    evidence = _exchange("echo", None, 400, f"{PRE_BREAK}\n{ATTRIBUTE}", txid=SCRIPT)
    evidence["response"]["headers"].append(["x-debug", ATTRIBUTE])
    evidence["request"]["headers"].append(["x-trace", CRLF_VALUE])
    evidence["curl"] += f" -H 'x-debug: {ATTRIBUTE}'"
    message = f"{FAILED_TITLE}\n\nExpected: the request's id\nReceived: {ATTRIBUTE} {PRE_BREAK}"
    return _outcome(
        "TXID-ECHO", None, "failed", message=message, decision="D2", evidence=[evidence]
    )


def _token_type(grant: str, outcome: str, **extra: Any) -> Outcome:
    body = '{"access_token": "********", "token_type": "mac", "expires_in": 3600}'
    return _outcome(
        "RESP-TOKEN-TYPE",
        grant,
        outcome,
        decision="D7",
        summary="token_type equals Bearer, compared case-insensitively.",
        evidence=[_exchange("token", grant, 200, body)],
        **extra,
    )


@pytest.fixture
def outcomes() -> list[Outcome]:
    token_type_failure = "token_type is not Bearer\n\nExpected: Bearer (any case)\nReceived: 'mac'"
    return [
        _outcome("TXID-PRESENT", None, "passed", decision="D1"),
        _hostile_failure(),
        _token_type("client_credentials", "passed"),
        _token_type("password", "failed", message=token_type_failure),
        _token_type(
            "authorization_code",
            "skipped",
            message="no authorization code: set CONFORMANCE_AUTH_CODE_COMMAND",
        ),
        _token_type(
            "refresh_token",
            "passed",
            waiver={"reason": "fixed in 2.4", "expires": "2031-01-31", "state": "stale"},
        ),
        _outcome(
            "RESP-PRAGMA",
            "password",
            "warned",
            level="SHOULD",
            decision="D9",
            message="Pragma missing\n\nExpected: Pragma: no-cache\nReceived: no Pragma header",
        ),
        _outcome("RESP-PRAGMA", "client_credentials", "passed", level="SHOULD", decision="D9"),
        _outcome(
            "CLIENT-GRANT-FORBIDDEN-403",
            "password",
            "waived",
            level="SHOULD",
            message="status 400\n\nExpected: 403\nReceived: 400",
            waiver={
                "reason": f"vendor ticket 1234 {SCRIPT}",
                "expires": "2031-06-30",
                "state": "applied",
            },
        ),
        _outcome(
            "TXID-CONCURRENT",
            None,
            "error",
            decision="D23",
            message="TargetUnreachable: connection refused by sandbox.example:443",
        ),
    ]


@pytest.fixture
def run_header() -> dict[str, Any]:
    return {
        "target": TARGET,
        "base_url": "https://sandbox.example",
        "token_path": "/oauth2/token",
        "edition": "1.3.1",
        "strict": False,
        "seed": 20240611,
        "suite_version": "0.1.0",
        "requests_sent": 187,
        "generated_requests": 120,
        "retries_honoured": 2,
        "wrong_password_attempts": 3,
        "wrong_password_cap": 5,
        "profile": "developer",
        "started": "2025-03-04T10:15:00Z",
        "finished": "2025-03-04T10:15:42Z",
        "duration_s": 42.4,
    }


# --- reading the page, and the browser ---------------------------------------------------
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",  # the tests may run as root (containers)
    "--disable-gpu",
    # A closed network: nothing may dial out, not even the browser's own housekeeping.
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Read at import: the autouse clean_environment fixture removes CONFORMANCE_* per test.
REQUIRE_BROWSER = os.environ.get("CANDESCENT_TESTS_REQUIRE_BROWSER") == "1"
REPORTS = Path(__file__).resolve().parents[2] / "reports"  # the repo's, git-ignored
SCREENSHOT = REPORTS / "report-screenshot.png"


class ParsedPage(HTMLParser):
    """Start tags with their attributes, end-tag counts, and the matrix body as
    (requirement id, [data-cell per grant column]) rows (`table.matrix` only)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.end_tags: Counter[str] = Counter()
        self.rows: list[tuple[str, list[str | None]]] = []
        self._in_matrix = self._in_tbody = self._in_row_head = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        css = (attributes.get("class") or "").split()
        if tag == "table":
            self._in_matrix = "matrix" in css  # not the list of what needs attention
        elif tag == "tbody":
            self._in_tbody = self._in_matrix
        elif self._in_tbody and tag == "tr":
            self.rows.append(("", []))
        elif self._in_tbody and tag == "th":
            self._in_row_head = True
        elif self._in_tbody and tag == "td" and ("cell" in css or "na" in css):
            self.rows[-1][1].append(attributes.get("data-cell"))

    def handle_endtag(self, tag: str) -> None:
        self.end_tags[tag] += 1
        self._in_tbody = self._in_tbody and tag != "tbody"
        self._in_row_head = self._in_row_head and tag != "th"

    def handle_data(self, data: str) -> None:
        if self._in_row_head:
            name, cells = self.rows[-1]
            self.rows[-1] = (name + data, cells)

    def attributes(self, name: str) -> list[str]:
        return [a[name] or "" for _, a in self.tags if name in a]


def browser_unavailable(reason: str, required: bool) -> None:
    """Skip with `reason`, or fail when the environment requires the browser (CI)."""
    if required:
        pytest.fail(f"{reason}, and CANDESCENT_TESTS_REQUIRE_BROWSER=1 requires the browser test")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module (Debian's, never a downloaded one)."""
    if not CHROMIUM.exists():
        browser_unavailable(f"{CHROMIUM} is missing (apt-get install chromium)", REQUIRE_BROWSER)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_unavailable("playwright is not installed", REQUIRE_BROWSER)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Opened:
    """A loaded report and what the browser saw while loading and using it."""

    page: Any
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@contextmanager
def open_report(
    browser: Any, path: Path, javascript: bool = True, height: int = 900
) -> Iterator[Opened]:
    """Open `path` in a fresh context (1280 px wide, `height` high); console errors, page
    errors and requests recorded."""
    context = browser.new_context(
        java_script_enabled=javascript, viewport={"width": 1280, "height": height}
    )
    # Nothing but the file itself may load; anything else is aborted and recorded.
    context.route(re.compile(r"^(?!file:)"), lambda route: route.abort())
    page = context.new_page()
    opened = Opened(page)
    page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: opened.errors.append(str(error)))
    page.on("request", lambda request: opened.requests.append(request.url))
    page.goto(path.as_uri())
    try:
        yield opened
    finally:
        context.close()
