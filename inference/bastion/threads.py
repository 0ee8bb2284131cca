"""A thread pool that is safe to carry across ``fork``.

A :class:`~concurrent.futures.ThreadPoolExecutor` that has run work keeps records of its
worker threads; a forked child (``gunicorn --preload``, ``multiprocessing`` with the fork
start method) inherits the records but not the threads, and its first ``submit`` can wait
forever. :class:`LocalPool` makes its executor on first use in each process.

>>> pool = LocalPool(2, "demo")
>>> list(pool.map(len, ["a", "bb"]))
[1, 2]
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class LocalPool:
    """``workers`` threads named ``<prefix>_<n>``, started on first use in this process."""

    def __init__(self, workers: int, prefix: str) -> None:
        self.workers = workers
        self._prefix = prefix
        self._lock = threading.Lock()
        self._pid = -1
        self._executor: ThreadPoolExecutor | None = None

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None or self._pid != os.getpid():
                # a forked child's copy of the parent's executor has no threads behind it
                self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix=self._prefix)
                self._pid = os.getpid()
            return self._executor

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        return self._pool().submit(fn, *args, **kwargs)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """``fn`` over ``items`` on the pool, results in order."""
        return self._pool().map(fn, items)
