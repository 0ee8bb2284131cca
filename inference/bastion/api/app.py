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
import logging
import math
import os
import re
import time
import unicodedata
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import PurePath, PureWindowsPath
from typing import IO, Annotated, Any, Literal

import anyio
import anyio.to_thread
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from starlette.requests import ClientDisconnect

from bastion.api.audit_log import AuditLogger
from bastion.api.batcher import MicroBatcher, Runner, ThreadPoolRunner
from bastion.api.metrics import CONTENT_TYPE_LATEST, Metrics
from bastion.api.ratelimit import RateLimiter
from bastion.api.scrub import has_key_param, scrub_query
from bastion.api.settings import Settings, default_db_url
from bastion.errors import BastionError, ConfigError, InputError
from bastion.guard import Guard, coerce_text
from bastion.policy import Policy
from bastion.redact import build_operator
from bastion.types import CheckResult

log = logging.getLogger("bastion.api")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# the bounds of a policy override: every value a request can set is small and flat
MAX_OVERRIDE_ENTRIES = 64
MAX_MASK_KEEP = 64
MAX_HASH_KEY_CHARS = 256
MAX_INT_DIGITS = 18
MAX_ERRORS_SHOWN = 10


def _no_surrogates(value: str) -> str:
    # a lone surrogate cannot be encoded into the UTF-8 response (or an HMAC key)
    if any("\ud800" <= c <= "\udfff" for c in value):
        raise ValueError("contains an unpaired surrogate")
    return value


def _visible_char(value: str) -> str:
    # also refuses lone surrogates (Cs), which cannot be encoded into the response
    if unicodedata.category(value) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        raise ValueError("must be a visible character")
    return value


def _operator_spec(value: Any) -> Any:
    # "mask" is short for {"type": "mask"}: one shape to validate, one set of error messages
    if isinstance(value, str):
        value = {"type": value}
    kind = value.get("type") if isinstance(value, Mapping) else None
    if isinstance(kind, str) and kind.startswith("pseudonym"):
        # the vault would keep every value seen by the server, and the caller could not restore anyway
        raise ValueError("the pseudonymize operator is not available over the HTTP API")
    return value


