"""Request bodies: read under a size cap and a deadline, parsed as strict JSON into the
pydantic model that documents them.

FastAPI's own body parameters would read a body of any size at any speed and take
``NaN`` or a 5000-digit integer; :class:`JsonBody` is the dependency the routes use instead:

>>> from pydantic import BaseModel
>>> class Echo(BaseModel):
...     text: str
>>> async def handler(req: Annotated[Echo, Depends(JsonBody(Echo))]) -> str:  # doctest: +SKIP
...     return req.text
>>> parse_json(b'{"text": "hi"}', Echo).text
'hi'
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from typing import Any, Generic, TypeVar

from fastapi import HTTPException, Request
from pydantic import BaseModel, ValidationError

__all__ = [
    "MAX_ERRORS_SHOWN",
    "MAX_INT_DIGITS",
    "BodyError",
    "JsonBody",
    "clip",
    "parse_json",
    "read_body",
    "reject_constant",
]

MAX_INT_DIGITS = 18
MAX_ERRORS_SHOWN = 10

M = TypeVar("M", bound=BaseModel)


class BodyError(Exception):
    """A body this server will not read: ``status`` is 400 (bad ``Content-Length``), 408
    (too slow) or 413 (too large). Each app answers it in its own error shape."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


async def read_body(request: Request, cap: int, timeout_s: float) -> bytes:
    """The request body, refusing anything over ``cap`` bytes, both from the declared
    Content-Length and while reading (a chunked body has no length to trust), and any
    body that takes longer than ``timeout_s`` to arrive."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            n = int(declared)
        except ValueError:
            raise BodyError(400, "invalid Content-Length header") from None
        if n > cap:
            raise BodyError(413, f"request body is {n} bytes, over the limit of {cap}")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > cap:
                    raise BodyError(413, f"request body is over the limit of {cap} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise BodyError(408, f"request body not received within {timeout_s:g} s") from None
    return b"".join(chunks)


class _OutOfRange(ValueError):
    """Valid JSON this server will not take (a 422, not a 400)."""


def reject_constant(name: str) -> Any:
    """``json.loads(..., parse_constant=reject_constant)``: ``NaN`` and ``Infinity`` are not JSON."""
    raise ValueError(f"{name} is not valid JSON")


def _bounded_int(digits: str) -> int:
    # int("9" * 5000) raises past Python's digit limit, and huge ints only feed huge work
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _OutOfRange(f"an integer with {len(digits)} digits is out of range")
    return int(digits)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # {"text": "<PII>", "text": "hi"}: a gateway in front that reads the first value would
    # see another request than the one checked here (the last wins in Python)
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            shown = repr(key) if _FIELD_NAME.fullmatch(key) else "a key"
            raise _OutOfRange(f"{shown} appears twice in one object")
        out[key] = value
    return out


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _OutOfRange(f"the number {clip(text, 20)} is out of range")
    return value


def clip(part: object, n: int = 64) -> str:
    """``str(part)`` cut to ``n`` characters (and ``...``), for messages that quote a caller."""
    s = str(part)
    return s if len(s) <= n else s[:n] + "..."


def _error(status: int, detail: str) -> HTTPException:
    return HTTPException(status_code=status, detail=detail)


# a location part shown as written only when it reads as a field name or an index: an
# unknown key is the caller's own text ({"jane@example.com": 1}) and can be personal data
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]{0,63}")
# what pydantic itself puts in a location: a validator or type tag of a union member
# ("function-after[_no_surrogates(), constrained-str]", "list[str]")
_TYPE_TAG = re.compile(r"[a-z][a-z\-]*\[[^\n]{0,200}\]")


def _loc_part(part: object) -> str:
    if isinstance(part, int) or (
        isinstance(part, str) and (_FIELD_NAME.fullmatch(part) or _TYPE_TAG.fullmatch(part))
    ):
        return clip(part)
    return "<field>"


def parse_json(body: bytes, model: type[M]) -> M:
    """``body`` as strict JSON validated by ``model``; an :class:`HTTPException` 400 (not
    UTF-8 / not JSON) or 422 (out of range, nested too deeply, or invalid for ``model``,
    with the first few errors' locations and messages, clipped)."""
    try:
        raw = json.loads(
            body.decode("utf-8"),
            parse_constant=reject_constant,
            parse_int=_bounded_int,
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
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
            f"{'.'.join(_loc_part(p) for p in e['loc']) or 'body'}: {clip(e['msg'], 200)}"
            for e in errors[:MAX_ERRORS_SHOWN]
        ]
        if len(errors) > MAX_ERRORS_SHOWN:
            parts.append(f"and {len(errors) - MAX_ERRORS_SHOWN} more errors")
        raise _error(422, "invalid request: " + "; ".join(parts)) from None


class JsonBody(Generic[M]):
    """Dependency: the request body parsed into ``model``, read within the app's
    ``Settings.max_body_bytes`` and ``body_timeout_s``. A body over the cap or too slow is
    refused with ``Connection: close`` (the rest of it is never read)."""

    def __init__(self, model: type[M]) -> None:
        self.model = model

    async def __call__(self, request: Request) -> M:
        settings = request.app.state.bastion.settings
        kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if kind and kind != "application/json" and not kind.endswith("+json"):
            # a form or text/plain body is what a web page may send cross-site without a
            # preflight: a server without keys on localhost must not be driven that way
            raise HTTPException(
                status_code=415, detail=f"send the body as JSON (Content-Type: application/json), not {kind}"
            )
        try:
            body = await read_body(request, settings.max_body_bytes, settings.body_timeout_s)
        except BodyError as exc:
            close = {"Connection": "close"} if exc.status in (408, 413) else None
            raise HTTPException(status_code=exc.status, detail=exc.message, headers=close) from None
        return parse_json(body, self.model)
