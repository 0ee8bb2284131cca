"""Benchmark the HTTP API: req/s and p50/p99 latency, micro-batcher vs thread pool.

Starts a real ``bastion serve`` on a loopback port for each mode (``Guard.default()``:
the shipped models, or regex + heuristics when they are missing) and drives it with a
bounded httpx asyncio client at several concurrency levels.

    python benchmarks/bench_api.py                       # 400 requests per level
    python benchmarks/bench_api.py --requests 2000 --concurrency 1,8,32,64 --threads 2

``--fairness``: latency of small requests alone and while a huge request (``--big-chars``,
200,000 by default) is being checked, with the large-request lane on and off
(``Settings.large_request_chars``). Run it with ``PYTHONPATH`` pointing at an older
checkout's ``inference/`` to compare with code that predates the lane.

    python benchmarks/bench_api.py --fairness --seconds 15

``--overhead``: in-process (ASGI, no sockets), calls interleaved in one loop: a
``/v1/check`` with OpenTelemetry spans off vs on (in-memory exporter), and one
``/v1/check/messages`` with ``--messages`` user messages vs the same texts as that many
``/v1/check`` calls.

    python benchmarks/bench_api.py --overhead --requests 200
"""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import os
import socket
import statistics
import subprocess
import sys
import time

import httpx

# about 64 tokens for a BERT-style tokenizer, with some PII to find
TEXT = (
    "Hi, I'm Jane Doe and my email is jane.doe@example.com. Could you summarise the attached "
    "quarterly report for the sales team, focusing on revenue growth in Europe and Asia, and draft "
    "a short reply thanking them? My phone is +1 415 555 0132 if anything is unclear."
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(mode: str, threads: int, port: int, config: str | None) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "bastion.cli",
        "serve",
        "--port",
        str(port),
        "--no-auth",
        "--rate-limit",
        "none",
    ]
    cmd += ["--mode", mode, "--threads", str(threads), "--log-level", "warning", "--no-access-log"]
    if config:
        cmd += ["--config", config]
    return launch(cmd, port, ready_s=120, poll_s=0.1)


