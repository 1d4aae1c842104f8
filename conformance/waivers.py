"""Waivers: accepted deviations, keyed by requirement id, each with a reason and an expiry.

    [[waiver]]
    requirement = "RESP-PRAGMA"
    grant = "password"          # optional: only this grant's case
    reason = "Gateway strips Pragma; tracked in OPS-123"
    expires = 2027-03-31        # a TOML date
    owner = "payments-security" # who accepted the risk: required for a security finding

A failure (or warning) a waiver covers is reported as "waived" until the expiry date;
after it, it is a failure again and says so. A waiver whose requirement now passes is
reported as stale, so the file does not keep excuses nobody needs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from conformance.contract import Contract
from conformance.errors import ConfigError
from conformance.results import Outcome
from conformance.settings_load import read_toml


@dataclass(frozen=True)
class Waiver:
    requirement: str
    reason: str
    expires: dt.date
    grant: str | None = None
    owner: str | None = None

    def covers(self, outcome: Outcome) -> bool:
        return self.requirement == outcome.requirement_id and self.grant in (None, outcome.grant)

    def record(self, state: str) -> dict[str, Any]:
        record = {"reason": self.reason, "expires": self.expires.isoformat(), "state": state}
        return record | ({"owner": self.owner} if self.owner else {})


def _waiver(entry: dict[str, Any], where: str, contract: Contract) -> Waiver:
    missing = [k for k in ("requirement", "reason", "expires") if not entry.get(k)]
    if missing:
        raise ConfigError(f"{where}: missing {', '.join(missing)}", setting="waivers")
    known = {r.id for r in contract.requirements}
    if entry["requirement"] not in known:
        raise ConfigError(
            f"{where}: unknown requirement {entry['requirement']!r}", setting="waivers"
        )
    expires = entry["expires"]
    if not isinstance(expires, dt.date) or isinstance(expires, dt.datetime):
        raise ConfigError(f"{where}: expires must be a date like 2027-03-31", setting="waivers")
    owner = entry.get("owner")
    if contract.requirement(entry["requirement"]).is_security and not owner:
        # An accepted security risk is someone's: the report says whose.
        raise ConfigError(
            f"{where}: a waiver of the security finding {entry['requirement']} names its owner "
            '(owner = "...")',
            setting="waivers",
        )
    return Waiver(
        entry["requirement"], str(entry["reason"]), expires, entry.get("grant"), owner or None
    )


def load_waivers(path: Path, contract: Contract) -> tuple[Waiver, ...]:
    """Read and validate a waivers file; errors name the entry and the setting."""
    data = read_toml(path, "Waivers file", "waivers")
    entries = data.get("waiver", [])
    return tuple(_waiver(e, f"{path} waiver #{i + 1}", contract) for i, e in enumerate(entries))


def apply_waivers(outcome: Outcome, waivers: tuple[Waiver, ...], today: dt.date) -> Outcome:
    """The outcome as the waivers make it: waived, failed again (expired) or marked stale."""
    waiver = next((w for w in waivers if w.covers(outcome)), None)
    if waiver is None:
        return outcome
    if outcome.outcome in {"failed", "warned"}:
        if waiver.expires >= today:
            return replace(outcome, outcome="waived", waiver=waiver.record("applied"))
        note = f"(waiver expired on {waiver.expires.isoformat()}) "
        return replace(outcome, message=note + outcome.message, waiver=waiver.record("expired"))
    if outcome.outcome == "passed":
        return replace(outcome, waiver=waiver.record("stale"))
    return outcome


def must_waivers(waivers: tuple[Waiver, ...], contract: Contract, edition: str) -> list[str]:
    """The requirement ids of waivers that excuse a MUST (refused by certification)."""
    return sorted(
        {
            w.requirement
            for w in waivers
            if contract.requirement(w.requirement).level(edition) == "MUST"
            # a security finding is no contract MUST: certifying records it, waived or not
            and not contract.requirement(w.requirement).is_security
        }
    )
