"""The state one reference app runs with, shared by its handlers and middleware."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from .accounts import Accounts
from .errors import RFC6749, Edition
from .logins import FailedLogins
from .store import TokenStore

TOKEN_PATH = "/oauth2/v1/token"
REVOKE_PATH = "/oauth2/v1/revoke"
# Reference-only: how a client of the reference obtains an authorization code.
AUTHORIZE_PATH = "/reference/v1/authorize"


@dataclass
class ReferenceContext:
    """Configuration and mutable state of one app instance.

    `faults` is the full set the app was built with; handlers ask `has_fault` with a
    fault's name at the one place that fault changes behaviour.
    """

    accounts: Accounts
    edition: Edition
    faults: frozenset[str]
    store: TokenStore
    # Per app, random: id tokens are only meant to be verifiable by this process.
    signing_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    # Only the `txid-shared-variable` fault uses this: a deliberately shared slot.
    shared_transaction_id: str = ""
    # Only the `access-token-reused` fault uses this: client id -> cached access token.
    cached_access_tokens: dict[str, str] = field(default_factory=dict, repr=False)
    # Failed password-grant logins per username: what a lock-out counter would hold.
    failed_logins: FailedLogins = field(default_factory=FailedLogins, repr=False)

    def has_fault(self, name: str) -> bool:
        """Whether the app was built with this fault."""
        return name in self.faults

    @property
    def rfc6749(self) -> bool:
        """Whether the app serves edition "rfc6749" (RFC 6749 alone, no platform rules)."""
        return self.edition == RFC6749
