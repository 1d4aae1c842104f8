"""Issued access tokens, refresh tokens and authorization codes.

One lock guards every record, and each operation that reads and changes state runs
whole under it, so two concurrent exchanges of one code or one refresh token cannot
both succeed. Spent records (used codes, rotated or revoked refresh tokens) are kept
until they expire: the server must tell "never issued" from "used up", and some
faults break exactly one of the two.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from itertools import count

Clock = Callable[[], float]

# Expired records are dropped every this many issuances, so a long `conformance serve`
# does not grow without bound; rare enough that the sweep costs nothing.
_SWEEP_EVERY = 512


class Outcome(Enum):
    """What the store found for a presented code or token."""

    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"
    FOREIGN = "foreign"


@dataclass(frozen=True)
class Lifetimes:
    """Lifetimes in seconds of what the store issues."""

    access: int
    refresh: int = 15_551_999
    code: int = 60


@dataclass(frozen=True)
class IssuedTokens:
    """Tokens handed out by one successful grant."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    username: str | None
    # The scope of the session the tokens belong to (RFC 6749 3.3); only edition
    # "rfc6749" reports it.
    scope: frozenset[str] = frozenset()


@dataclass
class _Session:
    """Everything issued from one login; revoking its refresh token ends it."""

    client_id: str
    username: str | None
    scope: frozenset[str] = frozenset()
    revoked: bool = False


@dataclass
class _Access:
    session: _Session
    expires_at: float
    revoked: bool = False


@dataclass
class _Refresh:
    session: _Session
    expires_at: float
    spent: bool = False  # rotated out


@dataclass
class _Code:
    client_id: str
    username: str
    offline_access: bool
    expires_at: float
    scope: frozenset[str] = frozenset()
    used: bool = False
    session: _Session | None = None  # what its exchange issued, revoked if it is reused


@dataclass(frozen=True)
class CodeGrant:
    """What a redeemed authorization code was issued for (no user only under faults)."""

    client_id: str
    username: str | None
    offline_access: bool
    scope: frozenset[str] = frozenset()


