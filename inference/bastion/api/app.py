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
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from starlette.requests import ClientDisconnect

from bastion.api.audit_log import AuditLogger, fingerprint
from bastion.api.batcher import MicroBatcher, Runner, ThreadPoolRunner
from bastion.api.docs import add_offline_docs, hoist_defs
from bastion.api.metrics import CONTENT_TYPE_LATEST, Metrics
from bastion.api.models import (
    MAX_CANARIES,
    MAX_CANARY_CHARS,
    MAX_MESSAGES,
    USER_ID_PATTERN,
    BatchResultOut,
    ChatMessageIn,
    CheckResultOut,
    ErrorOut,
    HealthOut,
    MessagesResultOut,
    ReadyOut,
    RestoreOut,
    RestoreRequest,
    SessionId,
    UserId,
)
from bastion.api.ratelimit import RateLimiter
from bastion.api.scrub import has_key_param, scrub_query
from bastion.api.sessions import SessionVaults
from bastion.api.settings import Settings, default_db_url
from bastion.api.ui import ui_router
from bastion.conversation import check_messages, parse_messages
from bastion.errors import BastionError, ConfigError, InputError
from bastion.guard import Guard, coerce_text
from bastion.policy import Policy
from bastion.redact import Vault, build_operator
from bastion.telemetry import Telemetry
from bastion.types import CheckResult

log = logging.getLogger("bastion.api")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_USER_ID = re.compile(USER_ID_PATTERN)
USER_HEADER = "x-bastion-user"
# the bounds of a policy override: every value a request can set is small and flat
MAX_OVERRIDE_ENTRIES = 64
MAX_MASK_KEEP = 64
MAX_HASH_KEY_CHARS = 256
MAX_INT_DIGITS = 18
MAX_ERRORS_SHOWN = 10
# allow / deny / injection-allow entries a request may add, in all its lists together
MAX_LIST_ENTRIES = 64
MAX_ENTRY_CHARS = 256


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
    if isinstance(value, Mapping) and value.get("type") == "pseudonymise":
        value = {**value, "type": "pseudonymize"}
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
    """Keep the last ``keep`` characters (0..64), mask the rest with one visible ``char``;
    without ``keep``, :class:`bastion.redact.Mask`'s own default applies."""

    type: Literal["mask"]
    # unset leaves the choice to bastion.redact.Mask, so the API never documents a default
    # the library does not apply; an explicit null is refused like any non-integer
    keep: int = Field(None, ge=0, le=MAX_MASK_KEEP, validate_default=False)  # type: ignore[assignment]
    char: Annotated[str, Field(min_length=1, max_length=1), AfterValidator(_visible_char)] = "*"


class HashOperator(_Strict):
    """Keyed HMAC-SHA256 with ``key`` (else the server's ``BASTION_HMAC_KEY``), ``length`` hex digits."""

    type: Literal["hash"]
    key: (
        Annotated[str, Field(min_length=1, max_length=MAX_HASH_KEY_CHARS), AfterValidator(_no_surrogates)]
        | None
    ) = None
    length: int = Field(16, ge=8, le=64)


class PseudonymizeOperator(_Strict):
    """``<LABEL_n>`` tokens kept in the session's encrypted vault (needs ``session_id`` and a
    server with a privacy store); ``POST /v1/restore`` puts the values back."""

    type: Literal["pseudonymize"]


OperatorSpec = Annotated[
    ReplaceOperator | MaskOperator | HashOperator | PseudonymizeOperator,
    Field(discriminator="type"),
    BeforeValidator(_operator_spec),
]

# A list entry's text: short, and encodable (a decision's ``rule`` quotes it in the response).
EntryText = Annotated[str, Field(min_length=1, max_length=MAX_ENTRY_CHARS), AfterValidator(_no_surrogates)]


class ListEntryIn(_Strict):
    """``{"exact": ...}``, ``{"glob": ...}``, ``{"regex": ...}`` or ``{"sha256": ...}`` (one
    key; which kinds a list takes, and the regex safety rules, are Policy's). No ``label``:
    a deny term found under a caller-chosen label would be a new metrics label per request."""

    exact: EntryText | None = None
    glob: EntryText | None = None
    regex: EntryText | None = None
    sha256: EntryText | None = None


