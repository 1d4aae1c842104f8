"""The certification bundle: results.json, junit.xml, report.html, the contract and
OpenAPI document used, manifest.json (the run's identity, verdict, whether it is
certified, the SHA-256 digest of every other file) and, given a key, manifest.sig (an
Ed25519 signature of manifest.json).

`verify_bundle` recomputes what it can rather than trust the manifest: every digest, and
every claim against results.json. Anyone can rebuild and re-sign an archive, so only a
signature checked with the signer's public key establishes who made it; without one the
answer is "integrity not established" unless the caller accepts that explicitly.
"""

from __future__ import annotations

import base64
import hashlib
import io
import ipaddress
import json
import re
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from conformance.errors import ConfigError
from conformance.results import Outcome, verdict

# 2: the manifest gained verdict and self_test, which a version 1 bundle cannot vouch for.
BUNDLE_VERSION = 2
MANIFEST, SIGNATURE, RESULTS = "manifest.json", "manifest.sig", "results.json"
# The run header values the manifest repeats; each must equal results.json's `run`.
RUN_FIELDS = ("target", "edition", "profile", "seed", "suite_version", "started", "finished")
# `conformance bundle verify` exit statuses (2, unreadable, is the ConfigError path).
EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE, EXIT_NO_INTEGRITY = 0, 1, 2, 3
VALID, INVALID, NO_INTEGRITY = "valid", "invalid", "integrity not established"
SIG_ABSENT, SIG_UNCHECKED = "absent", "present, not checked (give --public-key)"
SIG_VALID, SIG_BAD = "valid", "INVALID"
_NOT_ESTABLISHED = {  # signature state: title, Expected, Received
    SIG_ABSENT: (
        "UNSIGNED bundle: integrity not established",
        "manifest.sig, checked with the signer's --public-key",
        "no manifest.sig; anyone can rebuild an unsigned bundle",
    ),
    SIG_UNCHECKED: (
        "UNVERIFIED bundle: integrity not established: give --public-key",
        "--public-key, the signer's Ed25519 public key (PEM)",
        "no public key; anyone can re-sign a bundle with a key of their own",
    ),
}
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s()]+")
_OUTCOME_FIELDS = frozenset(f.name for f in fields(Outcome))


def certification_gaps(outcomes: Sequence[Outcome]) -> list[str]:
    """Why a run is not certified: a MUST that did not pass, or a required check skipped."""
    gaps = []
    # by outcome too: results.json lists outcomes in another order, and a recomputation
    # from it must give the same list
    for o in sorted(outcomes, key=lambda o: (o.case_id, o.outcome)):
        if o.level == "MUST" and o.outcome != "passed":
            gaps.append(f"{o.case_id}: {o.outcome}")
    return gaps


def _is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 reaches 127.0.0.1
    # 0.0.0.0 and :: as a destination reach this machine too
    return any(a.is_loopback or a.is_unspecified for a in (address, mapped) if a is not None)


def self_test_reason(header: Mapping[str, Any]) -> str | None:
    """Why a run only tested the suite against itself, or None for a real target.

    A pass against the embedded reference or anything on this machine says nothing
    about the platform a certificate is for, however genuine the bundle is.
    """
    if header.get("embedded"):
        return "self-test against the embedded reference, not a certification"
    urls = [str(header.get("base_url") or "")] + _URL.findall(str(header.get("target") or ""))
    for url in urls:
        if url and _is_loopback(url):
            return f"self-test against a loopback target ({url}), not a certification"
    return None


def _judgement(header: Mapping[str, Any], outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """The manifest's claims about a run, from its header and outcomes alone, so that
    `verify_bundle` can recompute them from results.json the same way."""
    reason = self_test_reason(header)
    gaps = certification_gaps(outcomes) + ([reason] if reason else [])
    return {
        "verdict": verdict(outcomes, bool(header.get("require_complete"))),
        "self_test": reason is not None,
        "certified": not gaps,
        "not_certified_because": gaps,
    }


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_private_key(path: Path) -> Ed25519PrivateKey:
    key = _load_pem(path, "signing_key", "signing_key", private=True)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"signing_key {path} is not an Ed25519 key", setting="signing_key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    key = _load_pem(path, "public key", "public_key", private=False)
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"public key {path} is not an Ed25519 key", setting="public_key")
    return key


def _load_pem(path: Path, what: str, setting: str, *, private: bool) -> object:
    """The key in a PEM file, or a ConfigError naming the setting (never the file's bytes)."""
    try:
        data = path.read_bytes()
        if private:
            return serialization.load_pem_private_key(data, password=None)
        return serialization.load_pem_public_key(data)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(f"{what} {path}: {type(exc).__name__}", setting=setting) from None


