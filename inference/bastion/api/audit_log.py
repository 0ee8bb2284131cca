"""Audit events: one structured JSON line per checked text, never the text itself.

An event carries the request id, the API key id, a keyed fingerprint of the end user's
id when the request named one (``user_hmac``), a keyed HMAC-SHA256 fingerprint of the
text (so repeated texts can be correlated without being readable, and low-entropy
values cannot be brute-forced from an unkeyed digest), its length, the labels found and
the labels redacted with counts (a LOCATION allowed by the policy is found, not
redacted), the action and the latency. With the audit store on (``bastion serve
--audit-store``) and the optional ``bastion.store`` package installed, the same check is
also recorded through ``PrivacyStore.record_check``, with the end user's id (which the
store replaces by its pseudonym; the API key id when the request named no user) and the
key id apart. The text fingerprint is :func:`bastion.fingerprint.text_fingerprint`, the
store's own, so with the same audit key a log line and its audit row carry the same
``text_hmac``.
"""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any

import structlog

from bastion.api.edge import store_call
from bastion.api.models import subject
from bastion.errors import ConfigError
from bastion.fingerprint import hmac_hex, text_fingerprint
from bastion.results import audit_fields
from bastion.types import CheckResult

try:
    # stdlib only, but inside bastion.store, whose package needs the store extra; imported
    # now, so that a store stubbed or swapped later still gets its URL masked
    from bastion.store import urls as _urls
except ImportError:  # no store extra: there is no store URL to show either
    _urls = None  # type: ignore[assignment]

log = logging.getLogger("bastion.api")


def fingerprint(key: bytes, text: str) -> str:
    """Keyed fingerprint of a text for logs: the audit trail's ``text_hmac`` of it.

    >>> fingerprint(b"k" * 32, "hello") == text_fingerprint(b"k" * 32, "hello")
    True
    """
    return text_fingerprint(key, text)


def user_fingerprint(key: bytes, user_id: str) -> str:
    """Keyed fingerprint of an end user's id for log lines (a different domain from texts,
    so a user id never fingerprints like the same string sent as a prompt).

    >>> k = b"k" * 32
    >>> len(user_fingerprint(k, "alice")), user_fingerprint(k, "alice") == fingerprint(k, "alice")[:32]
    (32, False)
    """
    return hmac_hex(key, "user", user_id)[:32]


def _load_store(url: str) -> Any | None:
    try:
        from bastion.store import PrivacyStore  # type: ignore[attr-defined]
    except ImportError:
        log.info("bastion.store is not installed; audit events go to the log only")
        return None
    shown = _urls.safe_url(url)
    try:
        # serving: statement and lock timeouts, so a stalled database cannot hang requests
        # (a stand-in PrivacyStore, as tests and embedders use, may not take the option)
        serving = {"serving": True} if "serving" in inspect.signature(PrivacyStore).parameters else {}
        store = PrivacyStore(url, **serving)
        # fail at startup, not on every request, when e.g. the store's HMAC key is missing
        store.text_hmac("")
    except Exception as exc:
        # the message may quote the URL (a driver's may): never its password, in the
        # userinfo or a query parameter; and no chained exception, whose traceback would
        # carry the URL again
        detail = str(exc).replace(url, shown)
        for secret in _urls.url_secrets(url):
            detail = detail.replace(secret, _urls.MASK)
        raise ConfigError(f"audit store at {shown} is unusable: {detail}") from None
    return store


