"""Where the default run's time goes: cProfile over `RunContext.judge_all`, in-process.

`python benchmarks/profile_run.py [--top N] [--out FILE.prof] [--latency SECONDS]` runs the
suite against the embedded reference as `bench.py` does (same seed), prints the wall and
CPU time, each property scenario's time and requests, and the top entries by cumulative
and by own time. With `--no-profile`, only the times (cProfile slows the run about 2x).
With `--latency`, the target sits behind `bench.latency_proxy`.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import SEED, latency_proxy  # noqa: E402

from conformance.embedded import ReferenceCodeSource, role_settings  # noqa: E402
from conformance.exchange import Exchange  # noqa: E402
from conformance.reference import default_accounts  # noqa: E402
from conformance.reference.process import ReferenceProcess  # noqa: E402
from conformance.run_context import RunContext  # noqa: E402
from conformance.scenarios import SCENARIOS  # noqa: E402
from conformance.settings import Settings  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    accounts = default_accounts()
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(ReferenceProcess())  # as `conformance run` has it
        url = server.url
        if args.latency:
            port = stack.enter_context(latency_proxy(server.port, args.latency))
            url = f"http://127.0.0.1:{port}"
        settings = Settings(seed=SEED, **role_settings(accounts))  # type: ignore[arg-type]
        context = RunContext(settings, url, ReferenceCodeSource(settings, url))
        times: dict[str, tuple[float, int]] = {}
        record = context.recordings._record

        def timed(name: str) -> list[Exchange] | BaseException:
            started = time.perf_counter()
            recorded = record(name)
            count = len(recorded) if isinstance(recorded, list) else 0
            times[name] = (time.perf_counter() - started, count)
            return recorded

        context.recordings._record = timed  # type: ignore[method-assign]
        profile = None if args.no_profile else cProfile.Profile()
        started, cpu = time.perf_counter(), time.process_time()
        if profile is not None:
            profile.enable()
        context.judge_all()
        if profile is not None:
            profile.disable()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        sent = context.sender.requests_sent
        context.close()
    print(f"judge_all: wall {wall:.2f} s, CPU {cpu:.2f} s, {sent} requests")
    for name, (seconds, count) in sorted(times.items(), key=lambda item: -item[1][0]):
        if SCENARIOS[name].phase == "property":
            print(f"  {name:24} {seconds:6.2f} s  {count:4} exchanges")
    if profile is not None:
        if args.out:
            profile.dump_stats(args.out)
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
