"""Detection against budget: which named reference faults a run catches within N requests.

`python benchmarks/budget_curve.py` (or `nox -s bench`, which runs it) runs the suite
through its real path (`run_command.run_suite`: pytest, the suite's plugin, the verdict)
against the reference with one fault at a time, in a process of its own as `conformance
run` has it, at `--max-requests` 250, 500, 750, 1000 and the default, seed fixed. A
fault is caught when its requirement fails (a MUST: the run exits 1) or warns (a
SHOULD). Platform faults are run against edition 1.3.1, the rfc6749-only ones against
the RFC 6749 edition under the rfc6749 contract. The clean reference of both is run at
each budget too: anything it fails, warns or cannot judge is a false failure.

Other requirements failing beside a fault's are listed apart (`also_failed`): a required
field made optional also fails SCHEMA-NEGATIVE-REJECTED once generated bodies are sent.
A run whose budget was not reached and whose examples it did not cut (results.json's
`examples`) sends what every larger budget sends (the same seed, the same requests), so
those larger budgets are not run again: their row says `same_as`.

Every fault at every budget takes about half an hour on 2 cores; by default the curve is
measured on the faults only generated input meets (`generated_input`), those of the
lifecycle machine, and every SAMPLE_EVERY-th of the others by name; `--all` runs every
fault, `--budgets` and `--only` narrow it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from conformance.contract import RFC6749
from conformance.embedded import REFERENCE_WRONG_PASSWORD_CAP, ReferenceCodeSource, role_settings
from conformance.reference import FAULTS, default_accounts
from conformance.reference.process import ReferenceProcess
from conformance.run_command import run_suite
from conformance.settings import Settings

SEED = 20261128
BUDGETS: tuple[int | None, ...] = (250, 500, 750, 1000, None)  # None: the default
SAMPLE_EVERY = 7
# Faults the lifecycle machines' recording catches (tests/properties/test_lifecycle.py):
# always measured, since the machines' share of a short budget is what changes.
LIFECYCLE_FAULTS = (
    "rotated-refresh-still-valid",
    "revoke-noop",
    "refresh-not-bound-to-client",
    "unknown-refresh-accepted",
)


@dataclass(frozen=True)
class Target:
    """The reference with `fault` (None: clean), judged under `edition`."""

    fault: str | None
    edition: str

    @property
    def wanted(self) -> tuple[str, ...]:
        """The requirements the fault breaks: the one it names and those it entails."""
        if self.fault is None:
            return ()
        fault = FAULTS[self.fault]
        if self.edition == RFC6749:
            return (str(fault.rfc6749),)
        return (str(fault.requirement), *fault.also)

    @property
    def name(self) -> str:
        return self.fault or f"clean ({self.edition})"


@dataclass
class Run:
    target: str
    edition: str
    budget: int | None
    exit_code: int
    requests: int
    wall_s: float
    caught: bool
    examples: int
    # clean: every requirement failed, warned or not judged (error), and exit 2
    false_failures: list[str] = field(default_factory=list)
    # faulted: the other requirements that failed beside the fault's
    also_failed: list[str] = field(default_factory=list)
    same_as: int | None = None  # not run: the same requests as at budget `same_as`


def targets(every: bool) -> list[Target]:
    """The clean reference of both contracts, then the faults (all, or the sample)."""
    chosen = [Target(None, "1.3.1"), Target(None, RFC6749)]
    names = sorted(FAULTS)
    others = [n for n in names if not FAULTS[n].generated_input and n not in LIFECYCLE_FAULTS]
    sample = set(others[::SAMPLE_EVERY])
    for name in names:
        fault = FAULTS[name]
        if every or fault.generated_input or name in LIFECYCLE_FAULTS or name in sample:
            chosen.append(Target(name, RFC6749 if fault.rfc6749_only else "1.3.1"))
    return chosen


def run_once(target: Target, budget: int | None) -> Run:
    """One run of the suite against the reference with `target`'s fault."""
    faults = frozenset({target.fault}) if target.fault else frozenset()
    contract = RFC6749 if target.edition == RFC6749 else "platform"
    with tempfile.TemporaryDirectory() as reports:
        base = Settings(edition=target.edition, contract=contract, report_dir=reports, seed=SEED)
        if budget is not None:
            base = replace(base, max_requests=budget)
        settings = replace(
            base,
            wrong_password_cap=REFERENCE_WRONG_PASSWORD_CAP,
            **role_settings(default_accounts()),  # type: ignore[arg-type]
        )
        started = time.perf_counter()
        with (
            ReferenceProcess(target.edition, faults=faults) as server,
            contextlib.redirect_stdout(io.StringIO()),  # pytest's own lines
        ):
            code = run_suite(
                settings, server.url, ReferenceCodeSource(settings, server.url), out=io.StringIO()
            )
        wall = time.perf_counter() - started
        document = json.loads((Path(reports) / "results.json").read_text(encoding="utf-8"))
    results = document["results"]
    broken = {r["requirement_id"] for r in results if r["outcome"] in {"failed", "warned"}}
    failed = {r["requirement_id"] for r in results if r["outcome"] == "failed"}
    errors = sorted({r["requirement_id"] for r in results if r["outcome"] == "error"})
    could_not = [f"{e} (error)" for e in errors] + (["exit 2"] if code == 2 else [])
    run = Run(
        target.name,
        target.edition,
        budget,
        code,
        int(document["run"]["requests_sent"]),
        wall,
        bool(target.wanted) and set(target.wanted) <= broken,
        int(document["run"]["examples"]),
    )
    if target.fault is None:
        run.false_failures = sorted(broken) + could_not
    else:
        run.also_failed = sorted(failed - set(target.wanted)) + could_not
    return run


