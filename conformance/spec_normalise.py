"""Reduce an OpenAPI document to the facts `spec_diff` compares.

Two documents that say the same thing in different shapes (inline schemas vs `$ref`s,
`allOf` layers vs flat objects, `const` vs names and examples) normalise to the same
facts: operations, their headers, security, body and response fields per grant,
response headers, and the CMN error codes with their statuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from conformance.spec_facts import Field, Header, Model, Operation, Response, Shape

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# OpenAPI ignores header parameters with these names (OAS 3.0/3.1 "Parameter Object"):
# Authorization belongs to security, Content-Type to the request body.
IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
CMN_CODE = re.compile(r"^CMN_\d{5}$")
TABLE_ROW = re.compile(r"^\|\s*(CMN_\d{5})\s*\|.*\|\s*(\d{3})\s*\|$")
TABLE_LABEL = re.compile(r"^(?:#+\s*(.+)|\*\*([^*]+)\*\*)$")
UNIONS = ("oneOf", "anyOf")
Documented = tuple[str, int | None, str]  # a CMN code, its status (None: unknown), the source


@dataclass(frozen=True)
class Variant:
    """One branch of a schema after unions are spread and allOf merged."""

    schema: dict[str, Any]
    names: tuple[str, ...] = ()  # component names met on the way, outermost first


def json_type(value: Any) -> str:
    """The JSON type name of a Python value from a YAML/JSON document."""
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array"}
    return "object" if isinstance(value, dict) else names.get(type(value), "null")


def _merge(a: Variant, b: Variant, *, prefer_b: bool) -> Variant:
    first, second = (b.schema, a.schema) if prefer_b else (a.schema, b.schema)
    merged = {**second, **first}
    props: dict[str, Any] = dict(second.get("properties", {}))
    for name, schema in first.get("properties", {}).items():
        # Both sides describe the field: keep both, typing reads through allOf.
        props[name] = {"allOf": [props[name], schema]} if name in props else schema
    if props:
        merged["properties"] = props
    required = [*a.schema.get("required", []), *b.schema.get("required", [])]
    if required:
        merged["required"] = list(dict.fromkeys(required))
    if False in (a.schema.get("additionalProperties"), b.schema.get("additionalProperties")):
        merged["additionalProperties"] = False
    return Variant(merged, a.names + b.names)


class Resolver:
    """Reads one document, following local `$ref`s (cycle-safe)."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def deref(self, node: Any, path: tuple[str, ...] = ()) -> tuple[Any, tuple[str, ...]]:
        """Follow `$ref`s from `node`; `path` holds the refs already followed.

        An external, unresolvable or cyclic `$ref` reads as `{}` (any value): the diff
        compares what a document states, and a cycle states nothing new.
        """
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            target = self._pointer(ref) if ref not in path else None
            if target is None:
                return {}, path
            siblings = {k: v for k, v in node.items() if k != "$ref"}  # OAS 3.1 allows them
            path = (*path, ref)
            node = {**target, **siblings} if isinstance(target, dict) else target
        return node, path

    def _pointer(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            return None
        node: Any = self.document
        for part in ref[2:].split("/"):
            key = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node

    def variants(self, node: Any, path: tuple[str, ...] = ()) -> list[Variant]:
        """Spread `oneOf`/`anyOf` into branches and merge `allOf` parts into each."""
        start = len(path)
        node, path = self.deref(node, path)
        names = tuple(ref.rsplit("/", 1)[-1] for ref in path[start:])
        if not isinstance(node, dict):
            return [Variant({}, names)]
        base = {k: v for k, v in node.items() if k not in ("allOf", *UNIONS)}
        result = [Variant(base, names)]
        for part in node.get("allOf", []):
            parts = self.variants(part, path)
            result = [_merge(a, b, prefer_b=False) for a in result for b in parts]
        branches = [b for key in UNIONS for b in node.get(key, [])]
        if branches:
            spread = [v for b in branches for v in self.variants(b, path)]
            # A branch is more specific than the union around it: its keys win.
            result = [_merge(a, b, prefer_b=True) for a in result for b in spread]
        return result

    def walk(self, node: Any) -> list[Any]:
        """`node` and every schema under its `allOf`/`oneOf`/`anyOf`, dereferenced."""
        found: list[Any] = []
        stack: list[tuple[Any, tuple[str, ...]]] = [(node, ())]
        while stack:
            current, path = self.deref(*stack.pop())
            found.append(current)
            if isinstance(current, dict):
                parts = [p for key in ("allOf", *UNIONS) for p in current.get(key, [])]
                stack.extend((part, path) for part in reversed(parts))
        return found

    def field(self, node: Any) -> Field:
        """Types, example types and whether a field is forbidden (`false`), through unions."""
        schemas = self.walk(node)
        types: set[str] = set()
        for s in (s for s in schemas if isinstance(s, dict)):
            declared = s.get("type")
            types.update([declared] if isinstance(declared, str) else declared or [])
            types.update([json_type(s["const"])] if "const" in s and not declared else [])
        descriptions = [
            s["description"]
            for s in schemas
            if isinstance(s, dict) and isinstance(s.get("description"), str)
        ]
        return Field(
            types=frozenset(types),
            example_types=frozenset(json_type(v) for v in self.example_values(node)),
            forbidden=False in schemas,
            description=" ".join(next(iter(descriptions), "").split()),
        )

    def shape(self, variant: Variant) -> Shape:
        """The fields and required names of one flattened object schema."""
        schema = variant.schema
        fields = {name: self.field(prop) for name, prop in schema.get("properties", {}).items()}
        negated, _ = self.deref(schema.get("not", {}))
        for name in negated.get("required", []) if isinstance(negated, dict) else []:
            fields[name] = Field(forbidden=True)
        required = frozenset(schema.get("required", []))
        return Shape(fields, required, schema.get("additionalProperties") is False)

    def example_values(self, node: Any) -> list[Any]:
        """The `example`/`examples` values a schema gives, through `allOf` and unions."""
        schemas = [s for s in self.walk(node) if isinstance(s, dict)]
        singles = [s["example"] for s in schemas if "example" in s]
        return singles + [v for s in schemas for v in s.get("examples", [])]

    def grant_values(self, node: Any) -> tuple[list[Any], list[Any]]:
        """The values a `grant_type` schema pins (const, one-value enum), and its examples."""
        schemas = [s for s in self.walk(node) if isinstance(s, dict)]
        pinned = [s["const"] for s in schemas if "const" in s]
        pinned += [s["enum"][0] for s in schemas if len(s.get("enum", [])) == 1]
        defaults = [s["default"] for s in schemas if "default" in s]
        return pinned, self.example_values(node) + defaults


def camel(name: str) -> str:
    """`client_credentials` -> `ClientCredentials`."""
    return "".join(part.capitalize() for part in name.split("_"))


def grant_of(resolver: Resolver, variant: Variant, grants: tuple[str, ...]) -> str | None:
    """The grant a request or response schema is for, or None.

    The platform's documents list all four grant types in every branch's `grant_type`
    enum (1.3.1 and 1.11.0 alike), so the enum cannot tell branches apart. In order of
    trust: a `const` or one-value enum (ours); the `grant_type` example (1.11.0:
    `example: password`); a component name starting with the grant in CamelCase
    (`PasswordRequest`, `PasswordGrantResponseV2`); a description naming exactly one
    grant (`grant_type=password`, `` `password` ``). Ambiguity at a step falls through.
    """
    prop = variant.schema.get("properties", {}).get("grant_type")
    for candidates in resolver.grant_values(prop) if prop is not None else ():
        found = {c for c in candidates if c in grants}
        if len(found) == 1:
            return str(found.pop())
    named = {g for g in grants for n in variant.names if n.startswith(camel(g))}
    if len(named) == 1:
        return named.pop()
    text = str(variant.schema.get("description", ""))
    mentioned = {g for g in grants if re.search(rf"grant_type\s*=\s*{g}\b|`{g}`", text)}
    return str(mentioned.pop()) if len(mentioned) == 1 else None


def keyed_shapes(resolver: Resolver, schema: Any, grants: tuple[str, ...]) -> dict[str, Shape]:
    """The branches of a body schema keyed by grant; "" for a lone non-grant body."""
    variants = resolver.variants(schema)
    shapes: dict[str, Shape] = {}
    for index, variant in enumerate(variants, 1):
        key = grant_of(resolver, variant, grants)
        if key is None:
            label = variant.names[-1] if variant.names else f"#{index}"
            key = "" if len(variants) == 1 else f"unmatched schema {label}"
        shapes.setdefault(key, resolver.shape(variant))
    return shapes


def _first_schema(content: dict[str, Any]) -> Any:
    return next(
        (m["schema"] for m in content.values() if isinstance(m, dict) and "schema" in m), None
    )


def _header(resolver: Resolver, param: dict[str, Any], grants: tuple[str, ...]) -> Header:
    schema, _ = resolver.deref(param.get("schema", {}))
    info = resolver.field(schema)
    kind = "/".join(sorted(info.types)) or "any"
    if isinstance(schema, dict) and schema.get("format"):
        kind += f" ({schema['format']})"
    # Ours says x-required-for-grants; the platform's 1.11.0 x-conditionally-required.when.
    condition = str(param.get("x-required-for-grants", param.get("x-conditionally-required", "")))
    when = frozenset(g for g in grants if re.search(rf"\b{g}\b", condition))
    description = " ".join(str(param.get("description") or info.description).split())
    return Header(param["name"], bool(param.get("required")), kind, when, description)


def _security(
    document: dict[str, Any], op: dict[str, Any], params: list[Any]
) -> tuple[tuple[str, ...], str]:
    requirements = op.get("security", document.get("security", []))
    where = "operation" if "security" in op else "root"
    schemes = document.get("components", {}).get("securitySchemes", {})
    kinds: list[str] = []
    texts: list[str] = []
    for requirement in requirements:
        for name in requirement:
            scheme = schemes.get(name, {})
            kind = str(scheme.get("scheme") or scheme.get("type") or "unknown").lower()
            kinds.append(kind)
            texts.append(f"{name} ({scheme.get('type', '?')} {kind})")
    text = f"{', '.join(texts) or 'none'} [{where} security]"
    for param in params:
        if str(param.get("name", "")).lower() == "authorization":
            said = f"{param.get('description', '')} {param.get('schema', {})}".lower()
            scheme = "Basic" if "basic" in said else "Bearer" if "bearer" in said else "?"
            text += f"; Authorization header parameter ({scheme})"
    return tuple(sorted(set(kinds))), text


def _response(resolver: Resolver, node: Any, grants: tuple[str, ...]) -> Response:
    response, _ = resolver.deref(node)
    response = response if isinstance(response, dict) else {}
    content = response.get("content", {})
    schema = _first_schema(content)
    headers = {name: resolver.deref(h)[0] for name, h in response.get("headers", {}).items()}
    return Response(
        headers={
            name.lower(): _header(resolver, {**h, "name": name}, ())
            for name, h in headers.items()
            if isinstance(h, dict)
        },
        media_types=tuple(content),
        shapes=keyed_shapes(resolver, schema, grants) if schema is not None else {},
    )


def _operation(
    resolver: Resolver, path_item: dict[str, Any], op: dict[str, Any], grants: tuple[str, ...]
) -> Operation:
    raw = [*path_item.get("parameters", []), *op.get("parameters", [])]
    params = [p for p in (resolver.deref(r)[0] for r in raw) if isinstance(p, dict)]
    headers = {
        str(p["name"]).lower(): _header(resolver, p, grants)
        for p in params
        if p.get("in") == "header" and str(p.get("name", "")).lower() not in IGNORED_HEADERS
    }
    body, _ = resolver.deref(op.get("requestBody", {}))
    content = body.get("content", {}) if isinstance(body, dict) else {}
    schema = _first_schema(content)
    # The summary and tags say "legacy"/"V1"; descriptions mention the legacy endpoint
    # even on current operations, and 1.3.1's V2 operationId ends in V1, so neither counts.
    said = " ".join([str(op.get("summary", "")), *map(str, op.get("tags", []))])
    kinds, text = _security(resolver.document, op, params)
    return Operation(
        label=str(op.get("operationId") or op.get("summary") or ""),
        legacy=bool(op.get("deprecated")) or bool(re.search(r"\blegacy\b|\bV1\b", said, re.I)),
        security=kinds,
        security_text=text,
        headers=headers,
        body_media_types=tuple(content),
        body=keyed_shapes(resolver, schema, grants) if schema is not None else {},
        responses={
            str(s): _response(resolver, r, grants) for s, r in op.get("responses", {}).items()
        },
    )


def _servers(document: dict[str, Any]) -> tuple[str, ...]:
    """Server URLs with their variables spelled out (every `enum` value, else the default)."""
    urls: list[str] = []
    for server in document.get("servers", []):
        expanded = [str(server.get("url", ""))]
        for name, variable in server.get("variables", {}).items():
            values = variable.get("enum") or [variable.get("default", "")]
            expanded = [u.replace(f"{{{name}}}", str(v)) for u in expanded for v in values]
        urls += expanded
    return tuple(dict.fromkeys(urls))


def _table_rows(text: str, where: str) -> list[tuple[str, int, str]]:
    """`| CMN_9xxxx | message | status |` rows, each with the heading it sits under."""
    rows: list[tuple[str, int, str]] = []
    label = ""
    for line in text.splitlines():
        line = line.strip()
        heading = TABLE_LABEL.match(line)
        if heading:
            label = (heading.group(1) or heading.group(2)).strip()
        row = TABLE_ROW.match(line)
        if row:
            titled = f" '{label}'" if label else ""
            rows.append((row.group(1), int(row.group(2)), f"{where} table{titled}"))
    return rows


def _documented_codes(resolver: Resolver, operations: list[dict[str, Any]]) -> list[Documented]:
    """CMN codes from the markdown tables in `info` and tags, and from error responses."""
    document = resolver.document
    found: list[Documented] = []
    texts = [("info", document.get("info", {}).get("description", ""))]
    texts += [(f"tag {t.get('name')}", t.get("description", "")) for t in document.get("tags", [])]
    for where, text in texts:
        found.extend(_table_rows(str(text), where))
    for op in operations:
        for status, node in op.get("responses", {}).items():
            found.extend(_response_codes(resolver, node, str(status)))
    return found


def _response_codes(resolver: Resolver, node: Any, status: str) -> list[Documented]:
    response, _ = resolver.deref(node)
    if not str(status).isdigit() or int(status) < 400 or not isinstance(response, dict):
        return []
    found: list[Documented] = []
    for media in response.get("content", {}).values():
        examples = [media["example"]] if "example" in media else []
        examples += [resolver.deref(e)[0].get("value") for e in media.get("examples", {}).values()]
        found += [
            (e["code"], int(status), "response example")
            for e in examples
            if isinstance(e, dict) and CMN_CODE.match(str(e.get("code")))
        ]
        # A schema example may be shared by every status (1.3.1's Error3): no status.
        for variant in resolver.variants(media.get("schema", {})):
            code = variant.schema.get("properties", {}).get("code", {})
            found += [
                (v, None, "schema example")
                for v in resolver.example_values(code)
                if CMN_CODE.match(str(v))
            ]
    return found


def normalise(document: dict[str, Any], grants: tuple[str, ...]) -> Model:
    """The facts of `document` that `spec_diff` compares; `grants` are the known grant types."""
    resolver = Resolver(document)
    operations: dict[str, Operation] = {}
    raw: list[dict[str, Any]] = []
    for path, item in document.get("paths", {}).items():
        item, _ = resolver.deref(item)
        for method in HTTP_METHODS:
            if isinstance(item, dict) and isinstance(item.get(method), dict):
                raw.append(item[method])
                operations[f"{method.upper()} {path}"] = _operation(resolver, item, raw[-1], grants)
    codes: dict[str, dict[int | None, list[str]]] = {}
    for code, status, source in _documented_codes(resolver, raw):
        sources = codes.setdefault(code, {}).setdefault(status, [])
        sources.extend([source] if source not in sources else [])
    error_codes = {c: {s: tuple(v) for s, v in by.items()} for c, by in codes.items()}
    return Model(_servers(document), operations, error_codes)
