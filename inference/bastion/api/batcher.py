"""Two ways to run the CPU-bound Guard without blocking the event loop.

- :class:`MicroBatcher` queues texts from concurrent requests, waits at most
  ``max_wait_s`` after the oldest one arrived (or until ``max_batch`` texts are queued),
  and runs one ``guard.check_many`` per batch in a worker thread. Detectors are batch-first,
  so a batch of N costs far less than N single calls once models are loaded.
- :class:`ThreadPoolRunner` runs each request's ``check_many`` in a worker thread, at most
  ``threads`` at a time.

Both expose ``await runner.check(texts, policy, policy_key, vault=None)``. ``policy_key``
groups texts that share a policy and vault (``""`` for the Guard's own); texts with
different keys never share a ``check_many`` call. ``await runner.call(fn, size)`` runs any
other Guard work (a whole conversation) in a worker thread under the same lanes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, TypeVar

import anyio
import anyio.to_thread

from bastion.errors import InputError
from bastion.guard import Guard
from bastion.policy import Policy
from bastion.redact import Vault
from bastion.types import CheckResult

BatchObserver = Callable[[int], None]
T = TypeVar("T")


class Runner(Protocol):
    async def check(
        self, texts: Sequence[str], policy: Policy | None, policy_key: str, *, vault: Vault | None = None
    ) -> list[CheckResult]: ...

    async def call(self, fn: Callable[[], T], size: int) -> T: ...

    async def aclose(self) -> None: ...


def _check_group(
    guard: Guard, texts: list[str], policy: Policy | None, vault: Vault | None = None
) -> list[CheckResult | BaseException]:
    """One ``check_many``: a bad text's :class:`InputError` comes back in its place
    (``errors="return"``). Only a detector failure fails the whole batch; then the texts run
    one by one, so the failure stays with the text that caused it."""
    try:
        return list(guard.check_many(texts, policy=policy, vault=vault, errors="return"))
    except Exception:
        if len(texts) == 1:
            raise
    out: list[CheckResult | BaseException] = []
    for t in texts:
        try:
            out.append(guard.check_many([t], policy=policy, vault=vault)[0])
        except Exception as exc:
            out.append(exc)
    return out


class ThreadPoolRunner:
    """Each request runs in its own worker thread (bounded by ``threads``).

    A request whose texts total more than ``large_request_chars`` characters waits for
    its own single thread instead, so large requests never hold every worker.

    >>> import asyncio
    >>> from bastion.types import Finding
    >>> class D:
    ...     name, category, version, kind = "d", "pii", "1", "rules"
    ...     def detect(self, texts): return [[] for _ in texts]
    >>> r = ThreadPoolRunner(Guard([D()]), threads=2)
    >>> asyncio.run(r.check(["hi"], None, ""))[0].action.value
    'allow'
    """

    def __init__(
        self,
        guard: Guard,
        threads: int = 1,
        on_batch: BatchObserver | None = None,
        *,
        large_request_chars: int | None = None,
    ) -> None:
        self.guard = guard
        self.limiter = anyio.CapacityLimiter(threads)
        self.large_limiter = anyio.CapacityLimiter(1)
        self.large_request_chars = large_request_chars
        self.on_batch = on_batch

    async def check(
        self, texts: Sequence[str], policy: Policy | None, policy_key: str, *, vault: Vault | None = None
    ) -> list[CheckResult]:
        if self.on_batch is not None:
            self.on_batch(len(texts))
        large = _is_large(_size(texts), self.large_request_chars)
        results = await anyio.to_thread.run_sync(
            partial(_check_group, self.guard, list(texts), policy, vault),
            limiter=self.large_limiter if large else self.limiter,
        )
        for r in results:
            if isinstance(r, BaseException):
                raise r
        return results  # type: ignore[return-value]

    async def call(self, fn: Callable[[], T], size: int) -> T:
        """Run ``fn`` in a worker thread; ``size`` (characters) picks the lane."""
        large = _is_large(size, self.large_request_chars)
        return await anyio.to_thread.run_sync(fn, limiter=self.large_limiter if large else self.limiter)

    async def aclose(self) -> None:
        return None


def _size(texts: Sequence[str]) -> int:
    return sum(len(t) for t in texts)


def _is_large(size: int, large_request_chars: int | None) -> bool:
    """Whether work of ``size`` characters goes to the single-worker lane."""
    return large_request_chars is not None and size > large_request_chars


@dataclass
class _Item:
    text: str
    policy: Policy | None
    key: str
    future: asyncio.Future[CheckResult]
    arrived: float
    vault: Vault | None = None


class _Lane:
    """A queue of texts with its own worker tasks."""

    def __init__(self, name: str, workers: int) -> None:
        self.name, self.workers = name, workers
        self.pending: deque[_Item] = deque()
        self.wake = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []
        self.running: list[_Item] = []  # the batch a worker is checking now

    def take_batch(self, max_batch: int, max_chars: int | None) -> list[_Item]:
        """The oldest text and the queued texts of its policy key that fit with it;
        texts of other keys keep their place in the queue."""
        pending = self.pending
        first = pending.popleft()
        batch = [first]
        chars = len(first.text)
        # only texts with the same policy can share a check_many call; others stay queued in order
        keep: list[_Item] = []
        while pending and len(batch) < max_batch:
            item = pending.popleft()
            if item.key != first.key:
                keep.append(item)
                continue
            if max_chars is not None and chars + len(item.text) > max_chars:
                keep.append(item)
                break
            batch.append(item)
            chars += len(item.text)
        pending.extendleft(reversed(keep))
        return [i for i in batch if not i.future.done()]


class MicroBatcher:
    """Gathers concurrent texts into batches for one ``check_many`` each.

    A batch holds at most ``max_batch`` texts and, past its first text, at most
    ``max_chars`` characters. Requests whose texts total more than
    ``large_request_chars`` go to a separate lane with one worker, so small requests keep
    flowing while a huge one is being checked (detectors cannot be interrupted mid-call).

    Must be started inside the running event loop (``await batcher.start()``).

    >>> import asyncio
    >>> class D:
    ...     name, category, version, kind = "d", "pii", "1", "rules"
    ...     def detect(self, texts): return [[] for _ in texts]
    >>> async def demo():
    ...     b = MicroBatcher(Guard([D()]), max_batch=8, max_wait_s=0.001)
    ...     await b.start()
    ...     rs = await asyncio.gather(*(b.check([f"t{i}"], None, "") for i in range(5)))
    ...     await b.aclose()
    ...     return len(rs)
    >>> asyncio.run(demo())
    5
    """

    def __init__(
        self,
        guard: Guard,
        *,
        max_batch: int = 32,
        max_wait_s: float = 0.001,
        workers: int = 1,
        on_batch: BatchObserver | None = None,
        max_chars: int | None = None,
        large_request_chars: int | None = None,
    ) -> None:
        self.guard = guard
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.max_chars = max_chars
        self.large_request_chars = large_request_chars
        self.workers = workers
        self.on_batch = on_batch
        self._small = _Lane("small", workers)
        self._large = _Lane("large", 1)
        # work that is not a batch of texts (a conversation) runs beside the batch workers
        self._call_limiters: dict[bool, Any] = {}
        self._started = False
        self._closed = False

    async def start(self) -> None:
        for lane in (self._small, self._large):
            lane.wake = asyncio.Event()
            lane.tasks = [
                asyncio.create_task(self._worker(lane), name=f"bastion-batcher-{lane.name}-{i}")
                for i in range(lane.workers)
            ]
        self._started = True

    async def check(
        self, texts: Sequence[str], policy: Policy | None, policy_key: str, *, vault: Vault | None = None
    ) -> list[CheckResult]:
        """Check ``texts``; the caller must make ``policy_key`` differ for different
        policies or vaults (texts of one key share a ``check_many`` call)."""
        if not self._started or self._closed:
            raise RuntimeError("MicroBatcher is not running")
        loop = asyncio.get_running_loop()
        now = time.perf_counter()
        large = _is_large(_size(texts), self.large_request_chars)
        lane = self._large if large else self._small
        items = [_Item(t, policy, policy_key, loop.create_future(), now, vault) for t in texts]
        lane.pending.extend(items)
        lane.wake.set()
        try:
            done = await asyncio.gather(*(i.future for i in items), return_exceptions=True)
        except asyncio.CancelledError:
            for i in items:
                i.future.cancel()  # queued texts of a cancelled request are skipped
            raise
        for r in done:
            if isinstance(r, InputError):
                raise await self._worded_alone(texts, done, policy, vault, r)
            if isinstance(r, BaseException):
                raise r
        return list(done)  # type: ignore[arg-type]

    async def _worded_alone(
        self,
        texts: Sequence[str],
        done: Sequence[Any],
        policy: Policy | None,
        vault: Vault | None,
        error: InputError,
    ) -> BaseException:
        """The request's first input error as a check of its own texts words it.

        The batch worded it by the text's place among other requests' texts ("text 9" for a
        one-text request), which points the client at the wrong text and tells it how many
        others were queued. Only the bad texts are checked again, every other place blank: a
        text's error depends on that text alone, blanks run no model, so this costs the input
        checks of the bad texts and gives the message the request alone would get.
        """
        probe = [t if isinstance(r, InputError) else "" for t, r in zip(texts, done, strict=True)]
        worded = await anyio.to_thread.run_sync(partial(_check_group, self.guard, probe, policy, vault))
        return next((r for r in worded if isinstance(r, BaseException)), error)

    async def call(self, fn: Callable[[], T], size: int) -> T:
        """Run ``fn`` in a worker thread, at most ``workers`` at a time (one at a time for
        ``size`` over ``large_request_chars``)."""
        if not self._started or self._closed:
            raise RuntimeError("MicroBatcher is not running")
        large = _is_large(size, self.large_request_chars)
        if large not in self._call_limiters:
            self._call_limiters[large] = anyio.CapacityLimiter(1 if large else self.workers)
        return await anyio.to_thread.run_sync(fn, limiter=self._call_limiters[large])

    async def _worker(self, lane: _Lane) -> None:
        pending = lane.pending
        while True:
            while not pending:
                lane.wake.clear()
                await lane.wake.wait()
            if len(pending) < self.max_batch and self.max_wait_s > 0:
                # the oldest text waits at most max_wait_s; texts queued while a batch ran
                # have already waited and go at once
                delay = pending[0].arrived + self.max_wait_s - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            if not pending:
                continue
            batch = lane.take_batch(self.max_batch, self.max_chars)
            if not batch:
                continue
            if self.on_batch is not None:
                self.on_batch(len(batch))
            lane.running = batch
            try:
                results = await anyio.to_thread.run_sync(
                    partial(
                        _check_group, self.guard, [i.text for i in batch], batch[0].policy, batch[0].vault
                    )
                )
            except Exception as exc:
                results = [exc] * len(batch)
            lane.running = []
            _settle(batch, results)

    async def aclose(self, drain_s: float = 30.0) -> None:
        """Stop taking texts, answer the ones already taken (queued texts still go out in
        batches, for up to ``drain_s`` seconds), then stop the workers. A text left
        unchecked gets an error: a request must never wait forever on a closed batcher."""
        self._closed = True
        lanes = (self._small, self._large)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + drain_s
        while any(lane.pending or lane.running for lane in lanes) and loop.time() < deadline:
            await asyncio.sleep(0.005)
        for lane in lanes:
            for t in lane.tasks:
                t.cancel()
        for lane in lanes:
            for t in lane.tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
            left = [*lane.running, *lane.pending]
            lane.running = []
            lane.pending.clear()
            for item in left:
                if not item.future.done():
                    item.future.set_exception(
                        RuntimeError("the checker shut down before this text was checked")
                    )


def _settle(batch: list[_Item], results: Sequence[CheckResult | BaseException]) -> None:
    """Hand each text its result (or error), unless its request was cancelled meanwhile."""
    for item, res in zip(batch, results, strict=True):
        if item.future.done():
            continue  # the client went away
        if isinstance(res, BaseException):
            item.future.set_exception(res)
        else:
            item.future.set_result(res)