ListEntrySpec = EntryText | ListEntryIn
AllowLabel = Annotated[str, Field(pattern=r"^(?:\*|[A-Za-z][A-Za-z0-9_]{0,63})$")]


class PolicyOverride(_Strict):
    """Per-request policy overrides (a bounded subset of :class:`~bastion.policy.Policy`).

    >>> PolicyOverride.model_validate({"pii_action": "block"}).pii_action
    'block'
    """

    injection_threshold: Score | None = None
    injection_operating_point: Literal["default", "strict", "indirect"] = "default"
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
    # each list, when set, replaces the server's list of that name (like every field here)
    allow_list: dict[AllowLabel, list[ListEntrySpec]] = Field(
        default_factory=dict, max_length=MAX_OVERRIDE_ENTRIES
    )
    deny_terms: list[ListEntrySpec] = Field(default_factory=list, max_length=MAX_LIST_ENTRIES)
    injection_allow_list: list[ListEntrySpec] = Field(default_factory=list, max_length=MAX_LIST_ENTRIES)

    @model_validator(mode="after")
    def _bounded_lists(self) -> "PolicyOverride":
        n = sum(map(len, self.allow_list.values())) + len(self.deny_terms) + len(self.injection_allow_list)
        if n > MAX_LIST_ENTRIES:
            raise ValueError(
                f"allow_list, deny_terms and injection_allow_list hold {n} entries together, "
                f"over the limit of {MAX_LIST_ENTRIES}"
            )
        return self

    def overrides(self) -> dict[str, Any]:
        """Only the fields the request set, as plain JSON values for ``Policy.with_overrides``."""
        out = self.model_dump(mode="json", exclude_unset=True)
        # a mapping entry keeps only the key the caller sent (Policy checks there is one)
        for key in ("deny_terms", "injection_allow_list"):
            if key in out:
                out[key] = [_entry(e) for e in getattr(self, key)]
        if "allow_list" in out:
            out["allow_list"] = {k: [_entry(e) for e in v] for k, v in self.allow_list.items()}
        return out

    def pseudonymizes(self) -> bool:
        return any(
            isinstance(spec, PseudonymizeOperator)
            for spec in (self.default_operator, *self.operators.values())
        )


def _entry(spec: str | ListEntryIn) -> Any:
    return spec if isinstance(spec, str) else spec.model_dump(exclude_unset=True)


def _policy_pseudonymizes(policy: Policy) -> bool:
    for spec in (policy.default_operator, *policy.operators.values()):
        kind = spec.get("type") if isinstance(spec, Mapping) else spec
        if isinstance(kind, str) and kind.startswith("pseudonym"):
            return True
    return False


class CheckRequest(_Strict):
    """Body of ``POST /v1/check`` and ``POST /v1/redact``."""

    text: str = Field(description="the prompt to check")
    policy: PolicyOverride | None = Field(default=None, description="Policy field overrides for this request")
    user_id: UserId | None = None
    session_id: SessionId | None = None


class BatchRequest(_Strict):
    """Body of ``POST /v1/check/batch``."""

    texts: list[str] = Field(min_length=1, description="prompts to check (bounded, see Settings.max_batch)")
    policy: PolicyOverride | None = None
    user_id: UserId | None = None
    session_id: SessionId | None = None


class MessagesRequest(_Strict):
    """Body of ``POST /v1/check/messages``: a chat array in OpenAI or Anthropic shape."""

    messages: list[ChatMessageIn] = Field(min_length=1, max_length=MAX_MESSAGES)
    system: str | None = Field(default=None, description="Anthropic-style top-level system prompt")
    canaries: list[Annotated[str, Field(min_length=8, max_length=MAX_CANARY_CHARS, pattern=r"^\S+$")]] = (
        Field(
            default_factory=list,
            max_length=MAX_CANARIES,
            description="canary tokens planted in the system prompt; an answer revealing one is blocked",
        )
    )
    policy: PolicyOverride | None = Field(
        default=None, description="overrides for the user and tool messages (answers use the output policy)"
    )
    user_id: UserId | None = None
    session_id: SessionId | None = None


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
    sessions: SessionVaults | None = None
    telemetry: Telemetry = field(default_factory=Telemetry.disabled)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)


