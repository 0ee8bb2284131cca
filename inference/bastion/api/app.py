"""The FastAPI application: ``create_app(guard=..., settings=...)``.

One :class:`~bastion.guard.Guard` is built at startup (in a worker thread, so ``/healthz``
answers and ``/readyz`` says 503 while models load) and shared by every request. The
Guard runs off the event loop through a micro-batcher or a thread pool (``Settings.mode``).

Where things are: the routes in :mod:`bastion.api.routes` (``guard``: ``/v1``; ``ops``:
health, readiness, metrics), what they depend on (state, bearer auth, runner, policy
overrides, session vaults) in :mod:`bastion.api.deps`, body reading and parsing in
:mod:`bastion.api.body`, request and response models in :mod:`bastion.api.models`, the
middleware in :mod:`bastion.api.edge`; this module only assembles them.

>>> from bastion.api.app import create_app
>>> from bastion.api.settings import Settings
>>> app = create_app(settings=Settings(auth_enabled=False))  # doctest: +SKIP
>>> # uvicorn.run(app, host="127.0.0.1", port=8000)
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Callable, Sequence
from typing import IO, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bastion.api.audit_log import AuditLogger
from bastion.api.deps import AppState, BearerAuth, authorize, public_message, serving_app
from bastion.api.docs import add_offline_docs, install_openapi
from bastion.api.edge import install_edge, send_json
from bastion.api.metrics import Metrics
from bastion.api.models import (
    MAX_LIST_ENTRIES,
    BatchRequest,
    CheckRequest,
    MessagesRequest,
    PolicyOverride,
)
from bastion.api.routes import guard as guard_routes
from bastion.api.routes import ops as ops_routes
from bastion.api.sessions import SessionVaults
from bastion.api.settings import Settings
from bastion.api.ui import ui_router
from bastion.errors import BastionError, ConfigError, InputError
from bastion.guard import Guard
from bastion.telemetry import Telemetry

log = logging.getLogger("bastion.api")


async def _input_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": public_message(str(exc))}, status_code=422)


USER_ERASED = "the user was erased while this request ran; retry (the retry starts a new session vault)"


async def _user_erased(request: Request, exc: Exception) -> JSONResponse:
    # an erasure of the request's user committed between handing out its session vault and
    # storing a value: a conflict with that erasure, not a bad request; a retry succeeds
    return JSONResponse({"detail": USER_ERASED}, status_code=409)


async def _config_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": public_message(f"invalid policy override: {exc}")}, status_code=422)


VAULT_KEY_FAILED = (
    "pseudonymisation sessions are unavailable: the server's vault key does not decrypt its "
    "session store (a server configuration fault, see the server log)"
)


async def _vault_key_error(request: Request, exc: Exception) -> JSONResponse:
    # the server's key, not the request, is wrong: a 4xx would blame the client and leave the
    # operator nothing in the log (s33 qa_pseudo M3); no Retry-After, as only a restart with
    # the right key helps
    rid = getattr(request.state, "request_id", None)
    log.error("vault key error in request %s on %s: %s", rid, request.url.path, exc)
    body = {"detail": VAULT_KEY_FAILED} | ({"request_id": rid} if rid else {})
    return JSONResponse(body, status_code=503)


ALLOWED_HOSTS_ENV = "BASTION_ALLOWED_HOSTS"
BAD_HOST = (
    "this Host is not accepted: a server without API keys answers only localhost, 127.0.0.1 or "
    "[::1] on a loopback address (a guard against DNS rebinding); behind a reverse proxy, name its "
    f"Host in ${ALLOWED_HOSTS_ENV}"
)


def _loopback(value: str) -> bool:
    try:
        ip = ipaddress.ip_address(value.strip("[]").split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def host_name(header: str) -> str:
    """The name part of a ``Host`` header: no port, no IPv6 brackets, lower case.

    >>> host_name("[::1]:8000"), host_name("LocalHost:1"), host_name("127.0.0.1")
    ('::1', 'localhost', '127.0.0.1')
    """
    h = header.strip().lower()
    if h.startswith("["):
        return h[1 : h.find("]")] if "]" in h else h
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


def allowed_hosts_from_env() -> frozenset[str] | None:
    """``$BASTION_ALLOWED_HOSTS``: extra Host names (comma-separated) a loopback server without
    keys accepts; ``*`` turns the check off (``None``)."""
    names = [host_name(x) for x in os.environ.get(ALLOWED_HOSTS_ENV, "").split(",") if x.strip()]
    return None if "*" in names else frozenset(names)


class LoopbackHostCheck:
    """ASGI middleware: on a connection to a loopback address, a ``Host`` other than a loopback
    IP, ``localhost`` or one of ``extra`` gets a JSON 400 (s32 qa_ui M2).

    A page on attacker.example whose DNS name re-resolves to 127.0.0.1 is same-origin with
    itself, so it can send JSON and read the answers; only the Host header it sends still
    names the attacker's domain. The check keys on the connection's local address rather than
    the bind address (which an app does not see): a 0.0.0.0 server reached through loopback
    is the same target, and a test client's made-up server name is not an address."""

    def __init__(self, app: Any, extra: frozenset[str] = frozenset()) -> None:
        self.app, self.extra = app, extra

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        server = scope.get("server") if scope["type"] == "http" else None
        if server and isinstance(server[0], str) and _loopback(server[0]):
            # no Host at all is no browser (every browser sends one): nothing to rebind
            host = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"host"), None)
            if host is not None:
                name = host_name(host).rstrip(".")  # "localhost." is the same name
                # *.localhost resolves to loopback by RFC 6761; 0.0.0.0 reaches this machine
                local = name == "localhost" or name.endswith(".localhost") or name == "0.0.0.0"
                if not (local or _loopback(name) or name in self.extra):
                    await send_json(send, 400, {"detail": BAD_HOST})
                    return
        await self.app(scope, receive, send)


