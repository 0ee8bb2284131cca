"""What the API's routes depend on: the app's state, bearer auth, the ready runner, and the
per-request checks of users, policy overrides, session vaults and texts.

The state is one :class:`AppState` per app (``app.state.bastion``), read by the
dependencies through the request, so that routes live in plain ``APIRouter`` modules
(:mod:`bastion.api.routes`) instead of a closure over ``create_app``'s locals:

>>> from fastapi import Depends
>>> async def route(key_id: Annotated[str | None, Depends(authorize)]) -> None: ...  # doctest: +SKIP
>>> public_message("model not found at /srv/models/injection")
'model not found at injection'
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import PurePath, PureWindowsPath
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import Depends, FastAPI, HTTPException, Request

from bastion.api.audit_log import AuditLogger
from bastion.api.batcher import MicroBatcher, Runner, ThreadPoolRunner
from bastion.api.edge import DATABASE_UNAVAILABLE, UNAVAILABLE_RETRY_AFTER_S, store_call
from bastion.api.metrics import Metrics
from bastion.api.models import USER_ID_PATTERN, PolicyOverride, subject
from bastion.api.ratelimit import RateLimiter
from bastion.api.sessions import SessionVaults
from bastion.api.settings import Settings, default_db_url
from bastion.errors import ConfigError
from bastion.guard import Guard, coerce_text
from bastion.policy import Policy
from bastion.redact import Vault, build_operator
from bastion.telemetry import Telemetry

log = logging.getLogger("bastion.api")

USER_HEADER = "x-bastion-user"
_USER_ID = re.compile(USER_ID_PATTERN)
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


def http_error(
    status: int, detail: str, headers: Mapping[str, str] | None = None, code: str | None = None
) -> HTTPException:
    """The API's error: ``{"detail": ...}`` with ``status`` (``code`` is the proxy's, unused here)."""
    return HTTPException(status_code=status, detail=detail, headers=dict(headers or {}))


# -- bearer auth ------------------------------------------------------------------------------------

# (status, message, headers, code) -> the exception the app answers with
AuthError = Callable[[int, str, Mapping[str, str], str], Exception]


class BearerAuth:
    """Dependency: the API key id of a request (``None`` with auth off), or 401 / 403 / 429.

    Failed attempts are counted per client IP; an IP over ``failures``' limit gets 429
    before its key is even looked at, while other IPs (and their keys) are unaffected. Then
    the key (or, with auth off, the client IP) is charged one request on ``limiter``.
    ``error`` builds the exception in the app's error shape (the proxy's is OpenAI's).
    """

    def __init__(
        self,
        metrics: Metrics,
        *,
        enabled: bool,
        key_store: Any = None,
        limiter: RateLimiter | None = None,
        failures: RateLimiter | None = None,
        error: AuthError = http_error,
        missing: str = "missing API key: send 'Authorization: Bearer <key>'",
    ) -> None:
        self.metrics, self.enabled, self.key_store = metrics, enabled, key_store
        self.limiter, self.failures = limiter, failures
        self.error, self.missing = error, missing
        self._verifying = _LockPerKey()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        metrics: Metrics,
        key_store: Any = None,
        *,
        namespace: str = "bastion",
        **kw: Any,
    ) -> BearerAuth:
        """Auth as ``settings`` say: a key store on ``settings.db_url`` unless one is given,
        the rate limit and the failed-auth limit in ``namespace`` (one per app kind)."""
        if settings.auth_enabled and key_store is None:
            from bastion.api.keys import KeyStore

            key_store = KeyStore(settings.db_url or default_db_url(), serving=True)
        limiter = failures = None
        if settings.rate_limit:
            limiter = RateLimiter(settings.rate_limit, settings.redis_url, namespace=namespace)
        if settings.auth_enabled and settings.auth_failure_limit:
            failures = RateLimiter(
                settings.auth_failure_limit, settings.redis_url, namespace=f"{namespace}-auth-failures"
            )
        return cls(
            metrics,
            enabled=settings.auth_enabled,
            key_store=key_store,
            limiter=limiter,
            failures=failures,
            **kw,
        )

    async def __call__(self, request: Request) -> str | None:
        ip = request.client.host if request.client else "unknown"
        key_id = await self._key_id(request, ip) if self.enabled else None
        if self.limiter is not None:
            decision = await self.limiter.hit(key_id or f"ip:{ip}")
            if not decision.allowed:
                raise self._too_many(
                    f"rate limit {self.limiter.spec} exceeded; retry in {decision.retry_after_s}s",
                    decision.retry_after_s,
                )
        request.state.key_id = key_id
        return key_id

    async def _key_id(self, request: Request, ip: str) -> str:
        if self.failures is None:
            return await self._verify(request, ip)
        # one verification at a time per address: the failed-auth count is only raised after
        # a key is looked at, so concurrent guesses would all pass the "blocked?" test first
        # (100 parallel bad keys were all looked at under a 30/minute limit). A lookup takes
        # about a millisecond, so an address's valid traffic hardly waits.
        async with self._verifying.hold(ip):
            return await self._verify(request, ip)

    async def _verify(self, request: Request, ip: str) -> str:
        if self.failures is not None:
            blocked = await self.failures.blocked(ip)
            if blocked is not None:
                raise self._too_many(
                    f"too many failed authentications from this address; retry in {blocked.retry_after_s}s",
                    blocked.retry_after_s,
                )
        given = request.headers.getlist("authorization")
        if len(given) > 1:
            # a gateway appending its own credential after the client's: refuse, never pick
            # one (the first one once won, and was charged and audited)
            raise self.error(
                400,
                f"the Authorization header is given {len(given)} times; send exactly one",
                {},
                "invalid_request_error",
            )
        scheme, _, token = (given[0] if given else "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise await self._failed(ip, 401, self.missing)
        try:
            verdict = await store_call(self.key_store.verify, token.strip())
        except TimeoutError:
            raise self.error(
                503,
                DATABASE_UNAVAILABLE,
                {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_S)},
                "service_unavailable",
            ) from None
        if verdict.status == "unknown":
            raise await self._failed(ip, 401, "unknown API key")
        if verdict.status == "revoked":
            raise await self._failed(ip, 403, "API key has been revoked")
        return verdict.key_id

    def _too_many(self, message: str, retry_after_s: int) -> Exception:
        self.metrics.rate_limited.inc()
        return self.error(429, message, {"Retry-After": str(retry_after_s)}, "rate_limit_exceeded")

    async def _failed(self, ip: str, status: int, message: str) -> Exception:
        self.metrics.auth_failures.inc()
        if self.failures is not None:
            await self.failures.hit(ip)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
        return self.error(status, message, headers, "invalid_api_key")

    def close(self) -> None:
        if self.key_store is not None:
            self.key_store.close()


class _LockPerKey:
    """An asyncio lock per key (a client address), dropped when nobody holds or waits for it,
    so a stream of one-off addresses does not grow the table."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        lock = lock or asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


