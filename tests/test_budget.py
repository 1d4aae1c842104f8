"""The request budget (max_requests): the fixed scenarios get it first, and what is left is
shared among the property scenarios, so a short budget cuts every property's generated
examples instead of leaving the last properties of the phase nothing."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from conformance.properties.boundaries import TXID_LENGTHS, long_transaction_id
from conformance.run_context import RunContext
from conformance.scenarios import SCENARIOS
from tests.fixtures.targets import JudgeReference, reference_context
from tests.properties.test_hypothesis_phase import requests_of


def _by_phase(ctx: RunContext) -> tuple[Counter[str], Counter[str]]:
    fixed: Counter[str] = Counter()
    generated: Counter[str] = Counter()
    for exchange in ctx.recorded():
        phase = SCENARIOS[exchange.scenario].phase
        (generated if phase == "property" else fixed)[exchange.scenario] += 1
    return fixed, generated


def _properties(ctx: RunContext) -> list[str]:
    return [n for n in ctx.recordings.contract_scenarios if SCENARIOS[n].phase == "property"]


def test_short_budget__fixed_scenarios_whole_then_every_property_a_share() -> None:
    with reference_context(seed=3, skip_properties=True) as ctx:
        ctx.judge_all()
        whole, _ = _by_phase(ctx)
    with reference_context(seed=3, max_requests=500) as ctx:
        outcomes = ctx.judge_all()
        fixed, generated = _by_phase(ctx)
        examples, asked = ctx.recordings.examples, ctx.settings.examples
        sent = ctx.sender.requests_sent
        properties = _properties(ctx)
    assert fixed == whole
    assert examples < asked and sent <= 500
    assert all(generated[name] > 0 for name in properties), generated
    problems = [o.case_id for o in outcomes if o.outcome in {"failed", "warned", "error"}]
    assert problems == ["SEC-PASSWORD-GRANT"]  # the standing security finding, beside the contract


def test_budget_that_holds_the_phase__the_examples_setting_as_given() -> None:
    with reference_context(seed=3, examples=20) as ctx:
        ctx.judge_all()
        assert ctx.recordings.examples == 20


def test_budgets__each_property_fits_the_share_it_was_scaled_to() -> None:
    # The shares come from each property's declared Cost: were those far below what the
    # properties send, the last of the phase would get nothing; far above, the budget
    # would go unused.
    for budget in (400, 700):
        with reference_context(seed=4, max_requests=budget) as ctx:
            ctx.judge_all()
            _, generated = _by_phase(ctx)
            sent = ctx.sender.requests_sent
            properties = _properties(ctx)
        assert all(generated[name] > 0 for name in properties), (budget, generated)
        assert 0.8 * budget <= sent <= budget


def test_budget_below_every_propertys_fixed_inputs__the_cheapest_properties_first() -> None:
    # 250 cannot hold every property's inputs tried in every run (the coverage cases
    # alone are 66): the properties trying the fewest go first, so the one cut is the
    # coverage phase, and the transactionId lengths of D31 are all sent.
    with reference_context(seed=5, max_requests=250) as ctx:
        ctx.judge_all()
        _, generated = _by_phase(ctx)
        invalid = {e.sent_transaction_id for e in ctx.exchanges("prop_txid_invalid")}
        assert ctx.recordings.examples == 1 and ctx.sender.requests_sent == 250
    assert {long_transaction_id(n) for n in TXID_LENGTHS} <= invalid
    assert 0 < generated["prop_coverage"] < 66
    assert all(count > 0 for count in generated.values())


def test_short_budget__same_seed_same_requests() -> None:
    def record() -> list[tuple[object, ...]]:
        with reference_context(seed=6, max_requests=450) as ctx:
            ctx.judge_all()
            sent = requests_of(ctx, _properties(ctx))
        # The reference's authorization codes are its own random values.
        return [(*r[:4], [(k, "<code>" if k == "code" else v) for k, v in r[4]]) for r in sent]

    assert record() == record()


def test_results__the_run_header_says_how_many_examples_the_budget_left(
    judge_reference: JudgeReference, tmp_path: Path
) -> None:
    judge_reference(max_requests=400)
    run = json.loads((tmp_path / "run-0" / "results.json").read_text())["run"]
    assert 1 <= run["examples"] < 100 and run["requests_sent"] <= 400
