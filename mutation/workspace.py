"""The copy of the tree that mutants are written into, and the proof that it is what runs.

Mutants are applied by rewriting a module on disk, so they are never applied to the
checkout people work in: the package and its contract are copied into a directory of
their own, and every run there puts the copy first on PYTHONPATH (the checkout's
package is installed editable, and would otherwise be imported). `prove` checks, before
any mutant is judged, that a run in the copy imports the copy's reference.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path

from mutation.population import REFERENCE, Mutant

ROOT = Path(__file__).resolve().parents[1]
# What a run needs besides the interpreter's packages: the package and its contract.
COPIED = ("conformance", "specs")


class Workspace:
    """A copy of `conformance/` and `specs/` in `directory` (made if needed).

    `source` is "worktree" (the files as they are now, committed or not: what the
    project's tests test) or a git revision (`HEAD`: what a commit holds).
    """

    def __init__(self, directory: Path, source: str = "worktree", origin: Path = ROOT) -> None:
        self.root = directory
        self.source = source
        self.origin = origin

    def create(self) -> Workspace:
        """Copy the tree in (replacing an earlier copy there)."""
        for name in COPIED:
            shutil.rmtree(self.root / name, ignore_errors=True)
        self.root.mkdir(parents=True, exist_ok=True)
        if self.source == "worktree":
            for name in COPIED:
                shutil.copytree(
                    self.origin / name,
                    self.root / name,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                )
        else:
            archive = subprocess.run(
                ["git", "archive", "--format=tar", self.source, *COPIED],
                cwd=self.origin,
                check=True,
                capture_output=True,
            ).stdout
            with tarfile.open(fileobj=BytesIO(archive)) as tar:
                tar.extractall(self.root, filter="data")
        return self

    def module(self, name: str) -> Path:
        """The copy's `conformance/reference/<name>`."""
        return self.root / REFERENCE / name

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of a run in the copy: the copy first on PYTHONPATH, and no
        CONFORMANCE_* setting of the caller's, so every run is a default one."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
        paths = [str(self.root), *filter(None, [env.get("PYTHONPATH")])]
        env["PYTHONPATH"] = os.pathsep.join(paths)
        env.pop("COVERAGE_PROCESS_START", None)
        env.update(extra or {})
        return env

    def imported_reference(self) -> Path:
        """Where a process started like a run imports the reference from."""
        code = "import conformance.reference.app as m; print(m.__file__)"
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=self.root,
            env=self.env(),
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return Path(out.strip()).resolve()

    def prove(self) -> None:
        """RuntimeError unless a run started here imports the copy's reference."""
        where = self.imported_reference()
        if not where.is_relative_to(self.root.resolve()):
            raise RuntimeError(
                f"a run in the copy imports the reference from {where}, not from "
                f"{self.root}: mutants would not be what runs"
            )

    @contextmanager
    def mutated(self, mutant: Mutant) -> Iterator[None]:
        """The copy with `mutant` applied, restored afterwards whatever happens."""
        path = self.module(mutant.module)
        original = path.read_text(encoding="utf-8")
        changed = mutant.apply(original)
        try:
            self._write(path, changed)
            yield
        finally:
            self._write(path, original)

    @staticmethod
    def _write(path: Path, text: str) -> None:
        path.write_text(text, encoding="utf-8")
        # A mutant often keeps the file's size, and is written and undone within the
        # second its bytecode records: drop the bytecode so the source is what runs.
        for cached in (path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"):
            cached.unlink(missing_ok=True)


@contextmanager
def temporary_workspace(source: str = "worktree", origin: Path = ROOT) -> Iterator[Workspace]:
    """A workspace in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="mutants-") as directory:
        yield Workspace(Path(directory), source, origin).create()
