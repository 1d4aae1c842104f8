"""Hypothesis properties beyond the schema: the correlation header, scopes, parameters.

Each scenario explores its strategies through one `Recorder` (seeded from the run's
seed), which sends and records; the registered checks judge the recordings afterwards:

- `prop_txid_echo`: any valid UUID, in either letter case, is echoed (TXID-ECHO);
- `prop_txid_concurrent`: batches of concurrent requests keep their own ids (TXID-CONCURRENT);
- `prop_txid_case`: any casing of the header name is accepted (TXID-HEADER-CASE);
- `prop_txid_invalid`: invalid ids get a 400 (TXID-FORMAT) and are never reflected
  unsafely (TXID-NOT-REFLECTED);
- `prop_scopes`: generated `scopes` strings (the run-wide checks; SCOPES-UNKNOWN);
- `prop_param_order`: permuted parameters are accepted (PARAM-ORDER), repeated ones
  refused (PARAM-REPEATED).

Under RFC 6749 alone (the properties above are the platform's):

- `prop_grant_types`: generated grant_type values no server defines get 400
  unsupported_grant_type (RFC-UNSUPPORTED-GRANT);
- `prop_scope_tokens`: generated scope tokens (3.3) no client holds are refused with
  invalid_scope or left out of the token's scope (RFC-SCOPE-UNKNOWN).

Each property but the concurrent one keeps several requests in flight while it
generates the next (`pipeline`), recorded in generation order. The echo is still
judged request by request: every exchange knows which transactionIds flew beside it
(`Exchange.beside`), so a response carrying one of those is cross-talk, left to
TXID-CONCURRENT, and any other mismatch is TXID-ECHO's.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from conformance.contract import RFC6749
from conformance.exchange import Exchange
from conformance.properties.boundaries import (
    TXID_LENGTHS,
    long_transaction_id,
    upper_case_transaction_id,
)
from conformance.properties.recording import Recorder, examples_for
from conformance.properties.strategies import (
    FormShape,
    ScopeRequest,
    form_shapes,
    h11_sendable,
    header_casings,
    invalid_transaction_ids,
    scope_requests,
    scopes_values,
    unsupported_grant_types,
)
from conformance.raw_send import TRANSACTION_ID, raw_sending_possible
from conformance.scenarios import CC, PW, UNKNOWN_SCOPE, cc_form, password_form, scenario
from conformance.scenarios.base import Cost, with_scope

if TYPE_CHECKING:
    from conformance.run_context import RunContext

# Each example of the concurrent property is a batch: it gets a tenth of the examples.
BATCH_SHARE = 10
BATCH_SIZES = (10, 20)
# Raw sends make the embedded server log a warning each; a few show the behaviour.
RAW_CAP = 8
# Permuted password requests are real logins of the configured user: a few suffice.
PASSWORD_PERMUTATIONS = 3
# Invalid ids worth sending in every run: markup, nothing, a header injection.
INVALID_IDS = (b"<script>alert(1)</script>", b"", b"abc\r\nX-Conformance-Injected: 1")
UUIDS = st.uuids().map(str)  # ids under test: drawn, then `Recorder.take`n

# (form, send options, expects) of the echo property's kinds of request: D2 holds
# whatever the status, so a 200, a 401 and a 400.
_ECHO_KINDS: dict[str, tuple[dict[str, str], dict[str, Any], str | None]] = {
    "token": ({"grant_type": CC}, {"grant": CC}, None),
    "no-auth": ({"grant_type": CC}, {"grant": CC, "auth": None}, "AUTH-MISSING"),
    "unsupported-grant": ({"grant_type": "implicit"}, {}, "GRANT-UNSUPPORTED"),
}


@scenario("prop_txid_echo", phase="property", cost=Cost(len(_ECHO_KINDS), 1))
def prop_txid_echo(ctx: RunContext) -> list[Exchange]:
    """Valid UUIDs in both letter cases, on a 200, a 401 and a 400."""
    rec = Recorder(ctx, "prop_txid_echo")

    def echoed(txid: str, upper: bool, kind: str) -> None:
        form, options, expects = _ECHO_KINDS[kind]
        rec.submit(kind, txid.upper() if upper else txid, form=form, expects=expects, **options)

    # Every run, whatever the seed: an upper-case UUID on each kind of answer (D25).
    upper = upper_case_transaction_id(ctx)
    tried = [{"txid": upper, "upper": True, "kind": kind} for kind in _ECHO_KINDS]
    kinds = st.sampled_from(tuple(_ECHO_KINDS))
    rec.explore(
        echoed,
        examples_for(ctx),
        explicit=tried,
        workers=rec.workers(),
        txid=UUIDS,
        upper=st.booleans(),
        kind=kinds,
    )
    return rec.exchanges


# A batch of 10 to 20 for each tenth of the examples, and at least one batch.
@scenario("prop_txid_concurrent", phase="property", cost=Cost(5, 1.5))
def prop_txid_concurrent(ctx: RunContext) -> list[Exchange]:
    """Batches of 10 to 20 concurrent client_credentials requests, ids drawn per batch."""
    rec = Recorder(ctx, "prop_txid_concurrent")
    largest = max(2, ctx.sender.pacer.burst_cap(min(BATCH_SIZES[1], ctx.settings.concurrency)))
    ids = st.lists(UUIDS, min_size=min(BATCH_SIZES[0], largest), max_size=largest, unique=True)
    batches = 0

    def concurrent(batch: list[str]) -> None:
        nonlocal batches
        batches += 1
        taken = [rec.take(txid) for txid in batch]  # here, in the order drawn
        # Released together, whatever the rate limit: paced, they would not be concurrent.
        with ctx.sender.burst(len(taken)) as burst, ThreadPoolExecutor(len(taken)) as pool:
            futures = [
                pool.submit(
                    rec.exchange,
                    f"batch-{batches}-{i}",
                    transaction_id=txid,
                    form=cc_form(ctx),
                    grant=CC,
                    burst=burst,
                )
                for i, txid in enumerate(taken)
            ]
            # Recorded in the order sent, not answered, so a replay records the same list.
            with ctx.sender.turns.waiting():
                answers = [f.result() for f in futures]
        rec.exchanges += [e for e in answers if e is not None]
        rec.stopped = rec.stopped or None in answers

    rec.explore(concurrent, examples_for(ctx) // BATCH_SHARE, batch=ids)
    return rec.exchanges


@scenario("prop_txid_case", phase="property")
def prop_txid_case(ctx: RunContext) -> list[Exchange]:
    """Valid client_credentials requests whose transactionId header name has random case."""
    rec = Recorder(ctx, "prop_txid_case")

    def cased(name: str) -> None:
        rec.submit(name, header=name, form=cc_form(ctx), grant=CC)

    rec.explore(
        cased, examples_for(ctx), workers=rec.workers(), name=header_casings(TRANSACTION_ID)
    )
    return rec.exchanges


@scenario("prop_txid_invalid", phase="property", cost=Cost(len(INVALID_IDS) + len(TXID_LENGTHS), 1))
def prop_txid_invalid(ctx: RunContext) -> list[Exchange]:
    """Valid client_credentials requests whose transactionId is not a UUID.

    Values httpx can send are labelled "invalid"; the few only a raw send can carry
    (line breaks, NUL) are labelled "raw" and sent only to a loopback target.
    """
    rec = Recorder(ctx, "prop_txid_invalid")
    raw = raw_sending_possible(ctx.base_url)
    raw_sent = 0

    def invalid(value: bytes) -> None:
        nonlocal raw_sent
        if h11_sendable(value):
            rec.submit("invalid", value, form=cc_form(ctx), grant=CC, expects="TXID-FORMAT")
        elif raw and raw_sent < RAW_CAP:
            raw_sent += 1
            rec.submit_raw("raw", value)

    # Every run, whatever the seed: those above and each length D31 lists.
    lengths = [long_transaction_id(n).encode("ascii") for n in TXID_LENGTHS]
    tried = [{"value": value} for value in (*INVALID_IDS, *lengths)]
    # Each request is judged on its own (TXID-FORMAT, TXID-NOT-REFLECTED): several fly.
    rec.explore(
        invalid,
        examples_for(ctx),
        explicit=tried,
        workers=rec.workers(),
        value=invalid_transaction_ids(raw),
    )
    return rec.exchanges


@scenario("prop_scopes", phase="property")
def prop_scopes(ctx: RunContext) -> list[Exchange]:
    """client_credentials with generated `scopes`; "unknown-scope" when one is surely unknown."""
    rec = Recorder(ctx, "prop_scopes")

    def scoped(scopes: tuple[str, bool]) -> None:
        value, unknown = scopes
        label = "unknown-scope" if unknown else "scopes"
        rec.submit(label, form={**cc_form(ctx), "scopes": value}, grant=CC)

    rec.explore(scoped, examples_for(ctx), workers=rec.workers(), scopes=scopes_values())
    return rec.exchanges


@scenario("prop_param_order", phase="property", cost=Cost(1, 1))
def prop_param_order(ctx: RunContext) -> list[Exchange]:
    """Valid forms with their parameters permuted and up to two ignored extras
    ("permutation"), and client_credentials forms with grant_type twice ("repeated")."""
    rec = Recorder(ctx, "prop_param_order")
    logins = 0

    # Every value is drawn up front, whatever the run's state (logins so far, time
    # left): hypothesis requires the same choices to lead to the same draws.
    def ordered(shape: FormShape) -> None:
        nonlocal logins
        grant, form = CC, list(cc_form(ctx).items())
        wants_login = shape.password and not shape.repeated and bool(ctx.settings.username)
        if wants_login and logins < PASSWORD_PERMUTATIONS:
            logins += 1
            grant, form = PW, list(password_form(ctx).items())
        label = "repeated" if shape.repeated else "permutation"
        expects = "PARAM-REPEATED" if shape.repeated else None
        rec.submit(label, form=shape.arrange(form), grant=grant, expects=expects)

    # Every run, whatever the seed: grant_type twice, with different values.
    twice = FormShape(repeated=True, again=PW, password=False, extras=[], order=[0, 1, 2, 3, 4])
    rec.explore(
        ordered,
        examples_for(ctx),
        explicit=[{"shape": twice}],
        workers=rec.workers(),
        shape=form_shapes(),
    )
    return rec.exchanges


# --- RFC 6749 alone ----------------------------------------------------------------------


@scenario("prop_grant_types", phase="property", contracts=(RFC6749,))
def prop_grant_types(ctx: RunContext) -> list[Exchange]:
    """grant_type values in RFC 6749's syntax (A.10) that name no grant a server defines,
    labelled "unsupported-grant"."""
    rec = Recorder(ctx, "prop_grant_types")

    def unsupported(grant: str) -> None:
        rec.submit("unsupported-grant", form={"grant_type": grant})

    rec.explore(
        unsupported, examples_for(ctx), workers=rec.workers(), grant=unsupported_grant_types()
    )
    return rec.exchanges


@scenario("prop_scope_tokens", phase="property", contracts=(RFC6749,))
def prop_scope_tokens(ctx: RunContext) -> list[Exchange]:
    """client_credentials asking for generated scope tokens (RFC 6749 3.3) no client holds,
    sometimes beside the configured scope, labelled "unknown-scope"."""
    rec = Recorder(ctx, "prop_scope_tokens")

    def scoped(asked: ScopeRequest) -> None:
        form = with_scope(ctx, {"grant_type": CC}, asked.value(ctx.settings.scope))
        rec.submit("unknown-scope", form=form, grant=CC)

    rec.explore(
        scoped, examples_for(ctx), workers=rec.workers(), asked=scope_requests(UNKNOWN_SCOPE)
    )
    return rec.exchanges
