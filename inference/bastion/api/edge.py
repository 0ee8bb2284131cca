"""The ASGI middleware around every route of the API and of the proxy.

It gives each request an id (``X-Request-Id`` when the client sent a safe one), refuses API
keys in the URL (and scrubs them from the scope the access log reads), logs a client that
disconnected before its request was read as one line, answers a database or Redis that is
down or timed out with a 503 and ``Retry-After`` (the client may retry; it is no bug) and
any other unexpected exception with a JSON 500 that carries no traceback (the connection
stays usable), counts every request in
bounded-label metrics and, when telemetry is on, opens one span per request with attributes
only (route, status, action and label counts, never text). Errors come in the app's own
shape (``error_body``): ``{"detail": ...}`` for the API, OpenAI's for the proxy.

>>> detail_body(500, "internal server error", "r1")
{'detail': 'internal server error', 'request_id': 'r1'}
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import anyio
import anyio.to_thread
from starlette.requests import ClientDisconnect

from bastion.api.metrics import Metrics
from bastion.api.scrub import has_key_param, log_target, scrub_query
from bastion.telemetry import Telemetry
from bastion.types import CheckResult

log = logging.getLogger("bastion.api")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
KEY_IN_URL = "API keys are not accepted in the URL; send 'Authorization: Bearer <key>'"

# (status, message, request id) -> the JSON body of an error the middleware answers itself
ErrorBody = Callable[[int, str, str], dict[str, Any]]


HEAD_TOO_LARGE = "request head too large"
DATABASE_UNAVAILABLE = "the database is unavailable (unreachable or timed out); retry later"
REDIS_UNAVAILABLE = "the rate-limit store (Redis) is unavailable (unreachable or timed out); retry later"
UNAVAILABLE_RETRY_AFTER_S = 1
# Seconds a request waits on a database call before it answers 503. The server-side
# statement timeout cannot fire on a PostgreSQL server that is frozen (or behind a network
# that stopped answering), and TCP keepalives are answered by a frozen host's kernel: this
# bound is the client's own. Longer than the connect and pool timeouts (10 s), so those
# report first when they apply; the abandoned worker thread ends when the database answers.
STORE_DEADLINE_S = 15.0


async def store_call(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` (blocking database I/O) in a worker thread; :class:`TimeoutError`
    after :data:`STORE_DEADLINE_S` (the thread is abandoned, not stopped)."""
    with anyio.fail_after(STORE_DEADLINE_S):
        return await anyio.to_thread.run_sync(fn, *args, abandon_on_cancel=True)


def unavailable(exc: BaseException) -> str | None:
    """The 503 detail when ``exc`` says the database or Redis is down, unreachable or timed
    out (a connection refused or lost, a connect, statement, lock or pool timeout), else
    ``None``. Only modules already imported are consulted: an app without the store or
    Redis never raises their errors, and must not pay for importing them.

    >>> unavailable(ValueError("x")) is None
    True
    """
    sa = sys.modules.get("sqlalchemy.exc")
    if sa is not None:
        # OperationalError: connect failures, lost connections, and PostgreSQL's statement
        # and lock timeouts (SQLSTATE 57014 / 55P03); TimeoutError: no pooled connection
        # came free within the pool timeout
        if isinstance(exc, (sa.OperationalError, sa.TimeoutError)):
            return DATABASE_UNAVAILABLE
        if isinstance(exc, sa.DBAPIError) and exc.connection_invalidated:
            return DATABASE_UNAVAILABLE
    redis_exc = sys.modules.get("redis.exceptions")
    if redis_exc is not None and isinstance(exc, (redis_exc.ConnectionError, redis_exc.TimeoutError)):
        return REDIS_UNAVAILABLE
    limits_errors = sys.modules.get("limits.errors")
    storage_error = getattr(limits_errors, "StorageError", None)
    if storage_error is not None and isinstance(exc, storage_error):
        return REDIS_UNAVAILABLE
    return None


def _head_bytes(scope: dict[str, Any]) -> int:
    """About the size of the request head as sent: the target and every header line."""
    size = len(scope.get("raw_path") or scope.get("path", "").encode()) + len(scope.get("query_string", b""))
    return size + sum(len(k) + len(v) + 4 for k, v in scope.get("headers", ()))


def detail_body(status: int, message: str, request_id: str) -> dict[str, Any]:
    """The API's error body; a 5xx carries the request id (the only lead to the server log)."""
    return {"detail": message} | ({"request_id": request_id} if status >= 500 else {})


async def send_json(
    send: Any, status: int, body: dict[str, Any], headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    payload = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *headers,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload, "more_body": False})


def request_id(scope: dict[str, Any]) -> str:
    """The client's ``X-Request-Id`` when it is 1-64 of ``A-Za-z0-9._-``, else a fresh one."""
    rid = ""
    for k, v in scope.get("headers", ()):
        if k == b"x-request-id":
            cand = v.decode("latin-1")
            rid = cand if _REQUEST_ID.match(cand) else ""
    return rid or uuid.uuid4().hex


