"""LangChain Runnables: ``guard_input(guard) | llm | guard_output(guard)`` in LCEL.

``guard_input`` takes what a chat model takes (a string, a list of messages, or a
``PromptValue``), checks it, raises :class:`~bastion.errors.BlockedError` on block and
otherwise passes it on with PII redacted. Earlier assistant turns are checked as output
(a secret blocks) and then redacted with the input policy like user and tool messages:
their text, their ``tool_calls`` / ``invalid_tool_calls`` arguments and the raw copies in
``additional_kwargs`` (an app sends back the answers it got, with the user's values).

``guard_output`` takes the model's answer (an ``AIMessage`` or a string), checks it as
output (secrets block, PII redacted, strict injection point; optional canaries and
system-prompt leak) and returns the same type. Content that is a list of blocks stays a
list: text blocks are rewritten in place, the arguments in ``tool_use`` blocks are checked
like tool-call arguments, the model's other words (``thinking`` and ``reasoning`` blocks,
reasoning ``summary`` texts, refusals) are checked like text and rewritten in place, and
blocks without text (images, redacted thinking) pass unchanged. A thinking block whose
text is redacted no longer matches its signature. ``additional_kwargs`` ``reasoning_content``,
``refusal`` and ``reasoning`` are checked the same way. Every copy of the tool calls' names
and arguments is checked as output: ``tool_calls``, ``invalid_tool_calls`` (malformed JSON,
checked as a string), ``additional_kwargs`` (``tool_calls`` / ``function_call``) and, for an
``AIMessageChunk``, ``tool_call_chunks`` (rebuilt from the redacted calls, so adding chunks
later does not bring the originals back). ``response_metadata["logprobs"]`` (the answer's
tokens spelt out, a redacted value among them) is dropped.

``guard_output`` checks whole answers: in ``chain.stream()`` it collects the model's
chunks and yields one chunk once the model has finished (a secret split across chunks is
still caught). For text streamed as it comes, use :meth:`bastion.Guard.stream`.

Needs ``langchain-core`` (``pip install 'bastion[langchain]'``); imported only here.

>>> from langchain_core.language_models.fake_chat_models import FakeListChatModel
>>> from bastion import Guard
>>> g = Guard.default(tasks=("pii",))
>>> chain = guard_input(g) | FakeListChatModel(responses=["Reach me at bob@example.org"]) | guard_output(g)
>>> chain.invoke("hi, I am jane@example.com").content
'Reach me at [REDACTED_EMAIL_ADDRESS]'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessageChunk, BaseMessage, ChatMessage, SystemMessage
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.prompt_values import ChatPromptValue, PromptValue, StringPromptValue
from langchain_core.runnables import RunnableLambda
from langchain_core.utils.json import parse_partial_json

from bastion.canary import Canary
from bastion.conversation import ROLES, check_messages, check_output
from bastion.errors import BlockedError, InputError
from bastion.leak import LeakConfig
from bastion.protect import rewrite_content, rewrite_values
from bastion.types import Action

if TYPE_CHECKING:
    from bastion.guard import Guard

_ROLE = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool", "function": "tool"}

Text = Callable[[str], str]


def _role(msg: BaseMessage) -> str:
    role = msg.role if isinstance(msg, ChatMessage) else msg.type
    if role.endswith("MessageChunk"):
        # a summed stream kept in the history ("AIMessageChunk"): the role of its message
        role = role[: -len("MessageChunk")].lower()
    role = _ROLE.get(role, role)
    # a role the checks do not know is read as the user's: checked, never trusted
    return role if role in ROLES else "user"


def _dumps(args: Any) -> str:
    return json.dumps(args, ensure_ascii=False)


def _plain(m: BaseMessage) -> dict[str, Any]:
    """The OpenAI-shaped message check_messages reads, every copy of its tool calls included."""
    out: dict[str, Any] = {"role": _role(m), "content": m.content}
    calls = [
        {"id": c.get("id"), "function": {"name": c.get("name"), "arguments": _dumps(c.get("args"))}}
        for c in getattr(m, "tool_calls", None) or ()
    ]
    calls += [
        {"id": c.get("id"), "function": {"name": c.get("name"), "arguments": c["args"]}}
        for c in getattr(m, "invalid_tool_calls", None) or ()
        if isinstance(c.get("args"), str)
    ]
    kwargs = m.additional_kwargs or {}
    seen = {c["id"] for c in calls if c["id"] is not None}
    raw = kwargs.get("tool_calls")
    if isinstance(raw, list):  # a provider's raw copy: read unless it repeats a call above
        calls += [c for c in raw if not (isinstance(c, Mapping) and c.get("id") in seen)]
    if calls:
        out["tool_calls"] = calls
    if isinstance(kwargs.get("function_call"), Mapping):
        out["function_call"] = kwargs["function_call"]
    return out


def _raw_call(call: Any, text: Text) -> Any:
    """An OpenAI-style ``tool_calls`` entry with its ``function.arguments`` rewritten."""
    if not isinstance(call, Mapping) or not isinstance(call.get("function"), Mapping):
        return call
    function = dict(call["function"])
    args = function.get("arguments")
    if isinstance(args, str):
        function["arguments"] = text(args)
    elif isinstance(args, Mapping | list):
        function["arguments"] = rewrite_values(args, text)
    return {**call, "function": function}


def _answer_words(block: dict[str, Any], text: Text) -> dict[str, Any]:
    """``block`` with the model's words that are not its ``text`` rewritten in place:
    reasoning (Anthropic ``thinking``, LangChain ``reasoning``, OpenAI ``summary`` parts),
    a refusal, and a tool call's name and string arguments (an OpenAI ``function_call``)."""
    for key in ("thinking", "reasoning", "refusal", "name", "arguments"):
        if isinstance(block.get(key), str):
            block[key] = text(block[key])
    if isinstance(block.get("summary"), list):
        block["summary"] = rewrite_content(block["summary"], text)
    return block


