"""Checks for whole conversations and for answers that may leak the system prompt.

``check_messages`` takes a chat array in OpenAI or Anthropic shape and checks each
message by its role:

- ``system``: trusted; not flagged, but remembered so answers can be checked for leaks;
- ``user``: direct injection and PII, with the guard's policy;
- ``tool`` (OpenAI ``tool``/``function`` messages; Anthropic ``tool_result``, other
  ``*_tool_result`` (MCP, web fetch, web search, code execution) and ``search_result``
  parts): indirect injection, at the ``indirect`` operating point when the model has one;
- ``assistant``: as output (secrets block, strict injection point, canaries, prompt leak).

Offsets in a result are end-exclusive character offsets into the piece's
:attr:`ChatMessage.checked_text` (``parse_messages(messages)[k]`` for ``r.messages[k]``):
the message's string content itself, or its parts' texts joined by ``"\n"`` in document
order (images and files left out); for an assistant turn then its ``refusal``,
``reasoning_content``, ``reasoning`` and ``audio.transcript``, its tool calls' arguments
and custom-tool inputs, and last the tool-call names.

>>> from bastion import Guard
>>> g = Guard.default(tasks=("pii",))
>>> r = check_messages(g, [{"role": "system", "content": "You are terse."},
...                        {"role": "user", "content": "mail jane@example.com"}])
>>> r.action.value, [m.checked_as for m in r.messages]
('redact', ['trusted', 'input'])
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bastion.canary import CANARY_LABEL, Canary, find_canaries
from bastion.errors import InputError
from bastion.leak import LEAK_LABEL, LeakConfig, find_leaks
from bastion.policy import Policy
from bastion.redact import Replace, Vault, redact_text
from bastion.types import Action, CheckResult, Finding

if TYPE_CHECKING:
    from bastion.guard import Guard

ROLES = ("system", "developer", "user", "assistant", "tool", "function")
# what each role is checked as
CHECKED_AS = {
    "system": "trusted",
    "developer": "trusted",
    "user": "input",
    "tool": "indirect",
    "function": "indirect",
    "assistant": "output",
}
INDIRECT_POINT = "indirect"
MAX_MESSAGES = 10_000
# an assistant message's text fields besides ``content`` (OpenAI refusals, the reasoning
# text of DeepSeek / OpenRouter / vLLM): the model's own words, checked as output
ANSWER_TEXT_FIELDS = ("refusal", "reasoning_content", "reasoning")
# the text fields of a tool call: a function's arguments, a custom tool's free-text input
_CALL_TEXT_FIELDS = ("arguments", "input")
# the text fields of a block of a tool's output, in the order they are read (then its
# source and content): search_result, mcp / web_fetch / code-execution results
TOOL_OUTPUT_FIELDS = ("title", "context", "text", "stdout", "stderr", "output", "error_message")
# ... then the fields that hold a list of lines, each line read (a string too): the edited
# file of a text-editor code-execution ``str_replace`` result (``lines``; ``old_lines`` /
# ``new_lines`` are counts there, read only if a tool sends text in them)
TOOL_OUTPUT_LINE_FIELDS = ("lines", "old_lines", "new_lines")
_TEXT_KINDS = ("text", "input_text", "output_text")
# rewrites one text (pseudonymises it): see rewrite_content
Rewrite = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One checkable piece of a conversation: the text of a message (or of one
    ``tool_result`` part) with the role it is checked as; ``names`` the function names of
    its tool calls.

    >>> ChatMessage(0, "user", "hi").checked_as
    'input'
    >>> ChatMessage(2, "assistant", '{"city": "Oslo"}', ("weather",)).checked_text
    '{"city": "Oslo"}\\nweather'
    """

    index: int
    role: str
    text: str
    names: tuple[str, ...] = ()

    @property
    def checked_as(self) -> str:
        return CHECKED_AS[self.role]

    @property
    def checked_text(self) -> str:
        """What :func:`check_messages` checks, and what its result's offsets and
        ``redacted_text`` are of: the text, and for output the tool-call names after it, one
        per line. A finding in ``text`` has the same offsets in both; one in a name lies past
        ``len(text)``, so slice ``checked_text``, never ``text``, with a result's offsets. A
        name is output an app logs, shows and sends back, so a secret in it blocks as one in
        the arguments does."""
        if self.checked_as != "output" or not self.names:
            return self.text
        return "\n".join(t for t in (self.text, *self.names) if t)


