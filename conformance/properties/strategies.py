"""Hypothesis strategies for the values the properties send.

Every value is drawn from these (and so replayed by `--seed N`): header-name
spellings, invalid transactionIds, `scopes` strings, extra form parameters, and under
RFC 6749 grant types and scope tokens no server defines.
"""

from __future__ import annotations

import re
import string
import uuid
from dataclasses import dataclass

from hypothesis import strategies as st

# What h11 (httpx's HTTP/1.1 layer) puts on the wire as a field value: no NUL, no
# CR/LF/VT/FF, no whitespace at either end. Other values need a raw send.
_H11_FIELD_VALUE = re.compile(rb"[^\x00\s]+(?:[ \t]+[^\x00\s]+)*")

PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
MARKUP = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "</transactionId>",
    "<!--",
    "<b>",
)
QUOTES = ("'", '"', "';--", '\\"', "`", "%22")
# Control characters h11 sends unchanged (all but NUL, CR, LF, VT, FF).
CONTROLS = "".join(chr(c) for c in range(1, 0x20) if chr(c) not in "\n\r\x0b\x0c") + "\x7f"
# Line breaks and bytes only a raw send can carry; CR LF and LF are header injections.
RAW_BREAKS = ("\r\n", "\n", "\r", "\x00", "\x0b", "\x0c")
INJECTED_HEADER = "X-Conformance-Injected"
UNKNOWN_SCOPE_PREFIX = "conformance-unknown-"
# RFC 6749 A.10: grant-name = 1*name-char, name-char = "-" / "." / "_" / DIGIT / ALPHA.
NAME_CHARS = string.ascii_letters + string.digits + "-._"
# Grant types with a meaning at some token endpoint, in lower case: RFC 6749's four, the
# extension grants registered with IANA (RFC 7522, 7523, 8628, 8693, and CIBA) and
# implicit (an authorization endpoint's response type, sometimes taken for a grant).
KNOWN_GRANT_TYPES = frozenset(
    {
        "authorization_code",
        "password",
        "client_credentials",
        "refresh_token",
        "implicit",
        "urn:openid:params:grant-type:ciba",
    }
)
REGISTERED_GRANT_PREFIX = "urn:ietf:params:oauth:grant-type:"
# A URI no server defines a grant for: RFC 2606's example namespace, the suite's name.
UNSUPPORTED_GRANT_PREFIXES = ("urn:example:conformance:", "https://conformance.example/")
# RFC 6749 A.4: NQCHAR = %x21 / %x23-5B / %x5D-7E, what a scope-token is made of.
NQCHAR = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '"\\')


def header_casings(name: str) -> st.SearchStrategy[str]:
    """`name` with each letter's case drawn independently."""
    return st.lists(st.booleans(), min_size=len(name), max_size=len(name)).map(
        lambda upper: "".join(
            c.upper() if u else c.lower() for c, u in zip(name, upper, strict=True)
        )
    )


def h11_sendable(value: bytes) -> bool:
    """Whether httpx (h11) will send `value` as a header value."""
    return value == b"" or _H11_FIELD_VALUE.fullmatch(value) is not None


