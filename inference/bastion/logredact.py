"""Redact PII from log events before they are written anywhere.

Two adapters share one implementation:

- :class:`RedactingProcessor` — a structlog processor. Put it AFTER the processors
  that add content (``merge_contextvars``, ``StackInfoRenderer``, optionally
  ``format_exc_info``) and BEFORE ``TimeStamper`` and the renderer::

      structlog.configure(processors=[
          structlog.contextvars.merge_contextvars,
          structlog.processors.add_log_level,
          structlog.processors.StackInfoRenderer(),
          RedactingProcessor(),            # formats exc_info itself if still present
          structlog.processors.TimeStamper(fmt="iso"),
          structlog.processors.JSONRenderer(),
      ])

  Before the timestamper, because a timestamp is never PII and some recognizers would
  read ``2024-05-01 12:30:45`` as a date or phone number and mangle it; before the
  renderer, because after it the event is one string whose keys would be scanned too.

- :class:`RedactingFilter` — a :class:`logging.Filter` for the standard library. Attach
  it to HANDLERS (``handler.addFilter(RedactingFilter())``): a filter on a logger does
  not see records propagated from child loggers. It formats ``msg % args`` first and
  then redacts (a value split between the format string and an argument is still one
  value), redacts string ``extra=`` attributes and the stack, and replaces ``exc_info``
  by its redacted traceback text in ``exc_text`` so no handler re-renders the raw one.

Both use a :class:`~bastion.guard.Guard`; by default a regex-only one
(``Guard([build_detector("pii_regex")])``), built on first use. Logging must never
fail because of redaction, so an internal error replaces the message with
:data:`PLACEHOLDER` instead of raising or passing the unredacted event through.
Texts longer than the guard's ``max_chars`` are truncated rather than rejected.

>>> from bastion.logredact import RedactingProcessor
>>> proc = RedactingProcessor()
>>> proc(None, "info", {"event": "signup", "email": "jane@example.com", "n": 3})
{'event': 'signup', 'email': '[REDACTED_EMAIL_ADDRESS]', 'n': 3}
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any

from bastion.guard import Guard

PLACEHOLDER = "[bastion: log event withheld, redaction failed]"

# Keys whose values are never scanned: they are set by the logging machinery, never
# hold user data, and scanning them only risks corrupting them. ``_record`` and
# ``_from_structlog`` are ProcessorFormatter's meta keys; later processors need the
# LogRecord object itself, not its redacted str().
DEFAULT_KEYS_TO_SKIP: frozenset[str] = frozenset(
    {
        "timestamp",
        "level",
        "log_level",
        "logger",
        "logger_name",
        "func_name",
        "lineno",
        "filename",
        "pathname",
        "_record",
        "_from_structlog",
    }
)

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRS: frozenset[str] = frozenset(
    {
        "name", "msg", "args", "levelname", "levelno", "pathname", "filename", "module",
        "exc_info", "exc_text", "stack_info", "lineno", "funcName", "created", "msecs",
        "relativeCreated", "thread", "threadName", "processName", "process", "taskName",
        "message", "asctime",
    }
)  # fmt: skip

_MARK = "_bastion_redacted"
_MAX_DEPTH = 12
_PRIMITIVES = (bool, int, float, type(None))
_UNPRINTABLE = "<unprintable "


def _default_guard() -> Guard:
    from bastion.detectors import build_detector

    return Guard([build_detector("pii_regex")])


def _format_exception(exc_info: Any) -> str | None:
    """Traceback text for structlog-style ``exc_info`` (True, an exception, or a triple)."""
    if exc_info is True:
        exc_info = sys.exc_info()
    elif isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if not isinstance(exc_info, tuple) or len(exc_info) != 3 or exc_info[0] is None:
        return None
    return "".join(traceback.format_exception(*exc_info)).rstrip("\n")


class _Redactor:
    """Collects every string in a structure, redacts them in one batch, rebuilds it."""

    def __init__(self, guard: Guard | None, keys_to_skip: Iterable[str]) -> None:
        self._guard = guard
        self._lock = threading.Lock()
        self.keys_to_skip = frozenset(keys_to_skip)

    @property
    def guard(self) -> Guard:
        if self._guard is None:
            with self._lock:
                if self._guard is None:
                    self._guard = _default_guard()
        return self._guard

    def redact_texts(self, texts: list[str]) -> list[str]:
        if not texts:
            return []
        guard = self.guard
        cap = guard.policy.max_chars
        prepared: list[str] = []
        suffixes: list[str] = []
        for t in texts:
            suffix = ""
            if len(t) > cap:
                # cut at a space when there is one near the cap, so the cut does not leave
                # the start of a value ("jane.doe@ex") that no recognizer reads as one
                cut = t.rfind(" ", cap - cap // 4, cap + 1)
                cut = cut if cut > 0 else cap
                suffix = f" [bastion: truncated {len(t) - cut} chars]"
                t = t[:cut]
            try:
                t.encode("utf-8")
            except UnicodeEncodeError:
                # Lone surrogates (e.g. from surrogateescape'd file names) would make the
                # Guard reject the whole batch; U+FFFD keeps the rest of the text usable.
                t = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in t)
            prepared.append(t)
            suffixes.append(suffix)
        # one text the guard refuses (over a max_tokens budget) costs that text, not the event
        results = guard.check_many(prepared, errors="return")
        return [
            r.redacted_text + s
            if not isinstance(r, Exception)
            else f"[bastion: value withheld, {type(r).__name__}]"
            for r, s in zip(results, suffixes, strict=True)
        ]

    # Two passes over the same traversal order: collect strings, then rebuild with the
    # redacted ones. One check_many call per event keeps the detectors batch-first.
    # A string value under a string key is scanned as "key=value" (``password="hunter2"``
    # is a password only with its key) and its redaction kept when the key came through
    # unchanged; keys are scanned too (an e-mail as a dict key). Keys to skip apply at the
    # top level only, where the logging machinery puts them.
    def _collect(self, value: Any, out: list[str], depth: int) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, _PRIMITIVES):
            return
        elif depth < _MAX_DEPTH and isinstance(value, Mapping):
            for k, v in value.items():
                if depth == 0 and isinstance(k, str) and k in self.keys_to_skip:
                    continue
                if isinstance(k, str):
                    out.append(k)
                    if isinstance(v, str):
                        out.append(f"{k}={v}")
                self._collect(v, out, depth + 1)
        elif depth < _MAX_DEPTH and isinstance(value, list | tuple | set | frozenset):
            for v in value:
                self._collect(v, out, depth + 1)
        else:
            # Renderers print other objects with repr() (structlog) or str() (a stdlib
            # format string): scan both forms.
            out.append(_safe_str(value))
            out.append(_safe_repr(value))

    def _rebuild(self, value: Any, original: Iterator[str], redacted: Iterator[str], depth: int) -> Any:
        if isinstance(value, str):
            next(original)
            return next(redacted)
        if isinstance(value, _PRIMITIVES):
            return value
        if depth < _MAX_DEPTH and isinstance(value, Mapping):
            out: dict[Any, Any] = {}
            for k, v in value.items():
                if depth == 0 and isinstance(k, str) and k in self.keys_to_skip:
                    out[k] = v
                    continue
                key = k
                paired = None
                if isinstance(k, str):
                    next(original)
                    key = next(redacted)
                    if isinstance(v, str):
                        next(original)
                        paired = next(redacted)
                item = self._rebuild(v, original, redacted, depth + 1)
                if paired is not None and isinstance(k, str) and paired.startswith(k + "="):
                    item = paired[len(k) + 1 :]
                n = 2
                while key in out:  # two keys redacted alike: keep both entries
                    key, n = f"{key}#{n}", n + 1
                out[key] = item
            return out
        if depth < _MAX_DEPTH and isinstance(value, list | tuple | set | frozenset):
            items = [self._rebuild(v, original, redacted, depth + 1) for v in value]
            if isinstance(value, list):
                return items
            if isinstance(value, tuple):
                return tuple(items)
            return type(value)(items) if type(value) in (set, frozenset) else items
        before, after = next(original), next(redacted)
        before_repr, after_repr = next(original), next(redacted)
        # Keep the object itself (and its type for the renderer) when nothing was found;
        # an object whose str() fails is replaced so the renderer does not fail on it.
        if before == after and before_repr == after_repr and not before.startswith(_UNPRINTABLE):
            return value
        # the redacted str() when that form held the value, else the redacted repr()
        return after if before != after or before.startswith(_UNPRINTABLE) else after_repr

    def redact_structure(self, value: Any) -> Any:
        texts: list[str] = []
        self._collect(value, texts, 0)
        redacted = self.redact_texts(texts)
        return self._rebuild(value, iter(texts), iter(redacted), 0)


def _safe_str(value: Any) -> str:
    try:
        return str(value)
    except Exception:
        return f"{_UNPRINTABLE}{type(value).__name__}>"


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:
        return f"{_UNPRINTABLE}{type(value).__name__}>"


class RedactingProcessor:
    """structlog processor that redacts PII in every string of the event dict.

    Nested dicts, lists, tuples and sets are walked; other objects are scanned through
    their ``str()`` and replaced by the redacted string only when something was found.
    ``positional_args`` are %-formatted into ``event`` first, and a raw ``exc_info`` is
    formatted into a redacted ``exception`` string. Keys are redacted too, and a string value
    is read with its key (``password="hunter2"``). Values under ``keys_to_skip`` (top-level
    keys, where the logging machinery puts them) are left alone. structlog itself is not imported: any callable pipeline works.

    >>> RedactingProcessor()(None, "info", {"event": "user %s", "positional_args": ("jane@example.com",)})
    {'event': 'user [REDACTED_EMAIL_ADDRESS]'}
    """

    def __init__(
        self, guard: Guard | None = None, keys_to_skip: Iterable[str] = DEFAULT_KEYS_TO_SKIP
    ) -> None:
        self._redactor = _Redactor(guard, keys_to_skip)

    def __call__(self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> dict[str, Any]:
        skip = self._redactor.keys_to_skip
        try:
            event = dict(event_dict)
            args = event.pop("positional_args", None)
            if args and isinstance(event.get("event"), str):
                # one mapping argument is the mapping ("user %(email)s"), as stdlib logging reads it
                if isinstance(args, tuple) and len(args) == 1 and isinstance(args[0], Mapping):
                    args = args[0]
                try:
                    event["event"] = event["event"] % (args if isinstance(args, tuple | Mapping) else (args,))
                except (TypeError, ValueError, KeyError):
                    event["positional_args"] = args
            elif args is not None:
                event["positional_args"] = args
            if "exc_info" in event:
                text = _format_exception(event.pop("exc_info"))
                if text is not None:
                    event["exception"] = text
            return self._redactor.redact_structure(event)
        except Exception as exc:
            kept = {k: v for k, v in event_dict.items() if k in skip and isinstance(v, str | int | float)}
            return {**kept, "event": PLACEHOLDER, "redaction_error": type(exc).__name__}


class RedactingFilter(logging.Filter):
    """stdlib logging filter that redacts PII in each record before handlers format it.

    Always returns True (it never drops records); after it, ``record.msg`` holds the
    formatted, redacted message and ``record.args`` is empty.

    >>> import logging, io
    >>> stream = io.StringIO(); handler = logging.StreamHandler(stream)
    >>> handler.addFilter(RedactingFilter())
    >>> log = logging.getLogger("doctest.redact"); log.addHandler(handler); log.propagate = False
    >>> log.warning("reset sent to %s", "jane@example.com")
    >>> stream.getvalue()
    'reset sent to [REDACTED_EMAIL_ADDRESS]\\n'
    """

    def __init__(
        self, guard: Guard | None = None, keys_to_skip: Iterable[str] = DEFAULT_KEYS_TO_SKIP, name: str = ""
    ) -> None:
        super().__init__(name)
        self._redactor = _Redactor(guard, keys_to_skip)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _MARK, False):
            return True  # already redacted by a filter on another handler
        try:
            self._redact_record(record)
        except Exception as exc:
            record.msg = f"{PLACEHOLDER} ({type(exc).__name__})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
            for key in list(vars(record)):
                if key not in _RECORD_ATTRS and not key.startswith("_"):
                    setattr(record, key, None)
        setattr(record, _MARK, True)
        return True

    def _redact_record(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:
            # Bad %-args: the stdlib would print a "--- Logging error ---" with the raw
            # values; log the pieces (redacted) instead.
            message = f"{_safe_str(record.msg)} {_safe_str(record.args)}"
        exc_text = record.exc_text
        if record.exc_info and record.exc_info[0] is not None:
            exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        extras = {
            k: v
            for k, v in vars(record).items()
            if k not in _RECORD_ATTRS and not k.startswith("_") and k not in self._redactor.keys_to_skip
        }
        payload = {"msg": message, "exc": exc_text, "stack": record.stack_info, "extra": extras}
        clean = self._redactor.redact_structure(payload)
        record.msg = clean["msg"]
        record.args = None
        record.exc_info = None
        record.exc_text = clean["exc"]
        record.stack_info = clean["stack"]
        for k, v in clean["extra"].items():
            setattr(record, k, v)


__all__ = ["DEFAULT_KEYS_TO_SKIP", "PLACEHOLDER", "RedactingFilter", "RedactingProcessor"]
