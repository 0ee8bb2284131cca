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
  value), redacts ``extra=`` attributes and the stack, and replaces ``exc_info``
  by its redacted traceback text in ``exc_text`` so no handler re-renders the raw one.
  The record is shared by every handler it reaches, so the handlers after a filtered
  one (an error tracker included) see the redacted record, without ``exc_info``. Each
  guard redacts a record once: a second filter with another guard (a model filter on
  the audit file after a regex filter on the console) redacts it again, and the
  placeholders the first one wrote are kept. A record logged while this thread is
  redacting (a detector that logs) is withheld rather than redacted recursively.

Both read strings, integers of six digits or more (a card or phone number logged as an
int), bytes (as UTF-8 text) and other objects through ``str()``/``repr()``; a value under a
key is read alone and as ``key=value`` and what either reading finds is redacted.
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
from bastion.types import Action, Finding

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

# Attributes on a record that are the logging machinery's, not ``extra=`` data: structlog's
# ProcessorFormatter meta keys and this module's mark. Any other ``_name`` extra is data.
_META_ATTRS: frozenset[str] = frozenset({"_record", "_from_structlog", "_logger", "_name"})
_MAX_DEPTH = 12
_PRIMITIVES = (bool, float, type(None))
# Integers this small hold no identifier (a card, phone, account or SSN has 6+ digits),
# and scanning every count and status code would double the per-line cost.
_SMALL_INT = 10**5
_UNPRINTABLE = "<unprintable "
_BUSY = threading.local()


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
        # reentrant: building the default guard may log, and that record may come back here
        self._lock = threading.RLock()
        self.keys_to_skip = frozenset(keys_to_skip)

    @property
    def guard(self) -> Guard:
        if self._guard is None:
            with self._lock:
                if self._guard is None:
                    self._guard = _default_guard()
        return self._guard

    def redact_texts(self, texts: list[str]) -> list[str]:
        return [r if isinstance(r, str) else r[1] for r in self._run(texts)]

    def _run(self, texts: list[str]) -> list[str | tuple[Any, str, str]]:
        """Each text redacted: ``(result, redacted text, text checked)`` where the Guard
        checked it as given, else the final string (truncated, repaired or withheld)."""
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
        out: list[str | tuple[Any, str, str]] = []
        for t, p, r, sfx in zip(texts, prepared, results, suffixes, strict=True):
            if isinstance(r, Exception):
                out.append(f"[bastion: value withheld, {type(r).__name__}]")
            elif sfx or p != t:
                out.append(r.redacted_text + sfx)
            else:
                out.append((r, r.redacted_text, t))
        return out

    def _paired(self, key: str, alone: str | tuple[Any, str, str], paired: str | tuple[Any, str, str]) -> str:
        """A value read alone and as ``key=value``: what either reading redacts is redacted
        (the key gives a password its context; alone, a model may see a name the ``key=``
        prefix hid). Neither reading may undo the other's redaction."""
        paired_value = _text(paired)[len(key) + 1 :] if _text(paired).startswith(key + "=") else None
        if isinstance(alone, str) or isinstance(paired, str):
            # truncated or withheld: the reading that kept less of the value (a cut can
            # leave a partial value one reading no longer recognises)
            return min((x for x in (_text(alone), paired_value) if x is not None), key=len)
        alone_result, alone_text, value = alone
        if paired_value is None:
            return alone_text
        shift = len(key) + 1
        theirs = [
            f.shifted(max(f.start - shift, 0), f.end - shift)
            for f in paired[0].pii
            if f.action is not Action.ALLOW and f.end > shift
        ]
        if not theirs:
            return alone_text
        mine = [f for f in alone_result.pii if f.action is not Action.ALLOW]
        if not mine:
            return paired_value
        from bastion.pipeline import build_operators
        from bastion.redact import Replace, redact_text

        default, per_label = build_operators(self.guard.policy, None)
        return redact_text(value, _union(mine + theirs), per_label, default or Replace())

    # Two passes over the same traversal order: collect strings, then rebuild with the
    # redacted ones. One check_many call per event keeps the detectors batch-first.
    # A string value under a string key is scanned as "key=value" (``password="hunter2"``
    # is a password only with its key) and its redaction kept when the key came through
    # unchanged; keys are scanned too (an e-mail as a dict key). Keys to skip apply at the
    # top level only, where the logging machinery puts them.
    def _collect(self, value: Any, out: list[str], depth: int) -> None:
        if isinstance(value, str):
            out.append(value)
        elif _skipped(value):
            return
        elif isinstance(value, int):
            out.append(str(value))  # a card or phone number logged as an int
        elif isinstance(value, bytes | bytearray):
            out.append(_decoded(value))
        elif depth < _MAX_DEPTH and isinstance(value, Mapping):
            for k, v in value.items():
                if depth == 0 and isinstance(k, str) and k in self.keys_to_skip:
                    continue
                if isinstance(k, str):
                    out.append(k)
                    if isinstance(v, str) or (isinstance(v, int) and not _skipped(v)):
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

    def _rebuild(self, value: Any, original: Iterator[str], redacted: Iterator[Any], depth: int) -> Any:
        if isinstance(value, str):
            next(original)
            return _text(next(redacted))
        if _skipped(value):
            return value
        if isinstance(value, int | bytes | bytearray):
            before, after = next(original), _text(next(redacted))
            return value if before == after else after
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
                    key = _text(next(redacted))
                    if isinstance(v, str) or (isinstance(v, int) and not _skipped(v)):
                        next(original)
                        paired = next(redacted)
                if paired is not None and isinstance(k, str):
                    next(original)
                    item = self._paired(k, next(redacted), paired)
                    if not isinstance(v, str) and item == str(v):
                        item = v  # an int nothing was found in keeps its type
                else:
                    item = self._rebuild(v, original, redacted, depth + 1)
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
        before, after = next(original), _text(next(redacted))
        before_repr, after_repr = next(original), _text(next(redacted))
        # Keep the object itself (and its type for the renderer) when nothing was found;
        # an object whose str() fails is replaced so the renderer does not fail on it.
        if before == after and before_repr == after_repr and not before.startswith(_UNPRINTABLE):
            return value
        # the redacted str() when that form held the value, else the redacted repr()
        return after if before != after or before.startswith(_UNPRINTABLE) else after_repr

    def redact_structure(self, value: Any) -> Any:
        texts: list[str] = []
        self._collect(value, texts, 0)
        redacted = self._run(texts)
        return self._rebuild(value, iter(texts), iter(redacted), 0)


