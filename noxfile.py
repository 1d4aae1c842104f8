"""Sessions: `nox -s tests`, `lint`, `conformance`, `spec`, `bench`, `mutants`."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """The project's own tests."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff and mypy --strict on the package."""
    session.install("-e", ".[test,dev]")
    session.run("ruff", "check", "conformance", "tests", "mutation")
    session.run("mypy", "conformance")


@nox.session
def conformance(session: nox.Session) -> None:
    """The main job: the suite against the embedded reference (or posargs, e.g. --target URL)."""
    session.install("-e", ".")
    session.run("conformance", "run", *session.posargs)


@nox.session
def spec(session: nox.Session) -> None:
    """Regenerate the committed OpenAPI documents from specs/contract.toml."""
    session.install("-e", ".")
    session.run("conformance", "spec", "build")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmark side by side (suite, bare httpx loop, schemathesis CLI, xdist, a target 50 ms
    away, one spike-arrested at 25 req/s), 3 interleaved rounds of the measures the goals name,
    and the faults caught per request budget (about 20 minutes in all on 2 cores); writes
    reports/benchmark.json and prints the tables of benchmarks/README.md. Other arguments
    replace the default ones: `nox -s bench -- --repeat 1` (no budget curve) while developing."""
    # What benchmarks/*.py import beyond the package: pytest-xdist alone (the rest, httpx,
    # uvicorn, schemathesis' `st`, jsonschema, are the package's own dependencies).
    session.install("-e", ".", "pytest-xdist>=3,<4")
    arguments = session.posargs or ["--repeat", "3", "--budget-curve"]
    session.run("python", "benchmarks/bench.py", *arguments)


@nox.session
def mutants(session: nox.Session) -> None:
    """Mutation testing of the reference target, about an hour on one core (mutation/run.py):
    writes reports/mutation.json and reports/mutation.md. Not part of CI, which tries the
    fixed sample in tests/test_mutation.py. `nox -s mutants -- --help` for the options
    (`--resume` goes on after an interruption, `--source HEAD` judges the last commit)."""
    session.install("-e", ".[mutation]")
    session.run("nice", "-n", "19", "python", "-m", "mutation.run", *session.posargs, external=True)
