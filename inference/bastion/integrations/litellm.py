"""A LiteLLM proxy guardrail backed by bastion.

In the LiteLLM proxy's ``config.yaml``::

    guardrails:
      - guardrail_name: bastion
        litellm_params:
          guardrail: bastion.integrations.litellm.BastionGuardrail
          mode: [pre_call, post_call]
          default_on: true

``pre_call`` checks what the request sends the model, by role (user: direct injection;
tool: indirect; assistant: as output, so a secret blocks) and rewrites every message but
system/developer ones with PII redacted by the input policy: earlier assistant turns too
(their refusal, reasoning, audio transcript, tool-call arguments and custom tool-call input,
every text the check reads), as :func:`bastion.protect.protect` does (a client sends back
the answers it got). It reads

- chat ``messages`` (OpenAI or Anthropic shape);
- a text-completion (or image) ``prompt``: a string or a list of strings, each checked as
  the user's; a prompt of token ids cannot be read and is refused (HTTP 400);
- a Responses API ``input``: a string (the user's), or a list of items: messages by their
  role, ``function_call`` / ``custom_tool_call`` arguments as the assistant's,
  ``function_call_output`` / ``custom_tool_call_output`` as tool output, ``reasoning``
  summaries as the assistant's. Items of other types (``item_reference``, the provider's
  built-in tool calls such as ``mcp_call``) are not read and pass as they are, text included.

Embedding, moderation and speech requests are not checked (their ``input`` goes to no chat
model); neither are other request shapes (audio files, rerank documents).

``post_call`` checks the answer as output and redacts it in place: a chat answer's content,
``refusal``, ``reasoning_content``, ``thinking_blocks`` text, reasoning-item summaries, audio
``transcript``, and tool-call and function-call names and arguments; a text completion's
``choices[].text``; a Responses API answer's ``output`` (message text and refusals,
function-call names and arguments, reasoning summaries). Other answers (embeddings, images,
Anthropic ``/v1/messages``) pass unchecked. Redacted thinking (encrypted) cannot be read and
passes; a thinking block whose text is redacted no longer matches its signature. The strings
in the ``provider_specific_fields`` of the answer, a choice and its message are checked and
redacted too, and ``logprobs`` (the answer's tokens spelt out, a redacted value among them)
are dropped.

Streams (LiteLLM runs no post_call hook for them): each text field of each choice (content,
``reasoning_content``, ``refusal``, thinking-block text, audio ``transcript``) goes through
its own :class:`~bastion.stream.StreamGuard` (held back until it can no longer change a
decision, redacted; a block ends the stream with an HTTP 400). The reasoning still held is
sent when the answer's content begins. Tool-call deltas are held per call until the choice
ends, each call's name and arguments checked whole and sent redacted in one chunk. Each
choice's ``logprobs`` are dropped, and a chunk's ``provider_specific_fields`` strings checked
chunk by chunk (no guard spans them: a secret split across two chunks there is not caught).
What a choice still holds is sent before its ``finish_reason`` chunk, and usage chunks
(``stream_options.include_usage``) come last. A stream item that is not a chat or
text-completion chunk (Responses API events, Anthropic SSE bytes) cannot be checked and
ends the stream with an HTTP 400 before it is sent: ask those endpoints without ``stream``.

A block raises an HTTP 400 in LiteLLM's guardrail style (``{"error": ..., "bastion": {...}}``)
with the labels and scores, never the text.

Needs ``litellm`` (its proxy extra for running the proxy); imported only here.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import HTTPException
from litellm.integrations.custom_guardrail import CustomGuardrail
from litellm.types.guardrails import GuardrailEventHooks
from litellm.types.utils import Delta, StreamingChoices, TextChoices

from bastion.conversation import check_messages, check_output, rewrite_message_texts
from bastion.errors import InputError
from bastion.protect import rewrite_content, rewrite_values
from bastion.results import textless_dict
from bastion.stream import StreamGuard
from bastion.types import Action

# call types whose ``input`` is not a prompt to a chat model: left unchecked (documented)
_UNCHECKED_CALLS = ("embedding", "moderation", "speech")
# Responses API input items bastion reads: type -> (role it is checked as, fields with text)
_ITEMS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "message": (None, ("content",)),  # the item's own role
    "function_call": ("assistant", ("arguments",)),
    "custom_tool_call": ("assistant", ("input",)),
    "function_call_output": ("tool", ("output",)),
    "custom_tool_call_output": ("tool", ("output",)),
    "reasoning": ("assistant", ("summary", "content")),
}
# a chat answer's text fields, as the proxy reads them (content and relay.TEXT_FIELDS)
_TEXT_FIELDS = ("content", "refusal", "reasoning_content", "reasoning")
# what makes a delta more than held tool calls or a bare finish
_DELTA_FIELDS = ("content", "role", "reasoning_content", "refusal", "thinking_blocks", "audio")
# how deep the strings of ``provider_specific_fields`` are read one by one (below: as JSON)
_MAX_FIELD_DEPTH = 8


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)


def _set(obj: Any, key: str, value: Any) -> None:
    if isinstance(obj, dict):
        obj[key] = value
    else:
        setattr(obj, key, value)


def _bad_request(error: str, result: Any = None) -> HTTPException:
    detail: dict[str, Any] = {"error": error}
    if result is not None:
        detail["bastion"] = textless_dict(result)
    return HTTPException(status_code=400, detail=detail)


def _rewrite_message(msg: Mapping[str, Any], text: Callable[[str], str]) -> dict[str, Any]:
    """A chat message with every text check_messages reads rewritten: its content, and an
    earlier answer's refusal, reasoning, audio transcript, tool-call arguments and custom
    tool-call input (:func:`~bastion.conversation.rewrite_message_texts`)."""
    out = dict(msg)
    if out.get("content") is not None:
        out["content"] = rewrite_content(out["content"], text)
    return rewrite_message_texts(out, text)


def _item_kind(item: Mapping[str, Any]) -> Any:
    return item.get("type") or ("message" if "role" in item else None)


def _item_message(item: Any, i: int) -> dict[str, Any] | None:
    """The chat message a Responses API input item is checked as (None: not read)."""
    if not isinstance(item, Mapping):
        raise InputError(f"input item {i} must be an object")
    kind = _item_kind(item)
    if kind == "message":
        return {"role": item.get("role"), "content": item.get("content")}
    if kind not in _ITEMS:
        return None
    role, fields = _ITEMS[kind]
    parts: list[Any] = []
    for name in fields:
        value = item.get(name)
        if isinstance(value, str):
            parts.append({"type": "text", "text": value})
        elif name in ("arguments", "input") and value is not None:  # arguments sent as an object
            parts.append({"type": "text", "text": json.dumps(value, ensure_ascii=False, default=str)})
        elif isinstance(value, list):
            parts += value
        elif isinstance(value, Mapping):
            parts.append(value)
    return {"role": role, "content": parts}


def _rewrite_item(item: Mapping[str, Any], text: Callable[[str], str]) -> dict[str, Any]:
    out = dict(item)
    for name in _ITEMS[_item_kind(item)][1]:
        value = out.get(name)
        if value is None:
            continue
        if name in ("arguments", "input") and not isinstance(value, str):
            out[name] = rewrite_values(value, text)
        else:
            out[name] = rewrite_content(value, text)
    return out


@dataclass
class _Call:
    """A streamed tool call (or legacy function call), held until its choice ends."""

    first: Any  # the first delta of it: id, type, name
    name: str | None = None
    id: str | None = None
    arguments: list[str] = field(default_factory=list)  # or a custom tool call's input, in pieces
    custom: bool = False  # an OpenAI custom tool call: ``custom.input``, not ``function.arguments``


@dataclass
class _Choice:
    """What the stream hook keeps per choice index."""

    guard: StreamGuard
    template: Any = None  # the latest chunk that carried this choice
    calls: dict[Any, _Call] = field(default_factory=dict)
    function_call: _Call | None = None
    # the other text fields' guards, by field: reasoning_content, refusal, thinking, transcript
    texts: dict[str, StreamGuard] = field(default_factory=dict)
    # thinking blocks that repeat reasoning_content take its released text (and its tail)
    mirror: bool = False
    audio_id: Any = None  # the audio the streamed transcript belongs to


class BastionGuardrail(CustomGuardrail):
    """LiteLLM ``CustomGuardrail`` running a bastion :class:`~bastion.guard.Guard`.

    ``guard`` defaults to :meth:`Guard.default` (shipped models), built on first use so
    that importing the proxy config loads no model.
    """

    def __init__(self, guard: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault(
            "supported_event_hooks", [GuardrailEventHooks.pre_call, GuardrailEventHooks.post_call]
        )
        super().__init__(**kwargs)
        self._guard = guard

    @property
    def guard(self) -> Any:
        if self._guard is None:
            from bastion.guard import Guard

            self._guard = Guard.default()
        return self._guard

    # -- requests ---------------------------------------------------------------------------

    async def async_pre_call_hook(
        self, user_api_key_dict: Any, cache: Any, data: dict, call_type: Any
    ) -> dict:
        if not self.should_run_guardrail(data, GuardrailEventHooks.pre_call):
            return data
        call = str(getattr(call_type, "value", call_type) or "")
        try:
            if data.get("messages"):
                data["messages"] = await asyncio.to_thread(self._guarded_messages, data["messages"])
            elif data.get("prompt") is not None:
                data["prompt"] = await asyncio.to_thread(self._guarded_prompt, data["prompt"], "prompt")
            elif data.get("input") is not None and not any(k in call for k in _UNCHECKED_CALLS):
                value = data["input"]
                if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
                    data["input"] = await asyncio.to_thread(self._guarded_items, value)
                else:
                    data["input"] = await asyncio.to_thread(self._guarded_prompt, value, "input")
        except InputError as exc:  # a bad message shape is the client's error, not a 500
            raise _bad_request(f"bastion: {exc}") from None
        return data

    def _check(self, messages: Sequence[Mapping[str, Any]]) -> _Redactor:
        """Check ``messages`` (HTTP 400 on a block) and return the rewrite that redacts a
        text of them with the input policy (the checks' own results reused)."""
        result = check_messages(self.guard, messages)
        if result.action is Action.BLOCK:
            raise _bad_request("bastion blocked the request", result)
        pieces = {}
        for m in result.messages:  # a whole user/tool text, checked with the input policy
            msg = messages[m.index]
            whole = isinstance(msg.get("content"), str) and not (
                msg.get("tool_calls") or msg.get("function_call")
            )
            if m.result is not None and m.checked_as in ("input", "indirect") and whole:
                pieces[msg["content"]] = m.result.redacted_text
        return _Redactor(self.guard, pieces)

    def _guarded_messages(self, messages: Any) -> list[Any]:
        redact = self._check(messages)
        keep = ("system", "developer")
        return redact.run(
            lambda text: [m if m.get("role") in keep else _rewrite_message(m, text) for m in messages]
        )

    def _guarded_prompt(self, prompt: Any, name: str) -> Any:
        texts = [prompt] if isinstance(prompt, str) else prompt
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise InputError(f"{name} must be a string or a list of strings (token ids cannot be checked)")
        redact = self._check([{"role": "user", "content": t} for t in texts])
        out = redact.run(lambda text: [text(t) for t in texts])
        return out[0] if isinstance(prompt, str) else out

    def _guarded_items(self, items: list[Any]) -> list[Any]:
        read = [(i, _item_message(item, i)) for i, item in enumerate(items)]
        read = [(i, m) for i, m in read if m is not None]
        redact = self._check([m for _, m in read])
        keep = {i for i, m in read if m["role"] in ("system", "developer")}
        todo = {i for i, _ in read} - keep
        return redact.run(
            lambda text: [_rewrite_item(it, text) if i in todo else it for i, it in enumerate(items)]
        )

    # -- whole answers ----------------------------------------------------------------------

    async def async_post_call_success_hook(self, data: dict, user_api_key_dict: Any, response: Any) -> Any:
        if not self.should_run_guardrail(data, GuardrailEventHooks.post_call):
            return response
        await self._checked_provider_fields(response)
        choices = _get(response, "choices")
        for choice in choices or ():
            # the answer's tokens spelt out: a value redacted below would stay in them
            _drop(choice, "logprobs")
            await self._checked_provider_fields(choice)
            message = _get(choice, "message")
            if message is not None:
                await self._checked_provider_fields(message)
                await self._checked_fields(message, _TEXT_FIELDS)
                # redacted_thinking blocks hold encrypted data: nothing to read
                for block in _get(message, "thinking_blocks") or ():
                    await self._checked_fields(block, ("thinking",))
                # web-search citations: a client renders their title and URL as a link
                for note in _get(message, "annotations") or ():
                    await self._checked_fields(_get(note, "url_citation"), ("title", "url"))
                for item in _get(message, "reasoning_items") or ():
                    await self._checked_fields(item, ("summary",))
                await self._checked_fields(_get(message, "audio"), ("transcript",))
                # what the model sends to tools is output too, the names included
                for call in _get(message, "tool_calls") or ():
                    await self._checked_fields(_get(call, "function"), ("name", "arguments"))
                    await self._checked_fields(_get(call, "custom"), ("name", "input"))
                await self._checked_fields(_get(message, "function_call"), ("name", "arguments"))
            else:  # a text completion
                await self._checked_fields(choice, ("text",))
        if _get(response, "object") == "response":  # a Responses API answer
            for item in _get(response, "output") or ():
                for part in _get(item, "content") or ():
                    if not isinstance(part, str):
                        _drop(part, "logprobs")  # output_text's tokens, as a choice's above
                await self._checked_fields(item, ("content", "summary", "name", "arguments", "input"))
        return response

    async def _checked_provider_fields(self, obj: Any) -> None:
        """``obj``'s ``provider_specific_fields`` (where LiteLLM puts what a provider sends
        besides the OpenAI fields, reasoning included): every string in it checked as output
        and redacted in place."""
        fields = _get(obj, "provider_specific_fields")
        if fields:
            _set(obj, "provider_specific_fields", await self._checked_values(fields, 0))

    async def _checked_values(self, value: Any, depth: int) -> Any:
        if isinstance(value, str):
            return await self._checked(value) if value else value
        if hasattr(value, "model_dump"):
            value = value.model_dump()
        if not isinstance(value, Mapping | list | tuple):
            return value  # a number, a flag
        if depth >= _MAX_FIELD_DEPTH:
            # deeper than anyone nests text: read whole, and dropped if anything in it is
            # redacted (a secret blocks)
            dumped = json.dumps(value, ensure_ascii=False, default=str)
            return value if await self._checked(dumped) == dumped else None
        if isinstance(value, Mapping):
            return {k: await self._checked_values(v, depth + 1) for k, v in value.items()}
        return [await self._checked_values(v, depth + 1) for v in value]

    async def _checked_fields(self, obj: Any, names: tuple[str, ...]) -> None:
        """Each of ``obj``'s fields in ``names`` checked as output and redacted in place: a
        string, or a list of parts (dicts or objects) with a ``text`` or a ``refusal``."""
        if obj is None:
            return
        for name in names:
            value = _get(obj, name)
            if isinstance(value, str) and value:
                _set(obj, name, await self._checked(value))
            elif isinstance(value, list):
                for i, part in enumerate(value):
                    if isinstance(part, str):
                        value[i] = await self._checked(part) if part else part
                    else:
                        await self._checked_fields(part, ("text", "refusal"))

    def _checked_sync(self, text: str) -> str:
        r = check_output(self.guard, text)
        if r.action is Action.BLOCK:
            raise _bad_request("bastion blocked the response", r)
        return r.redacted_text

    async def _checked(self, text: str) -> str:
        return await asyncio.to_thread(self._checked_sync, text)

    # -- streams ----------------------------------------------------------------------------

    async def async_post_call_streaming_iterator_hook(
        self, user_api_key_dict: Any, response: Any, request_data: dict
    ) -> AsyncIterator[Any]:
        """Streamed answers: see the module docstring."""
        if not self.should_run_guardrail(request_data, GuardrailEventHooks.post_call):
            async for item in response:
                yield item
            return
        states: dict[Any, _Choice] = {}
        trailing: list[Any] = []  # chunks with no choice (usage): sent last
        async for chunk in response:
            choices = getattr(chunk, "choices", None)
            if not isinstance(choices, list):
                raise _bad_request(
                    f"bastion cannot check a {type(chunk).__name__} stream; ask without stream"
                )
            await self._checked_provider_fields(chunk)
            if not choices:
                trailing.append(chunk)
                continue
            finishing, emptied = [], 0
            for choice in choices:
                state = states.get(choice.index)
                if state is None:
                    state = states[choice.index] = _Choice(StreamGuard(self.guard))
                state.template = chunk
                emptied += await self._feed(state, choice)
                if getattr(choice, "finish_reason", None):
                    finishing.append(choice)
            if not finishing:
                if emptied < len(choices):  # a chunk of held tool-call deltas only is not sent
                    yield chunk
                continue
            reasons = [c.finish_reason for c in finishing]
            for c in finishing:
                c.finish_reason = None
            # a chunk that only says "finished" is sent after the held text, as it is
            only_finish = len(finishing) == len(choices) and not any(_has_text(c) for c in choices)
            if not only_finish:
                yield chunk
            for c, reason in zip(finishing, reasons, strict=True):
                for out in await self._flush(states.pop(c.index), c.index):
                    yield out
                if not only_finish:
                    yield self._chunk(chunk, c, finish_reason=reason)
            if only_finish:
                for c, reason in zip(finishing, reasons, strict=True):
                    c.finish_reason = reason
                yield chunk
        for index, state in states.items():  # choices that never said they finished
            for out in await self._flush(state, index):
                yield out
        for chunk in trailing:
            yield chunk

    async def _feed(self, state: _Choice, choice: Any) -> bool:
        """One choice of a chunk: its text replaced by what the guard releases, its tool
        calls taken out and held. True when nothing but held calls was in it."""
        # the tokens spelt out would carry what the guard holds back or redacts
        _drop(choice, "logprobs")
        await self._checked_provider_fields(choice)
        delta = getattr(choice, "delta", None)
        if delta is None:  # a text completion
            text = getattr(choice, "text", None)
            if isinstance(text, str) and text:
                choice.text = await self._released(state.guard.feed, text)
            return False
        # a fragment's provider fields are checked on their own: no guard spans chunks
        await self._checked_provider_fields(delta)
        for call in getattr(delta, "tool_calls", None) or ():
            key = getattr(call, "index", None)
            if not isinstance(key, int):  # no index: the call with this id, else the latest
                key = getattr(call, "id", None) or next(reversed(state.calls), 0)
            _add(state.calls.setdefault(key, _Call(call)), call)
        held = bool(getattr(delta, "tool_calls", None))
        if held:
            delta.tool_calls = None
        fc = getattr(delta, "function_call", None)
        if fc is not None:
            held = True
            if state.function_call is None:
                state.function_call = _Call(fc)
            _add(state.function_call, fc)
            delta.function_call = None
        await self._feed_texts(state, delta)
        text = getattr(delta, "content", None)
        if isinstance(text, str) and text:
            await self._end_reasoning(state, delta)
            delta.content = await self._released(state.guard.feed, text)
        return held and not any(getattr(delta, name, None) for name in _DELTA_FIELDS)

    async def _feed_texts(self, state: _Choice, delta: Any) -> None:
        """A delta's text fields other than content, each replaced by what its own guard
        releases."""
        reasoning = getattr(delta, "reasoning_content", None)
        blocks = getattr(delta, "thinking_blocks", None)
        blocks = blocks if isinstance(blocks, list) else []
        thinking = [b for b in blocks if _thinking(b)]
        # LiteLLM's Anthropic stream sends each thinking fragment twice (reasoning_content
        # and a thinking block): checked once, so both carry the same released text
        mirror = len(thinking) == 1 and thinking[0]["thinking"] == reasoning
        for name in ("reasoning_content", "refusal"):
            text = getattr(delta, name, None)
            if isinstance(text, str) and text:
                setattr(delta, name, await self._stream(state, name, text))
        if thinking:
            state.mirror = state.mirror or mirror
            out = []
            for b in blocks:
                if _thinking(b):
                    released = (
                        delta.reasoning_content
                        if mirror
                        else await self._stream(state, "thinking", b["thinking"])
                    )
                    b = {**b, "thinking": released}
                out.append(b)
            delta.thinking_blocks = out
        audio = getattr(delta, "audio", None)
        transcript = _get(audio, "transcript")
        if isinstance(transcript, str) and transcript:
            state.audio_id = _get(audio, "id") or state.audio_id
            _set(audio, "transcript", await self._stream(state, "transcript", transcript))

    async def _stream(self, state: _Choice, name: str, text: str) -> str:
        guard = state.texts.get(name)
        if guard is None:
            guard = state.texts[name] = StreamGuard(self.guard)
        return await self._released(guard.feed, text)

    async def _close(self, state: _Choice, name: str) -> str:
        guard = state.texts.pop(name, None)
        return await self._released(guard.close) if guard is not None else ""

    async def _reasoning_tail(self, state: _Choice) -> tuple[str, list[dict[str, Any]]]:
        """What the reasoning guards still hold: the reasoning_content tail and the thinking
        blocks to send it in."""
        reasoning = await self._close(state, "reasoning_content")
        thinking = await self._close(state, "thinking")
        texts = (reasoning if state.mirror else "", thinking)
        return reasoning, [{"type": "thinking", "thinking": t} for t in texts if t]

    async def _end_reasoning(self, state: _Choice, delta: Any) -> None:
        """The answer's content has begun: the reasoning still held goes out first, in the
        same delta (a later reasoning fragment starts a new guard)."""
        reasoning, blocks = await self._reasoning_tail(state)
        if reasoning:
            delta.reasoning_content = (getattr(delta, "reasoning_content", None) or "") + reasoning
        if blocks:
            delta.thinking_blocks = [*(getattr(delta, "thinking_blocks", None) or ()), *blocks]

    async def _flush(self, state: _Choice, index: Any) -> list[Any]:
        """The end of one choice: its held reasoning, content, refusal and transcript tails,
        then each held call with its name and arguments checked whole and redacted (chunks
        without a finish_reason)."""
        out = []
        chat = getattr(state.template.choices[0], "delta", None) is not None
        reasoning, blocks = await self._reasoning_tail(state)
        if reasoning or blocks:
            delta = Delta(reasoning_content=reasoning or None, thinking_blocks=blocks or None)
            out.append(self._chunk(state.template, StreamingChoices(index=index, delta=delta)))
        tail = await self._released(state.guard.close)
        if tail and chat:
            out.append(self._chunk(state.template, StreamingChoices(index=index, delta=Delta(content=tail))))
        elif tail:
            out.append(self._chunk(state.template, TextChoices(index=index, text=tail)))
        refusal = await self._close(state, "refusal")
        if refusal:
            out.append(
                self._chunk(state.template, StreamingChoices(index=index, delta=Delta(refusal=refusal)))
            )
        transcript = await self._close(state, "transcript")
        if transcript:
            delta = Delta(audio={"id": state.audio_id, "transcript": transcript})
            out.append(self._chunk(state.template, StreamingChoices(index=index, delta=delta)))
        for pos, (key, call) in enumerate(state.calls.items()):
            arguments = "".join(call.arguments)
            arguments = await self._checked(arguments) if arguments else arguments
            name = await self._checked(call.name) if call.name else call.name
            kind, field_name = ("custom", "input") if call.custom else ("function", "arguments")
            tool_call = {
                "index": key if isinstance(key, int) else pos,
                "id": call.id,
                "type": getattr(call.first, "type", None) or kind,
                kind: {"name": name, field_name: arguments},
            }
            delta = Delta(tool_calls=[tool_call])
            out.append(self._chunk(state.template, StreamingChoices(index=index, delta=delta)))
        if state.function_call is not None:
            fc = state.function_call
            arguments = "".join(fc.arguments)
            arguments = await self._checked(arguments) if arguments else arguments
            name = await self._checked(fc.name) if fc.name else fc.name
            delta = Delta(function_call={"name": name, "arguments": arguments})
            out.append(self._chunk(state.template, StreamingChoices(index=index, delta=delta)))
        return out

    @staticmethod
    def _chunk(template: Any, choice: Any, finish_reason: str | None = None) -> Any:
        """A copy of ``template`` carrying only ``choice`` (a fresh one with no text when
        ``finish_reason`` is given) and no usage."""
        # shallow: the choices are replaced and the usage dropped on the copy only
        out = template.model_copy() if hasattr(template, "model_copy") else copy.copy(template)
        if finish_reason is not None:
            if getattr(choice, "delta", None) is not None:
                choice = StreamingChoices(index=choice.index, delta=Delta(), finish_reason=finish_reason)
            else:
                choice = TextChoices(index=choice.index, text="", finish_reason=finish_reason)
        out.choices = [choice]
        if getattr(out, "usage", None) is not None:
            try:
                del out.usage
            except AttributeError:
                out.usage = None
        return out

    async def _released(self, step: Callable[..., list[Any]], *args: str) -> str:
        try:
            events = await self.guard._workers.run(step, *args)
        except InputError as exc:  # over the output policy's max_chars
            raise _bad_request(f"bastion: {exc}") from None
        for e in events:
            if e.kind == "block":
                raise _bad_request("bastion blocked the response", e.result)
        return "".join(e.text for e in events if e.kind == "text")


class _Redactor:
    """Rewrites texts with the input policy, the checks batched: ``run(build)`` calls
    ``build(text)`` once to collect the texts, checks the new ones in one batch, then
    builds again with the redacted texts."""

    def __init__(self, guard: Any, known: dict[str, str]) -> None:
        self.guard, self.known = guard, known

    def run(self, build: Callable[[Callable[[str], str]], Any]) -> Any:
        wanted: list[str] = []

        def collect(text: str) -> str:
            if text not in self.known:
                wanted.append(text)
            return text

        build(collect)
        new = list(dict.fromkeys(wanted))
        if new:
            results = self.guard.check_many(new)
            self.known.update((t, r.redacted_text) for t, r in zip(new, results, strict=True))
        return build(self.known.__getitem__)


def _drop(obj: Any, key: str) -> None:
    """``obj`` without ``key`` (a dict's key, or a LiteLLM object's attribute)."""
    if isinstance(obj, dict):
        obj.pop(key, None)
    elif getattr(obj, key, None) is not None:
        try:
            delattr(obj, key)
        except AttributeError:
            setattr(obj, key, None)


def _add(call: _Call, delta: Any) -> None:
    custom = _get(delta, "custom")
    # a custom tool call's name and input, a tool call's function, or a legacy function call
    fn = custom or _get(delta, "function") or delta
    call.custom = call.custom or custom is not None
    call.id = call.id or _get(delta, "id")
    call.name = call.name or _get(fn, "name")
    args = _get(fn, "input" if custom is not None else "arguments")
    if isinstance(args, str):
        call.arguments.append(args)


def _has_text(choice: Any) -> bool:
    """Whether a choice says more than that it finished (text, or the role of a first chunk)."""
    delta = getattr(choice, "delta", None)
    if delta is None:
        return bool(getattr(choice, "text", None))
    return any(getattr(delta, name, None) for name in _DELTA_FIELDS)


def _thinking(block: Any) -> bool:
    """Whether a thinking block carries text (not a signature-only or redacted one)."""
    return isinstance(block, Mapping) and isinstance(block.get("thinking"), str) and bool(block["thinking"])


__all__ = ["BastionGuardrail"]
