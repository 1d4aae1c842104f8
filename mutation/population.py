"""Which mutants the reference gets, and the key each one keeps while the code moves.

cosmic-ray's operators find the mutation points and write each mutant; this module
chooses the operators and the code they may touch, and describes each mutant as the
lines it changes (`before` -> `after`), so a mutant can be applied to any copy by text
and known across runs by a key that does not depend on line numbers.

What is left out, and why (the report counts each group):
- modules that do not handle requests (the fault table, the failed-login counter no
  answer depends on, the suite's own authorize client, the server wiring);
- in `accounts.py`, loading and printing account files, which no request reaches;
- code that runs only under a named fault: a default run has no faults, so a mutant
  there can change nothing a run sees (the same reason `faults.py` is left out).
"""

from __future__ import annotations

import ast
import difflib
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REFERENCE = Path("conformance") / "reference"

# The modules that handle requests. Left out: faults.py (the fault table; faults are
# off in a default run), logins.py (the failed-login counter: no answer depends on it),
# authorize.py (the suite's client of the authorize route, not the target), server.py,
# process.py, listening.py (serving wiring), __init__.py (re-exports), limits.py (throttling,
# off unless `conformance serve --spike-arrest/--quota`), spelling.py (header names as
# sent, read only under the header-name-case faults).
MODULES: tuple[str, ...] = (
    "accounts.py",
    "app.py",
    "context.py",
    "credentials.py",
    "endpoints.py",
    "errors.py",
    "forms.py",
    "grants.py",
    "headers.py",
    "idtoken.py",
    "middleware.py",
    "store.py",
)

# Functions of those modules that no request reaches: why each is out.
EXCLUDED_DEFINITIONS: dict[tuple[str, str], str] = {
    **{
        ("accounts.py", name): "reads or prints account files (conformance serve), no request"
        for name in (
            "load_accounts",
            "_accounts_from_mapping",
            "_rows",
            "_text",
            "_texts",
            "describe_credentials",
            "__post_init__",
            "_unique",
            "_known_institution",
        )
    },
    ("store.py", "access_token_valid"): "called only under the revoke-access-token-500 fault "
    "(and by the reference's tests)",
    # Called only under one fault, so the same reason as fault-only branches below.
    ("forms.py", "_decode_escapes_by_hand"): "called only under the percent-escape-500 fault",
    ("forms.py", "parse_json_object"): "called only under the json-body-accepted fault",
    ("grants.py", "_write_ascii_audit_log"): "called only under the audit-log-ascii fault",
    ("grants.py", "_plain_cc_request"): "called only under the rfc-cc-broken fault",
    ("headers.py", "invalid_transaction_id_as_sent"): "called only under the txid-reflected fault",
}

# The operators, chosen for defects a person writes in request handling (each one a
# whole class of cosmic-ray's; the others make mostly crashes or impossible code):
# a comparison negated or off by one at a boundary; a condition inverted; a `not`
# dropped; `and`/`or` confused; a flag flipped; a constant off by one (a status code,
# a length, a lifetime); an exception no longer caught; a loop that never runs (a
# validation skipped); expiry arithmetic with the wrong sign.
OPERATORS: tuple[str, ...] = (
    "core/ReplaceComparisonOperator_Eq_NotEq",
    "core/ReplaceComparisonOperator_NotEq_Eq",
    "core/ReplaceComparisonOperator_Is_IsNot",
    "core/ReplaceComparisonOperator_IsNot_Is",
    "core/ReplaceComparisonOperator_Lt_LtE",
    "core/ReplaceComparisonOperator_LtE_Lt",
    "core/ReplaceComparisonOperator_Gt_GtE",
    "core/ReplaceComparisonOperator_GtE_Gt",
    "core/AddNot",
    "core/ReplaceUnaryOperator_Delete_Not",
    "core/ReplaceAndWithOr",
    "core/ReplaceOrWithAnd",
    "core/ReplaceTrueWithFalse",
    "core/ReplaceFalseWithTrue",
    "core/NumberReplacer",
    "core/ExceptionReplacer",
    "core/ZeroIterationForLoop",
    "core/ReplaceBinaryOperator_Add_Sub",
    "core/ReplaceBinaryOperator_Sub_Add",
)


