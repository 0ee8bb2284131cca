"""The streaming half of the proxy: upstream SSE in, guarded OpenAI-format SSE out.

Each choice of a streamed answer gets a :class:`~bastion.stream.StreamGuard` (hold-back
release, redaction, block) and a :class:`TokenRestorer` that puts the request's pseudonyms
back into the released text. A release may end inside a ``<PERSON_1>`` token (the guard cuts
on whitespace or at its hold-back limit, not on tokens), so the restorer keeps an
unfinished token back until its ``>`` arrives. A token inside a URL stays a token
(:func:`bastion.protect.restore_outside_urls`), also where the URL began in an earlier
release. Tool-call arguments (and custom tool calls' input) are never streamed: they are
collected whole, checked and restored when the choice finishes.

>>> from bastion.redact import Vault
>>> v = Vault(); tok = v.token_for("PERSON", "Jane Doe")
>>> r = TokenRestorer(v)
>>> r.feed("Dear <PERS"), r.feed("ON_1>, hello"), r.close()
('Dear ', 'Jane Doe, hello', '')
>>> r.feed("Dear &lt;Person_1&g"), r.feed("t; and PERSON"), r.feed("_1 too"), r.close()
('Dear ', 'Jane Doe and ', 'Jane Doe too', '')
>>> r.feed("see /"), r.feed("/x.example/?q=<PERSON_1> or <PERSON_1>"), r.close()
('see /', '/x.example/?q=<PERSON_1> or Jane Doe', '')
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bastion.canary import Canary
from bastion.protect import restore_outside_urls, url_context
from bastion.redact import Vault, restore_arguments
from bastion.stream import StreamEvent, StreamGuard
from bastion.types import Action, CheckResult

# the start of a pseudonym token with no end yet, in every form restore() reads
# (bastion.redact._TOKEN_WRITTEN): "<PERS", "&lt;Person_1&g", "\u003cPERSON_1\u00", or an
# upper-case word at the end that may still become a bare "PERSON_1"
_PARTIAL_TOKEN = re.compile(
    r"(?:<|&(?:l(?:t;?)?)?|\\(?:<|u(?:0(?:0(?:3[cC]?)?)?)?)?) ?[A-Za-z0-9_]{0,80} ?"
    r"(?:&(?:g(?:t)?)?|\\(?:u(?:0(?:0(?:3[eE]?)?)?)?)?)?$"
    r"|(?<![\w<;\\])[A-Z][A-Z0-9_]{0,80}$"
)
# longer than any token a vault makes (label up to 64 chars + "_" + counter)
MAX_TOKEN_CHARS = 96
# a streamed tool call's part and its text: a function's arguments (JSON), an OpenAI custom
# tool call's free-text input (dropped unread, the call arrived empty)
TOOL_CALL_FIELDS = (("function", "arguments"), ("custom", "input"))


class TokenRestorer:
    """Restores pseudonyms in a stream of text pieces, holding back a token cut in two."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self._pending = ""
        # the end of what was released: a URL open there (or its start cut in two) holds
        # the tokens of the next release
        self._before = ""

    def feed(self, text: str) -> str:
        buf = self._pending + text
        m = _PARTIAL_TOKEN.search(buf)
        cut = m.start() if m is not None and len(buf) - m.start() <= MAX_TOKEN_CHARS else len(buf)
        self._pending = buf[cut:]
        return self._release(buf[:cut])

    def close(self) -> str:
        out, self._pending = self._release(self._pending), ""
        return out

    def _release(self, text: str) -> str:
        out = restore_outside_urls(text, self.vault, before=self._before)
        self._before = url_context(self._before + text)
        return out


