"""The `conformance` command, run as a user runs it: a real process, real HTTP, real files."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from conformance.contract import load_contract
from conformance.embedded import role_settings
from conformance.reference import ReferenceServer, default_accounts
from conformance.reports.results_json import results_schema
from conformance.run_context import cases

pytestmark = pytest.mark.slow


def conformance(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


def reference_env(accounts_roles: dict[str, str]) -> dict[str, str]:
    return {f"CONFORMANCE_{k.upper()}": v for k, v in accounts_roles.items()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_run__default_profile_on_the_embedded_reference_passes_and_writes_reports(
    tmp_path: Path,
) -> None:
    # The main job exactly as the README runs it: every phase, default examples.
    done = conformance("run", "--report-dir", str(tmp_path / "out"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Conformance PASS" in done.stdout
    run = json.loads((tmp_path / "out" / "results.json").read_text())["run"]
    assert run["generated_requests"] >= 1000  # issue 4: at least 1,000 generated requests
    assert (tmp_path / "out" / "report.html").exists()
    assert "Repeat this run with: conformance run --edition 1.3.1 --seed " in done.stdout
    suite = ET.parse(tmp_path / "out" / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    testcases = suite.findall("testcase")
    assert len(testcases) == len(cases(load_contract()))
    assert int(suite.get("failures", "0")) == 0 and int(suite.get("errors", "0")) == 0
    out = testcases[0].findtext("system-out") or ""
    facts = {line.split(": ", 1)[0] for line in out.splitlines() if ": " in line}
    assert {"requirement", "level", "edition", "grant", "outcome"} <= facts
    assert (tmp_path / "out" / "results.json").exists()


def test_run__other_edition_passes() -> None:
    done = conformance("run", "--edition", "1.11.0", "--report-dir", "r", "--examples", "10")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "edition 1.11.0" in done.stdout


def test_run__rfc6749_profile_on_the_embedded_reference_passes_with_valid_reports(
    tmp_path: Path,
) -> None:
    done = conformance("run", "--profile", "rfc6749", "--report-dir", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(edition rfc6749, profile rfc6749)" in done.stdout
    # --profile rfc6749 still works, one release longer, and says what replaces it
    assert "note: profile 'rfc6749' is an alias kept for one release: use --contract" in (
        done.stderr
    )
    assert "Repeat this run with: conformance run --contract rfc6749 --seed " in done.stdout
    document = json.loads((tmp_path / "results.json").read_text())
    jsonschema.validate(document, results_schema())  # edition rfc6749 and level MAY included
    levels = {o["requirement_id"]: o["level"] for o in document["results"]}
    assert levels["RFC-REFRESH-ROTATION"] == "MAY" and levels["RFC-NO-STORE"] == "MUST"
    contract = [o for o in document["results"] if o["area"] != "security"]
    assert all(o["outcome"] == "passed" for o in contract)
    # beside it, the security findings: the password grant in use, the only one that warns
    warned = [o["requirement_id"] for o in document["results"] if o["outcome"] == "warned"]
    assert warned == ["SEC-PASSWORD-GRANT"]
    assert not any(o["requirement_id"].startswith("TXID") for o in document["results"])


def test_run__rfc6749_profile_against_a_target_needs_only_the_client() -> None:
    accounts = default_accounts()
    with ReferenceServer(accounts=accounts, edition="rfc6749") as server:
        main = accounts.clients[0]
        done = conformance(
            "run",
            "--contract",
            "rfc6749",
            "--target",
            server.url,
            "--client-id",
            main.client_id,
            env={"CONFORMANCE_CLIENT_SECRET": main.client_secret},
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "needs CONFORMANCE_USERNAME and CONFORMANCE_PASSWORD" in done.stdout  # a role: skipped
    assert main.client_secret not in done.stdout + done.stderr


def test_run__faulty_target_exits_1_naming_the_requirement() -> None:
    accounts = default_accounts()
    with ReferenceServer(accounts=accounts, faults=frozenset({"token-type-mac"})) as server:
        done = conformance(
            "run",
            "--target",
            server.url,
            "--skip-properties",
            env=reference_env(role_settings(accounts)),
        )
    assert done.returncode == 1, done.stdout + done.stderr
    rows = [line.split() for line in done.stdout.splitlines()]
    assert ["FAILED", "MUST", "RESP-TOKEN-TYPE:client_credentials"] in [r[:3] for r in rows]
    skipped = [
        line for line in done.stdout.splitlines() if "CODE-SUCCESS:authorization_code" in line
    ]
    assert skipped and "needs CONFORMANCE_AUTH_CODE_COMMAND" in skipped[0]


def test_run__unreachable_target_exits_2_fast_naming_url_and_setting() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    done = conformance("run", "--target", url, env=reference_env(role_settings(default_accounts())))
    assert time.monotonic() - started < 10
    assert done.returncode == 2
    assert url in done.stderr and "CONFORMANCE_TARGET" in done.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("run", "--edition", "1.3"), "did you mean '1.3.1'"),
        (("run", "--target", "http://x.test"), "CONFORMANCE_CLIENT_ID"),
        (("run", "--config", "missing.toml"), "missing.toml does not exist"),
        (("spec", "diff", "missing.yaml"), "missing.yaml"),
    ],
)
def test_bad_configuration__exit_2_with_a_message_naming_the_setting(
    args: tuple[str, ...], fragment: str
) -> None:
    done = conformance(*args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert fragment in done.stderr


def test_run_help__documents_exit_codes() -> None:
    done = conformance("run", "--help")
    assert done.returncode == 0
    for line in (
        "0  every MUST requirement holds",
        "1  a MUST requirement failed",
        "2  the suite could not judge",
        "--require-complete",
    ):
        assert line in done.stdout


def test_pytest_plugin__runs_the_suite_against_a_target(tmp_path: Path) -> None:
    accounts = default_accounts()
    with ReferenceServer(accounts=accounts) as server:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "--conformance-target",
                server.url,
                "--conformance-report-dir",
                str(tmp_path / "r"),
                "--conformance-examples",
                "10",
                "-q",
                "-p",
                "no:randomly",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
            check=False,
            env={**os.environ, **reference_env(role_settings(accounts))},
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "conformance summary" in done.stdout
    assert (tmp_path / "r" / "results.json").exists()


def test_serve__prints_the_credentials_it_accepts_and_answers() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        done = conformance(
            "run",
            "--target",
            f"http://127.0.0.1:{port}",
            "--skip-properties",
            env=reference_env(role_settings(default_accounts())),
        )
        assert done.returncode == 0, done.stdout + done.stderr
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    assert "conformance-client" in out


def test_pytest_plugin__unreachable_target_exits_2_naming_it_with_reports(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--conformance-target", url, "-q", "-p", "no:randomly"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
        env={**os.environ, **reference_env(role_settings(default_accounts()))},
    )
    assert done.returncode == 2  # could not run, as `conformance run` says it
    assert url in done.stderr and "CONFORMANCE_TARGET" in done.stderr
    assert "--conformance-target" in done.stderr  # the option of the path the user ran
    results = json.loads((tmp_path / "reports" / "results.json").read_text())
    assert [r["case"] for r in results["results"]] == ["PREFLIGHT"]


def test_run__loads_the_reference_and_the_bundle_signer_only_when_it_needs_them() -> None:
    # Against a target nothing serves the reference (starlette, uvicorn), and only the
    # certification profile signs a bundle (cryptography): neither is imported up front.
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, conformance.cli, conformance.run_command; "
            "print(sorted({'starlette', 'uvicorn', 'cryptography'} & set(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout.strip() == "[]", done.stderr
