"""Benchmark: the suite against its limits and its peers, side by side in one run.

`nox -s bench` (or `python benchmarks/bench.py`) measures, on this machine and the same
embedded reference:

1. the default `conformance run`: wall time, requests, requests per second, peak memory;
2. the same requests sent by a bare httpx loop: the floor, and the suite's overhead ratio;
3. schemathesis' own CLI (`st run`) on our OpenAPI document: the peer;
4. the run split across processes with pytest-xdist (`-n 2`), and the run against a
   target with 50 ms of latency (concurrency should hide it).

It writes reports/benchmark.json and prints a Markdown table for the README; with
`--repeat N`, then N interleaved rounds of the measures the goals name (medians and
ranges). A benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from conformance.embedded import ReferenceCodeSource, role_settings
from conformance.exchange import Exchange
from conformance.reference import ReferenceServer, create_app, default_accounts
from conformance.reference.process import ReferenceProcess
from conformance.run_context import RunContext
from conformance.sender import basic_credentials
from conformance.settings import Client, Settings

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"
SEED = 20261128
LATENCY_S = 0.05


@dataclass
class Measure:
    name: str
    wall_s: float
    requests: int
    peak_rss_mib: float | None = None
    note: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.wall_s if self.wall_s else 0.0


def _env(accounts_roles: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **{f"CONFORMANCE_{k.upper()}": v for k, v in accounts_roles.items()}}


def _authorize_command(url: str) -> str:
    return f"{sys.executable} -m conformance.reference.authorize {url}"


def _child_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def measure_cli_run(name: str, args: list[str], env: dict[str, str] | None = None) -> Measure:
    """`conformance run ...` in a child process, as a user runs it."""
    out = REPORTS / "bench" / name
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance.cli",
            "run",
            "--report-dir",
            str(out),
            "--seed",
            str(SEED),
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    wall = time.perf_counter() - started
    run = json.loads((out / "results.json").read_text())["run"]
    note = f"exit {done.returncode}, {run.get('generated_requests', 0)} generated"
    return Measure(name, wall, int(run["requests_sent"]), _child_peak_mib(), note)


def dependent_round_trips(exchanges: list[Exchange]) -> int:
    """The longest run of requests each sent after the answer before it: the lifecycle
    machine's (each step needs the one before; it runs alongside the other properties).
    Against a distant target the property phase cannot take less than these round trips;
    the refresh chains (`CHAINS` side by side) and the echo baseline are shorter."""
    return sum(1 for e in exchanges if e.scenario == "prop_lifecycle")


Request = tuple[str, str, list[tuple[str, str]], bytes]


def recorded_requests() -> tuple[list[Request], float, int, int]:
    """Run the suite in-process once; return every request it sent, its time, how many,
    and how many of them went one at a time."""
    accounts = default_accounts()
    with ReferenceProcess() as server:  # where `conformance run` puts it
        settings = Settings(seed=SEED, **role_settings(accounts))  # type: ignore[arg-type]
        context = RunContext(settings, server.url, ReferenceCodeSource(settings, server.url))
        started = time.perf_counter()
        context.judge_all()
        wall = time.perf_counter() - started
        sent = context.sender.requests_sent
        requests = [
            (
                e.request.method,
                e.request.url.removeprefix(server.url),
                list(e.request.headers),
                e.request.body,
            )
            for e in context.recorded()
        ]
        sequential = dependent_round_trips(context.recorded())
        context.close()
    return requests, wall, sent, sequential


def measure_bare_loop(requests: list[Request]) -> Measure:
    """The floor: the same requests, one after another, from a plain httpx client, to
    the reference in a process of its own, as `conformance run` has it."""
    with (
        ReferenceProcess() as server,
        httpx.Client(base_url=server.url) as client,
    ):
        sent = 0
        started = time.perf_counter()
        for method, path, headers, body in requests:
            # recorded as latin-1 text; sent back as the exact bytes
            kept = [
                (k.encode("latin-1"), v.encode("latin-1"))
                for k, v in headers
                if k.lower() not in {"host", "content-length"}
            ]
            try:
                client.request(method, path, headers=kept, content=body)
            except (httpx.HTTPError, UnicodeError):
                continue  # the few raw-socket probes (CR/LF in a header) httpx refuses to send
            sent += 1
        wall = time.perf_counter() - started
    return Measure("bare httpx loop, same requests", wall, sent)


@contextmanager
def counted_reference() -> Iterator[tuple[str, list[int]]]:
    """A reference whose requests are counted (for a peer that does not report them)."""
    app = create_app(default_accounts())
    count = [0]

    async def counting(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            count[0] += 1
        await app(scope, receive, send)

    config = uvicorn.Config(
        counting, host="127.0.0.1", port=0, log_level="error", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", count
    finally:
        server.should_exit = True
        thread.join(10)


def measure_schemathesis(examples: int) -> Measure:
    """The peer: schemathesis' CLI on our document, with about as many cases as the suite."""
    client = Client("conformance-client", "reference-secret-1")
    with counted_reference() as (url, count):
        started = time.perf_counter()
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "st"),
                "run",
                str(ROOT / "specs" / "openapi-1.3.1.yaml"),
                "--url",
                url,
                "--max-examples",
                str(examples),
                "--seed",
                str(SEED),
                "-H",
                f"Authorization: {basic_credentials(client)}",
                "-H",
                "institutionId: 00016",
                "--checks",
                "not_a_server_error",
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=REPORTS / "bench",  # st keeps a cache in its working directory
        )
        wall = time.perf_counter() - started
    return Measure("schemathesis CLI (st run)", wall, count[0], note=f"exit {done.returncode}")


