"""Mutation testing of the reference (mutation/): the driver on both sides, and the fixed
sample of mutants every run of the tests tries again (CI makes no full run: an hour)."""

from __future__ import annotations

import ast
import importlib.util
import json
from pathlib import Path

import pytest

from mutation.kill import RUNS_BY_NAME, kill
from mutation.population import Mutant, _fault_only_spans, mutant_key, replace_lines
from mutation.run import (
    EQUIVALENT_KINDS,
    SANITY,
    Coverage,
    Record,
    judge,
    load_equivalents,
    summary,
    write_reports,
)
from mutation.sample import load_sample, try_sample
from mutation.workspace import ROOT, Workspace

REFERENCE = ROOT / "conformance" / "reference"
# A real defect in rule 3: a request without an Authorization header passes it.
NO_AUTH_CHECK = Mutant(
    key="credentials.py:ReplaceUnaryOperator_Delete_Not:test",
    module="credentials.py",
    operator="core/ReplaceUnaryOperator_Delete_Not",
    occurrence=0,
    line=0,
    statement_line=0,
    definition="authenticate_client",
    before=("    if not values:",),
    after=("    if  values:",),
    ordinal=0,
)
# What a clean rfc6749 run executes of it (made up here: only the run order reads it).
REACHED = Coverage({"rfc6749": {"credentials.py": frozenset({0})}})


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("mutants")).create()


def _mutant(before: str, after: str, ordinal: int = 0) -> Mutant:
    return Mutant(
        key=mutant_key("m.py", "core/AddNot", (before,), (after,), ordinal),
        module="m.py",
        operator="core/AddNot",
        occurrence=0,
        line=1,
        statement_line=1,
        definition=None,
        before=(before,),
        after=(after,),
        ordinal=ordinal,
    )


def test_a_mutant_is_applied_to_the_lines_it_names_wherever_they_moved() -> None:
    mutant = _mutant("    if ok:", "    if not ok:")
    source = "def f(ok):\n    if ok:\n        return 1\n"
    moved = "import os\n\n" + source
    assert mutant.apply(source) == source.replace("if ok:", "if not ok:")
    assert mutant.apply(moved) == moved.replace("if ok:", "if not ok:")
    assert mutant.key == _mutant("    if ok:", "    if not ok:").key  # no line number in it


def test_the_ordinal_tells_identical_lines_apart() -> None:
    source = "x = 1\nx = 1\n"
    assert replace_lines(source, ["x = 1"], ["x = 2"], 1, "m") == "x = 1\nx = 2\n"
    assert _mutant("x = 1", "x = 2", 0).key != _mutant("x = 1", "x = 2", 1).key


def test_a_mutant_whose_lines_are_gone_says_so() -> None:
    with pytest.raises(ValueError, match="not in the module any more"):
        _mutant("    if ok:", "    if not ok:").apply("def f(ok):\n    return ok\n")


def test_code_that_runs_only_under_a_named_fault_is_found() -> None:
    source = (
        "if ctx.has_fault('a'):\n"
        "    x = 1\n"
        "if status == 400 and 'b' in faults:\n"
        "    y = 2\n"
        "z = 3 if request.fault('c') else 4\n"
        "if 'd' not in faults:\n"
        "    w = 5\n"
        "else:\n"
        "    v = 6\n"
        "if status == 400 or 'e' in faults:\n"
        "    u = 7\n"
    )
    spans = {(span[0], span[1]): guard for span, guard in _fault_only_spans(ast.parse(source))}
    assert spans == {
        (2, 4): "ctx.has_fault('a')",
        (3, 3): "'b' in faults",  # `status == 400`: false or not, the `and` is false
        (4, 4): "status == 400 and 'b' in faults",
        (5, 4): "request.fault('c')",
        (9, 4): "not ('d' not in faults)",
    }  # line 11 runs for any 400: not fault-only


def test_the_population_covers_request_handling_only() -> None:
    if importlib.util.find_spec("cosmic_ray") is None:
        pytest.skip("cosmic-ray is the `mutation` extra's (nox -s mutants installs it)")
    from mutation.population import MODULES, enumerate_mutants

    mutants = list(enumerate_mutants(ROOT, ("credentials.py",)))
    assert len({m.key for m in mutants}) == len(mutants)
    assert {m.module for m in mutants} == {"credentials.py"}
    assert "faults.py" not in MODULES
    # the `secret-prefix-compare` fault's branch is out, its guard is in
    prefix = [m for m in mutants if "startswith(secret)" in m.before[0]]
    assert prefix and all(m.excluded and "secret-prefix-compare" in m.excluded for m in prefix)
    assert sum(not m.excluded for m in mutants) > 20


