"""junit.xml, results.json and the Markdown summary, read back as their consumers read them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema

from conformance.reports.junit import render_junit, write_junit
from conformance.reports.markdown import render_markdown
from conformance.reports.results_json import results_schema, write_results
from conformance.reports.terminal import render_summary
from tests.reports.sample import HEADER, SAMPLE, outcome


def _cases(xml: bytes) -> dict[str, ET.Element]:
    suite = ET.fromstring(xml).find("testsuite")
    assert suite is not None
    return {case.get("name", ""): case for case in suite.findall("testcase")}


def test_junit__one_testcase_per_check_and_grant_with_stable_names() -> None:
    cases = _cases(render_junit(SAMPLE, HEADER))
    assert set(cases) == {
        "RESP-TOKEN-TYPE[client_credentials]",
        "RESP-TOKEN-TYPE[password]",
        "RESP-PRAGMA[password]",
        "RESP-PRAGMA[client_credentials]",
        "CODE-SUCCESS[authorization_code]",
        "NO-5XX",
    }


def test_junit__failure_error_and_skip_are_distinct_with_their_texts(tmp_path: Path) -> None:
    path = write_junit(tmp_path / "junit.xml", SAMPLE, HEADER)
    root = ET.parse(path).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    assert (
        suite.get("tests"),
        suite.get("failures"),
        suite.get("errors"),
        suite.get("skipped"),
    ) == ("6", "1", "1", "1")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    failure = cases["RESP-TOKEN-TYPE[client_credentials]"].find("failure")
    assert failure is not None and failure.get("message") == "token_type is not Bearer."
    assert failure.get("type") == "MUST" and "Reproduce: curl" in (failure.text or "")
    error = cases["NO-5XX"].find("error")
    assert error is not None and "BudgetExhausted" in (error.get("message") or "")
    skipped = cases["CODE-SUCCESS[authorization_code]"].find("skipped")
    assert skipped is not None and "AUTH_CODE_COMMAND" in (skipped.get("message") or "")
    assert cases["RESP-PRAGMA[password]"].find("failure") is None  # a SHOULD warning
    waived = cases["RESP-PRAGMA[client_credentials]"].find("system-out")
    assert waived is not None and "gateway strips it" in (waived.text or "")


def test_junit__properties_name_requirement_level_edition_grant() -> None:
    case = _cases(render_junit(SAMPLE, HEADER))["RESP-PRAGMA[password]"]
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert properties == {
        "requirement": "RESP-PRAGMA",
        "level": "SHOULD",
        "edition": "1.3.1",
        "grant": "password",
        "outcome": "warned",
        "decision": "D7",
    }


def test_junit__hostile_text_stays_well_formed_xml() -> None:
    hostile = outcome(
        "ERR-BODY-SHAPE",
        "failed",
        message="<script>alert(1)</script>\x00\x1b]]>&\n\nExpected: a\nReceived: b",
    )
    xml = render_junit([hostile], HEADER)
    failure = ET.fromstring(xml).find("testsuite/testcase/failure")  # parses: well formed
    assert failure is not None and "<script>" in (failure.get("message") or "")
    assert b"<script>" not in xml  # escaped on the wire


def test_results_json__validates_against_its_published_schema(tmp_path: Path) -> None:
    path = write_results(tmp_path / "results.json", SAMPLE, HEADER)
    document = json.loads(path.read_text())
    jsonschema.validate(document, results_schema())
    assert document["schema_version"] == 1
    assert document["verdict"] == "ERROR" and document["exit_code"] == 2
    assert document["counts"]["failed"] == 1 and document["results"][0]["outcome"] == "error"


def test_results_json__stale_waivers_are_listed(tmp_path: Path) -> None:
    stale = outcome(
        "RESP-PRAGMA",
        "passed",
        "refresh_token",
        waiver={"reason": "r", "expires": "2099-01-01", "state": "stale"},
    )
    document = json.loads(write_results(tmp_path / "r.json", [stale], HEADER).read_text())
    assert document["stale_waivers"] == ["RESP-PRAGMA:refresh_token"]


def test_markdown__verdict_counts_and_a_safe_table() -> None:
    hostile = outcome("ERR-CODE", "warned", level="SHOULD", message="a | b <img src=x>\n\nx")
    text = render_markdown([*SAMPLE, hostile], HEADER)
    assert text.startswith("## Conformance: ERROR")
    assert "| 1 | 1 | 2 | 1 | 1 | 1 |" in text  # passed failed warned waived skipped error
    assert "a \\| b &lt;img src=x&gt;" in text


def test_terminal_summary__table_of_what_did_not_pass() -> None:
    text = render_summary(SAMPLE, HEADER)
    assert "Conformance ERROR" in text
    assert "FAILED   MUST    RESP-TOKEN-TYPE:client_credentials  token_type is not Bearer." in text
    assert "WAIVED" in text and "SKIPPED" in text


def test_terminal_summary__the_rate_and_the_back_pressure_met() -> None:
    pushed = {
        "answers": 7,
        "by_kind": {"spike arrest": 6, "quota": 1},
        "rate_seen": [24, 31],
        "unresolved": 0,
        "in_bursts": 2,
    }
    header = {
        **HEADER,
        "rate_limit": "auto:50",
        "settled_rate": 13.5,
        "retries_honoured": 5,
        "back_pressure": pushed,
    }
    assert (
        "rate auto:50, settled at 13.5 req/s; back-pressure: 7 answers (6 spike arrest, 1 quota)"
        " at 24-31 req/s sent, 5 retried, 0 unresolved, 2 in bursts"
    ) in render_summary(SAMPLE, header)
    quiet = {**HEADER, "rate_limit": "0", "back_pressure": {"answers": 0}}
    assert "rate unlimited; back-pressure: none" in render_summary(SAMPLE, quiet)


def test_results_json__the_back_pressure_fields_fit_the_schema(tmp_path: Path) -> None:
    header = {
        **HEADER,
        "rate_limit": "auto",
        "settled_rate": None,
        "back_pressure": {
            "answers": 1,
            "by_kind": {"spike arrest": 1},
            "rate_seen": [26, 26],
            "unresolved": 1,
            "in_bursts": 0,
        },
    }
    document = json.loads(write_results(tmp_path / "results.json", SAMPLE, header).read_text())
    jsonschema.validate(document, results_schema())
    assert document["run"]["back_pressure"]["unresolved"] == 1