def measure_xdist(roles: dict[str, str]) -> list[Measure]:
    """The same suite through pytest, in one process and split over two with pytest-xdist.
    Requests are counted at the target: each xdist worker writes only its own share."""
    results = []
    for label, extra in (("pytest, 1 process", []), ("pytest-xdist -n 2", ["-n", "2"])):
        with counted_reference() as (url, count):
            out = REPORTS / "bench" / label.replace(" ", "_").replace(",", "")
            env = {
                **_env(roles),
                "CONFORMANCE_AUTH_CODE_COMMAND": _authorize_command(url),
            }
            started = time.perf_counter()
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "-q",
                    "-p",
                    "no:cacheprovider",
                    "--conformance-target",
                    url,
                    "--conformance-seed",
                    str(SEED),
                    "--conformance-report-dir",
                    str(out),
                    *extra,
                ],
                capture_output=True,
                text=True,
                env=env,
                check=False,
                cwd=out.parent,
            )
            wall = time.perf_counter() - started
            results.append(Measure(label, wall, count[0], note=f"exit {done.returncode}"))
    return results


@contextmanager
def latency_proxy(upstream_port: int, delay: float, *, serial: bool = False) -> Iterator[int]:
    """A TCP proxy that delivers every chunk from the target `delay` seconds after it
    arrived, in order: a link with that one-way latency, so an answer comes `delay`
    later whatever the number of chunks it is written in, and chunks in flight overlap.

    `serial` is the model the benchmark used first: each chunk waits `delay` after the
    one before it was delivered, so an answer written in two chunks (the reference's
    headers, then its body) waited twice; kept to compare with the earlier figures.
    """
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    port = [0]
    stop: list[asyncio.Event] = []
    handlers: set[asyncio.Task[None]] = set()

    async def deliver(queue: asyncio.Queue[tuple[float, bytes]], writer: Any) -> None:
        while True:
            due, data = await queue.get()
            if not data:
                return
            if (wait := due - loop.time()) > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, wait: float) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        delivering = asyncio.create_task(deliver(queue, writer))
        try:
            while data := await reader.read(65536):
                if serial and wait:
                    await asyncio.sleep(wait)
                    queue.put_nowait((0.0, data))
                else:
                    queue.put_nowait((loop.time() + wait, data))
        except ConnectionError:
            pass
        finally:
            queue.put_nowait((0.0, b""))
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await delivering
            delivering.cancel()
            writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
            await asyncio.gather(pipe(reader, up_writer, 0), pipe(up_reader, writer, delay))
        except (ConnectionError, asyncio.CancelledError):
            writer.close()
        finally:
            handlers.discard(task)

    async def serve() -> None:
        stop.append(asyncio.Event())
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port[0] = server.sockets[0].getsockname()[1]
        ready.set()
        async with server:
            await stop[0].wait()
            for task in list(handlers):
                task.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)

    thread = threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield port[0]
    finally:
        loop.call_soon_threadsafe(stop[0].set)
        thread.join(10)
        loop.close()


