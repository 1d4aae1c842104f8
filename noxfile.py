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
    """Benchmark side by side (suite, bare httpx loop, schemathesis CLI, xdist, 50 ms latency);
    writes reports/benchmark.json and prints the table of benchmarks/README.md, then 3 interleaved rounds of
    the measures the goals name (`nox -s bench -- --repeat N` for another number)."""
    session.install("-e", ".", "pytest-xdist>=3,<4")
    session.run("python", "benchmarks/bench.py", *(session.posargs or ["--repeat", "3"]))


@nox.session
def mutants(session: nox.Session) -> None:
    """Mutation testing of the reference target, about an hour on one core (mutation/run.py):
    writes reports/mutation.json and reports/mutation.md. Not part of CI, which tries the
    fixed sample in tests/test_mutation.py. `nox -s mutants -- --help` for the options
    (`--resume` goes on after an interruption, `--source HEAD` judges the last commit)."""
    session.install("-e", ".[mutation]")
    session.run("nice", "-n", "19", "python", "-m", "mutation.run", *session.posargs, external=True)
