"""The schemathesis phase: positive, negative and coverage cases from our OpenAPI document.

Schemathesis generates the cases (from `specs/openapi-<edition>.yaml`); the suite's
sender sends them, so the budget, rate limit, timeouts and redaction apply as to every
other request. Credentials are never generated: Basic auth, institutionId, the user's
login, refresh tokens and authorization codes are the configured or issued ones, and
only the rest varies. Generation is seeded from the run's seed, and so are the
transactionIds, so the same `--seed` sends the same requests.

Scenarios (phase "property"):
- `prop_positive`: valid requests per grant; only unknown parameters vary (RFC 6749 3.2).
- `prop_negative`: schema-violating bodies with valid headers; labelled `negative` (and
  judged) when a required field of the grant is broken on the wire, else `optional-only`.
- `prop_coverage`: schemathesis' deterministic coverage cases: the document's examples,
  boundary values, missing fields and headers, other methods and media types.
"""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode

from conformance.errors import BudgetExhausted, Skipped
from conformance.exchange import Exchange
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

if TYPE_CHECKING:
    from conformance.run import RunContext

T = TypeVar("T")

CODE_EXAMPLES = 5  # each code may come from a shell command against a real target
MAX_RELOGINS = 5  # fresh logins the refresh chain may take after it breaks
# Headers handed to schemathesis so that it generates the body only; what is sent is
# the configured credentials and a seeded transactionId, never these values.
FIXED_HEADERS = {
    "transactionId": "00000000-0000-4000-8000-000000000000",
    "institutionId": "0",
    "Authorization": "Basic cGxhY2Vob2xkZXI6cGxhY2Vob2xkZXI=",
}
SEED_OFFSETS = {CC: 0, PW: 1, CODE: 2, RT: 3, "negative": 4}


@dataclass
class Sending:
    """One property's sending state: what it recorded, and whether it must stop."""

    ctx: RunContext
    scenario: str
    key: str
    limit: int
    sent: list[Exchange] = field(default_factory=list)
    cases: int = 0
    stopped: bool = False
    _ids: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Not hypothesis' st.uuids(): it repeats values within a run (its first example
        # does not even depend on the seed), and a transactionId is unique per request.
        self._ids = random.Random(f"{self.ctx.seed}:{self.scenario}:{self.key}")

    def transaction_id(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def done(self) -> bool:
        return self.stopped or self.cases >= self.limit or self.ctx.time_left() <= 0

    def send(
        self, case: Case[Any] | None, label: str, notes: tuple[str, ...] = (), **kwargs: Any
    ) -> Exchange | None:
        """Send one request, attach schemathesis' verdicts; None once the phase must stop."""
        if self.stopped or self.ctx.time_left() <= 0:
            return None
        kwargs.setdefault("transaction_id", self.transaction_id())
        try:
            exchange = self.ctx.send(self.scenario, label, **kwargs)
        except BudgetExhausted:
            self.stopped = True  # --max-requests bounds the phase: keep what was recorded
            return None
        if case is not None:
            self.cases += 1
            found = verdicts(case, exchange, self._judging(exchange))
            notes = (*notes, *(self.ctx.redactor.text(note)[:NOTE_LIMIT] for note in found))
        exchange = replace(exchange, notes=notes)
        self.sent.append(exchange)
        return exchange

    def _judging(self, exchange: Exchange) -> Judging:
        current = self.ctx.settings
        return Judging(exchange, current.edition, self.ctx.contract, tuple(current.secrets()))


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
    refresh hands over the next token; a broken chain logs in again, a few times."""

    def __init__(self, sending: Sending) -> None:
        self.sending = sending
        self.token: str | None = None
        self.logins = 0

    def credentials(self) -> dict[str, str] | None:
        if self.token is None and self.logins < MAX_RELOGINS:
            self.logins += 1
            form = password_form(self.sending.ctx)
            setup = self.sending.send(None, "setup-login", form=form, grant=PW)
            self.token = refresh_token_of(setup) if setup else None
        return {"refresh_token": self.token} if self.token else None

    def after(self, exchange: Exchange | None) -> None:
        if exchange is None or exchange.status != 200:
            self.token = None  # refused, or rotated and lost: start again from a login
        else:
            self.token = refresh_token_of(exchange) or self.token  # not rotated: same one


def _fixed_credentials(ctx: RunContext, grant: str) -> Callable[[], dict[str, str] | None]:
    """What a positive case of `grant` carries instead of generated credentials."""
    if grant == PW:
        login = password_form(ctx)
        return lambda: {"username": login["username"], "password": login["password"]}
    if grant == CODE:
        return lambda: {"code": ctx.fetch_auth_code()}
    return dict


def _positive_grant(ctx: RunContext, grant: str) -> list[Exchange]:
    examples = ctx.settings.examples
    limit = min(examples, CODE_EXAMPLES) if grant == CODE else examples
    sending = Sending(ctx, "prop_positive", grant, limit)
    chain = RefreshChain(sending) if grant == RT else None
    credentials = chain.credentials if chain else _fixed_credentials(ctx, grant)

    def handle(case: Case[Any]) -> None:
        fields = credentials()
        if fields is None:
            sending.stopped = True
            return
        body = positive_form(case.body, grant, fields)
        exchange = sending.send(case, "positive", body=body, grant=grant)
        if chain is not None:
            chain.after(exchange)

    operation = token_operation(ctx.settings.edition, grant)
    strategy = operation.as_strategy(GenerationMode.POSITIVE, headers=FIXED_HEADERS)
    drive(strategy, sending, ctx.seed + SEED_OFFSETS[grant], handle)
    return sending.sent


@scenario("prop_positive", phase="property")
def prop_positive(ctx: RunContext) -> list[Exchange]:
    """Valid requests for every grant the configuration can make valid."""
    sent: list[Exchange] = []
    for grant in (CC, PW, RT, CODE):
        if grant in (PW, RT) and not (ctx.settings.username and ctx.settings.password):
            continue  # no configured user: a password login would only be a failed one
        try:
            sent += _positive_grant(ctx, grant)
        except Skipped:
            continue  # no authorization codes configured: the grant has no valid request
    return sent


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
            sending.send(case, label, notes, body=body, grant=wire_grant(body))

    operation = token_operation(edition)
    strategy = operation.as_strategy(GenerationMode.NEGATIVE, headers=FIXED_HEADERS)
    drive(strategy, sending, ctx.seed + SEED_OFFSETS["negative"], handle)
    return sending.sent


@scenario("prop_coverage", phase="property")
def prop_coverage(ctx: RunContext) -> list[Exchange]:
    """Schemathesis' coverage phase: a finite, deterministic set, sent in full.

    Not capped by `examples`: it is not sampled, and its later cases (missing and empty
    required fields) are the ones negative sampling may miss.
    """
    operation = token_operation(ctx.settings.edition)
    schema = operation.schema
    config = schema.config.generation_for(operation=operation, phase="coverage")
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    cases = schema.iter_coverage_cases(operation, generation_modes=modes, generation_config=config)
    sending = Sending(ctx, "prop_coverage", "coverage", limit=2**31)
    for case in cases:
        if sending.done():
            break
        request = coverage_request(case, ctx.settings.edition)
        if _login_is_safe(ctx, request.body):
            sending.send(case, request.label, request.notes, **request.send_arguments())
    return sending.sent
