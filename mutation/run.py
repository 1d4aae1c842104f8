"""The whole mutation run: `nox -s mutants`, or `python -m mutation.run`.

Why cosmic-ray drives only the mutating and this module the running: our test command
is not one command but up to three runs chosen per mutant (the editions whose clean runs
execute the mutated line), and the report must say which run killed a mutant and which
requirements it failed; cosmic-ray's `exec` runs one fixed command and counts a timeout
as a kill. So cosmic-ray's operators find and write every mutant (`population`), and
this module tries each in a copy of the tree (`workspace`, `kill`).

Before any mutant, the clean copy runs once per edition under coverage: each must pass
(else nothing can be judged), and what each executes decides which runs a mutant gets;
a mutant whose line no clean run executes survives without a run (no run can reach it).
Then a mutant that breaks the token path must be killed, or the copy's code is not what
runs. Mutants listed in `mutation/equivalent.toml` are not run.

Writes `reports/mutation.json` (every mutant: module, line, operator, diff, outcome, the
run that killed it and the requirements that run failed) and `reports/mutation.md` (the
counts, the score = killed / (total - equivalent), the survivors with their diffs).
A run interrupted can go on where it stopped (`--resume`): results are appended to
`reports/mutation-progress.jsonl` as they come.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mutation.kill import RUNS, SEED, TIMEOUT, Run, RunResult, Verdict, kill, run_once
from mutation.population import MODULES, REFERENCE, Mutant, enumerate_mutants
from mutation.workspace import ROOT, Workspace

EQUIVALENTS = ROOT / "mutation" / "equivalent.toml"
SAMPLE = ROOT / "mutation" / "sample.toml"
REPORTS = ROOT / "reports"
OUTCOMES = ("killed", "survived", "timeout", "equivalent")
# The order a mutant's runs are tried in: the cheapest first. A clean rfc6749 run takes
# ~4 s, a platform edition's ~8 s; most mutants of shared code die in the first.
TRY_ORDER: tuple[Run, ...] = (RUNS[2], RUNS[0], RUNS[1])

# Breaks every token request: the run must fail, or the copy's code is not what runs.
SANITY = Mutant(
    key="sanity:token-path",
    module="context.py",
    operator="sanity",
    occurrence=0,
    line=0,
    statement_line=0,
    definition=None,
    before=('TOKEN_PATH = "/oauth2/v1/token"',),
    after=('TOKEN_PATH = "/oauth2/v1/token-moved"',),
    ordinal=0,
)


# An equivalent mutant's kind: "same" behaves as the reference does for every request the
# suite sends; "allowed" behaves differently, but only where the contract leaves the
# choice to the implementation, so the mutant is another correct target.
EQUIVALENT_KINDS = {"same": "", "allowed": "allowed by the contract: "}


def load_equivalents(path: Path = EQUIVALENTS) -> dict[str, str]:
    """Mutant key -> the argument, prefixed with its kind's label (none for "same")."""
    if not path.exists():
        return {}
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    entries: dict[str, str] = {}
    for entry in document.get("equivalent", []):
        key, argument = entry.get("key"), entry.get("argument", "").strip()
        kind = entry.get("kind", "same")
        if not key or not argument or kind not in EQUIVALENT_KINDS:
            raise ValueError(
                f"{path}: every [[equivalent]] needs a key, an argument and a kind of "
                f"{', '.join(EQUIVALENT_KINDS)}: {entry}"
            )
        entries[key] = EQUIVALENT_KINDS[kind] + argument
    return entries


@dataclass(frozen=True)
class Coverage:
    """The lines of each reference module a clean run of each edition executes."""

    lines: Mapping[str, Mapping[str, frozenset[int]]]  # run -> module -> lines

    def runs_for(self, mutant: Mutant, order: Sequence[Run] = TRY_ORDER) -> list[Run]:
        """The runs whose clean run executes the mutant's statement, in `order`."""
        return [
            run
            for run in order
            if mutant.statement_line in self.lines.get(run.name, {}).get(mutant.module, ())
        ]


