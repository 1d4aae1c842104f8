"""Benchmark: the suite against its limits and its peers, side by side in one run.

`nox -s bench` (or `python benchmarks/bench.py`) measures, on this machine and the same
embedded reference:

1. the default `conformance run`: wall time, requests, requests per second, peak memory;
2. the same requests sent by a bare httpx loop: the floor, and the suite's overhead ratio;
3. schemathesis' own CLI (`st run`) on our OpenAPI document: the peer;
4. the run split across processes with pytest-xdist (`-n 2`), and the run against a
   target with 50 ms of latency (concurrency should hide it);
5. the run against the reference spike-arrested at SPIKE_ARREST req/s (`--rate-limit
   auto`): the rate it settled at, the back-pressure answers, and the false failures
   (any failure against the clean reference is one);
6. with `--budget-curve`, which named reference faults a run catches within 250, 500,
   750, 1000 requests and the default budget (`budget_curve.py`).

It writes reports/benchmark.json and prints a Markdown table for the README, then the
issue's goals table; with `--repeat N`, N interleaved rounds of the measures the goals
name (medians and ranges) first. A benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
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

from conformance.embedded import REFERENCE_WRONG_PASSWORD_CAP, ReferenceCodeSource, role_settings
from conformance.exchange import Exchange
from conformance.properties.lifecycle import MACHINE_SHARE, MACHINES, MIN_WALKS
from conformance.properties.lifecycle import NAME as LIFECYCLE
from conformance.properties.schemathesis_phase import CHAINS
from conformance.reference import create_app, default_accounts
from conformance.reference.limits import Limits
from conformance.reference.process import ReferenceProcess
from conformance.run_context import RunContext
from conformance.sender import basic_credentials
from conformance.settings import Client, Settings
from conformance.vocabulary import RT

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"
SEED = 20261128
LATENCY_S = 0.05
SPIKE_ARREST = 25  # requests a sliding second may hold at the spike-arrested reference


@dataclass
class Measure:
    name: str
    wall_s: float
    requests: int
    peak_rss_mib: float | None = None
    note: str = ""
    # a `conformance run`'s, from its results.json
    exit_code: int | None = None
    generated: int | None = None
    settled_rate: float | None = None  # req/s the adaptive rate ended at; None: unlimited
    back_pressure: int | None = None  # back-pressure answers met
    # against the clean reference, every requirement that failed or could not be judged
    false_failures: list[str] | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.wall_s if self.wall_s else 0.0


def _env(accounts_roles: dict[str, str]) -> dict[str, str]:
    # The reference's user, as the embedded run has it: every near-miss of its password
    # is tried (PASSWORD-WHOLE), so a --target run judges what the default run judges.
    cap = {"CONFORMANCE_WRONG_PASSWORD_CAP": str(REFERENCE_WRONG_PASSWORD_CAP)}
    return {
        **os.environ,
        **{f"CONFORMANCE_{k.upper()}": v for k, v in accounts_roles.items()},
        **cap,
    }


def _target_env(roles: dict[str, str], url: str) -> dict[str, str]:
    return {**_env(roles), "CONFORMANCE_AUTH_CODE_COMMAND": _authorize_command(url)}


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
    document = json.loads((out / "results.json").read_text())
    run = document["run"]
    note = f"exit {done.returncode}, {run.get('generated_requests', 0)} generated"
    false = sorted(
        f"{r['requirement_id']} ({r['outcome']})"
        for r in document["results"]
        if r["outcome"] in {"failed", "error"}
    )
    return Measure(
        name,
        wall,
        int(run["requests_sent"]),
        _child_peak_mib(),
        note,
        exit_code=done.returncode,
        generated=int(run.get("generated_requests", 0)),
        settled_rate=run.get("settled_rate"),
        back_pressure=int((run.get("back_pressure") or {}).get("answers", 0)),
        false_failures=false,
    )


def dependent_round_trips(exchanges: list[Exchange]) -> int:
    """The longest run of requests each sent after the answer before it, about: a
    lifecycle machine's or a refresh chain's (each walks one request at a time, beside
    the others). Against a distant target the property phase cannot take less than
    these round trips."""
    lifecycle = sum(1 for e in exchanges if e.scenario == LIFECYCLE)
    walks = max(2, Settings.examples // MACHINE_SHARE)
    machines = max(1, min(MACHINES, walks // MIN_WALKS))
    chained = sum(
        1
        for e in exchanges
        if e.scenario == "prop_positive" and (e.grant == RT or e.label == "setup-login")
    )
    return max(math.ceil(lifecycle / machines), math.ceil(chained / CHAINS))


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
            env = _target_env(roles, url)
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
    """The run against the reference (in a process of its own, as the default run has
    it) behind `latency_proxy`: every answer comes LATENCY_S later."""
    with (
        ReferenceProcess() as server,
        latency_proxy(server.port, LATENCY_S, serial=serial) as port,
    ):
        url = f"http://127.0.0.1:{port}"
        measure = measure_cli_run(
            f"latency {int(LATENCY_S * 1000)} ms{' serial' if serial else ''}",
            ["--target", url],
            env=_target_env(roles, url),
        )
    ms = int(LATENCY_S * 1000)
    measure.name = (
        f"conformance run, target {ms} ms away per chunk, serially (the first proxy)"
        if serial
        else f"conformance run, target with {ms} ms latency"
    )
    return measure


def measure_spike_arrested(roles: dict[str, str]) -> Measure:
    """The default run against the reference spike-arrested at SPIKE_ARREST req/s, with
    `--rate-limit auto` (a loopback target is otherwise unlimited): every failure is a
    false one, the reference being clean."""
    with ReferenceProcess(limits=Limits(spike_arrest=SPIKE_ARREST)) as server:
        measure = measure_cli_run(
            "spike-arrested",
            ["--target", server.url, "--rate-limit", "auto"],
            env=_target_env(roles, server.url),
        )
    measure.name = f"conformance run, reference spike-arrested at {SPIKE_ARREST} req/s, auto"
    return measure


def measure_target(roles: dict[str, str]) -> Measure:
    """The run against the same reference process as the latency run, without the
    proxy: `--target`, codes from the command, all as the latency run has them."""
    with ReferenceProcess() as server:
        measure = measure_cli_run(
            "target", ["--target", server.url], env=_target_env(roles, server.url)
        )
    measure.name = "conformance run, --target the reference (no latency, as the latency run)"
    return measure


def table(measures: list[Measure], ratios: dict[str, float]) -> str:
    lines = [
        "| run | wall (s) | requests | requests/s | peak RSS (MiB) | rate reached (req/s) "
        "| back-pressure answers | false failures | note |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for m in measures:
        rss = f"{m.peak_rss_mib:.0f}" if m.peak_rss_mib else "–"
        rate = (
            "–"
            if m.exit_code is None
            else (f"{m.settled_rate:g}" if m.settled_rate else "unlimited")
        )
        pushed = "–" if m.back_pressure is None else str(m.back_pressure)
        false = "–" if m.false_failures is None else str(len(m.false_failures))
        lines.append(
            f"| {m.name} | {m.wall_s:.2f} | {m.requests} | {m.rps:.0f} | {rss} | {rate} "
            f"| {pushed} | {false} | {m.note} |"
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
        target = measure_target(roles)
        requests, wall, sent, _ = recorded_requests()
        loop = measure_bare_loop(requests)
        for name, value in (
            ("conformance run, default (s)", default.wall_s),
            (f"conformance run, {int(LATENCY_S * 1000)} ms latency (s)", latency.wall_s),
            ("conformance run, --target without latency (s)", target.wall_s),
            ("judge_all in-process (s)", wall),
            ("bare httpx loop (s)", loop.wall_s),
            ("overhead ratio", (wall / sent) / (loop.wall_s / loop.requests)),
            ("latency ratio", latency.wall_s / default.wall_s),
            ("latency ratio, same --target path", latency.wall_s / target.wall_s),
            (
                "generated requests per second, default run",
                (default.generated or 0) / default.wall_s,
            ),
        ):
            seen.setdefault(name, []).append(value)
    return {
        name: {"median": statistics.median(values), "min": min(values), "max": max(values)}
        for name, values in seen.items()
    }


def goals(
    measures: dict[str, Measure],
    rounds: dict[str, dict[str, float]] | None,
    curve: dict[str, Any] | None,
    repeat: int = 0,
) -> list[tuple[str, str, str, str]]:
    """The issue's goals table: (measure, before, now, goal)."""
    spike, latency, default, st = (
        measures["spike"],
        measures["latency"],
        measures["default"],
        measures["st"],
    )

    def median(name: str, single: float) -> str:
        if rounds is None:
            return f"{single:.2f} (one run)"
        figures = rounds[name]
        low, high = figures["min"], figures["max"]
        return f"{figures['median']:.2f} (median of {repeat} rounds, {low:.2f}-{high:.2f})"

    ideal = spike.requests / SPIKE_ARREST
    st_rate = st.requests / st.wall_s
    suite_rate = (default.generated or 0) / default.wall_s
    if rounds is not None:
        suite_rate = rounds["generated requests per second, default run"]["median"]
    within = curve.get("every_fault_caught_within") if curve else None
    caught = "not measured (--budget-curve)"
    if curve:
        row = curve["budgets"][within] if within else None
        caught = (
            f"{within} ({row['caught']}/{row['faults']} faults, {row['requests_clean']['1.3.1']} "
            f"requests sent by the clean run)"
            if row
            else "none of the budgets measured"
        )
    spike_false = spike.false_failures or []
    return [
        (
            f"spike-arrested target ({SPIKE_ARREST} req/s): false failures",
            "10 MUST",
            f"{len(spike_false)}{': ' + ', '.join(spike_false) if spike_false else ''}, "
            f"exit {spike.exit_code}",
            "0, exit 0",
        ),
        (
            f"spike-arrested target: wall time / (requests ÷ {SPIKE_ARREST} req/s)",
            "–",
            f"{spike.wall_s / ideal:.2f} ({spike.wall_s:.1f} s for {spike.requests} requests; "
            f"settled at {spike.settled_rate} req/s, {spike.back_pressure} back-pressure answers)",
            "≤ 1.3",
        ),
        (
            f"{int(LATENCY_S * 1000)} ms target / latency-free run",
            "2.06",
            median("latency ratio", latency.wall_s / default.wall_s),
            "≤ 1.5",
        ),
        (
            "default run, embedded reference (s)",
            "5.47 s",
            median("conformance run, default (s)", default.wall_s),
            "≤ 4 s",
        ),
        (
            "generated cases per second / schemathesis CLI's",
            "~2.5×",
            f"{suite_rate / st_rate:.2f}× ({suite_rate:.0f}/s vs {st_rate:.0f}/s)",
            "≥ 5×",
        ),
        ("requests to catch every reference fault", "~1,360 (default)", caught, "≤ 500"),
    ]


