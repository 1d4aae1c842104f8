"""A fixed sample of killed mutants that every `pytest` tries again (tests/test_mutation.py).

A full mutation run takes about an hour, so CI does not make one; it tries ~30 mutants
that the last full run saw killed, spread over modules and operators, and fails naming
any that survives: a check weakened since then shows up in the next commit, not the
next full run. Each sample mutant is stored as the lines it changes, so trying it needs
neither cosmic-ray nor the network. Each is tried with the run that killed it first,
and the others only if that one passes.

`python -m mutation.sample reports/mutation.json` picks a new sample from a full run's
report and writes `mutation/sample.toml`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mutation.kill import RUNS, RUNS_BY_NAME, Verdict, kill
from mutation.population import Mutant
from mutation.workspace import ROOT, Workspace, temporary_workspace

SAMPLE = ROOT / "mutation" / "sample.toml"
SIZE = 30


@dataclass(frozen=True)
class SampleMutant:
    """A sample entry: the mutant and the run that killed it in the full run."""

    mutant: Mutant
    killed_by: str
    requirements: tuple[str, ...]


def load_sample(path: Path = SAMPLE) -> list[SampleMutant]:
    """The sample's mutants, in file order."""
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        SampleMutant(
            Mutant(
                key=entry["key"],
                module=entry["module"],
                operator=entry["operator"],
                occurrence=-1,
                line=entry["line"],
                statement_line=entry["line"],
                definition=entry.get("definition"),
                before=tuple(entry["before"]),
                after=tuple(entry["after"]),
                ordinal=entry["ordinal"],
            ),
            entry["killed_by"],
            tuple(entry.get("requirements", ())),
        )
        for entry in document["mutant"]
    ]


def try_sample(sample: Sequence[SampleMutant], workers: int = 2) -> dict[str, Verdict]:
    """Each sample mutant's verdict, `workers` at a time (each with a copy of its own)."""
    verdicts: dict[str, Verdict] = {}
    chunks = [list(sample[i::workers]) for i in range(workers)]
    with ExitStack() as stack:
        workspaces = [stack.enter_context(temporary_workspace()) for _ in chunks]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for results in pool.map(_try_chunk, workspaces, chunks):
                verdicts.update(results)
    return verdicts


def _try_chunk(workspace: Workspace, chunk: Sequence[SampleMutant]) -> dict[str, Verdict]:
    results: dict[str, Verdict] = {}
    for entry in chunk:
        first = RUNS_BY_NAME[entry.killed_by]
        runs = [first, *(run for run in RUNS if run is not first)]
        with workspace.mutated(entry.mutant):
            results[entry.mutant.key] = kill(workspace, runs)
    return results


def pick(report: Mapping[str, Any], size: int = SIZE) -> list[Mapping[str, Any]]:
    """`size` killed mutants of a full run's report, spread over modules and, within a
    module, over operators: a module in turn gives its next operator's quickest kill (by
    a MUST failure first)."""
    by_module: dict[str, dict[str, list[Mapping[str, Any]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for entry in report["mutants"]:
        if entry["outcome"] == "killed":
            by_module[entry["module"]][entry["operator"]].append(entry)
    queues: dict[str, list[Mapping[str, Any]]] = {}
    for module, operators in sorted(by_module.items()):
        for entries in operators.values():
            entries.sort(
                key=lambda e: (e["runs"][-1]["exit_code"] != 1, e["runs"][-1]["seconds"], e["key"])
            )
        # one of each operator, then the second of each, and so on
        rounds = max(len(entries) for entries in operators.values())
        queues[module] = [
            operators[name][i]
            for i in range(rounds)
            for name in sorted(operators)
            if i < len(operators[name])
        ]
    chosen: list[Mapping[str, Any]] = []
    while len(chosen) < size and any(queues.values()):
        for module in sorted(queues):
            if queues[module] and len(chosen) < size:
                chosen.append(queues[module].pop(0))
    return chosen


def write_sample(
    chosen: Sequence[Mapping[str, Any]], mutants: Mapping[str, Mutant], path: Path = SAMPLE
) -> None:
    """`mutation/sample.toml`, each entry with the lines it changes (`mutants`: by key)."""
    lines = [
        "# The mutants every `pytest` tries again (tests/test_mutation.py): killed in the last",
        "# full run, spread over modules and operators. Written by",
        "# `python -m mutation.sample reports/mutation.json`; see mutation/sample.py.",
    ]
    for entry in chosen:
        mutant = mutants[str(entry["key"])]
        lines += [
            "",
            "[[mutant]]",
            f"key = {_toml(mutant.key)}",
            f"module = {_toml(mutant.module)}",
            f"operator = {_toml(mutant.operator)}",
            f"line = {mutant.line}",
            *([f"definition = {_toml(mutant.definition)}"] if mutant.definition else []),
            f"ordinal = {mutant.ordinal}",
            f"before = [{', '.join(_toml(line) for line in mutant.before)}]",
            f"after = [{', '.join(_toml(line) for line in mutant.after)}]",
            f"killed_by = {_toml(str(entry['killed_by']))}",
            f"requirements = [{', '.join(_toml(str(r)) for r in entry['requirements'])}]",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _toml(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def _from_report(entry: Mapping[str, Any]) -> Mutant:
    return Mutant(
        key=str(entry["key"]),
        module=Path(str(entry["module"])).name,
        operator=str(entry["operator"]),
        occurrence=-1,
        line=int(entry["line"]),
        statement_line=int(entry["line"]),
        definition=entry.get("definition"),
        before=tuple(entry["before"]),
        after=tuple(entry["after"]),
        ordinal=int(entry["ordinal"]),
    )


def _mutants_by_key(root: Path) -> Iterator[tuple[str, Mutant]]:
    from mutation.population import enumerate_mutants

    for mutant in enumerate_mutants(root):
        yield mutant.key, mutant


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mutation.sample", description=__doc__.split("\n")[0]
    )
    parser.add_argument("report", type=Path, help="a full run's mutation.json")
    parser.add_argument("--size", type=int, default=SIZE)
    args = parser.parse_args(argv)
    report = json.loads(args.report.read_text(encoding="utf-8"))
    chosen = pick(report, args.size)
    mutants = {str(e["key"]): _from_report(e) for e in chosen if "before" in e}
    if len(mutants) < len(chosen):  # a report without the changed lines: find them again
        mutants = dict(_mutants_by_key(ROOT))
    write_sample(chosen, mutants)
    print(f"wrote {len(chosen)} mutants to {SAMPLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
