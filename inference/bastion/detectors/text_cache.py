"""A per-text result cache for detectors whose output for a text depends on that text only.

Used by :class:`bastion.detectors.onepass.OnePassModel`, whose two detectors ask for the
same texts one after the other: the second asks the cache instead of the encoder.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

V = TypeVar("V")


class TextCache(Generic[V]):
    """A thread-safe LRU keyed by the exact text, bounded by ``entries`` texts and by a total
    ``size`` (``size_of`` each value, at least 1). The most recent text is kept even when it
    alone is over the size bound, so whoever asks next still finds it; ``entries=0`` turns
    the cache off. A text being computed by one thread is waited for, not recomputed, by
    another.

    >>> cache = TextCache(entries=2, size=100, size_of=len)
    >>> cache.get_many(["ab", "cd", "ab", "efg"], lambda texts: [t.upper() for t in texts])
    ['AB', 'CD', 'AB', 'EFG']
    >>> list(cache)  # least recently used first; "ab" was evicted
    ['cd', 'efg']
    """

    def __init__(self, entries: int, size: int, size_of: Callable[[V], int]) -> None:
        self.entries = int(entries)
        self.size = int(size)
        self._size_of = size_of
        self._values: OrderedDict[str, V] = OrderedDict()
        self._used = 0
        self._inflight: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, text: object) -> bool:
        return text in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._values))

    def get_many(self, texts: Sequence[str], compute: Callable[[list[str]], list[V]]) -> list[V]:
        """The value of each text: cached, else from one ``compute`` call over the texts
        nobody else is computing (each once), else waited for."""
        if self.entries == 0:
            return compute(list(texts))
        found: list[V | None] = [None] * len(texts)
        mine: dict[str, threading.Event] = {}
        waits: dict[str, threading.Event] = {}
        with self._lock:
            for i, t in enumerate(texts):
                hit = self._values.get(t)
                if hit is not None:
                    self._values.move_to_end(t)
                    found[i] = hit
                elif t in self._inflight and t not in mine:
                    waits[t] = self._inflight[t]
                elif t not in mine:
                    mine[t] = self._inflight[t] = threading.Event()
        fresh: dict[str, V] = {}
        todo = list(mine)
        try:
            if todo:
                fresh = dict(zip(todo, compute(todo), strict=True))
        finally:
            with self._lock:
                for t, v in fresh.items():
                    self._store(t, v)
                for t in todo:
                    self._inflight.pop(t, None)
                    mine[t].set()
        for t, ev in waits.items():
            ev.wait()
            with self._lock:
                hit = self._values.get(t)
            # the other thread failed, or its entry was already evicted: compute it here
            fresh[t] = hit if hit is not None else compute([t])[0]
        return [v if v is not None else fresh[t] for v, t in zip(found, texts, strict=True)]

    def _store(self, text: str, value: V) -> None:
        """Insert under the lock, then evict least recently used entries over the bounds."""
        old = self._values.pop(text, None)
        if old is not None:
            self._used -= max(1, self._size_of(old))
        self._values[text] = value
        self._used += max(1, self._size_of(value))
        while len(self._values) > 1 and (len(self._values) > self.entries or self._used > self.size):
            _, dropped = self._values.popitem(last=False)
            self._used -= max(1, self._size_of(dropped))

    def clear(self) -> None:
        """Forget every cached value."""
        with self._lock:
            self._values.clear()
            self._used = 0
