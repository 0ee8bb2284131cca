"""Request and response models of the newer routes, and the documented response shapes.

The response models describe what ``CheckResult.to_dict()`` / ``MessagesResult.to_dict()``
return; they feed the OpenAPI document (and the tests validate real responses against
them), while the handlers still return the dicts directly.

>>> ChatMessageIn.model_validate({"role": "user", "content": "hi"}).role
'user'
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bastion.api.sessions import SESSION_ID_PATTERN
from bastion.conversation import ROLES

# user ids arrive from other systems (emails, UUIDs, "tenant/user"); the store pseudonymises
# them, but they must stay short and printable so they can never carry a prompt
USER_ID_PATTERN = r"^[A-Za-z0-9._@:+/=-]{1,128}$"
MAX_MESSAGES = 256
MAX_PARTS = 64
MAX_CANARIES = 32
MAX_CANARY_CHARS = 256
MAX_RESTORE_TOKENS = 1024

UserId = Annotated[
    str, Field(pattern=USER_ID_PATTERN, description="the end user (pseudonymised in the audit)")
]
SessionId = Annotated[str, Field(pattern=SESSION_ID_PATTERN, description="pseudonymisation session")]
Role = Literal["system", "developer", "user", "assistant", "tool", "function"]
assert set(ROLES) == set(Role.__args__)  # type: ignore[attr-defined]


class _Open(BaseModel):
    # chat messages carry fields this server does not read (name, tool_call_id, images, ...)
    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


class ContentPart(_Open):
    """One part of a message's content (OpenAI ``text``/``image_url``, Anthropic ``text``/
    ``tool_use``/``tool_result``, ...); only text-bearing parts are checked."""

    type: str = Field(max_length=64)
    text: str | None = None
    content: str | Annotated[list[dict[str, Any]], Field(max_length=MAX_PARTS)] | None = None


class ChatMessageIn(_Open):
    """A chat message in OpenAI or Anthropic shape."""

    role: Role
    content: str | Annotated[list[ContentPart], Field(max_length=MAX_PARTS)] | None = None
    tool_calls: list[dict[str, Any]] | None = Field(default=None, max_length=MAX_PARTS)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RestoreRequest(_Strict):
    """Body of ``POST /v1/restore``."""

    session_id: SessionId
    text: str = Field(description="text holding pseudonym tokens such as <PERSON_1>")
    tokens: list[Annotated[str, Field(max_length=160)]] | None = Field(
        default=None,
        max_length=MAX_RESTORE_TOKENS,
        description="restore only these tokens (a result's `pseudonyms`); default: every token of the session",
    )
    user_id: UserId | None = None


# -- responses ---------------------------------------------------------------------------------


class _Out(BaseModel):
    # extra="forbid": the tests validate real responses against these models, so a field
    # the library adds to ``to_dict()`` without a line here fails them instead of going
    # undocumented
    model_config = ConfigDict(extra="forbid")


class FindingOut(_Out):
    label: str
    start: int = Field(description="end-exclusive character offsets into the text sent")
    end: int
    score: float
    detector: str
    category: str
    validated: bool
    action: Literal["allow", "redact", "block"] | None = Field(
        default=None,
        description="what the policy decided for this finding: `allow` findings are reported but "
        "left in `redacted_text` (LOCATION and ORGANIZATION by default)",
    )
    rule: str | None = Field(
        default=None,
        description="the policy entry that decided, e.g. `label_actions.LOCATION`, `pii_action`, "
        "`allow_list.ORGANIZATION[0] exact 'Acme'`, `deny_terms[0]`",
    )


class InjectionOut(_Out):
    score: float | None
    threshold: float | None = Field(
        default=None, description="the cut `score` was compared with (null when no injection detector ran)"
    )
    is_injection: bool
    allowed_by: str | None = Field(
        default=None,
        description="the `injection_allow_list` entry that matched the text (then `is_injection` is "
        "false whatever the score); absent otherwise",
    )


class CheckResultOut(_Out):
    """``CheckResult.to_dict()``; ``pseudonyms`` only with a pseudonymisation session."""

    action: Literal["allow", "redact", "block"]
    injection: InjectionOut
    pii: list[FindingOut]
    redacted_text: str
    degraded: bool
    degraded_reasons: list[str]
    model_versions: dict[str, str]
    latency_ms: float
    pseudonyms: list[str] | None = Field(
        default=None, description="tokens issued for this text (for /v1/restore's `tokens`)"
    )


class BatchResultOut(_Out):
    results: list[CheckResultOut]


class MessageResultOut(_Out):
    index: int = Field(description="position of the message in the request's `messages`")
    role: str
    checked_as: Literal["trusted", "input", "indirect", "output"]
    result: CheckResultOut | None = Field(description="null for trusted (system/developer) messages")


class MessagesResultOut(_Out):
    action: Literal["allow", "redact", "block"]
    messages: list[MessageResultOut]


class RestoreOut(_Out):
    text: str
    restored: int = Field(description="tokens put back")
    unknown: int = Field(description="token-shaped strings this session does not know (left as they are)")


class ErrorOut(BaseModel):
    detail: str
    request_id: str | None = None


class HealthOut(BaseModel):
    status: str


class ReadyOut(BaseModel):
    status: Literal["ready", "starting", "failed"]
    model_versions: dict[str, str] | None = None
    detectors: dict[str, str] | None = None
    degraded: bool | None = None
    degraded_reasons: list[str] | None = None
    mode: str | None = None
    error: str | None = None


__all__ = [
    "MAX_CANARIES",
    "MAX_CANARY_CHARS",
    "MAX_MESSAGES",
    "USER_ID_PATTERN",
    "BatchResultOut",
    "ChatMessageIn",
    "CheckResultOut",
    "ContentPart",
    "ErrorOut",
    "HealthOut",
    "MessageResultOut",
    "MessagesResultOut",
    "ReadyOut",
    "RestoreOut",
    "RestoreRequest",
    "SessionId",
    "UserId",
]
