"""uvicorn wiring for the API: connection timeouts and an access log without secrets.

uvicorn (h11) bounds the size of a request head but not the time it takes to arrive, so a
client trickling header bytes (or the body of a request that was already answered) keeps a
connection and its buffers forever. :func:`uvicorn_config` uses an h11 protocol that closes
a connection whose request head is not complete within ``Settings.header_timeout_s``; the
app itself bounds how long it waits for a body (``Settings.body_timeout_s``, 408).

>>> from bastion.api.settings import Settings
>>> cfg = uvicorn_config(object(), Settings(auth_enabled=False), port=0)  # doctest: +SKIP
>>> uvicorn.Server(cfg).run()  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from bastion.api.scrub import ScrubQueryFilter
from bastion.api.settings import Settings


def timed_h11(header_timeout_s: float) -> type[H11Protocol]:
    """An h11 protocol class that closes connections whose request head is too slow.

    The deadline runs from the connection's start and from the end of each response; it
    also closes a connection still sending the body of a request that was already answered
    (e.g. a 401 for a slow upload), which uvicorn would otherwise keep open.
    """

    class TimedH11Protocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            self._disarm()
            self._head_timer = self.loop.call_later(header_timeout_s, self._head_deadline)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_deadline(self) -> None:
            self._head_timer = None
            if self.transport is None or self.transport.is_closing():
                return
            waiting_for_head = self.conn.their_state is h11.IDLE
            answered = self.cycle is not None and self.cycle.response_complete
            leftover_body = answered and self.conn.their_state is h11.SEND_BODY
            if waiting_for_head or leftover_body:
                self.transport.close()

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return TimedH11Protocol


def uvicorn_config(app: Any, settings: Settings, **kwargs: Any) -> uvicorn.Config:
    """A ``uvicorn.Config`` with the settings' timeouts and size limits and a scrubbed access log.

    ``kwargs`` go to ``uvicorn.Config`` (host, port, log_level, access_log, ...).
    """
    # X-Forwarded-For only from the proxies the operator names: uvicorn's default believes
    # any client on loopback, which can then pick the address its per-IP limits count under
    kwargs.setdefault("proxy_headers", settings.forwarded_allow_ips is not None)
    if settings.forwarded_allow_ips is not None:
        kwargs.setdefault("forwarded_allow_ips", settings.forwarded_allow_ips)
    cfg = uvicorn.Config(
        app,
        http=timed_h11(settings.header_timeout_s),
        timeout_keep_alive=max(1, round(settings.keep_alive_timeout_s)),
        h11_max_incomplete_event_size=settings.max_header_bytes,
        **kwargs,
    )
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, ScrubQueryFilter) for f in access.filters):
        access.addFilter(ScrubQueryFilter())
    return cfg


def run_until_loaded_or_failed(app: Any, config: uvicorn.Config, command: str) -> int:
    """Run the server; exit status 1 (with the error on stderr) if its Guard fails to load.

    The Guard loads in the background so ``/readyz`` can say "starting"; a config typo or a
    model that cannot load would otherwise leave a server up that answers 503 forever, which
    a supervisor or a health check only ever reads as "not ready yet".
    """
    import sys

    server = uvicorn.Server(config)
    failed: list[str] = []

    def on_failure(error: str) -> None:
        failed.append(error)
        server.should_exit = True

    app.state.bastion.on_load_failure = on_failure
    try:
        server.run()
    except OverflowError as exc:  # a port over 65535 fails in the socket call, not in uvicorn
        print(f"bastion {command}: error: cannot listen on port {config.port}: {exc}", file=sys.stderr)
        return 1
    except SystemExit as exc:
        # uvicorn exits 3 (its STARTUP_FAILURE) when it cannot listen: in bastion's table 3
        # means "blocked" or "broken audit trail", so a supervisor would misread it
        if exc.code in (0, None):
            return 0
        print(
            f"bastion {command}: error: could not start listening on {config.host}:{config.port} "
            "(see the line above: the port in use, or an address this machine does not have); "
            "choose another --host/--port",
            file=sys.stderr,
        )
        return 1
    if failed:
        print(f"bastion {command}: error: the guard failed to load: {failed[0]}", file=sys.stderr)
        return 1
    return 0
