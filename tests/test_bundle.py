"""The certification bundle: digests, an Ed25519 signature and a manifest a third party
can check against results.json. The helpers here build real bundles; the forgeries
are in test_bundle_forgery.py."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conformance.bundle import (
    EXIT_INVALID,
    EXIT_NO_INTEGRITY,
    EXIT_VALID,
    self_test_reason,
    verify_bundle,
    write_bundle,
)
from conformance.contract import CONTRACT_PATH
from conformance.errors import ConfigError
from conformance.openapi import openapi_path
from conformance.reports import write_reports
from conformance.results import Outcome
from tests.reports.sample import SAMPLE, outcome

SANDBOX = "https://sandbox.example.test"
PASSING = [
    outcome("RESP-TOKEN-TYPE", "passed", "password"),
    outcome("RESP-PRAGMA", "warned", "password", level="SHOULD"),
]


def run_header(target: str = SANDBOX, **changes: Any) -> dict[str, Any]:
    """A finished run header with the keys conformance.session writes."""
    return {
        "target": target,
        "embedded": False,
        "base_url": target,
        "token_path": "/oauth2/v1/token",
        "edition": "1.3.1",
        "strict": False,
        "profile": "certification",
        "require_complete": False,
        "seed": 42,
        "suite_version": "0.1.0",
        "started": "2025-03-01T10:00:00+00:00",
        "finished": "2025-03-01T10:02:00+00:00",
        "duration_s": 120.0,
        "requests_sent": 12,
        **changes,
    }


def write_keypair(where: Path, name: str = "signer") -> tuple[Path, Path]:
    """A fresh Ed25519 key pair as PEM files: (private, public)."""
    key = Ed25519PrivateKey.generate()
    private, public = where / f"{name}.pem", where / f"{name}.pub.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def make_bundle(
    where: Path,
    outcomes: Sequence[Outcome] = PASSING,
    header: dict[str, Any] | None = None,
    signing_key: Path | None = None,
    name: str = "bundle",
) -> Path:
    """A bundle as a certification run writes it: the real reports, then write_bundle."""
    header = header or run_header()
    written = write_reports(where / f"{name}-reports", outcomes, header)
    return write_bundle(
        where / f"{name}.tar.gz",
        written,
        CONTRACT_PATH,
        openapi_path("1.3.1"),
        header,
        outcomes,
        signing_key,
    )


def read_archive(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as archive:
        return {m.name: archive.extractfile(m).read() for m in archive.getmembers()}  # type: ignore[union-attr]


def write_archive(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def manifest_of(members: dict[str, bytes]) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(members["manifest.json"])
    return manifest


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    return write_keypair(tmp_path)


def test_signed_bundle__verifies_and_is_certified_when_every_must_passed(
    tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    result = verify_bundle(make_bundle(tmp_path, signing_key=keys[0]), keys[1])
    assert result.valid and result.certified and result.signature == "valid"
    assert result.exit_code == EXIT_VALID and not result.problems
    assert set(result.manifest["files"]) == {
        "results.json",
        "junit.xml",
        "report.html",
        "contract.toml",
        "openapi-1.3.1.yaml",
    }
    manifest = result.manifest
    assert manifest["seed"] == 42 and manifest["target"] == SANDBOX
    assert manifest["verdict"] == "PASS" and manifest["self_test"] is False
    assert "VALID bundle: certified" in result.render()


def test_bundle__not_certified_when_a_must_failed_or_was_skipped(
    tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    result = verify_bundle(make_bundle(tmp_path, SAMPLE, signing_key=keys[0]), keys[1])
    assert result.valid and not result.certified
    assert result.manifest["verdict"] == "ERROR"  # SAMPLE holds the suite's own error
    reasons = result.manifest["not_certified_because"]
    assert "RESP-TOKEN-TYPE:client_credentials: failed" in reasons
    assert "CODE-SUCCESS:authorization_code: skipped" in reasons
    assert "VALID bundle: NOT certified" in result.render()


@pytest.mark.parametrize("member", ["results.json", "contract.toml", "manifest.json"])
def test_tampered_bundle__fails_verification(
    tmp_path: Path, keys: tuple[Path, Path], member: str
) -> None:
    path = make_bundle(tmp_path, signing_key=keys[0])
    members = read_archive(path)
    members[member] += b" "
    result = verify_bundle(write_archive(path, members), keys[1])
    assert not result.valid and not result.certified and result.exit_code == EXIT_INVALID
    assert result.render().startswith("INVALID bundle")


def test_wrong_public_key__fails_verification(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    path = make_bundle(tmp_path, signing_key=keys[0])
    _, other = write_keypair(tmp_path, "other")
    result = verify_bundle(path, other)
    assert result.exit_code == EXIT_INVALID and result.signature == "INVALID"


def test_unsigned_bundle__integrity_not_established_even_against_a_key(
    tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    path = make_bundle(tmp_path)
    for public_key in (None, keys[1]):
        result = verify_bundle(path, public_key)
        assert result.signature == "absent" and not result.certified
        assert result.exit_code == EXIT_NO_INTEGRITY
        assert result.render().startswith("UNSIGNED bundle: integrity not established")
    allowed = verify_bundle(path, allow_unsigned=True)
    assert allowed.exit_code == EXIT_VALID and allowed.certified
    assert "signature: absent (--allow-unsigned" in allowed.render()


def test_signed_bundle_without_a_public_key__integrity_not_established(
    tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    result = verify_bundle(make_bundle(tmp_path, signing_key=keys[0]))
    assert result.exit_code == EXIT_NO_INTEGRITY and not result.certified
    assert "give --public-key" in result.render()


def test_not_a_bundle__config_error(tmp_path: Path) -> None:
    path = tmp_path / "x.tar.gz"
    path.write_bytes(b"not an archive")
    with pytest.raises(ConfigError):
        verify_bundle(path)


def test_added_file__fails_verification(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    path = make_bundle(tmp_path, signing_key=keys[0])
    members = read_archive(path) | {"extra.txt": b"smuggled"}
    result = verify_bundle(write_archive(path, members), keys[1])
    assert not result.valid and "extra.txt: not in the manifest" in result.problems


def test_a_member_stored_twice__fails_verification(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    # Which copy a reader sees depends on the tool: one must not verify, another display.
    path = make_bundle(tmp_path, signing_key=keys[0])
    members = read_archive(path)
    with tarfile.open(path, "w:gz") as archive:
        for name, data in [*members.items(), ("results.json", b"{}")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    result = verify_bundle(path, keys[1])
    assert not result.valid
    assert "results.json: more than one member of that name" in result.problems


@pytest.mark.parametrize(
    ("header", "self_test"),
    [
        ({"target": "embedded reference (http://127.0.0.1:8123)", "embedded": True}, True),
        ({"target": "http://localhost:8400", "base_url": "http://localhost:8400"}, True),
        ({"target": "http://127.0.0.2:80/", "base_url": "http://127.0.0.2:80"}, True),
        ({"target": "http://[::1]:8400", "base_url": "http://[::1]:8400"}, True),
        ({"target": "http://[::ffff:127.0.0.1]:8400"}, True),
        ({"target": "http://0.0.0.0:8400", "base_url": "http://0.0.0.0:8400"}, True),
        ({"target": SANDBOX, "base_url": SANDBOX}, False),
        ({"target": "https://128.0.0.1", "base_url": "https://128.0.0.1"}, False),
    ],
)
def test_self_test__embedded_or_loopback_only(header: dict[str, Any], self_test: bool) -> None:
    assert (self_test_reason(header) is not None) is self_test
