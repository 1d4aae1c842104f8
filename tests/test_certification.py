"""`--certification` end to end: every role, a signed bundle, `bundle verify`."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conformance.embedded import role_settings
from conformance.reference import ReferenceServer, default_accounts

pytestmark = pytest.mark.slow


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.fixture(scope="module")
def signed_bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """One certification run on the embedded reference, signed; its bundle and public key."""
    where = tmp_path_factory.mktemp("cert")
    key = Ed25519PrivateKey.generate()
    (where / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (where / "pub.pem").write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    done = cli(
        "run",
        "--certification",
        "--examples",
        "10",
        "--report-dir",
        str(where / "reports"),
        "--signing-key",
        str(where / "key.pem"),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return where / "reports" / "certification-bundle.tar.gz", where / "pub.pem", done.stdout


def test_certification__untouched_bundle_of_the_embedded_reference_verifies_as_a_self_test(
    signed_bundle: tuple[Path, Path, str],
) -> None:
    # A run against the embedded reference proves the suite, not a vendor: never "certified".
    bundle, public_key, stdout = signed_bundle
    assert f"Certification bundle: {bundle}" in stdout
    done = cli("bundle", "verify", str(bundle), "--public-key", str(public_key))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "VALID bundle: self-test (not a certification)" in done.stdout
    assert "signature: valid" in done.stdout and "VALID bundle: certified" not in done.stdout
    with tarfile.open(bundle) as archive:
        names = set(archive.getnames())
    assert names == {
        "results.json",
        "junit.xml",
        "report.html",
        "contract.toml",
        "security.toml",  # the security findings judged beside the contract
        "openapi-1.3.1.yaml",
        "manifest.json",
        "manifest.sig",
    }


def test_certification__tampered_bundle_fails_verify(
    signed_bundle: tuple[Path, Path, str], tmp_path: Path
) -> None:
    bundle, public_key, _ = signed_bundle
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(bundle) as source, tarfile.open(tampered, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "results.json":
                data = data.replace(b'"verdict": "PASS"', b'"verdict": "PASS" ')
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    done = cli("bundle", "verify", str(tampered), "--public-key", str(public_key))
    assert done.returncode == 1
    assert "INVALID bundle" in done.stdout and "results.json: digest mismatch" in done.stdout


def test_certification__a_missing_role_is_a_configuration_error(tmp_path: Path) -> None:
    accounts = default_accounts()
    roles = {k: v for k, v in role_settings(accounts).items() if not k.startswith("special")}
    env = {f"CONFORMANCE_{k.upper()}": v for k, v in roles.items()}
    with ReferenceServer(accounts=accounts) as server:
        done = cli(
            "run",
            "--target",
            server.url,
            "--certification",
            "--report-dir",
            str(tmp_path),
            env=env,
        )
    assert done.returncode == 2
    assert "certification profile needs every role" in done.stderr
    assert "CONFORMANCE_SPECIAL_CLIENT_ID" in done.stderr


def test_certification__a_waiver_of_a_must_is_refused(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(
        '[[waiver]]\nrequirement = "TXID-ECHO"\nreason = "r"\nexpires = 2099-01-01\n'
    )
    done = cli(
        "run",
        "--certification",
        "--waivers",
        str(waivers),
        "--report-dir",
        str(tmp_path / "r"),
    )
    assert done.returncode == 2
    assert "no waiver of a MUST requirement: TXID-ECHO" in done.stderr


def test_waivers_file__a_waived_failure_passes_the_run(tmp_path: Path) -> None:
    accounts = default_accounts()
    env = {f"CONFORMANCE_{k.upper()}": v for k, v in role_settings(accounts).items()}
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(
        '[[waiver]]\nrequirement = "RESP-TOKEN-TYPE"\nreason = "vendor fix"\nexpires = 2099-01-01\n'
    )
    with ReferenceServer(accounts=accounts, faults=frozenset({"token-type-mac"})) as server:
        done = cli(
            "run",
            "--target",
            server.url,
            "--skip-properties",
            "--waivers",
            str(waivers),
            "--report-dir",
            str(tmp_path / "r"),
            env=env,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WAIVED" in done.stdout and "RESP-TOKEN-TYPE" in done.stdout
