"""The OpenAPI 3.1 document of one edition, generated from the contract source.

`build_openapi(load_contract(), "1.3.1")` turns `specs/contract.toml` (operation, headers,
grants, fields, error codes, response headers, requirements) into a plain dict;
`dump_openapi` renders it as YAML, byte for byte the same for the same input, so the
committed `specs/openapi-<edition>.yaml` can be compared with a fresh build.
Nothing here is copied from the platform's own documents: `spec_diff` compares them.
"""

from __future__ import annotations

import base64
import json
from http import HTTPStatus
from pathlib import Path
from typing import Any

import yaml

from conformance.contract import SPECS_DIR, Contract, by_edition, contract_for
from conformance.errors import ConfigError

Schema = dict[str, Any]

OPENAPI_VERSION = "3.1.0"
SECURITY_SCHEME = "basicAuth"
TOKEN_OPERATION_ID = "createAccessToken"
REVOKE_OPERATION_ID = "revokeToken"
RESPONSE_MEDIA_TYPE = "application/json"  # spec §3 (200) and §4 (error bodies)
ERROR_SCHEMA = "Error"
# D6: a positive whole number of seconds, as a JSON integer or a string of digits. The two
# branches exclude each other (integer vs string), so `oneOf` is unambiguous here.
SECONDS_SCHEMA: Schema = {
    "oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "pattern": "^[1-9][0-9]*$"}]
}
SCOPE_PATTERN = r"^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$"
# Three base64url segments; the signature may be empty (an unsecured JWT, RFC 7519 6).
JWT_PATTERN = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$"


