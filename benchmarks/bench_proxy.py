"""Benchmark ``bastion proxy`` streaming: the latency it adds per chunk.

A fake OpenAI upstream streams an answer in small chunks (``--chunk-chars``, 4 by default,
like an LLM's tokens) and stamps when it sent each character. The client reads the same
stream directly from the upstream and through the proxy, alternating the two in one loop
(the CPU is shared and noisy), and stamps when each character arrives. Everything runs in
this process on loopback (uvicorn in threads), so clock stamps are comparable.

Reported per guard and pace:

- ``extra/chunk``: (proxy total − direct total) / chunks in ``burst`` pace (the upstream
  sends as fast as it can): the guard's processing cost per upstream chunk;
- ``lag p50 / p95``: how long a character waits between the upstream sending it and the
  client receiving it, in ``paced`` mode (``--interval-ms`` between chunks, a fast LLM):
  hold-back (``--holdback`` characters) plus processing; ``direct`` is the floor;
- ``lag past hold-back``: the same, counted from when the character could first be
  released (character ``i + holdback`` arrived): the wait for the next check (one every
  ``--check-every`` characters) plus the proxy's processing;
- ``steps``: guard steps per stream (queued chunks coalesce when the guard is slower),
  and the mean time of one step (a StreamGuard feed: the guard on the unreleased tail).

    python benchmarks/bench_proxy.py                     # regex-only, PII model, full default
    python benchmarks/bench_proxy.py --guards regex --reps 5 --holdback 64
"""

from __future__ import annotations

import argparse
import io
import json
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import uvicorn
from bastion.api.settings import Settings
from bastion.guard import Guard
from bastion.proxy.app import ProxyConfig, create_proxy_app
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

ANSWER = (
    "Sure. Here is a summary of the quarterly report for the sales team: revenue grew in both "
    "regions, driven by the new subscription tier and a stronger channel; churn fell slightly. "
    "I have drafted a short reply thanking them, signed by <PERSON_1>, and will send it to "
    "<EMAIL_ADDRESS_1> today. If anything is unclear, the team can call the usual number. "
)


class Served:
    def __init__(self, app: Any) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


class Upstream:
    def __init__(self, text: str, chunk_chars: int) -> None:
        self.text, self.chunk_chars = text, chunk_chars
        self.interval_s = 0.0
        self.sent: list[float] = []  # per character: when its chunk was written

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> StreamingResponse:
            import asyncio

            await request.body()
            self.sent = []

            async def events() -> Any:
                base = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}
                for i in range(0, len(self.text), self.chunk_chars):
                    piece = self.text[i : i + self.chunk_chars]
                    ch = {"index": 0, "delta": {"content": piece}, "finish_reason": None}
                    self.sent += [time.perf_counter()] * len(piece)
                    yield f"data: {json.dumps({**base, 'choices': [ch]})}\n\n"
                    await asyncio.sleep(self.interval_s)
                end = {"index": 0, "delta": {}, "finish_reason": "stop"}
                yield f"data: {json.dumps({**base, 'choices': [end]})}\n\n"
                yield "data: [DONE]\n\n"

            return StreamingResponse(events(), media_type="text/event-stream")

        return app


def read_stream(client: httpx.Client, url: str) -> tuple[str, list[float], float]:
    """The streamed text, when each character arrived, and the total time."""
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "summarise please"}]}
    text, got = "", []
    t0 = time.perf_counter()
    with client.stream("POST", url + "/v1/chat/completions", json=body) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            for ch in json.loads(line[6:]).get("choices") or ():
                piece = (ch.get("delta") or {}).get("content") or ""
                now = time.perf_counter()
                text += piece
                got += [now] * len(piece)
    return text, got, time.perf_counter() - t0


def guards(names: list[str]) -> Iterator[tuple[str, Guard]]:
    from bastion.detectors import FACTORIES

    for name in names:
        if name == "regex":
            yield "regex only", Guard([FACTORIES["pii_regex"]()])
        elif name == "pii":
            yield "PII model + regex", Guard.default(tasks=("pii",))
        elif name == "default":
            yield "Guard.default()", Guard.default()


