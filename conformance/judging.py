"""Judging: one (requirement, grant) case turned into an `Outcome`, from the recordings
its check reads, with the evidence redacted and the waivers applied.

What a failure means is decided here, not in the check: MUST fails the run, SHOULD
warns (unless --strict), and a failure shown on a back-pressure answer is no verdict.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from conformance.checks import ALL, CHECKS, CheckContext
from conformance.contract import Contract, Requirement
from conformance.errors import ConformanceError, Failure, Skipped
from conformance.exchange import Exchange
from conformance.results import Outcome
from conformance.waivers import apply_waivers

if TYPE_CHECKING:
    from conformance.run import RunContext

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


def throttled(exchange: Exchange) -> bool:
    """A 429, or a 503 with Retry-After: the target asked the suite to slow down."""
    response = exchange.response
    if response is None:
        return False
    return response.status == 429 or (
        response.status == 503 and bool(response.header("retry-after"))
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
        exchanges = _collect(ctx, case)
        check_context = CheckContext(
            requirement.id,
            settings.edition,
            ctx.contract,
            tuple(settings.secrets()),
            settings.strict_typing,
        )
        observed = CHECKS[requirement.id].function(exchanges, check_context)
        if observed:  # a MAY requirement reports what the target chose
            message = ctx.redactor.text(observed)
    except Failure as failure:
        status, message, exchanges = _judge_failure(ctx, failure, requirement, exchanges)
    except Skipped as skipped:
        status, message = "skipped", ctx.redactor.text(str(skipped))
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
    )
    return apply_waivers(outcome, ctx.waivers, ctx.today)


def _judge_failure(
    ctx: RunContext, failure: Failure, requirement: Requirement, exchanges: list[Exchange]
) -> tuple[str, str, list[Exchange]]:
    """Outcome, message and evidence (the failing exchange first) of a failed check."""
    shown = failure.exchange if isinstance(failure.exchange, Exchange) else None
    if shown is not None and throttled(shown):
        # Back-pressure the retries could not outlast is no verdict on the rule.
        message = (
            f"The target kept answering HTTP {shown.status} (throttled) after the retries "
            "the run allows: no verdict. Lower rate_limit or run again later."
        )
        return "error", message, [shown]
    if shown is not None:
        exchanges = [shown, *(e for e in exchanges if e is not shown)]
    must = requirement.level(ctx.settings.edition) == "MUST" or ctx.settings.strict
    return ("failed" if must else "warned"), ctx.redactor.text(failure.render()), exchanges