_REF = "#/components/schemas/{model}"


def _body_schema(model: type[BaseModel]) -> dict[str, Any]:
    # a reference into components: the schema itself is added by the app's openapi()
    ref = {"$ref": _REF.format(model=model.__name__)}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": what}
    for code, what in (
        (400, "not JSON / not UTF-8, or an API key in the URL"),
        (401, "missing or unknown API key"),
        (403, "revoked API key"),
        (408, "request body too slow"),
        (413, "body, text or batch over the server's limits"),
        (422, "invalid request (the detail names the field)"),
        (429, "rate limit or failed-auth limit; see Retry-After"),
        (503, "models still loading"),
    )
}
_SECURED = {"security": [{"bearerAuth": []}]}


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
    logged as one line, any unexpected exception answered with a JSON 500 that carries
    no traceback (the connection stays usable), and, when telemetry is on, one span per
    request with attributes only (route, status, action and label counts, never text)."""

    def __init__(
        self, app: Any, metrics: Metrics, routes: frozenset[str], telemetry: Telemetry | None = None
    ) -> None:
        self.app, self.metrics, self.routes = app, metrics, routes
        self.telemetry = telemetry or Telemetry.disabled()

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
                query = scope.get("query_string", b"").decode("latin-1")
                if query and has_key_param(query):
                    # servers log the scope's query string; the key must not end up there
                    scope["query_string"] = scrub_query(query).encode("latin-1")
                    await _send_json(
                        send_wrapper,
                        400,
                        {
                            "detail": "API keys are not accepted in the URL; send 'Authorization: Bearer <key>'"
                        },
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
                    reraise = exc
                else:
                    await _send_json(
                        send_wrapper, 500, {"detail": "internal server error", "request_id": rid}
                    )
            finally:
                route_obj = scope.get("route")
                path = getattr(route_obj, "path", None) or scope.get("path", "")
                route = path if path in self.routes else "other"
                method = scope.get("method", "")
                method = method if method in _METHODS else "other"
                self.metrics.requests.labels(route, method, str(status)).inc()
                self.metrics.latency.labels(route).observe(time.perf_counter() - t0)
                if span is not None:
                    _span_attributes(span, state, route, method, status, t0)
        if reraise is not None:
            raise reraise


def _span_attributes(
    span: Any, state: dict[str, Any], route: str, method: str, status: int, t0: float
) -> None:
    results: list[CheckResult] = state.get("results") or []
    # Telemetry.record: action / label counts, max injection score, model versions, latency
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


def _open_store(url: str) -> Any:
    from bastion.api.audit_log import _load_store

    return _load_store(url)


def create_app(
    *,
    guard: Guard | None = None,
    settings: Settings | None = None,
    guard_factory: Callable[[], Guard] | None = None,
    key_store: Any = None,
    audit_stream: IO[str] | None = None,
    privacy_store: Any = None,
    telemetry: Any = None,
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
    """
    settings = settings or Settings()
    metrics = Metrics()
    store = privacy_store
    if store is None and settings.audit_store_url:
        store = _open_store(settings.audit_store_url)
    audit = AuditLogger(settings.audit_hmac_key, stream=audit_stream, store=store)
    if store is not None and store.text_hmac("") != fingerprint(settings.audit_hmac_key, ""):
        # e.g. Settings() built by hand with its random key: both still work, apart
        log.warning(
            "the audit log and the audit store use different audit keys: their text_hmac "
            "values will not match (set BASTION_AUDIT_HMAC_KEY or use Settings.from_env)"
        )
    state = _State(settings, metrics, audit, guard_factory or Guard.default, guard=guard)
    state.telemetry = Telemetry.from_option(telemetry if telemetry is not None else settings.otel)
    if store is not None:
        try:
            state.sessions = SessionVaults(store, ttl_s=settings.session_ttl_s)
        except BastionError as exc:
            # the audit trail works without a vault key; only sessions are off
            log.warning("pseudonymisation sessions are off: %s", public_message(str(exc)))
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

    async def _purge_sessions(sessions: SessionVaults) -> None:
        every = min(600.0, max(1.0, settings.session_ttl_s / 4))
        while True:
            try:
                n = await anyio.to_thread.run_sync(sessions.purge_expired)
                if n:
                    audit.event("sessions_expired", vault_entries=n)
            except Exception as exc:
                log.error("session purge failed: %s", type(exc).__name__)
            await asyncio.sleep(every)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if state.guard is not None:
            _activate(state.guard)
            if isinstance(state.runner, MicroBatcher):
                await state.runner.start()
        else:
            state.tasks.append(asyncio.create_task(_load()))
        if state.sessions is not None:
            state.tasks.append(asyncio.create_task(_purge_sessions(state.sessions)))
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
        "unless auth is disabled. See docs/api.md for limits, errors and examples.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
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
        request.state.key_id = key_id
        return key_id

    def runner() -> Runner:
        if state.runner is None:
            raise _error(
                503,
                "models are still loading" if state.error is None else "guard failed to load",
                {"Retry-After": "1"},
            )
        return state.runner

    def user_for(request: Request, body_user: str | None) -> str | None:
        """The end user: ``X-Bastion-User`` or the body's ``user_id`` (they must agree)."""
        header = request.headers.get(USER_HEADER)
        if header is not None and not _USER_ID.match(header):
            raise _error(
                422, f"invalid {USER_HEADER} header: 1-128 characters of A-Z a-z 0-9 . _ @ : + / = -"
            )
        if header is not None and body_user is not None and header != body_user:
            raise _error(422, f"the {USER_HEADER} header and the body's user_id differ")
        return header if header is not None else body_user

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
            build_operator(spec.model_dump(exclude_unset=True))
        assert state.guard is not None
        try:
            pol = state.guard.policy.with_overrides(overrides)
        except (TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise ConfigError(str(exc)) from exc
        return pol, json.dumps(overrides, sort_keys=True)

    async def vault_for(
        override: PolicyOverride | None,
        pol: Policy | None,
        key_id: str | None,
        user_id: str | None,
        session_id: str | None,
    ) -> tuple[Vault | None, str]:
        """The session vault when the request pseudonymises (else ``None``) and the part
        of the batching key that keeps other sessions' texts out of its batch."""
        asked = override is not None and override.pseudonymizes()
        if asked and state.sessions is None:
            raise _error(
                422,
                "the pseudonymize operator needs a privacy store on the server (bastion serve "
                "--audit-store, with BASTION_VAULT_KEY set); use replace, mask or hash instead",
            )
        if asked and session_id is None:
            raise _error(422, "the pseudonymize operator needs a session_id (POST /v1/restore takes it back)")
        effective = pol or (state.guard.policy if state.guard else None)
        if session_id is None or state.sessions is None or effective is None:
            return None, ""
        if not _policy_pseudonymizes(effective):
            return None, ""
        sessions = state.sessions
        vault = await anyio.to_thread.run_sync(sessions.vault, key_id, user_id or key_id, session_id)
        return vault, f"|vault:{vault.owner}/{vault.scope}"

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
        request: Request,
        route: str,
        key_id: str | None,
        texts: list[str],
        results: list[CheckResult],
        user_id: str | None = None,
        where: list[tuple[int, str]] | None = None,
    ) -> None:
        """Metrics and audit for checked texts; ``where`` is (message index, role) per
        text of a conversation."""
        rid = request.state.request_id
        request.state.results = results
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
                index=where[i][0] if where is not None else (i if len(texts) > 1 else None),
                user_id=user_id,
                role=None if where is None else where[i][1],
            )
        if audit.store is not None:

            def _record() -> int:
                return sum(
                    not audit.record(request_id=rid, key_id=key_id, text=t, result=r, user_id=user_id)
                    for t, r in zip(texts, results, strict=True)
                )

            failed = await anyio.to_thread.run_sync(_record)
            if failed:
                metrics.audit_errors.inc(failed)

    def public(result: CheckResult, vault: Vault | None) -> dict[str, Any]:
        d = _public_result(result)
        if vault is not None:
            d["pseudonyms"] = list(result.pseudonyms)
        return d

    async def _single(request: Request, route: str, key_id: str | None, run: Runner) -> JSONResponse:
        body = await _read_body(request, settings.max_body_bytes, settings.body_timeout_s)
        req = _parse(body, CheckRequest)
        user = user_for(request, req.user_id)
        texts = validate_texts([req.text])
        pol, key = policy_for(req.policy)
        vault, vkey = await vault_for(req.policy, pol, key_id, user, req.session_id)
        results = await run.check(texts, pol, key + vkey, vault=vault)
        await finish(request, route, key_id, texts, results, user)
        return JSONResponse(public(results[0], vault))

    def guarded(body: type[BaseModel]) -> dict[str, Any]:
        """Route options of a /v1 route: tag, error responses, body schema, bearer auth."""
        return {"tags": ["guard"], "responses": _ERRORS, "openapi_extra": {**_body_schema(body), **_SECURED}}

    @app.post(
        "/v1/check",
        response_model=CheckResultOut,
        **guarded(CheckRequest),
    )
    async def check(
        request: Request,
        key_id: Annotated[str | None, Depends(authorize)],
        run: Annotated[Runner, Depends(runner)],
    ) -> JSONResponse:
        """Check one prompt; returns ``CheckResult.to_dict()``."""
        return await _single(request, "/v1/check", key_id, run)

    @app.post(
        "/v1/redact",
        response_model=CheckResultOut,
        **guarded(CheckRequest),
    )
    async def redact(
        request: Request,
        key_id: Annotated[str | None, Depends(authorize)],
        run: Annotated[Runner, Depends(runner)],
    ) -> JSONResponse:
        """Redact one text; the same result shape as /v1/check, the redacted text is ``redacted_text``."""
        return await _single(request, "/v1/redact", key_id, run)

    @app.post(
        "/v1/check/batch",
        response_model=BatchResultOut,
        **guarded(BatchRequest),
    )
    async def check_batch(
        request: Request,
        key_id: Annotated[str | None, Depends(authorize)],
        run: Annotated[Runner, Depends(runner)],
    ) -> JSONResponse:
        """Check up to ``max_batch`` prompts; returns ``{"results": [CheckResult.to_dict(), ...]}``."""
        body = await _read_body(request, settings.max_body_bytes, settings.body_timeout_s)
        req = _parse(body, BatchRequest)
        user = user_for(request, req.user_id)
        if len(req.texts) > settings.max_batch:
            raise _error(413, f"batch has {len(req.texts)} texts, over the limit of {settings.max_batch}")
        texts = validate_texts(req.texts)
        pol, key = policy_for(req.policy)
        vault, vkey = await vault_for(req.policy, pol, key_id, user, req.session_id)
        results = await run.check(texts, pol, key + vkey, vault=vault)
        await finish(request, "/v1/check/batch", key_id, texts, results, user)
        return JSONResponse({"results": [public(r, vault) for r in results]})

    @app.post(
        "/v1/check/messages",
        response_model=MessagesResultOut,
        **guarded(MessagesRequest),
    )
    async def check_messages_route(
        request: Request,
        key_id: Annotated[str | None, Depends(authorize)],
        run: Annotated[Runner, Depends(runner)],
    ) -> JSONResponse:
        """Check a chat array (OpenAI or Anthropic shape) role by role: user messages as
        input, tool results as indirect input, assistant messages as output (with canaries
        and system-prompt leaks); returns ``MessagesResult.to_dict()``."""
        body = await _read_body(request, settings.max_body_bytes, settings.body_timeout_s)
        req = _parse(body, MessagesRequest)
        user = user_for(request, req.user_id)
        messages = [m.model_dump(mode="python", exclude_unset=True) for m in req.messages]
        pieces = parse_messages(messages)
        validate_texts([p.text for p in pieces] or [""])
        if req.system is not None:
            validate_texts([req.system])
        pol, _ = policy_for(req.policy)
        vault, _ = await vault_for(req.policy, pol, key_id, user, req.session_id)
        assert state.guard is not None
        guard = state.guard
        size = sum(len(p.text) for p in pieces)

        def _run() -> Any:
            return check_messages(
                guard, messages, system=req.system, canaries=req.canaries, policy=pol, vault=vault
            )

        result = await run.call(_run, size)
        metrics.batch_size.observe(len(pieces))
        checked = [(p, m) for p, m in zip(pieces, result.messages, strict=True) if m.result is not None]
        request.state.overall_action = result.action.value
        await finish(
            request,
            "/v1/check/messages",
            key_id,
            [p.text for p, _ in checked],
            [m.result for _, m in checked],  # type: ignore[misc]
            user,
            where=[(m.index, m.role) for _, m in checked],
        )
        out = result.to_dict()
        for d, m in zip(out["messages"], result.messages, strict=True):
            if m.result is not None:
                d["result"] = public(m.result, vault)
        return JSONResponse(out)

    @app.post(
        "/v1/restore",
        response_model=RestoreOut,
        tags=["guard"],
        responses={**_ERRORS, 404: {"model": ErrorOut, "description": "unknown or expired session"}},
        openapi_extra={**_body_schema(RestoreRequest), **_SECURED},
    )
    async def restore_route(
        request: Request, key_id: Annotated[str | None, Depends(authorize)]
    ) -> JSONResponse:
        """Put a session's pseudonymised values back into a text (an LLM's answer): only
        for the API key and user that created the session, until the session expires."""
        body = await _read_body(request, settings.max_body_bytes, settings.body_timeout_s)
        req = _parse(body, RestoreRequest)
        user = user_for(request, req.user_id)
        if state.sessions is None:
            raise _error(
                422,
                "restore needs a privacy store on the server (bastion serve --audit-store, with "
                "BASTION_VAULT_KEY set); the pseudonymize operator is refused without one",
            )
        (text,) = validate_texts([req.text])
        sessions = state.sessions
        out = await anyio.to_thread.run_sync(
            sessions.restore, key_id, user or key_id, req.session_id, text, req.tokens
        )
        if out is None:
            raise _error(404, "unknown or expired session for this API key and user")
        audit.event(
            "restore",
            request_id=request.state.request_id,
            key_id=key_id,
            user_hmac=audit.user_hmac(user),
            restored=out.restored,
            unknown=out.unknown,
            length=len(text),
        )
        return JSONResponse({"text": out.text, "restored": out.restored, "unknown": out.unknown})

    @app.get("/healthz", tags=["ops"], response_model=HealthOut)
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["ops"],
        response_model=ReadyOut,
        responses={503: {"model": ReadyOut, "description": "starting, or the Guard failed to load"}},
    )
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

    @app.get(
        "/metrics",
        tags=["ops"],
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}}}},
    )
    async def metrics_endpoint() -> Response:
        """Prometheus metrics of this app instance."""
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    if settings.docs:
        add_offline_docs(app)
    # /ui (playground) and /ui/dashboard: static pages on the same JSON API and bearer auth
    app.include_router(ui_router(authorize, state))

    request_models = (CheckRequest, BatchRequest, MessagesRequest, RestoreRequest)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = doc.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        for model in request_models:
            schemas[model.__name__] = hoist_defs(model.model_json_schema(ref_template=_REF), schemas)
        components.setdefault("securitySchemes", {})["bearerAuth"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "an API key from `bastion keys create` (keys in the URL are refused)",
        }
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]

    routes = frozenset(r.path for r in app.routes if hasattr(r, "path"))
    app.add_middleware(_Edge, metrics=metrics, routes=routes, telemetry=state.telemetry)
    return app


__all__ = [
    "BastionError",
    "BatchRequest",
    "CheckRequest",
    "MessagesRequest",
    "PolicyOverride",
    "Settings",
    "create_app",
    "public_message",
]