def _skipped(value: Any) -> bool:
    return isinstance(value, _PRIMITIVES) or (isinstance(value, int) and -_SMALL_INT < value < _SMALL_INT)


def _text(item: str | tuple[Any, str, str]) -> str:
    return item if isinstance(item, str) else item[1]


def _decoded(value: bytes | bytearray) -> str:
    # read as text, so a value at the start is not glued to the "b'" of repr()
    return bytes(value).decode("utf-8", "backslashreplace")


def _union(findings: list[Finding]) -> list[Finding]:
    """Overlapping spans merged into one (the longer one's label): redacting only the first of
    two overlapping spans would leave the other's tail in clear."""
    out: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        if out and f.start < out[-1].end:
            last = out[-1]
            if f.end > last.end:
                keep = last if last.end - last.start >= f.end - f.start else f
                out[-1] = keep.shifted(last.start, f.end)
            continue
        out.append(f)
    return out


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

    def __call__(self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> Any:
        skip = self._redactor.keys_to_skip
        try:
            if isinstance(event_dict, str | bytes | bytearray):
                # placed after the renderer: the event is one rendered line
                text = event_dict if isinstance(event_dict, str) else _decoded(event_dict)
                return self._redactor.redact_texts([text])[0]
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
            record = event.get("_record")
            if isinstance(record, logging.LogRecord):
                # processors after this one (structlog's ExtraAdder, CallsiteParameterAdder)
                # and the formatter read the record itself: it must hold no raw value either
                _redact_record_once(self._redactor, record)
            return self._redactor.redact_structure(event)
        except Exception as exc:
            items = getattr(event_dict, "items", None)
            try:
                kept = {k: v for k, v in items() if k in skip} if callable(items) else {}
            except Exception:
                kept = {}
            record = kept.get("_record")
            if isinstance(record, logging.LogRecord):
                _defuse(record, exc)
            # the formatter's meta keys stay as they were (ProcessorFormatter needs
            # ``_record``); other kept values only when they are plain scalars
            kept = {k: v for k, v in kept.items() if k in _META_ATTRS or isinstance(v, str | int | float)}
            return {**kept, "event": PLACEHOLDER, "redaction_error": type(exc).__name__}


def _defuse(record: logging.LogRecord, exc: BaseException) -> None:
    """Leave nothing raw on a record redaction failed on: ``Handler.handleError`` prints
    ``record.msg`` and ``record.args`` to stderr, and a later handler formats the rest."""
    record.msg = f"{PLACEHOLDER} ({type(exc).__name__})"
    record.args = None
    record.exc_info = None
    record.exc_text = None
    record.stack_info = None
    for key in list(vars(record)):
        if key not in _RECORD_ATTRS and key not in _META_ATTRS:
            setattr(record, key, None)


def _redact_record_once(redactor: _Redactor, record: logging.LogRecord) -> None:
    """Redact ``record`` in place unless this guard already did (another handler's filter,
    or the processor before it). A record another guard redacted is redacted again: a
    regex-only filter on the console must not let a model filter on the audit file skip."""
    guard = redactor.guard
    seen = record.args.guards if isinstance(record.args, _Redacted) else ()
    if id(guard) in seen:
        return
    _redact_record(redactor, record)
    record.args = _Redacted((*seen, id(guard)))


class _Redacted(tuple):
    """The empty ``args`` of a redacted record, naming the guards (by id: a record may be
    pickled by a multiprocessing QueueHandler) that redacted it. In ``args``, not an
    attribute of its own: every attribute a record gains is an ``extra`` to structlog's
    ExtraAdder, and the mark then showed on every line."""

    guards: tuple[int, ...]

    def __new__(cls, guards: tuple[int, ...] = ()) -> _Redacted:
        obj = super().__new__(cls)
        obj.guards = tuple(guards)
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Redacted, (self.guards,))