def build_manifest(
    files: Mapping[str, bytes], header: Mapping[str, Any], outcomes: Sequence[Outcome]
) -> dict[str, Any]:
    return {
        "bundle_version": BUNDLE_VERSION,
        **{name: header.get(name) for name in RUN_FIELDS},
        **_judgement(header, outcomes),
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
    security_file: Path | None = None,
) -> Path:
    """Write the archive; sign the manifest when `signing_key` (PEM, Ed25519) is given.
    `security_file`: the security findings' source (specs/security.toml), judged too."""
    files = {name: p.read_bytes() for name, p in report_files.items()}
    for source in (contract_file, openapi_file, *([security_file] if security_file else [])):
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
    """What `verify_bundle` found; `status` (VALID, INVALID, NO_INTEGRITY) decides the exit."""

    status: str
    certified: bool = False
    self_test: bool = False
    problems: list[str] = field(default_factory=list)
    signature: str = SIG_ABSENT
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return self.status == VALID

    @property
    def exit_code(self) -> int:
        return {VALID: EXIT_VALID, INVALID: EXIT_INVALID}.get(self.status, EXIT_NO_INTEGRITY)

    def render(self) -> str:
        problems = [f"  - {p}" for p in self.problems]
        if self.status == INVALID:
            return "\n".join(["INVALID bundle:", *problems])
        if self.status == NO_INTEGRITY:
            title, expected, received = _NOT_ESTABLISHED[self.signature]
            lines = [title, f"  Expected: {expected}", f"  Received: {received}"]
            lines.append("  (--allow-unsigned judges the rest without a checked signature)")
            return "\n".join(lines)
        status = "certified" if self.certified else "NOT certified"
        if self.self_test:
            status = "self-test (not a certification)"
        signature = self.signature
        if signature != SIG_VALID:
            signature += " (--allow-unsigned: integrity not established)"
        lines = [f"VALID bundle: {status}", f"  signature: {signature}"]
        lines += [f"  {key}: {self.manifest.get(key)}" for key in (*RUN_FIELDS, "verdict")]
        lines += [
            f"  not certified because: {gap}"
            for gap in self.manifest.get("not_certified_because", [])
        ]
        return "\n".join(lines)


def _read_members(path: Path) -> tuple[dict[str, bytes], list[str]]:
    """The archive's files by name, and the names it holds more than once (which copy
    counts would depend on the tool that reads it)."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            members, duplicates = {}, set()
            for info in archive.getmembers():
                if not info.isfile():
                    raise ConfigError(f"{path}: unexpected member {info.name!r}", setting="FILE")
                if info.name in members:
                    duplicates.add(info.name)
                handle = archive.extractfile(info)
                members[info.name] = handle.read() if handle else b""
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise ConfigError(f"{path} is not a readable bundle: {exc}", setting="FILE") from None
    return members, sorted(duplicates)


def _json_object(data: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def verify_bundle(
    path: Path,
    public_key: Path | None = None,
    *,
    allow_unsigned: bool = False,
    expected_target: str | None = None,
) -> Verification:
    """Check every digest, that nothing was added or removed, the signature, and every
    manifest claim against results.json; `expected_target` refuses a bundle replayed
    from another target."""
    members, duplicates = _read_members(path)
    manifest = _json_object(members.get(MANIFEST, b""))
    if manifest is None:
        return Verification(INVALID, problems=["manifest.json: missing or not a JSON object"])
    problems = [f"{name}: more than one member of that name" for name in duplicates]
    if manifest.get("bundle_version") != BUNDLE_VERSION:
        problems.append(
            f"manifest bundle_version {manifest.get('bundle_version')!r}: "
            f"this suite verifies version {BUNDLE_VERSION}"
        )
    listed = manifest["files"] if isinstance(manifest.get("files"), dict) else {}
    problems += [
        f"{name}: digest mismatch"
        for name, digest in sorted(listed.items())
        if name not in members or _sha256(members[name]) != digest
    ]
    extra = sorted(set(members) - set(listed) - {MANIFEST, SIGNATURE})
    problems += [f"{name}: not in the manifest" for name in extra]
    self_test = _cross_check(manifest, members, expected_target, problems)
    signature = _check_signature(members, public_key, problems)
    # A provable inconsistency is a forgery whoever signed it; only a bundle that holds
    # together is left to the signature to vouch for.
    if signature == SIG_BAD or problems:
        status = INVALID
    elif signature != SIG_VALID and not allow_unsigned:
        status = NO_INTEGRITY
    else:
        status = VALID
    certified = status == VALID and manifest.get("certified") is True
    return Verification(status, certified, self_test, problems, signature, manifest)


def _cross_check(
    manifest: Mapping[str, Any],
    members: Mapping[str, bytes],
    expected_target: str | None,
    problems: list[str],
) -> bool:
    """Add a problem for every manifest claim results.json does not bear out; returns
    whether results.json shows a self-test (True when it cannot be read: never certify)."""
    if expected_target is not None:
        target = manifest.get("target")
        if str(target).rstrip("/") != expected_target.rstrip("/"):
            problems.append(
                f"manifest target {target!r} is not the expected target {expected_target!r}"
            )
    document = _json_object(members.get(RESULTS, b""))
    run = document.get("run") if document else None
    results = document.get("results") if document else None
    try:
        if not isinstance(run, dict) or not isinstance(results, list):
            raise TypeError("no run or no results")
        outcomes = [
            Outcome(**{k: v for k, v in r.items() if k in _OUTCOME_FIELDS}) for r in results
        ]
        recomputed = _judgement(run, outcomes)
    except (TypeError, AttributeError) as exc:
        problems.append(f"results.json: missing or not a results document ({exc})")
        return True
    actual = {**{name: run.get(name) for name in RUN_FIELDS}, **recomputed}
    for name, value in actual.items():
        if manifest.get(name) != value:
            problems.append(
                f"manifest {name} {manifest.get(name)!r} does not match results.json {value!r}"
            )
    return bool(recomputed["self_test"])


def _check_signature(
    members: Mapping[str, bytes], public_key: Path | None, problems: list[str]
) -> str:
    if SIGNATURE not in members:
        return SIG_ABSENT
    if public_key is None:
        return SIG_UNCHECKED
    try:
        load_public_key(public_key).verify(base64.b64decode(members[SIGNATURE]), members[MANIFEST])
    except (InvalidSignature, ValueError):
        problems.append("manifest.sig does not match manifest.json and the public key")
        return SIG_BAD
    return SIG_VALID
