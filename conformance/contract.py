"""The contract as data: `specs/contract.toml` loaded into typed records.

Everything else (the OpenAPI builder, the checks' catalogue, the reports) reads the
contract through this module, so a requirement is written down exactly once.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.errors import ConfigError

Headers = Callable[[str], str | None]

SPECS_DIR = Path(__file__).resolve().parent.parent / "specs"
CONTRACT_PATH = SPECS_DIR / "contract.toml"
RFC6749_PATH = SPECS_DIR / "rfc6749.toml"
# The security findings, judged beside either contract (`load_contract` adds them).
SECURITY_PATH = SPECS_DIR / "security.toml"
SECURITY_AREA = "security"

EDITIONS = ("1.3.1", "1.11.0")  # the platform's editions
DEFAULT_EDITION = "1.3.1"
# The generic OAuth 2.0 profile: RFC 6749 alone, its own contract file and one edition.
RFC6749 = "rfc6749"
ALL_EDITIONS = (*EDITIONS, RFC6749)
GRANTS = ("client_credentials", "password", "authorization_code", "refresh_token")
ROLES = (
    "second_client",
    "restricted_client",
    "auth_code",
    "revocation",
    "special_client",
    "user",
    "other_institution",
)


def by_edition(value: Any, edition: str) -> Any:
    """Resolve a value that may be written per edition (`{"1.3.1": .., "1.11.0": ..}`)."""
    if isinstance(value, dict) and set(value) <= set(ALL_EDITIONS) and value:
        return value.get(edition)
    return value


@dataclass(frozen=True)
class Expectation:
    """The status(es) and CMN code the contract documents for one scenario, in one edition."""

    statuses: tuple[int, ...]
    code: str | None


@dataclass(frozen=True)
class Requirement:
    """One rule the suite holds a target to."""

    id: str
    area: str
    summary: str
    source: str
    level_by_edition: dict[str, str]
    grants: tuple[str, ...] = ()
    decision: str | None = None
    needs: str | None = None
    option: str | None = None
    expect_raw: dict[str, Any] = field(default_factory=dict)
    # Where the rule is a SHOULD (in some edition): the source that says SHOULD, or the
    # sources that disagree. A rule no source softens is a MUST.
    should_because: str | None = None
    threat: str | None = None  # a security finding's threat (`Threat.id`)
    # A security finding every target of the contract shows by design: what to do about it.
    standing: str | None = None

    @property
    def is_security(self) -> bool:
        """Whether this is a security finding rather than a rule of the contract."""
        return self.area == SECURITY_AREA

    def level(self, edition: str) -> str:
        """MUST, SHOULD or MAY (information only: never fails) in `edition`."""
        return self.level_by_edition[edition]

    def expectation(self, edition: str) -> Expectation | None:
        """What the contract documents as the answer, or None when it documents nothing exact."""
        if not self.expect_raw:
            return None
        status = by_edition(self.expect_raw.get("status"), edition)
        statuses = tuple(status) if isinstance(status, list) else (status,) if status else ()
        return Expectation(statuses, by_edition(self.expect_raw.get("code"), edition))


@dataclass(frozen=True)
class Threat:
    """A threat the security findings are grouped under in the roll-up."""

    id: str
    title: str
    about: str


@dataclass(frozen=True)
class ErrorCode:
    """A CMN error code and the statuses each edition gives it."""

    code: str
    message: str
    status_by_edition: dict[str, list[int]]


@dataclass(frozen=True)
class BackPressure:
    """One kind of answer that says "not now" rather than how the target behaves
    (`[[back_pressure]]`): the sender retries it, and no check is handed one."""

    status: int
    name: str
    header: str | None = None  # only with this header (a 503 without Retry-After is an answer)
    code: str | None = None  # only with this `code` in the JSON body
    quota: bool = False  # lasts until the quota's period ends: the run waits for it

    def matches(self, status: int, header: Headers, body: Callable[[], object]) -> bool:
        """Whether an answer is this kind: its status, a lookup of its headers, and a
        call that parses its body (made only when the status and header match)."""
        if status != self.status or (self.header and not (header(self.header) or "").strip()):
            return False
        if self.code is None:
            return True
        parsed = body()
        return isinstance(parsed, dict) and parsed.get("code") == self.code

    def describe(self) -> str:
        """The answer as messages name it: `HTTP 500 CMN_90003 (spike arrest)`."""
        return f"HTTP {self.status}{f' {self.code}' if self.code else ''} ({self.name})"


def back_pressure_of(
    kinds: Iterable[BackPressure], status: int, header: Headers, body: Callable[[], object]
) -> BackPressure | None:
    """The kind of back-pressure an answer is (`BackPressure.matches`), or None when it is
    an answer to judge."""
    return next((kind for kind in kinds if kind.matches(status, header, body)), None)


@dataclass(frozen=True)
class Contract:
    """The whole contract source."""

    raw: dict[str, Any]
    requirements: tuple[Requirement, ...]
    error_codes: tuple[ErrorCode, ...]
    back_pressure: tuple[BackPressure, ...] = ()
    threats: tuple[Threat, ...] = ()

    @property
    def meta(self) -> dict[str, Any]:
        return dict(self.raw["contract"])

    @property
    def source_file(self) -> str:
        """The contract file's path in the project, as generated documents cite it."""
        return str(self.meta.get("source_file", "specs/contract.toml"))

    @property
    def headers(self) -> list[dict[str, Any]]:
        return list(self.raw["header"])

    @property
    def grants(self) -> list[dict[str, Any]]:
        return list(self.raw["grant"])

    @property
    def fields(self) -> dict[str, dict[str, Any]]:
        return {f["name"]: f for f in self.raw["field"]}

    def requirement(self, requirement_id: str) -> Requirement:
        for req in self.requirements:
            if req.id == requirement_id:
                return req
        raise KeyError(requirement_id)


