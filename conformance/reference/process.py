"""The reference target in a process of its own: the embedded run's default target.

In a thread (`ReferenceServer`), the reference shares the suite's interpreter lock, so
every answer it computes is time the suite cannot spend generating or judging; the
pipelined properties could not overlap their sends with the next case. In a process of
its own it answers on the other core, as any real target would (benchmarks/README.md).

The child serves the default accounts on a free loopback port, writes that port on its
stdout, and stops when its stdin closes: when asked (`request_stop`), or when the parent
is gone, however it ended, so no reference outlives its run.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections.abc import Iterable
from typing import Self

from .faults import check_faults_for_edition, parse_faults
from .limits import NO_LIMITS, Limits
from .listening import Listening, listening_socket

_START_TIMEOUT = 20.0  # a cold interpreter importing starlette and uvicorn on a busy machine
_STOP_TIMEOUT = 10.0


class ReferenceProcess(Listening):
    """The reference target for `edition`, with the default accounts and the named
    `faults`, in a child process.

    Use as a context manager (`Listening`): entering starts it and waits until it
    listens; leaving stops it.
    """

    _what = "the reference process"

    def __init__(
        self, edition: str = "1.3.1", limits: Limits = NO_LIMITS, faults: Iterable[str] = ()
    ) -> None:
        self.edition = edition
        self.limits = limits
        # Refused here, naming the fault, rather than as a child that would not start.
        self.faults = parse_faults(faults)
        check_faults_for_edition(self.faults, edition)
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        """Start the child and wait (at most ~20 s) for the port it listens on."""
        if self._process is not None:
            raise RuntimeError("the reference process is already running")
        limits = [
            f"--{name.replace('_', '-')}={value}"
            for name, value in vars(self.limits).items()
            if value is not None
        ]
        if self.faults:
            limits.append(f"--faults={','.join(sorted(self.faults))}")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "conformance.reference.process", self.edition, *limits],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        try:
            self._port = self._read_port(self._process)
        except BaseException:
            self.stop()
            raise
        return self

    def request_stop(self) -> None:
        """Ask the child to finish without waiting (it winds down while the caller works)."""
        if self._process is not None and self._process.stdin and not self._process.stdin.closed:
            self._process.stdin.close()

    def stop(self) -> None:
        """Ask the child to finish and wait for it (killed if it does not end in time)."""
        self.request_stop()
        process, self._process, self._port = self._process, None, None
        if process is None:
            return
        try:
            process.wait(_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(_STOP_TIMEOUT)
        if process.stdout:
            process.stdout.close()

    @staticmethod
    def _read_port(process: subprocess.Popen[bytes]) -> int:
        # A thread reads the line, so that a child that hangs before writing it cannot
        # hang the run: the wait below is bounded.
        line: list[bytes] = []
        assert process.stdout is not None
        stdout = process.stdout
        reader = threading.Thread(target=lambda: line.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(_START_TIMEOUT)
        text = line[0].decode("ascii", "replace").strip() if line else ""
        if not text.isdigit():
            ended = process.poll()
            if ended is None and line:
                # End of its stdout without a port: the child is ending, if not yet reaped.
                with contextlib.suppress(subprocess.TimeoutExpired):
                    ended = process.wait(_STOP_TIMEOUT)
            why = f"it ended with status {ended}" if ended is not None else "no port in time"
            raise RuntimeError(f"the reference process did not start: {why}")
        return int(text)


def _serve(edition: str, limits: Limits, faults: frozenset[str] = frozenset()) -> None:
    """The child: serve on a free port, say which, stop when stdin closes."""
    import uvicorn

    from .accounts import default_accounts
    from .app import create_app
    from .server import _config

    app = create_app(default_accounts(), edition, faults, limits=limits)
    listening = listening_socket()
    server = uvicorn.Server(_config(app, 0, faults=app.state.reference.faults))

    def watch_parent() -> None:
        sys.stdin.buffer.read()  # returns at EOF: asked to stop, or the parent is gone
        server.should_exit = True

    threading.Thread(target=watch_parent, daemon=True).start()
    # Listening already: connections made from now on wait in the backlog until served.
    print(listening.getsockname()[1], flush=True)
    server.run(sockets=[listening])


def _arguments(argv: list[str]) -> tuple[str, Limits, frozenset[str]]:
    """EDITION [--spike-arrest=N] [--quota=N] [--faults=A,B], as `ReferenceProcess.start`
    writes them."""
    edition, *options = argv
    given = dict(option.removeprefix("--").split("=", 1) for option in options)
    faults = frozenset(filter(None, given.pop("faults", "").split(",")))
    limits = Limits(**{name.replace("-", "_"): int(v) for name, v in given.items()})
    return edition, limits, faults


if __name__ == "__main__":
    _serve(*_arguments(sys.argv[1:]))
