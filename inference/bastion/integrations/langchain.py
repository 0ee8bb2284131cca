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

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, BaseMessage, ChatMessage, SystemMessage
from langchain_core.prompt_values import ChatPromptValue, PromptValue, StringPromptValue
from langchain_core.runnables import RunnableLambda

from bastion.canary import Canary
from bastion.conversation import check_messages, check_output
from bastion.errors import BlockedError, InputError
from bastion.leak import LeakConfig
from bastion.types import Action

if TYPE_CHECKING:
    from bastion.guard import Guard

_ROLE = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool", "function": "tool"}


def _role(msg: BaseMessage) -> str:
    if isinstance(msg, ChatMessage):
        return msg.role
    return _ROLE.get(msg.type, "user")


def _check_messages(guard: Guard, messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    plain = [{"role": _role(m), "content": m.content} for m in messages]
    result = check_messages(guard, plain)
    if result.action is Action.BLOCK:
        raise BlockedError("bastion blocked the model input", result)
    # text per message index: trusted (system) messages pass through unchanged
    redacted = {m.index: m.result.redacted_text for m in result.messages if m.result is not None}
    out = []
    for i, m in enumerate(messages):
        if i in redacted and isinstance(m.content, str) and not isinstance(m, SystemMessage | AIMessage):
            m = m.model_copy(update={"content": redacted[i]})
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
        if isinstance(value, BaseMessage):
            return value.model_copy(update={"content": r.redacted_text})
        return r.redacted_text

    return RunnableLambda(run, name="bastion_guard_output")


__all__ = ["guard_input", "guard_output"]