@dataclass(frozen=True, slots=True)
class MessageResult:
    """The verdict for one message; ``result`` is ``None`` for trusted (system) messages.
    Its offsets are into the matching piece's :attr:`ChatMessage.checked_text`."""

    index: int
    role: str
    checked_as: str
    result: CheckResult | None

    @property
    def action(self) -> Action:
        return Action.ALLOW if self.result is None else self.result.action

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "role": self.role,
            "checked_as": self.checked_as,
            "result": None if self.result is None else self.result.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class MessagesResult:
    """Per-message results plus the overall action (the most severe one)."""

    messages: tuple[MessageResult, ...]
    action: Action

    @property
    def blocked(self) -> tuple[MessageResult, ...]:
        return tuple(m for m in self.messages if m.action is Action.BLOCK)

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action.value, "messages": [m.to_dict() for m in self.messages]}


# -- parsing -------------------------------------------------------------------------------


_MAX_PART_DEPTH = 16
# parts that hold no text to check (documented as skipped): images, files, audio, and
# Anthropic's encrypted thinking
_MEDIA_PARTS = frozenset(
    {
        "image",
        "image_url",
        "input_image",
        "input_audio",
        "audio",
        "file",
        "input_file",
        "redacted_thinking",
        "container_upload",
    }
)
# string fields of a part that name or describe it rather than say something
_META_FIELDS = frozenset(
    {
        "type",
        "id",
        "name",
        "signature",
        "media_type",
        "mime_type",
        "source_type",
        "format",
        "detail",
        "url",
        "status",
    }
)


def _is_tool_output(kind: Any) -> bool:
    """An Anthropic block holding what a tool or a search returned (``tool_result``,
    ``mcp_tool_result``, ``web_fetch_tool_result``, ``bash_code_execution_tool_result``, ...,
    and the ``search_result`` blocks a RAG app passes): indirect content."""
    return isinstance(kind, str) and (kind.endswith("tool_result") or kind == "search_result")


def _replaced(part: Mapping[str, Any], fn: Rewrite | None, **texts: str) -> Any:
    """``part`` with these text fields rewritten by ``fn`` (``part`` itself without one)."""
    return part if fn is None else {**part, **{k: fn(v) for k, v in texts.items()}}


def _leaf(text: str, fn: Rewrite | None) -> str:
    return text if fn is None else fn(text)


def _walk_part(
    part: Any, depth: int = 0, fn: Rewrite | None = None, foreign: Rewrite | None = None
) -> tuple[Any, str | None]:
    """One content part (OpenAI ``text``, Anthropic ``text``, ...): the part with every text
    the parser reads rewritten by ``fn`` (the part itself without ``fn``), and that text
    (``None`` for images etc.). ``foreign`` replaces ``fn`` inside tool outputs and
    documents. Reading and rewriting share this walk, so a text that is checked is also the
    one pseudonymised."""
    if isinstance(part, str):
        return _leaf(part, fn), part
    if not isinstance(part, Mapping):
        raise InputError(f"a content part must be a string or an object, got {type(part).__name__}")
    kind = part.get("type")
    if kind in _TEXT_KINDS:
        text = part.get("text")
        if not isinstance(text, str):
            raise InputError("a text part needs a string 'text'")
        return _replaced(part, fn, text=text), text
    if _is_tool_output(kind):
        # one nested in a tool_result's content (a search_result), read whole
        new, texts = _walk_block(part, depth, foreign or fn, foreign)
        return new, _joined(texts)
    if kind == "document" and foreign is not None:
        fn = foreign
    # any other part that carries text is read too: a type this parser does not know
    # ("Text", a newer API's name) must not let its text through unchecked; an Anthropic
    # thinking block, an OpenAI refusal part and a LangChain reasoning block are the
    # model's own words
    for key in ("text", "thinking", "refusal", "reasoning"):
        if isinstance(part.get(key), str):
            # a signed block (Anthropic thinking) is refused by the provider once changed
            signed = key == "thinking" or "signature" in part
            return (part if signed else _replaced(part, fn, **{key: part[key]})), part[key]
    source = part.get("source")
    # an Anthropic plain-text document block
    if (
        kind == "document"
        and isinstance(source, Mapping)
        and source.get("type") == "text"
        and isinstance(source.get("data"), str)
    ):
        data = source["data"]
        return (part if fn is None else {**part, "source": _replaced(source, fn, data=data)}), data
    if kind == "document" and part.get("content") is not None:
        if depth >= _MAX_PART_DEPTH:
            raise InputError(f"content parts are nested more than {_MAX_PART_DEPTH} levels deep")
        new, texts = _walk_content(part.get("content"), depth + 1, fn, foreign)
        return (part if fn is None else {**part, "content": new}), "\n".join(texts) or None
    if kind in _MEDIA_PARTS:
        return part, None
    # an unknown block read as a tool's output is (title, content, stdout, ...)
    new, texts = _walk_block(part, depth, fn, foreign)
    if texts:
        return new, _joined(texts)
    if fn is None:  # a rewrite follows the parse that refused it
        _refuse_unread(part)
    return part, None