class AuditLogger:
    """Writes audit events as JSON lines to ``stream`` (stderr by default).

    Uses a logger wrapped for this instance instead of ``structlog.configure`` so the
    app never changes process-wide logging.

    >>> import io
    >>> buf = io.StringIO(); a = AuditLogger(b"k", stream=buf)
    >>> a.event("startup", detail="x"); '"event": "startup"' in buf.getvalue()
    True
    """

    def __init__(
        self,
        hmac_key: bytes,
        *,
        stream: IO[str] | None = None,
        store_url: str | None = None,
        store: Any = None,
    ) -> None:
        self.hmac_key = hmac_key
        self.logger = structlog.wrap_logger(
            structlog.PrintLogger(stream if stream is not None else sys.stderr),
            processors=[
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.add_log_level,
                structlog.processors.JSONRenderer(sort_keys=False),
            ],
        )
        self.store = store if store is not None else (_load_store(store_url) if store_url else None)

    @classmethod
    def from_settings(cls, settings: Any, *, stream: IO[str] | None = None, store: Any = None) -> AuditLogger:
        """The audit logger of an app: ``settings.audit_hmac_key``, and ``store`` or one
        opened on ``settings.audit_store_url`` (none when that is unset)."""
        audit = cls(settings.audit_hmac_key, stream=stream, store=store, store_url=settings.audit_store_url)
        if audit.store is not None and (legacy := audit.store.audit.unsealed_rows()):
            # every audit write would fail (they refuse an unsealed chain) and only be logged
            # per request: the server and the proxy say so once, when they start
            raise ConfigError(
                f"the audit trail holds {legacy} rows written before keyed MACs (schema 0002) and is "
                "not sealed: run `bastion audit seal` with the audit key, then start again"
            )
        if audit.store is not None and audit.store.text_hmac("") != fingerprint(settings.audit_hmac_key, ""):
            # e.g. Settings() built by hand with its random key: both still work, apart
            log.warning(
                "the audit log and the audit store use different audit keys: their text_hmac "
                "values will not match (set BASTION_AUDIT_HMAC_KEY or use Settings.from_env)"
            )
        return audit

    def event(self, name: str, *, level: str = "info", **fields: Any) -> None:
        getattr(self.logger, level)(name, **fields)

    def user_hmac(self, user_id: str | None) -> str | None:
        """A keyed fingerprint of an end user's id for log lines (never the id itself)."""
        return None if user_id is None else user_fingerprint(self.hmac_key, user_id)

    def check(
        self,
        *,
        request_id: str,
        key_id: str | None,
        route: str,
        text: str,
        result: CheckResult,
        latency_ms: float,
        index: int | None = None,
        user_id: str | None = None,
        role: str | None = None,
        overrides: Sequence[str] = (),
    ) -> None:
        """Log one checked text (the store write is :meth:`record`); ``overrides``: the
        policy fields the request overrode (names only: an allow-list entry may be PII)."""
        fields: dict[str, Any] = {
            "request_id": request_id,
            "key_id": key_id,
            "route": route,
            "text_hmac": fingerprint(self.hmac_key, text),
            "length": len(text),
            **audit_fields(result),
            "latency_ms": round(latency_ms, 3),
        }
        if index is not None:
            fields["index"] = index
        if user_id is not None:
            fields["user_hmac"] = self.user_hmac(user_id)
        if role is not None:
            fields["role"] = role
        if overrides:
            # a key may weaken the server's policy per request: the line says when one did
            fields["policy_overrides"] = sorted(overrides)
        self.logger.info("check", **fields)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    def record(
        self,
        *,
        request_id: str,
        key_id: str | None,
        text: str,
        result: CheckResult,
        user_id: str | None = None,
        overrides: Sequence[str] = (),
    ) -> bool:
        """Blocking store write (call it from a worker thread); ``False`` when it failed.

        ``user_id`` is the end user; without one the key stands in for the user (as
        :func:`~bastion.api.models.subject` names it). ``overrides``: the policy fields the
        request overrode, recorded in the row.
        """
        if self.store is None:
            return True
        user = subject(user_id, key_id)
        try:
            self.store.record_check(
                result,
                user_id=user,
                text=text,
                request_id=request_id,
                key_id=key_id,
                policy_overrides=overrides,
            )
        except Exception as exc:
            # the message is the exception type only: driver errors can echo parameters (the text)
            self.logger.error("audit_store_error", request_id=request_id, error=type(exc).__name__)
            return False
        return True


@dataclass(frozen=True, slots=True)
class Checked:
    """One checked text of a request, for :func:`record_checks`: its position (``index``:
    in the batch, or the message's in a conversation) and its chat ``role`` when it has one."""

    text: str
    result: CheckResult
    index: int | None = None
    role: str | None = None


async def record_checks(
    audit: AuditLogger,
    metrics: Any,
    checked: Sequence[Checked],
    *,
    request_id: str,
    key_id: str | None,
    route: str,
    latency_ms: float,
    user_id: str | None = None,
    overrides: Sequence[str] = (),
) -> None:
    """Metrics, one audit log line per checked text, and (with a store) the audit rows,
    written from a worker thread; failed store writes are counted in ``metrics.audit_errors``."""
    for c in checked:
        metrics.observe_result(c.result)
        audit.check(
            request_id=request_id,
            key_id=key_id,
            route=route,
            text=c.text,
            result=c.result,
            latency_ms=latency_ms,
            index=c.index,
            user_id=user_id,
            role=c.role,
            overrides=overrides,
        )
    if audit.store is None or not checked:
        return

    def write() -> int:
        return sum(
            not audit.record(
                request_id=request_id,
                key_id=key_id,
                text=c.text,
                result=c.result,
                user_id=user_id,
                overrides=overrides,
            )
            for c in checked
        )

    try:
        failed = await store_call(write)
    except TimeoutError:
        # fail-open like any failed audit write: the request is answered, the rows are
        # counted as failed (the abandoned thread may still write them once the database
        # answers; verify then shows them)
        audit.logger.error("audit_store_error", request_id=request_id, error="TimeoutError")
        failed = len(checked)
    if failed:
        metrics.audit_errors.inc(failed)