def launch(cmd: list[str], port: int, *, ready_s: float, poll_s: float) -> subprocess.Popen:
    """Start a server process on ``port`` (in-memory key database) and wait for ``/readyz``."""
    env = {**os.environ, "BASTION_DB_URL": "sqlite://"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + ready_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(poll_s)
    proc.terminate()
    raise RuntimeError("server did not become ready")


# One counter for the whole run: every request of every level and phase sends a text no
# earlier request sent (the one-pass cache holds 1024 texts: a level that resent the texts of
# the level before answered from it, ~1.7x the req/s, s32 qa_bench M1).
_SERIAL = itertools.count()


async def drive(url: str, concurrency: int, n: int) -> tuple[float, list[float], int]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    lat: list[float] = []
    errors = 0
    todo = (next(_SERIAL) for _ in range(n))
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        for _ in range(min(20, n)):  # warm-up: connections, first-call costs
            await client.post("/v1/check", json={"text": TEXT})

        async def worker() -> None:
            nonlocal errors
            for i in todo:
                t0 = time.perf_counter()
                # a different text per request: a detector's output cache (the one-pass
                # model keeps one) must not turn repeated requests into cache hits
                r = await client.post("/v1/check", json={"text": f"{TEXT} (request {i})"})
                lat.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errors += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    return elapsed, lat, errors


_APP_SERVER = """
import sys, uvicorn
from bastion.api.app import create_app
from bastion.api.settings import Settings
from bastion.guard import Guard
kw = {kw!r}
kw = {{k: v for k, v in kw.items() if k in Settings.__dataclass_fields__}}  # older Settings lack some
config = {config!r}
app = create_app(
    settings=Settings(auth_enabled=False, rate_limit=None, **kw),
    guard_factory=(lambda: Guard.from_config(config)) if config else Guard.default,
)
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""


def start_app_server(port: int, kw: dict, config: str | None) -> subprocess.Popen:
    code = _APP_SERVER.format(kw=kw, config=config, port=port)
    return launch([sys.executable, "-c", code], port, ready_s=180, poll_s=0.2)


async def small_latencies(
    client: httpx.AsyncClient, seconds: float, concurrency: int
) -> tuple[list[float], int]:
    lat: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    sent = _SERIAL  # a different text per request, across both phases: no output-cache hits

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            r = await client.post("/v1/check", json={"text": f"{TEXT} (request {next(sent)})"})
            lat.append(time.perf_counter() - t0)
            errors += r.status_code != 200

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return lat, errors


async def fairness_run(url: str, seconds: float, concurrency: int, big_chars: int) -> dict[str, float]:
    big = (TEXT + " ") * (big_chars // (len(TEXT) + 1) + 1)
    big = big[:big_chars]
    limits = httpx.Limits(max_connections=concurrency + 2)
    async with httpx.AsyncClient(base_url=url, timeout=600, limits=limits) as client:
        for _ in range(10):
            await client.post("/v1/check", json={"text": TEXT})
        alone, err_a = await small_latencies(client, seconds, concurrency)
        bigs: list[float] = []

        async def big_loop() -> None:
            while True:
                t0 = time.perf_counter()
                # a new big text each time too (a repeat was a cache hit: 2.7-4.1 s, not 6.8-8.8 s)
                r = await client.post("/v1/check", json={"text": f"({next(_SERIAL)}) {big}"[:big_chars]})
                if r.status_code != 200:
                    raise RuntimeError(f"big request failed: {r.status_code} {r.text[:200]}")
                bigs.append(time.perf_counter() - t0)

        task = asyncio.create_task(big_loop())
        await asyncio.sleep(0.5)  # the big one is in the detectors
        busy, err_b = await small_latencies(client, seconds, concurrency)
        task.cancel()
    return {
        "alone_p50": pct(alone, 50) * 1e3,
        "busy_p50": pct(busy, 50) * 1e3,
        "busy_p99": pct(busy, 99) * 1e3 if len(busy) > 1 else busy[0] * 1e3,
        "busy_n": len(busy),
        "big_s": statistics.median(bigs) if bigs else float("nan"),
        "errors": err_a + err_b,
    }


def fairness(args: argparse.Namespace) -> None:
    known = {"on": ("lane on", {}), "off": ("lane off", {"large_request_chars": 10**9})}
    variants = [known[v] for v in args.variants.split(",")]
    rows = []
    for name, extra in variants:
        kw = {"max_text_chars": args.big_chars + 1000, "max_body_bytes": 4 * args.big_chars + 10_000, **extra}
        port = free_port()
        proc = start_app_server(port, kw, args.config)
        try:
            url = f"http://127.0.0.1:{port}"
            degraded = httpx.get(url + "/readyz").json()["degraded"]
            res = asyncio.run(fairness_run(url, args.seconds, 2, args.big_chars))
            rows.append((name, degraded, res))
            print(f"  {name} done", file=sys.stderr)
        finally:
            proc.kill()  # a huge request may still be running; no graceful shutdown needed
            proc.wait(10)
    print(
        f"\n{'variant':<10}{'degraded':>9}{'alone p50':>11}{'busy p50':>10}{'busy p99':>10}{'ratio':>7}{'n':>5}{'big s':>7}"
    )
    for name, degraded, r in rows:
        ratio = r["busy_p50"] / r["alone_p50"]
        print(
            f"{name:<10}{degraded!s:>9}{r['alone_p50']:>11.1f}{r['busy_p50']:>10.1f}{r['busy_p99']:>10.1f}"
            f"{ratio:>7.1f}{r['busy_n']:>5}{r['big_s']:>7.2f}"
        )
    print(
        f"\nsmall requests ({len(TEXT)} chars, concurrency 2, {args.seconds:g} s per phase) alone and while "
        f"{args.big_chars}-char requests run back to back; ms; {os.cpu_count()} CPUs"
    )


def mean_batch_size(metrics: str) -> float:
    vals = {}
    for line in metrics.splitlines():
        if line.startswith(("bastion_inference_batch_size_sum", "bastion_inference_batch_size_count")):
            name, value = line.split()
            vals[name.rsplit("_", 1)[1]] = float(value)
    return vals.get("sum", 0.0) / max(1.0, vals.get("count", 0.0))


async def overhead_run(args: argparse.Namespace) -> None:
    from bastion.api.app import create_app
    from bastion.api.settings import Settings
    from bastion.guard import Guard
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    guard = Guard.from_config(args.config) if args.config else Guard.default()
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    settings = Settings(auth_enabled=False, rate_limit=None, mode="threadpool")
    plain = create_app(guard=guard, settings=settings, audit_stream=io.StringIO())
    traced = create_app(
        guard=guard, settings=settings, audit_stream=io.StringIO(), telemetry=provider.get_tracer("bench")
    )

    def texts_of(i: int, side: str) -> list[str]:
        # the messages and the single checks each get their own texts every iteration: the
        # same conversation again was answered from the one-pass model's per-text cache
        return [f"{TEXT} ({side}{i}.{j})" for j in range(args.messages)]

    times: dict[str, list[float]] = {k: [] for k in ("check", "check+otel", "messages", "n x check")}
    async with (
        plain.router.lifespan_context(plain),
        traced.router.lifespan_context(traced),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=plain), base_url="http://p") as a,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=traced), base_url="http://t") as b,
    ):

        async def timed(name: str, fn) -> None:  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            await fn()
            times[name].append(time.perf_counter() - t0)

        async def singles(i: int) -> None:
            for t in texts_of(i, "s"):
                (await a.post("/v1/check", json={"text": t})).raise_for_status()

        for i in range(args.requests):
            # each call its own text, so an output cache (the one-pass model's) never answers
            await timed("check", lambda i=i: a.post("/v1/check", json={"text": f"{TEXT} (a{i})"}))
            await timed("check+otel", lambda i=i: b.post("/v1/check", json={"text": f"{TEXT} (b{i})"}))
            conversation = {"messages": [{"role": "user", "content": t} for t in texts_of(i, "m")]}
            await timed("messages", lambda c=conversation: a.post("/v1/check/messages", json=c))
            await timed("n x check", lambda i=i: singles(i))
            exporter.clear()
    med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    print(f"\n{'call':<14}{'p50 ms':>9}{'p90 ms':>9}")
    for k, v in times.items():
        print(f"{k:<14}{med[k]:>9.2f}{pct(v, 90) * 1e3:>9.2f}")
    ratio_otel = statistics.median(b / a for a, b in zip(times["check"], times["check+otel"], strict=True))
    ratio_msgs = statistics.median(m / s for m, s in zip(times["messages"], times["n x check"], strict=True))
    print(f"\nmedian per-iteration ratio check+otel / check: {ratio_otel:.3f}")
    print(f"median per-iteration ratio messages / {args.messages} x check: {ratio_msgs:.3f}")
    print(
        f"{args.requests} iterations, degraded={guard.degraded}, {os.cpu_count()} CPUs, text {len(TEXT)} chars"
    )


def pct(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[q - 1] if len(xs) > 1 else xs[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--modes", default="batcher,threadpool")
    ap.add_argument("--concurrency", default="1,8,32")
    ap.add_argument("--requests", type=int, default=400, help="requests per concurrency level")
    ap.add_argument("--threads", type=int, default=1, help="inference threads (batcher workers / pool size)")
    ap.add_argument("--config", help="Guard YAML config (default: Guard.default())")
    ap.add_argument("--fairness", action="store_true", help="small-request latency while a huge one runs")
    ap.add_argument("--big-chars", type=int, default=200_000)
    ap.add_argument("--variants", default="on,off", help="--fairness: large-request lane on, off")
    ap.add_argument("--seconds", type=float, default=10.0, help="--fairness: seconds per phase")
    ap.add_argument("--overhead", action="store_true", help="OpenTelemetry and /v1/check/messages overhead")
    ap.add_argument("--messages", type=int, default=4, help="--overhead: user messages per conversation")
    args = ap.parse_args()
    if args.overhead:
        asyncio.run(overhead_run(args))
        return
    if args.fairness:
        fairness(args)
        return
    levels = [int(c) for c in args.concurrency.split(",")]
    rows = []
    for mode in args.modes.split(","):
        port = free_port()
        proc = start_server(mode, args.threads, port, args.config)
        try:
            url = f"http://127.0.0.1:{port}"
            ready = httpx.get(url + "/readyz").json()
            for c in levels:
                elapsed, lat, errors = asyncio.run(drive(url, c, args.requests))
                rows.append((mode, c, len(lat) / elapsed, pct(lat, 50) * 1e3, pct(lat, 99) * 1e3, errors))
                print(f"  {mode:<10} c={c:<3} done", file=sys.stderr)
            mean = mean_batch_size(httpx.get(url + "/metrics").text)
            print(
                f"  {mode}: degraded={ready['degraded']} mean texts per check_many={mean:.2f}",
                file=sys.stderr,
            )
        finally:
            proc.terminate()
            proc.wait(10)
    print(f"\n{'mode':<11}{'conc':>5}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for mode, c, rps, p50, p99, err in rows:
        print(f"{mode:<11}{c:>5}{rps:>9.1f}{p50:>9.2f}{p99:>9.2f}{err:>8}")
    print(f"\n{args.requests} requests per level, {os.cpu_count()} CPUs, text {len(TEXT)} chars")


if __name__ == "__main__":
    main()