def _state(
    settings: Settings,
    guard: Guard | None,
    guard_factory: Callable[[], Guard] | None,
    key_store: Any,
    audit_stream: IO[str] | None,
    privacy_store: Any,
    telemetry: Any,
) -> AppState:
    metrics = Metrics()
    audit = AuditLogger.from_settings(settings, stream=audit_stream, store=privacy_store)
    sessions = None
    if audit.store is not None:
        try:
            sessions = SessionVaults(audit.store, ttl_s=settings.session_ttl_s)
        except BastionError as exc:
            # the audit trail works without a vault key; only sessions are off
            log.warning("pseudonymisation sessions are off: %s", public_message(str(exc)))
    return AppState(
        settings,
        metrics,
        audit,
        BearerAuth.from_settings(settings, metrics, key_store),
        guard_factory or Guard.default,
        guard=guard,
        sessions=sessions,
        telemetry=Telemetry.from_option(telemetry if telemetry is not None else settings.otel),
    )


def create_app(
    *,
    guard: Guard | None = None,
    settings: Settings | None = None,
    guard_factory: Callable[[], Guard] | None = None,
    key_store: Any = None,
    audit_stream: IO[str] | None = None,
    privacy_store: Any = None,
    telemetry: Any = None,
    allowed_hosts: Sequence[str] | None = None,
) -> FastAPI:
    """Build the API app.

    ``guard``: an already-built Guard (tests inject one made of fake detectors);
    otherwise ``guard_factory`` (default ``Guard.default``) runs in a thread at startup.
    ``key_store``: a :class:`~bastion.api.keys.KeyStore`; by default one is opened on
    ``settings.db_url`` when auth is enabled. ``privacy_store``: a
    :class:`bastion.store.PrivacyStore` for the audit trail and pseudonymisation sessions
    (default: one opened on ``settings.audit_store_url``, i.e. ``settings.db_url`` when
    ``settings.audit_store`` is on). ``telemetry``: ``True`` or an
    OpenTelemetry tracer for one span per request (default: ``settings.otel``).
    ``allowed_hosts``: with auth off, the Host names besides localhost and loopback IPs that a
    request arriving on a loopback address may carry (``["*"]``: any); default
    ``$BASTION_ALLOWED_HOSTS``.
    """
    settings = settings or Settings()
    state = _state(settings, guard, guard_factory, key_store, audit_stream, privacy_store, telemetry)
    app = serving_app(
        state,
        title="bastion",
        description="Prompt-injection and PII guard. Every /v1 route needs `Authorization: Bearer <key>` "
        "unless auth is disabled. See docs/api.md for limits, errors and examples.",
    )
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(ConfigError, _config_error)
    if state.sessions is not None:
        # only a store-backed session vault raises it (and only then is bastion.store there)
        from bastion.store.vault import UserErasedError, VaultKeyError

        app.add_exception_handler(UserErasedError, _user_erased)
        # a ConfigError subclass: without its own handler it would read "invalid policy override"
        app.add_exception_handler(VaultKeyError, _vault_key_error)
    app.include_router(guard_routes.router)
    app.include_router(ops_routes.router)
    if settings.docs:
        add_offline_docs(app)
    # /ui (playground) and /ui/dashboard: static pages on the same JSON API and bearer auth
    app.include_router(ui_router(authorize, state))
    install_openapi(app, guard_routes.REQUEST_MODELS, guard_routes.BEARER_AUTH)
    hosts = (
        allowed_hosts_from_env() if allowed_hosts is None else frozenset(host_name(h) for h in allowed_hosts)
    )
    if not settings.auth_enabled and hosts is not None and "*" not in hosts:
        # only without keys: with them a rebinding page has no key to send (the UI keeps it in
        # the 127.0.0.1 origin's storage), while a reverse proxy on the same host forwarding
        # its public Host to a loopback-bound server is an ordinary production setup
        app.add_middleware(LoopbackHostCheck, extra=hosts)
    # added last, so outermost: the 400 above gets a request id and is counted
    install_edge(
        app,
        state.metrics,
        (guard_routes.router, ops_routes.router),
        telemetry=state.telemetry,
        max_header_bytes=state.settings.max_header_bytes,
    )
    return app


__all__ = [
    "MAX_LIST_ENTRIES",
    "BastionError",
    "BatchRequest",
    "CheckRequest",
    "MessagesRequest",
    "PolicyOverride",
    "Settings",
    "create_app",
    "public_message",
]
