"""No secret reaches a report, a log or the terminal (design.md: one redactor).

A real run against the reference, with faults that make the target echo the client
secret and hand out tokens in failing evidence; then every file the run wrote and
everything it printed is scanned for every secret the run handled.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import quote_plus

import pytest

from conformance.embedded import role_settings
from conformance.redact import MASK, Redactor
from conformance.reference import ReferenceServer, default_accounts
from conformance.sender import basic_credentials
from conformance.settings import Client

pytestmark = pytest.mark.slow
LEAKY_FAULTS = frozenset(
    {"success-echoes-client-secret", "refresh-not-rotated", "code-reusable", "token-type-mac"}
)


def _issued_secrets(server: ReferenceServer) -> set[str]:
    store = server.app.state.reference.store  # the reference's own record of what it issued
    return set(store._access) | set(store._refresh) | set(store._codes)


def _configured_secrets(roles: dict[str, str]) -> set[str]:
    found = {v for k, v in roles.items() if k.endswith("secret") or k == "password"}
    clients = [
        ("client_id", "client_secret"),
        ("second_client_id", "second_client_secret"),
        ("special_client_id", "special_client_secret"),
    ]
    for id_key, secret_key in clients:
        basic = basic_credentials(Client(roles[id_key], roles[secret_key]))
        found.add(basic.split(" ", 1)[1])
    found |= {quote_plus(s) for s in list(found)}
    return found


def test_run__no_secret_in_any_report_or_output(tmp_path: Path) -> None:
    accounts = default_accounts()
    roles = role_settings(accounts)
    env = {**os.environ, **{f"CONFORMANCE_{k.upper()}": v for k, v in roles.items()}}
    with ReferenceServer(accounts=accounts, faults=LEAKY_FAULTS) as server:
        env["CONFORMANCE_AUTH_CODE_COMMAND"] = (
            f"{sys.executable} -m conformance.reference.authorize {server.url}"
        )
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "conformance.cli",
                "run",
                "--target",
                server.url,
                "--report-dir",
                str(tmp_path / "reports"),
                "--examples",  # the generated phase runs too (its evidence is scanned), briefly
                "10",
                "--certification",  # so the bundle is written, and scanned too
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )
        issued = _issued_secrets(server)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "SECRET-NOT-ECHOED" in done.stdout  # the leak is reported...
    secrets = _configured_secrets(roles) | issued
    assert len(issued) > 10  # tokens and codes were really handed out
    reports = tmp_path / "reports"
    artifacts = {
        p.name: p.read_text(encoding="utf-8") for p in reports.iterdir() if p.suffix != ".gz"
    }
    with tarfile.open(reports / "certification-bundle.tar.gz") as bundle:
        for member in bundle.getmembers():
            data = bundle.extractfile(member)
            artifacts[f"bundle:{member.name}"] = data.read().decode() if data else ""
    assert "bundle:report.html" in artifacts and "bundle:manifest.json" in artifacts
    artifacts |= {"stdout": done.stdout, "stderr": done.stderr}
    assert MASK in artifacts["results.json"]  # ...and its evidence is redacted, not dropped
    leaks = sorted((name, s[:6]) for name, text in artifacts.items() for s in secrets if s in text)
    assert leaks == []
    assert "eyJ" not in artifacts["results.json"]  # no id_token (a JWT) either


def test_redactor__masks_structure_and_learned_values() -> None:
    redactor = Redactor(["client-secret-xyz"])
    redactor.learn_from_body({"access_token": "tok-123456", "token_type": "Bearer"})
    body = redactor.body(
        b'{"access_token": "tok-123456", "note": "tok-123456"}', "application/json"
    )
    assert "tok-123456" not in body and body.count(MASK) == 2
    form = redactor.body(
        b"grant_type=password&username=u&password=p%40ss", "application/x-www-form-urlencoded"
    )
    assert "p%40ss" not in form and "username=u" in form
    headers = redactor.headers([("Authorization", "Basic " + base64.b64encode(b"a:b").decode())])
    assert headers == [("Authorization", f"Basic {MASK}")]
    assert (
        redactor.text("echo client-secret-xyz and client-secret-xyz") == f"echo {MASK} and {MASK}"
    )
    assert redactor.text(quote_plus("client-secret-xyz")) == MASK


def test_redactor__curl_keeps_credentials_out() -> None:
    from conformance.exchange import RecordedRequest

    variables = {
        "CONFORMANCE_CLIENT_ID": "client",
        "CONFORMANCE_CLIENT_SECRET": "s3cret value",
        "CONFORMANCE_PASSWORD": "hunter22",
    }
    redactor = Redactor(["s3cret value", "hunter22"], variables)
    basic = basic_credentials(Client("client", "s3cret value"))
    request = RecordedRequest(
        "POST",
        "http://t.test/oauth2/v1/token",
        (("Authorization", basic), ("transactionId", "x")),
        b"grant_type=password&username=u&password=hunter22",
    )
    curl = redactor.curl(request)
    assert basic[6:] not in curl and "hunter22" not in curl and "s3cret value" not in curl
    assert '"$CONFORMANCE_CLIENT_ID" "$CONFORMANCE_CLIENT_SECRET"' in curl
    assert '--data-urlencode password="$CONFORMANCE_PASSWORD"' in curl
    # Basic credentials no variable rebuilds (not form-encoded here) are masked, not shown.
    unencoded = "Basic " + base64.b64encode(b"client:s3cret value").decode()
    request = RecordedRequest("POST", "http://t.test/t", (("Authorization", unencoded),))
    assert redactor.curl(request).endswith(f"-H 'Authorization: Basic {MASK}'")


def test_rfc6749_profile__no_secret_in_any_report_or_output(tmp_path: Path) -> None:
    # Failing evidence that holds secrets: the client secret in a body (two methods
    # accepted), tokens issued to a repeated parameter and to a reused code.
    faults = frozenset({"rfc-two-auth-accepted", "rfc-repeated-param-first-wins", "code-reusable"})
    accounts = default_accounts()
    roles = role_settings(accounts)
    env = {**os.environ, **{f"CONFORMANCE_{k.upper()}": v for k, v in roles.items()}}
    with ReferenceServer(accounts=accounts, edition="rfc6749", faults=faults) as server:
        env["CONFORMANCE_AUTH_CODE_COMMAND"] = (
            f"{sys.executable} -m conformance.reference.authorize {server.url}"
        )
        done = subprocess.run(
            [sys.executable, "-m", "conformance.cli", "run", "--contract", "rfc6749"]
            + ["--target", server.url, "--report-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )
        issued = _issued_secrets(server)
    assert done.returncode == 1, done.stdout + done.stderr
    assert {"RFC-PARAM-REPEATED", "RFC-CODE-SINGLE-USE"} <= set(done.stdout.split())
    artifacts = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.iterdir()}
    artifacts |= {"stdout": done.stdout, "stderr": done.stderr}
    assert "client_secret=" in artifacts["results.json"]  # the body is shown, masked
    secrets = _configured_secrets(roles) | issued
    leaks = sorted((name, s[:6]) for name, text in artifacts.items() for s in secrets if s in text)
    assert leaks == []
