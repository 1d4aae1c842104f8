"""The user's lock-out counter, as the suite keeps it: no run may make a real identity
provider lock the configured user out.

Two kinds of login may count as failed ones at the target: a wrong password the suite
sends on purpose (reserved against the cap before it is sent, so the cap is never
passed), and a login with the configured password that the target refused (counted when
seen: it cannot be foreseen, and the target's counter does not know it was not meant to
fail). Both count against `wrong_password_cap`, and the summary shows their sum.
"""

from __future__ import annotations

import threading

from conformance.errors import Skipped
from conformance.exchange import Exchange
from conformance.preflight import login_refused, logs_in_as
from conformance.settings import Settings


class Lockout:
    """Failed-login risk of one run. Thread-safe."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self.attempts = 0  # wrong passwords sent and refused configured logins
        self.refused = 0  # of which: refused logins with the configured password

    def try_take(self, count: int = 1) -> bool:
        """Reserve `count` wrong-password logins if the cap allows them all."""
        with self._lock:
            if self.attempts + count > self._settings.wrong_password_cap:
                return False
            self.attempts += count
            return True

    def take(self, scenario: str, count: int = 1) -> None:
        """Reserve `count` wrong-password logins, or raise Skipped past the cap."""
        if not self.try_take(count):
            cap = self._settings.wrong_password_cap
            left = max(0, cap - self.attempts)
            raise Skipped(
                f"{scenario} needs {count} wrong-password logins of the configured user and "
                f"the cap ({cap} per run, setting wrong_password_cap) leaves {left}: more "
                "would risk locking the user out"
            )

    def observe(self, exchange: Exchange) -> None:
        """Count a refused login with the configured password (the Sender calls this)."""
        settings = self._settings
        if logs_in_as(exchange, settings.username, settings.password) and login_refused(exchange):
            with self._lock:
                self.attempts += 1
                self.refused += 1
