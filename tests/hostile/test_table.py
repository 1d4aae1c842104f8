"""The README's hostile-target table is generated from the cases the tests run."""

from __future__ import annotations

from tests.hostile.server import BEHAVIOURS
from tests.hostile.table import CASES, render_table
from tests.readme_tables import printed_by, readme_section


def test_readme_section_is_the_generated_table() -> None:
    shown = readme_section("hostile-table")
    assert shown is not None, "README lacks the hostile-table markers"
    assert shown == render_table(), "README is stale: paste python -m tests.hostile.table"


def test_the_table_module_prints_the_table() -> None:
    assert printed_by("tests.hostile.table") == render_table()


def test_every_case_is_named_once_and_every_behaviour_is_exercised() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))
    used = {case.behaviour for case in CASES}
    assert set(BEHAVIOURS) - {"sink"} <= used  # the sink is where redirect-307 points
    assert used - set(BEHAVIOURS) <= {"closed-port", "unknown-host"}
