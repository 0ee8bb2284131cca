"""Latency of Guard.check with the shipped models, by input length, plus batched throughput.

    python benchmarks/bench_latency.py [--models-dir models] [--threads 2] [--only injection|pii|all]

Prints p50/p95 per input length (16, 64, 256, 1024 tokens) for: the injection model alone
through a Guard, and the full default Guard (both models + regex). Run on an idle machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from bastion import Guard
from bastion.detectors import build_detector

WORDS = [
    "please",
    "summarise",
    "the",
    "quarterly",
    "report",
    "for",
    "the",
    "board",
    "and",
    "list",
    "the",
    "three",
    "main",
    "risks",
    "we",
    "face",
    "together",
    "with",
    "proposed",
    "mitigations",
    "and",
    "owners",
    "for",
    "each",
    "item",
    "mentioned",
    "by",
    "the",
    "team",
]


def text_of_tokens(det, n: int) -> str:
    """A text whose tokenisation has ~n content tokens (measured with the model's own tokenizer)."""
    words: list[str] = []
    i = 0
    while True:
        words.append(WORDS[i % len(WORDS)])
        i += 1
        if len(det.model.encode([" ".join(words)])[0].ids) >= n:
            return " ".join(words)


def measure(fn, reps: int) -> tuple[float, float]:
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000)
    ts.sort()
    return statistics.median(ts), ts[min(len(ts) - 1, int(0.95 * len(ts)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models-dir", default=str(Path(__file__).resolve().parents[1] / "models"))
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--reps", type=int, default=100)
    args = ap.parse_args()
    root = Path(args.models_dir)
    opts = {} if args.threads is None else {"threads": args.threads}
    inj = build_detector("onnx_injection", path=root / "injection", **opts)
    guards = {"injection model only": Guard([inj])}
    full = Guard.default(root, threads=args.threads)
    guards[f"Guard.default() ({', '.join(d.name for d in full.detectors)})"] = full
    print("| guard | tokens | p50 ms | p95 ms |\n|---|---|---|---|")
    for gname, g in guards.items():
        for n in (16, 64, 256, 1024):
            t = text_of_tokens(inj, n)
            reps = args.reps if n <= 256 else max(10, args.reps // 5)
            p50, p95 = measure(lambda: g.check(t), reps)  # noqa: B023
            print(f"| {gname} | {n} | {p50:.2f} | {p95:.2f} |")
    print("\n| guard | batch | tokens/text | texts/s |\n|---|---|---|---|")
    for gname, g in guards.items():
        for n in (16, 64):
            t = text_of_tokens(inj, n)
            batch = [t] * 64
            g.check_many(batch)
            t0 = time.perf_counter()
            rounds = 5
            for _ in range(rounds):
                g.check_many(batch)
            rate = rounds * len(batch) / (time.perf_counter() - t0)
            print(f"| {gname} | 64 | {n} | {rate:.0f} |")


if __name__ == "__main__":
    main()