# -- the app's state --------------------------------------------------------------------------------


@dataclass
class ServingState:
    """What the API and the proxy share (``app.state.bastion``): settings, metrics, audit,
    auth, and the Guard (``None`` until loaded; ``error`` says why when loading failed).
    Each kind adds its own resources, opened in ``start()`` and released in ``stop()``,
    which run in :func:`lifespan`."""

    settings: Settings
    metrics: Metrics
    audit: AuditLogger
    auth: BearerAuth
    guard_factory: Callable[[], Guard]
    guard: Guard | None = None
    error: str | None = None
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    # called with the error when the Guard fails to load: the CLI stops the server (exit 1);
    # an embedded app keeps answering 503 with /readyz "failed"
    on_load_failure: Callable[[str], None] | None = None

    def load_failed(self, error: str) -> None:
        self.error = error
        log.error("the guard failed to load: %s", error)
        self.audit.event("guard_load_failed", level="error", error=error)
        if self.on_load_failure is not None:
            self.on_load_failure(error)

    @property
    def key_store(self) -> Any:
        return self.auth.key_store

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError


@dataclass
class AppState(ServingState):
    """The API's state: the runner (``None`` until the Guard is loaded), sessions, telemetry."""

    runner: Runner | None = None
    sessions: SessionVaults | None = None
    telemetry: Telemetry = field(default_factory=Telemetry.disabled)

    def activate(self, guard: Guard) -> None:
        """Serve with ``guard``: the runner ``Settings.mode`` names."""
        s, observe = self.settings, self.metrics.batch_size.observe
        self.guard = guard
        if s.mode == "batcher":
            self.runner = MicroBatcher(
                guard,
                max_batch=s.batch_max_size,
                max_wait_s=s.batch_max_wait_ms / 1000.0,
                workers=s.inference_threads,
                on_batch=observe,
                max_chars=s.batch_max_chars,
                large_request_chars=s.large_request_chars,
            )
        else:
            self.runner = ThreadPoolRunner(
                guard, s.inference_threads, on_batch=observe, large_request_chars=s.large_request_chars
            )

    async def start(self) -> None:
        """Lifespan start: serve the given Guard now, or load one in a thread (``/readyz``
        answers 503 meanwhile); purge expired sessions in the background."""
        if self.guard is not None:
            await self._serve(self.guard)
        else:
            self.tasks.append(asyncio.create_task(self._load()))
        if self.sessions is not None:
            self.tasks.append(asyncio.create_task(self._purge_sessions(self.sessions)))

    async def stop(self) -> None:
        """Lifespan end (after :func:`lifespan` cancelled the tasks): drain the runner."""
        if self.runner is not None:
            await self.runner.aclose()

    async def _serve(self, guard: Guard) -> None:
        self.activate(guard)
        if isinstance(self.runner, MicroBatcher):
            await self.runner.start()

    async def _load(self) -> None:
        try:
            g = await anyio.to_thread.run_sync(self.guard_factory, abandon_on_cancel=True)
        except Exception as exc:
            self.load_failed(public_message(f"{type(exc).__name__}: {exc}"))
            return
        await self._serve(g)
        self.audit.event(
            "ready", degraded=g.degraded, model_versions=dict(g.model_versions), mode=self.settings.mode
        )

    async def _purge_sessions(self, sessions: SessionVaults) -> None:
        every = min(600.0, max(1.0, self.settings.session_ttl_s / 4))
        while True:
            try:
                n = await anyio.to_thread.run_sync(sessions.purge_expired)
                if n:
                    self.audit.event("sessions_expired", vault_entries=n)
            except Exception as exc:
                log.error("session purge failed: %s", type(exc).__name__)
            await asyncio.sleep(every)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The lifespan of an app serving a :class:`ServingState` (the API's, the proxy's): its
    ``start()``; on the way out its background tasks cancelled, its ``stop()``, and the key
    store and audit store closed."""
    state: ServingState = app.state.bastion
    await state.start()
    try:
        yield
    finally:
        for t in state.tasks:
            t.cancel()
        await state.stop()
        state.auth.close()
        state.audit.close()


def serving_app(state: ServingState, *, title: str, description: str) -> FastAPI:
    """A FastAPI app serving ``state``: its lifespan, no CDN-backed docs pages."""
    app = FastAPI(
        title=title,
        version="0.1.0",
        description=description,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # "/v1/check/" is a 404 like any unknown path: the redirect Starlette sends instead
        # is an empty 307 whose Location is built from the client's Host header
        redirect_slashes=False,
        **_no_framework_telemetry(),
    )
    app.state.bastion = state
    return app


def _no_framework_telemetry() -> dict[str, Any]:
    """FastAPI's own OpenTelemetry (0.16x; on whenever a global provider is set) puts each
    request's raw path and query in its server span, and validation errors' messages in its
    logs: API keys the server refuses in URLs, PII in paths. ``bastion.http`` (the Edge
    middleware) is the request span, with scrubbed attributes only. Older FastAPI versions
    have no such option and no such spans."""
    import inspect

    if "telemetry" in inspect.signature(FastAPI).parameters:
        return {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    return {}


def app_state(request: Request) -> AppState:
    """Dependency: the state of the app serving ``request``."""
    return request.app.state.bastion


State = Annotated[AppState, Depends(app_state)]


async def authorize(request: Request) -> str | None:
    """Dependency: the app's :class:`BearerAuth` (the API key id, or ``None`` with auth off)."""
    return await app_state(request).auth(request)


