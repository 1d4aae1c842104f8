"""The hypothesis properties against the reference over real HTTP.

Against the clean reference nothing they record fails a check; against a fault only
they can meet, the property's own recording fails the faulted requirement (judged
without the fixed scenarios' exchanges); the same seed sends the same requests; the
time and request budgets stop them cleanly. Basic credentials with `:` `%` `+`, space
and non-ASCII authenticate, for clients hypothesis makes up.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from conformance.checks import ALL, CHECKS, CheckContext
from conformance.errors import Failure, Skipped
from conformance.exchange import Exchange
from conformance.properties.boundaries import BODY_SHARE, Bodies
from conformance.redact import Redactor
from conformance.reference import ReferenceServer, load_accounts
from conformance.run_context import RunContext
from conformance.sender import Sender
from conformance.settings import Client, Settings
from conformance.vocabulary import CC
from tests.fixtures.targets import reference_context

PROPERTIES = (
    "prop_txid_echo",
    "prop_txid_concurrent",
    "prop_txid_case",
    "prop_txid_invalid",
    "prop_scopes",
    "prop_param_order",
    "prop_bodies",
)
# Fixed scenarios some checks take as their baseline ("does the grant work at all?").
BASELINES = ("cc_success", "password_success")
TOKEN_FIELDS = ("refresh_token", "token")


def judge(ctx: RunContext, rid: str, exchanges: Sequence[Exchange]) -> Failure | None:
    """The Failure of check `rid` on `exchanges` (per grant, as the run judges), if any."""
    requirement = ctx.contract.requirement(rid)
    context = CheckContext(rid, ctx.settings.edition, ctx.contract, tuple(ctx.settings.secrets()))
    for grant in requirement.grants or (None,):
        judged = [e for e in exchanges if grant is None or e.grant == grant]
        try:
            CHECKS[rid].function(judged, context)
        except Failure as failure:
            return failure
        except Skipped:
            pass
    return None


def failures(ctx: RunContext, names: Sequence[str]) -> list[str]:
    """Every check that reads one of `names`, judged on their recordings (and baselines)."""
    found = []
    ids = {r.id for r in ctx.contract.requirements}  # the run's contract, not another profile's
    for rid, check in CHECKS.items():
        if rid not in ids or (check.uses != ALL and not set(check.uses) & set(names)):
            continue
        exchanges = [e for n in (*names, *BASELINES) if n in check.uses for e in ctx.exchanges(n)]
        if check.uses == ALL:
            exchanges = [e for n in names for e in ctx.exchanges(n)]
        failure = judge(ctx, rid, exchanges)
        if failure is not None:
            found.append(f"{rid}: {failure.render()}")
    return found


def requests_of(ctx: RunContext, names: Sequence[str]) -> list[tuple[object, ...]]:
    """What was sent, comparable across runs: tokens the target issued are replaced by
    the position of the answer that issued them, and Host (the port) is left out."""
    issued: dict[str, str] = {}
    sent = []
    for exchange in (e for name in names for e in ctx.exchanges(name)):
        request = exchange.request
        pairs = parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        body = [(k, issued.get(v, v) if k in TOKEN_FIELDS else v) for k, v in pairs]
        headers = [(k, v) for k, v in request.headers if k.lower() not in {"host"}]
        sent.append((exchange.label, request.method, urlsplit(request.url).path, headers, body))
        for key, value in (exchange.body_object() or {}).items():
            if key in ("access_token", "refresh_token") and isinstance(value, str):
                issued[value] = f"<issued by #{len(sent)}>"
    return sent


# --- against the reference ----------------------------------------------------------------


def test_clean_reference__properties_record_and_no_check_fails() -> None:
    with reference_context(examples=40, seed=3) as ctx:
        assert failures(ctx, PROPERTIES) == []
        counts = {name: len(ctx.exchanges(name)) for name in PROPERTIES}
        labels = {e.label for e in ctx.exchanges("prop_param_order")}
        invalid = {e.label for e in ctx.exchanges("prop_txid_invalid")}
        statuses = {e.status for e in ctx.exchanges("prop_txid_echo")}
        fixed_bodies = len(Bodies(ctx).fixed())
    assert counts["prop_scopes"] == counts["prop_txid_case"] == 40
    # Besides the 40 generated: the explicit examples every run sends (`boundaries`).
    assert counts["prop_txid_echo"] == 40 + 3
    assert counts["prop_bodies"] == 40 // BODY_SHARE + fixed_bodies
    assert counts["prop_txid_concurrent"] >= 4 * 10  # four batches of 10 to 20
    assert labels == {"permutation", "repeated"}
    assert invalid == {"invalid", "raw"}  # the reference is on loopback: raw sends go out
    assert statuses == {200, 400, 401}


def test_fault_txid_shared_variable__caught_by_the_concurrent_property_alone() -> None:
    with reference_context(faults=frozenset({"txid-shared-variable"}), examples=30) as ctx:
        echoed = ctx.exchanges("prop_txid_echo")
        recorded = ctx.exchanges("prop_txid_concurrent") + echoed
        failure = judge(ctx, "TXID-CONCURRENT", recorded)
        echo = judge(ctx, "TXID-ECHO", echoed)
    assert failure is not None and "concurrent responses" in failure.title
    # The echo property's requests fly several at once too: the ids they swapped are
    # cross-talk (each one a request's beside it), D23's, never counted against D2.
    assert any(e.crossed_surely() for e in echoed)
    assert echo is None


def test_fault_txid_reflected__caught_by_the_invalid_property_alone() -> None:
    with reference_context(faults=frozenset({"txid-reflected"}), examples=30) as ctx:
        failure = judge(ctx, "TXID-NOT-REFLECTED", ctx.exchanges("prop_txid_invalid"))
        fixed = judge(ctx, "TXID-NOT-REFLECTED", ctx.exchanges("txid_invalid"))
    assert failure is not None and isinstance(failure.exchange, Exchange)
    assert failure.exchange.scenario == "prop_txid_invalid"
    assert fixed is None  # the fixed scenario's printable value may be echoed


def test_raw_send__line_breaks_and_nul_are_recorded_as_exchanges() -> None:
    with reference_context(examples=60, seed=5) as ctx:
        raw = [e for e in ctx.exchanges("prop_txid_invalid") if e.label == "raw"]
    assert raw and all(e.operation == "other" and e.response is not None for e in raw)
    values = [e.sent_transaction_id or "" for e in raw]
    assert any("\r\n" in v or "\n" in v for v in values)
    assert all(e.status == 400 and not e.issued_token() for e in raw)
    assert all(e.request.header("authorization") for e in raw)


def test_same_seed__same_requests_other_seed__other_requests() -> None:
    def record(seed: int) -> list[tuple[object, ...]]:
        with reference_context(examples=15, seed=seed) as ctx:
            return requests_of(ctx, PROPERTIES)

    first, again, other = record(7), record(7), record(8)
    assert first == again
    assert first != other


def test_budget_and_time__stop_the_properties_cleanly() -> None:
    with reference_context(examples=100, max_requests=150) as ctx:
        sent = [len(ctx.exchanges(name)) for name in PROPERTIES]
        assert ctx.sender.requests_sent == 150
    assert sum(sent) <= 150 and sent[-1] == 0
    with reference_context(examples=100, max_time=0.0) as ctx:
        assert [len(ctx.exchanges(name)) for name in PROPERTIES] == [0] * len(PROPERTIES)


# --- Basic credentials with characters that change under form-urlencoding ------------------

CREDENTIAL_TEXT = st.text(
    st.one_of(
        st.sampled_from(":%+ "), st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"])
    ),
    min_size=1,
    max_size=16,
)
CREDENTIAL_EDGES = [(":", ":"), ("%", "%25"), ("+", " "), ("a b:c", "d%2Bé"), ("é€😀", "100%")]


def generated_credentials(count: int) -> list[tuple[str, str]]:
    """`count`-odd (client id, secret) pairs drawn by hypothesis, ids unique."""
    drawn: dict[str, str] = {}

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(client_id=CREDENTIAL_TEXT, secret=CREDENTIAL_TEXT)
    def collect(client_id: str, secret: str) -> None:
        drawn.setdefault(client_id, secret)

    for client_id, secret in CREDENTIAL_EDGES:
        collect = example(client_id=client_id, secret=secret)(collect)
    collect()
    return list(drawn.items())


def toml_string(text: str) -> str:
    """`text` as a TOML basic string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return (
        '"'
        + "".join(f"\\u{ord(c):04x}" if ord(c) < 0x20 or c == "\x7f" else c for c in escaped)
        + '"'
    )


