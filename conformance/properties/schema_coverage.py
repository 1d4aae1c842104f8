"""The coverage phase's cases as requests: which parts go as generated, which as configured.

A coverage case breaks one thing at a time (a header missing or malformed, a body field
at a boundary, another method or media type). What it breaks is sent as generated; what
it leaves valid is replaced by the configured value (credentials, institution) or a
fresh seeded transactionId, so a valid part never tests the credentials.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from schemathesis import Case, GenerationMode
from schemathesis.generation.meta import REQUEST_SHAPE_PROBES, coverage_scenario

from conformance.properties.schema_cases import (
    REQUEST_SHAPE,
    case_body,
    request_label,
    wire_grant,
)

UUID_FORM = re.compile("-".join(f"[0-9a-fA-F]{{{n}}}" for n in (8, 4, 4, 4, 12)))
DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class CoverageRequest:
    """A coverage case as the sender's arguments, with its label (`request_label`)."""

    label: str
    violation: str | None
    body: bytes
    method: str
    headers: dict[str, Any]  # the sender's auth / transaction_id / institution / content_type
    extra_headers: tuple[tuple[str, str | bytes], ...]

    def send_arguments(self) -> dict[str, Any]:
        token = self.method == "POST"
        return {
            "body": self.body,
            "method": self.method,
            "operation": "token" if token else "other",
            "grant": wire_grant(self.body) if token else None,
            "extra_headers": list(self.extra_headers),
            **self.headers,
        }


def _wire(value: object) -> str | bytes:
    """A header value as sent: text that is not ASCII goes as its UTF-8 bytes (httpx
    would refuse it as text), so a generated value reaches the target as generated."""
    text = value if isinstance(value, str) else str(value)
    return text if text.isascii() else text.encode("utf-8")


def _headers(
    case: Case[Any],
) -> tuple[dict[str, Any], tuple[tuple[str, str | bytes], ...], bool]:
    """The sender's header arguments, the extra headers, and whether all are valid."""
    given = {str(k).lower(): (str(k), _wire(v)) for k, v in (case.headers or {}).items()}
    arguments: dict[str, Any] = {}
    if given.pop("authorization", None) is None:
        arguments["auth"] = None  # left out on purpose; present means: the configured client
    checks = (
        ("transactionid", "transaction_id", UUID_FORM),
        ("institutionid", "institution", DIGITS),
    )
    for header, argument, form in checks:
        found = given.pop(header, None)
        if found is None:
            arguments[argument] = None
        elif isinstance(found[1], bytes) or not form.fullmatch(found[1]):
            arguments[argument] = found[1]  # the broken value is the point of the case
        # else: valid in form, so sent as a fresh seeded id or the configured institution
    media = given.pop("content-type", None)
    if media is not None:
        arguments["content_type"] = media[1]
    extra = tuple(given.values())
    return arguments, extra, not arguments and not extra


def coverage_request(case: Case[Any], edition: str) -> CoverageRequest:
    """What to send for one coverage case, and how the suite judges it."""
    arguments, extra, headers_valid = _headers(case)
    body = case_body(case)
    scenario = coverage_scenario(case)
    meta = case.meta
    label: str
    violation: str | None = None
    if case.method.upper() != "POST" or scenario in REQUEST_SHAPE_PROBES:
        label = REQUEST_SHAPE
    else:
        negative = meta is not None and meta.generation.mode == GenerationMode.NEGATIVE
        label, violation = request_label(
            body, edition, negative=negative, headers_valid=headers_valid
        )
    return CoverageRequest(label, violation, body, case.method.upper(), arguments, extra)
