"""Schemathesis cases as the suite's requests: documents, form bodies, and judged negatives.

The phase generates from our own OpenAPI document (`specs/openapi-<edition>.yaml`) but
sends through the suite's sender, so this module turns a schemathesis `Case` body into
the bytes that go on the wire, and decides what those bytes mean: a generated negative
case is judged by SCHEMA-NEGATIVE-REJECTED only when a *required* field of its grant is
broken on the wire. Everything else a negative case may break (an unknown parameter, an
optional `scopes` of the wrong type) a server may lawfully ignore (RFC 6749 3.2).
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

import jsonschema
import schemathesis
import yaml
from schemathesis import APIOperation, Case
from schemathesis.core import NOT_SET

from conformance.contract import GRANTS, contract_for
from conformance.openapi import openapi_path

FORM = "application/x-www-form-urlencoded"
POSITIVE = "positive"
NEGATIVE = "negative"  # the label SCHEMA-NEGATIVE-REJECTED judges
OPTIONAL_ONLY = "optional-only"
HEADER_NEGATIVE = "header-negative"
REQUEST_SHAPE = "request-shape"
# Parameters with a meaning at a token endpoint (RFC 6749, 7521, 7523, 7636, 8693, 8707)
# or in this contract. A positive case's unknown parameters never take these names, in
# any case: a server may honour them, and then the case would test them, not RFC 6749 3.2.
RESERVED_PARAMETERS = frozenset(
    {
        "grant_type",
        "scope",
        "scopes",
        "username",
        "password",
        "code",
        "refresh_token",
        "token",
        "redirect_uri",
        "client_id",
        "client_secret",
        "code_verifier",
        "assertion",
        "client_assertion",
        "client_assertion_type",
        "resource",
        "audience",
        "requested_token_type",
        "subject_token",
        "subject_token_type",
        "actor_token",
        "actor_token_type",
        "device_code",
    }
)


@functools.cache
def _document(edition: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(openapi_path(edition).read_text(encoding="utf-8"))
    return loaded


def token_path(edition: str) -> str:
    """The token operation's path in the edition's document (the target's may differ)."""
    return str(contract_for(edition).meta["token_path"])


def _form_media(document: dict[str, Any], edition: str) -> dict[str, Any]:
    operation = document["paths"][token_path(edition)]["post"]
    media: dict[str, Any] = operation["requestBody"]["content"][FORM]
    return media


def _branches(document: dict[str, Any], edition: str) -> dict[str, dict[str, Any]]:
    schemas = document["components"]["schemas"]
    refs = _form_media(document, edition)["schema"]["oneOf"]
    branches = [schemas[ref["$ref"].rsplit("/", 1)[1]] for ref in refs]
    return {branch["properties"]["grant_type"]["const"]: branch for branch in branches}


def grant_schemas(edition: str) -> dict[str, dict[str, Any]]:
    """Each grant's request schema (a branch of the body's oneOf), by its grant_type const.
    Shared and cached: read them, never change them."""
    return _branches(_document(edition), edition)


def token_operation(edition: str, grant: str | None = None) -> APIOperation[Any, Any, Any, Any]:
    """The token operation of a freshly loaded schema: the document, or its positive
    variant for one grant. Fresh per call: a schemathesis schema keeps state between
    uses (the coverage phase remembers which methods it probed), and a run must not
    depend on the one before it."""
    document = copy.deepcopy(_document(edition))
    if grant is not None:
        branch = _branches(document, edition)[grant]
        _narrow_to_grant(_form_media(document, edition), grant, branch)
    return schemathesis.openapi.from_dict(document)[token_path(edition)]["POST"]


def _narrow_to_grant(media: dict[str, Any], grant: str, branch: dict[str, Any]) -> None:
    """Make the body schema one grant's required fields plus unknown string parameters.

    The document says `additionalProperties: false` (a client should send nothing else),
    but RFC 6749 3.2 says a server MUST ignore unrecognized parameters, so a body with
    extra ones is still a valid request. The optional fields are left out (the platform's
    `scopes`, RFC 6749's `scope` and `redirect_uri`): which scopes a client holds is not
    configured, unknown ones are rightly refused (SCOPES-UNKNOWN, RFC-SCOPE-UNKNOWN), and
    what the run configures is added as configured (`positive_form`'s credentials).
    """
    required = list(branch["required"])
    media["schema"] = {
        "type": "object",
        "required": required,
        "properties": {name: branch["properties"][name] for name in required},
        "additionalProperties": {"type": "string"},
    }
    examples = media.get("examples", {})
    media["examples"] = {k: v for k, v in examples.items() if v["value"]["grant_type"] == grant}


def positive_form(body: Any, grant: str, credentials: Mapping[str, str]) -> bytes:
    """A positive case's body with the real credentials in place of generated ones.

    Generated unknown parameters stay, in their generated order, unless their name is
    empty or has a meaning at a token endpoint (in any letter case).
    """
    pairs: list[tuple[str, str]] = []
    for name, value in dict(body if isinstance(body, Mapping) else {}).items():
        if name in credentials:
            pairs.append((name, credentials[name]))
        elif name == "grant_type":
            pairs.append((name, grant))
        elif name and isinstance(value, str) and name.lower() not in RESERVED_PARAMETERS:
            pairs.append((name, value))
    given = {name for name, _ in pairs}
    missing = [("grant_type", grant)] if "grant_type" not in given else []
    missing += [(name, value) for name, value in credentials.items() if name not in given]
    return encode_form(missing + pairs)


def _wire_text(value: Any) -> str:
    # A form carries text only: a generated non-string value goes as its JSON spelling.
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def form_pairs(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A generated object as form pairs; a list value repeats its field (as forms do)."""
    pairs: list[tuple[str, str]] = []
    for name, value in body.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((str(name), _wire_text(item)))
    return pairs


def encode_form(pairs: list[tuple[str, str]]) -> bytes:
    """Form-urlencode `pairs` as UTF-8; a lone surrogate is sent as its raw bytes."""
    return urlencode(pairs, errors="surrogatepass").encode("ascii")


def encode_body(body: Any) -> bytes:
    """The bytes a generated body is sent as: an object as a form, text as itself, any
    other value (a negative case may make the body an array or a number) as JSON text."""
    if isinstance(body, Mapping):
        return encode_form(form_pairs(body))
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8", errors="surrogatepass")
    return json.dumps(body, ensure_ascii=False).encode("utf-8", errors="surrogatepass")


def wire_fields(body: bytes) -> dict[str, list[str]] | None:
    """The fields a server reads from a form body (None when it is not UTF-8)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    fields: dict[str, list[str]] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        fields.setdefault(name, []).append(value)
    return fields


def required_violations(body: bytes, edition: str) -> list[str]:
    """What `body`, as sent, breaks among the required fields of its grant ([]: nothing).

    Decided on the wire, not on the generated value: a number sent as "0" is a valid
    string there. Only required fields count; the body is judged against its grant's
    schema after dropping every other key. Messages name fields and rules, never values.
    """
    fields = wire_fields(body)
    if fields is None:
        return ["body: not UTF-8"]
    grants = fields.get("grant_type", [])
    if len(grants) != 1:
        return ["grant_type: " + ("missing" if not grants else "repeated")]
    branch = grant_schemas(edition).get(grants[0])
    if branch is None:
        return ["grant_type: names no grant"]
    required = list(branch["required"])
    found = [f"{name}: repeated" for name in required if len(fields.get(name, [])) > 1]
    stripped = {name: fields[name][0] for name in required if name in fields}
    for error in jsonschema.Draft202012Validator(branch).iter_errors(stripped):
        where = ".".join(str(p) for p in error.absolute_path) or _missing_field(error)
        found.append(f"{where}: {error.validator}")
    return sorted(found)


def _missing_field(error: jsonschema.ValidationError) -> str:
    if error.validator == "required" and isinstance(error.message, str):
        return error.message.split("'")[1] if "'" in error.message else "body"
    return "body"


def wire_grant(body: bytes) -> str | None:
    """The grant a body names, when it names exactly one known grant."""
    values = (wire_fields(body) or {}).get("grant_type", [])
    return values[0] if len(values) == 1 and values[0] in GRANTS else None


def case_body(case: Case[Any]) -> bytes:
    """The bytes a generated case's body is sent as (empty when the case has none)."""
    return b"" if case.body is NOT_SET else encode_body(case.body)


def request_label(
    body: bytes, edition: str, *, negative: bool, headers_valid: bool
) -> tuple[str, str | None]:
    """The label of a generated request, and for a `negative` one the required fields it
    broke as sent. Only `negative` ones are judged by SCHEMA-NEGATIVE-REJECTED, and only
    a request whose headers are all valid can be one (a broken header has requirements
    of its own: TXID-*, INST-*, AUTH-*)."""
    if not negative:
        return POSITIVE, None
    if not headers_valid:
        return HEADER_NEGATIVE, None
    violations = required_violations(body, edition)
    if not violations:
        return OPTIONAL_ONLY, None  # a server may ignore the rest (RFC 6749 3.2)
    return NEGATIVE, "; ".join(violations)
