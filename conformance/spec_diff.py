"""Compare our generated OpenAPI document with the platform's own (`conformance spec diff`).

Both documents are normalised first (`spec_normalise`): `$ref`s resolved, `allOf` merged,
unions spread into per-grant schemas. What is left to compare is what a person deciding
whether our contract is right needs: operations, security, headers, body and response
fields per grant, statuses, response headers and the CMN codes with their statuses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from conformance.contract import EDITIONS, GRANTS
from conformance.errors import ConfigError
from conformance.spec_facts import Field, Header, Model, Operation, Shape
from conformance.spec_normalise import normalise

AREAS = (
    "servers",
    "operations",
    "security",
    "request headers",
    "request body",
    "responses",
    "response headers",
    "response fields",
    "error codes",
)


@dataclass(frozen=True)
class Difference:
    """One point where our document and the platform's disagree."""

    area: str
    location: str
    ours: str
    theirs: str
    note: str = ""


def load_document(path: Path) -> dict[str, Any]:
    """Read an OpenAPI document (YAML or JSON); a missing or unreadable one is a ConfigError."""
    if not path.is_file():
        raise ConfigError(f"no OpenAPI document at {path}", setting="VENDOR")
    try:
        text = path.read_text(encoding="utf-8")
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as error:
        raise ConfigError(
            f"cannot read the OpenAPI document {path}: {error}", setting="VENDOR"
        ) from error
    if not isinstance(document, dict) or "paths" not in document:
        raise ConfigError(f"{path} is not an OpenAPI document (no `paths`)", setting="VENDOR")
    return document


def edition_of(document: dict[str, Any]) -> str | None:
    """The contract edition a platform document is (its `info.version`), if we know it."""
    version = str(document.get("info", {}).get("version", ""))
    return version if version in EDITIONS else None


def diff_documents(ours: dict[str, Any], vendor: dict[str, Any]) -> list[Difference]:
    """Every difference between `ours` and `vendor`, grouped by area in `AREAS` order."""
    a, b = normalise(ours, GRANTS), normalise(vendor, GRANTS)
    found = [*_servers(a, b), *_operations(a, b), *_error_codes(a, b)]
    for key, op in a.operations.items():
        if key in b.operations:
            found += _operation(key, op, b.operations[key])
    # sorted() is stable: within an area the order is the documents' own.
    return sorted(found, key=lambda d: AREAS.index(d.area))


def render_diff(differences: list[Difference]) -> str:
    """Plain text, one block per difference, grouped by area."""
    if not differences:
        return "No differences.\n"
    lines = [f"{len(differences)} differences (ours: our contract; theirs: the platform's)"]
    for area in AREAS:
        group = [d for d in differences if d.area == area]
        if group:
            lines += ["", f"{area} ({len(group)})"]
        for d in group:
            lines += [f"  {d.location}", f"    ours:   {d.ours}", f"    theirs: {d.theirs}"]
            lines += [f"    note:   {d.note}"] if d.note else []
    return "\n".join(lines) + "\n"


