"""The committed OpenAPI documents are fresh builds of the contract, valid, and usable."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, Phase, find, settings
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from conformance.contract import (
    ALL_EDITIONS,
    EDITIONS,
    GRANTS,
    RFC6749,
    contract_for,
    load_contract,
)
from conformance.errors import ConfigError
from conformance.openapi import build_openapi, dump_openapi, openapi_path

TOKEN_PATH = "/oauth2/v1/token"
REVOKE_PATH = "/oauth2/v1/revoke"


def committed(edition: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(openapi_path(edition).read_text(encoding="utf-8"))
    return document


def schema_validator(document: dict[str, Any], ref: str) -> Draft202012Validator:
    """A validator for one component, its `#/components/...` refs resolving in `document`."""
    return Draft202012Validator({"$ref": ref, "components": document["components"]})


def component(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow one local `$ref`, if `node` is one."""
    if "$ref" not in node:
        return node
    section, name = node["$ref"].split("/")[2:]
    found: dict[str, Any] = document["components"][section][name]
    return found


@pytest.mark.parametrize("edition", ALL_EDITIONS)
def test_committed_document__equals_a_fresh_build(edition: str) -> None:
    contract = contract_for(edition)
    fresh = dump_openapi(build_openapi(contract, edition), contract.source_file)
    path = openapi_path(edition)
    assert path.exists(), f"{path} is missing: run `conformance spec build --edition {edition}`"
    assert path.read_text(encoding="utf-8") == fresh, (
        f"{path.name} is stale: run `conformance spec build --edition {edition}`"
    )


@pytest.mark.parametrize("edition", ALL_EDITIONS)
def test_committed_document__is_valid_openapi_3_1(edition: str) -> None:
    document = committed(edition)
    assert document["openapi"] == "3.1.0"
    assert document["info"]["version"] == edition
    validate(document)


def test_build__is_deterministic_and_has_no_yaml_anchors() -> None:
    first = dump_openapi(build_openapi(load_contract(), "1.3.1"))
    assert first == dump_openapi(build_openapi(load_contract(), "1.3.1"))
    assert "&id" not in first and "*id" not in first


def test_build__unknown_edition_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as raised:
        build_openapi(load_contract(), "9.9")
    assert raised.value.setting == "edition"


@pytest.mark.parametrize("edition", EDITIONS)
def test_token_body__one_branch_per_grant_with_a_const_grant_type(edition: str) -> None:
    document = committed(edition)
    media = document["paths"][TOKEN_PATH]["post"]["requestBody"]["content"]
    branches = media["application/x-www-form-urlencoded"]["schema"]["oneOf"]
    consts = [component(document, b)["properties"]["grant_type"]["const"] for b in branches]
    assert consts == list(GRANTS)
    for branch in branches:
        schema = component(document, branch)
        assert schema["additionalProperties"] is False
        assert "grant_type" in schema["required"]


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_response__carries_the_transaction_id_header(edition: str) -> None:
    document = committed(edition)
    for path, method in ((TOKEN_PATH, "post"), (REVOKE_PATH, "delete")):
        for status, response in document["paths"][path][method]["responses"].items():
            headers = component(document, response).get("headers", {})
            assert headers.get("transactionId") == {"$ref": "#/components/headers/TransactionId"}, (
                f"{method.upper()} {path} {status} lacks the transactionId header"
            )
    assert document["components"]["headers"]["TransactionId"]["schema"]["format"] == "uuid"


def test_transaction_id_header__required_where_d1_is_a_must() -> None:
    required = {
        e: committed(e)["components"]["headers"]["TransactionId"]["required"] for e in EDITIONS
    }
    assert required == {"1.3.1": True, "1.11.0": False}


@pytest.mark.parametrize("edition", EDITIONS)
def test_examples__validate_against_their_schemas(edition: str) -> None:
    document = committed(edition)
    token = document["paths"][TOKEN_PATH]["post"]
    body = token["requestBody"]["content"]["application/x-www-form-urlencoded"]["examples"]
    success = token["responses"]["200"]["content"]["application/json"]["examples"]
    for grant in GRANTS:
        name = "".join(part.capitalize() for part in grant.split("_"))
        request = schema_validator(document, f"#/components/schemas/{name}Request")
        request.validate(body[grant]["value"])
        response = schema_validator(document, f"#/components/schemas/{name}Response")
        response.validate(success[grant]["value"])
    error = schema_validator(document, "#/components/schemas/Error")
    for response in document["components"]["responses"].values():
        for example in response["content"]["application/json"].get("examples", {}).values():
            error.validate(example["value"])


