"""The guard proxy app: ``create_proxy_app(config, guard=..., settings=...)``.

An OpenAI-compatible ``POST /v1/chat/completions`` in front of any OpenAI-compatible
upstream. Per request it runs the :mod:`bastion.protect` flow: check the messages role by
role (:func:`bastion.conversation.check_messages`), pseudonymise PII into a vault of the
request's own, forward the pseudonymised request with the proxy's upstream key, check the
answer (secrets, PII, canaries, system-prompt leaks) and restore the pseudonyms. Streamed
answers go through :class:`bastion.stream.StreamGuard` per choice. Blocks, bad requests
and upstream failures are OpenAI-style error objects, so the ``openai`` client raises its
usual exceptions. API keys, rate limits, metrics and audit events are those of
``bastion serve`` (:mod:`bastion.api`).

>>> from bastion.proxy.app import ProxyConfig
>>> ProxyConfig("http://127.0.0.1:9000/v1").completions_url
'http://127.0.0.1:9000/v1/chat/completions'
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import IO, Any

import anyio
import anyio.to_thread
import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from prometheus_client import Counter, Histogram
from starlette.exceptions import HTTPException as StarletteHTTPException

from bastion.api.audit_log import AuditLogger
from bastion.api.metrics import CONTENT_TYPE_LATEST, Metrics
from bastion.api.ratelimit import RateLimiter
from bastion.api.scrub import has_key_param
from bastion.api.settings import Settings, default_db_url
from bastion.canary import Canary, make_canary
from bastion.conversation import MessagesResult, parse_messages
from bastion.errors import ConfigError, InputError
from bastion.guard import Guard
from bastion.protect import ProtectedResponse, _Call
from bastion.proxy.streaming import (
    DONE,
    ChoiceStream,
    block_error,
    blocked_labels,
    merge_chunk,
    restore_arguments,
    sse,
    sse_data,
)
from bastion.redact import Vault
from bastion.stream import DEFAULT_CHECK_EVERY, DEFAULT_HOLDBACK
from bastion.types import Action, CheckResult

log = logging.getLogger("bastion.proxy")

ROUTE = "/v1/chat/completions"
_REQUEST_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
_STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


@dataclass(frozen=True)
class ProxyConfig:
    """What the proxy forwards to and how it guards the way back.

    ``upstream``: the upstream's OpenAI base URL (what you would give the ``openai`` client
    as ``base_url``, usually ending in ``/v1``). ``upstream_key``: sent upstream as
    ``Authorization: Bearer``; the client's bastion key never leaves the proxy.
    ``holdback``: characters a streamed answer is held back; ``check_every``: new
    characters between two checks of a stream (see :class:`~bastion.stream.StreamGuard`). ``canary``: plant a fresh canary in each
    request's system prompt and block answers that reveal it.
    """

    upstream: str
    upstream_key: str | None = field(default=None, repr=False)
    upstream_timeout_s: float = 600.0
    connect_timeout_s: float = 10.0
    holdback: int = DEFAULT_HOLDBACK
    check_every: int = DEFAULT_CHECK_EVERY
    canary: bool = False

    def __post_init__(self) -> None:
        if not self.upstream.startswith(("http://", "https://")):
            raise ConfigError(f"--upstream must be an http(s) URL, got {self.upstream!r}")
        if self.holdback < 1 or self.check_every < 1:
            raise ConfigError("holdback and check_every must be at least 1 character")
        if not (self.upstream_timeout_s > 0 and self.connect_timeout_s > 0):
            raise ConfigError("upstream timeouts must be positive")

    @property
    def completions_url(self) -> str:
        return self.upstream.rstrip("/") + "/chat/completions"

    @property
    def models_url(self) -> str:
        return self.upstream.rstrip("/") + "/models"


class ProxyError(Exception):
    """An error answered as an OpenAI-style error object with ``status``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        type_: str = "invalid_request_error",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.type = status, message, code, type_
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": None, "code": self.code}}


