"""One run against one target: scenarios sent once, checks judged, outcomes recorded.

`RunContext` owns the sender and caches each scenario's exchanges so that every check
reading a scenario sees the same recording. `judge` turns one (requirement, grant)
into an `Outcome`, which is the only thing the reports read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import secrets
import shlex
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import conformance.properties  # noqa: F401 - importing registers the generated scenarios
from conformance.checks import ALL, CHECKS, CheckContext
from conformance.contract import RFC6749, Contract, Requirement, contract_for
from conformance.errors import ConfigError, ConformanceError, Failure, Skipped
from conformance.exchange import Exchange
from conformance.preflight import check_client, check_login, login_refused, logs_in_as
from conformance.redact import Redactor
from conformance.results import Outcome
from conformance.scenarios import SCENARIOS
from conformance.sender import Sender
from conformance.settings import Settings
from conformance.waivers import apply_waivers, load_waivers

AuthCodeSource = Callable[[], str]
Progress = Callable[[int, int, str], None]
SCENARIO_WORKERS = 4
EVIDENCE_LIMIT = 5


@dataclass(frozen=True)
class Case:
    """One test item: a requirement, for one grant when it is checked per grant."""

    requirement: Requirement
    grant: str | None

    @property
    def id(self) -> str:
        return f"{self.requirement.id}:{self.grant}" if self.grant else self.requirement.id


def cases(contract: Contract) -> list[Case]:
    """Every (requirement, grant) the suite judges, in contract order."""
    return [Case(req, grant) for req in contract.requirements for grant in (req.grants or (None,))]


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


@functools.cache
def _private_hypothesis_home() -> None:
    """Hypothesis keeps caches in ./.hypothesis; a run must not litter the user's directory.

    They go to the user's cache directory instead ($XDG_CACHE_HOME, else ~/.cache), kept
    from run to run. Hypothesis stores only derived data there (its Unicode category
    table, the constants of each local module keyed by a hash of its source, the codec
    tables of `properties.codec_tables`), recomputed on a miss and equal either way, and
    the phase keeps no example database (`database=None`): a seed generates the same
    inputs with or without it. A fresh directory each run recomputed the first two every
    time (~0.3 s) and left one more directory in /tmp. Where no cache directory can be
    made, a fresh temporary one, as before."""
    import hypothesis
    from hypothesis.configuration import set_hypothesis_home_dir

    configured = os.environ.get("XDG_CACHE_HOME", "")  # used when absolute (XDG base dirs)
    try:
        cache = Path(configured) if os.path.isabs(configured) else Path.home() / ".cache"
        home = cache / "candescent-conformance" / f"hypothesis-{hypothesis.__version__}"
        home.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # RuntimeError: no home directory to be found
        home = Path(tempfile.mkdtemp(prefix="conformance-hypothesis-"))
    set_hypothesis_home_dir(home)


def _throttled(exchange: Exchange) -> bool:
    """A 429, or a 503 with Retry-After: the target asked the suite to slow down."""
    response = exchange.response
    if response is None:
        return False
    return response.status == 429 or (
        response.status == 503 and bool(response.header("retry-after"))
    )


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
        self.redactor = Redactor(settings.secrets())
        self.sender = Sender(settings, self.redactor, base_url)
        if auth_code_source is None and settings.auth_code_command:
            auth_code_source = command_auth_code_source(
                settings.auth_code_command, settings.timeout * 3
            )
        self._auth_code_source = auth_code_source
        self._roles = settings.roles()
        if auth_code_source is not None:
            self._roles["auth_code"] = None
        self._lock = threading.Lock()
        self._scenario_locks = {name: threading.Lock() for name in SCENARIOS}
        # What a check of "every exchange" reads: the scenarios of this run's contract.
        family = "platform" if settings.platform else RFC6749
        self.contract_scenarios = tuple(n for n, s in SCENARIOS.items() if family in s.contracts)
        self._recorded: dict[str, list[Exchange] | BaseException] = {}
        # Logins of the configured user that may count as failed ones at the target: wrong
        # passwords sent (within the cap) and logins with the configured one it refused.
        self.wrong_password_attempts = 0
        self.refused_logins = 0
        self.sender.on_exchange = self._count_refused_login
        self.outcomes: list[Outcome] = []
        self.started = time.time()
        # The seed of every generated input: given, or fresh and then printed and stored.
        self.seed = settings.seed if settings.seed is not None else secrets.randbelow(2**32)
        self.waivers = (
            load_waivers(Path(settings.waivers), self.contract) if settings.waivers else ()
        )
        self.today = dt.date.today()
        self._property_deadline: float | None = None

    def roles(self) -> dict[str, str | None]:
        """Each optional role: None when available, else why not."""
        return dict(self._roles)

    # --- what scenarios call ------------------------------------------------------
    def send(self, scenario: str, label: str, **kwargs: object) -> Exchange:
        return self.sender.send(scenario, label, **kwargs)  # type: ignore[arg-type]

    def take_wrong_password_attempt(self, scenario: str) -> None:
        """Count one failed login of the configured user, or raise Skipped past the cap."""
        if not self.try_wrong_password_attempt():
            raise Skipped(
                f"the wrong-password cap ({self.settings.wrong_password_cap} per run, setting "
                f"wrong_password_cap) is reached; {scenario} would risk locking the user out"
            )

    def try_wrong_password_attempt(self) -> bool:
        """Count one failed login of the configured user if the lock-out cap allows it."""
        with self._lock:
            if self.wrong_password_attempts >= self.settings.wrong_password_cap:
                return False
            self.wrong_password_attempts += 1
            return True

    def _count_refused_login(self, exchange: Exchange) -> None:
        """A refused login with the configured password counts against the lock-out cap
        too: the target's failed-login counter does not know it was not meant to fail."""
        settings = self.settings
        if logs_in_as(exchange, settings.username, settings.password) and login_refused(exchange):
            with self._lock:
                self.wrong_password_attempts += 1
                self.refused_logins += 1

    def fetch_auth_code(self) -> str:
        if self._auth_code_source is None:
            raise Skipped("needs CONFORMANCE_AUTH_CODE_COMMAND")
        with self.sender.turns.waiting():  # a request, or a command, of its own
            code = self._auth_code_source()
        self.redactor.learn(code)
        return code

    # --- scenarios ------------------------------------------------------------------
    def exchanges(self, name: str) -> list[Exchange]:
        """The recording of scenario `name`, sending it the first time it is asked for."""
        with self._scenario_locks[name]:
            if name not in self._recorded:
                self._recorded[name] = self._record(name)
            recorded = self._recorded[name]
        if isinstance(recorded, BaseException):
            raise recorded
        return recorded

    def _record(self, name: str) -> list[Exchange] | BaseException:
        scenario = SCENARIOS[name]
        reason = self._roles.get(scenario.needs) if scenario.needs else None
        if reason:
            return Skipped(reason)
        if scenario.phase == "property" and self.settings.skip_properties:
            return Skipped("the property-based phase is off (--skip-properties)")
        try:
            if scenario.phase != "property":
                return scenario.run(self)
            with self.sender.turns.holding():  # one generates at a time (`Turns`)
                return scenario.run(self)
        except (Skipped, ConformanceError) as exc:
            return exc

    def prepare(self, names: Iterable[str], progress: Progress | None = None) -> None:
        """Send the named scenarios: fixed ones concurrently (latency overlaps), then the
        property-based ones one at a time, since they share the time budget, and those
        `alongside` the others in threads of their own, taking turns to generate.
        `progress` hears (done, total, scenario) after each."""
        self.check_credentials()
        chosen = sorted(set(names))
        fixed = [n for n in chosen if SCENARIOS[n].phase != "property"]
        generated = [n for n in chosen if SCENARIOS[n].phase == "property"]
        done = 0

        def send(name: str) -> None:
            nonlocal done
            self._exchanges_quietly(name)
            with self._lock:
                done += 1
                count = done
            if progress is not None:
                progress(count, len(chosen), name)

        with ThreadPoolExecutor(max_workers=SCENARIO_WORKERS) as pool:
            list(pool.map(send, fixed))
        if generated:
            _private_hypothesis_home()
        # Property scenarios generate one at a time: schemathesis imports lazily and
        # CPython 3.11's ast is not thread-safe (concurrent generation failed with import
        # and AST errors). One that mostly waits for the target runs alongside the others,
        # generating while they wait for answers and they while it waits (`sender.Turns`).
        alongside = [n for n in generated if SCENARIOS[n].alongside]
        with ThreadPoolExecutor(max(1, len(alongside)), "conformance-alongside") as beside:
            running = [beside.submit(send, name) for name in alongside]
            for name in generated:
                if name not in alongside:
                    send(name)
            for future in running:
                future.result()

    def check_credentials(self) -> None:
        """Send the scenarios that use the configured credentials plainly, client first,
        before anything else, and stop the run (CredentialsRefused) if the target refuses
        them: a wrong secret must not read as the target's failure, and a wrong password
        must not be tried again and again against the user's lock-out counter."""
        family = "platform" if self.settings.platform else RFC6749
        firsts = sorted(
            (s for s in SCENARIOS.values() if family in s.contracts and s.preflight),
            key=lambda s: s.preflight != "client",
        )
        for scenario in firsts:
            try:
                sent = self.exchanges(scenario.name)
            except Skipped:
                continue  # the role is not configured: nothing to check
            if sent:
                (check_client if scenario.preflight == "client" else check_login)(sent[0])

    def time_left(self) -> float:
        """Seconds the property-based phase may still spend (its clock starts on first ask)."""
        with self._lock:
            if self._property_deadline is None:
                self._property_deadline = time.monotonic() + self.settings.max_time
            return max(0.0, self._property_deadline - time.monotonic())

    def _exchanges_quietly(self, name: str) -> None:
        with contextlib.suppress(Skipped, ConformanceError):
            self.exchanges(name)  # cached; the checks that read it report the outcome

    def scenarios_for(self, case: Case) -> tuple[str, ...]:
        uses = CHECKS[case.requirement.id].uses
        return self.contract_scenarios if uses == ALL else uses

    def _collect(self, case: Case) -> list[Exchange]:
        collected: list[Exchange] = []
        every = CHECKS[case.requirement.id].uses == ALL
        skipped: list[Skipped] = []
        for name in self.scenarios_for(case):
            try:
                collected += self.exchanges(name)
            except Skipped as skip:
                # A check reading several scenarios judges those that ran: a property
                # scenario (--skip-properties) or one needing a missing role adds to
                # what the others record. Nothing recorded at all is the skip.
                skipped.append(skip)
        if skipped and not collected and not every:
            raise skipped[0]
        if case.grant:
            collected = [e for e in collected if e.grant == case.grant]
        return collected

    # --- judging --------------------------------------------------------------------
    def judge(self, case: Case) -> Outcome:
        """Evaluate one case and record its outcome. ConformanceError propagates (an error)."""
        requirement = case.requirement
        edition = self.settings.edition
        started = time.perf_counter()
        exchanges: list[Exchange] = []
        status, message = "passed", ""
        try:
            reason = self._roles.get(requirement.needs) if requirement.needs else None
            if reason:
                raise Skipped(reason)
            exchanges = self._collect(case)
            ctx = CheckContext(
                requirement.id,
                edition,
                self.contract,
                tuple(self.settings.secrets()),
                self.settings.strict_typing,
            )
            observed = CHECKS[requirement.id].function(exchanges, ctx)
            if observed:  # a MAY requirement reports what the target chose
                message = self.redactor.text(observed)
        except Failure as failure:
            status, message, exchanges = self._judge_failure(failure, requirement, exchanges)
        except Skipped as skipped:
            status, message = "skipped", self.redactor.text(str(skipped))
        except ConformanceError as error:
            status, message = "error", self.redactor.text(f"{type(error).__name__}: {error}")
        outcome = Outcome(
            requirement_id=requirement.id,
            level=requirement.level(edition),
            grant=case.grant,
            edition=edition,
            outcome=status,
            message=message,
            summary=requirement.summary,
            evidence=[self.redactor.evidence(e) for e in exchanges[:EVIDENCE_LIMIT]],
            duration_s=time.perf_counter() - started,
            area=requirement.area,
            source=requirement.source,
            decision=requirement.decision,
        )
        outcome = apply_waivers(outcome, self.waivers, self.today)
        with self._lock:
            self.outcomes.append(outcome)
        return outcome

    def recorded(self) -> list[Exchange]:
        """Every exchange recorded so far, scenario by scenario."""
        with self._lock:
            values = list(self._recorded.values())
        return [e for value in values if isinstance(value, list) for e in value]

    def generated_requests(self) -> int:
        """Requests the property-based phase sent (those recorded so far)."""
        with self._lock:
            recorded = dict(self._recorded)
        return sum(
            len(value)
            for name, value in recorded.items()
            if SCENARIOS[name].phase == "property" and isinstance(value, list)
        )

    def _judge_failure(
        self, failure: Failure, requirement: Requirement, exchanges: list[Exchange]
    ) -> tuple[str, str, list[Exchange]]:
        """Outcome, message and evidence (the failing exchange first) of a failed check."""
        shown = failure.exchange if isinstance(failure.exchange, Exchange) else None
        if shown is not None and _throttled(shown):
            # Back-pressure the retries could not outlast is no verdict on the rule.
            message = (
                f"The target kept answering HTTP {shown.status} (throttled) after the retries "
                "the run allows: no verdict. Lower rate_limit or run again later."
            )
            return "error", message, [shown]
        if shown is not None:
            exchanges = [shown, *(e for e in exchanges if e is not shown)]
        must = requirement.level(self.settings.edition) == "MUST" or self.settings.strict
        return ("failed" if must else "warned"), self.redactor.text(failure.render()), exchanges

    def judge_all(self, selected: Iterable[Case] | None = None) -> list[Outcome]:
        """Judge every case (or `selected`) without pytest; used by tests and benchmarks."""
        chosen = list(cases(self.contract) if selected is None else selected)
        self.prepare(name for case in chosen for name in self.scenarios_for(case))
        return [self.judge(case) for case in chosen]

    def close(self) -> None:
        self.sender.close()
