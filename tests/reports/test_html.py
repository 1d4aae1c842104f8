"""The HTML report: escaping, content and structure read from the markup, then the page in a
real headless Chromium (Playwright): no errors, no requests, filters, JavaScript off.

The browser tests skip when /usr/bin/chromium (or Playwright) is missing, unless
CANDESCENT_TESTS_REQUIRE_BROWSER=1 (CI), where a missing browser fails them (see conftest.py).
"""

from __future__ import annotations

import copy
import dataclasses
import html
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.checks import CHECKS
from conformance.reports.html import render_html, write_html
from conformance.reports.html_template import CONTENT_SECURITY_POLICY
from conformance.results import OUTCOMES, Outcome
from conformance.run_context import cases
from conformance.session import run_header as header_of
from tests.fixtures.targets import reference_context
from tests.reports.conftest import (
    ATTRIBUTE,
    CRLF_VALUE,
    EXPECTED_ROWS,
    FAILED_TITLE,
    PRE_BREAK,
    REPORTS,
    SCREENSHOT,
    SCRIPT,
    TARGET,
    Opened,
    ParsedPage,
    browser_unavailable,
    open_report,
)

GRANT_COLUMNS = ("client_credentials", "password", "authorization_code", "refresh_token", None)


@pytest.fixture
def page_html(outcomes: list[Outcome], run_header: dict[str, Any]) -> str:
    return render_html(outcomes, run_header)


# --- the markup ---------------------------------------------------------------------------
def test_hostile_strings_appear_only_escaped(page_html: str) -> None:
    for raw in (SCRIPT, ATTRIBUTE, PRE_BREAK, TARGET, FAILED_TITLE):
        assert raw not in page_html
        assert html.escape(raw, quote=True) in page_html
    # A CR in a header value is shown as \r, on one line; it never reaches the page raw.
    assert "\r" not in page_html
    assert html.escape(CRLF_VALUE.replace("\r", "\\r").replace("\n", "\\n")) in page_html


def test_the_only_markup_is_the_reports_own(page_html: str) -> None:
    parsed = ParsedPage(page_html)
    names = Counter(tag for tag, _ in parsed.tags)
    assert names["script"] == 1  # the filter script; no injected one
    assert not {"img", "iframe", "object", "embed", "link", "base", "form"} & set(names)
    assert not [n for _, a in parsed.tags for n in a if n.startswith("on")]
    # A `</pre>` in a body did not close its <pre> early.
    assert names["pre"] == parsed.end_tags["pre"]


def test_no_external_references(page_html: str) -> None:
    parsed = ParsedPage(page_html)
    assert all(href.startswith("#") for href in parsed.attributes("href"))
    assert not parsed.attributes("src")
    values = [v for _, a in parsed.tags for v in a.values() if v]
    assert not [v for v in values if "://" in v]
    assert "url(" not in page_html and "@import" not in page_html
    policies = [a for tag, a in parsed.tags if tag == "meta" and "http-equiv" in a]
    assert policies == [
        {"http-equiv": "Content-Security-Policy", "content": CONTENT_SECURITY_POLICY}
    ]
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY


def test_header_describes_the_run(page_html: str) -> None:
    assert '<html lang="en">' in page_html
    for text in (
        "developer",
        "1.3.1",
        "20240611",
        "0.1.0",
        "42.4 s",
        "187 sent",
        "https://sandbox.example/oauth2/token",
        "2025-03-04T10:15:42Z",
    ):
        assert text in page_html


def test_counts_per_outcome(page_html: str, outcomes: list[Outcome]) -> None:
    expected = Counter(o.outcome for o in outcomes)
    for kind in OUTCOMES:
        shown = re.search(rf'data-count="{kind}">.*?<strong>(\d+)</strong> {kind}<', page_html)
        assert shown and int(shown.group(1)) == expected[kind], kind
    assert set(expected) == set(OUTCOMES)  # the fixture covers every kind


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        (OUTCOMES, "ERROR"),
        (("passed", "failed", "warned", "waived", "skipped"), "FAIL"),
        (("passed", "warned", "waived", "skipped"), "PASS"),
    ],
)
def test_verdict_is_prominent_and_in_words(
    outcomes: list[Outcome], run_header: dict[str, Any], kinds: tuple[str, ...], expected: str
) -> None:
    chosen = [o for o in outcomes if o.outcome in kinds]
    page = render_html(chosen, run_header)
    assert f'<p class="verdict verdict-{expected}" id="verdict">Verdict: {expected} ' in page
    assert f"<title>Conformance {expected}:" in page


