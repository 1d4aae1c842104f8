"""One run against one target: the state every layer of the run shares.

`RunContext` holds the settings, the contract, the one Sender and redactor, the seed,
the roles, the waivers and the outcomes, and is what scenarios are handed. The work is
done by the layers it composes: `recordings` (each scenario sent once, cached, and the
order of sending), `lockout` (the user's failed-login risk) and `judging` (one case into
an `Outcome`).
"""

from __future__ import annotations

import datetime as dt
import secrets
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import conformance.properties  # noqa: F401 - importing registers the generated scenarios
from conformance import judging
from conformance.contract import Contract, contract_for
from conformance.errors import ConfigError, Skipped
from conformance.exchange import Exchange
from conformance.judging import Case, cases
from conformance.lockout import Lockout
from conformance.recordings import Progress, Recordings
from conformance.redact import Redactor
from conformance.results import CUT_SHORT, Outcome
from conformance.scenarios import SCENARIOS
from conformance.sender import Sender
from conformance.settings import Settings
from conformance.tls_posture import Transport, transport_of
from conformance.waivers import load_waivers

__all__ = ["AuthCodeSource", "Case", "Progress", "RunContext", "cases"]

AuthCodeSource = Callable[[], str]


def command_auth_code_source(command: str, timeout: float) -> AuthCodeSource:
    """A source that runs CONFORMANCE_AUTH_CODE_COMMAND and reads the code from its stdout."""

    def fetch() -> str:
        try:
            done = subprocess.run(
                shlex.split(command), capture_output=True, text=True, timeout=timeout, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConfigError(
                f"auth_code_command could not run: {type(exc).__name__}",
                setting="auth_code_command",
            ) from None
        code = done.stdout.strip()
        if done.returncode != 0 or not code:
            raise ConfigError(
                f"auth_code_command exited {done.returncode} without printing a code.",
                setting="auth_code_command",
            )
        return code

    return fetch


class RunContext:
    """The state of one run. Thread-safe: scenarios may run concurrently."""

    def __init__(
        self,
        settings: Settings,
        base_url: str,
        auth_code_source: AuthCodeSource | None = None,
        contract: Contract | None = None,
    ) -> None:
        self.settings = settings
        self.base_url = base_url
        self.contract = contract or contract_for(settings.edition)
        self.redactor = Redactor(settings.secrets(), settings.shell_variables())
        self.sender = Sender(settings, self.redactor, base_url, self.contract.back_pressure)
        if auth_code_source is None and settings.auth_code_command:
            auth_code_source = command_auth_code_source(
                settings.auth_code_command, settings.timeout * 3
            )
        self._auth_code_source = auth_code_source
        self._roles = settings.roles()
        if auth_code_source is not None:
            self._roles["auth_code"] = None
        self._lock = threading.Lock()
        self._transport: Transport | None = None
        self._transport_lock = threading.Lock()
        self.lockout = Lockout(settings)
        self.sender.on_exchange = self.lockout.observe
        self.recordings = Recordings(self)
        self.outcomes: list[Outcome] = []
        self.started = time.time()
        # The seed of every generated input: given, or fresh and then printed and stored.
        self.seed = settings.seed if settings.seed is not None else secrets.randbelow(2**32)
        self.waivers = (
            load_waivers(Path(settings.waivers), self.contract) if settings.waivers else ()
        )
        self.today = dt.date.today()
        # --exitfirst: why the property-based phase is not sent (the case that failed)
        self.cut_short_by: str | None = None

    def roles(self) -> dict[str, str | None]:
        """Each optional role: None when available, else why not."""
        return dict(self._roles)

    # --- what scenarios call ------------------------------------------------------
    def send(self, scenario: str, label: str, **kwargs: object) -> Exchange:
        return self.sender.send(scenario, label, **kwargs)  # type: ignore[arg-type]

    def take_wrong_password_attempt(self, scenario: str, count: int = 1) -> None:
        """Reserve `count` wrong-password logins of the configured user, or raise Skipped."""
        self.lockout.take(scenario, count)

    def try_wrong_password_attempt(self) -> bool:
        """Reserve one wrong-password login of the configured user if the cap allows it."""
        return self.lockout.try_take()

    @property
    def wrong_password_attempts(self) -> int:
        """Logins that may count as failed at the target (`lockout`)."""
        return self.lockout.attempts

    @property
    def refused_logins(self) -> int:
        return self.lockout.refused

    def transport(self) -> Transport:
        """The target's scheme and, over https, its TLS posture: probed once, when a
        security finding first asks (a few handshakes, each bounded by the timeout)."""
        with self._transport_lock:
            if self._transport is None:
                self._transport = transport_of(self.base_url, timeout=self.settings.timeout)
            return self._transport

    def fetch_auth_code(self) -> str:
        if self._auth_code_source is None:
            raise Skipped("needs CONFORMANCE_AUTH_CODE_COMMAND")
        with self.sender.turns.waiting():  # a request, or a command, of its own
            code = self._auth_code_source()
        self.redactor.learn(code)
        return code

    def exchanges(self, name: str) -> list[Exchange]:
        """The recording of scenario `name`, sending it the first time it is asked for,
        unless --exitfirst has ended the sending."""
        if self.cut_short_by is not None and SCENARIOS[name].phase == "property":
            raise Skipped(f"{CUT_SHORT} ({self.cut_short_by})")
        return self.recordings.exchanges(name)

    def time_left(self) -> float:
        """Seconds the property-based phase may still spend."""
        return self.recordings.time_left()

    # --- what the run calls -----------------------------------------------------------
    def prepare(
        self,
        names: Iterable[str],
        progress: Progress | None = None,
        selected: Iterable[Case] = (),
    ) -> None:
        """Send the named scenarios (`Recordings.prepare`).

        With --exitfirst, the fixed scenarios first, and the `selected` cases judged on
        them alone, as --skip-properties judges them: when a MUST fails there, the
        property-based phase is not sent, and the cases that read only it are skipped as
        cut short. Checks judge recordings, not single answers, so the finest point to
        stop at is between the phases; the fixed one takes seconds, the generated one
        most of a run."""
        names = set(names)
        if self.settings.exitfirst:
            self.recordings.prepare(
                {n for n in names if SCENARIOS[n].phase != "property"}, progress
            )
            self.cut_short_by = "judging the fixed scenarios first"
            failed = next((c for c in selected if judging.judge(self, c).outcome == "failed"), None)
            self.cut_short_by = None if failed is None else f"{failed.id} failed"
            if failed is not None:
                return
        self.recordings.prepare(names, progress)

    def scenarios_for(self, case: Case) -> tuple[str, ...]:
        return judging.scenarios_for(self, case)

    def judge(self, case: Case) -> Outcome:
        """Evaluate one case and record its outcome."""
        outcome = judging.judge(self, case)
        with self._lock:
            self.outcomes.append(outcome)
        return outcome

    def recorded(self) -> list[Exchange]:
        """Every exchange recorded so far, scenario by scenario."""
        return self.recordings.recorded()

    def generated_requests(self) -> int:
        """Requests the property-based phase sent (those recorded so far)."""
        return self.recordings.generated_requests()

    def judge_all(self, selected: Iterable[Case] | None = None) -> list[Outcome]:
        """Judge every case (or `selected`) without pytest: for unit tests of scenarios
        and properties. The run users start goes through `session` and the plugin."""
        chosen = list(cases(self.contract) if selected is None else selected)
        self.prepare(name for case in chosen for name in self.scenarios_for(case))
        return [self.judge(case) for case in chosen]

    def close(self) -> None:
        self.sender.close()
