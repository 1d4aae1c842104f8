"""`conformance serve` as a client developer uses it: the real command in a subprocess on a
free port, its banner pasted into bash, requests over real HTTP, its access log read back.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest

from conformance.embedded import role_settings
from conformance.reference import FAULTS, ReferenceServer, default_accounts
from conformance.serve_command import banner, code_line, export_lines

pytestmark = pytest.mark.slow
ROLES = role_settings(default_accounts())
TOKEN = "/oauth2/v1/token"
AUTHORIZE = "/reference/v1/authorize"
BANNER_END = "Access log below:"
LOG_LINE = re.compile(
    r"^\d\d:\d\d:\d\d (?P<method>\S+) (?P<path>\S+) (?P<status>\d{3}|-) "
    r"transactionId=(?P<txid>\S+) \d+\.\d ms$"
)
SERVE = [sys.executable, "-m", "conformance.cli", "serve"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def shell_env() -> dict[str, str]:
    """A new user's shell: PATH and HOME, no CONFORMANCE_* (the exports bring them)."""
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}


@dataclass
class Served:
    """A running `conformance serve`: its stdout lines as they come, its banner."""

    process: subprocess.Popen[str]
    url: str
    # repr=False: a failing assertion shows the object, and the banner holds credentials
    lines: queue.Queue[str] = field(default_factory=queue.Queue, repr=False)
    banner: list[str] = field(default_factory=list, repr=False)

    def next_line(self, timeout: float = 10) -> str:
        return self.lines.get(timeout=timeout)

    def exports(self) -> list[str]:
        return [line for line in self.banner if line.startswith("export ")]

    def code_line(self) -> str:
        return next(line for line in self.banner if line.startswith("curl "))

    def stop(self) -> tuple[list[str], str]:
        """Ctrl-C's equivalent; the log lines not read yet, and stderr."""
        self.process.send_signal(signal.SIGINT)
        _, err = self.process.communicate(timeout=15)
        rest = []
        while not self.lines.empty():
            rest.append(self.lines.get_nowait())
        return rest, err


@contextmanager
def serving(*args: str, port: int | None = None) -> Iterator[Served]:
    """`conformance serve --port P ARGS` until the block ends; waits for its whole banner."""
    port = free_port() if port is None else port
    process = subprocess.Popen(
        [*SERVE, "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": ""},  # flushed by the command, not the env
    )
    served = Served(process, f"http://127.0.0.1:{port}")
    assert process.stdout is not None
    stdout = process.stdout

    def read() -> None:
        for line in stdout:
            served.lines.put(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    try:
        while not served.banner or not served.banner[-1].startswith(BANNER_END):
            served.banner.append(served.next_line(timeout=20))
        yield served
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)


def in_bash(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        env=shell_env(),
        check=False,
    )


def basic(client_id: str, secret: str) -> str:
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def headers(txid: str | None = None, client: tuple[str, str] | None = None) -> dict[str, str]:
    main = client or (ROLES["client_id"], ROLES["client_secret"])
    return {
        "Authorization": basic(*main),
        "transactionId": txid or str(uuid.uuid4()),
        "institutionId": ROLES["institution_id"],
    }


# --- the banner -------------------------------------------------------------------------
def test_the_exports_paste_into_bash_and_the_code_line_gets_a_code_that_buys_a_token() -> None:
    with serving() as served:
        assert served.banner[0] == f"Reference target, edition 1.3.1, on {served.url}"
        exports = "\n".join(served.exports())
        shown = in_bash(
            exports + "\npython3 -c 'import json,os;print(json.dumps(dict(os.environ)))'"
        )
        assert shown.returncode == 0, shown.stderr
        variables = {k: v for k, v in json.loads(shown.stdout).items() if k.startswith("CONF")}
        expected = {f"CONFORMANCE_{k.upper()}": v for k, v in ROLES.items()}
        wrong = [k for k in expected if variables.get(k) != expected[k]]
        assert wrong == []  # special characters too; on failure, names only, no value
        assert variables["CONFORMANCE_TARGET"] == served.url
        assert variables["CONFORMANCE_EDITION"] == "1.3.1"
        assert variables["CONFORMANCE_AUTH_CODE_COMMAND"].endswith(
            f"-m conformance.reference.authorize {served.url}"
        )

        fetched = in_bash(exports + "\n" + served.code_line())
        assert fetched.returncode == 0, fetched.stderr
        code = json.loads(fetched.stdout)["code"]
        assert isinstance(code, str) and code
        answer = httpx.post(
            served.url + TOKEN,
            headers=headers(),
            data={"grant_type": "authorization_code", "code": code},
        )
        assert answer.status_code == 200 and answer.json()["access_token"]
        served.stop()