def _error_response(
    status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


class _ProxyMetrics(Metrics):
    """The API's metrics plus the proxy's own, on the same registry."""

    def __init__(self) -> None:
        super().__init__()
        r = self.registry
        self.upstream = Counter(
            "bastion_proxy_upstream_requests",
            "Upstream calls by HTTP status ('unreachable' / 'timeout' when none)",
            ["status"],
            registry=r,
        )
        self.blocked = Counter(
            "bastion_proxy_blocked",
            "Blocked requests by stage (input, output, stream)",
            ["stage"],
            registry=r,
        )
        self.chunks = Counter("bastion_proxy_stream_chunks", "SSE chunks sent to clients", registry=r)
        self.guard_seconds = Histogram(
            "bastion_proxy_guard_seconds",
            "Guard time per stage (input, output, stream_step)",
            ["stage"],
            buckets=_STAGE_BUCKETS,
            registry=r,
        )


@dataclass
class _State:
    config: ProxyConfig
    settings: Settings
    metrics: _ProxyMetrics
    audit: AuditLogger
    guard_factory: Callable[[], Guard]
    guard: Guard | None = None
    error: str | None = None
    key_store: Any = None
    limiter: RateLimiter | None = None
    auth_failures: RateLimiter | None = None
    client: httpx.AsyncClient | None = None
    threads: anyio.CapacityLimiter | None = None
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)


class _Edge:
    """ASGI middleware: request id, request metrics (bounded route labels), API keys in the
    URL refused, and any unexpected exception answered with an OpenAI-style 500 that
    carries no traceback. (A minimal copy of ``bastion.api.app._Edge``, whose errors are
    not in the OpenAI shape.)"""

    def __init__(self, app: Any, metrics: Metrics, routes: frozenset[str]) -> None:
        self.app, self.metrics, self.routes = app, metrics, routes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        rid = ""
        for k, v in scope.get("headers", ()):
            if k == b"x-request-id":
                cand = v.decode("latin-1")
                rid = cand if 0 < len(cand) <= 64 and set(cand) <= _REQUEST_ID_CHARS else ""
        rid = rid or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        status, started = 500, False

        async def send_wrapper(message: dict[str, Any]) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            query = scope.get("query_string", b"").decode("latin-1")
            if query and has_key_param(query):
                scope["query_string"] = b""  # never reaches the access log
                err = ProxyError(
                    400, "API keys are not accepted in the URL; send 'Authorization: Bearer <key>'"
                )
                await _error_response(400, err.body())(scope, receive, send_wrapper)
                return
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            # the type only: messages and tracebacks can carry request text
            log.error("unhandled %s in request %s", type(exc).__name__, rid)
            if started:
                raise
            err = ProxyError(500, "internal server error", type_="server_error")
            await _error_response(500, err.body())(scope, receive, send_wrapper)
        finally:
            route_obj = scope.get("route")
            path = getattr(route_obj, "path", None) or scope.get("path", "")
            route = path if path in self.routes else "other"
            method = scope.get("method", "")
            method = method if method in ("GET", "HEAD", "POST", "OPTIONS") else "other"
            self.metrics.requests.labels(route, method, str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - t0)


