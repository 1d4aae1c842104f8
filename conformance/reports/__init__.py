"""Writers of the result model: junit.xml, results.json, report.html, a Markdown summary.

Each reads only `Outcome` records and the run header (conformance.results).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from conformance.reports.html import write_html
from conformance.reports.junit import write_junit
from conformance.reports.markdown import write_markdown
from conformance.reports.results_json import write_results
from conformance.results import Outcome

__all__ = ["write_reports"]


def write_reports(
    report_dir: Path,
    outcomes: Sequence[Outcome],
    header: Mapping[str, Any],
    summary_md: Path | None = None,
) -> dict[str, Path]:
    """Write every report of a run; returns their paths by name."""
    written = {
        "results.json": write_results(report_dir / "results.json", outcomes, header),
        "junit.xml": write_junit(report_dir / "junit.xml", outcomes, header),
    }
    written["report.html"] = write_html(report_dir / "report.html", outcomes, header)
    if summary_md is not None:
        written["summary.md"] = write_markdown(summary_md, outcomes, header)
    return written