def test_the_code_line_encodes_a_client_whose_id_curl_u_would_send_wrong() -> None:
    # RFC 6749 2.3.1: `-u id:secret` sends them raw; this client's need form-encoding first.
    special = {
        **ROLES,
        "client_id": ROLES["special_client_id"],
        "client_secret": ROLES["special_client_secret"],
    }
    with ReferenceServer(accounts=default_accounts()) as server:
        line = code_line(server.url, "1.3.1", special)
        assert line is not None and " -u " not in line
        exports = "\n".join(export_lines(server.url, "1.3.1", special))
        fetched = in_bash(f"{exports}\n{line}")
    assert fetched.returncode == 0, fetched.stderr
    assert json.loads(fetched.stdout)["code"]


def test_accounts_without_every_role_export_what_they_have_and_no_code_line() -> None:
    from conformance.reference.accounts import Accounts, Client, Institution
    from conformance.reference.limits import Limits

    only = Client("solo", "solo-secret", "00016", frozenset({"client_credentials"}), frozenset())
    accounts = Accounts((Institution("00016"),), (only,), ())
    text = banner("http://127.0.0.1:1", "1.3.1", accounts, [], Limits())
    exported = [line.split("=", 1)[0] for line in text.splitlines() if line.startswith("export ")]
    assert exported == [
        "export CONFORMANCE_TARGET",
        "export CONFORMANCE_CLIENT_ID",
        "export CONFORMANCE_CLIENT_SECRET",
        "export CONFORMANCE_INSTITUTION_ID",
        "export CONFORMANCE_EDITION",
    ]
    assert "curl " not in text


def test_the_exports_point_conformance_run_at_it_with_every_role() -> None:
    with serving() as served:
        done = in_bash(
            "\n".join(served.exports())
            + f"\n{shlex.quote(sys.executable)} -m conformance.cli run --skip-properties -q "
            "--report-dir reports"
        )
        served.stop()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "needs CONFORMANCE_" not in done.stdout  # no role left unconfigured