def steps_in(metrics_text: str) -> tuple[float, float]:
    """(count, total seconds) of the proxy's stream guard steps so far."""
    out = {"count": 0.0, "sum": 0.0}
    for line in metrics_text.splitlines():
        for kind in out:
            if line.startswith(f'bastion_proxy_guard_seconds_{kind}{{stage="stream_step"}}'):
                out[kind] = float(line.rsplit(" ", 1)[1])
    return out["count"], out["sum"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--guards", default="regex,pii,default")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--chunk-chars", type=int, default=4)
    ap.add_argument("--interval-ms", type=float, default=10.0)
    ap.add_argument("--holdback", type=int, default=128)
    ap.add_argument("--check-every", type=int, default=48)
    ap.add_argument("--repeat-answer", type=int, default=2, help="answer = ANSWER x this")
    args = ap.parse_args()

    text = ANSWER * args.repeat_answer
    up = Upstream(text, args.chunk_chars)
    upstream = Served(up.app())
    chunks = -(-len(text) // args.chunk_chars)
    print(
        f"answer {len(text)} chars in {chunks} chunks of {args.chunk_chars}; holdback {args.holdback}; "
        f"check every {args.check_every} chars; "
        f"paced {args.interval_ms:g} ms/chunk; {args.reps} reps, direct and proxy interleaved"
    )
    print()
    print(
        "| guard | extra/chunk (ms) | burst total direct / proxy (ms) | lag p50 direct / proxy (ms) "
        "| lag p95 proxy (ms) | lag past hold-back p50 / p95 (ms) | steps/stream (burst, paced) | guard step mean, paced (ms) | runs with a redaction |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    client = httpx.Client(timeout=120)
    for label, guard in guards(args.guards.split(",")):
        app = create_proxy_app(
            ProxyConfig(upstream.url + "/v1", holdback=args.holdback, check_every=args.check_every),
            guard=guard,
            settings=Settings(auth_enabled=False, rate_limit=None),
            audit_stream=io.StringIO(),
        )
        proxy = Served(app)
        read_stream(client, proxy.url)  # warm up: model sessions, connections
        changed = 0
        res: dict[str, dict[str, list[float]]] = {
            pace: {
                "direct": [],
                "proxy": [],
                "lag_direct": [],
                "lag_proxy": [],
                "work": [],
                "steps": [],
                "step_ms": [],
            }
            for pace in ("burst", "paced")
        }
        for _ in range(args.reps):
            for pace in ("burst", "paced"):
                up.interval_s = 0.0 if pace == "burst" else args.interval_ms / 1000.0
                for where, url in (("direct", upstream.url), ("proxy", proxy.url)):
                    # the same answer every rep: a one-pass Guard would answer its steps from
                    # its per-text cache (Guard.default() then measured cheaper than PII-only)
                    guard.clear_cache()
                    before = steps_in(client.get(proxy.url + "/metrics").text)
                    got_text, got, total = read_stream(client, url)
                    if where == "proxy":
                        after = steps_in(client.get(proxy.url + "/metrics").text)
                        res[pace]["steps"].append(after[0] - before[0])
                        res[pace]["step_ms"].append(
                            1000 * (after[1] - before[1]) / max(1.0, after[0] - before[0])
                        )
                    # a model may still redact a word at a window's edge: counted, and the
                    # per-character stamps are then only approximately aligned
                    changed += where == "proxy" and got_text != text
                    res[pace][where].append(total * 1000)
                    res[pace]["lag_" + where] += [(g - s) * 1000 for g, s in zip(got, up.sent, strict=False)]
                    if where == "proxy":
                        # character i cannot leave before character i + holdback has arrived:
                        # what remains is the proxy's own work (and the event loops)
                        last = len(up.sent) - 1
                        res[pace]["work"] += [
                            (g - up.sent[min(i + args.holdback, last)]) * 1000 for i, g in enumerate(got)
                        ]
        proxy.stop()
        b, p = res["burst"], res["paced"]
        d_tot, p_tot = statistics.median(b["direct"]), statistics.median(b["proxy"])
        q = statistics.quantiles(p["lag_proxy"], n=20)
        w = statistics.quantiles(p["work"], n=20)
        print(
            f"| {label} | {(p_tot - d_tot) / chunks:.2f} | {d_tot:.0f} / {p_tot:.0f} "
            f"| {statistics.median(p['lag_direct']):.1f} / {statistics.median(p['lag_proxy']):.1f} "
            f"| {q[18]:.1f} | {statistics.median(p['work']):.1f} / {w[18]:.1f} | {statistics.median(b['steps']):.0f}, {statistics.median(p['steps']):.0f} | {statistics.median(p['step_ms']):.2f} | {changed} / {2 * args.reps} |"
        )
    upstream.stop()


if __name__ == "__main__":
    main()