def test_matrix_has_a_row_per_requirement_with_its_outcomes(page_html: str) -> None:
    rows = dict(ParsedPage(page_html).rows)
    assert tuple(rows) == EXPECTED_ROWS
    assert all(len(cells) == len(GRANT_COLUMNS) for cells in rows.values())
    assert rows["TXID-PRESENT"] == [None, None, None, None, "passed"]
    assert rows["TXID-ECHO"] == [None, None, None, None, "failed"]
    assert rows["RESP-TOKEN-TYPE"] == ["passed", "failed", "skipped", "passed", None]
    assert rows["RESP-PRAGMA"] == ["passed", "warned", None, None, None]
    assert rows["CLIENT-GRANT-FORBIDDEN-403"] == [None, "waived", None, None, None]
    assert rows["TXID-CONCURRENT"] == [None, None, None, None, "error"]
    # requirement, level, decision, summary, then the four grants and "—"
    matrix = page_html.split('id="matrix-table"', 1)[1].split("</table>", 1)[0]
    assert matrix.count('<th scope="col">') == 4 + len(GRANT_COLUMNS)
    assert '<th scope="row"><code>TXID-ECHO</code></th>' in page_html


def test_every_cell_links_to_its_section(page_html: str, outcomes: list[Outcome]) -> None:
    parsed = ParsedPage(page_html)
    ids = parsed.attributes("id")
    assert len(ids) == len(set(ids))
    case_links = [h for h in parsed.attributes("href") if h.startswith("#case-")]
    # one per matrix cell, and one more per case the list of what needs attention names
    listed = [o for o in outcomes if o.outcome in ("failed", "warned", "error")]
    assert len(case_links) == len(outcomes) + len(listed)
    assert {h[1:] for h in parsed.attributes("href")} <= set(ids)


def test_sections_non_passing_first_passed_collapsed(page_html: str) -> None:
    groups = [(tag, a["data-group"]) for tag, a in ParsedPage(page_html).tags if "data-group" in a]
    assert [g for _, g in groups] == ["error", "failed", "warned", "waived", "skipped", "passed"]
    assert [tag for tag, g in groups if tag == "details"] == ["details"]
    assert ("details", "passed") in groups


def test_messages_waivers_evidence_and_curl(page_html: str) -> None:
    assert '<p class="message-title">token_type is not Bearer</p>' in page_html
    assert "Expected: Bearer (any case)\nReceived: &#x27;mac&#x27;" in page_html
    assert "Waiver applied: the failure is accepted until 2031-06-30." in page_html
    assert f"Reason: vendor ticket 1234 {html.escape(SCRIPT)}" in page_html
    assert "(stale waiver)" in page_html  # marked in the matrix: the waiver can go
    assert "POST https://sandbox.example/oauth2/token\ncontent-type:" in page_html
    assert "HTTP 400 (41.7 ms)" in page_html
    assert '<h6>Reproduce with curl</h6><pre class="curl">curl -i -X POST' in page_html
    indented = '{\n  "access_token": "********",\n  "token_type": "mac",'
    assert html.escape(indented) in page_html


def test_curl_line__says_which_variables_to_set_next_to_it() -> None:
    from conformance.reports.html_template import exchange_html
    from tests.reports.sample import EVIDENCE

    shown = exchange_html(1, EVIDENCE, open_=True)
    line_then_hint = shown.split('<pre class="curl">', 1)[1].split("</pre>", 1)[1]
    assert line_then_hint.lstrip().startswith(
        '<p class="note">Set CONFORMANCE_CLIENT_ID, CONFORMANCE_CLIENT_SECRET in the shell first'
    )
    plain = exchange_html(1, {**EVIDENCE, "curl": "curl -i http://t.test/"}, open_=True)
    assert "in the shell first" not in plain