def test_a_pipe_through_tee_shows_the_banner_while_it_serves(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    command = f"{shlex.join([*SERVE, '--port', '0'])} | tee {shlex.quote(str(log))}"
    process = subprocess.Popen(
        ["bash", "-c", command],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=shell_env(),
        start_new_session=True,  # its own group: the pipeline is stopped as one
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # returns only if the line was flushed
        assert first.startswith("Reference target, edition 1.3.1, on http://127.0.0.1:")
        assert process.poll() is None  # still serving
        # tee writes its file and its output in either order: wait (bounded) for the file
        deadline = time.monotonic() + 10
        while not log.read_text(encoding="utf-8") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert log.read_text(encoding="utf-8").startswith(first)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.communicate(timeout=15)


# --- the access log ---------------------------------------------------------------------
def test_the_access_log_has_a_line_per_request_at_once_and_no_secret() -> None:
    lines: list[str] = []
    expected: list[tuple[str, str, str, str]] = []  # method, path, status, transactionId
    issued: list[str] = []  # tokens and codes the reference handed out
    with serving() as served, httpx.Client(base_url=served.url) as client:

        def send(method: str, path: str, shown: str, **kwargs: Any) -> httpx.Response:
            answer = client.request(method, path, **kwargs)
            expected.append((method, path.split("?")[0], str(answer.status_code), shown))
            lines.append(served.next_line(timeout=5))  # written, and flushed, as it ended
            return answer

        txid = str(uuid.uuid4())
        login = {"grant_type": "password", "username": ROLES["username"]}
        login["password"] = ROLES["password"]
        tokens = send("POST", TOKEN, txid, headers=headers(txid), data=login).json()
        issued += [tokens["access_token"], tokens["refresh_token"]]
        txid = str(uuid.uuid4())
        refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        refreshed = send("POST", TOKEN, txid, headers=headers(txid), data=refresh).json()
        issued += [refreshed["access_token"], refreshed["refresh_token"]]
        txid = str(uuid.uuid4())
        consent = {"username": ROLES["username"], "password": ROLES["password"]}
        code = send("POST", AUTHORIZE, txid, headers=headers(txid), data=consent)
        issued.append(code.json()["code"])
        # a code in the query string, markup as the transactionId, then none at all
        send("GET", f"{TOKEN}?code={issued[-1]}", "(invalid)", headers=headers("<b>x</b>"))
        special = {
            "Authorization": basic(ROLES["special_client_id"], ROLES["special_client_secret"])
        }
        send("POST", TOKEN, "-", headers=special, data={"grant_type": "client_credentials"})
        rest, err = served.stop()
    assert rest == []  # one line per request, nothing else
    logged = [LOG_LINE.match(line) for line in lines]
    assert all(logged), lines
    fields = [(m["method"], m["path"], m["status"], m["txid"]) for m in logged if m]
    assert fields == expected
    assert [status for _, _, status, _ in expected] == ["200", "200", "200", "405", "400"]
    for line in lines + err.splitlines():
        leaked = [s for s in secrets(issued) if s in line]
        assert not leaked, "a secret reached the log (values not shown)"


def secrets(issued: list[str]) -> set[str]:
    """Every value the log must never hold: the client secrets and the password (as they
    are and form-encoded), each client's Basic credentials, the tokens and codes issued."""
    found = {v for k, v in ROLES.items() if k.endswith("secret") or k == "password"}
    found |= {quote_plus(v) for v in list(found)}
    for role in ("", "second_", "restricted_", "special_"):
        found.add(basic(ROLES[f"{role}client_id"], ROLES[f"{role}client_secret"]).split()[1])
    return found | set(issued)


# --- faults -----------------------------------------------------------------------------
def test_faults_given_repeated_or_comma_separated_are_served_and_announced() -> None:
    chosen = ("token-type-mac", "no-cache-control", "txid-not-echoed")
    with serving("--fault", f"{chosen[0]},{chosen[1]}", "--fault", chosen[2]) as served:
        announced = [line.split(": ", 1)[0] for line in served.banner if "with fault" in line]
        assert announced == [
            f"  with fault {name} (breaks {FAULTS[name].requirement})" for name in sorted(chosen)
        ]
        txid = str(uuid.uuid4())
        answer = httpx.post(
            served.url + TOKEN,
            headers=headers(txid),
            data={"grant_type": "client_credentials"},
        )
        served.stop()
    assert answer.status_code == 200 and answer.json()["token_type"] == "mac"
    assert "cache-control" not in answer.headers
    assert answer.headers["transactionId"] != txid


def test_list_faults_names_each_with_the_requirement_it_breaks() -> None:
    listed = subprocess.run(
        [*SERVE, "--list-faults"], capture_output=True, text=True, timeout=60, check=False
    )
    assert listed.returncode == 0, listed.stderr
    platform = [f for f in FAULTS.values() if not f.rfc6749_only]
    assert len(listed.stdout.splitlines()) == 1 + len(platform)
    mac = FAULTS["token-type-mac"]
    assert f"breaks {mac.requirement}: {mac.description}" in listed.stdout
    assert "rfc-" not in listed.stdout  # those are edition rfc6749's
    rfc = subprocess.run(
        [*SERVE, "--list-faults", "--edition", "rfc6749"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert len(rfc.stdout.splitlines()) == 1 + len(FAULTS)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ("--fault", "token-typ-mac"),
            "--fault: unknown fault 'token-typ-mac'; did you mean 'token-type-mac'?",
        ),
        (
            ("--fault", "token-type-mac,rfc-own-error-code"),
            "--fault: fault 'rfc-own-error-code' applies to edition 'rfc6749' only",
        ),
        (("--quota", "0"), "--quota: a positive number"),
        (("--port", "70000"), "--port: a port is 0 to 65535"),
    ],
    ids=["unknown-fault", "fault-of-another-edition", "quota", "port-out-of-range"],
)
def test_a_bad_option_exits_2_naming_it_before_any_banner(
    args: tuple[str, ...], fragment: str
) -> None:
    done = subprocess.run([*SERVE, *args], capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout) == (2, "")
    assert fragment in done.stderr


def test_a_busy_port_exits_2_naming_port_before_any_banner() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*SERVE, "--port", str(port)], capture_output=True, text=True, timeout=60, check=False
        )
    assert (done.returncode, done.stdout) == (2, "")
    assert f"--port: cannot listen on 127.0.0.1:{port}: Address already in use" in done.stderr
    assert "--port 0 for a free one" in done.stderr