def _call_name(call: Any, text: Text) -> Any:
    """An OpenAI-style ``tool_calls`` entry with its ``function.name`` rewritten."""
    fn = call.get("function") if isinstance(call, Mapping) else None
    if not (isinstance(fn, Mapping) and isinstance(fn.get("name"), str)):
        return call
    return {**call, "function": {**fn, "name": text(fn["name"])}}


def _rewrite_blocks(content: Any, text: Text, answer: bool = False) -> Any:
    """Message content with every text and every tool-call argument rewritten; a list
    stays a list. Reasoning, refusals and tool names too for an ``answer``; blocks without
    text (images, redacted thinking) stay as they are."""
    if not isinstance(content, list):
        return rewrite_content(content, text)
    out = []
    for block in content:
        block = rewrite_content(block, text)  # text, nested content, tool_use input, documents
        if isinstance(block, dict):
            if answer:
                block = _answer_words(block, text)
            # a streamed tool_use block's arguments, and LangChain's own tool-call blocks
            if isinstance(block.get("partial_json"), str):
                block["partial_json"] = text(block["partial_json"])
            args = block.get("args")
            if isinstance(args, str):
                block["args"] = text(args)
            elif isinstance(args, Mapping | list):
                block["args"] = rewrite_values(args, text)
        out.append(block)
    return out


def _chunks(m: AIMessageChunk, calls: list[dict], invalid: list[dict]) -> list[dict]:
    """``tool_call_chunks`` holding the rewritten arguments, in the order and with the
    indexes of the originals (LangChain derives tool_calls from them when chunks are added)."""
    ordered: list[tuple[dict, Any]] = []
    valid_it, invalid_it = iter(calls), iter(invalid)
    for ch in m.tool_call_chunks:
        try:  # how LangChain sorted this chunk into tool_calls or invalid_tool_calls
            valid = isinstance(parse_partial_json(ch["args"]) if ch.get("args") else {}, dict)
        except Exception:
            valid = False
        c = next(valid_it if valid else invalid_it, None)
        if c is None:
            break
        ordered.append((c, ch.get("index")))
    else:
        if next(valid_it, None) is None and next(invalid_it, None) is None:
            return [
                tool_call_chunk(
                    name=c.get("name"),
                    args=c["args"] if isinstance(c.get("args"), str) else _dumps(c.get("args")),
                    id=c.get("id"),
                    index=index,
                )
                for c, index in ordered
            ]
    # tool_calls no longer match the chunks (edited by hand): chunks from the calls, by id
    index = {ch.get("id"): ch.get("index") for ch in m.tool_call_chunks if ch.get("id") is not None}
    return [
        tool_call_chunk(
            name=c.get("name"),
            args=c["args"] if isinstance(c.get("args"), str) else _dumps(c.get("args")),
            id=c.get("id"),
            index=index.get(c.get("id")),
        )
        for c in [*calls, *invalid]
    ]


