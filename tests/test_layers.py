"""The package keeps to the layers ARCHITECTURE.md draws.

Every import under conformance/ is read with `ast`, wherever it sits: at module level,
inside a function, under `if TYPE_CHECKING:`. An import its module's row of the table
does not allow fails, naming the file, the line and the rule. The table is held here as
data, and a test keeps it equal to the one in ARCHITECTURE.md.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "conformance"
ARCHITECTURE = ROOT / "ARCHITECTURE.md"

# A layer is a top-level module or package of `conformance`; "__init__" is the package's
# own __init__.py (the public API, `__version__`). Each layer maps to the layers it may
# import anywhere; a layer may always import its own modules.
ALLOWED: dict[str, frozenset[str]] = {
    layer: frozenset(allowed)
    for layer, allowed in {
        "__init__": {"contract", "errors", "settings", "settings_load"},
        "errors": set(),
        "contract": {"errors"},
        "settings": {"contract", "errors", "pacing"},
        "settings_load": {"contract", "errors", "pacing", "settings"},
        "exchange": set(),
        "redact": {"exchange", "reproduce"},
        "reproduce": {"exchange"},
        "concurrency": {"exchange"},
        "pacing": set(),
        "sender": {
            "concurrency",
            "contract",
            "errors",
            "exchange",
            "pacing",
            "redact",
            "settings",
        },
        "preflight": {"errors", "exchange", "sender", "settings"},
        "tls_posture": set(),
        "raw_send": {"exchange", "sender"},
        "vocabulary": set(),
        "scenarios": {"contract", "errors", "exchange", "sender", "settings", "vocabulary"},
        "checks": {"contract", "errors", "exchange", "tls_posture", "token_entropy", "vocabulary"},
        "properties": {
            "checks",  # our checks run inside schemathesis
            "contract",
            "errors",
            "exchange",
            "openapi",
            "raw_send",
            "scenarios",
            "sender",
        },
        "results": set(),
        "token_entropy": set(),
        "waivers": {"contract", "errors", "results", "settings", "settings_load"},
        "threats": {"contract", "results"},
        "lockout": {"errors", "exchange", "preflight", "settings"},
        "recordings": {
            "contract",
            "errors",
            "exchange",
            "preflight",
            "scenarios",
            "tuning",
            "vocabulary",
        },
        "judging": {"checks", "contract", "errors", "exchange", "results", "waivers"},
        "run_context": {
            "contract",
            "errors",
            "exchange",
            "judging",
            "lockout",
            "properties",
            "recordings",
            "redact",
            "results",
            "scenarios",
            "sender",
            "settings",
            "tls_posture",
            "waivers",
        },
        "reports": {"results"},
        "bundle": {"errors", "reports", "results"},
        "openapi": {"contract", "errors"},
        "spec_facts": set(),
        "spec_normalise": {"spec_facts"},
        "spec_diff": {"contract", "errors", "spec_facts", "spec_normalise"},
        "session": {
            "__init__",
            "bundle",
            "contract",
            "errors",
            "openapi",
            "preflight",
            "reports",
            "results",
            "run_context",
            "settings",
            "settings_load",
            "threats",
            "waivers",
        },
        "suite_plugin": {"errors", "reports", "results", "run_context", "session"},
        "suite": {"results", "run_context"},
        "plugin": {"errors", "settings"},
        "embedded": {"errors", "reference", "settings"},
        "tuning": set(),
        "run_command": {
            "embedded",
            "errors",
            "pacing",
            "plugin",
            "results",
            "run_context",
            "session",
            "settings",
            "suite_plugin",
            "tuning",
        },
        "serve_command": {"contract", "embedded", "reference", "reproduce", "results", "settings"},
        "cli": {
            "__init__",
            "bundle",
            "contract",
            "errors",
            "openapi",
            "results",
            "run_command",
            "serve_command",
            "session",
            "settings",
            "spec_diff",
            "tuning",
        },
        "reference": set(),
    }.items()
}

# Layers a module may import only for annotations, under `if TYPE_CHECKING:`: at run
# time the engine hands scenarios its `RunContext`, and they never import it back.
TYPES_ONLY: dict[str, frozenset[str]] = {
    "scenarios": frozenset({"run_context"}),
    "recordings": frozenset({"run_context"}),
    "judging": frozenset({"run_context"}),
    "properties": frozenset({"run_context"}),
}

# Layers a module may import only inside a function: every pytest session where the
# package is installed loads the plugin, so the engine waits until a run is asked for.
DEFERRED_ONLY: dict[str, frozenset[str]] = {
    "plugin": frozenset({"results", "run_context", "session", "suite_plugin"}),
}

# Top-level names of third-party distributions a layer may import besides the standard
# library; a layer not listed may import any declared dependency (tests/test_packaging.py).
THIRD_PARTY: dict[str, frozenset[str]] = {
    # the reference shares no code with the suite, so it cannot agree with the checks
    "reference": frozenset({"h11", "starlette", "uvicorn"}),
    # checks are pure functions over recordings: they send nothing
    "checks": frozenset(),
    "reports": frozenset(),
    # a leaf the run and its reports call: arithmetic over strings, nothing to install
    "token_entropy": frozenset(),
    # a leaf the run calls: TLS handshakes and the certificate's dates, nothing else
    "tls_posture": frozenset({"cryptography"}),
}

# Imports that break the table today and are tolerated until their removal, keyed by
# (file, layer imported). Not a place for new ones: change the table, or the code.
KNOWN_EXCEPTIONS: frozenset[tuple[str, str]] = frozenset()

TOP, FUNCTION, TYPES = "at module level", "inside a function", "under if TYPE_CHECKING"


@dataclass(frozen=True)
class Import:
    """One imported module, resolved to its dotted name, and where the import sits."""

    path: str  # from the project root
    line: int
    module: str
    where: str


def layer_of_path(path: str) -> str:
    """The layer of a file, given its path from the project root."""
    parts = Path(path).relative_to("conformance").parts
    return "__init__" if parts == ("__init__.py",) else parts[0].removesuffix(".py")


def layer_of_module(module: str) -> str:
    """The layer of a dotted name under `conformance`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _package_of(path: str) -> list[str]:
    parts = list(Path(path).with_suffix("").parts)
    return parts[:-1]  # the package a relative import starts from (for __init__ too)


