"""The certification bundle: one archive a third party can check.

It holds results.json, junit.xml, report.html, the contract and OpenAPI document used,
and manifest.json (suite version, seed, target, timestamps, verdict, whether the run
is certified, and the SHA-256 digest of every other file), plus manifest.sig, an
Ed25519 signature of manifest.json, when a signing key is given. `verify_bundle`
recomputes every digest and checks the signature: any change to the contents fails.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from conformance.errors import ConfigError
from conformance.results import Outcome

BUNDLE_VERSION = 1
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"


def certification_gaps(outcomes: Sequence[Outcome]) -> list[str]:
    """Why a run is not certified: a MUST that did not pass, or a required check skipped."""
    gaps = []
    for o in sorted(outcomes, key=lambda o: o.case_id):
        if o.level == "MUST" and o.outcome != "passed":
            gaps.append(f"{o.case_id}: {o.outcome}")
    return gaps


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(
            f"signing_key {path}: {type(exc).__name__}", setting="signing_key"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"signing_key {path} is not an Ed25519 key", setting="signing_key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"public key {path}: {type(exc).__name__}", setting="public_key"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"public key {path} is not an Ed25519 key", setting="public_key")
    return key


def build_manifest(
    files: Mapping[str, bytes], header: Mapping[str, Any], outcomes: Sequence[Outcome]
) -> dict[str, Any]:
    gaps = certification_gaps(outcomes)
    return {
        "bundle_version": BUNDLE_VERSION,
        "suite_version": header.get("suite_version"),
        "target": header.get("target"),
        "edition": header.get("edition"),
        "profile": header.get("profile"),
        "seed": header.get("seed"),
        "started": header.get("started"),
        "finished": header.get("finished"),
        "certified": not gaps,
        "not_certified_because": gaps,
        "files": {name: _sha256(data) for name, data in sorted(files.items())},
    }


def write_bundle(
    path: Path,
    report_files: Mapping[str, Path],
    contract_file: Path,
    openapi_file: Path,
    header: Mapping[str, Any],
    outcomes: Sequence[Outcome],
    signing_key: Path | None = None,
) -> Path:
    """Write the archive; sign the manifest when `signing_key` (PEM, Ed25519) is given."""
    files = {name: p.read_bytes() for name, p in report_files.items()}
    for source in (contract_file, openapi_file):
        files[source.name] = source.read_bytes()
    manifest = json.dumps(build_manifest(files, header, outcomes), indent=2).encode() + b"\n"
    members = {**files, MANIFEST: manifest}
    if signing_key is not None:
        members[SIGNATURE] = base64.b64encode(load_private_key(signing_key).sign(manifest)) + b"\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        for name, data in sorted(members.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
    return path


@dataclass
class Verification:
    valid: bool
    certified: bool = False
    problems: list[str] = field(default_factory=list)
    signature: str = "absent"  # "absent", "valid", "not checked (no public key given)"
    manifest: dict[str, Any] = field(default_factory=dict)

    def render(self) -> str:
        if not self.valid:
            return "INVALID bundle:\n" + "\n".join(f"  - {p}" for p in self.problems)
        status = "certified" if self.certified else "NOT certified"
        lines = [f"VALID bundle: {status}", f"  signature: {self.signature}"]
        for key in ("target", "edition", "suite_version", "seed", "started", "finished"):
            lines.append(f"  {key}: {self.manifest.get(key)}")
        lines += [
            f"  not certified because: {gap}"
            for gap in self.manifest.get("not_certified_because", [])
        ]
        return "\n".join(lines)


def _read_members(path: Path) -> dict[str, bytes]:
    try:
        with tarfile.open(path, "r:gz") as archive:
            members = {}
            for info in archive.getmembers():
                if not info.isfile():
                    raise ConfigError(f"{path}: unexpected member {info.name!r}", setting="FILE")
                handle = archive.extractfile(info)
                members[info.name] = handle.read() if handle else b""
            return members
    except (OSError, tarfile.TarError) as exc:
        raise ConfigError(f"{path} is not a readable bundle: {exc}", setting="FILE") from None


def verify_bundle(path: Path, public_key: Path | None = None) -> Verification:
    """Check every digest, that nothing was added or removed, and the signature."""
    members = _read_members(path)
    if MANIFEST not in members:
        return Verification(False, problems=["no manifest.json"])
    manifest: dict[str, Any] = json.loads(members[MANIFEST])
    listed: dict[str, str] = manifest.get("files", {})
    problems = [
        f"{name}: digest mismatch"
        for name, digest in sorted(listed.items())
        if name not in members or _sha256(members[name]) != digest
    ]
    extra = sorted(set(members) - set(listed) - {MANIFEST, SIGNATURE})
    problems += [f"{name}: not in the manifest" for name in extra]
    signature = _check_signature(members, public_key, problems)
    certified = bool(manifest.get("certified")) and not problems
    return Verification(not problems, certified, problems, signature, manifest)


def _check_signature(
    members: Mapping[str, bytes], public_key: Path | None, problems: list[str]
) -> str:
    if SIGNATURE not in members:
        if public_key is not None:
            problems.append("a public key was given but the bundle is not signed")
        return "absent"
    if public_key is None:
        return "present, not checked (give --public-key)"
    try:
        load_public_key(public_key).verify(base64.b64decode(members[SIGNATURE]), members[MANIFEST])
    except (InvalidSignature, ValueError):
        problems.append("manifest.sig does not match manifest.json and the public key")
        return "INVALID"
    return "valid"