def _rewrite_message(m: BaseMessage, text: Text, answer: bool = False) -> BaseMessage:
    """``m`` with its content and every copy of its tool-call arguments rewritten by
    ``text`` (which may raise to block). For an ``answer`` (the model's output) its
    reasoning, refusal and tool-call names too: earlier turns sent back keep them as they
    are, as a changed thinking block no longer matches its signature."""
    update: dict[str, Any] = {"content": _rewrite_blocks(m.content, text, answer)}

    def named(c: Any) -> dict[str, Any]:
        c = dict(c)
        if answer and isinstance(c.get("name"), str):
            c["name"] = text(c["name"])
        return c

    calls = [
        {**named(c), "args": rewrite_values(c.get("args") or {}, text)}
        for c in getattr(m, "tool_calls", None) or ()
    ]
    invalid = [
        {**named(c), "args": text(c["args"])} if isinstance(c.get("args"), str) else named(c)
        for c in getattr(m, "invalid_tool_calls", None) or ()
    ]
    if calls:
        update["tool_calls"] = calls
    if invalid:
        update["invalid_tool_calls"] = invalid
    kwargs = m.additional_kwargs or {}
    new = dict(kwargs)
    if answer:
        for key in ("reasoning_content", "refusal", "reasoning"):
            value = kwargs.get(key)
            if isinstance(value, str):
                new[key] = text(value)
            elif isinstance(value, Mapping):  # an OpenAI reasoning item: summary parts
                new[key] = _answer_words(rewrite_content(value, text), text)
    if kwargs.get("tool_calls") or kwargs.get("function_call"):
        # the provider's raw copy: the rewritten arguments of the same call where the id
        # matches, otherwise its own arguments rewritten
        done = {c["id"]: _dumps(c["args"]) for c in calls if c.get("id") is not None}
        done |= {
            c["id"]: c["args"] for c in invalid if c.get("id") is not None and isinstance(c.get("args"), str)
        }

        def raw(c: Any) -> Any:
            fn = c.get("function") if isinstance(c, Mapping) else None
            if isinstance(fn, Mapping) and isinstance(fn.get("arguments"), str) and c.get("id") in done:
                c = {**c, "function": {**fn, "arguments": done[c["id"]]}}
            else:
                c = _raw_call(c, text)
            return _call_name(c, text) if answer else c

        if isinstance(kwargs.get("tool_calls"), list):
            new["tool_calls"] = [raw(c) for c in kwargs["tool_calls"]]
        elif kwargs.get("tool_calls") is not None:
            del new["tool_calls"]  # a shape not read here: dropped, never passed on unchecked
        if isinstance(kwargs.get("function_call"), Mapping):
            new["function_call"] = raw({"function": kwargs["function_call"]})["function"]
        elif kwargs.get("function_call") is not None:
            del new["function_call"]
    if new != kwargs:
        update["additional_kwargs"] = new
    if isinstance(m, AIMessageChunk) and m.tool_call_chunks:
        update["tool_call_chunks"] = _chunks(m, calls, invalid)
    metadata = getattr(m, "response_metadata", None) or {}
    if answer and "logprobs" in metadata:
        # the answer's tokens spelt out: a value redacted in the content stays in them
        update["response_metadata"] = {k: v for k, v in metadata.items() if k != "logprobs"}
    return m.model_copy(update=update)


