"""The refresh-token lifecycle as a hypothesis state machine (D14, D19, D22).

`TokenLifecycle` logs in (password grant, main or second client), refreshes, reuses
a rotated-out refresh token, revokes (when revocation is configured), uses the
revoked token, presents one client's token as the other's (when a second client is
configured), and presents tokens that are no refresh token at all. It asserts
nothing: it records each request under the label the checks read:

| label | judged by: the platform | RFC 6749 alone |
|---|---|---|
| `refresh` (a live token) | REFRESH-SUCCESS, REFRESH-ROTATES | RFC-REFRESH-SUCCESS |
| `reuse` (rotated out) | REFRESH-REUSE | RFC-REFRESH-ROTATION (1) |
| `revoke` / `after-revoke` | REVOKE-SUCCESS / REFRESH-REVOKED | not sent (2) |
| `other-client` | REFRESH-FOREIGN | RFC-REFRESH-CLIENT-BOUND |
| `never-issued`, `access-as-refresh` | REFRESH-UNKNOWN | RFC-INVALID-GRANT |

(1) information: RFC 6749 6 lets the server keep the old token valid (it MAY revoke
it); refused, its answer is judged by the run-wide RFC checks (RFC-ERROR-STATUS, ...).
(2) RFC 6749 defines no revocation.

Every exchange feeds the run-wide rules of the run's contract (TOKEN-UNIQUE: access
tokens never repeat; TXID-PRESENT; NO-5XX; RFC-ERROR-BODY; ...). On the platform
TXID-ECHO judges them too. Under RFC 6749 no transactionId is sent (`Recorder.request`).

Each step needs the answer before it, so one machine sends one request at a time:
against a target 50 ms away one machine's 140-odd steps alone took 7 s. So MACHINES
machines walk side by side, each its own thread, its own sessions (its own logins)
and its own seeded stream (`Recorder(ctx, NAME, stream="machine-<i>")`), so what one
sends depends on its seed and its own answers only, never on how the machines
interleave. They take turns to generate (`concurrency.Turns`: hypothesis runs in one
thread at a time), and each wait for an answer lends the turn to another. The
recording is machine 0's exchanges, then machine 1's, and so on.

The model is the target's state, so it lives for the whole run (`Tokens`, one per
machine): each hypothesis example goes on from where the last one left the target. It
only labels what it knows: after an answer it did not expect it stops using that
session, and once a rotated-out token of a session came back (a server may then end
the session, RFC 9700 4.14.2) the session's own refreshes and revocation are labelled
`refresh-after-reuse` and `revoke-after-reuse`, which no check judges. One session is
never revoked while it is the only live one. Logins are real logins of the configured
user: few (LOGIN_CAP in the run, dealt out to the machines), only when fewer than two
of the machine's sessions are live, and never with a wrong password.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from hypothesis import seed
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from conformance.exchange import Exchange
from conformance.properties.pipeline import workers_for
from conformance.properties.recording import Recorder, examples_for, property_settings
from conformance.scenarios import PW, RT, password_form, refresh_token_of, scenario
from conformance.scenarios.base import (
    BOTH,
    USER_UNDER_RFC6749,
    Cost,
    expecting,
    refresh_scope_for,
    with_scope,
)

if TYPE_CHECKING:
    from conformance.run_context import RunContext

NAME = "prop_lifecycle"
MACHINE_SHARE = 5  # each example is a walk of STEPS rules: a fifth of the examples
STEPS = 10
LOGIN_CAP = 8  # real logins per run, all machines together
# Machines walking side by side, at most. Each needs logins of its own from LOGIN_CAP,
# and two live sessions for its revocation and other-client steps: four leave two each.
MACHINES = 4
# Examples a machine walks, at least: hypothesis' first is its simplest (one rule again
# and again), and a machine of one or two more often missed a kind of step (reuse).
MIN_WALKS = 3
LIVE_SESSIONS = 2  # a login only when fewer sessions are live
NEVER_ISSUED_PREFIX = "conformance-never-issued-"
_TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
PICK = st.integers(0, 255)  # which session or token a rule acts on, modulo how many there are
T = TypeVar("T")


@dataclass(eq=False)
class Session:
    """One login: the client role that holds it ("" main, "second") and its live token."""

    client: str
    token: str
    # The `scope` its refreshes carry (`refresh_scope_for`: RFC 6749 with a configured
    # scope), on every token of the session, whoever presents it.
    scope: str | None = None
    # A rotated-out token of the session came back: the server may have ended the
    # session (RFC 9700 4.14.2), so its own refreshes and revocation are not judged.
    tainted: bool = False

    def label(self, action: str) -> str:
        return f"{action}-after-reuse" if self.tainted else action


def _take(items: list[T], pick: int) -> T | None:
    """The item `pick` chooses, removed from `items`; None when there is none."""
    return items.pop(pick % len(items)) if items else None


def _access_token(exchange: Exchange) -> str | None:
    value = (exchange.body_object() or {}).get("access_token") if exchange.issued_token() else None
    return value if isinstance(value, str) else None


@dataclass
class Tokens:
    """What the target issued in this run, by what may still be done with it."""

    live: list[Session] = field(default_factory=list)
    rotated: list[tuple[Session, str]] = field(default_factory=list)
    revoked: list[Session] = field(default_factory=list)
    access: list[tuple[Session, str]] = field(default_factory=list)

    def keep_access(self, session: Session, exchange: Exchange) -> None:
        access = _access_token(exchange)
        if access:
            self.access.append((session, access))

    def forget(self, session: Session) -> None:
        """Stop using `session`: the server may have ended it, so nothing is known."""
        self.live = [s for s in self.live if s is not session]
        self.access = [(s, a) for s, a in self.access if s is not session]


class LifecycleRun:
    """The run's side of the machine: the recording, the model, the logins."""

    def __init__(self, ctx: RunContext, index: int = 0, login_cap: int = LOGIN_CAP) -> None:
        self.ctx = ctx
        self.rec = Recorder(ctx, NAME, stream=f"machine-{index}")
        self.tokens = Tokens()
        self.logins = 0
        self.login_cap = login_cap
        self.roles = ("", "second") if ctx.settings.client("second") else ("",)
        # Revocation (RFC 7009) is the platform's: RFC 6749 has no rule on it to judge.
        judged = expecting(ctx, "REFRESH-REVOKED") is not None
        self.revocation = bool(ctx.settings.revoke_path) and judged

    def take_login(self) -> bool:
        """Count one login of the configured user, when one is needed and allowed."""
        if len(self.tokens.live) >= LIVE_SESSIONS or self.logins >= self.login_cap:
            return False
        if not self.ctx.settings.username:
            return False
        self.logins += 1
        return True

    def send(self, label: str, client: str, **send: Any) -> Exchange | None:
        """One request as `client`; None once the phase is over."""
        return self.rec.send(label, auth=self.ctx.settings.client(client), **send)

    def refresh(
        self, label: str, client: str, token: str, scope: str | None, **send: Any
    ) -> Exchange | None:
        form = {"grant_type": RT, "refresh_token": token}
        if scope is not None:
            form["scope"] = scope
        return self.send(label, client, form=form, grant=RT, **send)