class Edge:
    """ASGI middleware: see the module docstring. ``routes`` are the paths that get a
    metrics label of their own (any other path is ``other``)."""

    def __init__(
        self,
        app: Any,
        metrics: Metrics,
        routes: frozenset[str],
        telemetry: Telemetry | None = None,
        error_body: ErrorBody = detail_body,
        max_header_bytes: int | None = None,
    ) -> None:
        self.app, self.metrics, self.routes = app, metrics, routes
        self.telemetry = telemetry or Telemetry.disabled()
        self.error_body = error_body
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        rid = request_id(scope)
        state = scope.setdefault("state", {})
        state["request_id"], state["t0"] = rid, t0
        status = 500
        started = False
        reraise: BaseException | None = None

        async def send_wrapper(message: dict[str, Any]) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        # the span never sees an exception: OpenTelemetry would record its message, which
        # can quote request text
        with self.telemetry.span("bastion.http") as span:
            try:
                if self.max_header_bytes is not None and _head_bytes(scope) > self.max_header_bytes:
                    # the server's own limit only applies to a head that arrives in pieces
                    status = 431
                    await send_json(send_wrapper, 431, self.error_body(431, HEAD_TOO_LARGE, rid))
                    return
                query = scope.get("query_string", b"").decode("latin-1")
                if query and has_key_param(query):
                    # servers log the scope's query string; the key must not end up there
                    scope["query_string"] = scrub_query(query).encode("latin-1")
                    await send_json(send_wrapper, 400, self.error_body(400, KEY_IN_URL, rid))
                    return
                await self.app(scope, receive, send_wrapper)
            except ClientDisconnect:
                status = 499  # nginx's code for "client closed request"; nothing is sent
                log.warning("client disconnected before its request was read (request %s)", rid)
            except Exception as exc:
                # the type only: messages and tracebacks can carry request text (and a
                # driver's message, bind parameters)
                down = unavailable(exc)
                path = log_target(scope.get("path", ""))
                if down is not None:
                    log.error("%s in request %s on %s: answered 503", type(exc).__name__, rid, path)
                else:
                    log.error("unhandled %s in request %s on %s", type(exc).__name__, rid, path)
                if started:
                    reraise = exc
                elif down is not None:
                    retry = [(b"retry-after", str(UNAVAILABLE_RETRY_AFTER_S).encode())]
                    await send_json(send_wrapper, 503, self.error_body(503, down, rid), retry)
                else:
                    await send_json(send_wrapper, 500, self.error_body(500, "internal server error", rid))
            finally:
                route, method = self._labels(scope)
                self.metrics.requests.labels(route, method, str(status)).inc()
                self.metrics.latency.labels(route).observe(time.perf_counter() - t0)
                if span is not None:
                    span_attributes(span, state, route, method, status, t0)
        if reraise is not None:
            raise reraise

    def _labels(self, scope: dict[str, Any]) -> tuple[str, str]:
        path = getattr(scope.get("route"), "path", None) or scope.get("path", "")
        method = scope.get("method", "")
        return path if path in self.routes else "other", method if method in _METHODS else "other"


def install_edge(app: Any, metrics: Metrics, routers: Sequence[Any], **kw: Any) -> None:
    """Wrap ``app`` in :class:`Edge`, after every route is added: the app's own routes and
    ``routers``' get metrics labels of their own (routers not named, e.g. ``/ui``, count as
    ``other``; FastAPI keeps an included router's routes out of ``app.routes``)."""
    own = (*app.routes, *(r for router in routers for r in router.routes))
    app.add_middleware(
        Edge, metrics=metrics, routes=frozenset(r.path for r in own if hasattr(r, "path")), **kw
    )


def span_attributes(
    span: Any, state: dict[str, Any], route: str, method: str, status: int, t0: float
) -> None:
    """A request span's attributes: the checked results' (action / label counts, max
    injection score, model versions, latency: ``Telemetry.record``) and the request's."""
    results: list[CheckResult] = state.get("results") or []
    Telemetry.record(span, results, t0)
    attrs: dict[str, Any] = {
        "http.route": route,
        "http.request.method": method,
        "http.response.status_code": status,
        "bastion.request_id": state.get("request_id", ""),
    }
    if state.get("key_id"):
        attrs["bastion.key_id"] = state["key_id"]
    if state.get("overall_action"):
        attrs["bastion.action"] = state["overall_action"]
    elif len(results) == 1:
        attrs["bastion.action"] = results[0].action.value
    span.set_attributes(attrs)


__all__ = [
    "DATABASE_UNAVAILABLE",
    "KEY_IN_URL",
    "REDIS_UNAVAILABLE",
    "Edge",
    "ErrorBody",
    "detail_body",
    "install_edge",
    "request_id",
    "send_json",
    "span_attributes",
    "store_call",
    "unavailable",
]
