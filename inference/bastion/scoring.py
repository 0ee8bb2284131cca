"""Scoring raw column values in batches, for ``bastion scan`` and the Spark integration:
each value comes back as a result record or an error message, never as a failed batch.

Both run in worker processes (scan workers, Spark executors) that receive only a guard
spec (:class:`bastion.config.GuardSpec` or its string form) and build the Guard once per
process (:func:`cached_guard`).

>>> from bastion.guard import Guard
>>> class D:
...     name, category, version, kind = "d", "pii", "1", "rules"
...     def detect(self, texts): return [[] for _ in texts]
>>> [r if isinstance(r, str) else r["action"] for r in score_values(Guard([D()]), ["hi", None, 3])]
['allow', 'value is null', 'input must be str or UTF-8 bytes, got int']
"""

from __future__ import annotations

import functools
from typing import Any

from bastion.config import GuardSpec
from bastion.errors import InputError
from bastion.guard import Guard, coerce_text
from bastion.results import result_row
from bastion.types import CheckResult


@functools.lru_cache(maxsize=4)
def cached_guard(spec: GuardSpec | str | None) -> Guard:
    """One Guard per process and spec: worker processes and Spark executors call this
    for every batch, and must not reload models each time."""
    return Guard.from_spec(spec)


def _as_text(value: Any) -> str:
    if value is None:
        raise InputError("value is null")
    if isinstance(value, str) and not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            if any("\udc80" <= c <= "\udcff" for c in value):
                # CSV is read with surrogateescape, which turns invalid UTF-8 bytes into these
                raise InputError("value is not valid UTF-8") from None
    return coerce_text(value)


def _why(exc: Exception) -> str:
    return str(exc) if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"


def score_values(guard: Guard, values: list[Any], *, pii_as_json: bool = False) -> list[dict[str, Any] | str]:
    """Score a batch of raw column values: per value, its result columns
    (:func:`bastion.results.result_row`; ``pii_as_json`` as Spark writes them) or an
    error message."""
    out: list[dict[str, Any] | str] = [""] * len(values)
    texts: list[str] = []
    where: list[int] = []
    for i, v in enumerate(values):
        try:
            texts.append(_as_text(v))
            where.append(i)
        except InputError as exc:
            out[i] = str(exc)
    if not texts:
        return out
    try:
        results: list[CheckResult | str] = list(guard.check_many(texts))
    except Exception:
        # one bad text (over policy.max_chars, or one a detector chokes on) must not fail
        # the batch: score one by one so only the bad rows go to the errors file
        results = []
        for t in texts:
            try:
                results.append(guard.check(t))
            except Exception as exc:
                results.append(_why(exc))
    for i, r in zip(where, results, strict=True):
        out[i] = r if isinstance(r, str) else result_row(r, pii_as_json=pii_as_json)
    return out


__all__ = ["cached_guard", "score_values"]