def _requirement(raw: dict[str, Any], editions: list[str]) -> Requirement:
    level = raw["level"]
    levels = dict(level) if isinstance(level, dict) else {e: level for e in editions}
    return Requirement(
        id=raw["id"],
        area=raw["area"],
        summary=raw["summary"],
        source=raw["source"],
        level_by_edition=levels,
        grants=tuple(raw.get("grants", ())),
        decision=raw.get("decision"),
        needs=raw.get("needs"),
        option=raw.get("option"),
        expect_raw=dict(raw.get("expect", {})),
        should_because=raw.get("should_because"),
        threat=raw.get("threat"),
        standing=raw.get("standing"),
    )


def parse_contract(raw: dict[str, Any], security: dict[str, Any] | None = None) -> Contract:
    """Build the typed contract from its TOML tables and, when given, the security
    findings' (`specs/security.toml`), rejecting duplicate ids and unknown threats."""
    editions = list(raw["contract"]["editions"])
    security = security or {}
    requirements = tuple(
        _requirement(r, editions) for r in [*raw["requirement"], *security.get("requirement", ())]
    )
    threats = tuple(Threat(t["id"], t["title"], t["about"]) for t in security.get("threat", ()))
    unknown = sorted(
        {r.threat or "(none)" for r in requirements if r.is_security} - {t.id for t in threats}
    )
    if unknown:
        raise ConfigError(f"security findings name unknown threats {unknown}", setting="contract")
    ids = [r.id for r in requirements]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ConfigError(f"contract: duplicate requirement ids {duplicates}", setting="contract")
    codes = tuple(ErrorCode(c["code"], c["message"], dict(c["status"])) for c in raw["error_code"])
    pressure = tuple(
        BackPressure(
            status=int(b["status"]),
            name=b["name"],
            header=b.get("header"),
            code=b.get("code"),
            quota=bool(b.get("quota", False)),
        )
        for b in raw.get("back_pressure", ())
    )
    return Contract(
        raw=raw,
        requirements=requirements,
        error_codes=codes,
        back_pressure=pressure,
        threats=threats,
    )


@functools.cache
def load_contract(path: Path = CONTRACT_PATH) -> Contract:
    """Load and parse the contract source with the security findings (cached: read-only)."""
    with path.open("rb") as handle, SECURITY_PATH.open("rb") as security:
        return parse_contract(tomllib.load(handle), tomllib.load(security))


def contract_path(edition: str) -> Path:
    """The contract file of `edition`: the RFC's for rfc6749, the platform's otherwise."""
    return RFC6749_PATH if edition == RFC6749 else CONTRACT_PATH


def contract_for(edition: str) -> Contract:
    """The contract an edition is judged by."""
    return load_contract(contract_path(edition))
