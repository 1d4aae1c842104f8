"""A target that puts markup and control characters everywhere the suite shows what it
received: the HTML report shows them escaped (and a real browser runs none of it), JUnit
XML and JSON stay well-formed and carry them as data, the terminal gets no escape
sequences, and the client's credentials the target echoes back are masked."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from conformance.redact import MASK
from tests.hostile.conftest import BASIC, Finished, Runs, with_cases
from tests.hostile.server import IMG, PRE_BREAK, SCRIPT
from tests.hostile.table import Case
from tests.reports.conftest import ParsedPage, open_report

pytestmark = pytest.mark.slow
hostile = with_cases("hostile-content")
PLANTED = (SCRIPT, IMG, PRE_BREAK)


def response_headers(run: Finished) -> list[tuple[str, str]]:
    return [
        (name, value)
        for r in run.results()["results"]
        for e in r["evidence"]
        if e["response"]
        for name, value in e["response"]["headers"]
    ]


@hostile
def test_html_report__shows_the_markup_only_escaped(case: Case, hostile_runs: Runs) -> None:
    page = hostile_runs[case.name].html()
    for raw in PLANTED:
        assert raw not in page
        assert html.escape(raw, quote=True) in page
    assert "\r" not in page and "\x1b" not in page and "\\x1b[2J" in page  # shown, not obeyed
    parsed = ParsedPage(page)
    names = [tag for tag, _ in parsed.tags]
    assert names.count("script") == 1  # the report's own filter script
    assert not {"img", "iframe", "object", "embed", "base", "form"} & set(names)
    assert not [name for _, attrs in parsed.tags for name in attrs if name.startswith("on")]
    assert names.count("pre") == parsed.end_tags["pre"]  # a </pre> in a body closed nothing


@hostile
def test_html_report__no_script_from_the_target_runs_in_a_browser(
    case: Case, hostile_runs: Runs, browser: Any
) -> None:
    report = hostile_runs[case.name].report("report.html")
    with open_report(browser, report) as opened:
        page = opened.page
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true })")
        for kind in ("failed", "warned", "passed", "all"):
            page.get_by_role("button", name=kind, exact=True).click()
        assert page.evaluate("() => window.__pwned") is None
        assert "pwned" not in page.title()
        assert page.get_by_text("window.__pwned = 2").first.is_visible()  # shown as text
        assert opened.errors == []
        assert opened.requests == [report.as_uri()]  # no injected <img src=x> was fetched


@hostile
def test_junit_and_json__carry_the_markup_as_data(case: Case, hostile_runs: Runs) -> None:
    run = hostile_runs[case.name]
    root = ET.parse(run.report("junit.xml")).getroot()
    assert not {"script", "img"} & {element.tag for element in root.iter()}
    echo = next(t for t in root.iter("testcase") if t.get("name") == "TXID-ECHO")
    failure = echo.find("failure")
    assert failure is not None and "<script>" in (failure.text or "")
    assert any(v.endswith(SCRIPT) for n, v in response_headers(run) if n == "transactionId")


@hostile
def test_the_terminal_gets_no_escape_sequence_or_carriage_return(
    case: Case, hostile_runs: Runs
) -> None:
    run = hostile_runs[case.name]
    assert "\x1b" not in run.stdout and "\r" not in run.stdout
    assert "TXID-ECHO" in run.stdout  # the failure is reported all the same


@hostile
def test_credentials_the_target_echoes_back_are_masked(case: Case, hostile_runs: Runs) -> None:
    run = hostile_runs[case.name]
    echoed = [value for name, value in response_headers(run) if name == "X-You-Sent"]
    assert f"Basic {MASK}" in echoed  # the client's own; the suite's malformed ones show
    assert not [value for value in echoed if BASIC in value]


@hostile
def test_the_targets_error_code_is_shown_not_masked(case: Case, hostile_runs: Runs) -> None:
    # A JSON `code` is the platform's error code: masking it would hide what the target said
    # (and let a target mask any word of the report by answering with it as its code).
    run = hostile_runs[case.name]
    assert any(f"code 400{SCRIPT}" in message for message in run.messages("failed"))
