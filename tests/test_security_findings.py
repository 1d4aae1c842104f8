"""The security findings layer end to end: the reference (clean, and with each fault that
breaks a finding) judged over real HTTP, the `security` setting deciding what fails the
run, waivers with an owner, and the threat roll-up the reports carry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.contract import load_contract
from conformance.errors import ConfigError
from conformance.results import EXIT_MUST_FAILED, EXIT_OK, Outcome, exit_code
from conformance.settings_load import load_settings
from conformance.waivers import load_waivers
from tests.fixtures.targets import JudgeReference

STANDING = "SEC-PASSWORD-GRANT"  # the platform documents the password grant


def _security(outcomes: list[Outcome]) -> dict[str, str]:
    return {o.case_id: o.outcome for o in outcomes if o.area == "security"}


def _rollup(report_dir: Path) -> dict[str, str]:
    document = json.loads((report_dir / "results.json").read_text(encoding="utf-8"))
    return {t["threat"]: t["state"] for t in document["run"]["security"]["threats"]}


@pytest.mark.parametrize("edition", ["1.3.1", "1.11.0", "rfc6749"])
def test_clean_reference__only_the_standing_password_finding(
    judge_reference: JudgeReference, edition: str, tmp_path: Path
) -> None:
    outcomes = judge_reference(edition, skip_properties=True)
    found = _security(outcomes)
    assert found.pop(STANDING) == "warned"
    judged = {k: v for k, v in found.items() if not k.startswith("SEC-TLS")}
    assert set(judged.values()) == {"passed"}, judged
    assert {v for k, v in found.items() if k.startswith("SEC-TLS")} == {"skipped"}  # loopback
    assert exit_code(outcomes) == EXIT_OK  # findings warn by default
    report_dir = next(tmp_path.glob("run-*"))
    assert _rollup(report_dir) == {
        "credential-guessing": "mitigated",
        "code-replay": "mitigated",
        "refresh-theft": "mitigated",
        "transport": "not judged",
        "deprecated-grants": "unmitigated",
    }
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    assert 'id="security"' in html and "Deprecated grants" in html


@pytest.mark.parametrize(
    ("fault", "finding", "mode", "threat", "state"),
    [
        ("tokens-low-entropy", "SEC-TOKEN-ENTROPY", "fail-on=MUST", "credential-guessing",
         "unmitigated"),
        ("code-reuse-keeps-tokens", "SEC-CODE-REUSE-REVOKES", "fail-on=SHOULD", "code-replay",
         "partly mitigated"),
        ("refresh-without-client-auth", "SEC-REFRESH-CLIENT-AUTH", "fail-on=MUST",
         "refresh-theft", "unmitigated"),
        ("refresh-not-bound-to-client", "SEC-REFRESH-BOUND", "fail-on=MUST", "refresh-theft",
         "unmitigated"),
    ],
)  # fmt: skip
def test_fault__its_finding_fails_when_security_fails_on_its_level(
    judge_reference: JudgeReference,
    tmp_path: Path,
    fault: str,
    finding: str,
    mode: str,
    threat: str,
    state: str,
) -> None:
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(
        f'[[waiver]]\nrequirement = "{STANDING}"\nreason = "documented by the platform"\n'
        'expires = 2099-12-31\nowner = "platform-security"\n',
        encoding="utf-8",
    )
    outcomes = judge_reference(
        "1.3.1", frozenset({fault}), skip_properties=True, security=mode, waivers=str(waivers)
    )
    found = _security(outcomes)
    assert found.pop(STANDING) == "waived"
    failed = {k for k, v in found.items() if v == "failed"}  # the security findings only
    assert failed == {finding}  # a SHOULD finding beside it warns under fail-on=MUST
    if fault == "tokens-low-entropy":
        assert found["SEC-TOKEN-ENTROPY-160"] == "warned"
    assert exit_code(outcomes) == EXIT_MUST_FAILED
    report_dir = max(tmp_path.glob("run-*"))
    assert _rollup(report_dir)[threat] == state


def test_fault__a_finding_only_warns_by_default(judge_reference: JudgeReference) -> None:
    outcomes = judge_reference("rfc6749", frozenset({"tokens-low-entropy"}), skip_properties=True)
    assert _security(outcomes)["SEC-TOKEN-ENTROPY"] == "warned"
    assert exit_code(outcomes) == EXIT_OK


def test_standing_finding__fails_under_fail_on_must_unless_waived(
    judge_reference: JudgeReference, tmp_path: Path
) -> None:
    outcomes = judge_reference("1.11.0", skip_properties=True, security="fail-on=MUST")
    assert _security(outcomes)[STANDING] == "failed"
    assert exit_code(outcomes) == EXIT_MUST_FAILED
    report_dir = next(tmp_path.glob("run-*"))
    document = json.loads((report_dir / "results.json").read_text(encoding="utf-8"))
    assert document["run"]["security"]["mode"] == "fail-on=MUST"


def test_waiver__of_a_security_finding_names_its_owner(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(
        f'[[waiver]]\nrequirement = "{STANDING}"\nreason = "r"\nexpires = 2099-12-31\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="names its owner") as caught:
        load_waivers(waivers, load_contract())
    assert caught.value.setting == "waivers"
    waivers.write_text(
        waivers.read_text(encoding="utf-8") + 'owner = "payments-security"\n', encoding="utf-8"
    )
    (waiver,) = load_waivers(waivers, load_contract())
    assert waiver.record("applied")["owner"] == "payments-security"


@pytest.mark.parametrize(
    ("given", "mode"),
    [("warn", "warn"), ("fail-on=must", "fail-on=MUST"), (" FAIL-ON=SHOULD ", "fail-on=SHOULD")],
)
def test_setting__security_modes_in_any_case(given: str, mode: str) -> None:
    settings = load_settings({}, None, {"CONFORMANCE_SECURITY": given})
    assert settings.security == mode
    assert settings.security_fails("MUST") is (mode != "warn")
    assert settings.security_fails("SHOULD") is (mode == "fail-on=SHOULD")


@pytest.mark.parametrize("given", ["fail", "fail-on=MAY", "", "off"])
def test_setting__an_unknown_security_mode_names_the_setting(given: str) -> None:
    with pytest.raises(ConfigError, match="security mode") as caught:
        load_settings({"security": given}, None, {})
    assert caught.value.setting == "security"


def test_password_grant__a_client_that_may_not_use_it_passes(
    judge_reference: JudgeReference,
) -> None:
    # The reference's restricted client is refused the password grant: the finding holds.
    restricted = {
        "client_id": "restricted-client",
        "client_secret": "reference-secret-3",
    }
    outcomes = judge_reference("1.3.1", skip_properties=True, **restricted)
    assert _security(outcomes)["SEC-PASSWORD-GRANT"] == "passed"