def _part_text(part: Any, depth: int = 0) -> str | None:
    """Text of one content part (OpenAI ``text``, Anthropic ``text``); images etc. → None."""
    return _walk_part(part, depth)[1]


def _refuse_unread(part: Mapping[str, Any]) -> None:
    """Text in a field this parser does not read would pass unchecked, and the message
    could be missing from the result with nothing to say so: refuse it."""
    unread = sorted(
        str(k)
        for k, v in part.items()
        if isinstance(v, str) and v and k not in _META_FIELDS and not str(k).endswith("_id")
    )
    if unread:
        raise InputError(
            f"a content part of type {part.get('type')!r} has text bastion does not read "
            f"({', '.join(unread)}); send that text as a 'text' part"
        )


def _joined(texts: list[str]) -> str:
    return "\n".join(t for t in texts if t)


def _walk_nested(
    value: Any, depth: int, fn: Rewrite | None, foreign: Rewrite | None
) -> tuple[Any, list[str]]:
    """Every text in a tool output's ``content`` (a string, a list of blocks or one block),
    and the content rewritten (see :func:`_walk_part`)."""
    if depth >= _MAX_PART_DEPTH:
        raise InputError(f"content parts are nested more than {_MAX_PART_DEPTH} levels deep")
    if isinstance(value, str):
        return _leaf(value, fn), [value]
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        walked = [_walk_nested(v, depth + 1, fn, foreign) for v in value]
        return (value if fn is None else [n for n, _ in walked]), [t for _, ts in walked for t in ts]
    if not isinstance(value, Mapping):
        return value, []  # None, a return code, a flag
    kind = value.get("type")
    if kind in (*_TEXT_KINDS, "document") or kind in _MEDIA_PARTS:
        new, text = _walk_part(value, depth + 1, fn, foreign)
        return new, [] if text is None else [text]
    return _walk_block(value, depth + 1, fn, foreign)


def _walk_block(
    block: Mapping[str, Any], depth: int, fn: Rewrite | None, foreign: Rewrite | None
) -> tuple[Any, list[str]]:
    """The texts of one block of a tool's output, as the Anthropic API nests them
    (:data:`TOOL_OUTPUT_FIELDS`, then each line of :data:`TOOL_OUTPUT_LINE_FIELDS`; a
    ``source`` that is a name (a search result's), a plain-text document or content; then
    ``content``, :func:`_walk_nested`), and the block rewritten. Ids, URLs, return codes and
    encrypted content are not text to check."""
    texts: list[str] = []
    changed: dict[str, Any] = {}
    for key in TOOL_OUTPUT_FIELDS:
        if isinstance(block.get(key), str):
            texts.append(block[key])
            changed[key] = _leaf(block[key], fn)
    for key in TOOL_OUTPUT_LINE_FIELDS:
        lines = block.get(key)
        if isinstance(lines, str):
            texts.append(lines)
            changed[key] = _leaf(lines, fn)
        elif isinstance(lines, list):
            texts += [line for line in lines if isinstance(line, str)]
            changed[key] = [_leaf(line, fn) if isinstance(line, str) else line for line in lines]
    source = block.get("source")
    if isinstance(source, str):
        texts.append(source)
        changed["source"] = _leaf(source, fn)
    elif isinstance(source, Mapping) and source.get("type") == "text" and isinstance(source.get("data"), str):
        texts.append(source["data"])
        changed["source"] = _replaced(source, fn, data=source["data"])
    elif isinstance(source, Mapping) and source.get("type") == "content":
        new, more = _walk_nested(source.get("content"), depth + 1, fn, foreign)
        texts += more
        if "content" in source:
            changed["source"] = {**source, "content": new}
    new, more = _walk_nested(block.get("content"), depth + 1, fn, foreign)
    if "content" in block:
        changed["content"] = new
    return (block if fn is None else {**block, **changed}), texts + more


