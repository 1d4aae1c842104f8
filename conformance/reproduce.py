"""Curl lines that reproduce a recorded request, pasted into a shell as they are.

A reproduction reads the credentials from the same CONFORMANCE_* variables a run reads
(`variables`: name -> the value the run used), so it runs where the run ran and shows
nothing secret: the Basic header is built in the shell from the client's id and secret
(RFC 6749 2.3.1: each form-urlencoded, then base64, by `python3 -c`, which gets ':',
'%', '+', spaces and non-ASCII right where a shell would not), and a body field holding
a secret is form-encoded by curl (`--data-urlencode`) from its variable. A value spelled
almost like a secret (D28's near-misses) is derived from the variable in the shell too.
A token or code the run obtained cannot be reused: the line reads it from a variable
named after its field ($REFRESH_TOKEN, $CODE, $TOKEN). Headers that describe the
recorded bytes (Content-Length, Host) are left to curl, which computes them for the
body it sends; a kept Content-Length over a rebuilt body would make curl wait until
the target times out. A chunked body stays chunked: curl, told Transfer-Encoding: chunked,
sends its data that way.
"""

from __future__ import annotations

import base64
import binascii
import shlex
from collections.abc import Callable, Mapping
from urllib.parse import quote_plus, unquote_plus

from conformance.exchange import RecordedRequest

Mask = Callable[[str], str]

# The Basic credentials of RFC 6749 2.3.1 from two arguments; os.fsencode gives back the
# bytes the shell passed, whatever the locale.
BASIC_SNIPPET = (
    "python3 -c 'import base64,os,sys;from urllib.parse import quote_plus as q;"
    'print(base64.b64encode(b":".join(q(os.fsencode(a)).encode() for a in sys.argv[1:]))'
    ".decode())'"
)
# Near-misses of a value (scenarios.base.near_misses), derived in the shell from its variable.
DERIVED: dict[str, tuple[Callable[[str], str], str]] = {
    "truncated": (lambda s: s[:-1], "python3 -c 'import sys;print(sys.argv[1][:-1],end=\"\")'"),
    "case-changed": (
        lambda s: s.swapcase(),
        "python3 -c 'import sys;print(sys.argv[1].swapcase(),end=\"\")'",
    ),
}
# Secret fields rebuilt only from a configured value: a value the run obtained for any
# other (a token or code) is read from a variable named after the field.
CONFIGURED_FIELDS = frozenset({"password", "client_secret"})
DROPPED_HEADERS = frozenset({"content-length", "host", "transfer-encoding"})
MASKED_HEADERS = frozenset({"proxy-authorization", "cookie"})
MIN_LENGTH = 4  # shorter values are not looked for inside others (they would match words)


class _Words:
    """Shell words for values, each a variable's expansion where the value came from one."""

    def __init__(
        self, variables: Mapping[str, str], mask: Mask, masked: str, fields: frozenset[str]
    ) -> None:
        # longest first: a value holding two known values splits on the longer
        self._known = sorted(
            ((name, value) for name, value in variables.items() if value),
            key=lambda item: -len(item[1]),
        )
        self._mask = mask
        self.masked = masked
        self.secret_fields = fields

    def expand(self, value: str) -> str | None:
        """A shell word that expands to `value` through the variables, or None when no
        variable's value (or near-miss of one) is in it, or a secret besides them is."""
        for name, known in self._known:
            if value == known:
                return f'"${name}"'
            for derive, snippet in DERIVED.values():
                if len(known) > 1 and value == derive(known) != known:
                    return f'"$({snippet} "${name}")"'
        for name, known in self._known:
            if len(known) < MIN_LENGTH or known not in value:
                continue
            pieces: list[str] = []
            for index, part in enumerate(value.split(known)):
                if index:
                    pieces.append(f'"${name}"')
                if part:
                    inner = self.expand(part)
                    if inner is None and self.looks_secret(part):
                        return None
                    pieces.append(inner or shlex.quote(part))
            return "".join(pieces)
        return None

    def looks_secret(self, value: str) -> bool:
        """A value the redactor masks, or one holding a near-miss of a known value,
        which the redactor does not know."""
        if self._mask(value) != value:
            return True
        for _, known in self._known:
            if len(known) > MIN_LENGTH:
                spellings = {known[:-1], known.swapcase()}
                if any(spelling in value for spelling in spellings):
                    return True
        return False

    def shown(self, value: str) -> str:
        """`value` quoted as it is, or masked where no variable rebuilds a secret in it."""
        return shlex.quote(self.masked if self.looks_secret(value) else value)


def _decoded(payload: str) -> str:
    try:
        return base64.b64decode(payload, validate=True).decode("utf-8", errors="replace")
    except binascii.Error:
        return ""


