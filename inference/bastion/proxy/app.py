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
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Annotated, Any

import anyio
import anyio.to_thread
import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from bastion.api.audit_log import AuditLogger, Checked, record_checks
from bastion.api.body import BodyError, read_body, reject_constant
from bastion.api.deps import BearerAuth, ServingState, authorize, public_message, serving_app
from bastion.api.edge import install_edge
from bastion.api.metrics import CONTENT_TYPE_LATEST, Metrics
from bastion.api.settings import Settings
from bastion.canary import Canary, make_canary
from bastion.conversation import MessagesResult, parse_messages
from bastion.errors import ConfigError, InputError
from bastion.guard import Guard
from bastion.protect import _Call
from bastion.proxy.errors import (
    ProxyError,
    auth_error,
    error_body,
    error_response,
    upstream_error,
    upstream_failed,
)
from bastion.proxy.relay import Exchange, Items, Relay, guard_choices
from bastion.proxy.streaming import block_error, blocked_labels
from bastion.redact import Vault
from bastion.stream import DEFAULT_CHECK_EVERY, DEFAULT_HOLDBACK
from bastion.types import Action

log = logging.getLogger("bastion.proxy")

ROUTE = "/v1/chat/completions"
_STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_BODY_CODES = {408: "request_timeout", 413: "request_too_large"}


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


class _ProxyMetrics(Metrics):
    """The API's metrics plus the proxy's own, on the same registry."""

    def __init__(self) -> None:
        super().__init__()
        self.upstream = self._counter(
            "bastion_proxy_upstream_requests",
            "Upstream calls by HTTP status ('unreachable' / 'timeout' when none)",
            ["status"],
        )
        self.blocked = self._counter(
            "bastion_proxy_blocked", "Blocked requests by stage (input, output, stream)", ["stage"]
        )
        self.chunks = self._counter("bastion_proxy_stream_chunks", "SSE chunks sent to clients")
        self.guard_seconds = self._histogram(
            "bastion_proxy_guard_seconds",
            "Guard time per stage (input, output, stream_step)",
            ["stage"],
            _STAGE_BUCKETS,
        )