def _check_messages(guard: Guard, messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    result = check_messages(guard, [_plain(m) for m in messages])
    if result.action is Action.BLOCK:
        raise BlockedError("bastion blocked the model input", result)
    # text per message index: trusted (system) messages pass through unchanged
    redacted = {m.index: m.result.redacted_text for m in result.messages if m.result is not None}

    def rewrite(text: Text) -> list[BaseMessage]:
        out = []
        for i, m in enumerate(messages):
            if isinstance(m, SystemMessage):
                pass
            elif _role(m) == "assistant":
                # an earlier answer, sent back: checked as output above (a secret blocks),
                # and redacted like the user's own text, tool-call arguments included
                m = _rewrite_message(m, text)
            elif i in redacted:
                if isinstance(m.content, str):
                    m = m.model_copy(update={"content": redacted[i]})
                else:  # a list of parts: each text part redacted on its own
                    m = m.model_copy(update={"content": rewrite_content(m.content, text)})
            out.append(m)
        return out

    # the texts still to redact, found by a first pass, are checked in one batch
    todo: dict[str, str] = {}

    def collect(value: str) -> str:
        if value.strip():
            todo[value] = value
        return value

    rewrite(collect)
    results = guard.check_many(list(todo)) if todo else []
    done = {t: r.redacted_text for t, r in zip(todo, results, strict=True)}
    return rewrite(lambda value: done.get(value, value))


def guard_input(guard: Guard) -> RunnableLambda:
    """A Runnable that checks a chat model's input (see the module docstring)."""

    def run(value: Any) -> Any:
        if isinstance(value, str):
            r = guard.check(value)
            if r.action is Action.BLOCK:
                raise BlockedError("bastion blocked the model input", r)
            return r.redacted_text
        if isinstance(value, StringPromptValue):
            return StringPromptValue(text=run(value.text))
        if isinstance(value, ChatPromptValue):
            return ChatPromptValue(messages=_check_messages(guard, value.messages))
        if isinstance(value, PromptValue):
            return ChatPromptValue(messages=_check_messages(guard, value.to_messages()))
        if isinstance(value, Sequence) and all(isinstance(m, BaseMessage) for m in value):
            return _check_messages(guard, value)
        raise InputError(f"guard_input takes a string, messages or a PromptValue, not {type(value).__name__}")

    return RunnableLambda(run, name="bastion_guard_input")


def _texts(content: Any) -> list[str]:
    """The text blocks of list content (what ``BaseMessage.text`` joins)."""
    return [
        b if isinstance(b, str) else b["text"]
        for b in content
        if isinstance(b, str) or (isinstance(b, Mapping) and isinstance(b.get("text"), str))
    ]


def guard_output(
    guard: Guard,
    *,
    system_prompt: str | None = None,
    canaries: Sequence[Canary | str] = (),
    leak_config: LeakConfig | None = None,
) -> RunnableLambda:
    """A Runnable that checks a chat model's answer (see the module docstring)."""

    def check(text: str) -> str:
        r = check_output(guard, text, system_prompt=system_prompt, canaries=canaries, leak_config=leak_config)
        if r.action is Action.BLOCK:
            raise BlockedError("bastion blocked the model output", r)
        return r.redacted_text

    def checked(text: str) -> str:
        # the text, the tool-call arguments: what the model sends to tools is output too
        return check(text) if text.strip() else text

    def run(value: Any) -> Any:
        if isinstance(value, str):
            return check(value)
        if not isinstance(value, BaseMessage):
            raise InputError(f"guard_output takes a message or a string, not {type(value).__name__}")
        if isinstance(value.content, list):
            texts = _texts(value.content)
            if len(texts) > 1:  # a secret or a leak split across text blocks blocks too
                check("".join(texts))
        # a name or arguments repeated in each copy of a call: one model pass each
        seen: dict[str, str] = {}

        def once(text: str) -> str:
            if text not in seen:
                seen[text] = checked(text)
            return seen[text]

        return _rewrite_message(value, once, answer=True)

    return RunnableLambda(run, name="bastion_guard_output")


__all__ = ["guard_input", "guard_output"]