def test_every_equivalent_has_an_argument() -> None:
    equivalents = load_equivalents()
    assert all(len(argument) > 20 for argument in equivalents.values())


@pytest.mark.slow
def test_the_copy_is_what_runs(workspace: Workspace) -> None:
    assert workspace.imported_reference().is_relative_to(workspace.root.resolve())
    workspace.prove()


@pytest.mark.slow
def test_a_clean_reference_survives(workspace: Workspace) -> None:
    verdict = kill(workspace, [RUNS_BY_NAME["rfc6749"]])
    assert verdict.outcome == "survived"
    assert [r.exit_code for r in verdict.runs] == [0]


@pytest.mark.slow
def test_a_killing_mutant_is_reported_killed_with_the_run_and_requirements(
    workspace: Workspace, tmp_path: Path
) -> None:
    record = judge(NO_AUTH_CHECK, workspace, REACHED, {})
    assert record.outcome == "killed"
    entry = record.as_dict()
    assert entry["killed_by"] == "rfc6749"
    assert entry["requirements"]  # the requirements the run failed, from its results.json
    assert workspace.module("credentials.py").read_text(encoding="utf-8") == (
        REFERENCE / "credentials.py"
    ).read_text(encoding="utf-8")  # restored
    json_path, md_path = write_reports([record], [], {"source": "test"}, tmp_path)
    assert json.loads(json_path.read_text())["counts"]["killed"] == 1
    assert "| 1 | 1 | 0 | 0 | 0 | 100.0% |" in md_path.read_text()


@pytest.mark.slow
def test_the_sanity_mutant_is_killed(workspace: Workspace) -> None:
    with workspace.mutated(SANITY):
        assert kill(workspace, [RUNS_BY_NAME["rfc6749"]]).outcome == "killed"


def test_an_equivalent_listed_mutant_is_marked_equivalent_and_not_run(workspace: Workspace) -> None:
    record = judge(NO_AUTH_CHECK, workspace, REACHED, {NO_AUTH_CHECK.key: "an argument"})
    assert (record.outcome, record.reason, record.runs) == ("equivalent", "an argument", ())


def test_an_unreached_mutant_survives_without_a_run(workspace: Workspace) -> None:
    record = judge(NO_AUTH_CHECK, workspace, Coverage({}), {})
    assert (record.outcome, record.runs) == ("survived", ())


def test_the_score_leaves_equivalents_out() -> None:
    records = [Record(NO_AUTH_CHECK, o) for o in ("killed", "killed", "survived", "equivalent")]
    records.append(Record(NO_AUTH_CHECK, "equivalent", EQUIVALENT_KINDS["allowed"] + "a reason"))
    assert summary(records) == {
        "total": 5,
        "killed": 2,
        "survived": 1,
        "timeout": 0,
        "equivalent": 2,
        "equivalent_allowed": 1,
        "score": round(2 / 3, 4),
    }


def test_an_equivalent_of_an_unknown_kind_is_refused(tmp_path: Path) -> None:
    listed = tmp_path / "equivalent.toml"
    listed.write_text('[[equivalent]]\nkey = "k"\nargument = "a reason"\nkind = "maybe"\n')
    with pytest.raises(ValueError, match="kind"):
        load_equivalents(listed)
    listed.write_text('[[equivalent]]\nkey = "k"\nargument = "a reason"\nkind = "allowed"\n')
    assert load_equivalents(listed) == {"k": "allowed by the contract: a reason"}


def test_every_sample_mutant_still_applies_to_the_reference() -> None:
    sample = load_sample()
    assert len(sample) >= 25
    for entry in sample:
        source = (REFERENCE / entry.mutant.module).read_text(encoding="utf-8")
        entry.mutant.apply(source)  # ValueError names it: re-pick with python -m mutation.sample


@pytest.mark.slow
def test_the_sample_of_mutants_is_still_killed() -> None:
    verdicts = try_sample(load_sample(), workers=2)
    survivors = {
        key: [f"{r.run}: exit {r.exit_code}" for r in verdict.runs]
        for key, verdict in verdicts.items()
        if verdict.outcome != "killed"
    }
    assert survivors == {}, "sample mutants no check kills any more (mutation/sample.toml)"
