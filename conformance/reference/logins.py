"""Failed logins per user, counted as an identity provider's lock-out counter would.

The suite must never make a real identity provider lock its user out, so it counts the
failed logins it causes; a test proves that count true by comparing it with this one,
kept where the logins are judged.
"""

from __future__ import annotations

import threading


class FailedLogins:
    """How many failed logins each username has had, safe to share between threads.

    A failed login is a `password`-grant token request that
    1. passed every rule before the grant runs (transactionId, printable headers, client
       authentication, the form body, grant_type, institutionId, the client's right to
       the password grant; edition "rfc6749": `check_rfc_request` instead of the
       platform's headers), so `authenticate_user` judged it;
    2. named in `username` an existing user of the client's institution: the user the
       grant looks up (`Accounts.user(username)` whose `institution_id` is the client's);
    3. was refused for that user's password: the `password` field missing or empty, or
       not the user's password, under the faults the app runs with.

    So, exactly: `authenticate_user` raises for a looked-up `user is not None`, either
    at `not password` or at a password that does not match. Not counted: requests
    refused before (by rules 1-7 or an empty username), unknown usernames and users of
    other institutions (no account to lock), logins the password check accepts (even
    when the grant refuses them afterwards, for scope or under `password-grant-broken`),
    logins a fault lets through unchecked (`password-not-checked`, a missing field under
    `password-field-optional`), and the reference-only authorize route, which is no
    password grant and no real target has.
    """

    def __init__(self) -> None:
        # The app records on uvicorn's thread while tests read from their own.
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def record(self, username: str) -> None:
        """Count one failed login of `username`."""
        with self._lock:
            self._counts[username] = self._counts.get(username, 0) + 1

    def counts(self) -> dict[str, int]:
        """Failed logins per username so far (a copy; users without any are absent)."""
        with self._lock:
            return dict(self._counts)