@dataclass
class ChoiceStream:
    """The guarded state of one streamed choice (one ``index``)."""

    guard: StreamGuard
    restorer: TokenRestorer
    tool_calls: dict[int, dict[str, Any]] = field(default_factory=dict)
    answer: str = ""  # the raw answer so far (for the audit fingerprint)
    finished: bool = False
    result: CheckResult | None = None  # the whole answer's result, once finished or blocked

    @classmethod
    def new(
        cls,
        guard: Any,
        vault: Vault,
        *,
        holdback: int,
        check_every: int,
        system_prompt: str | None,
        canaries: Sequence[Canary],
    ) -> ChoiceStream:
        sg = StreamGuard(
            guard, holdback=holdback, check_every=check_every, system_prompt=system_prompt, canaries=canaries
        )
        return cls(sg, TokenRestorer(vault))

    def add_tool_delta(self, delta: Any) -> None:
        """Merge one streamed ``tool_calls`` delta entry (arguments, or a custom tool call's
        free-text ``input``, arrive in pieces)."""
        if not isinstance(delta, dict):
            return
        idx = delta.get("index", 0)
        idx = idx if isinstance(idx, int) else 0
        call = self.tool_calls.get(idx)
        if call is None:
            custom = delta.get("type") == "custom" or isinstance(delta.get("custom"), dict)
            kind, key = TOOL_CALL_FIELDS[1] if custom else TOOL_CALL_FIELDS[0]
            call = self.tool_calls[idx] = {"index": idx, kind: {key: ""}}
        for key in ("id", "type"):
            if delta.get(key) is not None:
                call[key] = delta[key]
        for kind, key in TOOL_CALL_FIELDS:
            piece = delta.get(kind)
            if isinstance(piece, dict):
                if kind == "custom" and call.get("function") == {"arguments": ""}:
                    del call["function"]  # a head that did not say its type: it was custom
                held = call.setdefault(kind, {key: ""})
                if piece.get("name") is not None:
                    held["name"] = piece["name"]
                if isinstance(piece.get(key), str):
                    held[key] += piece[key]

    def released(self, events: list[StreamEvent]) -> tuple[str, CheckResult | None]:
        """Text released by ``events`` (pseudonyms restored) and the block result, if any."""
        text = ""
        for e in events:
            if e.kind == "text":
                text += self.restorer.feed(e.text)
            elif e.kind == "block":
                self.finished, self.result = True, e.result
                return text, e.result
            elif e.kind == "end":
                self.finished, self.result = True, e.result
        if self.finished:
            text += self.restorer.close()
        return text, None


def blocked_labels(result: CheckResult) -> list[str]:
    """The labels that explain a block: the PII / leak labels whose action blocks, plus
    ``INJECTION`` (an SSN the policy only redacts is not why an answer was blocked)."""
    labels = {f.label for f in result.pii if f.action is Action.BLOCK}
    if result.is_injection:
        labels.add("INJECTION")
    return sorted(labels)


def block_error(labels: Sequence[str], stage: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """An OpenAI-style error object for a blocked request or answer."""
    what = "request" if stage == "input" else "answer"
    return {
        "error": {
            "message": f"the {what} was blocked by bastion ({', '.join(labels) or 'policy'})",
            "type": "invalid_request_error",
            "param": "messages" if stage == "input" else None,
            "code": "content_blocked",
            "labels": list(labels),
            "stage": stage,
            **(extra or {}),
        }
    }


def sse(data: Any) -> bytes:
    """One server-sent event carrying ``data`` as JSON (or a literal such as ``[DONE]``)."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {payload}\n\n".encode()


DONE = sse("[DONE]")


async def sse_data(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """The ``data`` payloads of an SSE stream, one per event (multi-line data joined by
    newlines; comments, ``event:`` and ``id:`` fields ignored)."""
    parts: list[str] = []
    async for line in lines:
        if line == "":
            if parts:
                yield "\n".join(parts)
                parts = []
            continue
        if line.startswith("data:"):
            value = line[5:]
            parts.append(value[1:] if value.startswith(" ") else value)
    if parts:
        yield "\n".join(parts)


def merge_chunk(
    chunk: dict[str, Any],
    states: dict[int, ChoiceStream],
    new_state: Callable[[], ChoiceStream],
    incoming: dict[int, dict[str, Any]],
) -> None:
    """Fold one upstream chunk's choices into ``incoming`` (per choice index: content to
    feed, the role, finish reason, other choice fields but logprobs), creating per-choice
    state as needed. Tool-call deltas are collected in the choice's state."""
    for ch in chunk.get("choices") or ():
        if not isinstance(ch, dict):
            continue
        idx = ch.get("index", 0)
        idx = idx if isinstance(idx, int) else 0
        st = states.get(idx)
        if st is None:
            st = states[idx] = new_state()
        slot = incoming.setdefault(idx, {"content": "", "delta": {}, "finish_reason": None, "extra": {}})
        delta = ch.get("delta") or {}
        if isinstance(delta, dict):
            if isinstance(delta.get("content"), str):
                slot["content"] += delta["content"]
            for call in delta.get("tool_calls") or ():
                st.add_tool_delta(call)
            # only the role passes as sent: any other delta field (refusal, reasoning_content,
            # a legacy function_call, audio) is text no guard has read, so it is not relayed
            if isinstance(delta.get("role"), str):
                slot["delta"]["role"] = delta["role"]
        if ch.get("finish_reason") is not None:
            slot["finish_reason"] = ch["finish_reason"]
        for k, v in ch.items():
            # logprobs spell the answer's tokens out (an address the content redacts)
            if k not in ("index", "delta", "finish_reason", "logprobs"):
                slot["extra"][k] = v


def is_block(result: CheckResult | None) -> bool:
    return result is not None and result.action is Action.BLOCK


__all__ = [
    "DONE",
    "MAX_TOKEN_CHARS",
    "TOOL_CALL_FIELDS",
    "ChoiceStream",
    "TokenRestorer",
    "block_error",
    "blocked_labels",
    "merge_chunk",
    "restore_arguments",
    "sse",
    "sse_data",
]