def render_json(differences: list[Difference], edition: str, vendor: Path) -> str:
    """The differences as a JSON document, for tools: our edition, the vendor document,
    the count, and each difference with the fields the text shows."""
    document = {
        "edition": edition,
        "vendor": str(vendor),
        "count": len(differences),
        "differences": [asdict(d) for d in differences],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _join(values: Iterable[object], empty: str = "none") -> str:
    text = ", ".join(str(v) for v in values)
    return text or empty


def _only(ours: Iterable[object], theirs: Iterable[object]) -> str:
    a, b = list(ours), list(theirs)
    if not a or not b:
        return ""  # "none" on one side already says it all
    parts = [
        f"only ours: {_join(v for v in a if v not in b)}" if set(a) - set(b) else "",
        f"only theirs: {_join(v for v in b if v not in a)}" if set(b) - set(a) else "",
    ]
    return "; ".join(p for p in parts if p)


def _servers(a: Model, b: Model) -> list[Difference]:
    if set(a.servers) == set(b.servers):
        return []
    note = _only(a.servers, b.servers)
    return [Difference("servers", "servers", _join(a.servers), _join(b.servers), note)]


def _operations(a: Model, b: Model) -> list[Difference]:
    found = []
    for key in [*a.operations, *(k for k in b.operations if k not in a.operations)]:
        if key in a.operations and key in b.operations:
            continue
        op = a.operations.get(key) or b.operations[key]
        text = f"documented ({op.label})" if op.label else "documented"
        # The contract leaves the legacy V1 endpoint out of scope (spec §1).
        note = "legacy endpoint: out of the contract's scope" if op.legacy else ""
        ours, theirs = (text, "absent") if key in a.operations else ("absent", text)
        found.append(Difference("operations", key, ours, theirs, note))
    return found


def _operation(key: str, a: Operation, b: Operation) -> list[Difference]:
    found = []
    if a.security != b.security:
        note = f"schemes: ours {_join(a.security)}, theirs {_join(b.security)}"
        if "Authorization header parameter" in b.security_text:
            # OAS: a header parameter named Authorization "SHALL be ignored".
            note += "; tools ignore an Authorization header parameter and apply the schemes"
        found.append(Difference("security", key, a.security_text, b.security_text, note))
    found += _headers("request headers", key, a.headers, b.headers)
    if set(a.body_media_types) != set(b.body_media_types):
        found.append(
            Difference(
                "request body",
                f"{key}: media types",
                _join(a.body_media_types),
                _join(b.body_media_types),
            )
        )
    found += _keyed_shapes("request body", key, a.body, b.body)
    return found + _responses(key, a, b)


def _header_text(header: Header | None) -> str:
    if header is None:
        return "absent"
    text = f"{'required' if header.required else 'optional'} {header.type}"
    return text + (f", required for {_join(sorted(header.grants))}" if header.grants else "")


def _headers(area: str, key: str, a: dict[str, Header], b: dict[str, Header]) -> list[Difference]:
    found = []
    for name in [*a, *(n for n in b if n not in a)]:  # lower-case: names are case-insensitive
        ours, theirs = a.get(name), b.get(name)
        if _header_text(ours) != _header_text(theirs):
            shown = ours or b[name]
            text = (_header_text(ours), _header_text(theirs), shown.description)
            found.append(Difference(area, f"{key}: {shown.name}", *text))
    return found


def _state(field: Field | None, closed: bool) -> str:
    if (field is None and closed) or (field is not None and field.forbidden):
        return "forbidden"
    if field is None:
        return "not declared"
    return " | ".join(sorted(field.types)) or "any type"


def _shape(area: str, location: str, a: Shape, b: Shape) -> list[Difference]:
    found = []
    if a.required != b.required:
        ours, theirs = sorted(a.required), sorted(b.required)
        text = (_join(ours), _join(theirs), _only(ours, theirs))
        found.append(Difference(area, f"{location}: required fields", *text))
    for name in [*a.fields, *(n for n in b.fields if n not in a.fields)]:
        field_a, field_b = a.fields.get(name), b.fields.get(name)
        state_a, state_b = _state(field_a, a.closed), _state(field_b, b.closed)
        if state_a != state_b:
            note = _field_note(field_a, field_b, b.closed)
            found.append(Difference(area, f"{location}: {name}", state_a, state_b, note))
    return found


def _field_note(ours: Field | None, theirs: Field | None, closed: bool) -> str:
    notes = [ours.description.rstrip(".")] if ours and ours.description else []
    if theirs and theirs.types and theirs.example_types - theirs.types:
        notes.append(f"their examples are {_join(sorted(theirs.example_types))}")
    if theirs is None and not closed:
        notes.append("their schema allows undeclared fields")
    return "; ".join(notes)


def _keyed_shapes(
    area: str, location: str, a: dict[str, Shape], b: dict[str, Shape]
) -> list[Difference]:
    found = []
    for grant in [*a, *(g for g in b if g not in a)]:
        where = f"{location} {grant}".rstrip()
        if grant in a and grant in b:
            found += _shape(area, where, a[grant], b[grant])
        else:
            ours, theirs = ("documented", "absent") if grant in a else ("absent", "documented")
            found.append(Difference(area, where, ours, theirs))
    return found


def _responses(key: str, a: Operation, b: Operation) -> list[Difference]:
    found = []
    if set(a.responses) != set(b.responses):
        text = (_join(a.responses), _join(b.responses), _only(a.responses, b.responses))
        found.append(Difference("responses", f"{key}: statuses", *text))
    common = [s for s in a.responses if s in b.responses]
    for status in common:
        ours, theirs = a.responses[status], b.responses[status]
        if set(ours.media_types) != set(theirs.media_types):
            media = (_join(ours.media_types), _join(theirs.media_types))
            found.append(Difference("responses", f"{key} {status}: media types", *media))
        if not _is_error(status):
            where = f"{key} {status}"
            found += _keyed_shapes("response fields", where, ours.shapes, theirs.shapes)
    found += _error_bodies(key, a, b, [s for s in common if _is_error(s)])
    return found + _response_headers(key, a, b, common)


def _is_error(status: str) -> bool:
    return status.isdigit() and int(status) >= 400


def _error_bodies(key: str, a: Operation, b: Operation, statuses: list[str]) -> list[Difference]:
    # Error responses usually share one schema: one entry for every status it differs alike.
    alike: dict[tuple[str, str, str, str], list[str]] = {}
    for status in statuses:
        shapes_a, shapes_b = a.responses[status].shapes, b.responses[status].shapes
        for d in _keyed_shapes("responses", "", shapes_a, shapes_b):
            alike.setdefault((d.location, d.ours, d.theirs, d.note), []).append(status)
    return [
        Difference("responses", f"{key} {_join(group)} error body{where}", ours, theirs, note)
        for (where, ours, theirs, note), group in alike.items()
    ]


def _response_headers(
    key: str, a: Operation, b: Operation, statuses: list[str]
) -> list[Difference]:
    found = []
    names: dict[str, Header] = {}
    for op in (a, b):
        for status in statuses:
            for lower, header in op.responses[status].headers.items():
                names.setdefault(lower, header)
    for lower, header in names.items():
        ours = [s for s in statuses if lower in a.responses[s].headers]
        theirs = [s for s in statuses if lower in b.responses[s].headers]
        if ours != theirs:
            text = (_on(ours), _on(theirs), header.description)
            found.append(Difference("response headers", f"{key}: {header.name}", *text))
    return found


def _on(statuses: list[str]) -> str:
    return f"on {_join(statuses)}" if statuses else "absent"


def _error_codes(a: Model, b: Model) -> list[Difference]:
    found = []
    for code in sorted(set(a.error_codes) | set(b.error_codes)):
        ours, theirs = a.error_codes.get(code, {}), b.error_codes.get(code, {})
        known_a = sorted(s for s in ours if s is not None)
        known_b = sorted(s for s in theirs if s is not None)
        # A code one side gives without a status (a shared schema example) cannot differ.
        if known_a == known_b or (ours and theirs and not (known_a and known_b)):
            continue
        by_status = sorted(theirs.items(), key=lambda item: item[0] or 0)
        sources = "; ".join(f"{s or 'no status'} in {_join(v)}" for s, v in by_status)
        missing = "not documented"
        text = (_join(known_a, missing), _join(known_b, missing), sources and f"theirs: {sources}")
        found.append(Difference("error codes", code, *text))
    return found
