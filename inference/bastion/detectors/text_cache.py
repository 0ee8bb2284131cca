"""A per-text result cache, scoped to one call, for detectors whose output for a text
depends on that text only.

Used by :class:`bastion.detectors.onepass.OnePassModel`, whose two detectors ask for the
same texts within one :meth:`Pipeline.run <bastion.pipeline.Pipeline.run>` (side by side,
in the pipeline's pool): the second finds the first's outputs instead of running the
encoder again.

Entries live only as long as the :func:`call_scope` that made them. A cache shared across
calls would be a timing oracle: a hit skips the encoder, so any caller (another API key,
another tenant) could tell from its own latency whether someone else had recently sent
the exact text it guessed. Outside a scope (a detector called directly) each call is its
own scope: repeats within it are computed once, nothing is kept after it.

>>> cache = TextCache(entries=2, size=100, size_of=len)
>>> with call_scope():
...     cache.get_many(["ab", "cd", "ab", "efg"], lambda texts: [t.upper() for t in texts])
...     list(cache)  # least recently used first; "ab" was evicted
['AB', 'CD', 'AB', 'EFG']
['cd', 'efg']
>>> len(cache)  # the call's entries went with it
0
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class CallScope:
    """One call's share of every :class:`TextCache` it touches; closing it drops them.

    A closed scope stores nothing more: a pool task the call abandoned (its batch-mate
    failed) may still finish later, and its outputs must not outlive the call."""

    __slots__ = ("_lock", "_caches", "closed")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._caches: set[TextCache[Any]] = set()
        self.closed = False

    def _enlist(self, cache: TextCache[Any]) -> bool:
        """Record ``cache`` so :meth:`close` empties it; ``False`` once closed."""
        with self._lock:
            if not self.closed:
                self._caches.add(cache)
            return not self.closed

    def close(self) -> None:
        with self._lock:
            self.closed = True
            caches, self._caches = self._caches, set()
        for cache in caches:
            cache._drop(self)


_SCOPE: ContextVar[CallScope | None] = ContextVar("bastion_text_cache_scope", default=None)


@contextmanager
def call_scope() -> Iterator[CallScope]:
    """The scope that cached outputs are shared in, until the ``with`` block ends.

    Threads started inside see it only when they run in a copy of this context
    (``pool.submit(contextvars.copy_context().run, fn, ...)``); a scope opened inside
    another is that outer one (the same call).
    """
    outer = _SCOPE.get()
    if outer is not None and not outer.closed:
        yield outer
        return
    scope = CallScope()
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)
        scope.close()


class _Flight:
    """A text being computed: set when its owner is done, whether it succeeded or not."""

    __slots__ = ("done", "owner")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.owner = threading.current_thread()


def _alive(thread: threading.Thread) -> bool:
    try:
        return thread.is_alive()
    except RuntimeError:  # a foreign (dummy) thread that is gone
        return False


# Every live cache, so a forked child can start each one over (see _after_fork).
_LIVE: weakref.WeakSet[TextCache[Any]] = weakref.WeakSet()


class TextCache(Generic[V]):
    """A thread-safe LRU keyed by (call scope, exact text), bounded over all calls by
    ``entries`` texts and by a total ``size`` (``size_of`` each value, at least 1). The
    most recent text is kept even when it alone is over the size bound, so whoever asks
    next in that call still finds it; ``entries=0`` turns the cache off. Within one call,
    a text being computed by one thread is waited for, not recomputed, by another; a wait
    ends when the owner thread is gone or after ``wait_s`` seconds, and the waiter then
    computes the text itself.

    ``len``, ``in`` and iteration see the current call's entries (every live call's
    outside a scope).
    """

    # a wait bound for an owner that is alive but stuck; a gone owner ends the wait sooner
    wait_s = 60.0
    _POLL_S = 0.25

    def __init__(self, entries: int, size: int, size_of: Callable[[V], int]) -> None:
        self.entries = int(entries)
        self.size = int(size)
        self._size_of = size_of
        self._reset()
        _LIVE.add(self)

    def _reset(self) -> None:
        self._values: OrderedDict[tuple[CallScope, str], V] = OrderedDict()
        self._texts_of: dict[CallScope, set[str]] = {}
        self._used = 0
        self._inflight: dict[tuple[CallScope, str], _Flight] = {}
        self._lock = threading.Lock()

    def _visible(self) -> list[str]:
        scope = _SCOPE.get()
        with self._lock:
            return [t for s, t in self._values if scope is None or s is scope]

    def __len__(self) -> int:
        return len(self._visible())

    def __contains__(self, text: object) -> bool:
        return text in self._visible()

    def __iter__(self) -> Iterator[str]:
        return iter(self._visible())

    def get_many(self, texts: Sequence[str], compute: Callable[[list[str]], list[V]]) -> list[V]:
        """The value of each text: cached in this call, else from one ``compute`` call over
        the texts nobody in this call is computing (each once), else waited for."""
        if self.entries == 0:
            return compute(list(texts))
        scope = _SCOPE.get()
        if scope is None:
            with call_scope() as own:
                return self._get_many(own, texts, compute)
        return self._get_many(scope, texts, compute)

    def _get_many(
        self, scope: CallScope, texts: Sequence[str], compute: Callable[[list[str]], list[V]]
    ) -> list[V]:
        if not scope._enlist(self):
            return compute(list(texts))
        found: list[V | None] = [None] * len(texts)
        mine: dict[str, _Flight] = {}
        waits: dict[str, _Flight] = {}
        with self._lock:
            for i, t in enumerate(texts):
                key = (scope, t)
                hit = self._values.get(key)
                if hit is not None:
                    self._values.move_to_end(key)
                    found[i] = hit
                elif key in self._inflight and t not in mine:
                    waits[t] = self._inflight[key]
                elif t not in mine:
                    mine[t] = self._inflight[key] = _Flight()
        fresh: dict[str, V] = {}
        todo = list(mine)
        try:
            if todo:
                fresh = dict(zip(todo, compute(todo), strict=True))
        finally:
            with self._lock:
                for t, v in fresh.items():
                    self._store(scope, t, v)
                for t in todo:
                    if self._inflight.get((scope, t)) is mine[t]:
                        del self._inflight[(scope, t)]
                    mine[t].done.set()
        for t, flight in waits.items():
            self._wait(flight)
            with self._lock:
                hit = self._values.get((scope, t))
            # the owner failed, is gone, is stuck, or its entry was already evicted
            fresh[t] = hit if hit is not None else compute([t])[0]
        return [v if v is not None else fresh[t] for v, t in zip(found, texts, strict=True)]

    def _wait(self, flight: _Flight) -> None:
        deadline = time.monotonic() + self.wait_s
        while not flight.done.wait(self._POLL_S):
            if not _alive(flight.owner) or time.monotonic() >= deadline:
                return

    def _store(self, scope: CallScope, text: str, value: V) -> None:
        """Insert under the lock, then evict least recently used entries over the bounds."""
        if scope.closed:  # read under our lock, after close() set it: _drop cannot miss this
            return
        key = (scope, text)
        old = self._values.pop(key, None)
        if old is not None:
            self._used -= max(1, self._size_of(old))
        self._values[key] = value
        self._texts_of.setdefault(scope, set()).add(text)
        self._used += max(1, self._size_of(value))
        while len(self._values) > 1 and (len(self._values) > self.entries or self._used > self.size):
            (s, t), dropped = self._values.popitem(last=False)
            self._used -= max(1, self._size_of(dropped))
            self._texts_of[s].discard(t)

    def _drop(self, scope: CallScope) -> None:
        """Forget ``scope``'s entries (its call is over)."""
        with self._lock:
            for t in self._texts_of.pop(scope, ()):
                v = self._values.pop((scope, t), None)
                if v is not None:
                    self._used -= max(1, self._size_of(v))

    def clear(self) -> None:
        """Forget every cached value (there is nothing across calls to forget; kept for
        callers that reset it before a timed call)."""
        with self._lock:
            self._values.clear()
            self._texts_of.clear()
            self._used = 0


def _after_fork() -> None:
    # The child has only the forking thread: an in-flight text of another thread would
    # never be finished there, and a lock that thread held would never be released.
    for cache in list(_LIVE):
        cache._reset()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)
