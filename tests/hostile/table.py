"""The hostile-target cases as data: what the target does, what the suite does, the bound.

The tests in this package are parametrized from `CASES`, and the table of
docs/hostile-targets.md is this module's output (`python -m tests.hostile.table`);
`test_table.py` keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.sender import DEADLINE_GRACE

# The group a case belongs to names the test module that asserts its specifics.
UNREACHABLE, SLOW, BROKEN, REDIRECT, STORM, CONTENT = (
    "unreachable",
    "slow",
    "broken",
    "redirect",
    "storm",
    "content",
)
PREFLIGHT_BOUND = 10.0  # seconds: a target that cannot be reached is reported this fast
MARGIN = 10.0  # seconds more: start-up, judging, writing the reports, a busy machine
HUGE_BODY_CAP = 65536  # max_response_bytes for the 50 MiB body (CONFORMANCE_MAX_RESPONSE_BYTES)
STORM_BUDGET = 30  # max_requests for the storms


@dataclass(frozen=True)
class Case:
    """One hostile target and what the suite must do with it.

    `behaviour` names a `tests.hostile.server` behaviour, or `closed-port` / `unknown-host`
    (no server at all). `every_request` makes the behaviour break the preflight GET too.
    """

    name: str
    group: str
    behaviour: str
    target_does: str
    suite_does: str
    exit_code: int
    says: str  # a failure or error message (or stderr) says this
    timeout: float = 1.0
    run_timeout: float = 20.0
    flags: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    every_request: bool = False
    tls: bool = False
    preflight_fails: bool = False

    @property
    def bound_s(self) -> float:
        """The wall-clock bound the settings imply for the whole `conformance run`: the
        run timeout, the deadline of an exchange still in flight then, and the margin."""
        if self.preflight_fails:
            return PREFLIGHT_BOUND
        return self.run_timeout + self.timeout + DEADLINE_GRACE + MARGIN

    def cli_flags(self) -> list[str]:
        """The `conformance run` flags of this case (after --target and --report-dir)."""
        return [
            "--timeout",
            f"{self.timeout:g}",
            "--run-timeout",
            f"{self.run_timeout:g}",
            "--skip-properties",
            *self.flags,
        ]

    @property
    def bound_text(self) -> str:
        if self.preflight_fails:
            return f"{self.bound_s:g} s"
        return (
            f"{self.bound_s:g} s (`--run-timeout {self.run_timeout:g}` + `--timeout "
            f"{self.timeout:g}` + {DEADLINE_GRACE:g} + {MARGIN:g})"
        )


NOT_REACHED = "exit 2 before any request, naming the URL and `--target` / `CONFORMANCE_TARGET`"
ONE_ERROR = "; the reports hold one `PREFLIGHT` error"

CASES: tuple[Case, ...] = (
    # --- no HTTP answer at all -----------------------------------------------------------
    Case(
        "closed-port",
        UNREACHABLE,
        "closed-port",
        "nothing listens on the port",
        NOT_REACHED + ONE_ERROR,
        2,
        says="Connection refused",
        preflight_fails=True,
    ),
    Case(
        "unknown-host",
        UNREACHABLE,
        "unknown-host",
        "a host name under `.invalid`, which never resolves",
        NOT_REACHED + ONE_ERROR,
        2,
        says="ConnectError",
        preflight_fails=True,
    ),
    Case(
        "untrusted-tls",
        UNREACHABLE,
        "rejects",
        "TLS with a self-signed certificate",
        "verification is on by default: exit 2, `CERTIFICATE_VERIFY_FAILED`, naming "
        "`--insecure`" + ONE_ERROR,
        2,
        says="CERTIFICATE_VERIFY_FAILED",
        tls=True,
        preflight_fails=True,
    ),
    Case(
        "untrusted-tls-insecure",
        UNREACHABLE,
        "rejects",
        "the same, run with `--insecure`",
        "verification off, as asked explicitly: the run goes on and judges the answers",
        1,
        says="HTTP 400",
        flags=("--insecure",),
        tls=True,
    ),
    # --- slow, cut off, reset ------------------------------------------------------------
    Case(
        "silent",
        SLOW,
        "silent",
        "accepts the connection, never answers anything",
        "the preflight gives up after `--timeout` (1 s): exit 2" + ONE_ERROR,
        2,
        says="no HTTP answer within 1 s (setting timeout)",
        every_request=True,
        preflight_fails=True,
    ),
    Case(
        "silent-token",
        SLOW,
        "silent",
        "answers GET, never answers a POST",
        "each exchange abandoned after `--timeout`; once `--run-timeout` passes nothing more "
        "is sent and the unjudged checks are errors naming `run_timeout`: exit 2",
        2,
        says="(setting run_timeout)",
        run_timeout=5,
    ),
    Case(
        "trickle",
        SLOW,
        "trickle",
        "answers everything one byte a second",
        "each byte beats httpx's per-read timeout, but the preflight's deadline covers the "
        "whole answer: exit 2 after `--timeout` (2 s)" + ONE_ERROR,
        2,
        says="no HTTP answer within 2 s (setting timeout)",
        timeout=2,
        every_request=True,
        preflight_fails=True,
    ),
    Case(
        "trickle-token",
        SLOW,
        "trickle",
        "answers GET, a POST one byte a second",
        "each exchange cut at `--timeout` (2 s) as a whole: 'no complete answer within 2 s'; "
        "`--run-timeout` ends the run: exit 2",
        2,
        says="no complete answer within 2 s (setting timeout)",
        timeout=2,
        run_timeout=6,
    ),
    Case(
        "close-mid-body",
        SLOW,
        "close-mid-body",
        "closes the connection 20 bytes short of its `Content-Length`",
        "'no HTTP answer (RemoteProtocolError …)' for each POST: failures, exit 1",
        1,
        says="RemoteProtocolError",
    ),
    Case(
        "reset",
        SLOW,
        "reset",
        "resets the connection (`SO_LINGER` 0) after reading a POST",
        "'no HTTP answer (… Connection reset by peer)' for each POST: failures, exit 1",
        1,
        says="Connection reset by peer",
    ),
    # --- broken answers ------------------------------------------------------------------
    Case(
        "huge-body",
        BROKEN,
        "huge-body",
        "a 50 MiB body, streamed",
        f"reads at most `max_response_bytes` ({HUGE_BODY_CAP // 1024} KiB here) of each; "
        "evidence marked `truncated`; 'a body cut off after … bytes': failures, exit 1",
        1,
        says="a body cut off after 65536 bytes (max_response_bytes)",
        env=(("CONFORMANCE_MAX_RESPONSE_BYTES", str(HUGE_BODY_CAP)),),
    ),
    Case(
        "huge-header",
        BROKEN,
        "huge-header",
        "a 1 MiB header",
        "the HTTP parser stops at 100 KiB: 'no HTTP answer (RemoteProtocolError …)': "
        "failures, exit 1",
        1,
        says="RemoteProtocolError",
    ),
    Case(
        "bare-cr",
        BROKEN,
        "bare-cr",
        "a header value with a bare CR in it (`value\\rSet-Cookie: …`)",
        "the HTTP parser refuses the whole answer: 'no HTTP answer (RemoteProtocolError: "
        "illegal header line …)': failures, exit 1",
        1,
        says="illegal header line",
    ),
    Case(
        "invalid-json",
        BROKEN,
        "invalid-json",
        "200, `application/json`, a body cut off mid-object",
        "'a body that is not JSON' (RESP-CONTENT-TYPE, CC-SUCCESS …): failures, exit 1",
        1,
        says="a body that is not JSON",
    ),
    Case(
        "invalid-utf8",
        BROKEN,
        "invalid-utf8",
        "200, `application/json`, bytes that are not UTF-8",
        "'a body that is not UTF-8': failures, exit 1",
        1,
        says="a body that is not UTF-8",
    ),
    Case(
        "json-array",
        BROKEN,
        "json-array",
        "200, a JSON array where the token object belongs",
        "'a JSON array instead of an object': failures, exit 1",
        1,
        says="a JSON array instead of an object",
    ),
    Case(
        "json-string",
        BROKEN,
        "json-string",
        "200, a bare JSON string where the token object belongs",
        "'a JSON string instead of an object': failures, exit 1",
        1,
        says="a JSON string instead of an object",
    ),
    Case(
        "wrong-content-type",
        BROKEN,
        "wrong-content-type",
        "a valid token body labelled `text/html`",
        "RESP-CONTENT-TYPE fails ('Content-Type: text/html'); the token itself is judged: exit 1",
        1,
        says="Content-Type: text/html",
    ),
    Case(
        "no-content-type",
        BROKEN,
        "no-content-type",
        "a valid token body without `Content-Type`",
        "RESP-CONTENT-TYPE fails ('Content-Type: (none)'): exit 1",
        1,
        says="Content-Type: (none)",
    ),
    # --- redirect --------------------------------------------------------------------------
    Case(
        "redirect-307",
        REDIRECT,
        "redirect-307",
        "answers a POST with 307 to a second listener on another port",
        "never follows it: the second listener is not contacted, so the Basic credentials "
        "stay put; failures name the 307 and its `Location`: exit 1",
        1,
        says="HTTP 307, a redirect to",
    ),
    # --- storms ----------------------------------------------------------------------------
    Case(
        "429-retry-after",
        STORM,
        "429-retry-after",
        "every POST: 429 with `Retry-After: 1`",
        f"waits the second, retries at most 3 times; retries count against `--max-requests` "
        f"({STORM_BUDGET} here) and the run ends when it is spent: errors naming "
        "`max_requests`, exit 2",
        2,
        says="(setting max_requests)",
        run_timeout=30,
        flags=("--max-requests", str(STORM_BUDGET)),
    ),
    Case(
        "429-storm",
        STORM,
        "429-storm",
        "every POST: 429 without `Retry-After`",
        "backs off 0.5, 1, 2 s, then as above: exit 2",
        2,
        says="(setting max_requests)",
        run_timeout=30,
        flags=("--max-requests", str(STORM_BUDGET)),
    ),
    Case(
        "503-retry-after",
        STORM,
        "503-retry-after",
        "every POST: 503 with `Retry-After: 1`",
        "treated as back-pressure like a 429: exit 2 when the budget is spent",
        2,
        says="(setting max_requests)",
        run_timeout=30,
        flags=("--max-requests", str(STORM_BUDGET)),
    ),
    Case(
        "503-storm",
        STORM,
        "503-storm",
        "every POST: 503 without `Retry-After`",
        "a plain 503 is an answer, not back-pressure: no retries; NO-5XX and others fail: exit 1",
        1,
        says="HTTP 503",
    ),
    # --- hostile content -------------------------------------------------------------------
    Case(
        "hostile-content",
        CONTENT,
        "hostile-content",
        "`<script>` and HTML in its error body, header values and the `transactionId` it "
        "reflects; a bare LF splitting a header, control characters, obs-fold; echoes the "
        "client's `Authorization` back",
        "failures, exit 1; `report.html` shows it all escaped (no script runs in Chromium), "
        "`junit.xml` and `results.json` stay well-formed, the echoed credentials are masked",
        1,
        says="<script>window.__pwned",
    ),
)

BY_NAME = {case.name: case for case in CASES}


def cases(group: str) -> list[Case]:
    """The cases of `group`, in table order."""
    return [case for case in CASES if case.group == group]


NO_ANSWER = frozenset({"huge-header", "bare-cr"})  # broken below HTTP: no 200 is ever read


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_table() -> str:
    """The table of docs/hostile-targets.md: one row per case."""
    lines = [
        "Each case is one run of `conformance run --target URL --timeout T --run-timeout R "
        "--skip-properties` (plus the flags named) against a small raw-socket server in "
        "`tests/hostile/server.py`; Bound is the wall-clock limit its test asserts.",
        "",
        "| Case | What the target does | What the suite does | Exit | Bound |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| `{case.name}` | {_cell(case.target_does)} | {_cell(case.suite_does)} | "
        f"{case.exit_code} | {case.bound_text} |"
        for case in CASES
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_table(), end="")
