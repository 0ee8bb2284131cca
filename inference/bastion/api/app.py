"""The FastAPI application: ``create_app(guard=..., settings=...)``.

One :class:`~bastion.guard.Guard` is built at startup (in a worker thread, so ``/healthz``
answers and ``/readyz`` says 503 while models load) and shared by every request. The
Guard runs off the event loop through a micro-batcher or a thread pool (``Settings.mode``).

>>> from bastion.api.app import create_app
>>> from bastion.api.settings import Settings
>>> app = create_app(settings=Settings(auth_enabled=False))  # doctest: +SKIP
>>> # uvicorn.run(app, host="127.0.0.1", port=8000)
"""

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import IO, Annotated, Any

import anyio
import anyio.to_thread
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bastion.api.audit_log import AuditLogger
from bastion.api.batcher import MicroBatcher, Runner, ThreadPoolRunner
from bastion.api.metrics import CONTENT_TYPE_LATEST, Metrics
from bastion.api.ratelimit import RateLimiter
from bastion.api.settings import Settings, default_db_url
from bastion.errors import BastionError, ConfigError, InputError
from bastion.guard import Guard, coerce_text
from bastion.policy import Policy
from bastion.types import CheckResult

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class CheckRequest(BaseModel):
    """Body of ``POST /v1/check`` and ``POST /v1/redact``."""

    model_config = ConfigDict(extra="forbid", strict=True)
    text: str = Field(description="the prompt to check")
    policy: dict[str, Any] | None = Field(default=None, description="Policy field overrides for this request")


class BatchRequest(BaseModel):
    """Body of ``POST /v1/check/batch``."""

    model_config = ConfigDict(extra="forbid", strict=True)
    texts: list[str] = Field(min_length=1, description="prompts to check (bounded, see Settings.max_batch)")
    policy: dict[str, Any] | None = None


@dataclass
class _State:
    settings: Settings
    metrics: Metrics
    audit: AuditLogger
    guard_factory: Callable[[], Guard]
    guard: Guard | None = None
    runner: Runner | None = None
    error: str | None = None
    key_store: Any = None
    limiter: RateLimiter | None = None
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)