def ready_runner(state: State) -> Runner:
    """Dependency: the runner, or 503 while the Guard loads (or after it failed to)."""
    if state.runner is None:
        raise http_error(
            503,
            "models are still loading" if state.error is None else "guard failed to load",
            {"Retry-After": "1"},
        )
    return state.runner


KeyId = Annotated[str | None, Depends(authorize)]
ReadyRunner = Annotated[Runner, Depends(ready_runner)]


# -- per-request checks -----------------------------------------------------------------------------


def user_for(request: Request, body_user: str | None) -> str | None:
    """The end user: ``X-Bastion-User`` or the body's ``user_id`` (they must agree)."""
    values = request.headers.getlist(USER_HEADER)
    if len(set(values)) > 1:
        # a gateway appending the real user after one the client sent: refuse, never pick
        raise http_error(422, f"the {USER_HEADER} header is given {len(values)} times, with different users")
    header = values[0] if values else None
    if header is not None and not _USER_ID.match(header):
        raise http_error(
            422, f"invalid {USER_HEADER} header: 1-128 characters of A-Z a-z 0-9 . _ @ : + / = -"
        )
    if header is not None and body_user is not None and header != body_user:
        raise http_error(422, f"the {USER_HEADER} header and the body's user_id differ")
    return header if header is not None else body_user