def measure_coverage(
    workspace: Workspace, runs: Sequence[Run], seed: int, timeout: float
) -> tuple[Coverage, list[RunResult]]:
    """Each clean run once under coverage (the reference runs in a child process, which
    coverage follows through `sitecustomize`); RuntimeError if one does not pass."""
    lines: dict[str, dict[str, frozenset[int]]] = {}
    baseline: list[RunResult] = []
    with tempfile.TemporaryDirectory(prefix="mutants-coverage-") as directory:
        data = Path(directory)
        rc = data / "coverage.rc"
        rc.write_text(
            "[run]\n"
            f"source = {workspace.root / REFERENCE}\n"
            "parallel = true\n"
            f"data_file = {data / '.coverage'}\n",
            encoding="utf-8",
        )
        hook = workspace.root / "sitecustomize.py"
        hook.write_text(
            "import os\n"
            "if os.environ.get('COVERAGE_PROCESS_START'):\n"
            "    import coverage\n"
            "    coverage.process_startup()\n",
            encoding="utf-8",
        )
        try:
            for run in runs:
                for old in data.glob(".coverage*"):
                    old.unlink()
                result = run_once(
                    workspace,
                    run,
                    seed=seed,
                    timeout=timeout * 3,
                    env_extra={"COVERAGE_PROCESS_START": str(rc)},
                )
                baseline.append(result)
                if not result.passed:
                    raise RuntimeError(
                        f"the clean reference does not pass run {run.name} (exit "
                        f"{result.exit_code}): no mutant can be judged\n{result.tail}"
                    )
                lines[run.name] = _executed(rc, workspace.root / REFERENCE)
        finally:
            hook.unlink(missing_ok=True)
    return Coverage(lines), baseline


def _executed(rc: Path, reference: Path) -> dict[str, frozenset[int]]:
    import coverage

    data_file = rc.parent / ".coverage"
    combined = coverage.Coverage(config_file=str(rc), data_file=str(data_file))
    combined.combine(data_paths=[str(rc.parent)], keep=False, strict=True)
    combined.load()
    executed: dict[str, frozenset[int]] = {}
    for filename in combined.get_data().measured_files():
        path = Path(filename)
        if path.parent.resolve() == reference.resolve():
            # The analysis, not the raw data: it names a statement by its first line, as
            # `Mutant.statement_line` does (a raw `if (` over three lines is its second).
            _, statements, _, missing, _ = combined.analysis2(filename)
            executed[path.name] = frozenset(statements) - frozenset(missing)
    return executed


@dataclass
class Record:
    """A mutant's outcome, as the report shows it."""

    mutant: Mutant
    outcome: str
    reason: str = ""
    reached_by: tuple[str, ...] = ()
    runs: tuple[RunResult, ...] = ()

    def as_dict(self) -> dict[str, object]:
        m = self.mutant
        killer = self.runs[-1] if self.outcome == "killed" and self.runs else None
        return {
            "key": m.key,
            "module": f"conformance/reference/{m.module}",
            "line": m.line,
            "definition": m.definition,
            "operator": m.operator,
            "diff": m.diff(),
            "before": list(m.before),
            "after": list(m.after),
            "ordinal": m.ordinal,
            "outcome": self.outcome,
            "reason": self.reason,
            "reached_by": list(self.reached_by),
            "killed_by": killer.run if killer else None,
            "requirements": list(killer.failed) if killer else [],
            "runs": [r.as_dict() for r in self.runs],
        }


def judge(
    mutant: Mutant,
    workspace: Workspace,
    coverage: Coverage,
    equivalents: Mapping[str, str],
    *,
    seed: int = SEED,
    timeout: float = TIMEOUT,
) -> Record:
    """One mutant's record: equivalent (listed), survived unreached, or tried."""
    runs = coverage.runs_for(mutant)
    reached = tuple(run.name for run in runs)
    if mutant.key in equivalents:
        return Record(mutant, "equivalent", equivalents[mutant.key], reached)
    if not runs:
        return Record(mutant, "survived", "no clean default run executes this line")
    with workspace.mutated(mutant):
        verdict: Verdict = kill(workspace, runs, seed=seed, timeout=timeout)
    reason, last = "", verdict.runs[-1]
    if verdict.outcome == "killed" and last.exit_code == 1:
        reason = f"run {last.run} failed MUST requirements"
    elif verdict.outcome == "killed":
        # Exit 2: the suite could not judge the target (its credentials refused, say); a
        # target that stops the suite does not pass, so it counts as killed.
        reason = f"run {last.run} did not pass (exit {last.exit_code}: could not judge)"
    elif verdict.outcome == "timeout":
        reason = f"run {last.run} outlived its {timeout:.0f} s"
    elif verdict.outcome == "survived":
        warned = sorted({w for r in verdict.runs for w in r.warned})
        reason = "every run passed" + (f"; warned: {', '.join(warned)}" if warned else "")
    return Record(mutant, verdict.outcome, reason, reached, verdict.runs)


def summary(records: Sequence[Record]) -> dict[str, object]:
    """The counts and the score: killed / (total - equivalent)."""
    counts = Counter(r.outcome for r in records)
    total = len(records)
    judged = total - counts["equivalent"]
    allowed = sum(
        r.outcome == "equivalent" and r.reason.startswith(EQUIVALENT_KINDS["allowed"])
        for r in records
    )
    return {
        "total": total,
        **{outcome: counts[outcome] for outcome in OUTCOMES},
        "equivalent_allowed": allowed,
        "score": round(counts["killed"] / judged, 4) if judged else None,
    }


