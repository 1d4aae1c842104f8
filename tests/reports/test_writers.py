"""junit.xml, results.json and the Markdown summary, read back as their consumers read them."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import junitparser
import pytest

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


def test_junit__each_case_states_requirement_level_edition_grant_in_its_output() -> None:
    case = _cases(render_junit(SAMPLE, HEADER))["RESP-PRAGMA[password]"]
    assert case.find("properties") is None  # junit-10.xsd allows none in a testcase
    out = case.find("system-out")
    assert out is not None and out.text is not None
    facts = dict(line.split(": ", 1) for line in out.text.split("\n\n")[0].splitlines())
    assert facts == {
        "requirement": "RESP-PRAGMA",
        "level": "SHOULD",
        "edition": "1.3.1",
        "grant": "password",
        "outcome": "warned",
        "decision": "D7",
    }
    assert "WARNED: " in out.text


# The common JUnit schema (Jenkins' junit-10.xsd, which Ant's and Surefire's output
# follow): per element, the attributes it may carry (required ones starred) and the
# elements it may hold. Written here from those facts, so the test needs no download.
JUNIT_SCHEMA: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "testsuites": (
        frozenset({"name", "time", "tests", "failures", "errors"}),
        frozenset({"testsuite"}),
    ),
    "testsuite": (
        frozenset(
            {"*name", "*tests", "*failures", "*errors", "group", "time", "skipped"}
            | {"timestamp", "hostname", "id", "package", "file", "log", "url"}
        ),
        frozenset({"testsuite", "properties", "testcase", "system-out", "system-err"}),
    ),
    "properties": (frozenset(), frozenset({"property"})),
    "property": (frozenset({"*name", "*value"}), frozenset()),
    "testcase": (
        frozenset({"*name", "time", "classname", "group"}),
        frozenset({"skipped", "error", "failure", "system-out", "system-err"})
        | frozenset({"rerunFailure", "rerunError", "flakyFailure", "flakyError"}),
    ),
    **{
        name: (frozenset({"type", "message"}), frozenset())
        for name in ("failure", "error", "skipped")
    },
    **{name: (frozenset(), frozenset()) for name in ("system-out", "system-err")},
}
SUREFIRE_TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?")


def schema_problems(element: ET.Element) -> list[str]:
    """What in `element` and below the common JUnit schema does not allow."""
    if element.tag not in JUNIT_SCHEMA:
        return [f"element <{element.tag}>"]
    attributes, children = JUNIT_SCHEMA[element.tag]
    allowed = {a.lstrip("*") for a in attributes}
    required = {a[1:] for a in attributes if a.startswith("*")}
    problems = [f"<{element.tag} {a}=>" for a in sorted(set(element.attrib) - allowed)]
    problems += [f"<{element.tag}> without {a}" for a in sorted(required - set(element.attrib))]
    time = element.attrib.get("time", "") if element.tag in {"testsuites", "testsuite"} else ""
    if not SUREFIRE_TIME.fullmatch(time):
        problems.append(f"<{element.tag} time={time!r}>")
    for child in element:
        if child.tag not in children:
            problems.append(f"<{child.tag}> in <{element.tag}>")
        problems += schema_problems(child)
    return problems


REQUIRE_COMPLETE = {**HEADER, "require_complete": True}


@pytest.mark.parametrize("header", [HEADER, REQUIRE_COMPLETE], ids=["default", "complete"])
def test_junit__only_what_the_common_junit_schema_allows(header: dict[str, Any]) -> None:
    hostile = outcome("ERR-CODE", "warned", level="SHOULD", message="a\x00<b>&")
    assert schema_problems(ET.fromstring(render_junit([*SAMPLE, hostile], header))) == []


def test_junit__the_schema_check_refuses_what_jenkins_refuses() -> None:
    # The check itself, on the shapes junit-10.xsd refuses: properties in a testcase, an
    # attribute it does not define, a testsuite without its counts.
    case = ET.fromstring(
        '<testsuites><testsuite name="s"><testcase name="t" file="x.py"><properties/>'
        "</testcase></testsuite></testsuites>"
    )
    assert schema_problems(case) == [
        "<testsuite> without errors",
        "<testsuite> without failures",
        "<testsuite> without tests",
        "<testcase file=>",
        "<properties> in <testcase>",
    ]


def test_junit__every_classname_and_name_pair_is_unique() -> None:
    # GitLab keeps one test case per (classname, name): a repeat would hide a result.
    root = ET.fromstring(render_junit(SAMPLE, HEADER))
    pairs = [(c.get("classname"), c.get("name")) for c in root.iter("testcase")]
    assert len(pairs) == len(set(pairs)) == len(SAMPLE)


def test_junit__a_maintained_reader_parses_it_back(tmp_path: Path) -> None:
    path = write_junit(tmp_path / "junit.xml", SAMPLE, HEADER)
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
    (suite,) = suites
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (6, 1, 1, 1)
    results = {case.name: [type(r).__name__ for r in case.result] for case in suite}
    assert results["RESP-TOKEN-TYPE[client_credentials]"] == ["Failure"]
    assert results["NO-5XX"] == ["Error"]
    assert results["CODE-SUCCESS[authorization_code]"] == ["Skipped"]
    assert results["RESP-PRAGMA[password]"] == []  # a warning passes
    passed = {name for name, kinds in results.items() if not kinds}
    assert len(passed) == 3


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
