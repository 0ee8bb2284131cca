"""Starting and stopping the async machinery: forked workers, close() during calls, a
batcher shut down while it checks (QA round s30)."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest
from bastion import Guard
from bastion.api.batcher import MicroBatcher
from bastion.detectors.pii_regex import RegexPIIDetector


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_acheck_works_in_a_forked_child_of_a_process_that_used_it():
    # gunicorn --preload forks after the app (and its guard) warmed up: the child's copy
    # of the pool had no threads behind it, and acheck waited forever
    g = Guard([RegexPIIDetector()], max_workers=2)

    async def warm():
        await asyncio.gather(*(g.acheck("mail jane@example.com") for _ in range(4)))

    asyncio.run(warm())
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            res = asyncio.run(asyncio.wait_for(g.acheck("mail jane@example.com"), 10))
            os.write(w, res.action.value.encode())
        except BaseException as exc:  # noqa: BLE001
            os.write(w, type(exc).__name__.encode())
        os._exit(0)
    os.close(w)
    _, status = os.waitpid(pid, 0)
    got = os.read(r, 100).decode()
    os.close(r)
    assert got == "redact" and status == 0
    g.close()


def test_close_between_taking_the_pool_and_submitting_to_it_does_not_fail_the_call(monkeypatch):
    # a close() from another thread landing right before the submit shut the executor
    # first: "RuntimeError: cannot schedule new futures after shutdown" (1-5 in 20,000 calls
    # under load). Here the close is started at exactly that moment, every time.
    from concurrent.futures import ThreadPoolExecutor

    g = Guard([RegexPIIDetector()])
    real_submit = ThreadPoolExecutor.submit
    closers = []

    def submit(self, fn, /, *args, **kwargs):
        if not closers:
            t = threading.Thread(target=g.close)
            closers.append(t)
            t.start()
            t.join(0.2)  # the close runs now, unless the pool's lock holds it off
        return real_submit(self, fn, *args, **kwargs)

    monkeypatch.setattr(ThreadPoolExecutor, "submit", submit)
    assert asyncio.run(g.acheck("mail jane@example.com")).action.value == "redact"
    closers[0].join()
    g.close()


class _Slow:
    name, category, version, kind = "slow", "pii", "1", "rules"

    def detect(self, texts):
        time.sleep(0.2)
        return [[] for _ in texts]


def test_batcher_close_answers_the_batch_it_is_running_and_the_queue():
    async def main():
        b = MicroBatcher(Guard([_Slow()]), max_batch=1, max_wait_s=0.001)
        await b.start()
        running = asyncio.create_task(b.check(["x"], None, ""))
        queued = asyncio.create_task(b.check(["y"], None, ""))
        await asyncio.sleep(0.05)  # "x" is being checked in a worker thread, "y" waits
        await b.aclose()
        # both answered (the server's stop() drains): once "x" waited forever
        return await asyncio.wait_for(asyncio.gather(running, queued), 3)

    x, y = asyncio.run(main())
    assert x[0].action.value == "allow" and y[0].action.value == "allow"


def test_batcher_close_gives_up_after_its_drain_time_with_an_error():
    async def main():
        b = MicroBatcher(Guard([_Slow()]), max_batch=1, max_wait_s=0.001)
        await b.start()
        reqs = [asyncio.create_task(b.check([f"t{i}"], None, "")) for i in range(5)]
        await asyncio.sleep(0.05)
        await b.aclose(drain_s=0.1)
        return await asyncio.wait_for(asyncio.gather(*reqs, return_exceptions=True), 3)

    got = asyncio.run(main())
    errors = [r for r in got if isinstance(r, BaseException)]
    assert errors and all("shut down" in str(e) for e in errors)