def curve(
    chosen: Sequence[Target], budgets: Sequence[int | None], log: TextIO | None = None
) -> list[Run]:
    """Every target at every budget, smallest first (a budget that changed nothing is
    not run again for the larger ones)."""
    runs: list[Run] = []
    for target in chosen:
        uncut: Run | None = None  # a run whose budget changed nothing
        for budget in budgets:
            if uncut is not None:
                runs.append(replace(uncut, budget=budget, same_as=uncut.budget))
                continue
            run = run_once(target, budget)
            runs.append(run)
            uncut = run if _uncut(run) else None
            if log is not None:
                print(
                    f"{target.name:40} {budget or 'default':>7} exit {run.exit_code} "
                    f"{run.requests:5} req {run.wall_s:5.1f} s examples {run.examples:3} "
                    f"caught={run.caught} false={run.false_failures} also={run.also_failed}",
                    file=log,
                    flush=True,
                )
    return runs


def _uncut(run: Run) -> bool:
    """The run's budget changed nothing: it was not reached, nor were examples cut."""
    return (
        run.budget is not None and run.requests < run.budget and run.examples >= Settings.examples
    )


def summary(runs: Iterable[Run], budgets: Sequence[int | None]) -> dict[str, dict[str, Any]]:
    """Per budget: faults run and caught, those missed, false failures, the clean runs."""
    by_budget: dict[str, dict[str, Any]] = {}
    every = list(runs)
    for budget in budgets:
        here = [r for r in every if r.budget == budget]
        faulted = [r for r in here if not r.target.startswith("clean")]
        clean = [r for r in here if r.target.startswith("clean")]
        by_budget[str(budget or "default")] = {
            "faults": len(faulted),
            "caught": sum(r.caught for r in faulted),
            "missed": sorted(r.target for r in faulted if not r.caught),
            "false_failures": sorted({f"{r.target}: {f}" for r in here for f in r.false_failures}),
            "also_failed": sorted({f"{r.target}: {f}" for r in here for f in r.also_failed}),
            "clean_exit": {r.edition: r.exit_code for r in clean},
            "requests_clean": {r.edition: r.requests for r in clean},
            "examples_clean": {r.edition: r.examples for r in clean},
            "wall_s": round(sum(r.wall_s for r in here if r.same_as is None), 1),
        }
    return by_budget


def every_fault_caught_within(figures: dict[str, dict[str, Any]]) -> str | None:
    """The smallest budget at which every fault measured was caught with no false
    failure, and every larger one too; None when there is none."""
    smallest = None
    for budget, row in reversed(list(figures.items())):
        if row["caught"] != row["faults"] or row["false_failures"]:
            break
        smallest = budget
    return smallest


def markdown(figures: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| --max-requests | requests sent, clean (1.3.1 / rfc6749) | examples | faults caught "
        "| missed | false failures |",
        "|---|---:|---:|---:|---|---|",
    ]
    for budget, row in figures.items():
        sent, examples = row["requests_clean"], row["examples_clean"]
        lines.append(
            f"| {budget} | {sent.get('1.3.1', '?')} / {sent.get(RFC6749, '?')} "
            f"| {examples.get('1.3.1', '?')} | {row['caught']}/{row['faults']} "
            f"| {', '.join(row['missed']) or '–'} | {', '.join(row['false_failures']) or '0'} |"
        )
    return "\n".join(lines)


def measure(
    every: bool = False,
    log: TextIO | None = None,
    only: Sequence[str] = (),
    budgets: Sequence[int | None] = BUDGETS,
) -> dict[str, Any]:
    """The curve, as benchmark.json keeps it."""
    chosen = [t for t in targets(every or bool(only)) if not only or t.name in only]
    started = time.perf_counter()
    runs = curve(chosen, budgets, log)
    figures = summary(runs, budgets)
    return {
        "seed": SEED,
        "default_max_requests": Settings.max_requests,
        "default_examples": Settings.examples,
        "faults": "all"
        if every
        else f"generated_input, the lifecycle's and every {SAMPLE_EVERY}th other by name",
        "targets": [t.name for t in chosen],
        "wall_s": round(time.perf_counter() - started, 1),
        "budgets": figures,
        "every_fault_caught_within": every_fault_caught_within(figures),
        "runs": [asdict(r) for r in runs],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--all", action="store_true", help="every named fault, not the sample")
    parser.add_argument("--out", type=Path, help="also write the figures here (JSON)")
    parser.add_argument("--only", default="", help="these targets alone, comma-separated")
    parser.add_argument("--budgets", default="", help="these budgets (0: the default)")
    args = parser.parse_args()
    only = [name for name in args.only.split(",") if name]
    budgets = tuple(int(b) or None for b in args.budgets.split(",") if b) or BUDGETS
    document = measure(args.all, sys.stderr, only, budgets)
    if args.out:
        args.out.write_text(json.dumps(document, indent=2) + "\n")
    print(markdown(document["budgets"]))
    print(f"\nevery fault caught within: {document['every_fault_caught_within']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