def measure_latency(roles: dict[str, str], *, serial: bool = False) -> Measure:
    with (
        ReferenceServer(accounts=default_accounts()) as server,
        latency_proxy(server.port, LATENCY_S, serial=serial) as port,
    ):
        measure = measure_cli_run(
            f"latency {int(LATENCY_S * 1000)} ms{' serial' if serial else ''}",
            ["--target", f"http://127.0.0.1:{port}"],
            env={
                **_env(roles),
                "CONFORMANCE_AUTH_CODE_COMMAND": _authorize_command(f"http://127.0.0.1:{port}"),
            },
        )
    ms = int(LATENCY_S * 1000)
    measure.name = (
        f"conformance run, target {ms} ms away per chunk, serially (the first proxy)"
        if serial
        else f"conformance run, target with {ms} ms latency"
    )
    return measure


def table(measures: list[Measure], ratios: dict[str, float]) -> str:
    lines = [
        "| run | wall (s) | requests | requests/s | peak RSS (MiB) | note |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for m in measures:
        rss = f"{m.peak_rss_mib:.0f}" if m.peak_rss_mib else "–"
        lines.append(
            f"| {m.name} | {m.wall_s:.2f} | {m.requests} | {m.rps:.0f} | {rss} | {m.note} |"
        )
    lines.append("")
    lines += [f"- {name}: **{value:.2f}**" for name, value in ratios.items()]
    return "\n".join(lines)


def repeated(roles: dict[str, str], rounds: int) -> dict[str, dict[str, float]]:
    """The measures the goals name, `rounds` times, interleaved: on a shared machine one
    run varies by 10-20%, the median of several says more. Each ratio is taken within
    its round (the same machine state), then its median."""
    seen: dict[str, list[float]] = {}
    for _ in range(rounds):
        default = measure_cli_run("conformance run (default, embedded reference)", [])
        latency = measure_latency(roles)
        requests, wall, sent, _ = recorded_requests()
        loop = measure_bare_loop(requests)
        for name, value in (
            ("conformance run, default (s)", default.wall_s),
            (f"conformance run, {int(LATENCY_S * 1000)} ms latency (s)", latency.wall_s),
            ("judge_all in-process (s)", wall),
            ("bare httpx loop (s)", loop.wall_s),
            ("overhead ratio", (wall / sent) / (loop.wall_s / loop.requests)),
            ("latency ratio", latency.wall_s / default.wall_s),
        ):
            seen.setdefault(name, []).append(value)
    return {
        name: {"median": statistics.median(values), "min": min(values), "max": max(values)}
        for name, values in seen.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--repeat", type=int, default=0, help="then N interleaved rounds of the goals' measures"
    )
    args = parser.parse_args()
    (REPORTS / "bench").mkdir(parents=True, exist_ok=True)
    roles = role_settings(default_accounts())
    measures = [measure_cli_run("conformance run (default, embedded reference)", [])]
    requests, suite_wall, suite_sent, sequential = recorded_requests()
    in_process = Measure("suite in-process (judge_all, no pytest)", suite_wall, suite_sent)
    loop = measure_bare_loop(requests)
    latency, serial = measure_latency(roles), measure_latency(roles, serial=True)
    measures += [
        in_process,
        loop,
        measure_schemathesis(500),
        *measure_xdist(roles),
        latency,
        serial,
    ]
    latency_free = measures[0]
    ms = int(LATENCY_S * 1000)
    floor = sequential * LATENCY_S
    ratios = {
        "overhead: suite time per request / bare loop time per request": (
            in_process.wall_s / in_process.requests
        )
        / (loop.wall_s / loop.requests),
        "pytest-xdist -n 2 speed-up over 1 process": measures[4].wall_s / measures[5].wall_s,
        f"{ms} ms latency run / latency-free run (wall)": latency.wall_s / latency_free.wall_s,
        f"the same with the first proxy ({ms} ms per chunk, serially)": (
            serial.wall_s / latency_free.wall_s
        ),
        f"requests each sent after the answer before it (the lifecycle machine): "
        f"{sequential}; their round trips alone, {sequential} x {ms} ms (s)": floor,
    }
    machine = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    document = {
        "machine": machine,
        "seed": SEED,
        "measures": [asdict(m) | {"rps": m.rps} for m in measures],
        "ratios": ratios,
    }
    if args.repeat:
        rounds = repeated(roles, args.repeat)
        document["repeated"] = {"rounds": args.repeat, "measures": rounds}
    (REPORTS / "benchmark.json").write_text(json.dumps(document, indent=2) + "\n")
    print(table(measures, ratios))
    if args.repeat:
        print(f"\n{args.repeat} interleaved rounds (median, min-max):\n")
        for name, figures in rounds.items():
            print(
                f"- {name}: **{figures['median']:.2f}** ({figures['min']:.2f}-{figures['max']:.2f})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
