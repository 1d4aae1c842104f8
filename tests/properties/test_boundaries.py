"""The boundary inputs every run tries, whatever the seed (D20, D25, D31).

Each kind an independent implementation answered with a 500 is sent in every run as an
explicit example, so catching such a 500 never depends on the seed: every kind is in
the recording whatever the seed, each reference fault of a kind fails NO-5XX with every
seed tried and one generated example, and the clean reference answers them all without
a failing check and without a wrong password of the configured user.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from conformance.checks import CHECKS, CheckContext
from conformance.errors import Failure
from conformance.properties.boundaries import (
    LARGE_BODY,
    TXID_LENGTHS,
    USER_TEXTS,
    Bodies,
    long_transaction_id,
)
from conformance.reference import FAULTS
from tests.fixtures.targets import reference_context
from tests.properties.test_hypothesis_phase import failures

SEEDS = (1, 77, 2024)
# Each fault of a kind, and the property whose explicit examples meet it.
BOUNDARY_FAULTS = {
    "txid-uppercase-500": "prop_txid_echo",
    "txid-long-500": "prop_txid_invalid",
    "username-non-ascii-500": "prop_bodies",
    "percent-escape-500": "prop_bodies",
    "large-body-500": "prop_bodies",
    "audit-log-ascii": "prop_bodies",
}
BOUNDARY_PROPERTIES = ("prop_txid_echo", "prop_txid_invalid", "prop_param_order", "prop_bodies")


def test_boundary_faults__are_generated_input_faults_of_no_5xx() -> None:
    assert {
        name: (FAULTS[name].requirement, FAULTS[name].generated_input) for name in BOUNDARY_FAULTS
    } == {name: ("NO-5XX", True) for name in BOUNDARY_FAULTS}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("fault", sorted(BOUNDARY_FAULTS))
def test_boundary_fault__fails_no_5xx_with_every_seed_and_one_generated_example(
    fault: str, seed: int
) -> None:
    with reference_context(faults=frozenset({fault}), examples=1, seed=seed) as ctx:
        sent = ctx.exchanges(BOUNDARY_FAULTS[fault])
        context = CheckContext("NO-5XX", "1.3.1", ctx.contract)
        with pytest.raises(Failure):
            CHECKS["NO-5XX"].function(sent, context)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_kind__is_sent_whatever_the_seed_and_the_clean_reference_passes(seed: int) -> None:
    with reference_context(examples=1, seed=seed) as ctx:
        assert failures(ctx, BOUNDARY_PROPERTIES) == []
        echoed = ctx.exchanges("prop_txid_echo")
        invalid = ctx.exchanges("prop_txid_invalid")
        ordered = ctx.exchanges("prop_param_order")
        bodies = ctx.exchanges("prop_bodies")
        fixed = Bodies(ctx).fixed()
        username = ctx.settings.username
        assert ctx.wrong_password_attempts == ctx.refused_logins == 0
    upper = [
        e for e in echoed if (e.sent_transaction_id or "") != (e.sent_transaction_id or "").lower()
    ]
    assert {e.label for e in upper} == {"token", "no-auth", "unsupported-grant"}
    assert any(e.status == 200 for e in upper)
    sent_ids = {e.sent_transaction_id for e in invalid}
    assert {long_transaction_id(n) for n in TXID_LENGTHS} | {""} <= sent_ids
    assert all(e.status == 400 for e in invalid)
    assert any(e.label == "repeated" for e in ordered)
    # The fixed bodies first, in order, then the generated one.
    assert [e.request.body for e in bodies[: len(fixed)]] == [case.body for case in fixed]
    assert {e.label for e in bodies} >= {
        "user-text",
        "percent-escape",
        "not-utf8",
        "repeated",
        "large-body",
        "note-text",
    }
    assert max(len(e.request.body) for e in bodies) == LARGE_BODY
    # Only the valid request with an ignored parameter outside ASCII gets a token.
    assert all(e.status == 200 for e in bodies if e.label == "note-text")
    assert all(400 <= (e.status or 0) < 500 for e in bodies if e.label != "note-text")
    logins = [dict(parse_qsl(e.request.body.decode("utf-8", "replace"))) for e in bodies]
    named = [form.get("username", "") for form in logins]
    assert all(any(text in name for name in named) for text in USER_TEXTS)
    assert username not in named


def test_same_seed__same_bodies_other_seed__other_users() -> None:
    def bodies(seed: int) -> list[bytes]:
        with reference_context(examples=10, seed=seed) as ctx:
            return [e.request.body for e in ctx.exchanges("prop_bodies")]

    first, again, other = bodies(7), bodies(7), bodies(8)
    assert first == again
    assert first != other