class TokenLifecycle(RuleBasedStateMachine):
    """The rules of the lifecycle; `run` is set on a subclass made per run.

    The rules have no preconditions and each draws the same values whatever the
    state: the state follows the target's answers, and hypothesis requires the same
    choices to lead to the same draws. A rule with nothing to act on sends nothing.
    """

    run: ClassVar[LifecycleRun]

    def _login(self, second: bool) -> None:
        if not self.run.take_login():
            return
        client = self.run.roles[-1] if second else ""
        exchange = self.run.send("login", client, form=password_form(self.run.ctx), grant=PW)
        token = refresh_token_of(exchange) if exchange else None
        if exchange is not None and token is not None:
            session = Session(client, token, refresh_scope_for(self.run.ctx, exchange))
            self.run.tokens.live.append(session)
            self.run.tokens.keep_access(session, exchange)

    @initialize(second=st.booleans())
    def first_login(self, second: bool) -> None:
        self._login(second)

    @rule(second=st.booleans())
    def login(self, second: bool) -> None:
        self._login(second)

    @rule(pick=PICK)
    def refresh(self, pick: int) -> None:
        tokens = self.run.tokens
        session = tokens.live[pick % len(tokens.live)] if tokens.live else None
        if session is None:
            return
        exchange = self.run.refresh(
            session.label("refresh"), session.client, session.token, session.scope
        )
        new = refresh_token_of(exchange) if exchange else None
        if exchange is None or new is None:  # REFRESH-SUCCESS reports a refusal
            tokens.forget(session)
            return
        if new != session.token:
            tokens.rotated.append((session, session.token))
            session.token = new
        tokens.keep_access(session, exchange)

    @rule(pick=PICK)
    def reuse(self, pick: int) -> None:
        entry = _take(self.run.tokens.rotated, pick)
        if entry is not None:
            session, old = entry
            self.run.refresh("reuse", session.client, old, session.scope)
            session.tainted = True

    @rule(pick=PICK)
    def revoke(self, pick: int) -> None:
        tokens = self.run.tokens
        # One live session is always kept for the other rules (logins are few).
        if not self.run.revocation or len(tokens.live) < 2:
            return
        session = tokens.live.pop(pick % len(tokens.live))
        form = {"token": session.token}
        exchange = self.run.send(
            session.label("revoke"),
            session.client,
            method="DELETE",
            operation="revoke",
            form=form,
            institution=None,
        )
        tokens.forget(session)
        if exchange is not None and exchange.status is not None and 200 <= exchange.status < 300:
            tokens.revoked.append(session)

    @rule(pick=PICK)
    def use_revoked(self, pick: int) -> None:
        session = _take(self.run.tokens.revoked, pick)
        if session is not None:
            self.run.refresh("after-revoke", session.client, session.token, session.scope)

    @rule(pick=PICK)
    def foreign(self, pick: int) -> None:
        live = self.run.tokens.live
        if not live or len(self.run.roles) < 2:
            return
        session = live[pick % len(live)]
        other = next(role for role in self.run.roles if role != session.client)
        exchange = self.run.refresh("other-client", other, session.token, session.scope)
        if exchange is not None and exchange.issued_token():  # REFRESH-FOREIGN reports it
            self.run.tokens.forget(session)

    @rule(pick=PICK, access=st.booleans(), token=st.text(_TOKEN_CHARS, min_size=1))
    def not_a_refresh_token(self, pick: int, access: bool, token: str) -> None:
        """An access token the target issued, or a token it never issued."""
        tokens = self.run.tokens
        if access and tokens.access:
            session, issued = tokens.access[pick % len(tokens.access)]
            exchange = self.run.refresh("access-as-refresh", session.client, issued, session.scope)
            if exchange is not None and exchange.issued_token():  # REFRESH-UNKNOWN reports it
                tokens.forget(session)
            return
        never = NEVER_ISSUED_PREFIX + token
        expects = expecting(self.run.ctx, "REFRESH-INVALID-STATUS")
        scope = with_scope(self.run.ctx, {}).get("scope")  # as refresh_unknown sends it
        self.run.refresh("never-issued", "", never, scope, expects=expects)