def _block_texts(block: Mapping[str, Any], depth: int) -> list[str]:
    return _walk_block(block, depth, None, None)[1]


def _walk_content(
    content: Any, depth: int = 0, fn: Rewrite | None = None, foreign: Rewrite | None = None
) -> tuple[Any, list[str]]:
    if content is None:
        return None, []
    if isinstance(content, str):
        return _leaf(content, fn), [content]
    if isinstance(content, Sequence) and not isinstance(content, bytes | bytearray):
        walked = [_walk_part(p, depth, fn, foreign) for p in content]
        return (content if fn is None else [n for n, _ in walked]), [t for _, t in walked if t is not None]
    raise InputError(f"message content must be a string or a list of parts, got {type(content).__name__}")


def _content_texts(content: Any, depth: int = 0) -> list[str]:
    return _walk_content(content, depth)[1]


def _part_kind(part: Any) -> str:
    """How a message's content part is read: ``tool_result`` (its content, as tool output),
    ``tool_output`` (another tool-output block), ``tool_use`` (a call's input) or ``part``."""
    kind = part.get("type") if isinstance(part, Mapping) else None
    if kind == "tool_result":
        return "tool_result"
    if _is_tool_output(kind):
        return "tool_output"
    if isinstance(kind, str) and kind.endswith("tool_use"):
        # tool_use, and the provider-run server_tool_use / mcp_tool_use
        return "tool_use"
    return "part"