def is_uuid(value: bytes) -> bool:
    """Whether any UUID parser could take `value` for a UUID (such values are not
    generated as invalid: braces, URNs or bare hex are a matter of taste)."""
    try:
        uuid.UUID(value.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return True


def _around(core: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    affix = st.text(PRINTABLE, max_size=8)
    return st.builds(lambda a, c, b: a + c + b, affix, core, affix)


def _sendable_invalid() -> st.SearchStrategy[bytes]:
    too_long = st.builds(
        lambda u, tail: str(u) + tail, st.uuids(), st.text(PRINTABLE, min_size=1, max_size=300)
    )
    texts = st.one_of(
        st.just(""),
        st.text(PRINTABLE, min_size=1, max_size=40),
        too_long,
        _around(st.sampled_from(MARKUP)),
        _around(st.sampled_from(QUOTES)),
        _around(st.text(CONTROLS, min_size=1, max_size=3)),
        st.text(st.characters(min_codepoint=0x80, codec="utf-8"), min_size=1),
    )
    # Whitespace at the ends is not part of a field value (RFC 9110 5.5): strip it.
    return texts.map(lambda s: s.strip(" \t").encode("utf-8")).filter(h11_sendable)


def raw_transaction_ids() -> st.SearchStrategy[bytes]:
    """Values with a line break, NUL, VT or FF in the middle; after CR LF or LF, a
    header line, so a target that splits the value would grow an injected header."""

    def build(prefix: str, brk: str, suffix: str) -> bytes:
        tail = f"{INJECTED_HEADER}: {suffix}" if brk.endswith("\n") else suffix
        return f"{prefix}{brk}{tail}".encode("ascii")

    word = st.text(_ALNUM, min_size=1, max_size=8)
    return st.builds(build, word, st.sampled_from(RAW_BREAKS), word)


def invalid_transaction_ids(raw: bool) -> st.SearchStrategy[bytes]:
    """transactionIds that are not UUIDs: empty, too long, any printable text, markup,
    quotes, control characters, non-ASCII; with `raw`, also line breaks and NUL."""
    values = _sendable_invalid()
    if raw:
        values = st.one_of(values, raw_transaction_ids())
    return values.filter(lambda value: not is_uuid(value))


def scopes_values() -> st.SearchStrategy[tuple[str, bool]]:
    """A `scopes` value and whether it names a scope no target has (the marker
    prefix): comma lists of scope-like words, blanks, empty items and any text."""
    word = st.from_regex(r"[a-z]{1,10}(:[a-z]{1,10})?", fullmatch=True)
    unknown = st.text(_ALNUM, min_size=1, max_size=8).map(UNKNOWN_SCOPE_PREFIX.__add__)
    item = st.one_of(word, unknown, st.sampled_from(("", " ", "  ")), st.text(max_size=10))
    items = st.lists(item, min_size=1, max_size=5)
    separator = st.sampled_from((",", ", ", " ,"))
    return st.builds(
        lambda parts, sep: (
            sep.join(parts),
            any(p.startswith(UNKNOWN_SCOPE_PREFIX) for p in parts),
        ),
        items,
        separator,
    )


def extra_parameters() -> st.SearchStrategy[list[tuple[str, str]]]:
    """Up to two parameters no grant defines ("x-" names), which RFC 6749 3.2 says a
    server ignores; printable values, so no target refuses them as non-printable."""
    pair = st.tuples(
        st.from_regex(r"x-[a-z]{1,8}", fullmatch=True), st.text(PRINTABLE, max_size=16)
    )
    return st.lists(pair, max_size=2, unique_by=lambda p: p[0])


FORM_SLOTS = 5  # the most parameters a shaped form has: three, and two extras


@dataclass(frozen=True)
class FormShape:
    """How to lay out a valid form: repeat grant_type (with `again`) or not, ask for
    the password grant or not, which extras to add, and in which order."""

    repeated: bool
    again: str
    password: bool
    extras: list[tuple[str, str]]
    order: list[int]

    def arrange(self, form: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """`form` with grant_type repeated when asked, the extras added, in `order`."""
        pairs = form + ([("grant_type", self.again)] if self.repeated else []) + self.extras
        return [pairs[i] for i in self.order if i < len(pairs)]


def form_shapes() -> st.SearchStrategy[FormShape]:
    """Form layouts; a permutation of FORM_SLOTS indices orders any shorter form too."""
    return st.builds(
        FormShape,
        repeated=st.booleans(),
        again=st.sampled_from(("client_credentials", "password")),
        password=st.booleans(),
        extras=extra_parameters(),
        order=st.permutations(range(FORM_SLOTS)),
    )


def unsupported_grant_types() -> st.SearchStrategy[str]:
    """grant_type values in RFC 6749's syntax (A.10) that no server defines: grant names
    of any name-chars but the known grants' (in any case), and URIs under an example
    namespace. Never empty: an empty grant_type is an omitted one (3.2)."""
    names = st.text(NAME_CHARS, min_size=1, max_size=24)
    uris = st.builds(
        str.__add__,
        st.sampled_from(UNSUPPORTED_GRANT_PREFIXES),
        st.text(NAME_CHARS, min_size=1, max_size=16),
    )
    return st.one_of(names, uris).filter(
        lambda value: (
            value.lower() not in KNOWN_GRANT_TYPES
            and not value.lower().startswith(REGISTERED_GRANT_PREFIX)
        )
    )


@dataclass(frozen=True)
class ScopeRequest:
    """An RFC 6749 3.3 `scope` to ask for: scope tokens no server grants (`marker`
    followed by NQCHARs), with the configured scope among them when `configured`."""

    unknown: list[str]
    configured: bool
    at: int  # where the configured scope goes among the unknown tokens

    def value(self, configured: str | None) -> str:
        tokens = list(self.unknown)
        if self.configured and configured:
            tokens.insert(self.at % (len(tokens) + 1), configured)
        return " ".join(tokens)


def scope_requests(marker: str) -> st.SearchStrategy[ScopeRequest]:
    """One to three scope tokens, each `marker` and up to twelve NQCHARs (RFC 6749 A.4),
    space-separated, sometimes beside the configured scope."""
    token = st.text(NQCHAR, max_size=12).map(marker.__add__)
    return st.builds(
        ScopeRequest,
        unknown=st.lists(token, min_size=1, max_size=3, unique=True),
        configured=st.booleans(),
        at=st.integers(0, 3),
    )