async def _read_json(request: Request, settings: Settings) -> dict[str, Any]:
    """The request body as a JSON object, refusing bodies over ``max_body_bytes`` (also
    while reading: a chunked body has no length to trust) or slower than ``body_timeout_s``."""
    cap = settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise ProxyError(
            413, f"request body is {declared} bytes, over the limit of {cap}", code="request_too_large"
        )
    chunks, size = [], 0
    try:
        async with asyncio.timeout(settings.body_timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > cap:
                    raise ProxyError(
                        413, f"request body is over the limit of {cap} bytes", code="request_too_large"
                    )
                chunks.append(chunk)
    except TimeoutError:
        raise ProxyError(408, "request body not received in time", code="request_timeout") from None
    try:
        body = json.loads(b"".join(chunks).decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProxyError(400, f"request body is not valid UTF-8 JSON: {type(exc).__name__}") from None
    if not isinstance(body, dict):
        raise ProxyError(400, "request body must be a JSON object")
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _with_canary(messages: list[Any], canary: Canary) -> list[Any]:
    """``messages`` with the canary's instruction added to the leading system message (or
    a new one), so only the upstream ever sees it."""
    out = list(messages)
    first = out[0] if out else None
    if (
        isinstance(first, dict)
        and first.get("role") in ("system", "developer")
        and isinstance(first.get("content"), str)
    ):
        out[0] = {**first, "content": f"{first['content']}\n\n{canary.instruction}"}
    else:
        out.insert(0, {"role": "system", "content": canary.instruction})
    return out


def _pseudonymise_history(guard: Guard, messages: list[Any], vault: Vault) -> list[Any]:
    """``messages`` with PII in earlier assistant turns (text and tool-call arguments)
    pseudonymised into ``vault`` too. Clients send back the answers the proxy restored,
    and ``bastion.protect`` only pseudonymises user and tool messages."""
    slots: list[tuple[dict[str, Any], str]] = []  # (object holding the text, key)
    out = []
    for msg in messages:
        if isinstance(msg, dict) and msg.get("role") == "assistant":
            msg = copy.deepcopy(msg)
            content = msg.get("content")
            if isinstance(content, str):
                slots.append((msg, "content"))
            elif isinstance(content, list):
                slots += [
                    (p, "text") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
                ]
            for call in msg.get("tool_calls") or ():
                fn = call.get("function") if isinstance(call, dict) else None
                if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
                    slots.append((fn, "arguments"))
        out.append(msg)
    if slots:
        policy = guard.policy.with_overrides({"default_operator": "pseudonymize", "operators": {}})
        results = guard.check_many([holder[key] for holder, key in slots], policy=policy, vault=vault)
        for (holder, key), result in zip(slots, results, strict=True):
            holder[key] = result.redacted_text
    return out


def _input_block(checked: MessagesResult) -> dict[str, Any]:
    labels: set[str] = set()
    where = []
    for m in checked.blocked:
        assert m.result is not None
        own = blocked_labels(m.result)
        labels.update(own)
        where.append({"index": m.index, "role": m.role, "labels": own})
    return block_error(sorted(labels), "input", {"messages": where})


def _upstream_error(resp_status: int, raw: bytes, upstream_key: str | None) -> JSONResponse:
    """An upstream error passed on with its status, in the OpenAI shape.

    A 401/403 is about the proxy's own upstream key: its message (which may quote part of
    that key) is replaced, and the key itself is cut from any other message.
    """
    if resp_status in (401, 403):
        return _error_response(
            resp_status,
            ProxyError(
                resp_status,
                f"the upstream refused the proxy's credentials (upstream status {resp_status})",
                code="upstream_auth_failed",
                type_="upstream_error",
            ).body(),
        )
    text = raw.decode("utf-8", "replace")
    if upstream_key:
        text = text.replace(upstream_key, "[REDACTED]")
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if not (isinstance(body, dict) and isinstance(body.get("error"), dict)):
        body = ProxyError(
            resp_status, f"upstream error {resp_status}: {text[:500]}", type_="upstream_error"
        ).body()
    return _error_response(resp_status, body)


def create_proxy_app(
    config: ProxyConfig,
    *,
    guard: Guard | None = None,
    settings: Settings | None = None,
    guard_factory: Callable[[], Guard] | None = None,
    key_store: Any = None,
    audit_stream: IO[str] | None = None,
    privacy_store: Any = None,
) -> FastAPI:
    """Build the proxy app (see the module docstring).

    ``guard``: an already-built Guard (tests inject one made of fake detectors); otherwise
    ``guard_factory`` (default ``Guard.default``) runs in a thread at startup and
    ``/readyz`` says 503 until it is loaded. ``settings`` are ``bastion serve``'s
    (:class:`~bastion.api.settings.Settings`): auth, key database, rate limits, body
    limits, inference threads, audit key and store.
    """
    settings = settings or Settings()
    metrics = _ProxyMetrics()
    store = privacy_store
    if store is None and settings.audit_store_url:
        from bastion.api.audit_log import _load_store

        store = _load_store(settings.audit_store_url)
    audit = AuditLogger(settings.audit_hmac_key, stream=audit_stream, store=store)
    state = _State(config, settings, metrics, audit, guard_factory or Guard.default, guard=guard)
    if settings.auth_enabled and key_store is None:
        from bastion.api.keys import KeyStore

        key_store = KeyStore(settings.db_url or default_db_url())
    state.key_store = key_store
    if settings.rate_limit:
        state.limiter = RateLimiter(settings.rate_limit, settings.redis_url, namespace="bastion-proxy")
    if settings.auth_enabled and settings.auth_failure_limit:
        state.auth_failures = RateLimiter(
            settings.auth_failure_limit, settings.redis_url, namespace="bastion-proxy-auth-failures"
        )

    async def _load() -> None:
        try:
            state.guard = await anyio.to_thread.run_sync(state.guard_factory, abandon_on_cancel=True)
        except Exception as exc:
            state.error = f"{type(exc).__name__}"
            audit.event("guard_load_failed", error=state.error)
            return
        audit.event("ready", degraded=state.guard.degraded, model_versions=dict(state.guard.model_versions))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.threads = anyio.CapacityLimiter(settings.inference_threads)
        state.client = httpx.AsyncClient(
            timeout=httpx.Timeout(config.upstream_timeout_s, connect=config.connect_timeout_s),
            follow_redirects=False,
        )
        if state.guard is None:
            state.tasks.append(asyncio.create_task(_load()))
        try:
            yield
        finally:
            for t in state.tasks:
                t.cancel()
            await state.client.aclose()
            if state.key_store is not None:
                state.key_store.close()
            audit.close()

    app = FastAPI(
        title="bastion proxy",
        version="0.1.0",
        description="OpenAI-compatible guard proxy: /v1/chat/completions checked on the way up and down.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.bastion = state

    @app.exception_handler(ProxyError)
    async def _proxy_error(request: Request, exc: ProxyError) -> JSONResponse:
        return _error_response(exc.status, exc.body(), exc.headers)

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError) -> JSONResponse:
        return _error_response(400, ProxyError(400, str(exc)).body())

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error_response(exc.status_code, ProxyError(exc.status_code, str(exc.detail)).body())

    async def off_loop(fn: Callable[..., Any], *args: Any) -> Any:
        return await anyio.to_thread.run_sync(fn, *args, limiter=state.threads)

    # -- auth: the logic of bastion.api.app's authorize(), which is a closure there ----------

    async def _auth_failed(ip: str, status: int, message: str) -> ProxyError:
        metrics.auth_failures.inc()
        if state.auth_failures is not None:
            await state.auth_failures.hit(ip)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
        return ProxyError(status, message, code="invalid_api_key", headers=headers)

    async def authorize(request: Request) -> str | None:
        key_id: str | None = None
        ip = request.client.host if request.client else "unknown"
        if settings.auth_enabled:
            if state.auth_failures is not None:
                blocked = await state.auth_failures.blocked(ip)
                if blocked is not None:
                    metrics.rate_limited.inc()
                    raise ProxyError(
                        429,
                        f"too many failed authentications from this address; retry in {blocked.retry_after_s}s",
                        code="rate_limit_exceeded",
                        headers={"Retry-After": str(blocked.retry_after_s)},
                    )
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise await _auth_failed(
                    ip, 401, "missing API key: send 'Authorization: Bearer <bastion key>'"
                )
            verdict = await anyio.to_thread.run_sync(state.key_store.verify, token.strip())
            if verdict.status == "unknown":
                raise await _auth_failed(ip, 401, "unknown API key")
            if verdict.status == "revoked":
                raise await _auth_failed(ip, 403, "API key has been revoked")
            key_id = verdict.key_id
        if state.limiter is not None:
            decision = await state.limiter.hit(key_id or f"ip:{ip}")
            if not decision.allowed:
                metrics.rate_limited.inc()
                raise ProxyError(
                    429,
                    f"rate limit {state.limiter.spec} exceeded; retry in {decision.retry_after_s}s",
                    code="rate_limit_exceeded",
                    headers={"Retry-After": str(decision.retry_after_s)},
                )
        return key_id

    def ready_guard() -> Guard:
        if state.guard is None:
            raise ProxyError(
                503,
                "models are still loading" if state.error is None else "guard failed to load",
                code="guard_unavailable",
                type_="server_error",
                headers={"Retry-After": "1"},
            )
        return state.guard

    def upstream_headers(request: Request, stream: bool) -> dict[str, str]:
        headers = {
            "content-type": "application/json",
            "accept": "text/event-stream" if stream else "application/json",
        }
        if config.upstream_key:
            headers["authorization"] = f"Bearer {config.upstream_key}"
        headers["x-request-id"] = request.state.request_id
        return headers

    # -- audit / metrics ----------------------------------------------------------------------

    async def record(
        request: Request, key_id: str | None, items: list[tuple[str, str, CheckResult]], t0: float
    ) -> None:
        """One audit event and metrics per checked text: ``(role, text, result)``."""
        latency_ms = (time.perf_counter() - t0) * 1000.0
        rid = request.state.request_id
        for i, (role, text, result) in enumerate(items):
            metrics.observe_result(result)
            audit.check(
                request_id=rid,
                key_id=key_id,
                route=ROUTE,
                text=text,
                result=result,
                latency_ms=latency_ms,
                index=i,
                role=role,
            )
        if audit.store is not None and items:

            def _store() -> int:
                return sum(
                    not audit.record(request_id=rid, key_id=key_id, text=t, result=r) for _, t, r in items
                )

            failed = await anyio.to_thread.run_sync(_store)
            if failed:
                metrics.audit_errors.inc(failed)

    def input_items(messages: list[Any], checked: MessagesResult) -> list[tuple[str, str, CheckResult]]:
        pieces = parse_messages(messages)
        return [(m.role, p.text, m.result) for p, m in zip(pieces, checked.messages, strict=True) if m.result]

    # -- routes ---------------------------------------------------------------------------------

    @app.post(ROUTE)
    async def chat_completions(request: Request) -> Response:
        """OpenAI chat completions, guarded both ways (JSON or SSE with ``"stream": true``)."""
        t0 = time.perf_counter()
        key_id = await authorize(request)
        guard = ready_guard()
        body = await _read_json(request, settings)
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ProxyError(400, "'messages' must be a non-empty array")
        if not isinstance(body.get("stream", False), bool):
            raise ProxyError(400, "'stream' must be true or false")
        stream = body.get("stream") is True
        pieces = parse_messages(messages)
        for p in pieces:
            if len(p.text) > settings.max_text_chars:
                raise ProxyError(
                    413,
                    f"message {p.index} has {len(p.text)} characters, over the limit of {settings.max_text_chars}",
                    code="request_too_large",
                )
        canary = make_canary() if config.canary else None
        steps = _Call(guard, None, [canary] if canary else (), None, True)
        plain = {k: v for k, v in body.items() if k != "stream"}
        tg = time.perf_counter()
        checked, vault, outgoing, system_prompt = await off_loop(steps.before, plain)
        if checked.action is not Action.BLOCK:
            outgoing["messages"] = await off_loop(_pseudonymise_history, guard, outgoing["messages"], vault)
        metrics.guard_seconds.labels("input").observe(time.perf_counter() - tg)
        await record(request, key_id, input_items(messages, checked), t0)
        if checked.action is Action.BLOCK:
            metrics.blocked.labels("input").inc()
            return _error_response(400, _input_block(checked))
        if canary is not None:
            outgoing["messages"] = _with_canary(outgoing["messages"], canary)
        if stream:
            outgoing["stream"] = True
            return await _stream(request, key_id, steps, vault, system_prompt, outgoing, t0)
        resp = await _post_upstream(request, outgoing, stream=False)
        if resp.status_code != 200:
            return _upstream_error(resp.status_code, resp.content, config.upstream_key)
        try:
            data = resp.json()
            choices = data["choices"]
            assert isinstance(choices, list)
        except (ValueError, KeyError, TypeError, AssertionError):
            raise ProxyError(
                502,
                "upstream answered 200 without a chat completion",
                code="bad_upstream",
                type_="upstream_error",
            ) from None
        tg = time.perf_counter()
        items, error = await off_loop(_guard_choices, steps, checked, vault, system_prompt, choices)
        metrics.guard_seconds.labels("output").observe(time.perf_counter() - tg)
        await record(request, key_id, items, t0)
        if error is not None:
            metrics.blocked.labels("output").inc()
            return _error_response(400, error)
        return JSONResponse(data)

    async def _post_upstream(request: Request, payload: dict[str, Any], *, stream: bool) -> httpx.Response:
        assert state.client is not None
        req = state.client.build_request(
            "POST", config.completions_url, json=payload, headers=upstream_headers(request, stream)
        )
        try:
            resp = await state.client.send(req, stream=stream)
        except httpx.TimeoutException:
            metrics.upstream.labels("timeout").inc()
            raise ProxyError(
                504, "upstream timed out", code="upstream_timeout", type_="upstream_error"
            ) from None
        except httpx.HTTPError as exc:
            metrics.upstream.labels("unreachable").inc()
            raise ProxyError(
                502,
                f"upstream unreachable ({type(exc).__name__})",
                code="upstream_unreachable",
                type_="upstream_error",
            ) from None
        metrics.upstream.labels(str(resp.status_code)).inc()
        return resp

    async def _stream(
        request: Request,
        key_id: str | None,
        steps: _Call,
        vault: Vault,
        system_prompt: str | None,
        outgoing: dict[str, Any],
        t0: float,
    ) -> Response:
        resp = await _post_upstream(request, outgoing, stream=True)
        if resp.status_code != 200:
            raw = await resp.aread()
            await resp.aclose()
            return _upstream_error(resp.status_code, raw, config.upstream_key)
        if not resp.headers.get("content-type", "").startswith("text/event-stream"):
            await resp.aclose()
            raise ProxyError(
                502,
                "upstream answered a stream request without an event stream",
                code="bad_upstream",
                type_="upstream_error",
            )
        guard = steps.guard

        def new_state() -> ChoiceStream:
            return ChoiceStream.new(
                guard,
                vault,
                holdback=config.holdback,
                check_every=config.check_every,
                system_prompt=system_prompt,
                canaries=steps.canaries,
            )

        return StreamingResponse(
            _relay(request, key_id, resp, new_state, steps, vault, system_prompt, t0),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
        )

    async def _relay(
        request: Request,
        key_id: str | None,
        resp: httpx.Response,
        new_state: Callable[[], ChoiceStream],
        steps: _Call,
        vault: Vault,
        system_prompt: str | None,
        t0: float,
    ) -> AsyncIterator[bytes]:
        """Upstream SSE → guarded SSE. A reader task queues upstream events; each step takes
        everything queued so far, so when the guard is slower than the upstream, chunks
        coalesce instead of queueing one guard call each."""
        queue: asyncio.Queue[Any] = asyncio.Queue()
        end = object()

        async def reader() -> None:
            try:
                async for data in sse_data(resp.aiter_lines()):
                    await queue.put(data)
            except httpx.HTTPError as exc:
                await queue.put(exc)
            finally:
                await queue.put(end)

        task = asyncio.create_task(reader())
        states: dict[int, ChoiceStream] = {}
        items: list[tuple[str, str, CheckResult]] = []
        template: dict[str, Any] = {}
        try:
            done = False
            while not done:
                batch = [await queue.get()]
                while not queue.empty():
                    batch.append(queue.get_nowait())
                incoming: dict[int, dict[str, Any]] = {}
                passthrough: list[dict[str, Any]] = []
                for data in batch:
                    if data is end or (isinstance(data, str) and data.strip() == "[DONE]"):
                        done = True
                        break
                    if isinstance(data, Exception):
                        yield sse(
                            ProxyError(
                                502,
                                f"upstream stream broke ({type(data).__name__})",
                                code="upstream_unreachable",
                                type_="upstream_error",
                            ).body()
                        )
                        yield DONE
                        return
                    try:
                        chunk = json.loads(data)
                    except ValueError:
                        continue
                    if not isinstance(chunk, dict):
                        continue
                    if isinstance(chunk.get("error"), dict):
                        yield sse(chunk)  # an upstream error mid-stream passes through
                        yield DONE
                        return
                    template = {k: v for k, v in chunk.items() if k not in ("choices", "usage")}
                    if not chunk.get("choices"):
                        passthrough.append(chunk)  # e.g. the usage chunk of stream_options
                        continue
                    merge_chunk(chunk, states, new_state, incoming)
                if done:
                    # an upstream that ends without finish_reason still gets its tail checked
                    for idx, st in states.items():
                        if not st.finished:
                            incoming.setdefault(
                                idx, {"content": "", "delta": {}, "finish_reason": None, "extra": {}}
                            )["close"] = True
                if incoming:
                    tg = time.perf_counter()
                    out, blocked = await off_loop(
                        _step_choices, states, incoming, vault, steps, system_prompt
                    )
                    metrics.guard_seconds.labels("stream_step").observe(time.perf_counter() - tg)
                    if blocked is not None:
                        metrics.blocked.labels("stream").inc()
                        for st in states.values():
                            if st.result is not None:
                                items.append(("assistant", st.answer, st.result))
                        yield sse(blocked)
                        yield DONE
                        return
                    if out:
                        metrics.chunks.inc()
                        yield sse({**template, "choices": out})
                for chunk in passthrough:
                    metrics.chunks.inc()
                    yield sse(chunk)
            for st in states.values():
                if st.result is not None:
                    items.append(("assistant", st.answer, st.result))
            yield DONE
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            await resp.aclose()
            await record(request, key_id, items, t0)

    @app.get("/v1/models")
    async def models(request: Request) -> Response:
        """The upstream's model list (passed through; nothing in it is guarded)."""
        await authorize(request)
        assert state.client is not None
        try:
            resp = await state.client.get(config.models_url, headers=upstream_headers(request, False))
        except httpx.TimeoutException:
            raise ProxyError(
                504, "upstream timed out", code="upstream_timeout", type_="upstream_error"
            ) from None
        except httpx.HTTPError as exc:
            raise ProxyError(
                502,
                f"upstream unreachable ({type(exc).__name__})",
                code="upstream_unreachable",
                type_="upstream_error",
            ) from None
        if resp.status_code != 200:
            return _upstream_error(resp.status_code, resp.content, config.upstream_key)
        return Response(resp.content, media_type="application/json")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        """Readiness: 200 once the Guard is loaded, 503 before (or if it failed)."""
        g = state.guard
        if g is None:
            body = {"status": "failed", "error": state.error} if state.error else {"status": "starting"}
            return JSONResponse(body, status_code=503)
        return JSONResponse(
            {
                "status": "ready",
                "upstream": config.upstream,
                "model_versions": dict(g.model_versions),
                "degraded": g.degraded,
            }
        )

    @app.get("/metrics")
    async def metrics_endpoint() -> Response:
        """Prometheus metrics of this proxy instance."""
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    routes = frozenset(r.path for r in app.routes if hasattr(r, "path"))
    app.add_middleware(_Edge, metrics=metrics, routes=routes)
    return app


def _guard_choices(
    steps: _Call, checked: MessagesResult, vault: Vault, system_prompt: str | None, choices: list[Any]
) -> tuple[list[tuple[str, str, CheckResult]], dict[str, Any] | None]:
    """Check and restore every choice of a whole answer in place (content and tool-call
    arguments); returns the audit items and the block error, if any."""
    items: list[tuple[str, str, CheckResult]] = []
    for n, choice in enumerate(choices):
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        if isinstance(content, str):
            r: ProtectedResponse = steps.after(content, checked, vault, system_prompt)
            assert r.output is not None
            items.append(("assistant", content, r.output))
            if r.blocked:
                return items, block_error(blocked_labels(r.output), "output", {"choice": n})
            message["content"] = r.answer
        for call in message.get("tool_calls") or ():
            fn = call.get("function") if isinstance(call, dict) else None
            if not (isinstance(fn, dict) and isinstance(fn.get("arguments"), str)):
                continue
            r = steps.after(fn["arguments"], checked, vault, system_prompt)
            assert r.output is not None
            items.append(("assistant", fn["arguments"], r.output))
            if r.blocked:
                return items, block_error(blocked_labels(r.output), "output", {"choice": n})
            fn["arguments"] = restore_arguments(r.output.redacted_text, vault)
    return items, None


def _step_choices(
    states: dict[int, ChoiceStream],
    incoming: dict[int, dict[str, Any]],
    vault: Vault,
    steps: _Call,
    system_prompt: str | None,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Feed each choice's new content to its StreamGuard (and close finished ones); the
    output choices to send, or the block error that ends the stream."""
    out: list[dict[str, Any]] = []
    for idx in sorted(incoming):
        slot, st = incoming[idx], states[idx]
        if st.finished:
            continue
        st.answer += slot["content"]
        events = st.guard.feed(slot["content"]) if slot["content"] else []
        text, block = st.released(events)
        finish = slot["finish_reason"]
        if block is None and (finish is not None or slot.get("close")):
            more, block = st.released(st.guard.close())
            text += more
        if block is not None:
            return [], block_error(blocked_labels(block), "stream", {"choice": idx})
        delta = dict(slot["delta"])
        if text:
            delta["content"] = text
        if st.finished and st.tool_calls:
            calls = []
            for call in (st.tool_calls[k] for k in sorted(st.tool_calls)):
                args = call["function"]["arguments"]
                res = steps.guard.check_output(args, system_prompt=system_prompt, canaries=steps.canaries)
                if res.action is Action.BLOCK:
                    st.result = res
                    return [], block_error(blocked_labels(res), "stream", {"choice": idx})
                calls.append(
                    {
                        **call,
                        "function": {
                            **call["function"],
                            "arguments": restore_arguments(res.redacted_text, vault),
                        },
                    }
                )
            delta["tool_calls"] = calls
        if delta or finish is not None:
            out.append({"index": idx, "delta": delta, **slot["extra"], "finish_reason": finish})
    return out, None


__all__ = ["ROUTE", "ProxyConfig", "ProxyError", "create_proxy_app"]
