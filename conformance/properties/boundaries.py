"""Boundary inputs tried in every run, whatever the seed (D20, D25, D31).

Random generation draws a given kind of input in one run and misses it in the next, so
a target's 500 on it was caught or not by the seed's luck. Each kind below is therefore
sent as explicit examples (`Recorder.explore(explicit=...)`), run before the property
generates more of the same kinds, and recorded like every generated request, so NO-5XX and the
other run-wide checks judge them:

- transactionId (`hypothesis_phase`): a valid UUID in upper case on a 200, a 401 and
  a 400 (`prop_txid_echo`; D25 accepts either case); invalid values of every length
  D31 lists, 0 to 8 KiB (`prop_txid_invalid`);
- a repeated parameter (`prop_param_order`): grant_type twice with different values;
- the body (`prop_bodies`, here): usernames with non-ASCII letters, combining marks,
  emoji and control characters, and a password outside ASCII; a valid request whose
  ignored extra parameter holds text outside ASCII (a server may choke on it after
  issuing the tokens, writing an ASCII-only log); malformed %-escapes, escapes and raw
  bytes that are not UTF-8; a repeated username, password and scopes; a body of 1 MiB.

Logins name a user no target has (the run's seed in the name), never the configured
one: a wrong password of the configured user counts against its lock-out cap.

The Sender caps the answers it reads (max_response_bytes), not what it sends: the 1 MiB
body goes out whole, and is kept once in memory by its recorded request (the evidence
shows its first 4 KiB).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from hypothesis import strategies as st

from conformance.exchange import Exchange
from conformance.properties.recording import Recorder, examples_for, seed_for
from conformance.properties.strategies import CONTROLS
from conformance.scenarios import CC, PW, cc_form, scenario
from conformance.scenarios.base import BOTH, Cost

if TYPE_CHECKING:
    from conformance.run_context import RunContext

# D31: the transactionId lengths every run tries (0 is `prop_txid_invalid`'s own example).
TXID_LENGTHS = (1, 36, 64, 128, 256, 1024, 8192)
LARGE_BODY = 1024 * 1024
# The size around which servers commonly cap a form body (the reference's is 64 KiB).
BODY_CAP_GUESS = 64 * 1024
# Text a user field carries: letters outside ASCII, combining marks alone and on a
# letter, emoji (outside the BMP, one with a joiner), C0 and C1 controls with NUL and DEL.
USER_TEXTS = (
    "Zoë Łódź Ñandú",
    "e\u0301\u0308\u20dd",
    "\U0001f600\U0001f469\u200d\U0001f4bb",
    "ctl\x00\x01\x1b\x7f\x85",
)
NON_ASCII_PASSWORD = "Pässwörd-\u0301-\U0001f511"
# After `note=`: a lone '%', a non-hex escape, and escapes that decode to bytes that are
# not UTF-8 (a lone Latin-1 byte, a lead byte cut short, a stray continuation byte).
BAD_ESCAPES = ("%", "%G1", "%e9", "%C3%28", "%80")
# Raw bytes that are not UTF-8: Latin-1 é, an overlong '/', a lone surrogate's encoding.
NOT_UTF8 = (b"\xe9", b"\xc0\xaf", b"\xed\xa0\x80")
# How many times a repeated parameter appears in the generated cases, at most.
MAX_REPEATS = 50
# One generated body example per this many examples of the other properties.
BODY_SHARE = 10


def seeded_uuid(ctx: RunContext, name: str) -> uuid.UUID:
    """A version 4 UUID drawn from the run's seed: new each run, the same for `--seed N`."""
    return uuid.UUID(int=random.Random(seed_for(ctx, name)).getrandbits(128), version=4)


def upper_case_transaction_id(ctx: RunContext) -> str:
    """A valid transactionId in upper case (D25), with at least one letter to raise."""
    value = str(seeded_uuid(ctx, "upper-case-transaction-id")).upper()
    # The version digit is '4': a letter elsewhere is all but certain; make it certain.
    return value if any(c.isalpha() for c in value) else value[:-1] + "A"