def test_bodies_are_shown_as_recorded_unless_indenting_is_lossless(
    outcomes: list[Outcome], run_header: dict[str, Any]
) -> None:
    failed = outcomes[1]
    record = copy.deepcopy(failed.evidence[0])
    record["response"]["body"] = '{"a": 1, "a": 2}\x00'
    page = render_html([dataclasses.replace(failed, evidence=[record])], run_header)
    assert html.escape('{"a": 1, "a": 2}\\x00') in page  # duplicate key kept, NUL visible


def test_write_html_creates_the_file(
    tmp_path: Path, outcomes: list[Outcome], run_header: dict[str, Any]
) -> None:
    path = write_html(tmp_path / "out" / "report.html", outcomes, run_header)
    assert path == tmp_path / "out" / "report.html"
    assert path.read_text(encoding="utf-8") == render_html(outcomes, run_header)


def test_an_empty_run_still_renders(run_header: dict[str, Any]) -> None:
    page = render_html([], run_header)
    assert "Verdict: ERROR" in page and "<tbody>" in page


# --- the page in a real browser -----------------------------------------------------------
def test_missing_browser_skips_unless_required() -> None:
    with pytest.raises(pytest.skip.Exception, match="no chromium"):
        browser_unavailable("no chromium", required=False)
    with pytest.raises(pytest.fail.Exception, match="CANDESCENT_TESTS_REQUIRE_BROWSER=1"):
        browser_unavailable("no chromium", required=True)


@pytest.fixture
def report_file(tmp_path: Path, outcomes: list[Outcome], run_header: dict[str, Any]) -> Path:
    return write_html(tmp_path / "reports" / "report.html", outcomes, run_header)


@pytest.fixture
def opened(browser: Any, report_file: Path) -> Iterator[Opened]:
    with open_report(browser, report_file) as loaded:
        yield loaded


@pytest.fixture
def opened_without_js(browser: Any, report_file: Path) -> Iterator[Opened]:
    with open_report(browser, report_file, javascript=False) as loaded:
        yield loaded


# Which matrix rows are rendered, and which check sections no filter hides.
STATE = """() => ({
  rows: Array.from(document.querySelectorAll("tr[data-outcomes]"))
    .filter((row) => row.checkVisibility()).map((row) => row.querySelector("th").textContent),
  checks: Array.from(document.querySelectorAll("article[data-outcome]"))
    .filter((check) => !check.closest("[hidden]")).map((check) => check.dataset.outcome),
  rendered: Array.from(document.querySelectorAll("article[data-outcome]"))
    .filter((check) => check.checkVisibility()).map((check) => check.dataset.outcome),
})"""


def test_opens_without_errors_or_requests(opened: Opened, report_file: Path) -> None:
    assert opened.page.title().startswith("Conformance ERROR: https://sandbox.example/")
    assert opened.page.locator("#filters").is_visible()
    assert not opened.page.get_by_text("every check is shown").is_visible()
    assert opened.errors == []
    assert opened.requests == [report_file.as_uri()]


def test_hostile_script_does_not_run(opened: Opened) -> None:
    opened.page.get_by_role("button", name="failed", exact=True).click()
    assert opened.page.evaluate("() => window.__pwned") is None
    assert opened.page.title() == f"Conformance ERROR: {TARGET}"  # as text, not run
    shown = opened.page.get_by_text(FAILED_TITLE)  # as text instead: listed, and its check
    assert shown.count() == 2 and shown.first.is_visible() and shown.last.is_visible()


