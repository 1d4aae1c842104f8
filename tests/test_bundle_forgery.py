"""`conformance bundle verify` against forged bundles: each forgery a third party could
make with the archive, a text editor and a key of their own is refused, by exit status.

Exit statuses: 0 valid, 1 invalid, 2 unreadable, 3 integrity not established.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.bundle import load_private_key
from conformance.cli import main
from tests.reports.sample import outcome
from tests.test_bundle import (
    PASSING,
    SANDBOX,
    make_bundle,
    manifest_of,
    read_archive,
    run_header,
    write_archive,
    write_keypair,
)

# A run that failed a MUST: what a forger would like to present as certified.
FAILING = [
    outcome("RESP-TOKEN-TYPE", "failed", "client_credentials"),
    outcome("RESP-TOKEN-TYPE", "passed", "password"),
]
# Each manifest claim and a value the genuine failing run on SANDBOX does not have.
FORGED: dict[str, Any] = {
    "target": "https://prod.example.test",
    "edition": "1.11.0",
    "profile": "default",
    "verdict": "PASS",
    "certified": True,
    "not_certified_because": [],
    "self_test": True,
    "seed": 7,
    "suite_version": "9.9.9",
    "started": "2025-04-01T10:00:00+00:00",
    "finished": "2025-04-01T10:02:00+00:00",
}


@pytest.fixture
def signer(tmp_path: Path) -> tuple[Path, Path]:
    return write_keypair(tmp_path, "signer")


@pytest.fixture
def attacker(tmp_path: Path) -> tuple[Path, Path]:
    return write_keypair(tmp_path, "attacker")


def verify(capsys: pytest.CaptureFixture[str], path: Path, *options: str) -> tuple[int, str]:
    """`conformance bundle verify` in process: its exit status and what it printed."""
    code = main(["bundle", "verify", str(path), *options])
    return code, capsys.readouterr().out


def sign(members: dict[str, bytes], private_key: Path | None) -> None:
    """Replace manifest.sig by one of `private_key` (none: remove it)."""
    members.pop("manifest.sig", None)
    if private_key is not None:
        signature = load_private_key(private_key).sign(members["manifest.json"])
        members["manifest.sig"] = base64.b64encode(signature) + b"\n"


def edit_manifest(members: dict[str, bytes], **changes: Any) -> None:
    manifest = manifest_of(members) | changes
    members["manifest.json"] = json.dumps(manifest, indent=2).encode() + b"\n"


def replace_member(members: dict[str, bytes], name: str, data: bytes | None) -> None:
    """Swap (or, for None, remove) a file and keep the manifest's digests consistent."""
    files = manifest_of(members)["files"]
    if data is None:
        del members[name], files[name]
    else:
        members[name], files[name] = data, hashlib.sha256(data).hexdigest()
    edit_manifest(members, files=files)


def forge(path: Path, members: dict[str, bytes]) -> Path:
    return write_archive(path.with_name("forged.tar.gz"), members)


