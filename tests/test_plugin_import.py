"""The pytest plugin is loaded by every pytest session where the package is installed,
so importing it must cost next to nothing: the engine loads only for a conformance run."""

from __future__ import annotations

import subprocess
import sys

# What a conformance run loads and an ordinary pytest session must not pay for.
HEAVY = ("schemathesis", "hypothesis", "starlette", "uvicorn", "httpx")


def _run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def test_plugin_import__loads_no_engine_library() -> None:
    # A fresh interpreter: this test process has long since imported all of them.
    printed = _run_python(
        "import sys, conformance.plugin; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))"
    )
    assert printed.strip() == "[]", f"importing conformance.plugin loaded {printed.strip()}"


def test_plugin__offers_conformance_target_in_pytest_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "--conformance-target" in done.stdout