Label = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$")]
Score = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
ActionName = Literal["allow", "redact", "block"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ReplaceOperator(_Strict):
    """``[REDACTED_<LABEL>]`` (``style="bracket"``) or ``<LABEL>`` (``style="angle"``)."""

    type: Literal["replace"]
    style: Literal["bracket", "angle"] = "bracket"


class MaskOperator(_Strict):
    """Keep the last ``keep`` characters (0..64), mask the rest with one visible ``char``."""

    type: Literal["mask"]
    keep: int = Field(4, ge=0, le=MAX_MASK_KEEP)
    char: Annotated[str, Field(min_length=1, max_length=1), AfterValidator(_visible_char)] = "*"


class HashOperator(_Strict):
    """Keyed HMAC-SHA256 with ``key`` (else the server's ``BASTION_HMAC_KEY``), ``length`` hex digits."""

    type: Literal["hash"]
    key: (
        Annotated[str, Field(min_length=1, max_length=MAX_HASH_KEY_CHARS), AfterValidator(_no_surrogates)]
        | None
    ) = None
    length: int = Field(16, ge=8, le=64)


OperatorSpec = Annotated[
    ReplaceOperator | MaskOperator | HashOperator,
    Field(discriminator="type"),
    BeforeValidator(_operator_spec),
]


class PolicyOverride(_Strict):
    """Per-request policy overrides (a bounded subset of :class:`~bastion.policy.Policy`).

    >>> PolicyOverride.model_validate({"pii_action": "block"}).pii_action
    'block'
    """

    injection_threshold: Score | None = None
    injection_operating_point: Literal["default", "strict"] = "default"
    injection_action: ActionName = "block"
    pii_min_score: Score = 0.5
    label_thresholds: dict[Label, Score] = Field(default_factory=dict, max_length=MAX_OVERRIDE_ENTRIES)
    pii_action: ActionName = "redact"
    label_actions: dict[Label, ActionName] = Field(default_factory=dict, max_length=MAX_OVERRIDE_ENTRIES)
    disabled_labels: list[Label] = Field(default_factory=list, max_length=MAX_OVERRIDE_ENTRIES)
    default_operator: OperatorSpec = ReplaceOperator(type="replace")
    operators: dict[Label, OperatorSpec] = Field(default_factory=dict, max_length=MAX_OVERRIDE_ENTRIES)
    # checked against the server's Settings.max_text_chars when the request is handled
    max_chars: int = Field(1_000_000, ge=1, le=10**9)
    # compute budget per text in model tokens (Policy.max_tokens); never above the server's own
    max_tokens: int | None = Field(None, ge=1, le=10**9)

    def overrides(self) -> dict[str, Any]:
        """Only the fields the request set, as plain JSON values for ``Policy.with_overrides``."""
        return self.model_dump(mode="json", exclude_unset=True)


class CheckRequest(_Strict):
    """Body of ``POST /v1/check`` and ``POST /v1/redact``."""

    text: str = Field(description="the prompt to check")
    policy: PolicyOverride | None = Field(default=None, description="Policy field overrides for this request")


class BatchRequest(_Strict):
    """Body of ``POST /v1/check/batch``."""

    texts: list[str] = Field(min_length=1, description="prompts to check (bounded, see Settings.max_batch)")
    policy: PolicyOverride | None = None


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
    auth_failures: RateLimiter | None = None
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


async def _read_body(request: Request, cap: int, timeout_s: float) -> bytes:
    """The request body, refusing anything over ``cap`` bytes, both from the declared
    Content-Length and while reading (a chunked body has no length to trust), and any
    body that takes longer than ``timeout_s`` to arrive (408; the connection is closed)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            n = int(declared)
        except ValueError:
            raise _error(400, "invalid Content-Length header") from None
        if n > cap:
            raise _error(413, f"request body is {n} bytes, over the limit of {cap}", {"Connection": "close"})
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > cap:
                    raise _error(
                        413, f"request body is over the limit of {cap} bytes", {"Connection": "close"}
                    )
                chunks.append(chunk)
    except TimeoutError:
        raise _error(
            408, f"request body not received within {timeout_s:g} s", {"Connection": "close"}
        ) from None
    return b"".join(chunks)


class _OutOfRange(ValueError):
    """Valid JSON this server will not take (a 422, not a 400)."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _bounded_int(digits: str) -> int:
    # int("9" * 5000) raises past Python's digit limit, and huge ints only feed huge work
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _OutOfRange(f"an integer with {len(digits)} digits is out of range")
    return int(digits)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _OutOfRange(f"the number {_clip(text, 20)} is out of range")
    return value


def _loads(text: str) -> Any:
    return json.loads(
        text, parse_constant=_reject_constant, parse_int=_bounded_int, parse_float=_finite_float
    )


def _clip(part: object, n: int = 64) -> str:
    s = str(part)
    return s if len(s) <= n else s[:n] + "..."


def _parse(body: bytes, model: type[BaseModel]) -> Any:
    try:
        raw = _loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise _error(400, f"request body is not valid UTF-8 (byte {exc.start}: {exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise _error(
            400, f"request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise _error(422, "invalid request: the JSON body is nested too deeply") from None
    except _OutOfRange as exc:
        raise _error(422, f"invalid request: {exc}") from None
    except ValueError as exc:
        raise _error(400, f"request body is not valid JSON: {exc}") from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        # locations and messages can hold caller-chosen keys and values: clip them, and list a
        # bounded number of errors
        parts = [
            f"{'.'.join(_clip(p) for p in e['loc']) or 'body'}: {_clip(e['msg'], 200)}"
            for e in errors[:MAX_ERRORS_SHOWN]
        ]
        if len(errors) > MAX_ERRORS_SHOWN:
            parts.append(f"and {len(errors) - MAX_ERRORS_SHOWN} more errors")
        raise HTTPException(status_code=422, detail="invalid request: " + "; ".join(parts)) from None


_ABS_PATH = re.compile(r"(?<![\w.~/-])(?:/|[A-Za-z]:[\\/])[^\s'\"<>|,;()]*")


@lru_cache(maxsize=256)
def public_message(text: str) -> str:
    """A message with absolute server paths cut to a path relative to the working
    directory, or to the file name.

    >>> public_message("injection model not found at /srv/app/models/injection")
    'injection model not found at injection'
    """

    def sub(m: re.Match[str]) -> str:
        raw = m.group(0)
        path = PurePath(raw) if raw.startswith("/") else PureWindowsPath(raw)
        try:
            return str(path.relative_to(os.getcwd())) if os.getcwd() != "/" else path.name
        except ValueError:
            return path.name or "<path>"

    return _ABS_PATH.sub(sub, text)


def _public_result(result: CheckResult) -> dict[str, Any]:
    d = result.to_dict()
    if d.get("degraded_reasons"):
        d["degraded_reasons"] = [public_message(r) for r in d["degraded_reasons"]]
    return d


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


async def _send_json(send: Any, status: int, body: dict[str, Any], close: bool = False) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload, "more_body": False})


