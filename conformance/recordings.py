"""Recordings: each scenario sent once, cached, and shared by every check that reads it;
and the order they are sent in.

The credential preflight first (a refusal stops the run before anything else is sent),
then the fixed scenarios concurrently (latency overlaps), then the property-based ones,
which take turns to generate (`concurrency.Turns`).

The request budget goes to the fixed scenarios first: they are few (about 140 for the
platform's contract) and each is the only request of its kind, while a property's
examples are more of the same.
What is left is shared among the properties: when it is short, every property generates
fewer examples (`examples_within`) instead of the first ones in the phase taking it all,
and those that try the fewest inputs every run go first, so a budget that cannot hold
every property's fixed inputs still holds most of them.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from conformance.contract import RFC6749
from conformance.errors import ConformanceError, Skipped
from conformance.exchange import Exchange
from conformance.preflight import check_client, check_login
from conformance.scenarios import SCENARIOS
from conformance.tuning import private_hypothesis_home
from conformance.vocabulary import PLATFORM

if TYPE_CHECKING:
    from conformance.run_context import RunContext

Progress = Callable[[int, int, str], None]
# Fixed scenarios sent at once, at most (never more than settings.concurrency). Against
# a target 200 ms away (benchmarks/profile_run.py --latency 0.2) 4 took the fixed phase
# 5.5 s, 16 took it 3.2 s; nearby it makes no measurable difference.
SCENARIO_WORKERS = 16


class Recordings:
    """The scenarios of one run, each recorded (or its skip or error kept) once."""

    def __init__(self, ctx: RunContext) -> None:
        self._ctx = ctx
        self._lock = threading.Lock()
        self._scenario_locks = {name: threading.Lock() for name in SCENARIOS}
        self._recorded: dict[str, list[Exchange] | BaseException] = {}
        self._property_deadline: float | None = None
        # Examples per property in this run: the setting, fewer when the budget is short.
        self.examples = ctx.settings.examples
        # What a check of "every exchange" reads: the scenarios of this run's contract.
        self.family = PLATFORM if ctx.settings.platform else RFC6749
        self.contract_scenarios = tuple(
            n for n, s in SCENARIOS.items() if self.family in s.contracts
        )

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
        ctx, scenario = self._ctx, SCENARIOS[name]
        reason = ctx.roles().get(scenario.needs) if scenario.needs else None
        if reason:
            return Skipped(reason)
        if scenario.phase == "property" and ctx.settings.skip_properties:
            return Skipped("the property-based phase is off (--skip-properties)")
        try:
            if scenario.phase != "property":
                return scenario.run(ctx)
            with ctx.sender.turns.holding():  # one generates at a time (`Turns`)
                return scenario.run(ctx)
        except (Skipped, ConformanceError) as exc:
            return exc

    def _quietly(self, name: str) -> None:
        with contextlib.suppress(Skipped, ConformanceError):
            self.exchanges(name)  # cached; the checks that read it report the outcome

    def check_credentials(self) -> None:
        """Send the scenarios that use the configured credentials plainly, client first,
        before anything else, and stop the run (CredentialsRefused) if the target refuses
        them: a wrong secret must not read as the target's failure, and a wrong password
        must not be tried again and again against the user's lock-out counter."""
        firsts = sorted(
            (s for s in SCENARIOS.values() if self.family in s.contracts and s.preflight),
            key=lambda s: s.preflight != "client",
        )
        for scenario in firsts:
            try:
                sent = self.exchanges(scenario.name)
            except Skipped:
                continue  # the role is not configured: nothing to check
            if sent:
                (check_client if scenario.preflight == "client" else check_login)(sent[0])

    def prepare(self, names: Iterable[str], progress: Progress | None = None) -> None:
        """Send the named scenarios after the credential preflight: fixed ones
        concurrently, then the property-based ones one at a time (those trying the fewest
        inputs every run first), since they share the time and request budgets, and those
        `alongside` the others in threads of their own, taking turns to generate.
        `progress` hears (done, total, scenario) after each."""
        self.check_credentials()
        chosen = sorted(set(names))
        fixed = [n for n in chosen if SCENARIOS[n].phase != "property"]
        generated = [n for n in chosen if SCENARIOS[n].phase == "property"]
        done = 0

        def send(name: str) -> None:
            nonlocal done
            self._quietly(name)
            with self._lock:
                done += 1
                count = done
            if progress is not None:
                progress(count, len(chosen), name)

        workers = max(1, min(SCENARIO_WORKERS, self._ctx.settings.concurrency))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(send, fixed))
        if generated:
            private_hypothesis_home()
            self.examples = self.examples_within(generated)
            generated.sort(key=lambda name: (SCENARIOS[name].cost.base, name))
        # Property scenarios generate one at a time: schemathesis imports lazily and
        # CPython 3.11's ast is not thread-safe (concurrent generation failed with import
        # and AST errors). One that mostly waits for the target runs alongside the others,
        # generating while they wait for answers and they while it waits (`concurrency.Turns`).
        alongside = [n for n in generated if SCENARIOS[n].alongside]
        with ThreadPoolExecutor(max(1, len(alongside)), "conformance-alongside") as beside:
            running = [beside.submit(send, name) for name in alongside]
            for name in generated:
                if name not in alongside:
                    send(name)
            for future in running:
                future.result()

    def examples_within(self, names: Iterable[str]) -> int:
        """Examples per property for the property scenarios `names`: the setting, or when
        the budget left after the fixed scenarios cannot hold what they would send (each
        its `scenarios.base.Cost`), as many as it can, at least one."""
        ctx, wanted = self._ctx, self._ctx.settings.examples
        roles = ctx.roles()
        chosen = [SCENARIOS[n] for n in names]
        costs = [s.cost for s in chosen if not (s.needs and roles.get(s.needs))]  # not skipped
        base = sum(cost.base for cost in costs)
        per_example = sum(cost.per_example for cost in costs)
        left = ctx.settings.max_requests - ctx.sender.requests_sent
        if per_example <= 0 or base + per_example * wanted <= left:
            return wanted
        return max(1, min(wanted, math.floor((left - base) / per_example)))

    def time_left(self) -> float:
        """Seconds the property-based phase may still spend (its clock starts on first ask)."""
        with self._lock:
            if self._property_deadline is None:
                self._property_deadline = time.monotonic() + self._ctx.settings.max_time
            return max(0.0, self._property_deadline - time.monotonic())

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