def test_verify__genuine_signed_bundle__is_valid_and_certified(
    tmp_path: Path, signer: tuple[Path, Path]
) -> None:
    path = make_bundle(tmp_path, PASSING, signing_key=signer[0])
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "bundle", "verify", str(path)]
        + ["--public-key", str(signer[1]), "--target", SANDBOX + "/"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("VALID bundle: certified")
    assert "signature: valid" in done.stdout and "verdict: PASS" in done.stdout


def test_verify__signature_stripped__integrity_not_established(
    tmp_path: Path, signer: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    members = read_archive(make_bundle(tmp_path, PASSING, signing_key=signer[0]))
    sign(members, None)
    forged = forge(tmp_path / "b", members)
    for options in ([], ["--public-key", str(signer[1])]):
        code, out = verify(capsys, forged, *options)
        assert code == 3, out
        assert out.startswith("UNSIGNED bundle: integrity not established")
        assert "certified" not in out


def test_verify__signature_stripped_and_allow_unsigned__is_judged_on_the_rest(
    tmp_path: Path, signer: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    members = read_archive(make_bundle(tmp_path, PASSING, signing_key=signer[0]))
    sign(members, None)
    code, out = verify(capsys, forge(tmp_path / "b", members), "--allow-unsigned")
    assert code == 0, out
    assert out.startswith("VALID bundle: certified") and "signature: absent" in out


def test_verify__signature_stripped_and_manifest_edited__is_invalid_even_with_allow_unsigned(
    tmp_path: Path, signer: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    members = read_archive(make_bundle(tmp_path, FAILING, signing_key=signer[0]))
    edit_manifest(members, verdict="PASS", certified=True, not_certified_because=[])
    sign(members, None)
    code, out = verify(capsys, forge(tmp_path / "b", members), "--allow-unsigned")
    assert code == 1, out
    assert out.startswith("INVALID bundle")
    assert "manifest verdict 'PASS' does not match results.json 'FAIL'" in out
    assert "manifest certified True does not match results.json False" in out


@pytest.mark.parametrize("field", sorted(FORGED))
def test_verify__manifest_field_edited_and_resigned_by_another_key__is_invalid(
    tmp_path: Path,
    signer: tuple[Path, Path],
    attacker: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    field: str,
) -> None:
    members = read_archive(make_bundle(tmp_path, FAILING, signing_key=signer[0]))
    edit_manifest(members, **{field: FORGED[field]})
    sign(members, attacker[0])
    code, out = verify(capsys, forge(tmp_path / "b", members), "--public-key", str(signer[1]))
    assert code == 1, out
    assert "manifest.sig does not match manifest.json and the public key" in out
    assert f"manifest {field} {FORGED[field]!r} does not match results.json" in out


@pytest.mark.parametrize("field", sorted(FORGED))
def test_verify__manifest_field_edited_and_resigned__without_public_key__is_invalid(
    tmp_path: Path,
    signer: tuple[Path, Path],
    attacker: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    field: str,
) -> None:
    # A claim results.json contradicts is a forgery whoever signed it: no key needed.
    members = read_archive(make_bundle(tmp_path, FAILING, signing_key=signer[0]))
    edit_manifest(members, **{field: FORGED[field]})
    sign(members, attacker[0])
    code, out = verify(capsys, forge(tmp_path / "b", members))
    assert code == 1, out
    assert out.startswith("INVALID bundle")
    assert f"manifest {field} {FORGED[field]!r} does not match results.json" in out


@pytest.mark.parametrize("field", sorted(FORGED))
def test_verify__manifest_field_edited_and_resigned_with_the_real_key__is_invalid(
    tmp_path: Path, signer: tuple[Path, Path], capsys: pytest.CaptureFixture[str], field: str
) -> None:
    # A signer who signs what it is given (or a leaked key): only results.json catches it.
    path = make_bundle(tmp_path, FAILING, signing_key=signer[0])
    members = read_archive(path)
    genuine = manifest_of(members)[field]
    edit_manifest(members, **{field: FORGED[field]})
    sign(members, signer[0])
    code, out = verify(capsys, forge(path, members), "--public-key", str(signer[1]))
    assert code == 1, out
    assert out.startswith("INVALID bundle")
    assert f"manifest {field} {FORGED[field]!r} does not match results.json {genuine!r}" in out
    assert "manifest.sig" not in out


def test_verify__failing_run_rewritten_as_a_certified_pass_with_the_real_key__is_invalid(
    tmp_path: Path, signer: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    members = read_archive(make_bundle(tmp_path, FAILING, signing_key=signer[0]))
    edit_manifest(members, verdict="PASS", certified=True, not_certified_because=[])
    sign(members, signer[0])
    code, out = verify(capsys, forge(tmp_path / "b", members), "--public-key", str(signer[1]))
    assert code == 1 and "VALID bundle" not in out.replace("INVALID bundle", "")


@pytest.mark.parametrize("resigned_by", ["signer", "attacker"])
def test_verify__results_json_swapped_for_another_runs__is_invalid(
    tmp_path: Path,
    signer: tuple[Path, Path],
    attacker: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    resigned_by: str,
) -> None:
    failed = make_bundle(tmp_path, FAILING, signing_key=signer[0], name="failed")
    passed = make_bundle(
        tmp_path,
        PASSING,
        run_header(seed=7, started="2025-02-01T09:00:00+00:00"),
        signer[0],
        name="passed",
    )
    members = read_archive(failed)
    replace_member(members, "results.json", read_archive(passed)["results.json"])
    sign(members, (signer if resigned_by == "signer" else attacker)[0])
    code, out = verify(capsys, forge(failed, members), "--public-key", str(signer[1]))
    assert code == 1, out
    if resigned_by == "signer":
        assert "manifest seed 42 does not match results.json 7" in out
        assert "manifest verdict 'FAIL' does not match results.json 'PASS'" in out


@pytest.mark.parametrize("results_json", [None, b"not json", b'{"run": {}}'])
def test_verify__results_json_removed_or_unreadable__is_invalid(
    tmp_path: Path,
    signer: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    results_json: bytes | None,
) -> None:
    members = read_archive(make_bundle(tmp_path, PASSING, signing_key=signer[0]))
    replace_member(members, "results.json", results_json)
    sign(members, signer[0])
    code, out = verify(capsys, forge(tmp_path / "b", members), "--public-key", str(signer[1]))
    assert code == 1, out
    assert "results.json: missing or not a results document" in out


def test_verify__another_targets_bundle_replayed_with_target__is_invalid(
    tmp_path: Path, signer: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    other = "https://other.example.test"
    path = make_bundle(tmp_path, PASSING, run_header(other), signer[0])
    code, out = verify(capsys, path, "--public-key", str(signer[1]), "--target", SANDBOX)
    assert code == 1, out
    assert f"manifest target {other!r} is not the expected target {SANDBOX!r}" in out
    code, out = verify(capsys, path, "--public-key", str(signer[1]), "--target", other + "/")
    assert code == 0, out


def test_verify__resigned_with_another_key__is_invalid(
    tmp_path: Path,
    signer: tuple[Path, Path],
    attacker: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    members = read_archive(make_bundle(tmp_path, PASSING, signing_key=signer[0]))
    sign(members, attacker[0])
    forged = forge(tmp_path / "b", members)
    code, out = verify(capsys, forged, "--public-key", str(signer[1]))
    assert code == 1, out
    assert "manifest.sig does not match manifest.json and the public key" in out
    code, out = verify(capsys, forged, "--public-key", str(signer[1]), "--allow-unsigned")
    assert code == 1, out  # --allow-unsigned accepts no signature, not a wrong one


@pytest.mark.parametrize(
    "header",
    [
        run_header(
            "embedded reference (http://127.0.0.1:8123)",
            embedded=True,
            base_url="http://127.0.0.1:8123",
        ),
        run_header("http://localhost:8400"),
        run_header("http://127.0.0.2:8400"),
        run_header("http://[::1]:8400"),
    ],
)
def test_verify__embedded_or_loopback_bundle__is_a_self_test_never_certified(
    tmp_path: Path,
    signer: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    header: dict[str, Any],
) -> None:
    path = make_bundle(tmp_path, PASSING, header, signer[0])
    manifest = manifest_of(read_archive(path))
    assert manifest["self_test"] is True and manifest["certified"] is False
    assert manifest["verdict"] == "PASS"
    assert any("self-test against" in r for r in manifest["not_certified_because"])
    code, out = verify(capsys, path, "--public-key", str(signer[1]))
    assert code == 0, out
    assert out.startswith("VALID bundle: self-test (not a certification)")
    assert "VALID bundle: certified" not in out


def test_verify__loopback_bundle_claiming_certified_with_the_real_key__is_invalid(
    tmp_path: Path, signer: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = make_bundle(tmp_path, PASSING, run_header("http://127.0.0.1:8400"), signer[0])
    members = read_archive(path)
    edit_manifest(members, self_test=False, certified=True, not_certified_because=[])
    sign(members, signer[0])
    code, out = verify(capsys, forge(path, members), "--public-key", str(signer[1]))
    assert code == 1, out
    assert "manifest self_test False does not match results.json True" in out


def test_verify__not_a_bundle__is_unreadable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x.tar.gz"
    path.write_bytes(b"not an archive")
    assert main(["bundle", "verify", str(path)]) == 2
    assert "is not a readable bundle" in capsys.readouterr().err


def test_verify_help__lists_every_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["bundle", "verify", "--help"])
    out = capsys.readouterr().out
    for line in ("0  valid", "1  invalid", "2  unreadable", "3  integrity not established"):
        assert line in out
    assert "--allow-unsigned" in out and "--target URL" in out