class _Edge:
    """ASGI middleware around every route: request id, bounded-label metrics, API keys in
    the URL refused (and scrubbed from the scope the access log reads), client disconnects
    logged as one line, and any unexpected exception answered with a JSON 500 that carries
    no traceback (the connection stays usable)."""

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
        started = False

        async def send_wrapper(message: dict[str, Any]) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            query = scope.get("query_string", b"").decode("latin-1")
            if query and has_key_param(query):
                # servers log the scope's query string; the key must not end up there
                scope["query_string"] = scrub_query(query).encode("latin-1")
                await _send_json(
                    send_wrapper,
                    400,
                    {"detail": "API keys are not accepted in the URL; send 'Authorization: Bearer <key>'"},
                )
                return
            await self.app(scope, receive, send_wrapper)
        except ClientDisconnect:
            status = 499  # nginx's code for "client closed request"; nothing is sent
            log.warning("client disconnected before its request was read (request %s)", rid)
        except Exception as exc:
            # the type only: messages and tracebacks can carry request text
            log.error("unhandled %s in request %s on %s", type(exc).__name__, rid, scope.get("path", ""))
            if started:
                raise
            await _send_json(send_wrapper, 500, {"detail": "internal server error", "request_id": rid})
        finally:
            route_obj = scope.get("route")
            path = getattr(route_obj, "path", None) or scope.get("path", "")
            route = path if path in self.routes else "other"
            method = scope.get("method", "")
            method = method if method in _METHODS else "other"
            self.metrics.requests.labels(route, method, str(status)).inc()
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
    if settings.auth_enabled and settings.auth_failure_limit:
        state.auth_failures = RateLimiter(
            settings.auth_failure_limit, settings.redis_url, namespace="bastion-auth-failures"
        )

    def _activate(g: Guard) -> None:
        state.guard = g
        if settings.mode == "batcher":
            state.runner = MicroBatcher(
                g,
                max_batch=settings.batch_max_size,
                max_wait_s=settings.batch_max_wait_ms / 1000.0,
                workers=settings.inference_threads,
                on_batch=metrics.batch_size.observe,
                max_chars=settings.batch_max_chars,
                large_request_chars=settings.large_request_chars,
            )
        else:
            state.runner = ThreadPoolRunner(
                g,
                settings.inference_threads,
                on_batch=metrics.batch_size.observe,
                large_request_chars=settings.large_request_chars,
            )

    async def _load() -> None:
        try:
            g = await anyio.to_thread.run_sync(state.guard_factory, abandon_on_cancel=True)
        except Exception as exc:
            state.error = public_message(f"{type(exc).__name__}: {exc}")
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
        return JSONResponse({"detail": public_message(str(exc))}, status_code=422)

    @app.exception_handler(ConfigError)
    async def _config_error(request: Request, exc: ConfigError) -> JSONResponse:
        return JSONResponse({"detail": public_message(f"invalid policy override: {exc}")}, status_code=422)

    async def _auth_failed(ip: str, status: int, detail: str) -> HTTPException:
        metrics.auth_failures.inc()
        if state.auth_failures is not None:
            await state.auth_failures.hit(ip)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
        return _error(status, detail, headers)

    async def authorize(request: Request) -> str | None:
        """Resolve the API key (401/403) and charge its rate limit (429).

        Failed attempts are counted per client IP; an IP over ``auth_failure_limit`` gets
        429 before its key is even looked at, while other IPs (and their keys) are unaffected.
        """
        key_id: str | None = None
        ip = request.client.host if request.client else "unknown"
        if settings.auth_enabled:
            if state.auth_failures is not None:
                blocked = await state.auth_failures.blocked(ip)
                if blocked is not None:
                    metrics.rate_limited.inc()
                    raise _error(
                        429,
                        f"too many failed authentications from this address; retry in {blocked.retry_after_s}s",
                        {"Retry-After": str(blocked.retry_after_s)},
                    )
            header = request.headers.get("authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise await _auth_failed(ip, 401, "missing API key: send 'Authorization: Bearer <key>'")
            verdict = await anyio.to_thread.run_sync(state.key_store.verify, token.strip())
            if verdict.status == "unknown":
                raise await _auth_failed(ip, 401, "unknown API key")
            if verdict.status == "revoked":
                raise await _auth_failed(ip, 403, "API key has been revoked")
            key_id = verdict.key_id
        if state.limiter is not None:
            ident = key_id or f"ip:{ip}"
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

    def policy_for(override: PolicyOverride | None) -> tuple[Policy | None, str]:
        if override is None:
            return None, ""
        overrides = override.overrides()
        if not overrides:
            return None, ""
        cap = settings.max_text_chars
        if "max_chars" in overrides and override.max_chars > cap:
            raise _error(
                422,
                f"invalid policy override: max_chars {override.max_chars} is over the server's cap of {cap}",
            )
        server_tokens = getattr(state.guard.policy, "max_tokens", None) if state.guard else None
        if (
            override.max_tokens is not None
            and server_tokens is not None
            and override.max_tokens > server_tokens
        ):
            raise _error(
                422,
                f"invalid policy override: max_tokens {override.max_tokens} is over the server's budget "
                f"of {server_tokens}",
            )
        if "max_tokens" in overrides and override.max_tokens is None and server_tokens is not None:
            raise _error(422, "invalid policy override: max_tokens cannot lift the server's budget")
        # build the operators now, so a spec the server cannot honour (e.g. hash without any
        # key configured) is a 422 here, not an error inside the batch it would share
        for spec in (override.default_operator, *override.operators.values()):
            build_operator(spec.model_dump())
        assert state.guard is not None
        try:
            pol = state.guard.policy.with_overrides(overrides)
        except (TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise ConfigError(str(exc)) from exc
        return pol, json.dumps(overrides, sort_keys=True)

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
        body = await _read_body(request, settings.max_body_bytes, settings.body_timeout_s)
        req = _parse(body, CheckRequest)
        texts = validate_texts([req.text])
        pol, key = policy_for(req.policy)
        results = await run.check(texts, pol, key)
        await finish(request, route, key_id, texts, results)
        return JSONResponse(_public_result(results[0]))

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
        body = await _read_body(request, settings.max_body_bytes, settings.body_timeout_s)
        req = _parse(body, BatchRequest)
        if len(req.texts) > settings.max_batch:
            raise _error(413, f"batch has {len(req.texts)} texts, over the limit of {settings.max_batch}")
        texts = validate_texts(req.texts)
        pol, key = policy_for(req.policy)
        results = await run.check(texts, pol, key)
        await finish(request, "/v1/check/batch", key_id, texts, results)
        return JSONResponse({"results": [_public_result(r) for r in results]})

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
                "degraded_reasons": [public_message(r) for r in g.degraded_reasons],
                "mode": settings.mode,
            }
        )

    @app.get("/metrics", tags=["ops"])
    async def metrics_endpoint() -> Response:
        """Prometheus metrics of this app instance."""
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    routes = frozenset(r.path for r in app.routes if hasattr(r, "path"))
    app.add_middleware(_Edge, metrics=metrics, routes=routes)
    return app


__all__ = [
    "BastionError",
    "BatchRequest",
    "CheckRequest",
    "PolicyOverride",
    "Settings",
    "create_app",
    "public_message",
]
