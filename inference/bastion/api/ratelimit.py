"""Per-key rate limits on top of the ``limits`` package.

In-memory storage by default (one process); with a Redis URL every app instance
pointing at the same Redis shares one budget per key.

>>> import asyncio
>>> rl = RateLimiter("2/minute")
>>> async def three():
...     return [(await rl.hit("k")).allowed for _ in range(3)]
>>> asyncio.run(three())
[True, True, False]
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import ConfigurationError
from limits.storage import storage_from_string

from bastion.errors import ConfigError

# Seconds a Redis command or connect may take before it fails (and the request gets 503).
REDIS_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after_s: int = 0
    remaining: int = 0


class RateLimiter:
    """A moving-window limit such as ``"600/minute"`` applied per identifier (API key id)."""

    def __init__(self, spec: str, storage_url: str | None = None, *, namespace: str = "bastion") -> None:
        try:
            self.item = parse(spec)
        except ValueError as exc:
            raise ConfigError(f"invalid rate limit {spec!r}: {exc}") from exc
        self.spec = spec
        self.namespace = namespace
        if storage_url:
            uri = storage_url if storage_url.startswith("async+") else f"async+{storage_url}"
            try:
                # redis-py's asyncio client is already a dependency; coredis is not. Without
                # socket timeouts a Redis that stops answering hangs every request (the
                # URL's own ?socket_timeout= wins: redis-py lets it override these)
                self.storage = storage_from_string(
                    uri,
                    implementation="redispy",
                    socket_timeout=REDIS_TIMEOUT_S,
                    socket_connect_timeout=REDIS_TIMEOUT_S,
                )
            except (ConfigurationError, ValueError) as exc:
                from bastion.store.urls import safe_url

                # the kind of error only: limits' and redis-py's messages quote the whole URL
                raise ConfigError(
                    f"invalid Redis URL {safe_url(storage_url)}: {type(exc).__name__} "
                    "(expected redis://[:PASSWORD@]HOST:PORT/DB, rediss://, redis+unix:// or "
                    "redis+sentinel://)"
                ) from None
        else:
            self.storage = storage_from_string("async+memory://")
        self.limiter = MovingWindowRateLimiter(self.storage)

    async def hit(self, identifier: str) -> RateDecision:
        if await self.limiter.hit(self.item, self.namespace, identifier):
            stats = await self.limiter.get_window_stats(self.item, self.namespace, identifier)
            return RateDecision(True, 0, stats.remaining)
        stats = await self.limiter.get_window_stats(self.item, self.namespace, identifier)
        return RateDecision(False, max(1, math.ceil(stats.reset_time - time.time())), 0)

    async def blocked(self, identifier: str) -> RateDecision | None:
        """The 429 decision when ``identifier`` has used up its budget, else ``None``;
        charges nothing (for limits that only count failures, e.g. failed authentication)."""
        if await self.limiter.test(self.item, self.namespace, identifier):
            return None
        stats = await self.limiter.get_window_stats(self.item, self.namespace, identifier)
        return RateDecision(False, max(1, math.ceil(stats.reset_time - time.time())), 0)

    async def reset(self) -> None:
        await self.storage.reset()
