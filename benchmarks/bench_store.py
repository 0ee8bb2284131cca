"""Privacy store throughput: audit appends/s (one writer, four concurrent writers) and
``verify()`` time over 100k events, on SQLite and (if a URL is given) PostgreSQL.

    python benchmarks/bench_store.py [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/db]
                                     [--appends 2000] [--verify-events 100000]

The PostgreSQL URL defaults to $BASTION_BENCH_PG_URL, then $BASTION_TEST_PG_URL; the
benchmark works in a throwaway schema it drops afterwards. Every append is its own
committed transaction (the way ``record_check`` runs); the 100k-event chain for
``verify()`` is built with ``append_many`` in batches of 5000.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bastion.store import NewEvent, PrivacyStore
from bastion.store.testing import temporary_pg_schema

# The chain is MAC'd: appends and verify need the audit key (a fixed one is fine here).
BENCH_KEY = b"bench-audit-key-0123456789abcdef"


def _event(i: int) -> NewEvent:
    return NewEvent(
        "pii" if i % 3 else "injection",
        "low" if i % 3 else "high",
        user_pseudonym=f"u_{i % 97:032x}",
        labels=("EMAIL_ADDRESS", "PERSON") if i % 3 else ("INJECTION",),
        action="redact" if i % 3 else "block",
        text_hmac=f"{i:064x}",
        request_id=f"req-{i}",
        details={"counts": {"EMAIL_ADDRESS": 1, "PERSON": 1}, "injection_score": 0.01},
    )


def appends_per_s(url: str, total: int, writers: int) -> float:
    stores = [PrivacyStore(url, audit_key=BENCH_KEY) for _ in range(writers)]
    per = total // writers
    start = threading.Barrier(writers + 1)

    def work(s: PrivacyStore, w: int) -> None:
        start.wait()
        for i in range(per):
            s.audit.append_many([_event(w * per + i)])  # one event, one committed transaction

    threads = [threading.Thread(target=work, args=(s, w)) for w, s in enumerate(stores)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    report = stores[0].verify()
    assert report.ok and report.checked >= per * writers, report
    for s in stores:
        s.close()
    return per * writers / elapsed


def verify_seconds(url: str, n: int) -> tuple[float, float, float]:
    """(bulk append s, verify s, events/s verified) over a fresh n-event chain."""
    with PrivacyStore(url, audit_key=BENCH_KEY) as s:
        t0 = time.perf_counter()
        for lo in range(0, n, 5000):
            s.audit.append_many([_event(i) for i in range(lo, min(n, lo + 5000))])
        bulk = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = s.verify()
        elapsed = time.perf_counter() - t0
        assert report.ok and report.checked == n, report
    return bulk, elapsed, n / elapsed


@contextmanager
def backends(pg_url: str | None, tmp: Path) -> Iterator[list[tuple[str, list[str]]]]:
    """(name, [fresh URL per measurement]) for each backend."""
    sqlite = [f"sqlite:///{tmp / f'bench{i}.db'}" for i in range(3)]
    if not pg_url:
        yield [("sqlite", sqlite)]
        return
    with temporary_pg_schema(pg_url) as a, temporary_pg_schema(pg_url) as b, temporary_pg_schema(pg_url) as c:
        yield [("sqlite", sqlite), ("postgresql", [a, b, c])]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--pg-url", default=os.environ.get("BASTION_BENCH_PG_URL") or os.environ.get("BASTION_TEST_PG_URL")
    )
    ap.add_argument("--appends", type=int, default=2000, help="appends per throughput run")
    ap.add_argument("--verify-events", type=int, default=100_000)
    args = ap.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as tmp, backends(args.pg_url, Path(tmp)) as todo:
        for name, urls in todo:
            one = appends_per_s(urls[0], args.appends, 1)
            four = appends_per_s(urls[1], args.appends, 4)
            bulk, ver, rate = verify_seconds(urls[2], args.verify_events)
            rows.append((name, one, four, args.verify_events, bulk, ver, rate))
    if not args.pg_url:
        print("(PostgreSQL skipped: pass --pg-url or set BASTION_BENCH_PG_URL)")
    header = ("backend", "appends/s x1", "appends/s x4", "chain", "bulk build s", "verify s", "verified/s")
    print(" | ".join(f"{h:>13}" for h in header))
    print("-" * (16 * len(header)))
    for name, one, four, n, bulk, ver, rate in rows:
        print(
            f"{name:>13} | {one:>13.0f} | {four:>13.0f} | {n:>13d} | {bulk:>13.2f} | {ver:>13.2f} | {rate:>13.0f}"
        )


if __name__ == "__main__":
    main()
