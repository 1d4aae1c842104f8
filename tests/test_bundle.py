"""The certification bundle: digests and an Ed25519 signature a third party can check."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conformance.bundle import verify_bundle, write_bundle
from conformance.contract import CONTRACT_PATH
from conformance.errors import ConfigError
from conformance.openapi import openapi_path
from conformance.reports.junit import write_junit
from conformance.reports.results_json import write_results
from tests.reports.sample import HEADER, SAMPLE, outcome


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    private = tmp_path / "signing.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = tmp_path / "signing.pub.pem"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, public


def _bundle(tmp_path: Path, outcomes: list, signing_key: Path | None) -> Path:  # type: ignore[type-arg]
    reports = {
        "results.json": write_results(tmp_path / "results.json", outcomes, HEADER),
        "junit.xml": write_junit(tmp_path / "junit.xml", outcomes, HEADER),
    }
    return write_bundle(
        tmp_path / "bundle.tar.gz",
        reports,
        CONTRACT_PATH,
        openapi_path("1.3.1"),
        HEADER,
        outcomes,
        signing_key,
    )


def _rewrite(path: Path, name: str, change: bytes) -> None:
    with tarfile.open(path, "r:gz") as archive:
        members = {m.name: archive.extractfile(m).read() for m in archive.getmembers()}  # type: ignore[union-attr]
    members[name] = members[name] + change
    with tarfile.open(path, "w:gz") as archive:
        for member, data in members.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_signed_bundle__verifies_and_is_certified_when_every_must_passed(
    tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    passing = [
        outcome("RESP-TOKEN-TYPE", "passed", "password"),
        outcome("RESP-PRAGMA", "warned", "password", level="SHOULD"),
    ]
    path = _bundle(tmp_path, passing, keys[0])
    result = verify_bundle(path, keys[1])
    assert result.valid and result.certified and result.signature == "valid"
    assert set(result.manifest["files"]) == {
        "results.json",
        "junit.xml",
        "contract.toml",
        "openapi-1.3.1.yaml",
    }
    assert result.manifest["seed"] == 42 and result.manifest["target"] == "http://t.test"
    assert "VALID bundle: certified" in result.render()


def test_bundle__not_certified_when_a_must_failed_or_was_skipped(tmp_path: Path) -> None:
    result = verify_bundle(_bundle(tmp_path, SAMPLE, None))
    assert result.valid and not result.certified
    reasons = result.manifest["not_certified_because"]
    assert "RESP-TOKEN-TYPE:client_credentials: failed" in reasons
    assert "CODE-SUCCESS:authorization_code: skipped" in reasons


@pytest.mark.parametrize("member", ["results.json", "contract.toml", "manifest.json"])
def test_tampered_bundle__fails_verification(
    tmp_path: Path, keys: tuple[Path, Path], member: str
) -> None:
    path = _bundle(tmp_path, [outcome("RESP-TOKEN-TYPE", "passed")], keys[0])
    _rewrite(path, member, b" ")
    result = verify_bundle(path, keys[1])
    assert not result.valid and not result.certified
    assert result.render().startswith("INVALID bundle")


def test_wrong_public_key__fails_verification(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    path = _bundle(tmp_path, [outcome("RESP-TOKEN-TYPE", "passed")], keys[0])
    other = Ed25519PrivateKey.generate().public_key()
    other_path = tmp_path / "other.pem"
    other_path.write_bytes(
        other.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    assert not verify_bundle(path, other_path).valid


def test_unsigned_bundle__checked_against_a_key_is_invalid(
    tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    path = _bundle(tmp_path, [outcome("RESP-TOKEN-TYPE", "passed")], None)
    assert verify_bundle(path).signature == "absent"
    assert not verify_bundle(path, keys[1]).valid


def test_not_a_bundle__config_error(tmp_path: Path) -> None:
    path = tmp_path / "x.tar.gz"
    path.write_bytes(b"not an archive")
    with pytest.raises(ConfigError):
        verify_bundle(path)


def test_added_file__fails_verification(tmp_path: Path) -> None:
    path = _bundle(tmp_path, [outcome("RESP-TOKEN-TYPE", "passed")], None)
    with tarfile.open(path, "r:gz") as archive:
        members = {m.name: archive.extractfile(m).read() for m in archive.getmembers()}  # type: ignore[union-attr]
    members["extra.txt"] = b"smuggled"
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    result = verify_bundle(path)
    assert not result.valid and "extra.txt: not in the manifest" in result.problems
