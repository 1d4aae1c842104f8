"""The schemathesis phase: positive, negative and coverage cases from our OpenAPI document.

Schemathesis generates the cases (from `specs/openapi-<edition>.yaml`); the suite's
sender sends them, so the budget, rate limit, timeouts and redaction apply as to every
other request. Credentials are never generated: Basic auth, institutionId, the user's
login, refresh tokens and authorization codes are the configured or issued ones, and
only the rest varies. Generation is seeded from the run's seed, and so are the
transactionIds, so the same `--seed` sends the same requests.

Cases whose requests do not depend on an earlier answer (every grant's positive cases
but the refresh chains, the negative and the coverage cases) are sent through a
`pipeline.Pipeline`: while up to sixteen are in flight the next ones are generated, and
each exchange is judged by schemathesis and recorded here, in generation order. The
refresh chains need each answer's token for the next request: their cases are generated
first, and each chain walks one request at a time in a worker thread beside the others.
Generation and schemathesis' verdicts always run in the calling thread.

Scenarios (phase "property"):
- `prop_positive` (both contracts): valid requests per grant; only unknown parameters
  vary (RFC 6749 3.2). Under RFC 6749 alone it generates from `openapi-rfc6749.yaml`,
  sends no transactionId, and is judged by the RFC checks only (RFC-UNKNOWN-PARAM-IGNORED
  and the run-wide ones), not by schemathesis' verdicts, which hold the platform's rules.
- `prop_negative` (the platform's): schema-violating bodies with valid headers; labelled
  `negative` (and judged) when a required field of the grant is broken on the wire,
  else `optional-only`.
- `prop_coverage` (the platform's): schemathesis' deterministic coverage cases: the
  document's examples, boundary values, missing fields and headers, other methods and
  media types.
"""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode

from conformance.errors import BudgetExhausted, Skipped
from conformance.exchange import Exchange
from conformance.properties import codec_tables
from conformance.properties.pipeline import Pipeline, workers_for
from conformance.properties.schema_cases import (
    case_body,
    positive_form,
    request_label,
    token_operation,
    wire_fields,
    wire_grant,
)
from conformance.properties.schema_coverage import coverage_request
from conformance.properties.schema_verdicts import NOTE_LIMIT, Judging, verdicts
from conformance.scenarios import CC, CODE, PW, RT, password_form, refresh_token_of, scenario
from conformance.scenarios.base import BOTH, code_form, with_scope

if TYPE_CHECKING:
    from conformance.run import RunContext

T = TypeVar("T")

CODE_EXAMPLES = 5  # each code may come from a shell command against a real target
MAX_RELOGINS = 5  # fresh logins a refresh chain may take after it breaks
# The refresh grant's cases are shared among this many chains, each its own login and
# one request at a time, walking side by side: against a distant target one chain of
# 100 refreshes waited 100 round trips, longer than every other grant together.
CHAINS = 4
# Headers handed to schemathesis so that it generates the body only; what is sent is
# the configured credentials and a seeded transactionId, never these values.
FIXED_HEADERS = {
    "transactionId": "00000000-0000-4000-8000-000000000000",
    "institutionId": "0",
    "Authorization": "Basic cGxhY2Vob2xkZXI6cGxhY2Vob2xkZXI=",
}
SEED_OFFSETS = {CC: 0, PW: 1, CODE: 2, RT: 3, "negative": 4}
# An answer; None: the budget was spent.
Sent = Exchange | None


