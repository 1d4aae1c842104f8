"""The gate is honest: no path from a misconfiguration to a false PASS (issue 15).

Each test drives the real `conformance` command (or pytest with the plugin) in a
subprocess with a minimal environment (PATH and HOME, no PYTHONUNBUFFERED), against
the reference served over real HTTP on loopback, which counts what it receives.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from conformance.embedded import role_settings
from conformance.reference import ReferenceServer, default_accounts

pytestmark = pytest.mark.slow
ROLES = role_settings(default_accounts())
MAIN = {
    f"CONFORMANCE_{name.upper()}": ROLES[name]
    for name in ("client_id", "client_secret", "institution_id", "username", "password")
}


def minimal_env(**extra: str) -> dict[str, str]:
    """What a new user's shell holds: no PYTHONUNBUFFERED, no CONFORMANCE_* left over."""
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), **extra}


def run(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    pytest_path: bool = False,
) -> subprocess.CompletedProcess[str]:
    command = (
        [sys.executable, "-m", "pytest", "-p", "no:randomly", "-q", *args]
        if pytest_path
        else [sys.executable, "-m", "conformance.cli", *args]
    )
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=240,
        env=env if env is not None else minimal_env(),
        cwd=cwd,
        check=False,
    )


class Counting:
    """An ASGI wrapper that counts the HTTP requests the reference receives."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.requests += 1
        await self.app(scope, receive, send)


@contextmanager
def counted_reference() -> Iterator[tuple[ReferenceServer, Counting]]:
    server = ReferenceServer(accounts=default_accounts())
    counter = Counting(server.app)
    server.app = counter  # type: ignore[assignment]
    with server:
        yield server, counter


def results(report_dir: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((report_dir / "results.json").read_text())
    return document


def stale_reports(report_dir: Path) -> None:
    """What a previous green run left: a PASS in every report, and a bundle."""
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "results.json").write_text('{"verdict": "PASS"}')
    (report_dir / "junit.xml").write_text('<testsuites><testsuite tests="1"/></testsuites>')
    (report_dir / "report.html").write_text("<p>PASS</p>")
    (report_dir / "certification-bundle.tar.gz").write_bytes(b"old")


# --- 2. output read through a pipe is flushed -----------------------------------------


def test_serve__its_banner_reaches_a_pipe_without_pythonunbuffered(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=minimal_env(),
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # blocks until flushed: the process keeps running
        assert first.startswith("Reference target, edition 1.3.1, on http://127.0.0.1:")
        assert "conformance-client" in process.stdout.readline() + process.stdout.readline() + (
            process.stdout.readline() + process.stdout.readline()
        )
    finally:
        process.terminate()
        process.communicate(timeout=10)


# --- 3. no silent fallback to the embedded reference ------------------------------------


@pytest.mark.parametrize(
    ("env", "fragment", "setting"),
    [
        ({"CONFORMANCE_TARGET": ""}, "CONFORMANCE_TARGET is set but empty", "target"),
        (
            {"CONFORMANCE_TRAGET": "http://127.0.0.1:9"},
            "did you mean 'CONFORMANCE_TARGET'",
            "CONFORMANCE_TRAGET",
        ),
        ({"CONFORMANCE_CLIENT_ID": "c"}, "Credentials are configured", "target"),
    ],
    ids=["empty-target", "misspelt-target", "credentials-without-target"],
)
def test_misconfigured_target__exit_2_naming_the_setting_and_reports_say_so(
    tmp_path: Path, env: dict[str, str], fragment: str, setting: str
) -> None:
    stale_reports(tmp_path / "reports")
    done = run("run", env=minimal_env(**{**MAIN, **env}), cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert fragment in done.stderr and f"(setting: {setting})" in done.stderr
    assert "Conformance PASS" not in done.stdout
    document = results(tmp_path / "reports")
    assert document["verdict"] == "ERROR"
    assert [r["case"] for r in document["results"]] == ["CONFIGURATION"]
    assert fragment in document["results"][0]["message"]
    assert not (tmp_path / "reports" / "certification-bundle.tar.gz").exists()


def test_embedded_by_name__runs_the_reference_and_every_report_says_so(tmp_path: Path) -> None:
    done = run(
        "run", "--target", "embedded", "--skip-properties", env=minimal_env(**MAIN), cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.split("conformance summary", 1)[1]
    first = next(line for line in summary.splitlines() if line.startswith("Conformance"))
    # (incomplete: the property phase is off, and one MUST is judged only there)
    assert (
        first.startswith("Conformance PASS") and ": embedded reference (http://127.0.0.1:" in first
    )
    document = results(tmp_path / "reports")
    assert document["run"]["embedded"] is True
    assert document["run"]["target"].startswith("embedded reference")
    junit = (tmp_path / "reports" / "junit.xml").read_text()
    assert 'name="embedded" value="True"' in junit
    assert "embedded reference" in (tmp_path / "reports" / "report.html").read_text()


# --- 4. a wrong secret is the configuration's fault, and the lock-out count is true ------


def test_wrong_client_secret__inconclusive_exit_2_and_nothing_more_is_sent(
    tmp_path: Path,
) -> None:
    with counted_reference() as (server, counter):
        env = minimal_env(**{**MAIN, "CONFORMANCE_CLIENT_SECRET": "rotated-away"})
        done = run("run", "--target", server.url, env=env, cwd=tmp_path)
        sent = counter.requests
    assert done.returncode == 2, done.stdout + done.stderr
    assert (
        "inconclusive: the target refused the configured client credentials "
        "(CONFORMANCE_CLIENT_SECRET?)" in done.stderr
    )
    assert "FAILED" not in done.stdout and "Conformance FAIL" not in done.stdout
    # the reachability probe and the client_credentials scenario's two requests, no more
    assert sent <= 3
    document = results(tmp_path / "reports")
    assert (document["verdict"], [r["case"] for r in document["results"]]) == (
        "ERROR",
        ["PREFLIGHT"],
    )
    assert "rotated-away" not in done.stdout + done.stderr + json.dumps(document)


def test_wrong_password__one_failed_login_at_the_server_and_the_summary_says_one(
    tmp_path: Path,
) -> None:
    with counted_reference() as (server, _):
        env = minimal_env(**{**MAIN, "CONFORMANCE_PASSWORD": "Not-The-Passw0rd"})
        done = run("run", "--target", server.url, env=env, cwd=tmp_path)
        at_server = sum(server.failed_logins().values())
    assert done.returncode == 2, done.stdout + done.stderr
    assert "inconclusive: the target refused the configured user's login" in done.stderr
    assert at_server == 1
    assert "wrong-password attempts: 1/2" in done.stdout
    assert results(tmp_path / "reports")["run"]["wrong_password_attempts"] == 1


def test_failed_logins__the_summary_counts_what_the_server_counts_and_stays_within_the_cap(
    tmp_path: Path,
) -> None:
    with counted_reference() as (server, _):
        done = run(
            "run",
            "--target",
            server.url,
            "--examples",
            "20",
            "--wrong-password-cap",
            "3",
            env=minimal_env(**MAIN),
            cwd=tmp_path,
        )
        at_server = sum(server.failed_logins().values())
    assert done.returncode == 0, done.stdout + done.stderr
    counted = results(tmp_path / "reports")["run"]["wrong_password_attempts"]
    assert at_server <= counted <= 3
    assert at_server >= 1  # the wrong-password checks did run


# --- 5. collecting sends nothing; a deselected check is neither sent nor hidden ----------


def test_pytest_collect_only__sends_nothing_and_writes_nothing(tmp_path: Path) -> None:
    stale_reports(tmp_path / "reports")
    before = (tmp_path / "reports" / "results.json").read_text()
    with counted_reference() as (server, counter):
        done = run(
            "--conformance-target",
            server.url,
            "--collect-only",
            env=minimal_env(**MAIN),
            cwd=tmp_path,
            pytest_path=True,
        )
        sent = counter.requests
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tests collected" in done.stdout
    assert sent == 0
    assert (tmp_path / "reports" / "results.json").read_text() == before


def test_deselection__only_what_the_selected_check_reads_is_sent_and_the_verdict_counts_it(
    tmp_path: Path,
) -> None:
    with counted_reference() as (server, counter):
        done = run(
            "run",
            "--target",
            server.url,
            "--",
            "-k",
            "PASSWORD-WRONG",
            env=minimal_env(**MAIN),
            cwd=tmp_path,
        )
        sent = counter.requests
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Conformance PASS (incomplete: " in done.stdout
    document = results(tmp_path / "reports")
    deselected = [r for r in document["results"] if r["message"].startswith("deselected")]
    judged = [r["case"] for r in document["results"] if r not in deselected]
    assert judged and all("PASSWORD-WRONG" in case for case in judged)
    assert len(deselected) > 70
    assert not document["complete"] and "CC-SUCCESS" in document["untested_must"]
    # the probe, the credential preflight (3 requests) and the wrong password: the default
    # run sends ~1,300
    assert sent <= 6


# --- 6. a PASS says which MUSTs it did not test ---------------------------------------------


def test_missing_roles__pass_is_incomplete_and_require_complete_fails(tmp_path: Path) -> None:
    with counted_reference() as (server, _):
        done = run(
            "run",
            "--target",
            server.url,
            "--skip-properties",
            env=minimal_env(**MAIN),
            cwd=tmp_path,
        )
        strict = run(
            "run",
            "--target",
            server.url,
            "--skip-properties",
            "--require-complete",
            "--report-dir",
            "strict",
            env=minimal_env(**MAIN),
            cwd=tmp_path,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Conformance PASS (incomplete: " in done.stdout
    assert "MUST requirements not tested: " in done.stdout
    document = results(tmp_path / "reports")
    assert document["verdict_text"].startswith("PASS (incomplete: ")
    assert "CODE-SUCCESS" in document["untested_must"]
    assert "MUST requirements not tested" in (tmp_path / "reports" / "report.html").read_text()
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "Conformance FAIL (incomplete: " in strict.stdout
    suite = ET.parse(tmp_path / "strict" / "junit.xml").getroot().find("testsuite")
    assert suite is not None and int(suite.get("failures", "0")) > 0


# --- 7 and 9. reports always describe this run; bad output paths are settings ------------


def test_bad_report_dir__exit_2_naming_it_before_any_request(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    with counted_reference() as (server, counter):
        done = run(
            "run",
            "--target",
            server.url,
            "--report-dir",
            str(tmp_path / "a-file"),
            env=minimal_env(**MAIN),
        )
        sent = counter.requests
    assert done.returncode == 2, done.stdout + done.stderr
    assert "(setting: report_dir)" in done.stderr and "Traceback" not in done.stderr
    assert sent == 0


def test_summary_md_a_directory__exit_2_naming_it_before_any_request(tmp_path: Path) -> None:
    stale_reports(tmp_path / "reports")
    with counted_reference() as (server, counter):
        done = run(
            "run",
            "--target",
            server.url,
            "--summary-md",
            str(tmp_path),
            env=minimal_env(**MAIN),
            cwd=tmp_path,
        )
        sent = counter.requests
    assert done.returncode == 2, done.stdout + done.stderr
    assert "(setting: summary_md)" in done.stderr and "Traceback" not in done.stderr
    assert sent == 0
    assert results(tmp_path / "reports")["verdict"] == "ERROR"  # the old PASS is gone
    assert not (tmp_path / "reports" / "certification-bundle.tar.gz").exists()


# --- 10. the pytest path: same checks, same exit codes, its own option names -------------


def test_pytest_path__a_bad_setting_exits_2_naming_the_conformance_option(tmp_path: Path) -> None:
    stale_reports(tmp_path / "reports")
    done = run(
        "--conformance-target",
        "http://127.0.0.1:9",
        "--conformance-edition",
        "1.3",
        env=minimal_env(**MAIN),
        cwd=tmp_path,
        pytest_path=True,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--conformance-edition" in done.stderr and "did you mean '1.3.1'" in done.stderr
    assert results(tmp_path / "reports")["verdict"] == "ERROR"


def test_pytest_path__the_certification_gate_holds_and_writes_no_bundle(tmp_path: Path) -> None:
    stale_reports(tmp_path / "reports")
    with counted_reference() as (server, counter):
        done = run(
            "--conformance-target",
            server.url,
            "--conformance-certification",
            env=minimal_env(**MAIN),
            cwd=tmp_path,
            pytest_path=True,
        )
        sent = counter.requests
    assert done.returncode == 2, done.stdout + done.stderr
    assert "certification profile needs every role" in done.stderr
    assert sent == 0
    assert not (tmp_path / "reports" / "certification-bundle.tar.gz").exists()
    assert results(tmp_path / "reports")["results"][0]["case"] == "CONFIGURATION"


def test_pytest_path__a_wrong_secret_is_inconclusive_exit_2(tmp_path: Path) -> None:
    with counted_reference() as (server, _):
        done = run(
            "--conformance-target",
            server.url,
            "--conformance-skip-properties",
            env=minimal_env(**{**MAIN, "CONFORMANCE_CLIENT_SECRET": "rotated-away"}),
            cwd=tmp_path,
            pytest_path=True,
        )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "refused the configured client credentials" in done.stderr
