"""Running the code under test in a particular way: timed, in overlapping threads, or with
the files it opens recorded."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import pytest


def best_time(fn: Callable[[Any], object], arg: Any, tries: int) -> float:
    """The fastest of ``tries`` calls ``fn(arg)``, in seconds: the minimum, because a loaded
    machine only ever adds time. (For comparing the cost of two inputs, a linear-time check
    without a wall-clock budget.)"""
    best = float("inf")
    for _ in range(tries):
        t0 = time.perf_counter()
        fn(arg)
        best = min(best, time.perf_counter() - t0)
    return best


def run_threads(target: Callable[..., object], args: Iterable[tuple]) -> None:
    """Call ``target(*a)`` for each ``a`` in ``args``, each in a thread of its own, all
    started before the first is joined; returns when every call has ended. An exception in a
    call ends only its thread: the caller records what it needs to check."""
    threads = [threading.Thread(target=target, args=a) for a in args]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def record_opened(monkeypatch: pytest.MonkeyPatch, *openers: tuple[object, str]) -> list[str]:
    """The list to which, from now on, each call of the ``openers`` (``(owner, name)``
    pairs such as ``(Path, "open")`` or ``(builtins, "open")``) appends the path it opens."""
    opened: list[str] = []
    for owner, name in openers:
        real = getattr(owner, name)

        # the path comes first for functions (open(file, ...)) and methods (self) alike
        def spy(file, *a, _real=real, **k):
            opened.append(str(file))
            return _real(file, *a, **k)

        monkeypatch.setattr(owner, name, spy)
    return opened
