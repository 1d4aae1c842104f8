"""Institutions, clients and users the reference target accepts.

The defaults are public test values: the embedded run and `conformance serve` rely on
them, so they are fixed here rather than generated. A TOML file of the same shape can
replace them (`load_accounts`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus

GRANT_TYPES: frozenset[str] = frozenset(
    {"client_credentials", "password", "authorization_code", "refresh_token"}
)
"""The four grants of the V2 token endpoint (spec section 1)."""

# Order used when printing grants, so the text is stable.
_GRANT_ORDER = ("client_credentials", "password", "authorization_code", "refresh_token")


@dataclass(frozen=True)
class Institution:
    """A financial institution, named by a string of digits such as `00016`."""

    id: str


@dataclass(frozen=True)
class Client:
    """An API client: Basic credentials, its institution, and what it may ask for."""

    client_id: str
    client_secret: str = field(repr=False)
    institution_id: str
    grants: frozenset[str]
    scopes: frozenset[str]


@dataclass(frozen=True)
class User:
    """A digital-banking user for the `password` grant and the authorize route."""

    username: str
    password: str = field(repr=False)
    institution_id: str


@dataclass(frozen=True)
class Accounts:
    """Everything the reference target knows about who may call it."""

    institutions: tuple[Institution, ...]
    clients: tuple[Client, ...]
    users: tuple[User, ...]
    _clients: Mapping[str, Client] = field(init=False, repr=False, compare=False)
    _users: Mapping[str, User] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        institution_ids = _unique("institutions", "id", [i.id for i in self.institutions])
        _unique("clients", "client_id", [c.client_id for c in self.clients])
        _unique("users", "username", [u.username for u in self.users])
        for index, client in enumerate(self.clients):
            _known_institution(f"clients[{index}]", client.institution_id, institution_ids)
            unknown = client.grants - GRANT_TYPES
            if unknown:
                raise ValueError(f"clients[{index}].grants: unknown grant {sorted(unknown)[0]!r}")
        for index, user in enumerate(self.users):
            _known_institution(f"users[{index}]", user.institution_id, institution_ids)
        # Frozen, so the indexes are set through object.__setattr__ once, here.
        object.__setattr__(self, "_clients", {c.client_id: c for c in self.clients})
        object.__setattr__(self, "_users", {u.username: u for u in self.users})

    def client(self, client_id: str) -> Client | None:
        """The client with this id, or None."""
        return self._clients.get(client_id)

    def user(self, username: str) -> User | None:
        """The user with this name, or None."""
        return self._users.get(username)

    def has_institution(self, institution_id: str) -> bool:
        """Whether an institution with this id exists."""
        return any(i.id == institution_id for i in self.institutions)


def _unique(table: str, key: str, values: list[str]) -> frozenset[str]:
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            raise ValueError(f"{table}[{index}].{key}: duplicate value {value!r}")
        seen.add(value)
    return frozenset(seen)


def _known_institution(where: str, institution_id: str, known: frozenset[str]) -> None:
    if institution_id not in known:
        raise ValueError(f"{where}.institution_id: unknown institution {institution_id!r}")


def default_accounts() -> Accounts:
    """The built-in test accounts the embedded run and `conformance serve` use."""
    scopes = frozenset({"accounts:read", "transactions:read"})

    def client(client_id: str, secret: str, grants: frozenset[str] = GRANT_TYPES) -> Client:
        return Client(client_id, secret, "00016", grants, scopes)

    return Accounts(
        # 00023 has no client: it exists, and no client belongs to it (D26's 403 checks).
        institutions=(Institution("00016"), Institution("00023")),
        clients=(
            client("conformance-client", "reference-secret-1"),
            # A second client with the same rights, for cross-client checks (D14).
            client("second-client", "reference-secret-2"),
            # Not allowed the password grant: the target of CLIENT-GRANT-FORBIDDEN checks.
            client("restricted-client", "reference-secret-3", frozenset({"client_credentials"})),
            # Characters that change under form-urlencoding (RFC 6749 2.3.1).
            client("spécial:client %+", "sécret: with%+plus"),
        ),
        users=(User("reference-user", "Reference-Passw0rd!", "00016"),),
    )


_TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "institutions": ("id",),
    "clients": ("client_id", "client_secret", "institution_id", "grants", "scopes"),
    "users": ("username", "password", "institution_id"),
}


def load_accounts(path: str | Path) -> Accounts:
    """Read accounts from a TOML file shaped like the defaults.

    The file has arrays of tables `[[institutions]]` (`id`), `[[clients]]`
    (`client_id`, `client_secret`, `institution_id`, `grants`, `scopes`) and
    `[[users]]` (`username`, `password`, `institution_id`). Raises ValueError naming
    the offending key when the file does not have that shape.
    """
    try:
        with Path(path).open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    try:
        return _accounts_from_mapping(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def _accounts_from_mapping(data: Mapping[str, object]) -> Accounts:
    for key in data:
        if key not in _TABLE_KEYS:
            raise ValueError(f"{key}: unknown key (expected one of {', '.join(_TABLE_KEYS)})")
    rows = {name: _rows(data, name) for name in _TABLE_KEYS}
    return Accounts(
        institutions=tuple(Institution(_text(r, "id", w)) for w, r in rows["institutions"]),
        clients=tuple(
            Client(
                client_id=_text(r, "client_id", w),
                client_secret=_text(r, "client_secret", w),
                institution_id=_text(r, "institution_id", w),
                grants=_texts(r, "grants", w),
                scopes=_texts(r, "scopes", w),
            )
            for w, r in rows["clients"]
        ),
        users=tuple(
            User(_text(r, "username", w), _text(r, "password", w), _text(r, "institution_id", w))
            for w, r in rows["users"]
        ),
    )


def _rows(data: Mapping[str, object], name: str) -> list[tuple[str, Mapping[str, object]]]:
    """The tables of one array, each with its location (`clients[1]`) for messages."""
    value = data.get(name, [])
    if not isinstance(value, list):
        raise ValueError(f"{name}: expected an array of tables ([[{name}]])")
    rows: list[tuple[str, Mapping[str, object]]] = []
    for index, row in enumerate(value):
        where = f"{name}[{index}]"
        if not isinstance(row, dict):
            raise ValueError(f"{where}: expected a table")
        for key in row:
            if key not in _TABLE_KEYS[name]:
                raise ValueError(f"{where}.{key}: unknown key")
        for key in _TABLE_KEYS[name]:
            if key not in row:
                raise ValueError(f"{where}.{key}: missing")
        rows.append((where, row))
    return rows


def _text(row: Mapping[str, object], key: str, where: str) -> str:
    value = row[key]
    if not isinstance(value, str) or not value:
        raise ValueError(f"{where}.{key}: expected a non-empty string")
    return value


def _texts(row: Mapping[str, object], key: str, where: str) -> frozenset[str]:
    value = row[key]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{where}.{key}: expected an array of non-empty strings")
    return frozenset(value)


def describe_credentials(accounts: Accounts) -> str:
    """A human-readable list of the credentials the reference target accepts.

    `conformance serve` prints this on purpose: these are local test credentials for
    client developers, not secrets.
    """
    lines = ["Reference target credentials (local test values):"]
    lines.append("  institutions: " + ", ".join(i.id for i in accounts.institutions))
    for client in accounts.clients:
        grants = ", ".join(g for g in _GRANT_ORDER if g in client.grants)
        lines.append(
            f"  client {client.client_id!r}  secret {client.client_secret!r}"
            f"  institution {client.institution_id}  grants: {grants}"
            f"  scopes: {', '.join(sorted(client.scopes))}"
        )
        encoded = (quote_plus(client.client_id), quote_plus(client.client_secret))
        if encoded != (client.client_id, client.client_secret):
            lines.append(f"    form-urlencoded for Basic: {encoded[0]} / {encoded[1]}")
    for user in accounts.users:
        lines.append(
            f"  user {user.username!r}  password {user.password!r}"
            f"  institution {user.institution_id}"
        )
    lines.append(
        "Basic credentials: base64(urlencode(client_id) ':' urlencode(client_secret)),"
        " RFC 6749 2.3.1."
    )
    return "\n".join(lines)