@dataclass
class ProxyState(ServingState):
    """The proxy's state: its config, the upstream client and the inference threads."""

    metrics: _ProxyMetrics
    config: ProxyConfig = field(kw_only=True)
    client: httpx.AsyncClient | None = None
    threads: anyio.CapacityLimiter | None = None

    async def start(self) -> None:
        """Lifespan start: the upstream client, and the Guard loaded in a thread unless given."""
        self.threads = anyio.CapacityLimiter(self.settings.inference_threads)
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(self.config.upstream_timeout_s, connect=self.config.connect_timeout_s),
            follow_redirects=False,
        )
        if self.guard is None:
            self.tasks.append(asyncio.create_task(self._load()))

    async def stop(self) -> None:
        """Lifespan end (after ``bastion.api.deps.lifespan`` cancelled the tasks)."""
        if self.client is not None:
            await self.client.aclose()

    async def _load(self) -> None:
        try:
            self.guard = await anyio.to_thread.run_sync(self.guard_factory, abandon_on_cancel=True)
        except Exception as exc:
            self.load_failed(public_message(f"{type(exc).__name__}: {exc}"))
            return
        self.audit.event(
            "ready", degraded=self.guard.degraded, model_versions=dict(self.guard.model_versions)
        )

    async def off_loop(self, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in a worker thread, at most ``inference_threads`` at a time."""
        return await anyio.to_thread.run_sync(fn, *args, limiter=self.threads)

    def ready_guard(self) -> Guard:
        if self.guard is None:
            raise ProxyError(
                503,
                "models are still loading" if self.error is None else "guard failed to load",
                code="guard_unavailable",
                type_="server_error",
                headers={"Retry-After": "1"},
            )
        return self.guard

    def upstream_headers(self, request: Request, stream: bool) -> dict[str, str]:
        headers = {
            "content-type": "application/json",
            "accept": "text/event-stream" if stream else "application/json",
        }
        if self.config.upstream_key:
            headers["authorization"] = f"Bearer {self.config.upstream_key}"
        headers["x-request-id"] = request.state.request_id
        return headers

    async def upstream(self, request: Request, method: str, url: str, **kw: Any) -> httpx.Response:
        """Call the upstream; 504 / 502 in the OpenAI shape when it times out or is unreachable.
        ``stream`` in ``kw`` asks for an event stream (and leaves the body unread)."""
        assert self.client is not None
        stream = bool(kw.pop("stream", False))
        req = self.client.build_request(method, url, headers=self.upstream_headers(request, stream), **kw)
        try:
            resp = await self.client.send(req, stream=stream)
        except httpx.TimeoutException:
            raise upstream_failed("upstream timed out", "upstream_timeout", 504) from None
        except httpx.HTTPError as exc:
            raise upstream_failed(
                f"upstream unreachable ({type(exc).__name__})", "upstream_unreachable"
            ) from None
        return resp

    async def record(self, request: Request, key_id: str | None, items: Items, t0: float) -> None:
        """Metrics and one audit event per checked text: ``(role, text, result)``."""
        await record_checks(
            self.audit,
            self.metrics,
            [Checked(text, result, i, role) for role, text, result, i in items],
            request_id=request.state.request_id,
            key_id=key_id,
            route=ROUTE,
            latency_ms=(time.perf_counter() - t0) * 1000.0,
        )


def _state(request: Request) -> ProxyState:
    return request.app.state.bastion


State = Annotated[ProxyState, Depends(_state)]
KeyId = Annotated[str | None, Depends(authorize)]


def _ready(request: Request) -> Guard:
    return _state(request).ready_guard()


# Before KeyId in a route's parameters (FastAPI solves them in order): a 503 while the
# models load must not use up the key's rate limit.
ReadyGuard = Annotated[Guard, Depends(_ready)]


async def _read_json(request: Request, settings: Settings) -> dict[str, Any]:
    """The request body as a JSON object, refusing bodies over ``max_body_bytes`` (also
    while reading: a chunked body has no length to trust) or slower than ``body_timeout_s``."""
    try:
        raw = await read_body(request, settings.max_body_bytes, settings.body_timeout_s)
    except BodyError as exc:
        raise ProxyError(exc.status, exc.message, code=_BODY_CODES.get(exc.status)) from None
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProxyError(400, f"request body is not valid UTF-8 JSON: {type(exc).__name__}") from None
    if not isinstance(body, dict):
        raise ProxyError(400, "request body must be a JSON object")
    return body


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


def _pseudonymise_prediction(guard: Guard, prediction: dict[str, Any], vault: Vault) -> dict[str, Any]:
    """A Predicted Outputs ``prediction`` with its content pseudonymised into ``vault``: it
    is usually the document the user is editing, whose values the messages no longer carry.
    Its tokens are not marked for restoring: the model never reads a prediction, so only a
    value the messages hold too (same value, same token) comes back."""
    policy = guard.policy.with_overrides({"default_operator": "pseudonymize", "operators": {}})
    content = prediction.get("content")
    if isinstance(content, str):
        return {**prediction, "content": guard.check(content, policy=policy, vault=vault).redacted_text}
    if isinstance(content, list):
        parts = [
            {**p, "text": guard.check(p["text"], policy=policy, vault=vault).redacted_text}
            if isinstance(p, dict) and isinstance(p.get("text"), str)
            else p
            for p in content
        ]
        return {**prediction, "content": parts}
    return prediction


def _input_block(checked: MessagesResult) -> dict[str, Any]:
    labels: set[str] = set()
    where = []
    for m in checked.blocked:
        assert m.result is not None
        own = blocked_labels(m.result)
        labels.update(own)
        where.append({"index": m.index, "role": m.role, "labels": own})
    return block_error(sorted(labels), "input", {"messages": where})


# -- routes ---------------------------------------------------------------------------------------

router = APIRouter()


async def _post_upstream(
    state: ProxyState, request: Request, payload: dict[str, Any], *, stream: bool
) -> httpx.Response:
    """The completion call upstream, counted by status (``timeout`` / ``unreachable`` when none)."""
    try:
        resp = await state.upstream(
            request, "POST", state.config.completions_url, json=payload, stream=stream
        )
    except ProxyError as exc:
        state.metrics.upstream.labels("timeout" if exc.code == "upstream_timeout" else "unreachable").inc()
        raise
    state.metrics.upstream.labels(str(resp.status_code)).inc()
    return resp


def _checked_body(state: ProxyState, body: dict[str, Any]) -> tuple[list[Any], bool]:
    """The request's messages and whether it streams; 400 / 413 for what cannot be guarded."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ProxyError(400, "'messages' must be a non-empty array")
    if not isinstance(body.get("stream", False), bool):
        raise ProxyError(400, "'stream' must be true or false")
    cap = state.settings.max_text_chars
    for p in parse_messages(messages):
        if len(p.checked_text) > cap:
            raise ProxyError(
                413,
                f"message {p.index} has {len(p.checked_text)} characters, over the limit of {cap}",
                code="request_too_large",
            )
    return messages, body.get("stream") is True


def _input_items(messages: list[Any], checked: MessagesResult) -> Items:
    pieces = parse_messages(messages)
    return [
        (m.role, p.checked_text, m.result, m.index)
        for p, m in zip(pieces, checked.messages, strict=True)
        if m.result
    ]


@router.post(ROUTE)
async def chat_completions(request: Request, guard: ReadyGuard, key_id: KeyId, state: State) -> Response:
    """OpenAI chat completions, guarded both ways (JSON or SSE with ``"stream": true``)."""
    t0 = request.state.t0
    body = await _read_json(request, state.settings)
    messages, stream = _checked_body(state, body)
    canary = make_canary() if state.config.canary else None
    steps = _Call(guard, None, [canary] if canary else (), None, True)
    plain = {k: v for k, v in body.items() if k != "stream"}
    tg = time.perf_counter()
    checked, vault, outgoing, system_prompt = await state.off_loop(steps.before, plain)
    # steps.before already pseudonymised every text check_messages read, the earlier
    # assistant turns the client sends back included; a prediction is no message
    if checked.action is not Action.BLOCK and isinstance(outgoing.get("prediction"), dict):
        outgoing["prediction"] = await state.off_loop(
            _pseudonymise_prediction, guard, outgoing["prediction"], vault
        )
    state.metrics.guard_seconds.labels("input").observe(time.perf_counter() - tg)
    await state.record(request, key_id, _input_items(messages, checked), t0)
    if checked.action is Action.BLOCK:
        state.metrics.blocked.labels("input").inc()
        return error_response(400, _input_block(checked))
    if canary is not None:
        outgoing["messages"] = _with_canary(outgoing["messages"], canary)
    # the relay restores with this: the user's own tokens only, never a tool result's
    ex = Exchange(state, request, key_id, steps, vault.restorer(), system_prompt, t0, len(messages))
    if stream:
        outgoing["stream"] = True
        return await _stream(ex, outgoing)
    return await _answer(ex, checked, outgoing)


async def _answer(ex: Exchange, checked: MessagesResult, outgoing: dict[str, Any]) -> Response:
    """A whole answer: call the upstream, check and restore each choice."""
    state = ex.state
    resp = await _post_upstream(state, ex.request, outgoing, stream=False)
    if resp.status_code != 200:
        return upstream_error(resp.status_code, resp.content, state.config.upstream_key)
    try:
        data = resp.json()
        choices = data["choices"]
        assert isinstance(choices, list)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise upstream_failed("upstream answered 200 without a chat completion", "bad_upstream") from None
    tg = time.perf_counter()
    items, error = await state.off_loop(
        guard_choices, ex.steps, checked, ex.vault, ex.system_prompt, choices, ex.n_messages
    )
    state.metrics.guard_seconds.labels("output").observe(time.perf_counter() - tg)
    await ex.record(items)
    if error is not None:
        state.metrics.blocked.labels("output").inc()
        return error_response(400, error)
    return JSONResponse(data)


async def _stream(ex: Exchange, outgoing: dict[str, Any]) -> Response:
    """A streamed answer: the upstream's event stream relayed through the guard."""
    resp = await _post_upstream(ex.state, ex.request, outgoing, stream=True)
    if resp.status_code != 200:
        raw = await resp.aread()
        await resp.aclose()
        return upstream_error(resp.status_code, raw, ex.state.config.upstream_key)
    if not resp.headers.get("content-type", "").startswith("text/event-stream"):
        await resp.aclose()
        raise upstream_failed("upstream answered a stream request without an event stream", "bad_upstream")
    return StreamingResponse(
        Relay(ex, resp).events(),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )


@router.get("/v1/models")
async def models(request: Request, key_id: KeyId, state: State) -> Response:
    """The upstream's model list (passed through; nothing in it is guarded)."""
    resp = await state.upstream(request, "GET", state.config.models_url)
    if resp.status_code != 200:
        return upstream_error(resp.status_code, resp.content, state.config.upstream_key)
    return Response(resp.content, media_type="application/json")


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(state: State) -> JSONResponse:
    """Readiness: 200 once the Guard is loaded, 503 before (or if it failed)."""
    g = state.guard
    if g is None:
        body = {"status": "failed", "error": state.error} if state.error else {"status": "starting"}
        return JSONResponse(body, status_code=503)
    return JSONResponse(
        {
            "status": "ready",
            "upstream": state.config.upstream,
            "model_versions": dict(g.model_versions),
            "degraded": g.degraded,
        }
    )


@router.get("/metrics")
async def metrics_endpoint(state: State) -> Response:
    """Prometheus metrics of this proxy instance."""
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)