def _body_schema(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


def _error(status: int, detail: str, headers: Mapping[str, str] | None = None) -> HTTPException:
    return HTTPException(status_code=status, detail=detail, headers=dict(headers or {}))


async def _read_body(request: Request, cap: int) -> bytes:
    """The request body, refusing anything over ``cap`` bytes, both from the declared
    Content-Length and while reading (a chunked body has no length to trust)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            n = int(declared)
        except ValueError:
            raise _error(400, "invalid Content-Length header") from None
        if n > cap:
            raise _error(413, f"request body is {n} bytes, over the limit of {cap}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise _error(413, f"request body is over the limit of {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body: bytes, model: type[BaseModel]) -> Any:
    try:
        raw = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise _error(400, f"request body is not valid UTF-8 (byte {exc.start}: {exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise _error(
            400, f"request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        parts = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in errors]
        raise HTTPException(status_code=422, detail="invalid request: " + "; ".join(parts)) from None


class _Observe:
    """ASGI middleware: request id, per-route request counts and latency."""

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
                rid = cand if _REQUEST_ID.match(cand) else ""
        rid = rid or uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"], state["t0"] = rid, t0
        status = 500

        async def send_wrapper(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            path = scope.get("path", "")
            route = path if path in self.routes else "other"
            self.metrics.requests.labels(route, scope.get("method", ""), str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - t0)


def create_app(
    *,
    guard: Guard | None = None,
    settings: Settings | None = None,
    guard_factory: Callable[[], Guard] | None = None,
    key_store: Any = None,
    audit_stream: IO[str] | None = None,
) -> FastAPI:
    """Build the API app.

    ``guard``: an already-built Guard (tests inject one made of fake detectors);
    otherwise ``guard_factory`` (default ``Guard.default``) runs in a thread at startup.
    ``key_store``: a :class:`~bastion.api.keys.KeyStore`; by default one is opened on
    ``settings.db_url`` when auth is enabled.
    """
    settings = settings or Settings()
    metrics = Metrics()
    audit = AuditLogger(settings.audit_hmac_key, stream=audit_stream, store_url=settings.store_url)
    state = _State(settings, metrics, audit, guard_factory or Guard.default, guard=guard)
    if settings.auth_enabled and key_store is None:
        from bastion.api.keys import KeyStore

        key_store = KeyStore(settings.db_url or default_db_url())
    state.key_store = key_store
    if settings.rate_limit:
        state.limiter = RateLimiter(settings.rate_limit, settings.redis_url)

    def _activate(g: Guard) -> None:
        state.guard = g
        if settings.mode == "batcher":
            state.runner = MicroBatcher(
                g,
                max_batch=settings.batch_max_size,
                max_wait_s=settings.batch_max_wait_ms / 1000.0,
                workers=settings.inference_threads,
                on_batch=metrics.batch_size.observe,
            )
        else:
            state.runner = ThreadPoolRunner(
                g, settings.inference_threads, on_batch=metrics.batch_size.observe
            )

    async def _load() -> None:
        try:
            g = await anyio.to_thread.run_sync(state.guard_factory, abandon_on_cancel=True)
        except Exception as exc:
            state.error = f"{type(exc).__name__}: {exc}"
            audit.event("guard_load_failed", error=state.error)
            return
        _activate(g)
        if isinstance(state.runner, MicroBatcher):
            await state.runner.start()
        audit.event("ready", degraded=g.degraded, model_versions=dict(g.model_versions), mode=settings.mode)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if state.guard is not None:
            _activate(state.guard)
            if isinstance(state.runner, MicroBatcher):
                await state.runner.start()
        else:
            state.tasks.append(asyncio.create_task(_load()))
        try:
            yield
        finally:
            for t in state.tasks:
                t.cancel()
            if state.runner is not None:
                await state.runner.aclose()
            if state.key_store is not None:
                state.key_store.close()
            audit.close()

    app = FastAPI(
        title="bastion",
        version="0.1.0",
        description="Prompt-injection and PII guard. Every /v1 route needs `Authorization: Bearer <key>` "
        "unless auth is disabled.",
        lifespan=lifespan,
    )
    app.state.bastion = state

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(ConfigError)
    async def _config_error(request: Request, exc: ConfigError) -> JSONResponse:
        return JSONResponse({"detail": f"invalid policy override: {exc}"}, status_code=422)

    async def authorize(request: Request) -> str | None:
        """Resolve the API key (401/403) and charge its rate limit (429)."""
        key_id: str | None = None
        if settings.auth_enabled:
            header = request.headers.get("authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise _error(
                    401, "missing API key: send 'Authorization: Bearer <key>'", {"WWW-Authenticate": "Bearer"}
                )
            verdict = await anyio.to_thread.run_sync(state.key_store.verify, token.strip())
            if verdict.status == "unknown":
                raise _error(401, "unknown API key", {"WWW-Authenticate": "Bearer"})
            if verdict.status == "revoked":
                raise _error(403, "API key has been revoked")
            key_id = verdict.key_id
        if state.limiter is not None:
            ident = key_id or f"ip:{request.client.host if request.client else 'unknown'}"
            decision = await state.limiter.hit(ident)
            if not decision.allowed:
                metrics.rate_limited.inc()
                raise _error(
                    429,
                    f"rate limit {state.limiter.spec} exceeded; retry in {decision.retry_after_s}s",
                    {"Retry-After": str(decision.retry_after_s)},
                )
        return key_id

    def runner() -> Runner:
        if state.runner is None:
            raise _error(
                503,
                "models are still loading" if state.error is None else "guard failed to load",
                {"Retry-After": "1"},
            )
        return state.runner

    def policy_for(overrides: dict[str, Any] | None) -> tuple[Policy | None, str]:
        if not overrides:
            return None, ""
        ops = [overrides.get("default_operator"), *dict(overrides.get("operators") or {}).values()]
        for op in ops:
            kind = op.get("type") if isinstance(op, Mapping) else op
            if isinstance(kind, str) and kind.startswith("pseudonym"):
                # the vault would keep every value seen by the server, and the caller could not restore anyway
                raise ConfigError("the pseudonymize operator is not available over the HTTP API")
        assert state.guard is not None
        try:
            pol = state.guard.policy.with_overrides(overrides)
        except (TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(str(exc)) from exc
        return pol, json.dumps(overrides, sort_keys=True, default=str)

    def validate_texts(texts: list[str]) -> list[str]:
        cap = settings.max_text_chars
        out = []
        for i, t in enumerate(texts):
            if len(t) > cap:
                where = "text" if len(texts) == 1 else f"texts[{i}]"
                raise _error(413, f"{where} has {len(t)} characters, over the limit of {cap}")
            out.append(coerce_text(t))
        return out

    async def finish(
        request: Request, route: str, key_id: str | None, texts: list[str], results: list[CheckResult]
    ) -> None:
        rid = request.state.request_id
        latency_ms = (time.perf_counter() - request.state.t0) * 1000.0
        for i, (t, r) in enumerate(zip(texts, results, strict=True)):
            metrics.observe_result(r)
            audit.check(
                request_id=rid,
                key_id=key_id,
                route=route,
                text=t,
                result=r,
                latency_ms=latency_ms,
                index=i if len(texts) > 1 else None,
            )
        if audit.store is not None:

            def _record() -> int:
                return sum(
                    not audit.record(request_id=rid, key_id=key_id, text=t, result=r)
                    for t, r in zip(texts, results, strict=True)
                )

            failed = await anyio.to_thread.run_sync(_record)
            if failed:
                metrics.audit_errors.inc(failed)

    async def _single(request: Request, route: str, key_id: str | None, run: Runner) -> JSONResponse:
        req = _parse(await _read_body(request, settings.max_body_bytes), CheckRequest)
        texts = validate_texts([req.text])
        pol, key = policy_for(req.policy)
        results = await run.check(texts, pol, key)
        await finish(request, route, key_id, texts, results)
        return JSONResponse(results[0].to_dict())

    @app.post("/v1/check", openapi_extra=_body_schema(CheckRequest), tags=["guard"])
    async def check(
        request: Request,
        key_id: Annotated[str | None, Depends(authorize)],
        run: Annotated[Runner, Depends(runner)],
    ) -> JSONResponse:
        """Check one prompt; returns ``CheckResult.to_dict()``."""
        return await _single(request, "/v1/check", key_id, run)

    @app.post("/v1/redact", openapi_extra=_body_schema(CheckRequest), tags=["guard"])
    async def redact(
        request: Request,
        key_id: Annotated[str | None, Depends(authorize)],
        run: Annotated[Runner, Depends(runner)],
    ) -> JSONResponse:
        """Redact one text; the same result shape as /v1/check, the redacted text is ``redacted_text``."""
        return await _single(request, "/v1/redact", key_id, run)

    @app.post("/v1/check/batch", openapi_extra=_body_schema(BatchRequest), tags=["guard"])
    async def check_batch(
        request: Request,
        key_id: Annotated[str | None, Depends(authorize)],
        run: Annotated[Runner, Depends(runner)],
    ) -> JSONResponse:
        """Check up to ``max_batch`` prompts; returns ``{"results": [CheckResult.to_dict(), ...]}``."""
        req = _parse(await _read_body(request, settings.max_body_bytes), BatchRequest)
        if len(req.texts) > settings.max_batch:
            raise _error(413, f"batch has {len(req.texts)} texts, over the limit of {settings.max_batch}")
        texts = validate_texts(req.texts)
        pol, key = policy_for(req.policy)
        results = await run.check(texts, pol, key)
        await finish(request, "/v1/check/batch", key_id, texts, results)
        return JSONResponse({"results": [r.to_dict() for r in results]})

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"])
    async def readyz() -> JSONResponse:
        """Readiness: 200 with model versions once the Guard is loaded, 503 before (or if it failed)."""
        g = state.guard
        if state.runner is None or g is None:
            body = {"status": "failed", "error": state.error} if state.error else {"status": "starting"}
            return JSONResponse(body, status_code=503)
        return JSONResponse(
            {
                "status": "ready",
                "model_versions": dict(g.model_versions),
                "detectors": {d.name: d.version for d in g.detectors},
                "degraded": g.degraded,
                "degraded_reasons": list(g.degraded_reasons),
                "mode": settings.mode,
            }
        )

    @app.get("/metrics", tags=["ops"])
    async def metrics_endpoint() -> Response:
        """Prometheus metrics of this app instance."""
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    routes = frozenset(r.path for r in app.routes if hasattr(r, "path"))
    app.add_middleware(_Observe, metrics=metrics, routes=routes)
    return app


__all__ = ["BastionError", "BatchRequest", "CheckRequest", "Settings", "create_app"]
