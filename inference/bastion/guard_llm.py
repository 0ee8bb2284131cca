"""The checks of a :class:`~bastion.guard.Guard` around an LLM call: its answer (with canary
and system-prompt leak checks), chat arrays, streamed answers and wrapped calls. Each is a
door onto :mod:`bastion.conversation`, :mod:`bastion.stream` or :mod:`bastion.protect`."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from bastion.canary import Canary, make_canary
from bastion.conversation import MessagesResult, add_output_findings, check_messages
from bastion.errors import InputError
from bastion.leak import LeakConfig
from bastion.pipeline import coerce_text
from bastion.policy import Policy
from bastion.protect import protect
from bastion.stream import StreamEvent, aguard_stream, guard_stream
from bastion.types import CheckResult


class LLMChecks:
    """Mixed into :class:`~bastion.guard.Guard`; uses its ``check_many`` and ``output_policy``."""

    output_policy: Policy
    check_many: Callable[..., list]  # provided by Guard

    def check_output(
        self,
        text: str | bytes,
        *,
        system_prompt: str | None = None,
        canaries: Sequence[Canary | str] = (),
        leak_config: LeakConfig | None = None,
    ) -> CheckResult:
        """Check what an LLM answered: secrets block, PII is redacted, injection uses the
        strict point; with ``canaries`` / ``system_prompt`` a canary token or a copy of the
        system prompt in the answer blocks it (labels ``CANARY_LEAK``, ``SYSTEM_PROMPT_LEAK``).

        >>> from bastion.guard import Guard
        >>> g = Guard.default(tasks=("pii",))
        >>> c = g.canary()
        >>> g.check_output(f"the marker is {c.token}", canaries=[c]).action.value
        'block'
        """
        if system_prompt is not None and not isinstance(system_prompt, str):
            raise InputError(f"system_prompt must be str, got {type(system_prompt).__name__}")
        result = self.check_many([text], policy=self.output_policy)[0]
        if not (system_prompt or canaries):
            return result
        return add_output_findings(
            result, coerce_text(text), system_prompt=system_prompt, canaries=canaries, leak_config=leak_config
        )

    @staticmethod
    def canary(prefix: str = "bastion-canary") -> Canary:
        """A fresh random canary; put ``canary.instruction`` in the system prompt and pass the
        canary to :meth:`check_output` / :meth:`check_messages` / :meth:`stream`."""
        return make_canary(prefix)

    def check_messages(self, messages: Sequence[Mapping[str, Any]], **options: Any) -> MessagesResult:
        """Check a chat array (OpenAI or Anthropic shape) role by role; see
        :func:`bastion.conversation.check_messages` for the options.

        >>> from bastion.guard import Guard
        >>> g = Guard.default(tasks=("pii",))
        >>> g.check_messages([{"role": "user", "content": "I am jane@example.com"}]).action.value
        'redact'
        """
        return check_messages(self, messages, **options)

    def stream(self, chunks: Iterable[str], **options: Any) -> Iterator[StreamEvent]:
        """Guard a streamed answer chunk by chunk (see :class:`bastion.stream.StreamGuard`)."""
        return guard_stream(self, chunks, **options)

    def astream(self, chunks: AsyncIterable[str], **options: Any) -> AsyncIterator[StreamEvent]:
        """``async for event in guard.astream(chunks)``: :meth:`stream` for async iterators."""
        return aguard_stream(self, chunks, **options)

    def protect(self, call: Callable[..., Any], **options: Any) -> Callable[..., Any]:
        """Wrap an LLM call (sync or async) with checks on both sides; see :mod:`bastion.protect`."""
        return protect(self, call, **options)
