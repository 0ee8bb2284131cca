"""LangChain Runnables: ``guard_input(guard) | llm | guard_output(guard)`` in LCEL.

``guard_input`` takes what a chat model takes (a string, a list of messages, or a
``PromptValue``), checks it, raises :class:`~bastion.errors.BlockedError` on block and
otherwise passes it on with PII redacted. ``guard_output`` takes the model's answer (an
``AIMessage`` or a string), checks it as output (secrets block, PII redacted, strict
injection point; optional canaries and system-prompt leak) and returns the same type.

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
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, BaseMessage, ChatMessage, SystemMessage
from langchain_core.prompt_values import ChatPromptValue, PromptValue, StringPromptValue
from langchain_core.runnables import RunnableLambda

from bastion.canary import Canary
from bastion.conversation import ROLES, check_messages, check_output
from bastion.errors import BlockedError, InputError
from bastion.leak import LeakConfig
from bastion.protect import rewrite_content, rewrite_values
from bastion.types import Action

if TYPE_CHECKING:
    from bastion.guard import Guard

_ROLE = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool", "function": "tool"}


def _role(msg: BaseMessage) -> str:
    role = msg.role if isinstance(msg, ChatMessage) else msg.type
    role = _ROLE.get(role, role)
    # a role the checks do not know is read as the user's: checked, never trusted
    return role if role in ROLES else "user"


def _plain(m: BaseMessage) -> dict[str, Any]:
    """The OpenAI-shaped message check_messages reads, tool calls included."""
    out: dict[str, Any] = {"role": _role(m), "content": m.content}
    calls = getattr(m, "tool_calls", None) or ()
    if calls:
        out["tool_calls"] = [
            {"function": {"name": c.get("name"), "arguments": json.dumps(c.get("args"), ensure_ascii=False)}}
            for c in calls
        ]
    return out


def _check_messages(guard: Guard, messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    result = check_messages(guard, [_plain(m) for m in messages])
    if result.action is Action.BLOCK:
        raise BlockedError("bastion blocked the model input", result)
    # text per message index: trusted (system) messages pass through unchanged
    redacted = {m.index: m.result.redacted_text for m in result.messages if m.result is not None}
    out = []
    for i, m in enumerate(messages):
        if i in redacted and not isinstance(m, SystemMessage | AIMessage):
            if isinstance(m.content, str):
                m = m.model_copy(update={"content": redacted[i]})
            else:  # a list of parts: each text part redacted on its own
                m = m.model_copy(
                    update={"content": rewrite_content(m.content, lambda t: guard.check(t).redacted_text)}
                )
        out.append(m)
    return out


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


def guard_output(
    guard: Guard,
    *,
    system_prompt: str | None = None,
    canaries: Sequence[Canary | str] = (),
    leak_config: LeakConfig | None = None,
) -> RunnableLambda:
    """A Runnable that checks a chat model's answer (see the module docstring)."""

    def run(value: Any) -> Any:
        if isinstance(value, BaseMessage):
            text = value.content if isinstance(value.content, str) else value.text
        elif isinstance(value, str):
            text = value
        else:
            raise InputError(f"guard_output takes a message or a string, not {type(value).__name__}")
        r = check_output(guard, text, system_prompt=system_prompt, canaries=canaries, leak_config=leak_config)
        if r.action is Action.BLOCK:
            raise BlockedError("bastion blocked the model output", r)
        if not isinstance(value, BaseMessage):
            return r.redacted_text
        update: dict[str, Any] = {"content": r.redacted_text}
        calls = getattr(value, "tool_calls", None) or ()
        if calls:
            # what the model sends to tools is output too: a secret there blocks, PII is redacted
            def arg(t: str) -> str:
                res = check_output(
                    guard, t, system_prompt=system_prompt, canaries=canaries, leak_config=leak_config
                )
                if res.action is Action.BLOCK:
                    raise BlockedError("bastion blocked the model output", res)
                return res.redacted_text

            update["tool_calls"] = [{**c, "args": rewrite_values(c.get("args") or {}, arg)} for c in calls]
        return value.model_copy(update=update)

    return RunnableLambda(run, name="bastion_guard_output")


__all__ = ["guard_input", "guard_output"]
