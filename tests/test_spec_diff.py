"""`spec_diff` finds what differs between our document and the platform's, and nothing else.

The platform's releases are stood in for by documents of the project's own,
tests/fixtures/openapi/platform-<edition>.yaml, written in their shape and departing from
the contract where they do. With CONFORMANCE_VENDOR_DOCS=DIR (docs/spec-diff.md), the
platform's own documents in DIR are held to the same assertions besides.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.contract import EDITIONS, load_contract
from conformance.errors import ConfigError
from conformance.openapi import build_openapi
from conformance.spec_diff import (
    AREAS,
    Difference,
    diff_documents,
    edition_of,
    load_document,
    render_diff,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "openapi"
# Read at import: the autouse fixture clears every CONFORMANCE_* variable before a test.
VENDOR_DOCS = os.environ.get("CONFORMANCE_VENDOR_DOCS")
SOURCES = ["fixture", *(["vendor"] if VENDOR_DOCS else [])]
TOKEN = "POST /oauth2/v1/token"
REVOKE = "DELETE /oauth2/v1/revoke"


def ours(edition: str) -> dict[str, Any]:
    return build_openapi(load_contract(), edition)


@pytest.fixture(params=SOURCES)
def source(request: pytest.FixtureRequest) -> str:
    """Where the platform's release comes from: the project's fixture, or (opt-in) the
    platform's own document."""
    return str(request.param)


def vendor_path(edition: str, source: str = "fixture") -> Path:
    if source == "vendor" and VENDOR_DOCS:
        return Path(VENDOR_DOCS) / f"candescent-di-api-{edition}.oauth.yaml"
    return FIXTURES / f"platform-{edition}.yaml"


def vendor(edition: str, source: str = "fixture") -> dict[str, Any]:
    return load_document(vendor_path(edition, source))


def entries(differences: list[Difference]) -> set[tuple[str, str, str, str]]:
    """The differences without their notes: what the assertions pin."""
    return {(d.area, d.location, d.ours, d.theirs) for d in differences}


def find(differences: list[Difference], area: str, location: str) -> Difference:
    matches = [d for d in differences if (d.area, d.location) == (area, location)]
    assert len(matches) == 1, render_diff(differences)
    return matches[0]


@pytest.mark.parametrize("edition", EDITIONS)
def test_vendor__is_read_as_its_own_edition(edition: str, source: str) -> None:
    assert edition_of(vendor(edition, source)) == edition


@pytest.mark.parametrize("edition", EDITIONS)
def test_vendor__legacy_v1_endpoint_is_reported_as_out_of_scope(edition: str, source: str) -> None:
    found = find(
        diff_documents(ours(edition), vendor(edition, source)), "operations", "POST /v1/oauth/token"
    )
    assert found.ours == "absent"
    assert found.theirs.startswith("documented (")
    assert "legacy" in found.note


@pytest.mark.parametrize("edition", EDITIONS)
def test_vendor__security_is_bearer_at_the_root_and_basic_as_a_parameter(
    edition: str, source: str
) -> None:
    differences = diff_documents(ours(edition), vendor(edition, source))
    for operation in (TOKEN, REVOKE):
        found = find(differences, "security", operation)
        assert found.ours == "basicAuth (http basic) [operation security]"
        assert found.theirs == (
            "BearerAuth (http bearer) [root security]; Authorization header parameter (Basic)"
        )


def test_vendor_1_11_0__declares_no_transaction_id_response_header(source: str) -> None:
    differences = diff_documents(ours("1.11.0"), vendor("1.11.0", source))
    assert {
        ("response headers", f"{TOKEN}: transactionId", "on 200, 400, 401, 403, 500", "absent"),
        ("response headers", f"{REVOKE}: transactionId", "on 204, 400, 401, 403, 500", "absent"),
    } <= entries(differences)


def test_vendor_1_3_1__declares_transaction_id_on_every_response(source: str) -> None:
    differences = diff_documents(ours("1.3.1"), vendor("1.3.1", source))
    assert not [
        d
        for d in differences
        if d.location.endswith(": transactionId") and d.area == "response headers"
    ]