def test_editions__differ_in_expires_in_example_type_and_error_examples() -> None:
    def expires_in(edition: str) -> object:
        token = committed(edition)["paths"][TOKEN_PATH]["post"]
        examples = token["responses"]["200"]["content"]["application/json"]["examples"]
        return examples["client_credentials"]["value"]["expires_in"]

    def codes(edition: str, response: str) -> list[str]:
        media = committed(edition)["components"]["responses"][response]["content"]
        return list(media["application/json"].get("examples", {}))

    assert isinstance(expires_in("1.3.1"), int)
    assert isinstance(expires_in("1.11.0"), str)
    assert "CMN_90006" in codes("1.3.1", "BadRequest")  # 1.3.1's table: 400
    assert "CMN_90006" not in codes("1.11.0", "BadRequest")  # 1.11.0: 403 only
    assert codes("1.3.1", "Forbidden") == codes("1.11.0", "Forbidden") == ["CMN_90006"]
    assert "CMN_90003" in codes("1.3.1", "InternalServerError")
    assert "CMN_90003" not in codes("1.11.0", "InternalServerError")  # moved to 90002


@pytest.mark.parametrize("edition", EDITIONS)
def test_x_requirements__name_only_contract_requirements(edition: str) -> None:
    document = committed(edition)
    known = {r.id for r in load_contract().requirements}
    listed = [
        rid
        for path, method in ((TOKEN_PATH, "post"), (REVOKE_PATH, "delete"))
        for rid in document["paths"][path][method]["x-requirements"]
    ]
    assert listed, "no x-requirements"
    assert set(listed) <= known, sorted(set(listed) - known)
    assert "REVOKE-SUCCESS" in document["paths"][REVOKE_PATH]["delete"]["x-requirements"]


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("grant", GRANTS)
def test_schemathesis__generates_a_valid_request_for_each_grant(edition: str, grant: str) -> None:
    document = committed(edition)
    operation = schemathesis.openapi.from_dict(document)[TOKEN_PATH]["POST"]
    case = find(
        operation.as_strategy(),
        lambda case: isinstance(case.body, dict) and case.body.get("grant_type") == grant,
        settings=settings(
            max_examples=2000,
            database=None,
            phases=[Phase.generate],  # the first match will do: no shrinking
            suppress_health_check=list(HealthCheck),
        ),
    )
    name = "".join(part.capitalize() for part in grant.split("_"))
    schema_validator(document, f"#/components/schemas/{name}Request").validate(case.body)
    assert case.media_type == "application/x-www-form-urlencoded"
    uuid.UUID(str(case.headers["transactionId"]))


def test_rfc6749_document__errors_are_section_5_2_bodies_and_unknown_parameters_allowed() -> None:
    document = committed(RFC6749)
    error = schema_validator(document, "#/components/schemas/Error")
    assert error.is_valid({"error": "invalid_grant", "error_description": "expired"})
    assert not error.is_valid({"code": "CMN_90004", "message": "Invalid credentials"})
    assert not error.is_valid({"error": 'bad "quote"'})  # 5.2's character set
    request = schema_validator(document, "#/components/schemas/ClientCredentialsRequest")
    assert request.is_valid({"grant_type": "client_credentials", "unrecognized": "x"})  # 3.2
    token = schema_validator(document, "#/components/schemas/PasswordResponse")
    assert token.is_valid({"access_token": "a", "token_type": "Bearer", "expires_in": 3600})
    assert not token.is_valid({"access_token": "a", "token_type": "Bearer", "expires_in": "3600"})
    assert "/oauth2/v1/revoke" not in document["paths"]  # RFC 7009 is not part of RFC 6749
    assert "TransactionId" not in document["components"]["headers"]
