"""The scenario registry and what every scenario sends with.

A scenario is registered for the contract families whose checks read it (`contracts`):
where the platform's contract and RFC 6749 send the same request, one scenario serves
both, and what differs between them is data read from the run (`cc_form` adds RFC 6749
3.3's `scope` under RFC 6749, the sender leaves the platform's headers out there).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from conformance.contract import RFC6749
from conformance.errors import Skipped
from conformance.exchange import Exchange
from conformance.settings import Client
from conformance.vocabulary import CC, CODE, PLATFORM, PW, RT

if TYPE_CHECKING:
    from conformance.run_context import RunContext

ScenarioFunction = Callable[["RunContext"], list[Exchange]]
BOTH = (PLATFORM, RFC6749)
# Under RFC 6749 alone, a scenario that logs in as the configured user is not sent
# without one (`needs_under`); the platform's sends the login with empty fields, and
# its checks judge what comes back.
USER_UNDER_RFC6749 = {RFC6749: "user"}


class Cost(NamedTuple):
    """About how many requests a property scenario sends: `base` whatever the examples
    (the inputs it tries every run), and `per_example` for each of the examples setting.
    When the request budget is short, the property phase's examples are scaled so that
    every property gets its share (`Recordings.examples_within`): an estimate, so a
    property sending more than it declared only takes from those sent after it."""

    base: float = 0.0
    per_example: float = 1.0


ONE_PER_EXAMPLE = Cost()


@dataclass(frozen=True)
class Scenario:
    """A named sequence of requests. `phase` "property" ones generate input (schemathesis,
    hypothesis): they run after the others, within the phase's time budget, one at a
    time, except those `alongside` the others (they mostly wait for the target), which
    take turns with them to generate (`concurrency.Turns`)."""

    name: str
    run: ScenarioFunction
    needs: str | None = None
    phase: str = "scenario"
    # The contract families ("platform", "rfc6749") whose checks read it: a check of
    # "every exchange" reads the scenarios of the run's family.
    contracts: tuple[str, ...] = (PLATFORM,)
    alongside: bool = False
    # "client" / "user": sent first, and the run stops if the target refuses the
    # configured credentials in it (`Recordings.check_credentials`)
    preflight: str | None = None
    cost: Cost = ONE_PER_EXAMPLE  # a property scenario's requests (`Cost`)


SCENARIOS: dict[str, Scenario] = {}


def scenario(
    name: str,
    needs: str | None = None,
    phase: str = "scenario",
    *,
    contracts: Sequence[str] = (PLATFORM,),
    needs_under: Mapping[str, str] | None = None,
    alongside: bool = False,
    preflight: str | None = None,
    cost: Cost = ONE_PER_EXAMPLE,
) -> Callable[[ScenarioFunction], ScenarioFunction]:
    """Register a scenario under `name` for `contracts`. `needs` names the role it cannot
    run without; `needs_under` a role it needs only under one family (family: role)."""

    def decorate(function: ScenarioFunction) -> ScenarioFunction:
        if name in SCENARIOS:
            raise ValueError(f"scenario {name} registered twice")
        run = _needing(needs_under, function) if needs_under else function
        SCENARIOS[name] = Scenario(
            name, run, needs, phase, tuple(contracts), alongside, preflight, cost
        )
        return function

    return decorate


def family(ctx: RunContext) -> str:
    """The contract family of the run: "platform", or "rfc6749" for RFC 6749 alone."""
    return PLATFORM if ctx.settings.platform else RFC6749


def _needing(roles: Mapping[str, str], function: ScenarioFunction) -> ScenarioFunction:
    """`function`, skipped (as a missing `needs` skips) when the role its family needs is
    not configured."""

    def run(ctx: RunContext) -> list[Exchange]:
        role = roles.get(family(ctx))
        reason = ctx.roles().get(role) if role else None
        if reason:
            raise Skipped(reason)
        return function(ctx)

    return run


def side_by_side(ctx: RunContext, sends: Sequence[Callable[[], Exchange]]) -> list[Exchange]:
    """A scenario's independent requests, sent side by side (never more at once than the
    run's concurrency) and recorded in the order given: one after another, a scenario of
    eight requests took eight round trips, the longest wait of the fixed scenarios."""
    workers = max(1, min(len(sends), ctx.settings.concurrency))
    if workers == 1:
        return [send() for send in sends]
    with ThreadPoolExecutor(workers, thread_name_prefix="conformance-side-by-side") as pool:
        futures = [pool.submit(send) for send in sends]
        return [future.result() for future in futures]


def random_value(prefix: str) -> str:
    """A value no target has seen: `prefix-<16 hex digits>`."""
    return f"{prefix}-{secrets.token_hex(8)}"


def near_misses(value: str) -> dict[str, str]:
    """Spellings of a credential that are not it, by label: what a comparison over the
    presented length, or one that ignores case, would let through (D28)."""
    variants = {"empty": "", "truncated": value[:-1], "extended": value + "x"}
    if value.swapcase() != value:
        variants["case-changed"] = value.swapcase()
    return {label: v for label, v in variants.items() if v != value}


def with_scope(ctx: RunContext, form: dict[str, str], scope: str | None = None) -> dict[str, str]:
    """`form` with RFC 6749 3.3's `scope` (default: the scope setting, which some servers
    require) when the run judges RFC 6749 and there is one. The platform's contract has
    no such parameter."""
    if ctx.settings.platform:
        return form
    value = ctx.settings.scope if scope is None else scope
    return {**form, "scope": value} if value else form


def platform_scopes(ctx: RunContext) -> str | None:
    """The scope setting as the platform's `scopes` (spec section 2: comma-separated),
    None under RFC 6749 or without one. The setting's names may be separated by spaces,
    as RFC 6749's are, or by commas: no platform scope name holds either."""
    if not ctx.settings.platform or not ctx.settings.scope:
        return None
    names = [name for name in re.split(r"[\s,]+", ctx.settings.scope) if name]
    return ",".join(names) or None


