"""Meta-tests: every registered check has unit tests that show it pass, fail and skip.

The claims are read from the test modules' marks, not from what this session happened
to collect, so running one file alone still judges the whole directory:
`@pytest.mark.requirement(id)` on a test or a `pytest.param`, or a parametrize table
whose first argument is `requirement_id`; `@pytest.mark.verdict(kind)` on the test.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from conformance.checks import CHECKS
from conformance.contract import RFC6749, contract_for, load_contract

HERE = Path(__file__).resolve().parent
VERDICTS = ("passes", "fails", "skips")


def _modules() -> Iterator[ModuleType]:
    for path in sorted(HERE.glob("test_*.py")):
        if path.name == Path(__file__).name:
            continue
        spec = importlib.util.spec_from_file_location(f"_coverage_{path.stem}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up while it loads
        try:
            spec.loader.exec_module(module)
        finally:
            del sys.modules[spec.name]
        yield module


def _argnames(mark: Any) -> list[str]:
    names = mark.args[0]
    return [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)


def _ids_of(function: Any) -> set[str]:
    """The requirement ids a test function claims something about."""
    ids: set[str] = set()
    for mark in getattr(function, "pytestmark", []):
        if mark.name == "requirement":
            ids.add(mark.args[0])
        elif mark.name == "parametrize":
            first = _argnames(mark)[0]
            for value in mark.args[1]:
                values = getattr(value, "values", None)
                ids.update(
                    m.args[0] for m in getattr(value, "marks", ()) if m.name == "requirement"
                )
                if first == "requirement_id":
                    if values is None:
                        values = value if isinstance(value, tuple | list) else (value,)
                    ids.add(values[0])
    return ids


def claims() -> list[tuple[str, str, str]]:
    """(requirement id, verdict, test name) for every marked test in tests/checks."""
    found = []
    for module in _modules():
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("test_"):
                continue
            verdicts = [
                m.args[0] for m in getattr(function, "pytestmark", []) if m.name == "verdict"
            ]
            for rid in _ids_of(function):
                found += [(rid, verdict, f"{module.__name__}::{name}") for verdict in verdicts]
                if not verdicts:
                    found.append((rid, "", f"{module.__name__}::{name}"))
    return found


CLAIMS = claims()


def test_coverage__every_check_has_a_passing_failing_and_skipping_test() -> None:
    missing = {
        rid: [v for v in VERDICTS if (rid, v) not in {(r, k) for r, k, _ in CLAIMS}]
        for rid in CHECKS
    }
    missing = {rid: kinds for rid, kinds in missing.items() if kinds}
    assert not missing, f"checks without a test of each verdict: {missing}"


def test_coverage__tests_name_only_registered_checks() -> None:
    unknown = sorted({(rid, test) for rid, _, test in CLAIMS if rid not in CHECKS})
    assert not unknown


def test_coverage__every_claim_says_its_verdict() -> None:
    unmarked = sorted({test for _, verdict, test in CLAIMS if verdict not in VERDICTS})
    assert not unmarked, "tests naming a requirement without @pytest.mark.verdict(...)"


def test_coverage__every_requirement_of_both_contracts_has_a_check() -> None:
    platform = {r.id for r in load_contract().requirements}
    rfc6749 = {r.id for r in contract_for(RFC6749).requirements}
    assert platform | rfc6749 == set(CHECKS)
    assert (len(platform), len(rfc6749)) == (87, 49)