def dealt(total: int, parts: int) -> list[int]:
    """`total` dealt out to `parts` as evenly as possible, the first ones first."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def walk(run: LifecycleRun, examples: int) -> None:
    """Walk one machine for `examples` examples, generating only while holding the turn."""

    class Machine(TokenLifecycle):
        pass

    Machine.run = run
    with run.ctx.sender.turns.holding():
        run_state_machine_as_test(
            seed(run.rec.seed)(Machine),
            settings=property_settings(examples, stateful_step_count=STEPS),
        )


# Cost: STEPS / MACHINE_SHARE steps per example; about three in four send a request (a
# step with nothing to act on sends none).
@scenario(
    NAME,
    phase="property",
    alongside=True,
    contracts=BOTH,
    needs_under=USER_UNDER_RFC6749,
    cost=Cost(5, 1.5),
)
def prop_lifecycle(ctx: RunContext) -> list[Exchange]:
    """Walk the lifecycle machines: a fifth of the examples in all, each of STEPS rules,
    dealt out to up to MACHINES machines walking side by side (MIN_WALKS examples each
    at least). Under RFC 6749 the user is a role: without one the machines are not
    walked."""
    examples = max(2, examples_for(ctx) // MACHINE_SHARE)
    machines = max(1, min(MACHINES, examples // MIN_WALKS))
    logins = dealt(LOGIN_CAP, machines)
    runs = [LifecycleRun(ctx, i, logins[i]) for i in range(machines)]
    if not runs[0].rec.active():
        return []
    # The deal does not depend on how many walk at once: with a concurrency of 1 the
    # machines walk one after another and send the same requests.
    walkers = min(machines, workers_for(ctx.settings.concurrency))
    with (
        ctx.sender.turns.waiting(),  # the machines generate, each in its turn
        ThreadPoolExecutor(walkers, thread_name_prefix="conformance-lifecycle") as pool,
    ):
        walking = [
            pool.submit(walk, run, n)
            for run, n in zip(runs, dealt(examples, machines), strict=True)
        ]
        for walked in walking:
            walked.result()
    return [e for run in runs for e in run.rec.exchanges]