@pytest.mark.parametrize(
    ("kind", "rows"),
    [
        ("failed", ["TXID-ECHO", "RESP-TOKEN-TYPE"]),
        ("warned", ["RESP-PRAGMA"]),
        ("skipped", ["RESP-TOKEN-TYPE"]),
        ("passed", ["TXID-PRESENT", "RESP-TOKEN-TYPE", "RESP-PRAGMA"]),
    ],
)
def test_filter_shows_only_its_outcome_and_all_restores(
    opened: Opened, outcomes: list[Outcome], kind: str, rows: list[str]
) -> None:
    page = opened.page
    everything = sorted(o.outcome for o in outcomes)
    page.get_by_role("button", name=kind, exact=True).click()
    state = page.evaluate(STATE)
    expected = [o.outcome for o in outcomes if o.outcome == kind]
    assert (state["rows"], state["checks"], state["rendered"]) == (rows, expected, expected)
    assert page.get_by_role("button", name=kind, exact=True).get_attribute("aria-pressed") == (
        "true"
    )
    assert f"Showing {len(expected)} {kind} of {len(outcomes)} checks." in page.inner_text("nav")
    page.get_by_role("button", name="all", exact=True).click()
    state = page.evaluate(STATE)
    assert (state["rows"], sorted(state["checks"])) == (list(EXPECTED_ROWS), everything)
    assert opened.errors == []


def test_a_cell_link_reveals_a_collapsed_or_filtered_check(opened: Opened) -> None:
    page = opened.page
    page.get_by_role("button", name="failed", exact=True).click()
    target = page.locator("#case-RESP-TOKEN-TYPE-client_credentials")
    assert not target.is_visible()
    page.locator('a[href="#case-RESP-TOKEN-TYPE-client_credentials"]').click()
    assert target.is_visible()  # the filter dropped, the passed group opened
    assert opened.errors == []


def test_readable_without_javascript(opened_without_js: Opened) -> None:
    page = opened_without_js.page
    assert page.locator("#attention").get_by_text(FAILED_TITLE).is_visible()
    assert page.locator("#case-TXID-ECHO").get_by_text(FAILED_TITLE).is_visible()
    assert (
        page.locator("#case-RESP-TOKEN-TYPE-password")
        .get_by_text("token_type is not Bearer")
        .is_visible()
    )
    # The matrix is collapsed under the list, and <details> opens without a script.
    assert not page.locator("#matrix-table").is_visible()
    page.get_by_text("Requirement matrix").click()
    assert page.locator("#matrix-table").is_visible()
    assert not page.locator("#filters").is_visible()  # inert controls stay out of the way
    assert page.get_by_text("every check is shown").is_visible()
    hidden = page.locator("article[data-outcome]:not(details *)").evaluate_all(
        "(checks) => checks.filter((check) => !check.checkVisibility()).length"
    )
    assert hidden == 0
    assert opened_without_js.errors == []


def test_full_page_screenshot(opened: Opened) -> None:
    REPORTS.mkdir(exist_ok=True)
    opened.page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert SCREENSHOT.stat().st_size > 20_000


# --- a real run ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def reference_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of a real run against the reference serving token_type 'mac'."""
    faults = frozenset({"token-type-mac"})
    with reference_context(faults=faults, skip_properties=True) as context:
        # Only requirements with a registered check: the catalogue may run ahead of them.
        chosen = [c for c in cases(context.contract) if c.requirement.id in CHECKS]
        outcomes = context.judge_all(chosen)
        header = {**header_of(context), "requests_sent": context.sender.requests_sent}
    return write_html(tmp_path_factory.mktemp("reference") / "report.html", outcomes, header)


@pytest.mark.slow
def test_a_real_run_fills_the_matrix(reference_report: Path) -> None:
    rows = dict(ParsedPage(reference_report.read_text(encoding="utf-8")).rows)
    assert rows["RESP-TOKEN-TYPE"] == ["failed", "failed", "failed", "failed", None]
    failing = {name for name, cells in rows.items() if "failed" in cells or "error" in cells}
    assert failing == {"RESP-TOKEN-TYPE"}


@pytest.mark.slow
def test_a_real_run_in_the_browser(browser: Any, reference_report: Path) -> None:
    with open_report(browser, reference_report) as opened:
        opened.page.get_by_role("button", name="failed", exact=True).click()
        assert opened.page.evaluate(STATE)["rows"] == ["RESP-TOKEN-TYPE"]
        assert opened.page.get_by_text("Reproduce with curl").first.is_visible()
        assert opened.errors == []
        assert opened.requests == [reference_report.as_uri()]
        opened.page.get_by_role("button", name="all", exact=True).click()
        REPORTS.mkdir(exist_ok=True)
        opened.page.screenshot(
            path=str(REPORTS / "report-screenshot-reference.png"), full_page=True
        )