def test_vendor_1_3_1__expires_in_is_a_string_with_integer_examples(source: str) -> None:
    differences = diff_documents(ours("1.3.1"), vendor("1.3.1", source))
    for grant in ("client_credentials", "password", "authorization_code", "refresh_token"):
        found = find(differences, "response fields", f"{TOKEN} 200 {grant}: expires_in")
        assert (found.ours, found.theirs) == ("integer | string", "string")
        assert "their examples are integer" in found.note


def test_vendor_1_3_1__request_and_header_differences(source: str) -> None:
    assert {
        ("request headers", f"{TOKEN}: transactionId", "required string (uuid)", "required string"),
        (
            "request headers",
            f"{TOKEN}: institutionId",
            "optional string, required for client_credentials, password",
            "required string",
        ),
        ("request body", f"{TOKEN} client_credentials: required fields", "grant_type", "none"),
        ("request body", f"{TOKEN} client_credentials: scopes", "string", "not declared"),
        ("request body", f"{REVOKE}: required fields", "token", "none"),
        (
            "servers",
            "servers",
            "https://api.candescent.com/digitalbanking/stage, "
            "https://api.candescent.com/digitalbanking",
            "https://api.candescent.com/digitalbanking/stage",
        ),
    } <= entries(diff_documents(ours("1.3.1"), vendor("1.3.1", source)))


def test_vendor_1_11_0__institution_id_is_also_required_for_authorization_code(source: str) -> None:
    found = find(
        diff_documents(ours("1.11.0"), vendor("1.11.0", source)),
        "request headers",
        f"{TOKEN}: institutionId",
    )
    assert found.theirs == (
        "optional string, required for authorization_code, client_credentials, password"
    )


def test_vendor__cmn_90006_is_400_in_1_3_1_and_403_in_1_11_0(source: str) -> None:
    # 1.11.0 agrees with its own release...
    differences = diff_documents(ours("1.11.0"), vendor("1.11.0", source))
    assert "CMN_90006" not in {d.location for d in differences}
    # ...1.3.1 adds 403 to its table's 400 (its own 403 response is this case), and says so
    own = find(diff_documents(ours("1.3.1"), vendor("1.3.1", source)), "error codes", "CMN_90006")
    assert (own.ours, own.theirs) == ("400, 403", "400")
    # ...and the diff shows the move when the editions are crossed.
    crossed = find(
        diff_documents(ours("1.3.1"), vendor("1.11.0", source)), "error codes", "CMN_90006"
    )
    assert (crossed.ours, crossed.theirs) == ("400, 403", "403")
    back = find(diff_documents(ours("1.11.0"), vendor("1.3.1", source)), "error codes", "CMN_90006")
    assert (back.ours, back.theirs) == ("403", "400")


def test_vendor__error_code_tables_are_read(source: str) -> None:
    assert {
        ("error codes", "CMN_90020", "not documented", "400"),
        ("error codes", "CMN_90021", "not documented", "400"),
    } <= entries(diff_documents(ours("1.3.1"), vendor("1.3.1", source)))
    differences = diff_documents(ours("1.11.0"), vendor("1.11.0", source))
    assert "CMN_90003" not in {d.location for d in differences}  # both drop it in 1.11.0
    assert "table 'Auth-Code'" in find(differences, "error codes", "CMN_90018").note


@pytest.mark.parametrize("edition", EDITIONS)
def test_our_document__against_itself_has_no_differences(edition: str) -> None:
    assert diff_documents(ours(edition), ours(edition)) == []
    assert render_diff([]) == "No differences.\n"


@pytest.mark.parametrize("edition", EDITIONS)
def test_render__groups_by_area_in_a_stable_order(edition: str, source: str) -> None:
    differences = diff_documents(ours(edition), vendor(edition, source))
    text = render_diff(differences)
    assert text == render_diff(diff_documents(ours(edition), vendor(edition, source)))
    headings = [line.split(" (")[0] for line in text.splitlines() if line and line[0] != " "]
    areas = [h for h in headings if h in AREAS]
    assert areas == sorted(set(areas), key=AREAS.index)


