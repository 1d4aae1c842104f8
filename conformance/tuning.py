"""What makes a run quick without changing what it judges, in one place.

Each item says what it saves and why it is safe; none changes a request, a verdict or
a report. `benchmarks/` measures them (`nox -s bench`).
"""

from __future__ import annotations

import atexit
import functools
import gc
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

# Plugins that pytest auto-loads because their distributions are installed next to the
# suite (its dependencies, the test extras), and that the suite's one test module never
# uses: loading them was most of pytest's start (0.5-0.9 s), and
# schemathesis' xdist reporter (registered when both are present) imported its HTML and
# JUnit writers at every session's end. `-- -p NAME` after the run's flags loads one again.
UNUSED_PLUGINS = ("anyio", "platformdirs", "respx", "schemathesis", "xdist", "xdist.looponfail")


def quick_pytest_args() -> list[str]:
    """pytest options that make the suite's session start and end quickly; verdicts and
    reports do not depend on them."""
    return [
        "-p",
        "no:cacheprovider",
        *(arg for name in UNUSED_PLUGINS for arg in ("-p", f"no:{name}")),
        # The suite module asserts nothing (it judges through pytest.fail and skip), but
        # rewriting marks every module of every pytest-plugin distribution, so each
        # schemathesis module the property phase imports lazily was parsed and rewritten
        # too: 0.7 s a run (1.4 s with the plugins above) wherever rewritten bytecode is
        # not cached (PYTHONDONTWRITEBYTECODE, a read-only install, the first run).
        # Verdicts and reports do not depend on it.
        "--assert=plain",
        # plugins imported before this in-process run cannot be rewritten; that is expected
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
    ]


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Keeps the objects alive now (modules, settings, the context) out of the garbage
    collector's full sweeps while the suite runs, and hands them back afterwards.

    They live as long as the run, yet every full collection walked them again: the
    property phase triggers about ten, ~0.1 s each. Frozen objects are only skipped by
    the collector; reference counting frees them as before, and what becomes garbage
    among them is collected once `gc.unfreeze` returns them."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class CollectOnce:
    """Makes pytest's closing garbage sweeps cheap without skipping them.

    At the end of a session pytest's unraisable-exception plugin runs gc.collect() five
    times, each a walk over the whole heap (schemathesis, hypothesis, every recorded
    exchange): ~0.5 s. One collection here, while pytest's hook still reports what it
    finds, then freezing the survivors (alive, so not garbage) leaves those five sweeps
    only what is made afterwards; `frozen_heap` unfreezes them when pytest returns."""

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self) -> None:
        gc.collect()
        gc.freeze()


def freeze_at_exit() -> None:
    """The interpreter's shutdown collects garbage over the whole heap several times
    (~0.2-0.3 s with schemathesis and hypothesis loaded); frozen, the objects are left
    to the exit. atexit handlers still run first (LIFO, so those registered later run
    before this one), the reports are closed files by then and stdout is flushed."""
    atexit.register(gc.freeze)


@functools.cache
def private_hypothesis_home() -> None:
    """Hypothesis keeps caches in ./.hypothesis; a run must not litter the user's directory.

    They go to the user's cache directory instead ($XDG_CACHE_HOME, else ~/.cache), kept
    from run to run. Hypothesis stores only derived data there (its Unicode category
    table, the constants of each local module keyed by a hash of its source, the codec
    tables of `properties.codec_tables`), recomputed on a miss and equal either way, and
    the phase keeps no example database (`database=None`): a seed generates the same
    inputs with or without it. A fresh directory each run would recompute the first two
    every time (~0.3 s) and leave one more directory in /tmp. Where no cache directory
    can be made, a fresh temporary one."""
    import hypothesis
    from hypothesis.configuration import set_hypothesis_home_dir

    configured = os.environ.get("XDG_CACHE_HOME", "")  # used when absolute (XDG base dirs)
    try:
        cache = Path(configured) if os.path.isabs(configured) else Path.home() / ".cache"
        home = cache / "candescent-conformance" / f"hypothesis-{hypothesis.__version__}"
        home.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # RuntimeError: no home directory to be found
        home = Path(tempfile.mkdtemp(prefix="conformance-hypothesis-"))
    set_hypothesis_home_dir(home)
