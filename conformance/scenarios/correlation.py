"""The platform's own headers: the transactionId correlation header and institutionId."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from conformance.exchange import Exchange
from conformance.scenarios.base import cc_form, password_form, random_value, scenario
from conformance.sender import new_transaction_id
from conformance.vocabulary import CC, PW

if TYPE_CHECKING:
    from conformance.run_context import RunContext


def _cc(
    ctx: RunContext, name: str, label: str, requirement: str | None = None, **sending: object
) -> Exchange:
    """A client_credentials request, its headers as `sending` says (default: valid ones),
    whose error answer `requirement` documents."""
    return ctx.send(name, label, form=cc_form(ctx), grant=CC, expects=requirement, **sending)


@scenario("txid_echo")
def txid_echo(ctx: RunContext) -> list[Exchange]:
    """One request at a time, nothing else in flight: a 200, a 401, a 400 and a revocation."""
    with ctx.sender.gate.exclusive():
        sent = [
            _cc(ctx, "txid_echo", "token"),
            _cc(ctx, "txid_echo", "no-auth", "AUTH-MISSING", auth=None),
            ctx.send(
                "txid_echo",
                "unsupported-grant",
                form={"grant_type": "implicit"},
                expects="GRANT-UNSUPPORTED",
            ),
        ]
        if ctx.settings.revoke_path:
            sent.append(
                ctx.send(
                    "txid_echo",
                    "revoke-unknown",
                    method="DELETE",
                    operation="revoke",
                    form={"token": random_value("never-issued")},
                    institution=None,
                )
            )
    return sent


@scenario("txid_missing")
def txid_missing(ctx: RunContext) -> list[Exchange]:
    return [_cc(ctx, "txid_missing", "no-header", "TXID-REQUIRED", transaction_id=None)]


@scenario("txid_invalid")
def txid_invalid(ctx: RunContext) -> list[Exchange]:
    invalid = "not-a-uuid-12345"
    return [_cc(ctx, "txid_invalid", "not-a-uuid", "TXID-FORMAT", transaction_id=invalid)]


@scenario("txid_case")
def txid_case(ctx: RunContext) -> list[Exchange]:
    return [
        _cc(
            ctx,
            "txid_case",
            spelling,
            transaction_id=None,
            extra_headers=[(spelling, new_transaction_id())],
        )
        for spelling in ("transactionid", "TRANSACTIONID")
    ]


@scenario("txid_concurrent")
def txid_concurrent(ctx: RunContext) -> list[Exchange]:
    """`concurrency` requests released together (under a rate limit, at most a second's
    worth: `Pacer.burst_cap`), once the rate limit allows that many."""
    count = ctx.sender.pacer.burst_cap(ctx.settings.concurrency)
    with ctx.sender.burst(count) as burst, ThreadPoolExecutor(max_workers=count) as pool:
        futures = [
            pool.submit(_cc, ctx, "txid_concurrent", f"request-{i}", burst=burst)
            for i in range(count)
        ]
        return [f.result() for f in futures]


def _institution(
    ctx: RunContext, name: str, institution: str | None, requirement: str
) -> list[Exchange]:
    """Both grants sent with `institution` as institutionId (None: without the header)."""
    return [
        ctx.send(name, grant, form=form, institution=institution, grant=grant, expects=requirement)
        for grant, form in ((CC, cc_form(ctx)), (PW, password_form(ctx)))
    ]


@scenario("institution_missing")
def institution_missing(ctx: RunContext) -> list[Exchange]:
    return _institution(ctx, "institution_missing", None, "INST-REQUIRED")


@scenario("institution_invalid")
def institution_invalid(ctx: RunContext) -> list[Exchange]:
    return _institution(ctx, "institution_invalid", "not-an-institution", "INST-INVALID")


@scenario("institution_foreign", needs="other_institution")
def institution_foreign(ctx: RunContext) -> list[Exchange]:
    """Both grants, valid but for naming an institution the client does not belong to:
    the client authenticated, so the refusal is D26's 403 (1.3.1: or 400), never a 401."""
    foreign = ctx.settings.other_institution_id
    return _institution(ctx, "institution_foreign", foreign, "INST-FOREIGN-403")