def _shown_in_docs(edition: str) -> set[tuple[str, str, str, str]]:
    """The differences docs/spec-diff.md shows for the platform's release `edition`."""
    page = (Path(__file__).resolve().parents[1] / "docs" / "spec-diff.md").read_text("utf-8")
    block = re.search(rf"<!-- spec-diff {re.escape(edition)} -->\n```text\n(.*?)\n```", page, re.S)
    assert block is not None, f"docs/spec-diff.md lacks the spec-diff {edition} markers"
    lines, area, shown = block.group(1).splitlines(), "", set()
    for index, line in enumerate(lines):
        heading = re.fullmatch(r"(\S.*) \(\d+\)", line)
        if heading and heading.group(1) in AREAS:
            area = heading.group(1)
        elif line.startswith("  ") and not line.startswith("    "):
            ours, theirs = (lines[index + n].split(":", 1)[1].strip() for n in (1, 2))
            shown.add((area, line.strip(), ours, theirs))
    return shown


@pytest.mark.parametrize("edition", EDITIONS)
def test_fixtures__make_every_difference_the_docs_show_of_the_platforms_release(
    edition: str,
) -> None:
    # The page shows the platform's own documents' diff; the fixtures stand in for them.
    shown = _shown_in_docs(edition)
    assert len(shown) > 20
    assert shown <= entries(diff_documents(ours(edition), vendor(edition)))


# --- a synthetic pair: every kind of difference, and exactly those -----------------------

SMALL_OURS: dict[str, Any] = yaml.safe_load(
    """
openapi: 3.1.0
info: {title: ours, version: "0"}
paths:
  /token:
    post:
      security: [{basic: []}]
      parameters:
        - {name: transactionId, in: header, required: true, schema: {type: string, format: uuid}}
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema:
              oneOf:
                - type: object
                  required: [grant_type]
                  properties: {grant_type: {const: client_credentials}}
                - type: object
                  required: [grant_type, refresh_token]
                  properties: {grant_type: {const: refresh_token}, refresh_token: {type: string}}
      responses:
        "200":
          description: ok
          headers: {transactionId: {schema: {type: string}}}
          content:
            application/json:
              schema:
                type: object
                required: [expires_in]
                properties: {expires_in: {oneOf: [{type: integer}, {type: string}]}}
        "400":
          description: bad
          content:
            application/json: {example: {code: CMN_90007, message: Invalid grant type}}
components:
  securitySchemes: {basic: {type: http, scheme: basic}}
"""
)

SMALL_THEIRS: dict[str, Any] = yaml.safe_load(
    """
openapi: 3.0.3
info:
  title: theirs
  version: "0"
  description: |
    ## Errors

    | Code | Message | Status |
    |---|---|---|
    | CMN_90007 | Invalid grant type | 403 |
security: [{bearer: []}]
paths:
  /token:
    post:
      parameters: [{$ref: "#/components/parameters/Tx"}]
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema: {$ref: "#/components/schemas/TokenRequest"}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {expires_in: {type: string}}}
        "400": {description: bad, content: {application/json: {}}}
  /v1/token:
    post: {summary: Legacy token, responses: {"200": {description: ok}}}
components:
  securitySchemes: {bearer: {type: http, scheme: bearer}}
  parameters:
    Tx: {name: TransactionID, in: header, required: true, schema: {type: string}}
  schemas:
    TokenRequest:
      oneOf: [{$ref: "#/components/schemas/First"}, {$ref: "#/components/schemas/Second"}]
    Base:
      type: object
      required: [grant_type]
      properties:
        grant_type:
          type: string
          enum: [client_credentials, password, authorization_code, refresh_token]
    # Matched by its grant_type example: the enum lists every grant.
    First:
      allOf:
        - $ref: "#/components/schemas/Base"
        - properties: {grant_type: {example: client_credentials}}
    # Matched by its description: the name says nothing.
    Second:
      description: Requires grant_type=password.
      allOf:
        - $ref: "#/components/schemas/Base"
        - {required: [username], properties: {username: {type: string}}}
"""
)


