""" "Repeat this run with" repeats the run: every setting that changes what is sent or
judged, the seed, and never a secret.

The line is read back by the CLI's own parser, and run: the second run sends the same
requests (results.json's recorded bodies) as the first.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import build_parser
from conformance.embedded import role_settings
from conformance.reference import ReferenceServer, default_accounts
from conformance.run_command import repeat_command
from conformance.settings import BOOL_SETTINGS, FLAG_HELP, SECRET_SETTINGS, Settings
from conformance.settings_load import load_settings

SECRETS = {name: f"secret-of-{name}" for name in SECRET_SETTINGS}
# A value other than the default for every setting that has a flag.
CHANGED: dict[str, Any] = {
    "target": "https://idp.example",
    "token_path": "/oauth/token",
    "revoke_path": "",
    "client_id": "my client:%+",
    "institution_id": "00099",
    "other_institution_id": "00100",
    "scope": "profile email",
    "redirect_uri": "https://app.example/cb?x=1&y='2'",
    "username": "alice o'hara",
    "report_dir": "out dir",
    "timeout": 7.5,
    "run_timeout": 300.0,
    "max_requests": 1500,
    "rate_limit": "auto:20",
    "wrong_password_cap": 3,
    "concurrency": 8,
    "examples": 7,
    "max_time": 60.0,
    "waivers": "waivers.toml",
    "security": "fail-on=SHOULD",
    "summary_md": "summary.md",
    "signing_key": "key.pem",
}
# Every switch on; certification apart, which implies require_complete and refuses exitfirst.
BOOLEANS = BOOL_SETTINGS - {"certification"}


def _read_back(line: str, environ: dict[str, str]) -> Settings:
    words = shlex.split(line)
    assert words[:2] == ["conformance", "run"]
    args = build_parser().parse_args(words[1:])
    flags = {name: getattr(args, name) for name in FLAG_HELP}
    return load_settings(flags, None, environ)


@pytest.mark.parametrize("contract", ["platform", "rfc6749"])
def test_repeat_command__carries_every_setting_with_a_flag_and_no_secret(contract: str) -> None:
    flags = {**CHANGED, **{name: True for name in BOOLEANS}, "contract": contract}
    if contract == "platform":
        flags["edition"] = "1.11.0"
    environ = {f"CONFORMANCE_{k.upper()}": v for k, v in SECRETS.items()}
    given = load_settings(flags, None, environ)
    line = repeat_command(given, 1234)
    for secret in SECRETS.values():
        assert secret not in line
    again = _read_back(line, environ)
    assert again.seed == 1234
    names = [n for n in FLAG_HELP if n not in {"seed", "profile"}]
    assert [(n, getattr(again, n)) for n in names] == [(n, getattr(given, n)) for n in names]
    # every changed setting is named: none is left to a default that may move
    implied = {
        "seed",
        "profile",
        "certification",
        "contract" if contract == "platform" else "edition",
    }
    assert set(FLAG_HELP) - implied <= {
        word[2:].replace("-", "_") for word in shlex.split(line) if word.startswith("--")
    }


def test_repeat_command__certification_and_its_defaults_stay_short() -> None:
    settings = load_settings({"certification": True}, None, {})
    assert repeat_command(settings, 7) == "conformance run --edition 1.3.1 --seed 7 --certification"
    line = repeat_command(load_settings({}, None, {}), 7, Path("my conf.toml"), ["-k", "TXID"])
    assert line == "conformance run --edition 1.3.1 --seed 7 --config 'my conf.toml' -- -k TXID"


# --- the line, run: the same requests ----------------------------------------------------

RANDOM = re.compile(r"-[0-9a-f]{16}\b")  # scenarios.base.random_value: unseeded on purpose


def _sent(results: Path) -> tuple[dict[str, Any], dict[str, list[str]]]:
    document = json.loads(results.read_text(encoding="utf-8"))
    bodies = {
        o["case"]: [RANDOM.sub("-<random>", e["request"]["body"]) for e in o["evidence"]]
        for o in document["results"]
    }
    run = document["run"]
    figures = {k: run[k] for k in ("seed", "requests_sent", "generated_requests", "rate_limit")}
    return figures, bodies


def _conformance(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **env},
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("edition", "args"),
    [
        (
            "1.3.1",
            ["--examples", "5", "--max-requests", "1500", "--concurrency", "8", "--max-time"]
            + ["60", "--rate-limit", "400", "--timeout", "8", "--strict-typing", "--strict"],
        ),
        (
            "rfc6749",
            ["--contract", "rfc6749", "--client-id", "conformance-client", "--username"]
            + ["reference-user", "--scope", "accounts:read", "--examples", "4"]
            + ["--wrong-password-cap", "1", "--skip-properties"],
        ),
    ],
)
def test_repeat_line__run_again_sends_the_same_requests(
    tmp_path: Path, edition: str, args: list[str]
) -> None:
    accounts = default_accounts()
    roles = role_settings(accounts)
    if edition == "rfc6749":  # only the secrets: the rest is in the flags
        roles = {k: v for k, v in roles.items() if k in SECRET_SETTINGS}
    env = {f"CONFORMANCE_{k.upper()}": v for k, v in roles.items()}
    reports = tmp_path / "first run"
    with ReferenceServer(accounts=accounts, edition=edition) as server:
        first = _conformance(
            ["run", "--target", server.url, "--report-dir", str(reports), *args], env
        )
        assert first.returncode in (0, 1), first.stdout + first.stderr
        line = next(
            text.removeprefix("Repeat this run with: ")
            for text in first.stdout.splitlines()
            if text.startswith("Repeat this run with: ")
        )
        sent = _sent(reports / "results.json")
        again = _conformance(shlex.split(line)[1:], env)
        assert again.returncode == first.returncode, again.stdout + again.stderr
    for name in SECRET_SETTINGS & set(roles):
        assert roles[name] not in line
    assert f"--report-dir {shlex.quote(str(reports))}" in line
    assert _sent(reports / "results.json") == sent