def long_transaction_id(length: int) -> str:
    """An invalid transactionId of `length` printable characters: a UUID's shape run on
    with more hex, so no UUID parser takes it (36: the last digit is not hex)."""
    base = "f8187c63-678f-4f0c-9263-46723794661a"
    if length == len(base):
        return base[:-1] + "g"
    return (base + "0123456789abcdef" * (length // 16 + 1))[:length]


@dataclass(frozen=True)
class BodyCase:
    """A token request body of one input kind (`label`), for the grant it names."""

    label: str
    body: bytes
    grant: str


class Bodies:
    """The bodies of one run: the client_credentials form of the run, and logins of a
    user no target has (named after the run's seed)."""

    def __init__(self, ctx: RunContext) -> None:
        self.cc_pairs = list(cc_form(ctx).items())
        self.cc = urlencode(self.cc_pairs)
        self.unknown = f"conformance-{seed_for(ctx, 'unknown-user'):08x}"

    def login(self, username: str, password: str | None = None) -> BodyCase:
        """A password grant of an unknown user whose name carries `username`."""
        pairs = [("grant_type", PW), ("username", f"{username}-{self.unknown}")]
        pairs.append(("password", password or f"Passw0rd-{self.unknown}"))
        return BodyCase("user-text", urlencode(pairs).encode("ascii"), PW)

    def with_note(self, label: str, note: bytes) -> BodyCase:
        """The client_credentials form with an unknown parameter whose value is `note`
        as is (not encoded), so malformed escapes and raw bytes reach the target."""
        return BodyCase(label, self.cc.encode("ascii") + b"&note=" + note, CC)

    def repeated(self, name: str, times: int) -> BodyCase:
        """A form with parameter `name` `times` times, each value different; usernames
        and passwords are an unknown user's."""
        values = [f"{name}-{i}-{self.unknown}" for i in range(times)]
        if name in ("username", "password"):
            other = "password" if name == "username" else "username"
            pairs = [("grant_type", PW), (other, f"{other}-{self.unknown}")]
            return BodyCase("repeated", _encode(pairs + [(name, v) for v in values]), PW)
        return BodyCase("repeated", _encode(self.cc_pairs + [(name, v) for v in values]), CC)

    def large(self, size: int) -> BodyCase:
        """The client_credentials form padded to `size` bytes with an unknown parameter."""
        head = self.cc.encode("ascii") + b"&x-padding="
        return BodyCase("large-body", head + b"a" * max(0, size - len(head)), CC)

    def fixed(self) -> list[BodyCase]:
        """One of each kind, sent in every run."""
        return [
            *(self.login(text) for text in USER_TEXTS),
            self.login("ascii", NON_ASCII_PASSWORD),
            self.with_note("note-text", quote(USER_TEXTS[0]).encode("ascii")),
            *(self.with_note("percent-escape", e.encode("ascii")) for e in BAD_ESCAPES),
            *(self.with_note("not-utf8", raw) for raw in NOT_UTF8),
            self.repeated("username", 2),
            self.repeated("password", 2),
            self.repeated("scopes", 2),
            self.large(LARGE_BODY),
        ]

    def generated(self) -> st.SearchStrategy[BodyCase]:
        """More of the same kinds: any text outside ASCII or of controls in a username,
        any malformed or non-UTF-8 escape, any raw non-UTF-8 bytes, repeats, large bodies."""
        outside_ascii = st.characters(min_codepoint=0x80, codec="utf-8")
        user_text = st.text(st.one_of(outside_ascii, st.sampled_from(CONTROLS)), min_size=1)
        escape = st.one_of(
            st.sampled_from(("%", "%%")),
            st.from_regex(r"%[0-9A-Fa-f]?", fullmatch=True),
            st.from_regex(r"%[G-Zg-z!-$'-/:-@][0-9A-Za-z]?", fullmatch=True),
            st.from_regex(r"(%[89A-Fa-f][0-9A-Fa-f])+", fullmatch=True).filter(_not_utf8),
        )
        raw = st.binary(min_size=1, max_size=8).map(b"\xff".__add__)
        name = st.sampled_from(("grant_type", "scopes", "username", "password", "x-note"))
        return st.one_of(
            user_text.map(self.login),
            escape.map(lambda e: self.with_note("percent-escape", e.encode("utf-8"))),
            raw.map(lambda b: self.with_note("not-utf8", b)),
            st.builds(self.repeated, name, st.integers(2, MAX_REPEATS)),
            st.integers(BODY_CAP_GUESS - 64, 2 * BODY_CAP_GUESS).map(self.large),
        )


def _encode(pairs: list[tuple[str, str]]) -> bytes:
    return urlencode(pairs).encode("ascii")


def _not_utf8(escapes: str) -> bool:
    try:
        bytes.fromhex(escapes.replace("%", "")).decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


# Cost: its fixed bodies (`Bodies.fixed`, 19), then one for each BODY_SHARE examples.
@scenario("prop_bodies", phase="property", contracts=BOTH, cost=Cost(19, 1 / BODY_SHARE))
def prop_bodies(ctx: RunContext) -> list[Exchange]:
    """Bodies of the kinds that broke implementations: user fields outside ASCII, bad
    %-escapes, bytes that are not UTF-8, repeated parameters, large bodies. One of each
    every run, then `examples / 10` generated ones; labelled by kind."""
    rec = Recorder(ctx, "prop_bodies")
    bodies = Bodies(ctx)

    def sent(case: BodyCase) -> None:
        rec.submit(case.label, body=case.body, grant=case.grant)

    rec.explore(
        sent,
        examples_for(ctx) // BODY_SHARE,
        workers=rec.workers(),
        explicit=[{"case": case} for case in bodies.fixed()],
        case=bodies.generated(),
    )
    return rec.exchanges