def rewrite_values(value: Any, text: Rewrite, depth: int = 0) -> Any:
    """Every string inside a JSON-like value, rewritten (tool arguments); keys are kept."""
    if isinstance(value, str):
        return text(value)
    if depth > _MAX_PART_DEPTH:
        return value
    if isinstance(value, Mapping):
        return {k: rewrite_values(v, text, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [rewrite_values(v, text, depth + 1) for v in value]
    return value


def _rewrite_part(part: Any, fn: Rewrite, foreign: Rewrite | None) -> Any:
    kind = _part_kind(part)
    if kind == "tool_result":
        if "content" not in part:
            return part
        return {**part, "content": _walk_content(part["content"], 0, foreign or fn, foreign)[0]}
    if kind == "tool_output":
        return _walk_block(part, 0, foreign or fn, foreign)[0]
    if kind == "tool_use":
        return {**part, "input": rewrite_values(part["input"], fn)} if "input" in part else part
    return _walk_part(part, 0, fn, foreign)[0]


def rewrite_content(value: Any, text: Rewrite, *, foreign: Rewrite | None = None) -> Any:
    """``value`` (a message's content: a string, a list of parts, or one part) with every
    text :func:`parse_messages` reads from it rewritten by ``text``, and nothing else:
    types, ids, URLs, images, encrypted content and signed thinking stay as they are.
    ``foreign`` (default ``text``) rewrites the texts of tool outputs and documents, so
    their tokens can be told from the user's.

    >>> code = {"type": "bash_code_execution_tool_result", "tool_use_id": "t1",
    ...         "content": {"stdout": "jane", "return_code": 0}}
    >>> rewrite_content([{"type": "text", "text": "hi"}, code], str.upper)[1]["content"]
    {'stdout': 'JANE', 'return_code': 0}
    """
    if isinstance(value, str):
        return text(value)
    if isinstance(value, Mapping):
        return _rewrite_part(value, text, foreign)
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [_rewrite_part(p, text, foreign) for p in value]
    return value


def rewrite_message_texts(msg: Mapping[str, Any], text: Rewrite) -> dict[str, Any]:
    """``msg`` with the texts :func:`parse_messages` reads outside its content rewritten by
    ``text``: an assistant's :data:`ANSWER_TEXT_FIELDS` and ``audio.transcript``, and the
    arguments of its ``function`` tool calls, the ``input`` of its ``custom`` ones and the
    legacy ``function_call``'s. Names and ids stay: an app maps a call back by them."""
    out = dict(msg)
    if msg.get("role") == "assistant":
        out.update((k, text(msg[k])) for k in ANSWER_TEXT_FIELDS if isinstance(msg.get(k), str))
        audio = msg.get("audio")
        if isinstance(audio, Mapping) and isinstance(audio.get("transcript"), str):
            out["audio"] = {**audio, "transcript": text(audio["transcript"])}

    def call(fn: Any) -> Any:
        if not isinstance(fn, Mapping):
            return fn
        new = dict(fn)
        for key in _CALL_TEXT_FIELDS:
            if isinstance(fn.get(key), str):
                new[key] = text(fn[key])
            elif isinstance(fn.get(key), Mapping | list):  # sent as an object, not a JSON string
                new[key] = rewrite_values(fn[key], text)
        return new

    if isinstance(msg.get("tool_calls"), list):
        out["tool_calls"] = [
            {**c, **{k: call(c[k]) for k in ("function", "custom") if k in c}}
            if isinstance(c, Mapping)
            else c
            for c in msg["tool_calls"]
        ]
    if isinstance(msg.get("function_call"), Mapping):
        out["function_call"] = call(msg["function_call"])
    return out


def _object(value: Any, what: str, i: int) -> Mapping[str, Any] | None:
    """``value`` if it is an object or absent; anything else would be skipped unread."""
    if value is None or isinstance(value, Mapping):
        return value
    raise InputError(f"message {i}: {what} must be an object, got {type(value).__name__}")


def _call_texts(msg: Mapping[str, Any], i: int, own: list[str], names: list[str]) -> None:
    """The arguments (``own``) and names of an assistant message's tool calls: ``function``
    calls, OpenAI ``custom`` tool calls (free-text ``input``) and the legacy ``function_call``."""
    tool_calls = msg.get("tool_calls")
    if tool_calls is not None and (
        isinstance(tool_calls, str | bytes | Mapping) or not isinstance(tool_calls, Sequence)
    ):
        # a dict or a string was skipped unread (a secret in its arguments passed)
        raise InputError(f"message {i}: tool_calls must be a list, got {type(tool_calls).__name__}")
    calls: list[Mapping[str, Any] | None] = []
    for c in tool_calls or ():
        if not isinstance(c, Mapping):
            raise InputError(f"message {i}: each tool call must be an object, got {type(c).__name__}")
        calls += [
            _object(c.get("function"), "a tool call's function", i),
            _object(c.get("custom"), "a custom tool call", i),
        ]
    calls.append(_object(msg.get("function_call"), "function_call", i))  # the legacy single call
    for fn in calls:
        if fn is None:
            continue
        if isinstance(fn.get("name"), str) and fn["name"]:
            names.append(fn["name"])
        for key in _CALL_TEXT_FIELDS:
            args = fn.get(key)
            if isinstance(args, str):
                own.append(args)
            elif isinstance(args, Mapping | list):  # sent as an object, not a JSON string
                own.append(json.dumps(args, ensure_ascii=False))


def parse_messages(messages: Sequence[Mapping[str, Any]]) -> list[ChatMessage]:
    """Flatten OpenAI / Anthropic chat arrays into :class:`ChatMessage` pieces.

    Anthropic tool outputs (``tool_result``, ``mcp_tool_result``, ``web_fetch_tool_result``,
    code execution results, ``search_result``) inside a message become ``tool`` pieces;
    ``tool_use`` parts / OpenAI ``tool_calls`` arguments and an assistant's refusal,
    reasoning text and audio transcript are checked as assistant output, with the function
    names (:attr:`ChatMessage.checked_text`).

    >>> [(m.role, m.text) for m in parse_messages([{"role": "user", "content": [
    ...     {"type": "text", "text": "see result"},
    ...     {"type": "tool_result", "tool_use_id": "t1", "content": "42 °C"}]}])]
    [('user', 'see result'), ('tool', '42 °C')]
    """
    if isinstance(messages, str | bytes) or not isinstance(messages, Sequence):
        raise InputError("messages must be a list of {'role': ..., 'content': ...} objects")
    if len(messages) > MAX_MESSAGES:
        raise InputError(f"too many messages ({len(messages)}); the limit is {MAX_MESSAGES}")
    out: list[ChatMessage] = []
    for i, msg in enumerate(messages):
        if not isinstance(msg, Mapping):
            raise InputError(f"message {i} must be an object with 'role' and 'content'")
        role = msg.get("role")
        if role not in ROLES:
            raise InputError(f"message {i} has role {role!r}; expected one of {', '.join(ROLES)}")
        content = msg.get("content")
        own: list[str] = []
        names: list[str] = []
        tool_parts: list[str] = []
        if isinstance(content, Sequence) and not isinstance(content, str | bytes | bytearray):
            for part in content:
                kind = _part_kind(part)
                if kind == "tool_result":
                    # at least one piece, even an empty one: a result whose blocks hold no
                    # text this parser reads is still in the result, never silently gone
                    tool_parts += _content_texts(part.get("content")) or [""]
                elif kind == "tool_output":
                    texts = _block_texts(part, 0)
                    if not texts:
                        _refuse_unread(part)
                    # one piece per block, even an empty one: the message is in the result
                    tool_parts.append(_joined(texts))
                elif kind == "tool_use":
                    if isinstance(part.get("name"), str) and part["name"]:
                        names.append(part["name"])
                    own.append(json.dumps(part.get("input"), ensure_ascii=False, default=str))
                else:
                    text = _part_text(part)
                    if text is not None:
                        own.append(text)
        else:
            own = _content_texts(content)
        if role == "assistant":
            own += [msg[k] for k in ANSWER_TEXT_FIELDS if isinstance(msg.get(k), str)]
            audio = msg.get("audio")
            if isinstance(audio, Mapping) and isinstance(audio.get("transcript"), str):
                own.append(audio["transcript"])
        _call_texts(msg, i, own, names)
        if own or names:
            out.append(ChatMessage(i, role, "\n".join(own), tuple(names)))
        out += [ChatMessage(i, "tool", t) for t in tool_parts]
    return out


# -- output checks ---------------------------------------------------------------------------


def _union(findings: list[Finding]) -> list[Finding]:
    """Overlapping findings become one span (labelled by the most severe: leaks first),
    so redaction never leaves part of any of them in clear."""
    rank = {CANARY_LABEL: 0, LEAK_LABEL: 1}
    out: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        if out and f.start < out[-1].end:
            last = out[-1]
            keep = last if rank.get(last.label, 9) <= rank.get(f.label, 9) else f
            out[-1] = dataclasses.replace(keep, start=last.start, end=max(last.end, f.end))
        else:
            out.append(f)
    return out


def add_output_findings(
    result: CheckResult,
    text: str,
    *,
    system_prompt: str | None = None,
    canaries: Sequence[Canary | str] = (),
    leak_config: LeakConfig | None = None,
) -> CheckResult:
    """``result`` (of ``text`` checked as output) plus canary and system-prompt-leak
    findings; either kind blocks, and its span is redacted."""
    extra = find_canaries(text, canaries) if canaries else []
    if system_prompt:
        extra += find_leaks(text, system_prompt, leak_config)
    if not extra:
        return result
    spans = _union([*result.redactions, *extra])
    # a leak blocks the answer, so operators (pseudonyms, masks) no longer matter: plain
    # [REDACTED_<LABEL>] over the union of spans, leaving no part of any of them in clear
    redacted = redact_text(text, spans, Replace())
    # allowed findings (e.g. LOCATION) stay reported, unless a leak span swallowed them
    kept = tuple(
        f
        for f in result.pii
        if f.action is Action.ALLOW and not any(f.start < s.end and s.start < f.end for s in spans)
    )
    inj = tuple(f for f in result.findings if f.category != "pii")
    # the rule names what decided, as policy findings do: the canaries or the system prompt passed in
    rules = {CANARY_LABEL: "canaries", LEAK_LABEL: "system_prompt"}
    leaks = tuple(
        dataclasses.replace(f, action=Action.BLOCK, rule=rules[f.label]) if f.label in rules else f
        for f in spans
    )
    return dataclasses.replace(
        result,
        action=Action.BLOCK,
        findings=inj + tuple(sorted(kept + leaks, key=lambda f: (f.start, f.end))),
        redacted_text=redacted,
    )


def check_output(
    guard: Guard,
    text: str | bytes,
    *,
    system_prompt: str | None = None,
    canaries: Sequence[Canary | str] = (),
    leak_config: LeakConfig | None = None,
) -> CheckResult:
    """``guard.check_output`` with canary and system-prompt-leak checks (kept for callers
    that hold a guard-like object; :meth:`Guard.check_output` takes the same options)."""
    return guard.check_output(text, system_prompt=system_prompt, canaries=canaries, leak_config=leak_config)


# -- conversations ---------------------------------------------------------------------------


def indirect_policy(guard: Guard, policy: Policy | None = None) -> Policy:
    """The policy for tool outputs and retrieved documents: ``policy`` (default: the
    guard's) at the model's ``indirect`` operating point when it has one."""
    base = policy or guard.policy
    if base.injection_threshold is not None:
        return base  # a fixed threshold set by the user applies to every role
    # a per-call policy may not be resolved against the models yet: the guard's own is
    for table in (*base.model_thresholds.values(), *guard.policy.model_thresholds.values()):
        if INDIRECT_POINT in table:
            return base.with_overrides({"injection_operating_point": INDIRECT_POINT})
    return base


def check_messages(
    guard: Guard,
    messages: Sequence[Mapping[str, Any]],
    *,
    system: str | Sequence[Any] | None = None,
    canaries: Sequence[Canary | str] = (),
    leak_config: LeakConfig | None = None,
    policy: Policy | None = None,
    vault: Vault | None = None,
) -> MessagesResult:
    """Check a chat array role by role (see the module docstring). ``system`` is the
    Anthropic-style top-level system prompt, if any. ``policy`` / ``vault`` apply to the
    user and tool messages (e.g. a pseudonymising policy with a per-call vault)."""
    pieces = parse_messages(messages)
    if system is not None and not isinstance(system, str):
        # Anthropic's top-level system may be a list of text blocks
        system = "\n".join(_content_texts(system))
    system_texts = [system] if system else []
    system_texts += [p.text for p in pieces if p.checked_as == "trusted"]
    system_prompt = "\n".join(system_texts) or None
    results: dict[int, CheckResult] = {}
    base = policy or guard.policy
    for kind, pol in (("input", base), ("indirect", indirect_policy(guard, base))):
        idx = [k for k, p in enumerate(pieces) if p.checked_as == kind]
        if idx:
            batch = guard.check_many([pieces[k].text for k in idx], policy=pol, vault=vault)
            results.update(zip(idx, batch, strict=True))
    for k, p in enumerate(pieces):
        if p.checked_as == "output":
            results[k] = check_output(
                guard, p.checked_text, system_prompt=system_prompt, canaries=canaries, leak_config=leak_config
            )
    out = tuple(MessageResult(p.index, p.role, p.checked_as, results.get(k)) for k, p in enumerate(pieces))
    action = max((m.action for m in out), key=lambda a: a.severity, default=Action.ALLOW)
    return MessagesResult(out, action)


__all__ = [
    "ANSWER_TEXT_FIELDS",
    "TOOL_OUTPUT_FIELDS",
    "TOOL_OUTPUT_LINE_FIELDS",
    "ChatMessage",
    "MessageResult",
    "MessagesResult",
    "add_output_findings",
    "check_messages",
    "check_output",
    "indirect_policy",
    "parse_messages",
    "rewrite_content",
    "rewrite_message_texts",
    "rewrite_values",
]
