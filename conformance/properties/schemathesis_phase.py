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

from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st
from schemathesis import Case, GenerationMode

from conformance.errors import Skipped
from conformance.exchange import Exchange, Finding
from conformance.properties.pipeline import workers_for
from conformance.properties.recording import Annotate, Recorder, Sent, examples_for
from conformance.properties.schema_cases import (
    case_body,
    positive_form,
    request_label,
    token_operation,
    wire_fields,
    wire_grant,
)
from conformance.properties.schema_coverage import coverage_request
from conformance.properties.schema_verdicts import PROBLEM_LIMIT, Judging, verdicts
from conformance.scenarios import CC, CODE, PW, RT, password_form, refresh_token_of, scenario
from conformance.scenarios.base import BOTH, Cost, code_form, refresh_scope_for, with_scope

if TYPE_CHECKING:
    from conformance.run_context import RunContext

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


def judged(ctx: RunContext, case: Case[Any], violation: str | None = None) -> Annotate:
    """How a generated case's exchange is recorded: with the required fields it broke
    (`violation`), and schemathesis' verdicts on its answer. Those hold the platform's
    run-wide rules (NO-5XX, its error bodies, TXID-ECHO): under RFC 6749 alone only the
    RFC checks judge."""

    def annotate(exchange: Exchange) -> Exchange:
        found: tuple[Finding, ...] = ()
        if ctx.settings.platform:
            current = ctx.settings
            judging = Judging(exchange, current.edition, ctx.contract, tuple(current.secrets()))
            found = tuple(
                Finding(f.check, ctx.redactor.text(f.problem)[:PROBLEM_LIMIT])
                for f in verdicts(case, exchange, judging)
            )
        return replace(exchange, violation=violation, findings=found)

    return annotate


# --- positive --------------------------------------------------------------------


class RefreshChain:
    """Real refresh tokens for the refresh grant: log in once, then each successful
    refresh hands over the next token; a broken chain logs in again, a few times.

    Each request needs the token of the answer before it, so a chain is one request
    at a time. Its cases are generated first, in the calling thread; `walk` sends them
    (from a worker thread, beside the other chains and grants); `record` then judges
    and records every exchange, in the calling thread and in the order sent.
    """

    def __init__(self, rec: Recorder) -> None:
        self.rec = rec
        self.token: str | None = None
        # What each refresh of the chain's login carries besides (`refresh_scope_for`).
        self.scope: dict[str, str] = {}
        self.logins = 0
        self._sent: list[tuple[Callable[[Sent], Sent], Sent]] = []

    def walk(self, cases: list[Case[Any]]) -> None:
        """Send each case with the chain's current token, until the phase must stop."""
        for case in cases:
            if not self.rec.active():
                return
            fields = self.credentials()
            if fields is None:
                self.rec.stopped = True
                return
            body = positive_form(case.body, RT, fields)
            self.after(self._send(case, "positive", body=body, grant=RT))

    def record(self) -> list[Exchange]:
        """Judge (schemathesis' verdicts) and record what `walk` sent, in order."""
        for finish, sent in self._sent:
            finish(sent)
        self._sent.clear()
        return self.rec.exchanges

    def credentials(self) -> dict[str, str] | None:
        if self.token is None and self.logins < MAX_RELOGINS:
            self.logins += 1
            form = password_form(self.rec.ctx)
            setup = self._send(None, "setup-login", form=form, grant=PW)
            self.token = refresh_token_of(setup) if setup else None
            scope = refresh_scope_for(self.rec.ctx, setup) if setup else None
            self.scope = {"scope": scope} if scope else {}
        return {"refresh_token": self.token, **self.scope} if self.token else None

    def after(self, exchange: Exchange | None) -> None:
        if exchange is None or exchange.status != 200:
            self.token = None  # refused, or rotated and lost: start again from a login
        else:
            self.token = refresh_token_of(exchange) or self.token  # not rotated: same one

    def _send(self, case: Case[Any] | None, label: str, **send: Any) -> Exchange | None:
        annotate = judged(self.rec.ctx, case) if case is not None else None
        request = self.rec.request(label, case=case is not None, annotate=annotate, **send)
        if request is None:
            return None
        sending, finish = request
        sent = sending()
        self._sent.append((finish, sent))
        if sent is None:
            self.rec.stopped = True  # the budget is spent
        return sent


def _fixed_credentials(
    ctx: RunContext, grant: str, codes: Codes | None = None
) -> Callable[[], dict[str, str] | None]:
    """What a positive case of `grant` carries instead of generated values: the fixed
    scenarios' form of the grant (under RFC 6749 with the configured scope and
    redirect_uri), its grant_type aside; a code grant's codes from `codes`, else fetched
    when needed."""
    if grant == PW:
        login = _without_grant_type(password_form(ctx))
        return lambda: dict(login)
    if grant == CODE:
        if codes is not None:
            return lambda: _without_grant_type(code_form(ctx, codes.next()))
        return lambda: _without_grant_type(code_form(ctx, _fetched_code(ctx)))
    fields = _without_grant_type(with_scope(ctx, {"grant_type": grant}))
    return lambda: dict(fields)


class Codes:
    """The code grant's authorization codes, all fetched at once, from the start of the
    property, beside its other grants: each fetch is a request of its own (or a command
    run), and fetched as each case needed one they were waited for one after another."""

    def __init__(self, ctx: RunContext, count: int, pool: ThreadPoolExecutor) -> None:
        self._fetching = deque(pool.submit(_fetched_code, ctx) for _ in range(count))

    def next(self) -> str:
        """The next code (Skipped, or the source's error, as fetching it raised)."""
        return self._fetching.popleft().result()


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