@dataclass(frozen=True)
class Mutant:
    """One mutant: where it is, what it changes, and why it is left out if it is."""

    key: str
    module: str  # file name in conformance/reference/
    operator: str  # cosmic-ray's name, e.g. core/AddNot
    occurrence: int  # cosmic-ray's index of the point among the operator's in the module
    line: int  # first changed line
    statement_line: int  # the line coverage reports for the statement that holds it
    definition: str | None  # the enclosing function or class, if any
    before: tuple[str, ...]  # the changed lines as the module has them
    after: tuple[str, ...]  # the same lines mutated
    ordinal: int  # which occurrence of `before` in the module is changed
    excluded: str | None = field(default=None, compare=False)

    @property
    def where(self) -> str:
        """`grants.py:214` (the first changed line)."""
        return f"{self.module}:{self.line}"

    def diff(self) -> str:
        """The change as a unified diff of the changed lines."""
        path = f"conformance/reference/{self.module}"
        lines = difflib.unified_diff(
            list(self.before),
            list(self.after),
            fromfile=f"a/{path}:{self.line}",
            tofile=f"b/{path}:{self.line}",
            lineterm="",
            n=0,
        )
        return "\n".join(line for line in lines if not line.startswith("@@"))

    def apply(self, source: str) -> str:
        """`source` (the module's text) with this mutant applied; ValueError if the
        lines it changes are no longer there."""
        return replace_lines(source, self.before, self.after, self.ordinal, self.key)


def replace_lines(
    source: str, before: Sequence[str], after: Sequence[str], ordinal: int, name: str
) -> str:
    """`source` with the `ordinal`-th run of whole lines equal to `before` replaced."""
    lines = source.split("\n")
    starts = _occurrences(lines, before)
    if ordinal >= len(starts):
        raise ValueError(
            f"mutant {name}: the lines it changes are not in the module any more "
            f"({before[0].strip()!r})"
        )
    start = starts[ordinal]
    return "\n".join([*lines[:start], *after, *lines[start + len(before) :]])


def _occurrences(lines: Sequence[str], block: Sequence[str]) -> list[int]:
    size = len(block)
    return [i for i in range(len(lines) - size + 1) if tuple(lines[i : i + size]) == tuple(block)]


def mutant_key(
    module: str, operator: str, before: Sequence[str], after: Sequence[str], ordinal: int
) -> str:
    """`grants.py:AddNot:1a2b3c4d5e`: stable while the changed lines stay as they are."""
    digest = hashlib.sha1(
        "\n".join([operator, *before, "->", *after, str(ordinal)]).encode("utf-8")
    ).hexdigest()[:10]
    return f"{module}:{operator.removeprefix('core/')}:{digest}"


def enumerate_mutants(root: Path, modules: Sequence[str] = MODULES) -> Iterator[Mutant]:
    """Every mutant of `modules` under `root` (a checkout), excluded ones included with
    their reason; cosmic-ray writes each mutated module."""
    import cosmic_ray.plugins
    from cosmic_ray.ast import ast_nodes, get_ast
    from cosmic_ray.mutating import MutationVisitor

    for module in modules:
        source = (root / REFERENCE / module).read_text(encoding="utf-8")
        tree = ast.parse(source)
        scope = _Scope(module, tree)
        lines = source.split("\n")
        for name in OPERATORS:
            operator = cosmic_ray.plugins.get_operator(name)()
            positions = [
                start
                for node in ast_nodes(get_ast(source))
                for start, _ in operator.mutation_positions(node)
            ]
            for occurrence, start in enumerate(positions):
                if name == "core/NumberReplacer" and occurrence % 2 and not scope.compared(start):
                    # cosmic-ray writes +1 then -1 for each literal. Outside a comparison
                    # both are one defect (a wrong constant), so only +1 is judged; in a
                    # comparison they are two (a boundary moved either way).
                    continue
                try:
                    mutated = MutationVisitor.mutate_code(source, operator, occurrence)
                except AttributeError:
                    # cosmic-ray 8.7's ExceptionReplacer fails on a dotted name
                    # (`except tomllib.TOMLDecodeError`): no mutant to describe.
                    continue
                if mutated is None:
                    continue
                yield _describe(module, name, occurrence, start, lines, mutated, scope, source)


def _describe(
    module: str,
    operator: str,
    occurrence: int,
    start: tuple[int, int],
    lines: list[str],
    mutated: str,
    scope: _Scope,
    source: str,
) -> Mutant:
    new = mutated.split("\n")
    changes = [
        op
        for op in difflib.SequenceMatcher(None, lines, new, autojunk=False).get_opcodes()
        if op[0] != "equal"
    ]
    i1, i2 = changes[0][1], changes[-1][2]
    j1, j2 = changes[0][3], changes[-1][4]
    before, after = tuple(lines[i1:i2]), tuple(new[j1:j2])
    ordinal = _occurrences(lines, before).index(i1)
    key = mutant_key(module, operator, before, after, ordinal)
    # The description must rebuild cosmic-ray's mutant exactly, or it is not its mutant.
    if replace_lines(source, before, after, ordinal, key) != mutated:
        raise AssertionError(f"mutant {key} does not rebuild cosmic-ray's mutated module")
    position = (start[0], start[1])
    return Mutant(
        key=key,
        module=module,
        operator=operator,
        occurrence=occurrence,
        line=i1 + 1,
        statement_line=scope.statement_line(position),
        definition=scope.definition(position),
        before=before,
        after=after,
        ordinal=ordinal,
        excluded=scope.excluded(position),
    )