def _redact_record(redactor: _Redactor, record: logging.LogRecord) -> None:
    exc_text = record.exc_text
    if record.exc_info and record.exc_info[0] is not None:
        exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    extras = {k: v for k, v in vars(record).items() if k not in _RECORD_ATTRS and k not in _META_ATTRS}
    structured = isinstance(record.msg, Mapping) and not record.args
    if structured:
        # structlog's wrap_for_formatter: the message is the event dict, and the formatter
        # needs it to stay one
        message: Any = dict(record.msg)
    else:
        try:
            message = record.getMessage()
        except Exception:
            # Bad %-args: the stdlib would print a "--- Logging error ---" with the raw
            # values; log the pieces (redacted) instead.
            message = f"{_safe_str(record.msg)} {_safe_str(record.args)}"
    # one batch: the message, traceback and stack as plain texts, the extras with their keys
    clean = redactor.redact_structure([message, exc_text, record.stack_info, extras])
    record.msg, exc_text, stack, clean_extras = clean
    record.args = None
    record.exc_info = None
    record.exc_text = exc_text
    record.stack_info = stack
    for k, v in clean_extras.items():
        setattr(record, k, v)


class RedactingFilter(logging.Filter):
    """stdlib logging filter that redacts PII in each record before handlers format it.

    Always returns True (it never drops records); after it, ``record.msg`` holds the
    formatted, redacted message (structlog's event dict stays a dict) and ``record.args``
    is empty.

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
        if getattr(_BUSY, "active", False):
            # logged while this thread redacts (a detector or a library under it logging to
            # a filtered handler): redacting it would recurse, passing it might leak
            record.msg = f"{PLACEHOLDER} (logged during redaction by {record.name})"
            record.args = None
            record.exc_info = record.exc_text = record.stack_info = None
            record.args = _Redacted()
            return True
        _BUSY.active = True
        try:
            _redact_record_once(self._redactor, record)
        except Exception as exc:
            _defuse(record, exc)
            record.args = _Redacted()
        finally:
            _BUSY.active = False
        return True


__all__ = ["DEFAULT_KEYS_TO_SKIP", "PLACEHOLDER", "RedactingFilter", "RedactingProcessor"]