def goals_table(rows: list[tuple[str, str, str, str]]) -> str:
    lines = ["| measure | before | now | goal |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--repeat", type=int, default=0, help="then N interleaved rounds of the goals' measures"
    )
    parser.add_argument(
        "--budget-curve",
        action="store_true",
        help="also the faults caught per --max-requests (budget_curve.py; about 9 minutes)",
    )
    parser.add_argument(
        "--all-faults", action="store_true", help="the budget curve over every fault (~30 min)"
    )
    args = parser.parse_args()
    (REPORTS / "bench").mkdir(parents=True, exist_ok=True)
    roles = role_settings(default_accounts())
    started = time.perf_counter()
    measures = [measure_cli_run("conformance run (default, embedded reference)", [])]
    requests, suite_wall, suite_sent, sequential = recorded_requests()
    in_process = Measure("suite in-process (judge_all, no pytest)", suite_wall, suite_sent)
    loop = measure_bare_loop(requests)
    latency, serial = measure_latency(roles), measure_latency(roles, serial=True)
    target = measure_target(roles)
    st = measure_schemathesis(500)
    xdist = measure_xdist(roles)
    spike = measure_spike_arrested(roles)
    measures += [in_process, loop, st, *xdist, latency, serial, target, spike]
    latency_free = measures[0]
    ms = int(LATENCY_S * 1000)
    floor = sequential * LATENCY_S
    ratios = {
        "overhead: suite time per request / bare loop time per request": (
            in_process.wall_s / in_process.requests
        )
        / (loop.wall_s / loop.requests),
        "pytest-xdist -n 2 speed-up over 1 process": xdist[0].wall_s / xdist[1].wall_s,
        f"{ms} ms latency run / latency-free run (wall)": latency.wall_s / latency_free.wall_s,
        f"{ms} ms latency run / the same --target run without latency": (
            latency.wall_s / target.wall_s
        ),
        f"the same with the first proxy ({ms} ms per chunk, serially)": (
            serial.wall_s / latency_free.wall_s
        ),
        f"requests each sent after the answer before it, the longest chain (a lifecycle "
        f"machine or refresh chain): {sequential}; their round trips alone, {sequential} x "
        f"{ms} ms (s)": floor,
        f"spike-arrested: wall / (requests / {SPIKE_ARREST} req/s)": spike.wall_s
        / (spike.requests / SPIKE_ARREST),
    }
    machine = {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_average_at_start": os.getloadavg(),
        "shared": "other work ran on the machine; compare figures of one run only",
    }
    document: dict[str, Any] = {
        "machine": machine,
        "seed": SEED,
        "measures": [asdict(m) | {"rps": m.rps} for m in measures],
        "ratios": ratios,
    }
    rounds = repeated(roles, args.repeat) if args.repeat else None
    if rounds is not None:
        document["repeated"] = {"rounds": args.repeat, "measures": rounds}
    curve = None
    if args.budget_curve or args.all_faults:
        import budget_curve  # noqa: PLC0415 - only with the flag: it runs ~9 minutes

        curve = budget_curve.measure(args.all_faults, sys.stderr)
        document["budget_curve"] = curve
    named = {"default": latency_free, "latency": latency, "spike": spike, "st": st}
    rows = goals(named, rounds, curve, args.repeat)
    document["goals"] = [
        dict(zip(("measure", "before", "now", "goal"), row, strict=True)) for row in rows
    ]
    document["wall_s"] = round(time.perf_counter() - started, 1)
    (REPORTS / "benchmark.json").write_text(json.dumps(document, indent=2) + "\n")
    print(table(measures, ratios))
    if rounds is not None:
        print(f"\n{args.repeat} interleaved rounds (median, min-max):\n")
        for name, figures in rounds.items():
            print(
                f"- {name}: **{figures['median']:.2f}** ({figures['min']:.2f}-{figures['max']:.2f})"
            )
    if curve is not None:
        print(f"\nFaults caught per budget ({curve['faults']}):\n")
        print(budget_curve.markdown(curve["budgets"]))
    print("\nGoals (issue 18):\n")
    print(goals_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