@dataclass
class Sending:
    """One property's sending state: what it recorded, and whether it must stop.

    Inside `pipelined()`, `submit` sends in worker threads while the next case is
    generated (see `pipeline`); the exchanges, with schemathesis' verdicts, are
    recorded in the calling thread in the order the cases were generated.
    """

    ctx: RunContext
    scenario: str
    key: str
    limit: int
    sent: list[Exchange] = field(default_factory=list)
    cases: int = 0
    stopped: bool = False
    _ids: random.Random = field(init=False, repr=False)
    _pipeline: Pipeline[Sent] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        codec_tables.prime()
        # Not hypothesis' st.uuids(): it repeats values within a run (its first example
        # does not even depend on the seed), and a transactionId is unique per request.
        self._ids = random.Random(f"{self.ctx.seed}:{self.scenario}:{self.key}")

    def transaction_id(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def done(self) -> bool:
        return self.stopped or self.cases >= self.limit or self.ctx.time_left() <= 0

    @contextlib.contextmanager
    def pipelined(self) -> Iterator[None]:
        """Within, `submit` keeps up to `pipeline.WORKERS` requests in flight (no more
        than settings.concurrency); on leaving, every answer is in and recorded."""
        workers = workers_for(self.ctx.settings.concurrency)
        name, turns = f"conformance-{self.scenario}", self.ctx.sender.turns
        with Pipeline[Sent](workers, name, turns.waiting) as pipeline:
            self._pipeline = pipeline
            try:
                yield
            finally:
                self._pipeline = None

    def submit(
        self, case: Case[Any] | None, label: str, notes: tuple[str, ...] = (), **kwargs: Any
    ) -> None:
        """Send one request without waiting for its answer (when pipelined); it is
        recorded with schemathesis' verdicts after those submitted before it."""
        request = self.request(case, label, notes, kwargs)
        if request is None:
            return
        send, finish = request
        if self._pipeline is None:
            finish(send())
        else:
            self._pipeline.submit(send, finish)

    def request(
        self, case: Case[Any] | None, label: str, notes: tuple[str, ...], kwargs: dict[str, Any]
    ) -> tuple[Callable[[], Sent], Callable[[Sent], Exchange | None]] | None:
        """What to send (in any thread) and how to record its answer (in the calling
        thread, in order); None once the phase must stop. Everything the request
        carries is decided now, by the one thread that makes this property's requests."""
        if self.stopped or self.ctx.time_left() <= 0:
            return None
        # Drawn under either contract, so each stream stays one function of the seed; RFC
        # 6749 has no transactionId, and the sender leaves it out there by default.
        transaction_id = self.transaction_id()
        if self.ctx.settings.platform:
            kwargs.setdefault("transaction_id", transaction_id)
        if case is not None:
            self.cases += 1

        def send() -> Sent:
            try:
                return self.ctx.send(self.scenario, label, **kwargs)
            except BudgetExhausted:
                return None  # --max-requests bounds the phase: keep what was recorded

        def finish(exchange: Sent) -> Exchange | None:
            if exchange is None:
                self.stopped = True
                return None
            # Schemathesis' verdicts hold the platform's run-wide rules (NO-5XX, its error
            # bodies, TXID-ECHO): under RFC 6749 alone only the RFC checks judge.
            found: tuple[str, ...] = ()
            if case is not None and self.ctx.settings.platform:
                found = verdicts(case, exchange, self._judging(exchange))
            redacted = (self.ctx.redactor.text(note)[:NOTE_LIMIT] for note in found)
            exchange = replace(exchange, notes=(*notes, *redacted))
            self.sent.append(exchange)
            return exchange

        return send, finish

    def _judging(self, exchange: Exchange) -> Judging:
        current = self.ctx.settings
        secrets = tuple(current.secrets())
        return Judging(exchange, current.edition, self.ctx.contract, secrets)


class _Stop(Exception):  # noqa: N818 - a control-flow signal
    """Ends a hypothesis run early: the phase's time, budget or an error says stop."""


def drive(
    strategy: st.SearchStrategy[T],
    sending: Sending,
    seed_value: int,
    handle: Callable[[T], None],
) -> None:
    """Feed up to `sending.limit` values of `strategy` to `handle`, reproducibly per seed.

    Nothing is judged inside hypothesis (the checks read the recordings afterwards), so
    there is nothing to shrink: each example is one request, sent once. To end early,
    the test raises `_Stop`; hypothesis then replays that example once to confirm it,
    which raises `_Stop` again before anything is sent. An error in `handle` stops the
    run the same way and is raised once hypothesis is done.
    """
    errors: list[Exception] = []

    @settings(
        max_examples=max(sending.limit, 1),
        database=None,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
        verbosity=Verbosity.quiet,
    )
    @seed(seed_value)
    @given(strategy)
    def run(value: T) -> None:
        if errors or sending.done():
            raise _Stop
        try:
            handle(value)
        except Exception as exc:  # raised below, once hypothesis is out of the way
            errors.append(exc)

    with contextlib.suppress(_Stop):
        run()
    if errors:
        raise errors[0]


# --- positive --------------------------------------------------------------------


class RefreshChain:
    """Real refresh tokens for the refresh grant: log in once, then each successful
    refresh hands over the next token; a broken chain logs in again, a few times.

    Each request needs the token of the answer before it, so a chain is one request
    at a time. Its cases are generated first, in the calling thread; `walk` sends them
    (from a worker thread, beside the other chains and grants); `record` then judges
    and records every exchange, in the calling thread and in the order sent.
    """

    def __init__(self, sending: Sending) -> None:
        self.sending = sending
        self.token: str | None = None
        self.logins = 0
        self._sent: list[tuple[Callable[[Sent], Exchange | None], Sent]] = []

    def walk(self, cases: list[Case[Any]]) -> None:
        """Send each case with the chain's current token, until the phase must stop."""
        for case in cases:
            if self.sending.done():
                return
            fields = self.credentials()
            if fields is None:
                self.sending.stopped = True
                return
            body = positive_form(case.body, RT, fields)
            self.after(self._send(case, "positive", body=body, grant=RT))

    def record(self) -> list[Exchange]:
        """Judge (schemathesis' verdicts) and record what `walk` sent, in order."""
        for finish, sent in self._sent:
            finish(sent)
        self._sent.clear()
        return self.sending.sent

    def credentials(self) -> dict[str, str] | None:
        if self.token is None and self.logins < MAX_RELOGINS:
            self.logins += 1
            form = password_form(self.sending.ctx)
            setup = self._send(None, "setup-login", form=form, grant=PW)
            self.token = refresh_token_of(setup) if setup else None
        return {"refresh_token": self.token} if self.token else None

    def after(self, exchange: Exchange | None) -> None:
        if exchange is None or exchange.status != 200:
            self.token = None  # refused, or rotated and lost: start again from a login
        else:
            self.token = refresh_token_of(exchange) or self.token  # not rotated: same one

    def _send(self, case: Case[Any] | None, label: str, **kwargs: Any) -> Exchange | None:
        request = self.sending.request(case, label, (), kwargs)
        if request is None:
            return None
        send, finish = request
        sent = send()
        self._sent.append((finish, sent))
        if sent is None:
            self.sending.stopped = True  # the budget is spent
        return sent


def _fixed_credentials(ctx: RunContext, grant: str) -> Callable[[], dict[str, str] | None]:
    """What a positive case of `grant` carries instead of generated values: the fixed
    scenarios' form of the grant (under RFC 6749 with the configured scope and
    redirect_uri), its grant_type aside."""
    if grant == PW:
        login = _without_grant_type(password_form(ctx))
        return lambda: dict(login)
    if grant == CODE:
        return lambda: _without_grant_type(code_form(ctx, _fetched_code(ctx)))
    fields = _without_grant_type(with_scope(ctx, {"grant_type": grant}))
    return lambda: dict(fields)


def _without_grant_type(form: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in form.items() if name != "grant_type"}


def _fetched_code(ctx: RunContext) -> str:
    """A fresh authorization code: a request of its own to the target, which may answer
    with a transactionId it made up, beside those in flight (`InFlight`)."""
    with ctx.sender.in_flight.flying(None):
        return ctx.fetch_auth_code()


def _positive_strategy(ctx: RunContext, grant: str) -> st.SearchStrategy[Case[Any]]:
    operation = token_operation(ctx.settings.edition, grant)
    return operation.as_strategy(GenerationMode.POSITIVE, headers=FIXED_HEADERS)


def _positive_grant(ctx: RunContext, grant: str) -> list[Exchange]:
    """A grant whose requests do not depend on one another: pipelined."""
    examples = ctx.settings.examples
    limit = min(examples, CODE_EXAMPLES) if grant == CODE else examples
    sending = Sending(ctx, "prop_positive", grant, limit)
    credentials = _fixed_credentials(ctx, grant)

    def handle(case: Case[Any]) -> None:
        fields = credentials()  # an authorization code is fetched here, one at a time
        if fields is None:
            sending.stopped = True
            return
        body = positive_form(case.body, grant, fields)
        sending.submit(case, "positive", body=body, grant=grant)

    with sending.pipelined():
        drive(_positive_strategy(ctx, grant), sending, ctx.seed + SEED_OFFSETS[grant], handle)
    return sending.sent


def _refresh_chains(ctx: RunContext) -> list[tuple[RefreshChain, list[Case[Any]]]]:
    """The refresh grant's cases, generated here (the same cases, in the same order, as
    when each was generated just before it was sent), dealt round to `CHAINS` chains.
    Each chain draws its transactionIds from its own seeded stream, so what it sends
    does not depend on how the chains interleave."""
    generating = Sending(ctx, "prop_positive", RT, ctx.settings.examples)
    cases: list[Case[Any]] = []
    drive(_positive_strategy(ctx, RT), generating, ctx.seed + SEED_OFFSETS[RT], cases.append)
    dealt = [cases[i::CHAINS] for i in range(CHAINS)]
    return [
        (RefreshChain(Sending(ctx, "prop_positive", f"{RT}-{i}", len(share))), share)
        for i, share in enumerate(dealt)
        if share
    ]


@scenario("prop_positive", phase="property", contracts=BOTH)
def prop_positive(ctx: RunContext) -> list[Exchange]:
    """Valid requests for every grant the configuration can make valid.

    The refresh chains (each one request at a time) walk in worker threads while the
    other grants are generated and pipelined here; the recording keeps the grants'
    order, and the chains' one after the other.
    """
    # Without a configured user a password login would only be a failed one.
    user = bool(ctx.settings.username and ctx.settings.password)
    chains = _refresh_chains(ctx) if user else []
    sent: dict[str, list[Exchange]] = {}
    walkers = min(len(chains), workers_for(ctx.settings.concurrency))
    beside = workers_for(ctx.settings.concurrency) > 1
    with ThreadPoolExecutor(max(1, walkers), thread_name_prefix="conformance-refresh") as pool:
        if beside:
            walking = [pool.submit(chain.walk, cases) for chain, cases in chains]
        else:
            walking = []
            for chain, cases in chains:
                chain.walk(cases)
        for grant in (CC, PW, CODE) if user else (CC, CODE):
            try:
                sent[grant] = _positive_grant(ctx, grant)
            except Skipped:
                continue  # no authorization codes configured: the grant has no valid request
        with ctx.sender.turns.waiting():  # the chains only send: another may generate
            for walked in walking:
                walked.result()
    sent[RT] = [e for chain, _ in chains for e in chain.record()]
    return [e for grant in (CC, PW, RT, CODE) for e in sent.get(grant, [])]


# --- negative and coverage -----------------------------------------------------------


def _login_is_safe(ctx: RunContext, body: bytes) -> bool:
    """False when `body` would be a failed login of the configured user past the cap."""
    fields = wire_fields(body) or {}
    user, secret = ctx.settings.username, ctx.settings.password
    if not user or user not in fields.get("username", []):
        return True
    return fields.get("password") == [secret] or ctx.try_wrong_password_attempt()


@scenario("prop_negative", phase="property")
def prop_negative(ctx: RunContext) -> list[Exchange]:
    """Schema-violating bodies, sent with valid headers so that only the body is wrong."""
    edition = ctx.settings.edition
    sending = Sending(ctx, "prop_negative", "body", ctx.settings.examples)

    def handle(case: Case[Any]) -> None:
        body = case_body(case)
        if _login_is_safe(ctx, body):
            label, notes = request_label(body, edition, negative=True, headers_valid=True)
            sending.submit(case, label, notes, body=body, grant=wire_grant(body))

    operation = token_operation(edition)
    strategy = operation.as_strategy(GenerationMode.NEGATIVE, headers=FIXED_HEADERS)
    with sending.pipelined():
        drive(strategy, sending, ctx.seed + SEED_OFFSETS["negative"], handle)
    return sending.sent


@scenario("prop_coverage", phase="property")
def prop_coverage(ctx: RunContext) -> list[Exchange]:
    """Schemathesis' coverage phase: a finite, deterministic set, sent in full.

    Not capped by `examples`: it is not sampled, and its later cases (missing and empty
    required fields) are the ones negative sampling may miss.
    """
    sending = Sending(ctx, "prop_coverage", "coverage", limit=2**31)
    operation = token_operation(ctx.settings.edition)
    schema = operation.schema
    config = schema.config.generation_for(operation=operation, phase="coverage")
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    cases = schema.iter_coverage_cases(operation, generation_modes=modes, generation_config=config)
    with sending.pipelined():
        for case in cases:
            if sending.done():
                break
            request = coverage_request(case, ctx.settings.edition)
            if _login_is_safe(ctx, request.body):
                sending.submit(case, request.label, request.notes, **request.send_arguments())
    return sending.sent
