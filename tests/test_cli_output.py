"""What `conformance run` prints where no terminal reads it (a CI log), and the options
that say how much: progress lines, the files written, --version, -q and -v, --exitfirst.

Every test drives the real CLI in a child process whose output is a pipe, as in CI.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import __version__
from conformance.embedded import role_settings
from conformance.reference import ReferenceServer, default_accounts
from conformance.results import CUT_SHORT

pytestmark = pytest.mark.slow

PROGRESS = re.compile(r"^conformance: (\d+)/2000 requests sent, [\d.]+ req/s, \d+ s elapsed$")


def conformance(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **(env or {})},
        check=False,
    )


def reference_env() -> dict[str, str]:
    return {f"CONFORMANCE_{k.upper()}": v for k, v in role_settings(default_accounts()).items()}


def written(stdout: str) -> list[str]:
    lines = stdout.splitlines()
    start = lines.index("Written:")
    return [line.strip() for line in lines[start + 1 :] if line.startswith("  ")]


def test_version__names_the_suite_version() -> None:
    done = conformance("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"conformance {__version__}"


def test_run__without_a_terminal__progress_lines_on_stderr_and_every_file_written(
    tmp_path: Path,
) -> None:
    # 8 requests a second make the ~120 fixed requests last long enough for two lines.
    summary = tmp_path / "summary.md"
    done = conformance(
        "run",
        "--skip-properties",
        "--rate-limit",
        "8",
        "--report-dir",
        str(tmp_path / "out"),
        "--summary-md",
        str(summary),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    progress = [PROGRESS.match(line) for line in done.stderr.splitlines()]
    sent = [int(m.group(1)) for m in progress if m]
    assert len(sent) >= 2 and sent == sorted(sent) and sent[-1] > 0, done.stderr
    files = written(done.stdout)
    out = tmp_path / "out"
    assert files == [str(out / n) for n in ("results.json", "junit.xml", "report.html")] + [
        str(summary)
    ]
    assert all(Path(f).is_file() for f in files)


def test_run__certification_lists_its_bundle_among_the_files_written(tmp_path: Path) -> None:
    done = conformance(
        "run",
        "--certification",
        "--examples",
        "3",
        "--max-time",
        "30",
        "--report-dir",
        str(tmp_path),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert str(tmp_path / "certification-bundle.tar.gz") in written(done.stdout)


def test_run_quiet__the_verdict_the_failures_and_the_files_only(tmp_path: Path) -> None:
    accounts = default_accounts()
    with ReferenceServer(accounts=accounts, faults=frozenset({"token-type-mac"})) as server:
        done = conformance(
            "run",
            "-q",
            "--target",
            server.url,
            "--skip-properties",
            "--report-dir",
            str(tmp_path),
            env=reference_env(),
        )
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert not any(set(line) <= set(".sFE ") and line.strip() for line in lines)  # no dots
    assert "FAILURES" not in done.stdout and "Target:" not in done.stdout
    verdict = next(line for line in lines if line.startswith("Conformance "))
    assert verdict.startswith("Conformance FAIL")
    rows = [line.split()[:3] for line in lines if line.startswith("  FAILED")]
    assert ["FAILED", "MUST", "RESP-TOKEN-TYPE:client_credentials"] in rows
    assert not any(line.startswith("  SKIPPED") for line in lines)  # the full table is not shown
    assert str(tmp_path / "results.json") in written(done.stdout)
    assert not any(PROGRESS.match(line) for line in done.stderr.splitlines())


def test_run_verbose__every_case_by_name(tmp_path: Path) -> None:
    done = conformance("run", "-v", "--skip-properties", "--report-dir", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test_requirement[CC-SUCCESS:client_credentials] PASSED" in done.stdout
    assert "test_requirement[SCHEMA-NEGATIVE-REJECTED] SKIPPED" in done.stdout


def test_exitfirst__a_failed_must_leaves_the_property_phase_unsent_and_says_so(
    tmp_path: Path,
) -> None:
    accounts = default_accounts()
    runs = {}
    with ReferenceServer(accounts=accounts, faults=frozenset({"token-type-mac"})) as server:
        for name, extra in (("cut", ["--exitfirst"]), ("whole", [])):
            done = conformance(
                "run",
                "--target",
                server.url,
                "--examples",
                "5",
                "--report-dir",
                str(tmp_path / name),
                *extra,
                env=reference_env(),
            )
            assert done.returncode == 1, done.stdout + done.stderr
            runs[name] = json.loads((tmp_path / name / "results.json").read_text())
            runs[name]["stdout"] = done.stdout
    cut, whole = runs["cut"], runs["whole"]
    assert whole["run"]["generated_requests"] > 0 and cut["run"]["generated_requests"] == 0
    assert cut["run"]["requests_sent"] < whole["run"]["requests_sent"]
    assert cut["verdict"] == "FAIL" and "cut short by --exitfirst" in cut["verdict_text"]
    assert "cut short" not in whole["verdict_text"]
    assert f"Conformance {cut['verdict_text']}" in cut["stdout"]
    unsent = [r for r in cut["results"] if r["message"].startswith(CUT_SHORT)]
    assert unsent and all(r["outcome"] == "skipped" for r in unsent)
    assert "RESP-TOKEN-TYPE:client_credentials failed" in unsent[0]["message"]
    # what it judged, it judged as the whole run does
    failed = {r["case"] for r in cut["results"] if r["outcome"] == "failed"}
    assert failed == {r["case"] for r in whole["results"] if r["outcome"] == "failed"}


def test_exitfirst__a_run_where_every_must_holds_is_not_cut(tmp_path: Path) -> None:
    done = conformance("run", "--exitfirst", "--examples", "3", "--report-dir", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads((tmp_path / "results.json").read_text())
    assert document["verdict_text"] == "PASS" and document["run"]["generated_requests"] > 0


def test_exitfirst__refused_with_certification_naming_the_setting() -> None:
    done = conformance("run", "--certification", "--exitfirst")
    assert done.returncode == 2
    assert "(setting: exitfirst)" in done.stderr


def test_exit_code__a_run_cut_short_is_never_a_pass() -> None:
    from conformance.results import Outcome, exit_code, verdict_line

    def outcome(kind: str, message: str = "") -> Outcome:
        return Outcome("R", "MUST", None, "1.3.1", kind, message, "summary")

    outcomes = [outcome("passed"), outcome("skipped", f"{CUT_SHORT} (X failed)")]
    assert exit_code(outcomes) == 1
    assert verdict_line(outcomes).startswith("FAIL (cut short by --exitfirst; incomplete: ")
    assert exit_code([outcome("passed"), outcome("skipped", "needs a role")]) == 0


def test_summary_md__appended_to_what_the_job_summary_holds(tmp_path: Path) -> None:
    # GitHub gives every step of a job one $GITHUB_STEP_SUMMARY file to append to.
    summary = tmp_path / "step-summary.md"
    summary.write_text("## An earlier step\n\nIts table", encoding="utf-8")  # no final newline
    for _ in range(2):
        done = conformance(
            "run",
            "--skip-properties",
            "--report-dir",
            str(tmp_path / "out"),
            "--summary-md",
            str(summary),
        )
        assert done.returncode == 0, done.stdout + done.stderr
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## An earlier step\n\nIts table\n\n## Conformance: PASS")
    assert text.count("## Conformance: PASS") == 2
    assert "\n\n## Conformance: PASS" in text.split("## Conformance: PASS", 1)[1]