class TokenStore:
    """Thread-safe in-memory store of tokens and codes with an injectable clock."""

    def __init__(
        self,
        lifetimes: Lifetimes,
        clock: Clock = time.monotonic,
        *,
        faults: frozenset[str] = frozenset(),
    ) -> None:
        self.lifetimes = lifetimes
        self.faults = faults  # the store's own: `tokens-low-entropy`
        self._clock = clock
        self._lock = threading.Lock()
        self._access: dict[str, _Access] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._codes: dict[str, _Code] = {}
        self._issued = count(1)

    def issue(
        self,
        client_id: str,
        username: str | None,
        *,
        refresh: bool,
        scope: frozenset[str] = frozenset(),
        code: str | None = None,
    ) -> IssuedTokens:
        """Start a session: a new access token, and a refresh token when asked. `code`:
        the authorization code it is issued for, whose reuse ends the session."""
        with self._lock:
            session = _Session(client_id, username, scope)
            if code is not None and code in self._codes:
                self._codes[code].session = session
            return self._issue(session, refresh=refresh)

    def issue_code(
        self,
        client_id: str,
        username: str,
        *,
        offline_access: bool,
        scope: frozenset[str] = frozenset(),
    ) -> str:
        """A single-use authorization code for this client and user."""
        with self._lock:
            code = self._new_token()
            expires = self._clock() + self.lifetimes.code
            self._codes[code] = _Code(client_id, username, offline_access, expires, scope)
            return code

    def redeem_code(
        self,
        code: str,
        client_id: str,
        *,
        consume: bool = True,
        bind_to_client: bool = True,
        spent_ok: bool = False,
        revoke_on_reuse: bool = True,
    ) -> tuple[Outcome, CodeGrant | None]:
        """Check a code for this client and, when valid and `consume`, spend it (D21). A
        code used again also ends what its exchange issued (RFC 6749 4.1.2's SHOULD),
        unless `revoke_on_reuse` is off (the `code-reuse-keeps-tokens` fault)."""
        with self._lock:
            record = self._codes.get(code)
            if record is None:
                return Outcome.UNKNOWN, None
            if record.used and not spent_ok:
                if record.session is not None and revoke_on_reuse:
                    record.session.revoked = True
                return Outcome.USED, None
            if record.expires_at <= self._clock():
                return Outcome.EXPIRED, None
            if record.client_id != client_id and bind_to_client:
                # Not spent: the rightful client may still exchange it.
                return Outcome.FOREIGN, None
            record.used = consume
            grant = CodeGrant(
                record.client_id, record.username, record.offline_access, record.scope
            )
            return Outcome.OK, grant

    def refresh_owner(self, token: str) -> str | None:
        """The client a refresh token was issued to, if the store knows it."""
        with self._lock:
            record = self._refresh.get(token)
            return record.session.client_id if record is not None else None

    def check_refresh(self, token: str, client_id: str, *, bind_to_client: bool = True) -> Outcome:
        """The outcome `refresh` would have, without changing anything."""
        with self._lock:
            return self._refresh_outcome(token, client_id, bind_to_client)

    def refresh_scope(
        self, token: str, client_id: str, *, bind_to_client: bool = True
    ) -> tuple[Outcome, frozenset[str]]:
        """`check_refresh`, and when OK the scope the refresh token was granted."""
        with self._lock:
            outcome = self._refresh_outcome(token, client_id, bind_to_client)
            if outcome is not Outcome.OK:
                return outcome, frozenset()
            return outcome, self._refresh[token].session.scope

    def refresh(
        self,
        token: str,
        client_id: str,
        *,
        bind_to_client: bool = True,
        rotate: bool = True,
        keep_old: bool = False,
        spent_ok: bool = False,
    ) -> tuple[Outcome, IssuedTokens | None]:
        """Exchange a refresh token for new tokens in the same session (D14).

        By default the presented token is rotated out: a new refresh token replaces
        it and it is refused from now on. `rotate=False` hands the same refresh token
        back; `keep_old=True` issues a new one but leaves the old one valid.
        `spent_ok=True` takes a rotated-out token as valid (the `refresh-race` fault).
        """
        with self._lock:
            outcome = self._refresh_outcome(token, client_id, bind_to_client)
            if outcome is Outcome.USED and spent_ok:
                outcome = Outcome.OK
            if outcome is not Outcome.OK:
                return outcome, None
            old = self._refresh[token]
            session = old.session
            access = self._new_access(session)
            if not rotate:
                return outcome, IssuedTokens(access, token, session.username, session.scope)
            old.spent = not keep_old
            new = self._new_refresh(session)
            return outcome, IssuedTokens(access, new, session.username, session.scope)

    def revoke(self, token: str, client_id: str, *, apply: bool = True) -> Outcome:
        """Revoke an access or refresh token of this client (RFC 7009).

        Revoking a refresh token ends its session, so the access tokens issued from
        it stop working too (D22). Unknown and expired tokens give UNKNOWN, which the
        endpoint answers like a success (RFC 7009 2.2); another client's give FOREIGN
        and stay valid. With `apply=False` the outcome is computed but nothing changes.
        """
        with self._lock:
            now = self._clock()
            access = self._access.get(token)
            refresh = self._refresh.get(token)
            record = access or refresh
            if record is None or record.expires_at <= now:
                return Outcome.UNKNOWN
            if record.session.client_id != client_id:
                return Outcome.FOREIGN
            if apply and access is not None:
                access.revoked = True
            if apply and refresh is not None:
                refresh.session.revoked = True
            return Outcome.OK

    def access_token_valid(self, token: str) -> bool:
        """Whether an access token was issued, has not expired and is not revoked."""
        with self._lock:
            record = self._access.get(token)
            if record is None or record.revoked or record.session.revoked:
                return False
            return record.expires_at > self._clock()

    def _refresh_outcome(self, token: str, client_id: str, bind_to_client: bool) -> Outcome:
        record = self._refresh.get(token)
        if record is None:
            return Outcome.UNKNOWN
        if record.session.revoked:
            return Outcome.REVOKED
        if record.spent:
            return Outcome.USED
        if record.expires_at <= self._clock():
            return Outcome.EXPIRED
        if bind_to_client and record.session.client_id != client_id:
            return Outcome.FOREIGN
        return Outcome.OK

    def _issue(self, session: _Session, *, refresh: bool) -> IssuedTokens:
        access = self._new_access(session)
        refresh_token = self._new_refresh(session) if refresh else None
        return IssuedTokens(access, refresh_token, session.username, session.scope)

    def _new_access(self, session: _Session) -> str:
        token = self._new_token()
        self._access[token] = _Access(session, self._clock() + self.lifetimes.access)
        return token

    def _new_refresh(self, session: _Session) -> str:
        token = self._new_token()
        self._refresh[token] = _Refresh(session, self._clock() + self.lifetimes.refresh)
        return token

    def _new_token(self) -> str:
        serial = next(self._issued)
        if serial % _SWEEP_EVERY == 0:
            self._sweep()
        if "tokens-low-entropy" in self.faults:
            # The bug under test (RFC 6749 10.10): a counter, unique but guessable.
            return f"reference-token-{serial:010d}"
        while True:
            # 32 random bytes make a collision practically impossible; the loop makes
            # it impossible, since a repeat would break D19.
            token = secrets.token_urlsafe(32)
            if (
                token not in self._access
                and token not in self._refresh
                and token not in self._codes
            ):
                return token

    def _sweep(self) -> None:
        now = self._clock()
        for table in (self._access, self._refresh, self._codes):
            for key in [k for k, record in table.items() if record.expires_at <= now]:
                del table[key]
