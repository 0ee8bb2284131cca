"""A LiteLLM proxy guardrail backed by bastion.

In the LiteLLM proxy's ``config.yaml``::

    guardrails:
      - guardrail_name: bastion
        litellm_params:
          guardrail: bastion.integrations.litellm.BastionGuardrail
          mode: [pre_call, post_call]
          default_on: true

``pre_call`` checks the request messages by role (user: direct injection; tool:
indirect; assistant: as output) and rewrites user/tool messages with PII redacted;
``post_call`` checks the answer as output (content and tool-call arguments) and redacts it
in place, for whole answers and for streams (held back and released as they pass). A block raises an
HTTP 400 in LiteLLM's guardrail style (``{"error": ..., "bastion": {...}}``) with the
labels and scores, never the text.

Needs ``litellm`` (its proxy extra for running the proxy); imported only here.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import HTTPException
from litellm.integrations.custom_guardrail import CustomGuardrail
from litellm.types.guardrails import GuardrailEventHooks

from bastion.conversation import check_messages, check_output
from bastion.errors import InputError
from bastion.protect import rewrite_content
from bastion.results import textless_dict
from bastion.stream import StreamGuard
from bastion.types import Action


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

    async def async_pre_call_hook(
        self, user_api_key_dict: Any, cache: Any, data: dict, call_type: Any
    ) -> dict:
        messages = data.get("messages")
        if not messages or not self.should_run_guardrail(data, GuardrailEventHooks.pre_call):
            return data
        try:
            result = await asyncio.to_thread(check_messages, self.guard, messages)
        except InputError as exc:  # a bad message shape is the client's error, not a 500
            raise HTTPException(status_code=400, detail={"error": f"bastion: {exc}"}) from None
        if result.action is Action.BLOCK:
            raise HTTPException(
                status_code=400,
                detail={"error": "bastion blocked the request", "bastion": textless_dict(result)},
            )
        redacted = {
            m.index: m.result.redacted_text
            for m in result.messages
            if m.result is not None and m.checked_as in ("input", "indirect")
        }
        new = []
        for i, msg in enumerate(messages):
            if i in redacted and isinstance(msg.get("content"), str):
                msg = {**msg, "content": redacted[i]}
            elif i in redacted and msg.get("content") is not None:  # a list of parts
                content = await asyncio.to_thread(
                    rewrite_content, msg["content"], lambda t: self.guard.check(t).redacted_text
                )
                msg = {**msg, "content": content}
            new.append(msg)
        data["messages"] = new
        return data

    async def async_post_call_success_hook(self, data: dict, user_api_key_dict: Any, response: Any) -> Any:
        if not self.should_run_guardrail(data, GuardrailEventHooks.post_call):
            return response
        choices = getattr(response, "choices", None) or []
        for choice in choices:
            message = getattr(choice, "message", None)
            content = getattr(message, "content", None)
            if isinstance(content, str):
                message.content = await self._checked(content)
            # what the model sends to tools is output too
            for call in getattr(message, "tool_calls", None) or ():
                fn = getattr(call, "function", None)
                if isinstance(getattr(fn, "arguments", None), str):
                    fn.arguments = await self._checked(fn.arguments)
        return response

    async def _checked(self, text: str) -> str:
        r = await asyncio.to_thread(check_output, self.guard, text)
        if r.action is Action.BLOCK:
            raise HTTPException(
                status_code=400, detail={"error": "bastion blocked the response", "bastion": textless_dict(r)}
            )
        return r.redacted_text

    async def async_post_call_streaming_iterator_hook(
        self, user_api_key_dict: Any, response: Any, request_data: dict
    ) -> AsyncIterator[Any]:
        """Streamed answers (LiteLLM runs no post_call hook for them): the first choice's
        content goes through :class:`~bastion.stream.StreamGuard` (held back until it can no
        longer change a decision, redacted, a block ends the stream with an HTTP 400);
        tool-call chunks are held until the end and released only when their arguments
        pass as a whole."""
        if not self.should_run_guardrail(request_data, GuardrailEventHooks.post_call):
            async for item in response:
                yield item
            return
        sg = StreamGuard(self.guard)
        held: list[Any] = []
        arguments: list[str] = []
        last = None
        async for chunk in response:
            last = chunk
            choices = getattr(chunk, "choices", None) or []
            delta = getattr(choices[0], "delta", None) if choices else None
            calls = getattr(delta, "tool_calls", None) if delta is not None else None
            if calls:
                held.append(chunk)
                arguments += [getattr(getattr(c, "function", None), "arguments", None) or "" for c in calls]
                continue
            text = getattr(delta, "content", None) if delta is not None else None
            if isinstance(text, str) and text:
                delta.content = self._released(await self.guard._workers.run(sg.feed, text))
            yield chunk
        tail = self._released(await self.guard._workers.run(sg.close))
        if arguments:
            await self._checked("".join(arguments))
        for chunk in held:
            yield chunk
        if tail and last is not None:
            final = last.model_copy(deep=True) if hasattr(last, "model_copy") else last
            choices = getattr(final, "choices", None) or []
            if choices and getattr(choices[0], "delta", None) is not None:
                choices[0].delta.content = tail
                choices[0].delta.tool_calls = None
                yield final

    @staticmethod
    def _released(events: list[Any]) -> str:
        for e in events:
            if e.kind == "block":
                raise HTTPException(
                    status_code=400,
                    detail={"error": "bastion blocked the response", "bastion": textless_dict(e.result)},
                )
        return "".join(e.text for e in events if e.kind == "text")


__all__ = ["BastionGuardrail"]