def _positive_grant(ctx: RunContext, grant: str, codes: Codes | None = None) -> list[Exchange]:
    """A grant whose requests do not depend on one another: pipelined."""
    rec = Recorder(ctx, "prop_positive", grant, _examples_of(ctx, grant))
    credentials = _fixed_credentials(ctx, grant, codes)

    def handle(case: Case[Any]) -> None:
        fields = credentials()
        if fields is None:
            rec.stopped = True
            return
        body = positive_form(case.body, grant, fields)
        rec.submit("positive", body=body, grant=grant, case=True, annotate=judged(ctx, case))

    rec.explore(handle, rec.limit, workers=rec.workers(), case=_positive_strategy(ctx, grant))
    return rec.exchanges


def _examples_of(ctx: RunContext, grant: str) -> int:
    examples = examples_for(ctx)
    return min(examples, CODE_EXAMPLES) if grant == CODE else examples


def _refresh_chains(ctx: RunContext) -> list[tuple[RefreshChain, list[Case[Any]]]]:
    """The refresh grant's cases, generated here (the same cases, in the same order, as
    when each was generated just before it was sent), dealt round to `CHAINS` chains.
    Each chain draws its transactionIds from its own seeded stream, so what it sends
    does not depend on how the chains interleave."""
    cases: list[Case[Any]] = []
    generating = Recorder(ctx, "prop_positive", RT)
    generating.explore(
        lambda case: cases.append(case), examples_for(ctx), case=_positive_strategy(ctx, RT)
    )
    dealt = [cases[i::CHAINS] for i in range(CHAINS)]
    return [
        (RefreshChain(Recorder(ctx, "prop_positive", f"{RT}-{i}", len(share))), share)
        for i, share in enumerate(dealt)
        if share
    ]


# Cost: three grants an example each, CODE_EXAMPLES codes, the refresh chains' logins.
@scenario("prop_positive", phase="property", contracts=BOTH, cost=Cost(CODE_EXAMPLES + CHAINS, 3))
def prop_positive(ctx: RunContext) -> list[Exchange]:
    """Valid requests for every grant the configuration can make valid.

    The refresh chains (each one request at a time) walk in worker threads, and the
    code grant's codes are fetched, while the other grants are generated and pipelined
    here; the recording keeps the grants' order, and the chains' one after the other.
    """
    # Without a configured user a password login would only be a failed one.
    user = bool(ctx.settings.username and ctx.settings.password)
    beside = workers_for(ctx.settings.concurrency) > 1
    fetchers = workers_for(ctx.settings.concurrency, CODE_EXAMPLES)
    with ThreadPoolExecutor(fetchers, thread_name_prefix="conformance-codes") as fetching:
        codes = None
        if beside and ctx.roles().get("auth_code") is None:
            codes = Codes(ctx, _examples_of(ctx, CODE), fetching)
        return _positive_grants(ctx, user, beside, codes)


def _positive_grants(
    ctx: RunContext, user: bool, beside: bool, codes: Codes | None
) -> list[Exchange]:
    chains = _refresh_chains(ctx) if user else []
    sent: dict[str, list[Exchange]] = {}
    walkers = min(len(chains), workers_for(ctx.settings.concurrency))
    with ThreadPoolExecutor(max(1, walkers), thread_name_prefix="conformance-refresh") as pool:
        if beside:
            walking = [pool.submit(chain.walk, cases) for chain, cases in chains]
        else:
            walking = []
            for chain, cases in chains:
                chain.walk(cases)
        for grant in (CC, PW, CODE) if user else (CC, CODE):
            try:
                sent[grant] = _positive_grant(ctx, grant, codes)
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
    rec = Recorder(ctx, "prop_negative", "body")

    def handle(case: Case[Any]) -> None:
        body = case_body(case)
        if _login_is_safe(ctx, body):
            label, violation = request_label(body, edition, negative=True, headers_valid=True)
            annotate = judged(ctx, case, violation)
            rec.submit(label, case=True, annotate=annotate, body=body, grant=wire_grant(body))

    operation = token_operation(edition)
    strategy = operation.as_strategy(GenerationMode.NEGATIVE, headers=FIXED_HEADERS)
    rec.explore(handle, examples_for(ctx), workers=rec.workers(), case=strategy)
    return rec.exchanges


# Cost: the coverage cases of our document (66 for each edition), whatever the examples.
@scenario("prop_coverage", phase="property", cost=Cost(66, 0))
def prop_coverage(ctx: RunContext) -> list[Exchange]:
    """Schemathesis' coverage phase: a finite, deterministic set, sent in full.

    Not capped by `examples`: it is not sampled, and its later cases (missing and empty
    required fields) are the ones negative sampling may miss.
    """
    rec = Recorder(ctx, "prop_coverage", "coverage")
    operation = token_operation(ctx.settings.edition)
    schema = operation.schema
    config = schema.config.generation_for(operation=operation, phase="coverage")
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    cases = schema.iter_coverage_cases(operation, generation_modes=modes, generation_config=config)
    with rec.pipelined(rec.workers()):
        for case in cases:
            if not rec.active():
                break
            request = coverage_request(case, ctx.settings.edition)
            if _login_is_safe(ctx, request.body):
                annotate = judged(ctx, case, request.violation)
                rec.submit(request.label, case=True, annotate=annotate, **request.send_arguments())
    return rec.exchanges