def test_synthetic_pair__yields_exactly_the_expected_differences() -> None:
    assert diff_documents(SMALL_OURS, SMALL_THEIRS) == [
        Difference(
            "operations",
            "POST /v1/token",
            "absent",
            "documented (Legacy token)",
            "legacy endpoint: out of the contract's scope",
        ),
        Difference(
            "security",
            "POST /token",
            "basic (http basic) [operation security]",
            "bearer (http bearer) [root security]",
            "schemes: ours basic, theirs bearer",
        ),
        Difference(
            "request headers",
            "POST /token: transactionId",
            "required string (uuid)",
            "required string",
        ),
        Difference("request body", "POST /token refresh_token", "documented", "absent"),
        Difference("request body", "POST /token password", "absent", "documented"),
        Difference("response headers", "POST /token: transactionId", "on 200", "absent"),
        Difference("response fields", "POST /token 200: required fields", "expires_in", "none"),
        Difference("response fields", "POST /token 200: expires_in", "integer | string", "string"),
        Difference("error codes", "CMN_90007", "400", "403", "theirs: 403 in info table 'Errors'"),
    ]


def test_synthetic_pair__a_ref_cycle_terminates() -> None:
    looped = json.loads(json.dumps(SMALL_THEIRS))
    looped["components"]["schemas"]["Base"]["allOf"] = [{"$ref": "#/components/schemas/First"}]
    assert diff_documents(SMALL_OURS, looped)


def test_load_document__reads_yaml_and_json(tmp_path: Path) -> None:
    as_json = tmp_path / "doc.json"
    as_json.write_text(json.dumps(SMALL_OURS), encoding="utf-8")
    assert load_document(as_json) == SMALL_OURS


@pytest.mark.parametrize("content", [None, "paths: [unclosed", "just a string"])
def test_load_document__missing_or_invalid_is_a_config_error(
    tmp_path: Path, content: str | None
) -> None:
    path = tmp_path / "vendor.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_document(path)
    assert raised.value.setting == "VENDOR"
    assert str(path) in str(raised.value)


# --- the command: text or JSON, and an exit code a CI step can gate on ------------------

OURS_1_3_1 = Path(__file__).resolve().parents[1] / "specs" / "openapi-1.3.1.yaml"


def spec_diff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", "spec", "diff", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def changed(tmp_path: Path) -> Path:
    """Our 1.3.1 document without Pragma on its token answers: one difference."""
    document = load_document(OURS_1_3_1)
    for response in document["paths"]["/oauth2/v1/token"]["post"]["responses"].values():
        response.get("headers", {}).pop("Pragma", None)
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def test_cli_spec_diff__fail_on_difference_exits_1_only_when_they_differ(changed: Path) -> None:
    same = spec_diff(str(OURS_1_3_1), "--fail-on-difference")
    assert (same.returncode, same.stdout) == (0, "No differences.\n")
    differs = spec_diff(str(changed), "--fail-on-difference")
    assert differs.returncode == 1, differs.stderr
    assert differs.stdout.startswith("1 differences") and "Pragma" in differs.stdout
    assert spec_diff(str(changed)).returncode == 0  # reporting alone is no failure
    assert spec_diff("missing.yaml", "--fail-on-difference").returncode == 2


def test_cli_spec_diff__json_holds_each_difference_as_the_text_shows_it(changed: Path) -> None:
    done = spec_diff(str(changed), "--format", "json", "--fail-on-difference")
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    assert document["edition"] == "1.3.1" and document["vendor"] == str(changed)
    assert document["count"] == len(document["differences"]) == 1
    (difference,) = document["differences"]
    assert difference == {
        "area": "response headers",
        "location": f"{TOKEN}: Pragma",
        "ours": "on 200",
        "theirs": "absent",
        "note": difference["note"],
    }
    text = spec_diff(str(changed)).stdout
    assert all(str(value) in text for value in difference.values())
    empty = json.loads(spec_diff(str(OURS_1_3_1), "--format", "json").stdout)
    assert (empty["count"], empty["differences"]) == (0, [])
