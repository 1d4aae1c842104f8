"""Judging: one (requirement, grant) case turned into an `Outcome`, from the recordings
its check reads, with the evidence redacted and the waivers applied.

What a failure means is decided here, not in the check: MUST fails the run, SHOULD
warns (unless --strict). And what a check is handed: never a back-pressure answer (one
the contract's `[[back_pressure]]` describes, which the retries could not outlast): it
is not how the target behaves, so it is no verdict either way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from conformance.checks import ALL, CHECKS, CheckContext
from conformance.contract import Contract, Requirement, back_pressure_of
from conformance.errors import ConformanceError, Failure, Skipped
from conformance.exchange import Exchange
from conformance.results import Outcome
from conformance.waivers import apply_waivers

if TYPE_CHECKING:
    from conformance.run_context import RunContext

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


class NoVerdict(Exception):  # noqa: N818 - a control-flow signal, as Skipped is
    """The check reads an answer that is back-pressure: it cannot be judged."""

    def __init__(self, message: str, exchange: Exchange) -> None:
        super().__init__(message)
        self.exchange = exchange


def pushed_back(contract: Contract, exchange: Exchange) -> str | None:
    """What the target pushed back with instead of answering, as messages name it, or
    None for an answer. The Sender marks what its retries could not outlast; an
    exchange it did not mark (recorded some other way) is looked at here, by the same
    contract data, so that none reaches a check either way."""
    if exchange.back_pressure or exchange.response is None:
        return exchange.back_pressure
    response = exchange.response
    kind = back_pressure_of(contract.back_pressure, response.status, response.header, response.json)
    return kind.describe() if kind else None


def _answers(ctx: RunContext, case: Case, exchanges: list[Exchange]) -> list[Exchange]:
    """The exchanges the check is handed, none of them back-pressure.

    A check of every exchange judges each answer alone: it is handed the others. Any
    other reads its exchanges together (a sequence, a burst), so one that is not an
    answer leaves it without a verdict: inconclusive (skipped) when it came in a burst
    released together, which cannot be sent again simultaneously; else an error, as
    for anything else that keeps the suite from judging."""
    pushed = [(e, kind) for e in exchanges if (kind := pushed_back(ctx.contract, e))]
    if not pushed:
        return exchanges
    if CHECKS[case.requirement.id].uses == ALL:
        return [e for e in exchanges if not pushed_back(ctx.contract, e)]
    in_burst = [(e, kind) for e, kind in pushed if e.burst]
    if in_burst:
        raise Skipped(
            f"inconclusive: {len(in_burst)} request(s) of a burst sent together got "
            f"{in_burst[0][1]} instead of an answer: no verdict on simultaneous requests"
        )
    exchange, kind = pushed[0]
    raise NoVerdict(
        f"The target kept answering {kind} after the retries the run allows: no verdict. "
        "Lower rate_limit or run again later.",
        exchange,
    )


def scenarios_for(ctx: RunContext, case: Case) -> tuple[str, ...]:
    """The scenarios the case's check reads ("every exchange": the contract's)."""
    uses = CHECKS[case.requirement.id].uses
    return ctx.recordings.contract_scenarios if uses == ALL else uses


def _collect(ctx: RunContext, case: Case) -> list[Exchange]:
    collected: list[Exchange] = []
    every = CHECKS[case.requirement.id].uses == ALL
    skipped: list[Skipped] = []
    for name in scenarios_for(ctx, case):
        try:
            collected += ctx.exchanges(name)
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


def judge(ctx: RunContext, case: Case) -> Outcome:
    """Evaluate one case. ConformanceError raised while judging is the outcome "error"."""
    requirement = case.requirement
    settings = ctx.settings
    started = time.perf_counter()
    exchanges: list[Exchange] = []
    status, message = "passed", ""
    try:
        reason = ctx.roles().get(requirement.needs) if requirement.needs else None
        if reason:
            raise Skipped(reason)
        exchanges = _answers(ctx, case, _collect(ctx, case))
        check_context = CheckContext(
            requirement.id,
            settings.edition,
            ctx.contract,
            tuple(settings.secrets()),
            settings.strict_typing,
            ctx.transport() if requirement.is_security else None,
        )
        observed = CHECKS[requirement.id].function(exchanges, check_context)
        if observed:  # a MAY requirement reports what the target chose
            message = ctx.redactor.text(observed)
    except Failure as failure:
        status, message, exchanges = _judge_failure(ctx, failure, requirement, exchanges)
    except Skipped as skipped:
        status, message = "skipped", ctx.redactor.text(str(skipped))
    except NoVerdict as pushed:
        status, message, exchanges = "error", ctx.redactor.text(str(pushed)), [pushed.exchange]
    except ConformanceError as error:
        status, message = "error", ctx.redactor.text(f"{type(error).__name__}: {error}")
    outcome = Outcome(
        requirement_id=requirement.id,
        level=requirement.level(settings.edition),
        grant=case.grant,
        edition=settings.edition,
        outcome=status,
        message=message,
        summary=requirement.summary,
        evidence=[ctx.redactor.evidence(e) for e in exchanges[:EVIDENCE_LIMIT]],
        duration_s=time.perf_counter() - started,
        area=requirement.area,
        source=requirement.source,
        decision=requirement.decision,
        threat=requirement.threat,
    )
    return apply_waivers(outcome, ctx.waivers, ctx.today)


def _judge_failure(
    ctx: RunContext, failure: Failure, requirement: Requirement, exchanges: list[Exchange]
) -> tuple[str, str, list[Exchange]]:
    """Outcome, message and evidence (the failing exchange first) of a failed check."""
    shown = failure.exchange if isinstance(failure.exchange, Exchange) else None
    if shown is not None:
        exchanges = [shown, *(e for e in exchanges if e is not shown)]
    level = requirement.level(ctx.settings.edition)
    if requirement.is_security:  # findings fail only at the levels --security names
        must = ctx.settings.security_fails(level)
    else:
        must = level == "MUST" or ctx.settings.strict
    return ("failed" if must else "warned"), ctx.redactor.text(failure.render()), exchanges