def _resolved(node: ast.Import | ast.ImportFrom, path: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        package = _package_of(path)
        base = package[: len(package) - (node.level - 1)]
        module = ".".join([*base, node.module] if node.module else base)
    else:
        module = node.module or ""
    if module.split(".")[0] != "conformance":
        return [module]
    # `from conformance.x import y`: y is a submodule, or a name defined in x
    package_dir = ROOT.joinpath(*module.split("."))
    found = [
        f"{module}.{alias.name}"
        if (package_dir / f"{alias.name}.py").is_file() or (package_dir / alias.name).is_dir()
        else module
        for alias in node.names
    ]
    return list(dict.fromkeys(found))  # several names from one module: one import


def imports_of(path: str, source: str) -> Iterator[Import]:
    """Every import in `source` (the file at `path`), wherever it sits."""

    def walk(node: ast.AST, where: str) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                for module in _resolved(child, path):
                    yield Import(path, child.lineno, module, where)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for statement in child.body:
                    yield from walk(ast.Module(body=[statement], type_ignores=[]), TYPES)
                for statement in child.orelse:
                    yield from walk(ast.Module(body=[statement], type_ignores=[]), where)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from walk(child, TYPES if where == TYPES else FUNCTION)
            else:
                yield from walk(child, where)

    yield from walk(ast.parse(source, filename=path), TOP)


def package_imports() -> list[Import]:
    return [
        found
        for file in sorted(PACKAGE.rglob("*.py"))
        for found in imports_of(file.relative_to(ROOT).as_posix(), file.read_text(encoding="utf-8"))
    ]


def _rule(layer: str) -> str:
    allowed = ", ".join(sorted(ALLOWED[layer])) or "nothing else of conformance"
    text = f"{layer} may import {allowed}"
    if layer in TYPES_ONLY:
        text += f"; for types only: {', '.join(sorted(TYPES_ONLY[layer]))}"
    if layer in DEFERRED_ONLY:
        text += f"; in a function only: {', '.join(sorted(DEFERRED_ONLY[layer]))}"
    if layer in THIRD_PARTY:
        others = ", ".join(sorted(THIRD_PARTY[layer]))
        text += "; outside conformance, the standard library" + (f", {others}" if others else "")
    return text


def _allowed(layer: str, target: str, where: str) -> bool:
    if target == layer or target in ALLOWED[layer]:
        return True
    if target in TYPES_ONLY.get(layer, ()):
        return where == TYPES
    if target in DEFERRED_ONLY.get(layer, ()):
        return where in (FUNCTION, TYPES)
    return False


def violations(imports: Iterable[Import], layers: Iterable[str] | None = None) -> list[str]:
    """`file:line: what` for each import the table forbids (in `layers`, or in all)."""
    chosen = set(ALLOWED if layers is None else layers)
    found: list[str] = []
    for imported in imports:
        layer = layer_of_path(imported.path)
        if layer not in chosen:
            continue
        top = imported.module.split(".")[0]
        if top == "conformance":
            target = layer_of_module(imported.module)
            if (imported.path, target) in KNOWN_EXCEPTIONS or _allowed(
                layer, target, imported.where
            ):
                continue
            what = f"imports {imported.module} {imported.where}"
        elif layer in THIRD_PARTY and top not in THIRD_PARTY[layer]:
            if top in sys.stdlib_module_names or top == "__future__":
                continue
            what = f"imports {top}"
        else:
            continue
        found.append(f"{imported.path}:{imported.line}: {what}; ARCHITECTURE.md: {_rule(layer)}")
    return found


def _assert_keeps_to_the_table(layers: Iterable[str]) -> None:
    broken = violations(package_imports(), layers)
    assert broken == [], "imports the layer table forbids:\n" + "\n".join(broken)


def test_layers__reference_imports_nothing_from_the_suite() -> None:
    _assert_keeps_to_the_table(["reference"])


def test_layers__checks_import_no_scenarios() -> None:
    # only contract, errors, exchange and their own modules, and no third party: pure
    _assert_keeps_to_the_table(["checks"])


def test_layers__reports_import_only_results() -> None:
    _assert_keeps_to_the_table(["reports"])


def test_layers__bundle_imports_only_results_errors_and_reports() -> None:
    _assert_keeps_to_the_table(["bundle"])


def test_layers__plugin_imports_the_engine_only_inside_a_function() -> None:
    _assert_keeps_to_the_table(["plugin"])


def test_layers__every_module_keeps_to_its_row() -> None:
    _assert_keeps_to_the_table(ALLOWED)


def test_layers__every_module_has_a_row() -> None:
    layers = {layer_of_path(f.relative_to(ROOT).as_posix()) for f in PACKAGE.rglob("*.py")}
    assert layers - set(ALLOWED) == set(), "add a row to ARCHITECTURE.md and to ALLOWED here"
    assert set(ALLOWED) - layers == set(), "rows for modules that no longer exist"


def _table_in_architecture_md() -> dict[str, dict[str, frozenset[str]]]:
    """ARCHITECTURE.md's layer table as {layer: {"anywhere"|"types"|"deferred": layers}}."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    table: dict[str, dict[str, frozenset[str]]] = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        layer = cells[0].strip("`/")
        kinds: dict[str, set[str]] = {"anywhere": set(), "types": set(), "deferred": set()}
        for clause in cells[2].split(";"):
            clause = clause.strip()
            kind = (
                "types"
                if clause.startswith("for types only:")
                else "deferred"
                if clause.startswith("in a function only:")
                else "anywhere"
            )
            kinds[kind] |= set(re.findall(r"`(\w+)/?`", clause))
        table[layer] = {kind: frozenset(names) for kind, names in kinds.items()}
    return table


def test_layers__rules_here_are_the_table_in_architecture_md() -> None:
    here = {
        layer: {
            "anywhere": allowed,
            "types": TYPES_ONLY.get(layer, frozenset()),
            "deferred": DEFERRED_ONLY.get(layer, frozenset()),
        }
        for layer, allowed in ALLOWED.items()
    }
    assert _table_in_architecture_md() == here


def test_layers__reader_finds_imports_in_functions_and_type_checking_blocks() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "import httpx\n"
        "from conformance import session, __version__\n"
        "if TYPE_CHECKING:\n"
        "    from conformance.run_context import RunContext\n"
        "def f():\n"
        "    from conformance.scenarios import SCENARIOS\n"
        "    from .registry import check\n"
    )
    found = {(i.line, i.module, i.where) for i in imports_of("conformance/checks/fake.py", source)}
    assert {
        (2, "httpx", TOP),
        (3, "conformance.session", TOP),
        (3, "conformance", TOP),
        (5, "conformance.run_context", TYPES),
        (7, "conformance.scenarios", FUNCTION),
        (8, "conformance.checks.registry", FUNCTION),
    } <= found
    broken = violations(imports_of("conformance/checks/fake.py", source))
    assert [line.split(": ", 1)[0] for line in broken] == [
        f"conformance/checks/fake.py:{n}" for n in (2, 3, 3, 5, 7)
    ]
