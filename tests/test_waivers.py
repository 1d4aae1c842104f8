"""Waivers: a waived failure is waived, an expired waiver fails again, a needless one is stale."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conformance.contract import load_contract
from conformance.errors import ConfigError
from conformance.results import exit_code
from conformance.waivers import Waiver, apply_waivers, load_waivers, must_waivers
from tests.reports.sample import outcome

TODAY = dt.date(2026, 11, 28)


def waiver(
    requirement: str = "RESP-TOKEN-TYPE",
    expires: dt.date = dt.date(2027, 1, 1),
    grant: str | None = None,
) -> Waiver:
    return Waiver(requirement, "vendor fix scheduled", expires, grant)


def test_waived__a_covered_failure_is_waived_and_the_run_passes() -> None:
    failed = outcome("RESP-TOKEN-TYPE", "failed", "password")
    waived = apply_waivers(failed, (waiver(),), TODAY)
    assert waived.outcome == "waived"
    assert waived.waiver == {
        "reason": "vendor fix scheduled",
        "expires": "2027-01-01",
        "state": "applied",
    }
    assert exit_code([waived]) == 0


def test_expired__the_failure_is_a_failure_again_and_says_why() -> None:
    failed = outcome("RESP-TOKEN-TYPE", "failed", "password")
    expired = apply_waivers(failed, (waiver(expires=dt.date(2026, 11, 27)),), TODAY)
    assert expired.outcome == "failed"
    assert expired.message.startswith("(waiver expired on 2026-11-27)")
    assert expired.waiver and expired.waiver["state"] == "expired"


def test_expiry_day__still_waived() -> None:
    failed = outcome("RESP-TOKEN-TYPE", "failed")
    assert apply_waivers(failed, (waiver(expires=TODAY),), TODAY).outcome == "waived"


def test_stale__a_waiver_whose_requirement_passes_is_reported() -> None:
    passed = outcome("RESP-TOKEN-TYPE", "passed", "password")
    stale = apply_waivers(passed, (waiver(),), TODAY)
    assert stale.outcome == "passed" and stale.waiver and stale.waiver["state"] == "stale"


def test_grant__a_waiver_for_one_grant_leaves_the_others_alone() -> None:
    other = outcome("RESP-TOKEN-TYPE", "failed", "client_credentials")
    assert apply_waivers(other, (waiver(grant="password"),), TODAY).outcome == "failed"


def test_load__a_good_file(tmp_path: Path) -> None:
    path = tmp_path / "waivers.toml"
    path.write_text(
        '[[waiver]]\nrequirement = "RESP-PRAGMA"\nreason = "r"\nexpires = 2027-03-31\n'
        'grant = "password"\n'
    )
    assert load_waivers(path, load_contract()) == (
        Waiver("RESP-PRAGMA", "r", dt.date(2027, 3, 31), "password"),
    )


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (
            '[[waiver]]\nrequirement = "NOPE"\nreason = "r"\nexpires = 2027-01-01\n',
            "unknown requirement",
        ),
        ('[[waiver]]\nrequirement = "RESP-PRAGMA"\nexpires = 2027-01-01\n', "missing reason"),
        (
            '[[waiver]]\nrequirement = "RESP-PRAGMA"\nreason = "r"\nexpires = "soon"\n',
            "must be a date",
        ),
        ("[[waiver]\n", "not valid TOML"),
    ],
)
def test_load__bad_files_name_the_entry_and_setting(
    tmp_path: Path, body: str, fragment: str
) -> None:
    path = tmp_path / "waivers.toml"
    path.write_text(body)
    with pytest.raises(ConfigError, match=fragment) as caught:
        load_waivers(path, load_contract())
    assert caught.value.setting == "waivers"


def test_must_waivers__listed_for_the_certification_profile() -> None:
    contract = load_contract()
    waivers = (waiver("RESP-TOKEN-TYPE"), waiver("RESP-PRAGMA"))
    assert must_waivers(waivers, contract, "1.3.1") == ["RESP-TOKEN-TYPE"]