def _b64url(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# A JWT-shaped example made here, so no real token (nor the platform's) is reproduced.
EXAMPLE_JWT = ".".join(
    [
        _b64url({"alg": "RS256", "typ": "JWT"}),
        _b64url({"sub": "example-user", "iss": "https://issuer.example", "aud": "example"}),
        _b64url(b"example-signature"),
    ]
)


def openapi_path(edition: str, specs_dir: Path = SPECS_DIR) -> Path:
    """Where the committed document of `edition` lives: `specs/openapi-<edition>.yaml`."""
    _check_edition(contract_for(edition), edition)
    return specs_dir / f"openapi-{edition}.yaml"


def write_openapi(edition: str, specs_dir: Path = SPECS_DIR) -> Path:
    """Build the document of `edition` from the contract and write it; return its path."""
    path = openapi_path(edition, specs_dir)
    document = build_openapi(contract_for(edition), edition)
    path.write_text(dump_openapi(document, contract_for(edition).source_file), encoding="utf-8")
    return path


def dump_openapi(document: dict[str, Any], source: str = "specs/contract.toml") -> str:
    """Render `document` as YAML, keys in build order: same document, same bytes."""
    edition = str(document["info"]["version"])
    header = (
        f"# Generated from {source} by `conformance spec build --edition "
        f"{edition}`. Do not edit by hand.\n"
    )
    body: str = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return header + body


def build_openapi(contract: Contract, edition: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the token and revoke operations in `edition`."""
    _check_edition(contract, edition)
    meta = contract.meta
    paths = {meta["token_path"]: {"post": _token_operation(contract, edition)}}
    if "revoke" in meta:  # the RFC 6749 profile has no revocation endpoint
        paths[meta["revoke_path"]] = {"delete": _revoke_operation(contract)}
    document = {
        "openapi": OPENAPI_VERSION,
        "info": _info(contract, edition),
        "servers": [{"url": url} for url in by_edition(meta["servers"], edition)],
        "paths": paths,
        "components": _components(contract, edition),
    }
    # A JSON round trip leaves plain data with no shared objects: PyYAML would otherwise
    # write anchors (&id001) wherever one contract value (e.g. an example) is used twice.
    result: dict[str, Any] = json.loads(json.dumps(document))
    return result


def _check_edition(contract: Contract, edition: str) -> None:
    editions = list(contract.meta["editions"])
    if edition not in editions:
        raise ConfigError(
            f"unknown edition {edition!r}; the contract has {', '.join(editions)}",
            setting="edition",
        )


def _info(contract: Contract, edition: str) -> dict[str, Any]:
    meta = contract.meta
    description = (
        f"{meta['title']}, edition {edition} of the contract, generated from "
        f"{contract.source_file}. {by_edition(meta['lifetime_hint'], edition)}"
    )
    return {"title": meta["title"], "version": edition, "description": description}


def _component_name(name: str) -> str:
    """`client_credentials` -> `ClientCredentials`, `Cache-Control` -> `CacheControl`."""
    parts = name.replace("-", "_").split("_")
    return "".join(part[:1].upper() + part[1:] for part in parts)


def _ref(section: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{section}/{name}"}


def _parameter_headers(contract: Contract) -> list[dict[str, Any]]:
    # Authorization is the security scheme and Content-Type the body's media type; OpenAPI
    # ignores header parameters with those names anyway (OAS 3.1 4.8.12.1).
    return [
        h for h in contract.headers if not h.get("security_scheme") and not h.get("in_request_body")
    ]


def _parameter(header: dict[str, Any]) -> dict[str, Any]:
    schema: Schema = {"type": "string"}
    for keyword in ("format", "pattern"):
        if keyword in header:
            schema[keyword] = header[keyword]
    parameter: dict[str, Any] = {
        "name": header["name"],
        "in": "header",
        "required": header["required"],
        "description": header["description"],
        "schema": schema,
        "example": header["example"],
    }
    if header.get("required_for"):
        # Conditionally required (D5): OpenAPI cannot say "required for these grants".
        parameter["x-required-for-grants"] = list(header["required_for"])
    return parameter


def _field_schema(field: dict[str, Any], edition: str, *, required: bool) -> Schema:
    kind = field["type"]
    if kind == "seconds":
        schema: Schema = dict(SECONDS_SCHEMA)
    elif kind == "integer":  # RFC 6749 5.1 and A.14: a JSON number, 1*DIGIT
        schema = {"type": "integer", "minimum": 0}
    elif kind == "scope":  # RFC 6749 3.3: scope-token *( SP scope-token )
        schema = {"type": "string", "pattern": SCOPE_PATTERN}
    elif kind == "jwt":
        schema = {"type": "string", "pattern": JWT_PATTERN}
    else:
        schema = {"type": "string", "minLength": 1} if required else {"type": "string"}
    schema["description"] = field["description"]
    example = by_edition(field.get("example"), edition)
    if example is not None:
        schema["examples"] = [example]
    return schema


def _request_schema(contract: Contract, grant: dict[str, Any], edition: str) -> Schema:
    properties: dict[str, Any] = {}
    for name in [*grant["required"], *grant["optional"]]:
        field = contract.fields[name]
        if name == "grant_type":
            # A `const` per grant is what lets a generator (and a reader) tell the
            # branches of the body's oneOf apart; schemathesis ignores `discriminator`.
            properties[name] = {
                "type": "string",
                "const": grant["name"],
                "description": field["description"],
            }
        else:
            properties[name] = _field_schema(field, edition, required=name in grant["required"])
    return {
        "description": grant["summary"],
        "type": "object",
        # RFC 6749 3.2: the server MUST ignore unrecognized parameters, so they are valid.
        "additionalProperties": _is_rfc6749(contract),
        "required": list(grant["required"]),
        "properties": properties,
        "examples": [grant["example"]],
    }


def _response_schema(contract: Contract, grant: dict[str, Any], edition: str) -> Schema:
    required = list(grant["response_required"])
    properties: dict[str, Any] = {
        name: _field_schema(contract.fields[name], edition, required=name in required)
        for name in [*required, *grant["response_optional"]]
    }
    for name in grant["response_forbidden"]:
        properties[name] = False  # D8: this grant's response must not carry the field
    return {
        "description": f"A 200 body answering the {grant['name']} grant.",
        "type": "object",
        "required": required,
        "properties": properties,
    }


def _response_example(contract: Contract, grant: dict[str, Any], edition: str) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for name in [*grant["response_required"], *grant["response_optional"]]:
        field = contract.fields[name]
        example = by_edition(field.get("example"), edition)
        if example is None:
            # No example in the contract: a made-up value of the field's shape.
            jwt = field["type"] == "jwt"
            example = EXAMPLE_JWT if jwt else f"example-{name}-{grant['name']}".replace("_", "-")
        value[name] = example
    return value


def _response_headers(contract: Contract, status: int) -> dict[str, Any]:
    return {
        h["name"]: _ref("headers", _component_name(h["name"]))
        for h in contract.raw["response_header"]
        if h["statuses"] == "all" or status in h["statuses"]
    }


def _header_component(contract: Contract, header: dict[str, Any], edition: str) -> Schema:
    schema: Schema = {"type": "string"}
    if "format" in header:
        schema["format"] = header["format"]
    if "value" in header:
        schema["pattern"] = header["value"]  # unanchored: the directive may sit in a list
    # Required where the contract makes the header a MUST in this edition (D1: 1.11.0
    # no longer declares transactionId, so there it is a SHOULD and not required).
    level = contract.requirement(header["requirement"]).level(edition)
    return {"description": header["description"], "required": level == "MUST", "schema": schema}


def _error_statuses(contract: Contract) -> list[int]:
    # Every edition's statuses, so both documents list the same responses: 403 stays
    # documented in 1.3.1 although no 1.3.1 code carries it (the seed documents 403).
    return sorted(
        {s for code in contract.error_codes for ss in code.status_by_edition.values() for s in ss}
    )


def _error_response(contract: Contract, status: int, edition: str) -> dict[str, Any]:
    codes = [c for c in contract.error_codes if status in c.status_by_edition.get(edition, [])]
    phrase = HTTPStatus(status).phrase
    listed = ", ".join(c.code for c in codes) if codes else "none"
    media: dict[str, Any] = {"schema": _ref("schemas", ERROR_SCHEMA)}
    rfc = _is_rfc6749(contract)
    if codes:
        media["examples"] = {
            c.code: {
                "summary": c.message,
                "value": {"error": c.code} if rfc else {"code": c.code, "message": c.message},
            }
            for c in codes
        }
    kind = "error codes" if rfc else "CMN codes"
    return {
        "description": f"{phrase}. {kind} with this status in edition {edition}: {listed}.",
        "headers": _response_headers(contract, status),
        "content": {RESPONSE_MEDIA_TYPE: media},
    }


def _error_name(status: int) -> str:
    return _component_name(HTTPStatus(status).phrase.replace(" ", "_"))  # BadRequest


def _requirement_ids(contract: Contract, operation: str) -> list[str]:
    # Revocation requirements are those needing the `revocation` role; one without grants
    # (REVOKE-SUCCESS) is about the revoke operation alone, the rest also use the token one.
    revoke = [r.id for r in contract.requirements if r.needs == "revocation"]
    if operation == "revoke":
        return revoke
    alone = {r.id for r in contract.requirements if r.needs == "revocation" and not r.grants}
    return [r.id for r in contract.requirements if r.id not in alone]


def _operation(
    contract: Contract, operation: str, body: dict[str, Any], success: dict[str, Any]
) -> dict[str, Any]:
    """What the token and revoke operations share: security, headers, body, errors, trace."""
    headers = _parameter_headers(contract)
    if operation == "revoke":  # institutionId depends on the grant, and revoke has none
        headers = [h for h in headers if not h.get("required_for")]
    media_type = next(h["value"] for h in contract.headers if h.get("in_request_body"))
    errors = {str(s): _ref("responses", _error_name(s)) for s in _error_statuses(contract)}
    return {
        "security": [{SECURITY_SCHEME: []}],
        "parameters": [_ref("parameters", _component_name(h["name"])) for h in headers],
        "requestBody": {"required": True, "content": {media_type: body}},
        "responses": {**success, **errors},
        "x-requirements": _requirement_ids(contract, operation),
    }


def _token_operation(contract: Contract, edition: str) -> dict[str, Any]:
    grants = contract.grants
    names = [_component_name(g["name"]) for g in grants]
    body = {
        "schema": {"oneOf": [_ref("schemas", f"{n}Request") for n in names]},
        "examples": {g["name"]: {"summary": g["summary"], "value": g["example"]} for g in grants},
    }
    content = {
        # anyOf, not oneOf: a body cannot name its grant. password and refresh_token bodies
        # have the same shape, and a client_credentials body is also a valid
        # authorization_code body, so oneOf would reject valid responses. The suite checks
        # a body against the schema of the grant it sent.
        "schema": {"anyOf": [_ref("schemas", f"{n}Response") for n in names]},
        "examples": {
            g["name"]: {"summary": g["summary"], "value": _response_example(contract, g, edition)}
            for g in grants
        },
    }
    success = {
        "description": "The token response.",
        "headers": _response_headers(contract, 200),
        "content": {RESPONSE_MEDIA_TYPE: content},
    }
    lines = [f"- `{g['name']}`: {g['summary']}" for g in grants]
    return {
        "operationId": TOKEN_OPERATION_ID,
        "summary": "Issue an access token",
        "description": "Grants:\n" + "\n".join(lines),
        **_operation(contract, "token", body, {"200": success}),
    }


def _revoke_operation(contract: Contract) -> dict[str, Any]:
    status = int(contract.meta["revoke"]["success_status"])
    success = {
        "description": f"{HTTPStatus(status).phrase}: the token is revoked.",
        "headers": _response_headers(contract, status),
    }
    body = {"schema": _ref("schemas", "RevokeRequest")}
    return {
        "operationId": REVOKE_OPERATION_ID,
        "summary": "Revoke a token",
        "description": contract.fields["token"]["description"],
        **_operation(contract, "revoke", body, {str(status): success}),
    }


def _schemas(contract: Contract, edition: str) -> dict[str, Any]:
    grants = [(_component_name(g["name"]), g) for g in contract.grants]
    revoke: Schema = {}
    if "revoke" in contract.meta:
        required = list(contract.meta["revoke"]["required"])
        revoke = {
            "type": "object",
            "additionalProperties": False,
            "required": required,
            "properties": {
                name: _field_schema(field, edition, required=name in required)
                for name, field in contract.fields.items()
                if field["in"] == "revoke"
            },
        }
    return {
        **{f"{n}Request": _request_schema(contract, g, edition) for n, g in grants},
        **{f"{n}Response": _response_schema(contract, g, edition) for n, g in grants},
        **({"RevokeRequest": revoke} if revoke else {}),
        ERROR_SCHEMA: _error_schema(contract),
    }


def _is_rfc6749(contract: Contract) -> bool:
    """True for the RFC 6749 profile: 5.2 error bodies, unknown parameters allowed."""
    return contract.meta.get("error_style") == "rfc6749"


def _error_schema(contract: Contract) -> Schema:
    if _is_rfc6749(contract):
        text = {"type": "string", "pattern": contract.meta["error_pattern"]}
        codes = [c.code for c in contract.error_codes]
        return {
            "type": "object",
            "required": ["error"],
            "properties": {
                # 5.2 lists these codes; extensions may register more (8.5), hence anyOf.
                "error": {"anyOf": [{"enum": codes}, text]},
                "error_description": text,
                "error_uri": {"type": "string", "pattern": r"^[\x21\x23-\x5B\x5D-\x7E]+$"},
            },
        }
    code = {"type": "string", "pattern": contract.meta["cmn_code_pattern"]}
    return {
        "type": "object",
        "required": ["code", "message"],
        "properties": {"code": code, "message": {"type": "string"}},
    }


def _components(contract: Contract, edition: str) -> dict[str, Any]:
    authorization = next(h for h in contract.headers if h.get("security_scheme"))
    scheme = {"type": "http", "scheme": "basic", "description": authorization["description"]}
    headers = contract.raw["response_header"]
    return {
        "securitySchemes": {SECURITY_SCHEME: scheme},
        "parameters": {
            _component_name(h["name"]): _parameter(h) for h in _parameter_headers(contract)
        },
        "headers": {
            _component_name(h["name"]): _header_component(contract, h, edition) for h in headers
        },
        "schemas": _schemas(contract, edition),
        "responses": {
            _error_name(s): _error_response(contract, s, edition) for s in _error_statuses(contract)
        },
    }
