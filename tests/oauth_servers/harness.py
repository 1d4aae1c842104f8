"""Run an independent OAuth 2.0 server on loopback and judge it with the rfc6749 profile.

Each server module under this package builds a WSGI app with its clients and user, and
states the verdict it expects per requirement (`Expected`), from reading RFC 6749 and
probing the server by hand: never from the suite's own output.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from conformance.contract import RFC6749, contract_for
from conformance.run_context import RunContext
from conformance.settings_load import load_settings


@dataclass(frozen=True)
class Expected:
    """The verdict a requirement should get against a server, and why (RFC and behaviour)."""

    outcome: str  # passed, failed, warned or skipped
    why: str


class _QuietHandler(WSGIRequestHandler):
    """No access log: the suite's own report says what was sent."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def security_on_loopback() -> dict[str, Expected]:
    """The security findings both servers get here alike: transport not judged (plain HTTP
    on loopback), the password grant in use (the test setup enables it: a warning under
    --security warn), and a refresh token refused without client authentication and for
    another client (both servers treat the test client as confidential)."""
    skipped = Expected("skipped", "A loopback target over plain HTTP: transport is not judged.")
    tls = [r.id for r in contract_for(RFC6749).requirements if r.threat == "transport"]
    return {
        **dict.fromkeys(tls, skipped),
        "SEC-PASSWORD-GRANT": Expected(
            "warned",
            "The password grant is enabled for the test client and issues tokens (RFC 9700 "
            "2.4 says it MUST NOT be used); findings warn under the default --security warn.",
        ),
        "SEC-REFRESH-CLIENT-AUTH": Expected(
            "passed",
            "A refresh without an Authorization header is refused: the client is confidential "
            "and must authenticate (RFC 6749 6).",
        ),
        "SEC-REFRESH-BOUND": Expected(
            "passed",
            "The second client presenting the first one's refresh token gets invalid_grant.",
        ),
    }


@contextmanager
def serve_wsgi(app: Any) -> Iterator[str]:
    """Serve `app` on a free loopback port in a thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def run_rfc6749(
    base_url: str,
    settings: Mapping[str, object],
    secrets: Mapping[str, str],
    auth_code_source: Callable[[], str] | None = None,
) -> dict[str, str]:
    """The outcome of every case (`RFC-SUCCESS-FIELDS:password`, `RFC-CC-SUCCESS`, ...).

    `settings` are flags (client_id, username, token_path, scope, ...); `secrets` the
    secret settings by name (client_secret, password, ...), passed as CONFORMANCE_*
    variables the way a user would.
    """
    environ = {f"CONFORMANCE_{name.upper()}": value for name, value in secrets.items()}
    flags = {"target": base_url, "contract": "rfc6749", "skip_properties": True, **settings}
    context = RunContext(load_settings(flags, environ=environ), base_url, auth_code_source)
    try:
        return {outcome.case_id: outcome.outcome for outcome in context.judge_all()}
    finally:
        context.close()
