"""The property-based phase under RFC 6749 alone, against the reference's rfc6749 edition.

The properties that serve both contracts are written once and read the run's contract:
under RFC 6749 they generate from `openapi-rfc6749.yaml`, send no platform header, and
only RFC checks judge what they record. The same seed sends the same requests, another
seed other ones. The properties RFC 6749 alone has (grant types and scope tokens no
server defines) generate its syntax, and each catches its fault by itself.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.contract import RFC6749
from conformance.errors import Skipped
from conformance.properties.lifecycle import NAME
from conformance.properties.strategies import (
    KNOWN_GRANT_TYPES,
    ScopeRequest,
    scope_requests,
    unsupported_grant_types,
)
from conformance.run_context import RunContext
from conformance.scenarios import SCENARIOS
from conformance.vocabulary import UNKNOWN_SCOPE
from tests.fixtures.targets import reference_context
from tests.properties.test_hypothesis_phase import failures

# Values the target issues (or the code source fetches) differ per run: compared masked.
ISSUED_FIELDS = ("refresh_token", "code")


def rfc6749_properties() -> tuple[str, ...]:
    return tuple(
        name for name, s in SCENARIOS.items() if s.phase == "property" and RFC6749 in s.contracts
    )


def _bodies(ctx: RunContext) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Each generated request's scenario, label and form, issued values masked by the
    position of the answer that issued them."""
    issued: dict[str, str] = {}
    sent = []
    for name in rfc6749_properties():
        for exchange in ctx.exchanges(name):
            pairs = parse_qsl(exchange.request.body.decode("utf-8", "replace"), True)
            form = [(k, issued.get(v, k) if k in ISSUED_FIELDS else v) for k, v in pairs]
            sent.append((exchange.scenario, exchange.label, form))
            for key, value in (exchange.body_object() or {}).items():
                if key in ("access_token", "refresh_token") and isinstance(value, str):
                    issued[value] = f"<issued by #{len(sent)}>"
    return sent


def _record(seed: int) -> list[tuple[str, str, list[tuple[str, str]]]]:
    with reference_context(edition=RFC6749, examples=10, seed=seed) as ctx:
        ctx.prepare(rfc6749_properties())
        return _bodies(ctx)


def test_seed__same_seed_same_requests_other_seed_other_requests_under_rfc6749() -> None:
    first, again, other = _record(7), _record(7), _record(8)
    assert first == again
    assert {scenario for scenario, _, _ in first} == set(rfc6749_properties())
    assert sum(a != b for a, b in zip(first, other, strict=False)) > len(first) // 2


def test_clean_reference__the_rfc6749_properties_fail_no_rfc_check() -> None:
    names = rfc6749_properties()
    with reference_context(edition=RFC6749, examples=20, seed=5) as ctx:
        ctx.prepare(names)
        assert failures(ctx, names) == []
        sent = [e for name in names for e in ctx.exchanges(name)]
    assert "prop_positive" in names
    assert sent and not [e for e in sent if e.request.header("transactionId") is not None]
    assert not [e for e in sent if e.request.header("institutionId") is not None]
    assert not [f for e in sent for f in e.findings]
    positive = [e for e in sent if e.scenario == "prop_positive" and e.label == "positive"]
    grants = {e.grant for e in positive}
    assert grants == {"client_credentials", "password", "authorization_code", "refresh_token"}
    assert all(e.issued_token() for e in positive)


# --- the token lifecycle machine ------------------------------------------------------------


def test_lifecycle__walked_under_rfc6749_without_revocation_and_no_rfc_check_fails() -> None:
    with reference_context(edition=RFC6749, examples=100, seed=1) as ctx:
        exchanges = ctx.exchanges(NAME)
        assert failures(ctx, (NAME,)) == []
    labels = {e.label for e in exchanges}
    assert {"login", "refresh", "reuse", "other-client", "never-issued"} <= labels
    assert not labels & {"revoke", "after-revoke"}  # RFC 6749 defines no revocation
    assert all(e.issued_token() for e in exchanges if e.label in {"login", "refresh"})


@pytest.mark.parametrize(
    ("fault", "requirement"),
    [
        ("unknown-refresh-accepted", "RFC-INVALID-GRANT"),
        ("refresh-not-bound-to-client", "RFC-REFRESH-CLIENT-BOUND"),
        ("rotated-refresh-still-valid", None),  # RFC 6749 6: the server MAY keep it valid
    ],
)
def test_lifecycle__a_fault_is_caught_by_the_machine_alone_under_rfc6749(
    fault: str, requirement: str | None
) -> None:
    with reference_context(edition=RFC6749, faults=frozenset({fault}), examples=100, seed=1) as ctx:
        found = failures(ctx, (NAME,))
    assert [f.split(":")[0] for f in found] == ([requirement] if requirement else [])


def test_lifecycle__without_a_user_is_skipped_with_its_reason_under_rfc6749() -> None:
    without_user = reference_context(edition=RFC6749, examples=10, seed=1, username=None)
    with without_user as ctx, pytest.raises(Skipped, match="CONFORMANCE_USERNAME"):
        ctx.exchanges(NAME)


# --- grant types and scope tokens no server defines -----------------------------------------

GRANT_TYPE = re.compile(r"[A-Za-z0-9._-]+|[a-z]+:[^\s]+")  # RFC 6749 A.10: name or URI
SCOPE = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+(?: [\x21\x23-\x5B\x5D-\x7E]+)*")  # A.4


@settings(max_examples=300, database=None)
@given(value=unsupported_grant_types())
def test_grant_types__generated_ones_are_grant_type_syntax_and_name_no_known_grant(
    value: str,
) -> None:
    assert GRANT_TYPE.fullmatch(value)
    assert value.lower() not in KNOWN_GRANT_TYPES
    assert not value.lower().startswith("urn:ietf:params:oauth:grant-type:")


@settings(max_examples=300, database=None)
@given(asked=scope_requests(UNKNOWN_SCOPE), configured=st.sampled_from([None, "read", "a b"]))
def test_scope_tokens__generated_scope_is_scope_syntax_and_every_invented_token_is_marked(
    asked: ScopeRequest, configured: str | None
) -> None:
    value = asked.value(configured)
    assert SCOPE.fullmatch(value)
    invented = [t for t in value.split(" ") if t not in (configured or "").split(" ")]
    assert invented and all(t.startswith(UNKNOWN_SCOPE) for t in invented)


@pytest.mark.parametrize(
    ("fault", "scenario", "requirement"),
    [
        ("rfc-unsupported-grant-invalid-request", "prop_grant_types", "RFC-UNSUPPORTED-GRANT"),
        ("rfc-unknown-scope-dropped", "prop_scope_tokens", "RFC-SCOPE-UNKNOWN"),
    ],
)
def test_faults__caught_by_the_generated_requests_alone_under_rfc6749(
    fault: str, scenario: str, requirement: str
) -> None:
    with reference_context(edition=RFC6749, faults=frozenset({fault}), examples=10, seed=1) as ctx:
        found = failures(ctx, (scenario,))
    assert [f.split(":")[0] for f in found] == [requirement]
