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
``post_call`` checks the answer as output and redacts it in place. A block raises an
HTTP 400 in LiteLLM's guardrail style (``{"error": ..., "bastion": {...}}``) with the
labels and scores, never the text.

Needs ``litellm`` (its proxy extra for running the proxy); imported only here.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import HTTPException
from litellm.integrations.custom_guardrail import CustomGuardrail
from litellm.types.guardrails import GuardrailEventHooks

from bastion.conversation import check_messages, check_output
from bastion.results import textless_dict
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
        result = await asyncio.to_thread(check_messages, self.guard, messages)
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
            if not isinstance(content, str):
                continue
            r = await asyncio.to_thread(check_output, self.guard, content)
            if r.action is Action.BLOCK:
                raise HTTPException(
                    status_code=400,
                    detail={"error": "bastion blocked the response", "bastion": textless_dict(r)},
                )
            message.content = r.redacted_text
        return response


__all__ = ["BastionGuardrail"]
