"""The guarded way back: a whole answer's choices (:func:`guard_choices`) or an upstream
SSE stream relayed choice by choice through :class:`~bastion.stream.StreamGuard`
(:class:`Relay`), pseudonyms restored, a block ending the answer with an OpenAI-style error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from bastion.conversation import ANSWER_TEXT_FIELDS
from bastion.errors import InputError
from bastion.protect import ProtectedResponse, _Call, restore_output
from bastion.proxy.errors import ProxyError, answer_unchecked, upstream_failed
from bastion.proxy.streaming import (
    DONE,
    TOOL_CALL_FIELDS,
    ChoiceStream,
    block_error,
    blocked_labels,
    merge_chunk,
    sse,
    sse_data,
)
from bastion.redact import Vault
from bastion.types import Action, CheckResult

if TYPE_CHECKING:
    from bastion.proxy.app import ProxyState

# (role, text, result) of each checked text, for the audit
# (role, text, result, index): a request's message at its position in ``messages``; an
# answer's choice n after a request of m messages at m + n, where the answer would go
Items = list[tuple[str, str, CheckResult, int]]


@dataclass(frozen=True)
class Exchange:
    """One guarded request on its way back: the app's state, the request and its key, the
    protect steps (guard, canaries), the request's vault and system prompt, its start time."""

    state: ProxyState
    request: Any
    key_id: str | None
    steps: _Call
    vault: Vault
    system_prompt: str | None
    t0: float
    n_messages: int = 0  # the request's: answers are numbered after them in the audit

    async def record(self, items: Items) -> None:
        await self.state.record(self.request, self.key_id, items, self.t0)


# answer fields that carry text besides ``content``: checked and restored like it (and
# pseudonymised again when the client sends the answer back); check_messages reads the same
TEXT_FIELDS = ANSWER_TEXT_FIELDS
_TEXT_FIELDS = TEXT_FIELDS


def guard_choices(
    steps: _Call, checked: Any, vault: Vault, system_prompt: str | None, choices: list[Any], first: int = 0
) -> tuple[Items, dict[str, Any] | None]:
    """Check and restore every text of every choice of a whole answer in place: content (a
    string or text parts), refusal and reasoning text, the audio transcript, tool-call and
    legacy function-call names and arguments, custom tool calls' names and input; a
    choice's ``logprobs`` (the answer's tokens spelt out) are dropped. A function name
    blocks or is redacted as arguments are, and gets no pseudonym back (see :mod:`bastion.protect`). Returns the audit items (choice n
    numbered ``first + n``) and the block error, if any."""
    items: Items = []

    def text(
        value: str, n: int, arguments: bool = False, name: bool = False
    ) -> tuple[str | None, dict[str, Any] | None]:
        try:
            r: ProtectedResponse = steps.after(value, checked, vault, system_prompt)
        except InputError as exc:
            # the upstream's text, not the client's request: a 502 (see answer_unchecked)
            cap = steps.guard.output_policy.max_chars
            raise answer_unchecked(str(exc), "output", length=len(value), cap=cap) from None
        assert r.output is not None
        items.append(("assistant", value, r.output, first + n))
        if r.blocked:
            return None, block_error(blocked_labels(r.output), "output", {"choice": n})
        if name:
            return r.output.redacted_text, None
        return (restore_output(r.output, vault, arguments=True) if arguments else r.answer), None

    for n, choice in enumerate(choices):
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict):
            continue
        choice.pop("logprobs", None)
        content = message.get("content")
        if isinstance(content, str):
            message["content"], error = text(content, n)
            if error is not None:
                return items, error
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    part["text"], error = text(part["text"], n)
                    if error is not None:
                        return items, error
        for key in _TEXT_FIELDS:
            if isinstance(message.get(key), str):
                message[key], error = text(message[key], n)
                if error is not None:
                    return items, error
        audio = message.get("audio")
        if isinstance(audio, dict) and isinstance(audio.get("transcript"), str):
            audio["transcript"], error = text(audio["transcript"], n)
            if error is not None:
                return items, error
        # (call, its text field): function calls, OpenAI custom tool calls (free-text input,
        # output as check_messages reads it) and the legacy function_call
        functions = [
            (call.get(kind), key)
            for call in message.get("tool_calls") or ()
            if isinstance(call, dict)
            for kind, key in (("function", "arguments"), ("custom", "input"))
        ]
        functions.append((message.get("function_call"), "arguments"))
        for fn, key in functions:
            if not isinstance(fn, dict):
                continue
            if isinstance(fn.get("name"), str) and fn["name"]:
                fn["name"], error = text(fn["name"], n, name=True)
                if error is not None:
                    return items, error
            if isinstance(fn.get(key), str):
                # a custom input is free text: restored as text, not re-serialised as JSON
                fn[key], error = text(fn[key], n, arguments=key == "arguments")
                if error is not None:
                    return items, error
    return items, None