def _basic(value: str, words: _Words) -> str | None:
    """`Basic <credentials>` as a shell word building them from the variables, or None
    when `value` is not Basic credentials as RFC 6749 2.3.1 encodes them from some."""
    scheme, _, payload = value.partition(" ")
    decoded = _decoded(payload)
    client_id, colon, secret = (unquote_plus(part) for part in decoded.partition(":"))
    rebuilt = base64.b64encode(f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()).decode()
    if scheme.lower() != "basic" or not colon or rebuilt != payload:
        return None
    words_of = [words.expand(client_id), words.expand(secret)]
    if words_of == [None, None]:
        return None  # credentials the run made up: shown as sent
    for index, (part, word) in enumerate(zip((client_id, secret), words_of, strict=True)):
        if word is None:
            if words.looks_secret(part):
                return None
            words_of[index] = shlex.quote(part)
    return f'"{scheme} $({BASIC_SNIPPET} {words_of[0]} {words_of[1]})"'


def _header(name: str, value: str, words: _Words) -> list[str]:
    lower = name.lower()
    if lower == "transfer-encoding" and value.strip().lower() == "chunked":
        return ["-H", shlex.quote(f"{name}: {value}")]
    if lower in DROPPED_HEADERS:
        return []
    if lower == "accept-encoding":
        return ["--compressed"]  # curl asks for what it can decode, and decodes it
    if lower == "authorization":
        basic = _basic(value, words)
        if basic is not None:
            return ["-H", shlex.quote(f"{name}: ") + basic]
        scheme, _, payload = value.partition(" ")
        if words.looks_secret(value) or words.looks_secret(_decoded(payload)):
            return ["-H", shlex.quote(f"{name}: {scheme} {words.masked}")]
    if lower in MASKED_HEADERS:
        return ["-H", shlex.quote(f"{name}: {words.masked}")]
    expanded = words.expand(value)
    if expanded is not None:
        return ["-H", shlex.quote(f"{name}: ") + expanded]
    return ["-H", shlex.quote(f"{name}: " + (words.masked if words.looks_secret(value) else value))]


def _printable(text: str) -> bool:
    return all(ch == "\t" or (ch >= " " and ch != "\x7f") for ch in text)


def _form_args(text: str, words: _Words) -> list[str] | None:
    """The body as curl data arguments, a secret field rebuilt from its variable (or,
    for a token or code, a variable of its name); None when a secret in it cannot be."""
    args: list[str] = []
    literal: list[str] = []  # raw segments sent as recorded; curl joins arguments by '&'
    for segment in text.split("&"):
        key_raw, equals, value_raw = segment.partition("=")
        key, value = unquote_plus(key_raw), unquote_plus(value_raw)
        word = words.expand(value) if value else None
        if word is None and words.looks_secret(value):
            placeholder = key in words.secret_fields - CONFIGURED_FIELDS
            word = f'"${key.upper()}"' if placeholder else None
            if word is None:
                return None
        if word is None:  # nothing secret: as sent, a value the run made up included
            if words.looks_secret(segment):
                return None
            literal.append(segment)
            continue
        if not equals or not key_raw or words.looks_secret(key_raw):
            return None
        if literal:
            args += ["--data-binary", shlex.quote("&".join(literal))]
            literal = []
        args += ["--data-urlencode", shlex.quote(f"{key_raw}=") + word]
    if literal:
        args += ["--data-binary", shlex.quote("&".join(literal))]
    return args


def _body_args(body: bytes, words: _Words) -> tuple[list[str], str]:
    """curl's data arguments for `body`, and what to pipe into curl (a shell prefix)."""
    try:
        text: str | None = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and _printable(text):
        rebuilt = _form_args(text, words)
        return (rebuilt if rebuilt is not None else ["--data-binary", words.shown(text)]), ""
    # Bytes a command line cannot hold (controls, newlines, not UTF-8): printf writes them.
    secret = words.looks_secret(body.decode("utf-8", errors="replace"))
    shown = words.masked.encode() if secret else body
    escaped = "".join(
        chr(b) if 32 <= b < 127 and b not in b"\\'%" else f"\\0{b:03o}" for b in shown
    )
    return ["--data-binary", "@-"], f"printf %b '{escaped}' | "


def curl_line(
    request: RecordedRequest,
    variables: Mapping[str, str],
    mask: Mask,
    masked: str,
    secret_fields: frozenset[str],
) -> str:
    """A curl command that sends `request` again, reading credentials from `variables`'
    names, never showing a secret: `mask` hides what the redactor knows, `masked` is
    what it shows instead, `secret_fields` the form fields that hold secrets."""
    words = _Words(variables, mask, masked, secret_fields)
    parts = ["curl", "-i", "-X", request.method, words.shown(request.url)]
    for name, value in request.headers:
        parts += _header(name, value, words)
    prefix = ""
    if request.body:
        if request.header("content-type") is None:
            parts += ["-H", "'Content-Type:'"]  # curl would add its own
        data, prefix = _body_args(request.body, words)
        parts += data
    return prefix + " ".join(parts)