def validate_texts(texts: list[str], cap: int) -> list[str]:
    """``texts`` as the Guard takes them; 413 for one over ``cap`` characters, or over
    ``EXPANSION_ALLOWANCE`` x ``cap`` once NFKC has expanded it (the Guard's own cap is its
    policy's, 1,000,000 by default: 100,000 U+FDFA would be 1.8 M characters of model work)."""
    import unicodedata

    from bastion.pipeline import EXPANSION_ALLOWANCE

    out = []
    for i, t in enumerate(texts):
        where = "text" if len(texts) == 1 else f"texts[{i}]"
        if len(t) > cap:
            raise http_error(413, f"{where} has {len(t)} characters, over the limit of {cap}")
        if isinstance(t, str) and not t.isascii():
            n = len(unicodedata.normalize("NFKC", t))
            if n > EXPANSION_ALLOWANCE * cap:
                raise http_error(
                    413,
                    f"{where} reads as {n} characters once normalised (NFKC expands some characters), "
                    f"over {EXPANSION_ALLOWANCE} x the limit of {cap}",
                )
        out.append(coerce_text(t))
    return out


def policy_for(state: AppState, override: PolicyOverride | None) -> tuple[Policy | None, str]:
    """The server's policy with the request's overrides (``None`` without any) and the part
    of the batching key that keeps texts of other policies out of its batch; 422 for an
    override beyond the server's caps or one it cannot honour."""
    if override is None:
        return None, ""
    overrides = override.overrides()
    if not overrides:
        return None, ""
    cap = state.settings.max_text_chars
    if "max_chars" in overrides and override.max_chars is not None and override.max_chars > cap:
        raise http_error(
            422, f"invalid policy override: max_chars {override.max_chars} is over the server's cap of {cap}"
        )
    server_tokens = getattr(state.guard.policy, "max_tokens", None) if state.guard else None
    if override.max_tokens is not None and server_tokens is not None and override.max_tokens > server_tokens:
        raise http_error(
            422,
            f"invalid policy override: max_tokens {override.max_tokens} is over the server's budget "
            f"of {server_tokens}",
        )
    # (a null max_tokens is dropped as "the server's" by overrides(): it cannot lift the budget)
    # build the operators now, so a spec the server cannot honour (e.g. hash without any
    # key configured) is a 422 here, not an error inside the batch it would share
    for spec in override.operator_specs():
        build_operator(spec.model_dump(exclude_unset=True))
    assert state.guard is not None
    try:
        pol = state.guard.policy.with_overrides(overrides)
    except (TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise ConfigError(str(exc)) from exc
    return pol, json.dumps(overrides, sort_keys=True)


def _policy_pseudonymizes(policy: Policy) -> bool:
    for spec in (policy.default_operator, *policy.operators.values()):
        kind = spec.get("type") if isinstance(spec, Mapping) else spec
        if isinstance(kind, str) and kind.startswith("pseudonym"):
            return True
    return False


async def vault_for(
    state: AppState,
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
        raise http_error(
            422,
            "the pseudonymize operator needs a privacy store on the server (bastion serve "
            "--audit-store, with BASTION_VAULT_KEY set); use replace, mask or hash instead",
        )
    if asked and session_id is None:
        raise http_error(422, "the pseudonymize operator needs a session_id (POST /v1/restore takes it back)")
    effective = pol or (state.guard.policy if state.guard else None)
    if session_id is None or state.sessions is None or effective is None:
        return None, ""
    if not _policy_pseudonymizes(effective):
        return None, ""
    try:
        vault = await store_call(state.sessions.vault, key_id, subject(user_id, key_id), session_id)
    except TimeoutError:
        raise http_error(503, DATABASE_UNAVAILABLE, {"Retry-After": str(UNAVAILABLE_RETRY_AFTER_S)}) from None
    return vault, f"|vault:{vault.owner}/{vault.scope}"


__all__ = [
    "USER_HEADER",
    "AppState",
    "BearerAuth",
    "KeyId",
    "ReadyRunner",
    "ServingState",
    "State",
    "app_state",
    "authorize",
    "lifespan",
    "http_error",
    "policy_for",
    "public_message",
    "ready_runner",
    "serving_app",
    "user_for",
    "validate_texts",
    "vault_for",
]