def _released_tool_calls(
    st: ChoiceStream, vault: Vault, steps: _Call, system_prompt: str | None, idx: int
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """A finished choice's tool calls, each checked whole as output and restored; or the
    block. A function's arguments are restored as JSON, a custom tool call's input as text.
    The name is checked too (a secret in it blocks) and never restored."""
    calls = []
    for call in (st.tool_calls[k] for k in sorted(st.tool_calls)):
        out = dict(call)
        for kind, key in TOOL_CALL_FIELDS:
            if not isinstance(call.get(kind), dict):
                continue
            fn = out[kind] = dict(call[kind])
            name = fn.get("name")
            texts = [(name, True)] if isinstance(name, str) and name else []
            for value, is_name in [*texts, (fn[key], False)]:
                res = steps.guard.check_output(value, system_prompt=system_prompt, canaries=steps.canaries)
                if res.action is Action.BLOCK:
                    st.result = res
                    return [], block_error(blocked_labels(res), "stream", {"choice": idx})
                if is_name:
                    fn["name"] = res.redacted_text
                else:
                    fn[key] = restore_output(res, vault, arguments=key == "arguments")
        calls.append(out)
    return calls, None


def step_choices(
    states: dict[int, ChoiceStream],
    incoming: dict[int, dict[str, Any]],
    vault: Vault,
    steps: _Call,
    system_prompt: str | None,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Feed each choice's new content to its StreamGuard (and close finished ones); the
    output choices to send, or the block error that ends the stream."""
    out: list[dict[str, Any]] = []
    for idx in sorted(incoming):
        slot, st = incoming[idx], states[idx]
        if st.finished:
            continue
        st.answer += slot["content"]
        events = st.guard.feed(slot["content"]) if slot["content"] else []
        text, block = st.released(events)
        finish = slot["finish_reason"]
        if block is None and (finish is not None or slot.get("close")):
            more, block = st.released(st.guard.close())
            text += more
        if block is not None:
            return [], block_error(blocked_labels(block), "stream", {"choice": idx})
        delta = dict(slot["delta"])
        if text:
            delta["content"] = text
        if st.finished and st.tool_calls:
            delta["tool_calls"], error = _released_tool_calls(st, vault, steps, system_prompt, idx)
            if error is not None:
                return [], error
        if delta or finish is not None:
            out.append({"index": idx, "delta": delta, **slot["extra"], "finish_reason": finish})
    return out, None


class _Stop(Exception):
    """Ends the relay with these SSE events (an error, then ``[DONE]``)."""

    def __init__(self, *events: bytes) -> None:
        super().__init__()
        self.events = events


_END = object()


class Relay:
    """Upstream SSE → guarded SSE for one request. A reader task queues upstream events;
    each step takes everything queued so far, so when the guard is slower than the upstream,
    chunks coalesce instead of queueing one guard call each. The checked answers are
    recorded (metrics, audit) when the relay ends, however it ends."""

    def __init__(self, ex: Exchange, resp: httpx.Response) -> None:
        self.ex, self.resp = ex, resp
        self.states: dict[int, ChoiceStream] = {}
        self.items: Items = []
        self.template: dict[str, Any] = {}
        # the upstream closed before "[DONE]" with an answer unfinished: a truncated answer,
        # which the client must not take for a complete one
        self.cut_short = False
        self.finish_seen: set[int] = set()

    def _new_choice(self) -> ChoiceStream:
        ex = self.ex
        return ChoiceStream.new(
            ex.steps.guard,
            ex.vault,
            holdback=ex.state.config.holdback,
            check_every=ex.state.config.check_every,
            system_prompt=ex.system_prompt,
            canaries=ex.steps.canaries,
        )

    async def _read(self, queue: asyncio.Queue[Any]) -> None:
        try:
            async for data in sse_data(self.resp.aiter_lines()):
                await queue.put(data)
        except httpx.HTTPError as exc:
            await queue.put(exc)
        finally:
            await queue.put(_END)

    def _answers(self) -> None:
        self.items += [
            ("assistant", st.answer, st.result, self.ex.n_messages + n)
            for n, st in self.states.items()
            if st.result is not None
        ]

    async def events(self) -> AsyncIterator[bytes]:
        queue: asyncio.Queue[Any] = asyncio.Queue()
        task = asyncio.create_task(self._read(queue))
        try:
            done = False
            while not done:
                batch = [await queue.get()]
                while not queue.empty():
                    batch.append(queue.get_nowait())
                incoming: dict[int, dict[str, Any]] = {}
                passthrough: list[dict[str, Any]] = []
                done = self._take(batch, incoming, passthrough)
                for event in await self._step(incoming, passthrough, done):
                    yield event
            self._answers()
            if self.cut_short:
                error = upstream_failed("upstream stream broke (ended before [DONE])", "upstream_unreachable")
                yield sse(error.body())
            yield DONE
        except _Stop as stop:
            for event in stop.events:
                yield event
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            await self.resp.aclose()
            await self.ex.record(self.items)

    def _unchecked(self, exc: InputError) -> ProxyError:
        cap = self.ex.steps.guard.output_policy.max_chars
        # what reached the guard so far: the answers and the tool-call arguments collected
        texts = [st.answer for st in self.states.values()] + [
            call[kind][key]
            for st in self.states.values()
            for call in st.tool_calls.values()
            for kind, key in TOOL_CALL_FIELDS
            if isinstance(call.get(kind), dict)
        ]
        return answer_unchecked(str(exc), "stream", length=max(map(len, texts), default=0), cap=cap)

    def _take(
        self, batch: list[Any], incoming: dict[int, dict[str, Any]], passthrough: list[dict[str, Any]]
    ) -> bool:
        """Fold queued upstream events into ``incoming`` / ``passthrough``; true at the end."""
        for data in batch:
            if data is _END or (isinstance(data, str) and data.strip() == "[DONE]"):
                if data is _END:
                    self.cut_short = not self.states or not self.finish_seen >= set(self.states)
                return True
            if isinstance(data, Exception):
                error = upstream_failed(
                    f"upstream stream broke ({type(data).__name__})", "upstream_unreachable"
                )
                raise _Stop(sse(error.body()), DONE)
            try:
                chunk = json.loads(data)
            except ValueError:
                continue
            if not isinstance(chunk, dict):
                continue
            if isinstance(chunk.get("error"), dict):
                raise _Stop(sse(chunk), DONE)  # an upstream error mid-stream passes through
            self.template = {k: v for k, v in chunk.items() if k not in ("choices", "usage")}
            if not chunk.get("choices"):
                passthrough.append(chunk)  # e.g. the usage chunk of stream_options
                continue
            merge_chunk(chunk, self.states, self._new_choice, incoming)
            for choice in chunk["choices"]:
                if isinstance(choice, dict) and choice.get("finish_reason") is not None:
                    self.finish_seen.add(
                        choice.get("index", 0) if isinstance(choice.get("index"), int) else 0
                    )
        return False

    async def _step(
        self, incoming: dict[int, dict[str, Any]], passthrough: list[dict[str, Any]], done: bool
    ) -> list[bytes]:
        """Guard the new content; the SSE events to send (or :class:`_Stop` on a block)."""
        ex = self.ex
        metrics = ex.state.metrics
        if done:
            # an upstream that ends without finish_reason still gets its tail checked
            for idx, st in self.states.items():
                if not st.finished:
                    incoming.setdefault(
                        idx, {"content": "", "delta": {}, "finish_reason": None, "extra": {}}
                    )["close"] = True
        out: list[bytes] = []
        if incoming:
            tg = time.perf_counter()
            try:
                choices, blocked = await ex.state.off_loop(
                    step_choices, self.states, incoming, ex.vault, ex.steps, ex.system_prompt
                )
            except InputError as exc:
                # an answer over the output policy's max_chars, or text the guard refuses:
                # end the stream as a block does, never by dropping the connection
                self._answers()
                raise _Stop(sse(self._unchecked(exc).body()), DONE) from None
            metrics.guard_seconds.labels("stream_step").observe(time.perf_counter() - tg)
            if blocked is not None:
                metrics.blocked.labels("stream").inc()
                self._answers()
                raise _Stop(sse(blocked), DONE)
            if choices:
                metrics.chunks.inc()
                out.append(sse({**self.template, "choices": choices}))
        for chunk in passthrough:
            metrics.chunks.inc()
            out.append(sse(chunk))
        return out


__all__ = ["Exchange", "Relay", "guard_choices", "step_choices"]
