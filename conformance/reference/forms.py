"""Reading and strictly parsing form-urlencoded request bodies (rule 4, D15).

Strict means: the right Content-Type, a bounded size read as a stream, UTF-8 text,
every `%` escape valid, every field `name=value`, and no field twice (RFC 6749 3.2
forbids repeated parameters). Anything else is a 400 CMN_90011, never a 500.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request

from .errors import ApiError, Problem

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
JSON_MEDIA_TYPE = "application/json"
MAX_BODY_BYTES = 64 * 1024
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii"})

Params = dict[str, str]


def media_type(request: Request) -> tuple[str, dict[str, str]] | None:
    """The request's media type (lower case) and parameters; None if not exactly one."""
    values = request.headers.getlist("content-type")
    if len(values) != 1:
        return None
    kind, *params = values[0].split(";")
    parsed: dict[str, str] = {}
    for param in params:
        name, _, value = param.partition("=")
        parsed[name.strip().lower()] = value.strip().strip('"').lower()
    return kind.strip().lower(), parsed


async def read_form(
    request: Request,
    *,
    accept_json: bool = False,
    first_wins: bool = False,
    large_500: bool = False,
    escapes_500: bool = False,
) -> Params:
    """The body's parameters, or ApiError (400 CMN_90011) for anything not a clean form.

    `accept_json` is the `json-body-accepted` fault: a JSON object body is taken as
    the parameters. `first_wins` is the `rfc-repeated-param-first-wins` fault;
    `large_500` and `escapes_500` the `large-body-500` and `percent-escape-500` ones.
    """
    content = media_type(request)
    if content is not None and accept_json and content[0] == JSON_MEDIA_TYPE:
        return parse_json_object(await read_body(request))
    if content is None or content[0] != FORM_MEDIA_TYPE:
        raise ApiError(Problem.INVALID_REQUEST, f"Content-Type must be {FORM_MEDIA_TYPE}")
    if content[1].get("charset", "utf-8") not in _CHARSETS:
        raise ApiError(Problem.INVALID_REQUEST, "the body must be UTF-8")
    body = await read_body(request, large_500=large_500)
    if escapes_500:
        _decode_escapes_by_hand(body)
    return parse_form(body, first_wins=first_wins)


async def read_body(
    request: Request, limit: int = MAX_BODY_BYTES, *, large_500: bool = False
) -> bytes:
    """The body, read as a stream and refused once it passes `limit` bytes.

    Reading stops at the limit, so an oversized body never sits in memory; the
    server discards the unread rest. `large_500` is the `large-body-500` fault.
    """
    # The bug under test: a body past the buffer's size overflows it instead of being refused.
    too_large = (
        ApiError(Problem.INTERNAL, "the body overflowed its buffer")
        if large_500
        else ApiError(Problem.INVALID_REQUEST, "the body is too large")
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
    except ClientDisconnect:
        # Nobody will read the answer; an error keeps the handler from going on.
        raise ApiError(Problem.INVALID_REQUEST, "the client disconnected") from None
    return b"".join(chunks)


def parse_form(body: bytes, *, first_wins: bool = False) -> Params:
    """Parameters of a form-urlencoded body, refusing anything ambiguous.

    `first_wins` (a fault) takes a repeated parameter's first value instead of refusing it.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(Problem.INVALID_REQUEST, "the body must be UTF-8") from None
    if _BAD_ESCAPE.search(text):
        raise ApiError(Problem.INVALID_REQUEST, "the body has an invalid %-escape")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (ValueError, UnicodeDecodeError):
        # UnicodeDecodeError: an escape such as %ff that decodes to invalid UTF-8.
        raise ApiError(Problem.INVALID_REQUEST, "the body is not form-urlencoded") from None
    return unique_params(pairs, first_wins=first_wins)


def _decode_escapes_by_hand(body: bytes) -> None:
    """The `percent-escape-500` fault: each `%` takes the two characters after it as hex,
    and each field's decoded bytes as UTF-8, unchecked, so a malformed escape ('%',
    '%G1') or one that decodes to invalid UTF-8 ('%e9') fails the request with a 500
    before the strict parser could refuse it. A body that is not UTF-8 text to begin
    with is left to the strict parser: its refusal (400) is not this fault's."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return
    try:
        for field in body.split(b"&"):
            head, *escaped = field.split(b"%")
            decoded = bytearray(head)
            for piece in escaped:
                decoded.append(int(piece[:2].decode("utf-8"), 16))
                decoded += piece[2:]
            decoded.decode("utf-8")
    except ValueError:  # UnicodeDecodeError is one too
        raise ApiError(Problem.INTERNAL, "the body could not be decoded") from None


def parse_query(query: str) -> Params:
    """Parameters of a URL query string, parsed as strictly as a body."""
    return parse_form(query.encode("latin-1"))


def parse_json_object(body: bytes) -> Params:
    """A JSON object of string values as parameters (the `json-body-accepted` fault)."""
    try:
        value = json.loads(body)
    except ValueError:
        raise ApiError(Problem.INVALID_REQUEST, "the body is not valid JSON") from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ApiError(Problem.INVALID_REQUEST, "the body must be an object of strings")
    return {str(k): v for k, v in value.items()}


def unique_params(pairs: list[tuple[str, str]], *, first_wins: bool = False) -> Params:
    """The pairs as a mapping; a repeated name is an error (RFC 6749 3.2)."""
    params: Params = {}
    for name, value in pairs:
        if name in params:
            if first_wins:
                continue
            raise ApiError(Problem.INVALID_REQUEST, "a parameter is repeated")
        params[name] = value
    return params
