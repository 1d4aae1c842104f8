"""The top of the HTML report: a failing run opens on what failed, warned or errored, each
linked to its evidence, with the full matrix collapsed below; in a real browser, with and
without JavaScript, on a report written by a real run against a faulty reference.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from conformance.reports.html import render_html
from conformance.reports.html_template import ATTENTION, REASON_LENGTH
from conformance.results import Outcome
from tests.fixtures.targets import run_reference
from tests.reports.conftest import FAILED_TITLE, ParsedPage, open_report

VIEWPORT_HEIGHT = 800
FAULT = "token-type-mac"  # breaks RESP-TOKEN-TYPE, for every grant


# --- the markup ---------------------------------------------------------------------------
def _listed(page: str) -> list[tuple[str, str]]:
    """(data-attention, href) of each row of the list of what needs attention."""
    parsed = ParsedPage(page)
    kinds = [a["data-attention"] or "" for _, a in parsed.tags if "data-attention" in a]
    section = page.split('id="attention"', 1)[1].split("</section>", 1)[0]
    links = [a["href"] or "" for _, a in ParsedPage(section).tags if "href" in a]
    return list(zip(kinds, links, strict=True))


def test_the_list_comes_first_worst_first_each_row_linking_to_its_check(
    outcomes: list[Outcome], run_header: dict[str, Any]
) -> None:
    page = render_html(outcomes, run_header)
    body = page.split("<body>", 1)[1]
    assert body.index('id="attention"') < body.index('id="run"') < body.index('id="matrix"')
    assert '<h2 id="attention-title">Needs attention: 1 error, 2 failed, 1 warned</h2>' in page
    assert _listed(page) == [
        ("error", "#case-TXID-CONCURRENT"),
        ("failed", "#case-TXID-ECHO"),
        ("failed", "#case-RESP-TOKEN-TYPE-password"),
        ("warned", "#case-RESP-PRAGMA-password"),
    ]
    ids = set(ParsedPage(page).attributes("id"))
    assert {href[1:] for _, href in _listed(page)} <= ids
    # the one-line reason: the message's title line, never its Expected / Received lines
    assert '<td class="reason">token_type is not Bearer</td>' in page
    assert "Expected: Bearer" not in page.split('id="attention"', 1)[1].split("</section>")[0]
    # under the list the matrix is collapsed: no `open` on its <details>
    assert '<details class="matrix" id="matrix-details"><summary>' in page


def test_a_run_with_nothing_to_attend_to_has_no_list_and_an_open_matrix(
    outcomes: list[Outcome], run_header: dict[str, Any]
) -> None:
    calm = [o for o in outcomes if o.outcome not in ATTENTION]
    page = render_html(calm, run_header)
    assert 'id="attention"' not in page and "data-attention" not in page
    assert '<details class="matrix" id="matrix-details" open><summary>' in page


def test_a_long_or_empty_message_still_gives_one_line(
    outcomes: list[Outcome], run_header: dict[str, Any]
) -> None:
    failed = next(o for o in outcomes if o.outcome == "failed")
    long = dataclasses.replace(failed, message="x" * 500 + "\nsecond line")
    page = render_html([long], run_header)
    assert f'<td class="reason">{"x" * (REASON_LENGTH - 1)}…</td>' in page
    bare = dataclasses.replace(failed, message="", summary="What the rule says.")
    assert '<td class="reason">What the rule says.</td>' in render_html([bare], run_header)


def test_the_listed_reason_is_escaped(outcomes: list[Outcome], run_header: dict[str, Any]) -> None:
    section = render_html(outcomes, run_header).split('id="attention"', 1)[1]
    assert "<script>" not in section.split("</section>", 1)[0]
    assert FAILED_TITLE.split("<", 1)[0] in section  # the text is there, escaped


# --- a real failing run in the browser ----------------------------------------------------
@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Outcome]]:
    """report.html and the outcomes of a run against the reference with one named fault."""
    report_dir = tmp_path_factory.mktemp("failing-run")
    outcomes = run_reference(report_dir, faults=frozenset({FAULT}), skip_properties=True)
    return report_dir / "report.html", outcomes


# The list's rows as the browser lays them out, and where each link's target is.
TOP = """() => {
  const section = document.getElementById("attention");
  const firstHeading = Array.from(document.querySelectorAll("h2"))
    .find((heading) => heading.checkVisibility());
  return {
    top: section.getBoundingClientRect().top,
    firstRowBottom: section.querySelector("tbody tr").getBoundingClientRect().bottom,
    firstHeading: firstHeading.id,
    firstSection: document.querySelector("section").id,
    rows: Array.from(section.querySelectorAll("tbody tr")).map((row) => {
      const href = row.querySelector("a").getAttribute("href");
      const target = document.getElementById(href.slice(1));
      return {
        requirement: row.querySelector("code").textContent,
        outcome: row.dataset.attention,
        href: href,
        target: target && target.tagName,
        targetOutcome: target && target.dataset.outcome,
        evidence: target ? target.querySelectorAll("details.exchange").length : 0,
      };
    }),
  };
}"""


def _expected(outcomes: list[Outcome]) -> set[tuple[str, str]]:
    return {(o.requirement_id, o.outcome) for o in outcomes if o.outcome in ATTENTION}


def _check_top(top: dict[str, Any], outcomes: list[Outcome]) -> None:
    assert top["firstSection"] == "attention" and top["firstHeading"] == "attention-title"
    assert 0 <= top["top"] < top["firstRowBottom"] < VIEWPORT_HEIGHT
    rows = top["rows"]
    assert {(r["requirement"], r["outcome"]) for r in rows} == _expected(outcomes)
    assert len(rows) == sum(o.outcome in ATTENTION for o in outcomes)
    for row in rows:
        assert row["target"] == "ARTICLE" and row["targetOutcome"] == row["outcome"], row
        assert row["evidence"] >= 1, row  # the exchanges that show the failure


@pytest.mark.slow
def test_a_failing_run_opens_on_its_failures_each_linked_to_its_evidence(
    browser: Any,
    failing_run: tuple[Path, list[Outcome]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    report, outcomes = failing_run
    assert ("RESP-TOKEN-TYPE", "failed") in _expected(outcomes)
    with open_report(browser, report, height=VIEWPORT_HEIGHT) as opened:
        page = opened.page
        top = page.evaluate(TOP)
        _check_top(top, outcomes)
        screenshot = tmp_path / "report-top.png"
        page.screenshot(path=str(screenshot))  # the first screen, as a reader sees it
        assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with capsys.disabled():
            print(f"\nscreenshot of a failing run's report, first screen: {screenshot}")
        assert not page.locator("#matrix-table").is_visible()  # collapsed below
        for row in top["rows"]:
            page.evaluate("() => window.scrollTo(0, 0)")
            page.locator(f'#attention a[href="{row["href"]}"]').click()
            box = page.locator(row["href"]).bounding_box()
            assert box is not None and 0 <= box["y"] < VIEWPORT_HEIGHT, row["href"]
        assert opened.errors == []
        assert opened.requests == [report.as_uri()]


@pytest.mark.slow
def test_the_top_needs_no_javascript(browser: Any, failing_run: tuple[Path, list[Outcome]]) -> None:
    report, outcomes = failing_run
    with open_report(browser, report, javascript=False, height=VIEWPORT_HEIGHT) as opened:
        page = opened.page
        assert not page.locator("#filters").is_visible()  # the script did not run
        _check_top(page.evaluate(TOP), outcomes)
        assert page.locator("#attention").is_visible()
        first = page.locator("#attention tbody a").first
        href = first.get_attribute("href")
        first.click()  # a plain fragment link: the browser scrolls, no script involved
        box = page.locator(str(href)).bounding_box()
        assert box is not None and 0 <= box["y"] < VIEWPORT_HEIGHT
        assert opened.errors == []
