"""The async face of a :class:`~bastion.guard.Guard`: its checks run in a bounded worker
pool, so an event loop never blocks on a model."""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from bastion.errors import ConfigError

if TYPE_CHECKING:
    from bastion.conversation import MessagesResult
    from bastion.types import CheckResult

_A = TypeVar("_A", bound="AsyncChecks")


class WorkerPool:
    """A thread pool of at most ``max_workers`` threads, started on first use.

    >>> pool = WorkerPool(1)
    >>> asyncio.run(pool.run(len, "abc"))
    3
    >>> pool.close()
    """

    def __init__(self, max_workers: int) -> None:
        if not 1 <= int(max_workers) <= 64:
            raise ConfigError("max_workers must be between 1 and 64")
        self._max_workers = int(max_workers)
        self._executor: ThreadPoolExecutor | None = None
        self._pid = -1
        self._lock = threading.Lock()

    def submit(self, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """``func(*args, **kwargs)`` submitted to the pool (started here if need be)."""
        with self._lock:  # submitted under the lock: a close() in between cannot shut it first
            if self._executor is None or self._pid != os.getpid():
                # bounded: concurrent callers queue here instead of oversubscribing the CPU.
                # A forked child (gunicorn --preload) holds a copy of the parent's executor
                # with no threads behind it: work submitted there would wait forever
                self._executor = ThreadPoolExecutor(self._max_workers, thread_name_prefix="bastion")
                self._pid = os.getpid()
            return self._executor.submit(func, *args, **kwargs)

    async def run(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``func(*args, **kwargs)`` in the pool, awaited."""
        return await asyncio.wrap_future(self.submit(functools.partial(func, *args, **kwargs)))

    def close(self) -> None:
        """Stop the threads (if they were started); the next :meth:`run` starts new ones."""
        with self._lock:
            if self._executor is not None and self._pid == os.getpid():
                self._executor.shutdown(wait=False)
            self._executor = None


class AsyncChecks:
    """The ``a``-prefixed checks of :class:`~bastion.guard.Guard` (mixed into it): each runs
    the sync check of the same name in the guard's :class:`WorkerPool` (``max_workers``).

    A guard is also a context manager, sync or async, that closes it on the way out (it
    stays usable after: the next async check starts a new pool).

    >>> from bastion.guard import Guard
    >>> g = Guard.default(tasks=("pii",))
    >>> asyncio.run(g.acheck("mail jane@example.com")).action.value
    'redact'
    >>> g.close()
    >>> with Guard.default(tasks=("pii",)) as g:
    ...     asyncio.run(g.acheck("mail jane@example.com")).action.value
    'redact'
    """

    _workers: WorkerPool
    # provided by Guard
    check: Callable[..., CheckResult]
    check_many: Callable[..., list]
    check_output: Callable[..., CheckResult]
    check_messages: Callable[..., MessagesResult]

    async def acheck(self, text: str | bytes, **options: Any) -> CheckResult:
        """:meth:`check` without blocking the event loop (runs in the guard's bounded pool)."""
        return await self._workers.run(self.check, text, **options)

    async def acheck_many(self, texts: Sequence[str | bytes], **options: Any) -> list:
        """:meth:`check_many` without blocking the event loop."""
        return await self._workers.run(self.check_many, texts, **options)

    async def acheck_output(self, text: str | bytes, **options: Any) -> CheckResult:
        """:meth:`check_output` without blocking the event loop."""
        return await self._workers.run(self.check_output, text, **options)

    async def acheck_messages(self, messages: Sequence[Mapping[str, Any]], **options: Any) -> MessagesResult:
        """:meth:`check_messages` without blocking the event loop."""
        return await self._workers.run(self.check_messages, messages, **options)

    def close(self) -> None:
        """Stop the async worker pool (if one was started)."""
        self._workers.close()

    def __enter__(self: _A) -> _A:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self: _A) -> _A:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()
