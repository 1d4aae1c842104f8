"""A fresh `pip install -e .` holds everything the package imports (issue 15: the main
job crashed on a fresh machine because a run-time import came only with the test extras)."""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "conformance"


def _imported_top_levels() -> set[str]:
    names: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"conformance", "__future__"}


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {Requirement(spec).name.lower() for spec in project["dependencies"]}


def test_every_third_party_import_of_the_package_is_a_declared_dependency() -> None:
    distributions = packages_distributions()
    undeclared = {
        module: distributions.get(module, ["?"])
        for module in _imported_top_levels()
        if not {d.lower() for d in distributions.get(module, [])} & _declared()
    }
    assert undeclared == {}, "declare these in [project] dependencies, not only in extras"
