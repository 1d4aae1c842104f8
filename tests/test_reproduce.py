"""The curl lines of the reports run as pasted: credentials from the CONFORMANCE_*
variables, the same fields and Basic credentials on the wire, nothing secret shown.

Each line is run by `bash -c`, against a server that records what it receives or against
the reference a failing run was judged against.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from conformance.embedded import role_settings
from conformance.exchange import RecordedRequest
from conformance.redact import MASK, Redactor
from conformance.reference import ReferenceServer, default_accounts
from conformance.sender import basic_credentials
from conformance.settings import Client

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")

# Values that need every step of RFC 6749 2.3.1 and of form encoding.
CLIENT_ID = "spécial:client %+"
CLIENT_SECRET = "s3cret: 100%+ &é="
PASSWORD = "pa ss+wörd%&=!$`\"'"
VARIABLES = {
    "CONFORMANCE_CLIENT_ID": CLIENT_ID,
    "CONFORMANCE_CLIENT_SECRET": CLIENT_SECRET,
    "CONFORMANCE_PASSWORD": PASSWORD,
}


class _Recorder(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]]

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._chunked_body()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.received.append((dict(self.headers.items()), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _chunked_body(self) -> bytes:
        """RFC 9112 7.1: size lines in hex, each chunk and its CRLF, a last chunk of 0."""
        body = b""
        while size := int(self.rfile.readline().split(b";")[0], 16):
            body += self.rfile.read(size)
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # the trailer section
            pass
        return body

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []
    handler = type("Handler", (_Recorder,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def run_curl(line: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The snippets call python3: this interpreter's, whatever PATH the test runs under.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return subprocess.run(
        ["bash", "-c", line + " --max-time 10 -s"],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": path, "LANG": "C.UTF-8", **env},
        check=False,
    )


def request(url: str, auth: str | None, form: list[tuple[str, str]]) -> RecordedRequest:
    headers = [("Host", "x.test"), ("Content-Length", "999"), ("transactionId", "t-1")]
    headers += [("Authorization", auth)] if auth else []
    headers += [("Content-Type", "application/x-www-form-urlencoded")]
    return RecordedRequest("POST", f"{url}/token", tuple(headers), urlencode(form).encode())


MAIN = basic_credentials(Client(CLIENT_ID, CLIENT_SECRET))
CASES = {
    "client_credentials": (MAIN, [("grant_type", "client_credentials")]),
    "password": (
        MAIN,
        [("grant_type", "password"), ("username", "u"), ("password", PASSWORD), ("x", "1")],
    ),
    "password-truncated": (MAIN, [("grant_type", "password"), ("password", PASSWORD[:-1])]),
    "password-case-changed": (MAIN, [("password", PASSWORD.swapcase())]),
    "password-extended": (MAIN, [("password", PASSWORD + "x"), ("username", "u")]),
    "password-empty": (MAIN, [("grant_type", "password"), ("password", "")]),
    "wrong-password": (MAIN, [("grant_type", "password"), ("password", "Wrong-Passw0rd-1")]),
    "secret-truncated": (basic_credentials(Client(CLIENT_ID, CLIENT_SECRET[:-1])), []),
    "wrong-secret": (basic_credentials(Client(CLIENT_ID, "wrong-secret-1")), []),
    "secret-in-body": (None, [("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)]),
    "malformed-basic": ("Basic !!not*base64!!", [("grant_type", "client_credentials")]),
}


@pytest.mark.parametrize("case", CASES)
def test_curl__sends_the_recorded_fields_and_credentials_from_the_variables(
    case: str, recorder: tuple[str, list[tuple[dict[str, str], bytes]]]
) -> None:
    url, received = recorder
    auth, form = CASES[case]
    recorded = request(url, auth, form)
    line = Redactor(VARIABLES.values(), VARIABLES).curl(recorded)
    for secret in (CLIENT_SECRET, PASSWORD, PASSWORD[:-1], PASSWORD.swapcase(), MAIN[6:]):
        assert secret not in line
    assert "Content-Length" not in line and "Host:" not in line
    done = run_curl(line, VARIABLES)
    assert done.returncode == 0, done.stderr
    (headers, body) = received[0]
    assert parse_qsl(body.decode(), keep_blank_values=True) == form
    assert headers.get("Authorization") == auth
    assert headers.get("transactionId") == "t-1"


def test_curl__a_chunked_body_is_sent_chunked(
    recorder: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    # body_framing's request: a target that fails only on a chunked body must fail again
    url, received = recorder
    form = [("grant_type", "client_credentials")]
    headers = (("Transfer-Encoding", "chunked"), ("Authorization", MAIN))
    recorded = RecordedRequest("POST", f"{url}/token", headers, urlencode(form).encode())
    line = Redactor(VARIABLES.values(), VARIABLES).curl(recorded)
    assert run_curl(line, VARIABLES).returncode == 0
    (sent, body) = received[0]
    assert sent.get("Transfer-Encoding") == "chunked" and "Content-Length" not in sent
    assert parse_qsl(body.decode()) == form


def test_curl__a_token_the_run_obtained_is_read_from_a_variable_of_its_field(
    recorder: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    url, received = recorder
    redactor = Redactor(VARIABLES.values(), VARIABLES)
    redactor.learn("issued-refresh-token-123")
    form = [("grant_type", "refresh_token"), ("refresh_token", "issued-refresh-token-123")]
    line = redactor.curl(request(url, MAIN, form))
    assert "issued-refresh-token-123" not in line and '"$REFRESH_TOKEN"' in line
    assert run_curl(line, {**VARIABLES, "REFRESH_TOKEN": "fresh-one"}).returncode == 0
    assert parse_qsl(received[0][1].decode()) == [
        ("grant_type", "refresh_token"),
        ("refresh_token", "fresh-one"),
    ]


def test_curl__bytes_a_command_line_cannot_hold_are_written_by_printf(
    recorder: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    url, received = recorder
    body = b"grant_type=password&x=\xff\x00'%\\\r\n"
    recorded = RecordedRequest("POST", f"{url}/token", (("transactionId", "t-1"),), body)
    line = Redactor().curl(recorded)
    assert "\n" not in line
    assert run_curl(line, {}).returncode == 0
    assert received[0][1] == body


# --- the lines of a real run's results.json, against the reference it judged -------------


def _status(output: str) -> int:
    found = re.match(r"HTTP/[\d.]+ (\d{3})", output)
    assert found, output[:200]
    return int(found.group(1))


def _pick(evidence: list[dict[str, Any]], marker: str) -> dict[str, Any]:
    return next(e for e in evidence if marker in e["curl"])


@pytest.mark.slow
def test_curl__lines_of_a_failing_run_get_the_recorded_status(tmp_path: Path) -> None:
    accounts = default_accounts()
    roles = role_settings(accounts)
    env = {f"CONFORMANCE_{k.upper()}": v for k, v in roles.items()}
    with ReferenceServer(accounts=accounts, faults=frozenset({"basic-not-urldecoded"})) as server:
        done = subprocess.run(
            [sys.executable, "-m", "conformance.cli", "run", "--target", server.url]
            + ["--skip-properties", "--report-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, **env},
            check=False,
        )
        assert done.returncode == 1, done.stdout + done.stderr
        results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
        failed = [e for o in results["results"] if o["outcome"] == "failed" for e in o["evidence"]]
        every = [e for o in results["results"] for e in o["evidence"]]
        chosen = {
            # the failure: the special-character client, whose Basic header the fault misreads
            "special": _pick(failed, '"$CONFORMANCE_SPECIAL_CLIENT_ID"'),
            "client_credentials": next(
                e
                for e in every
                if e["scenario"] == "cc_success" and '"$CONFORMANCE_CLIENT_ID"' in e["curl"]
            ),
            "password": _pick(every, 'password="$CONFORMANCE_PASSWORD"'),
        }
        for kind, evidence in chosen.items():
            line = evidence["curl"]
            assert MASK not in line, line
            answered = run_curl(line, env)
            assert answered.returncode == 0, (kind, answered.stderr)
            assert _status(answered.stdout) == evidence["response"]["status"], kind
    assert chosen["special"]["response"]["status"] == 401
    for secret in (roles["client_secret"], roles["password"], roles["special_client_secret"]):
        assert secret not in json.dumps(chosen)