def accounts_toml(credentials: Sequence[tuple[str, str]]) -> str:
    rows = ['[[institutions]]\nid = "00016"\n']
    for client_id, secret in credentials:
        rows.append(
            f"[[clients]]\nclient_id = {toml_string(client_id)}\n"
            f'client_secret = {toml_string(secret)}\ninstitution_id = "00016"\n'
            'grants = ["client_credentials"]\nscopes = ["accounts:read"]\n'
        )
    return "\n".join(rows)


@pytest.mark.requirement("AUTH-SPECIAL-CHARS")
def test_basic_credentials__generated_special_characters_authenticate() -> None:
    credentials = generated_credentials(150)
    assert len(credentials) >= 100
    assert all(pair in credentials for pair in CREDENTIAL_EDGES)
    assert any(set(client_id) & set(":%+ ") for client_id, _ in credentials)
    assert any(any(ord(c) > 0x7F for c in secret) for _, secret in credentials)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "accounts.toml"
        path.write_text(accounts_toml(credentials), encoding="utf-8")
        accounts = load_accounts(path)
    settings_ = Settings(institution_id="00016", max_requests=len(credentials))
    with ReferenceServer(accounts=accounts) as server:
        sender = Sender(settings_, Redactor(), server.url)
        refused = []
        try:
            for client_id, secret in credentials:
                auth = Client(client_id, secret)
                exchange = sender.send("basic", "token", form={"grant_type": CC}, auth=auth)
                if not exchange.issued_token():
                    refused.append((client_id, exchange.status))
        finally:
            sender.close()
    assert refused == []