class _Scope:
    """What the module's syntax says about a position: its statement, its function, and
    whether it runs only under a named fault."""

    def __init__(self, module: str, tree: ast.Module) -> None:
        self.module = module
        self._statements = [n for n in ast.walk(tree) if isinstance(n, ast.stmt)]
        self._definitions = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        ]
        self._fault_only = list(_fault_only_spans(tree))
        self._compared = {
            (operand.lineno, operand.col_offset)
            for node in ast.walk(tree)
            if isinstance(node, ast.Compare)
            for operand in (node.left, *node.comparators)
        }

    def compared(self, position: tuple[int, int]) -> bool:
        """Whether the literal at `position` is an operand of a comparison."""
        return (position[0], position[1]) in self._compared

    def statement_line(self, position: tuple[int, int]) -> int:
        inner = [n for n in self._statements if _contains(n, position)]
        return max(inner, key=lambda n: (n.lineno, n.col_offset)).lineno if inner else position[0]

    def definition(self, position: tuple[int, int]) -> str | None:
        inner = [n for n in self._definitions if _contains(n, position)]
        return max(inner, key=lambda n: (n.lineno, n.col_offset)).name if inner else None

    def excluded(self, position: tuple[int, int]) -> str | None:
        for node in self._definitions:
            reason = EXCLUDED_DEFINITIONS.get((self.module, node.name))
            if reason and _contains(node, position):
                return f"{node.name}: {reason}"
        for span, guard in self._fault_only:
            if _within(span, position):
                return f"runs only under a fault: {guard}"
        return None


Span = tuple[int, int, int, int]


def _contains(node: ast.AST, position: tuple[int, int]) -> bool:
    return _within(_span(node), position)


def _span(node: ast.AST) -> Span:
    return (node.lineno, node.col_offset, node.end_lineno or node.lineno, node.end_col_offset or 0)  # type: ignore[attr-defined]


def _within(span: Span, position: tuple[int, int]) -> bool:
    return (span[0], span[1]) <= position < (span[2], span[3])


def _fault_only_spans(tree: ast.Module) -> Iterator[tuple[Span, str]]:
    """The code a default run can never execute or never depends on: the branch an
    `if` (or `x if c else y`) takes when a named fault is on, and the other operands
    of an `and` that a named fault makes false."""
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    for node in ast.walk(tree):
        if isinstance(node, ast.If | ast.IfExp):
            body = node.body if isinstance(node, ast.If) else [node.body]
            orelse = node.orelse if isinstance(node, ast.If) else [node.orelse]
            guard = ast.unparse(node.test)
            if _needs_fault(node.test):
                yield _block(body), guard
            if _needs_no_fault(node.test) and orelse:
                yield _block(orelse), f"not ({guard})"
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
            faults = [v for v in node.values if _is_fault(v)]
            if faults and _boolean_context(parents, node):
                guard = ast.unparse(faults[0])
                for value in node.values:
                    if value not in faults:
                        yield _span(value), guard


def _block(statements: Sequence[ast.AST]) -> Span:
    first, last = _span(statements[0]), _span(statements[-1])
    return (first[0], first[1], last[2], last[3])


def _is_fault(node: ast.expr) -> bool:
    """True only under a named fault: `x.has_fault("n")`, `x.fault("n")`, `"n" in faults`."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        named = bool(node.args) and isinstance(node.args[0], ast.Constant)
        return node.func.attr in {"has_fault", "fault"} and named
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.In):
        return isinstance(node.left, ast.Constant) and _names_faults(node.comparators[0])
    return False


def _names_faults(node: ast.expr) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name.endswith("faults") or name == "_NO_FAULTS"


def _needs_fault(test: ast.expr) -> bool:
    if _is_fault(test):
        return True
    return (
        isinstance(test, ast.BoolOp)
        and isinstance(test.op, ast.And)
        and any(_needs_fault(v) for v in test.values)
    )


def _needs_no_fault(test: ast.expr) -> bool:
    """False only under a named fault: `not x.has_fault("n")`, `"n" not in faults`."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _is_fault(test.operand)
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.NotIn):
        return isinstance(test.left, ast.Constant) and _names_faults(test.comparators[0])
    return False


def _boolean_context(parents: dict[ast.AST, ast.AST], target: ast.AST) -> bool:
    """Whether only the truth of `target` is used (an `if` or `while` test, a
    conditional's test, under `not`, `and`, `or` in such a place)."""
    node = target
    while True:
        parent = parents.get(node)
        if isinstance(parent, ast.If | ast.While | ast.IfExp) and parent.test is node:
            return True
        if isinstance(parent, ast.BoolOp) or (
            isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.Not)
        ):
            node = parent
            continue
        return False