def write_reports(
    records: Sequence[Record],
    excluded: Sequence[Mutant],
    meta: Mapping[str, Any],
    directory: Path,
) -> tuple[Path, Path]:
    """reports/mutation.json and reports/mutation.md."""
    directory.mkdir(parents=True, exist_ok=True)
    counts = summary(records)
    document = {
        "schema_version": 1,
        **meta,
        "counts": counts,
        "mutants": [r.as_dict() for r in records],
        "excluded": [
            {
                "key": m.key,
                "module": f"conformance/reference/{m.module}",
                "line": m.line,
                "operator": m.operator,
                "reason": m.excluded,
            }
            for m in excluded
        ],
    }
    json_path = directory / "mutation.json"
    json_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    md_path = directory / "mutation.md"
    md_path.write_text(_markdown(records, excluded, meta, counts), encoding="utf-8")
    return json_path, md_path


def _markdown(
    records: Sequence[Record],
    excluded: Sequence[Mutant],
    meta: Mapping[str, Any],
    counts: Mapping[str, Any],
) -> str:
    score = counts["score"]
    lines = [
        "# Mutation testing of the reference target",
        "",
        f"Judged: {meta.get('source')} (the checkout at {meta.get('commit')}"
        + (", with uncommitted changes)" if meta.get("dirty") else ")")
        + f"; {meta.get('tool')}; seed {meta.get('seed')}; kill runs {meta.get('run_seconds')} s"
        + f" in all, this invocation {meta.get('duration_s')} s."
        + (
            f" {meta['resumed']} outcomes were judged by earlier invocations (--resume), "
            "whose copies may hold other revisions: a mutant is keyed by the lines it "
            "changes, so an outcome carries over while those lines stand; a run without "
            "--resume judges every mutant at one revision."
            if meta.get("resumed")
            else ""
        ),
        "",
        "| total | killed | survived | timed out | equivalent | score |",
        "|---|---|---|---|---|---|",
        f"| {counts['total']} | {counts['killed']} | {counts['survived']} | {counts['timeout']} "
        f"| {counts['equivalent']} | "
        + (f"{float(score):.1%}" if isinstance(score, float) else "-")
        + " |",
        "",
        f"Of the equivalent, {counts['equivalent_allowed']} behave differently only where the "
        'contract leaves the choice to the implementation ("allowed by the contract"); the '
        "others behave as the reference does for every request the suite sends.",
        "",
        "Score = killed / (total - equivalent). "
        f"Left out before running: {len(excluded)} mutants "
        "(fault-only code, account files; `excluded` in mutation.json says why each).",
        "",
        "## Killed, by run and module",
        "",
    ]
    by_run = Counter(
        (r.runs[-1].run if r.runs else "-", r.mutant.module)
        for r in records
        if r.outcome == "killed"
    )
    lines += ["| run | module | killed |", "|---|---|---|"]
    lines += [f"| {run} | {module} | {n} |" for (run, module), n in sorted(by_run.items())]
    for outcome, title in (("survived", "Survivors"), ("timeout", "Timed out")):
        chosen = [r for r in records if r.outcome == outcome]
        lines += ["", f"## {title} ({len(chosen)})", ""]
        for record in chosen:
            m = record.mutant
            tried = ", ".join(r.run for r in record.runs) or "none"
            lines += [
                f"### `{m.key}` ({m.where}" + (f", in `{m.definition}`)" if m.definition else ")"),
                "",
                f"{record.reason} (runs: {tried})",
                "",
                "```diff",
                m.diff(),
                "```",
                "",
            ]
    equivalent = [r for r in records if r.outcome == "equivalent"]
    lines += ["", f"## Equivalent ({len(equivalent)})", ""]
    for record in equivalent:
        lines += [f"- `{record.mutant.key}` ({record.mutant.where}): {record.reason}"]
    return "\n".join(lines) + "\n"


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def _progress(path: Path, resume: bool) -> dict[str, dict[str, Any]]:
    if not resume or not path.exists():
        path.unlink(missing_ok=True)
        return {}
    done: dict[str, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            done[entry["key"]] = entry
    return done


def _from_progress(mutant: Mutant, entry: Mapping[str, Any]) -> Record:
    runs = tuple(
        RunResult(
            str(r["run"]),
            r["exit_code"],
            float(r["seconds"]),
            tuple(r["failed"]),
            tuple(r["warned"]),
            str(r.get("tail", "")),
        )
        for r in entry["runs"]
    )
    return Record(
        mutant,
        str(entry["outcome"]),
        str(entry["reason"]),
        tuple(entry["reached_by"]),
        runs,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mutation.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--source", default="worktree", help="worktree (default) or a git revision")
    parser.add_argument(
        "--work-dir", type=Path, help="where the copy goes (default: a temporary one)"
    )
    parser.add_argument("--report-dir", type=Path, default=REPORTS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds per run")
    parser.add_argument("--module", action="append", help="only these modules (e.g. grants.py)")
    parser.add_argument("--key", action="append", help="only these mutants (by key)")
    parser.add_argument("--limit", type=int, help="only the first N mutants (a trial)")
    parser.add_argument(
        "--resume", action="store_true", help="keep the results of an interrupted run"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mutants-") as temporary:
        workspace = Workspace(args.work_dir or Path(temporary), args.source).create()
        return _run(workspace, args)


def _run(workspace: Workspace, args: argparse.Namespace) -> int:
    started = time.monotonic()
    # Read now: a commit made while the run goes on is not the one its copy holds.
    revision = "HEAD" if args.source == "worktree" else args.source
    commit = _git("rev-parse", revision)
    dirty = args.source == "worktree" and bool(
        _git("status", "--porcelain", "--", "conformance", "specs")
    )
    say = _printer()
    workspace.prove()
    say(f"the copy at {workspace.root} is what runs ({workspace.imported_reference()})")
    mutants = list(enumerate_mutants(workspace.root, args.module or MODULES))
    excluded = [m for m in mutants if m.excluded]
    chosen = [m for m in mutants if not m.excluded and (not args.key or m.key in args.key)]
    if args.limit:
        chosen = chosen[: args.limit]
    say(f"{len(mutants)} mutants, {len(excluded)} left out, {len(chosen)} to judge")
    coverage, baseline = measure_coverage(workspace, RUNS, args.seed, args.timeout)
    say("clean runs pass: " + ", ".join(f"{r.run} {r.seconds:.1f} s" for r in baseline))
    with workspace.mutated(SANITY):
        sanity = kill(workspace, RUNS[:1], seed=args.seed, timeout=args.timeout)
    if sanity.outcome != "killed":
        raise SystemExit("a mutant that moves the token path survived: the copy is not what runs")
    say(f"the sanity mutant is killed (exit {sanity.runs[-1].exit_code})")
    equivalents = load_equivalents()
    progress_path = args.report_dir / "mutation-progress.jsonl"
    args.report_dir.mkdir(parents=True, exist_ok=True)
    done = _progress(progress_path, args.resume)
    records: list[Record] = []
    resumed = 0  # outcomes an earlier invocation judged (--resume)
    with progress_path.open("a", encoding="utf-8") as progress:
        for index, mutant in enumerate(chosen, 1):
            if mutant.key in done and mutant.key not in equivalents:
                record = _from_progress(mutant, done[mutant.key])
                resumed += 1
            else:
                tick = time.monotonic()
                record = judge(
                    mutant, workspace, coverage, equivalents, seed=args.seed, timeout=args.timeout
                )
                progress.write(json.dumps(record.as_dict()) + "\n")
                progress.flush()
                say(
                    f"[{index}/{len(chosen)}] {record.outcome:<10} {mutant.key} {mutant.where} "
                    f"({time.monotonic() - tick:.1f} s)"
                )
            records.append(record)
    stale = sorted(set(equivalents) - {m.key for m in mutants})
    meta = {
        "tool": f"cosmic-ray {_version('cosmic-ray')}",
        "source": workspace.source,
        "commit": commit,
        "dirty": dirty,
        "seed": args.seed,
        "timeout_s": args.timeout,
        "runs": [{"name": r.name, "flags": list(r.flags)} for r in RUNS],
        "baseline": [r.as_dict() for r in baseline],
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - started),  # this invocation (--resume: less)
        # the kill runs' time over every mutant, however many invocations it took
        "run_seconds": round(sum(r.seconds for record in records for r in record.runs)),
        "stale_equivalents": stale,
        "resumed": resumed,
    }
    json_path, md_path = write_reports(records, excluded, meta, args.report_dir)
    counts = summary(records)
    say(f"{counts}; wrote {json_path} and {md_path}")
    if stale:
        say(f"equivalent.toml names mutants that no longer exist: {', '.join(stale)}")
    return 0


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def _printer() -> Callable[[str], None]:
    start = time.monotonic()

    def say(text: str) -> None:
        print(f"{time.monotonic() - start:7.0f}s  {text}", flush=True)

    return say


if __name__ == "__main__":
    sys.exit(main())
