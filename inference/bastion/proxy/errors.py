"""The proxy's errors, in OpenAI's shape (``{"error": {"message", "type", "param", "code"}}``)
so the ``openai`` client raises its usual exceptions.

>>> ProxyError(404, "no such model", code="model_not_found").body()["error"]["code"]
'model_not_found'
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from fastapi.responses import JSONResponse


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
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.type = status, message, code, type_
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})  # more fields of the error object (``stage``)

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": None,
                "code": self.code,
                **self.extra,
            }
        }

    def response(self) -> JSONResponse:
        return error_response(self.status, self.body(), self.headers)


def error_response(
    status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def error_body(status: int, message: str, request_id: str) -> dict[str, Any]:
    """The errors the middleware answers itself (``bastion.api.edge.Edge``'s ``error_body``)."""
    return ProxyError(
        status, message, type_="server_error" if status >= 500 else "invalid_request_error"
    ).body()


def auth_error(status: int, message: str, headers: Mapping[str, str], code: str) -> ProxyError:
    """The errors of auth and rate limits (``bastion.api.deps.BearerAuth``'s ``error``)."""
    return ProxyError(status, message, code=code, headers=headers)


def upstream_failed(message: str, code: str, status: int = 502) -> ProxyError:
    """The upstream could not be reached, timed out, or answered what is no chat completion."""
    return ProxyError(status, message, code=code, type_="upstream_error")


def answer_unchecked(reason: str, stage: str, *, length: int, cap: int) -> ProxyError:
    """The upstream's answer could not be checked: ``length`` characters, longer than the
    output policy's ``max_chars`` (``cap``), or not text the guard reads (a lone surrogate,
    ``reason``). A 502, since the request was fine: a 400 would tell the client its own
    request was wrong."""
    if length > cap:
        # the guard's reason names policy.max_chars, the request-side cap: an answer is
        # capped by the output policy's, which a config's policy: does not set
        return ProxyError(
            502,
            f"upstream answer too long to check: {length} characters, over the cap of {cap} "
            "(output_policy.max_chars; a config's output_policy: sets it)",
            code="answer_too_long",
            type_="upstream_error",
            extra={"stage": stage},
        )
    return ProxyError(
        502,
        f"upstream answer could not be checked: {reason}",
        code="bad_upstream",
        type_="upstream_error",
        extra={"stage": stage},
    )


_MASKED_KEY = re.compile(r"(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]{2,16}\*{3,}[A-Za-z0-9_\-]{0,8}")


def upstream_error(resp_status: int, raw: bytes, upstream_key: str | None) -> JSONResponse:
    """An upstream error passed on with its status, in the OpenAI shape.

    A 401/403 is about the proxy's own upstream key: its message (which may quote part of
    that key) is replaced, and the key itself is cut from any other message.
    """
    if resp_status in (401, 403):
        return upstream_failed(
            f"the upstream refused the proxy's credentials (upstream status {resp_status})",
            "upstream_auth_failed",
            resp_status,
        ).response()
    text = raw.decode("utf-8", "replace")
    if upstream_key:
        text = text.replace(upstream_key, "[REDACTED]")
    # providers quote a key masked ("sk-upstr****1234") in quota and rate-limit errors too
    text = _MASKED_KEY.sub("[REDACTED]", text)
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if not (isinstance(body, dict) and isinstance(body.get("error"), dict)):
        body = ProxyError(
            resp_status, f"upstream error {resp_status}: {text[:500]}", type_="upstream_error"
        ).body()
    return error_response(resp_status, body)


__all__ = [
    "ProxyError",
    "answer_unchecked",
    "auth_error",
    "error_body",
    "error_response",
    "upstream_error",
    "upstream_failed",
]
