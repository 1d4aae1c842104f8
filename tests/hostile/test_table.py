"""The hostile-target table (docs/hostile-targets.md) is generated from the cases the tests run."""

from __future__ import annotations

from tests.hostile.server import BEHAVIOURS
from tests.hostile.table import CASES, render_table
from tests.readme_tables import document_section, printed_by

DOCUMENT = "docs/hostile-targets.md"


def test_docs_table__is_the_generated_table() -> None:
    shown = document_section(DOCUMENT, "hostile-table")
    assert shown is not None, f"{DOCUMENT} lacks the hostile-table markers"
    assert shown == render_table(), f"{DOCUMENT} is stale: paste python -m tests.hostile.table"


def test_the_table_module_prints_the_table() -> None:
    assert printed_by("tests.hostile.table") == render_table()


def test_every_case_is_named_once_and_every_behaviour_is_exercised() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))
    used = {case.behaviour for case in CASES}
    assert set(BEHAVIOURS) - {"sink"} <= used  # the sink is where redirect-307 points
    assert used - set(BEHAVIOURS) <= {"closed-port", "unknown-host"}