def with_platform_scopes(ctx: RunContext, form: dict[str, str]) -> dict[str, str]:
    """`form` with the platform's `scopes` when the scope setting names the client's
    scopes. Only the success scenarios send it: asked for, every scope the client holds
    must still get a token (CC-SUCCESS, PASSWORD-SUCCESS), while the other scenarios keep
    the request the contract calls minimal, so they judge what they are about."""
    scopes = platform_scopes(ctx)
    return {**form, "scopes": scopes} if scopes else form


def cc_form(ctx: RunContext) -> dict[str, str]:
    return with_scope(ctx, {"grant_type": CC})


def password_form(ctx: RunContext) -> dict[str, str]:
    form = {
        "grant_type": PW,
        "username": ctx.settings.username or "",
        "password": ctx.settings.password or "",
    }
    return with_scope(ctx, form)


def code_form(ctx: RunContext, code: str) -> dict[str, str]:
    form = {"grant_type": CODE, "code": code}
    if not ctx.settings.platform and ctx.settings.redirect_uri:
        # RFC 6749 4.1.3: required when the authorization request had one
        form["redirect_uri"] = ctx.settings.redirect_uri
    return form


def refresh_token_of(exchange: Exchange) -> str | None:
    value = (exchange.body_object() or {}).get("refresh_token") if exchange.issued_token() else None
    return value if isinstance(value, str) and value else None


def granted_scope(exchange: Exchange) -> str | None:
    """The `scope` member of a token answer (RFC 6749 5.1), when it holds one."""
    value = (exchange.body_object() or {}).get("scope") if exchange.issued_token() else None
    return value if isinstance(value, str) and value else None


def refresh_scope_for(ctx: RunContext, login: Exchange) -> str | None:
    """The `scope` a refresh of `login`'s token carries: under RFC 6749 with a configured
    scope, the scope the login was granted (its answer's `scope`, which 3.3 makes it say
    when it differs from the request, else the configured one). RFC 6749 6 lets a refresh
    ask for the original scope, so a valid refresh asking for it must still get tokens,
    and an invalid one is refused for its token, whatever scope it carries. None
    otherwise: the platform's refresh has no scope, and without a configured one the
    refresh asks for none, as a client would."""
    if ctx.settings.platform or not ctx.settings.scope:
        return None
    return granted_scope(login) or ctx.settings.scope


def expecting(ctx: RunContext, requirement_id: str) -> str | None:
    """`requirement_id` when the run's contract has it, for an exchange's `expects` (ERR-CODE
    then holds the answer to the status and code it documents); None under another."""
    known = any(r.id == requirement_id for r in ctx.contract.requirements)
    return requirement_id if known else None


def login(ctx: RunContext, name: str) -> tuple[Exchange, str | None]:
    """The configured user's password login, and the refresh token it issued if any."""
    setup = ctx.send(name, "password-setup", form=password_form(ctx), grant=PW)
    return setup, refresh_token_of(setup)


def refresh(
    ctx: RunContext,
    name: str,
    label: str,
    token: str,
    *,
    scope: str | None = None,
    auth: Client | None = None,
) -> Exchange:
    """A refresh_token request for `token`, by `auth` (default: the main client)."""
    form = {"grant_type": RT, "refresh_token": token}
    if scope is not None:
        form["scope"] = scope
    if auth is None:
        return ctx.send(name, label, form=form, grant=RT)
    return ctx.send(name, label, form=form, grant=RT, auth=auth)