# -- the app ----------------------------------------------------------------------------------------


async def _proxy_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProxyError)
    return exc.response()


async def _input_error(request: Request, exc: Exception) -> JSONResponse:
    return error_response(400, ProxyError(400, str(exc)).body())


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = str(exc.detail)
    if exc.status_code in (404, 405):
        # "/v1/embeddings", "/v1/responses": say what is served, not a bare "Not Found"
        message = (
            f"{request.method} {request.url.path} is not proxied: bastion proxy serves POST {ROUTE} "
            "(guarded) and GET /v1/models"
        )
    return error_response(exc.status_code, ProxyError(exc.status_code, message, code="not_proxied").body())


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
    audit = AuditLogger.from_settings(settings, stream=audit_stream, store=privacy_store)
    auth = BearerAuth.from_settings(
        settings,
        metrics,
        key_store,
        namespace="bastion-proxy",
        error=auth_error,
        missing="missing API key: send 'Authorization: Bearer <bastion key>'",
    )
    state = ProxyState(
        settings, metrics, audit, auth, guard_factory or Guard.default, guard=guard, config=config
    )
    app = serving_app(
        state,
        title="bastion proxy",
        description="OpenAI-compatible guard proxy: /v1/chat/completions checked on the way up and down.",
    )
    app.add_exception_handler(ProxyError, _proxy_error)
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.include_router(router)
    install_edge(app, metrics, (router,), error_body=error_body, max_header_bytes=settings.max_header_bytes)
    return app


__all__ = ["ROUTE", "ProxyConfig", "ProxyError", "ProxyState", "create_proxy_app"]
