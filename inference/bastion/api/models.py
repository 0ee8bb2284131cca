"""The API's request bodies and documented response shapes.

Request bodies (``CheckRequest``, ``BatchRequest``, ``MessagesRequest``, ``RestoreRequest``
and the ``PolicyOverride`` they carry) are what the routes parse each body into
(:class:`bastion.api.body.JsonBody`) and what the OpenAPI document shows. The response
models describe what ``CheckResult.to_dict()`` / ``MessagesResult.to_dict()`` return; they
feed the OpenAPI document (and the tests validate real responses against them), while the
handlers still return the dicts directly.

>>> ChatMessageIn.model_validate({"role": "user", "content": "hi"}).role
'user'
>>> CheckRequest.model_validate({"text": "hi", "policy": {"pii_action": "block"}}).policy.pii_action
'block'
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bastion.api.sessions import SESSION_ID_PATTERN
from bastion.conversation import ROLES
from bastion.redact import MIN_HASH_KEY_BYTES

# user ids arrive from other systems (emails, UUIDs, "tenant/user"); the store pseudonymises
# them, but they must stay short and printable so they can never carry a prompt
USER_ID_PATTERN = r"^[A-Za-z0-9._@:+/=-]{1,128}$"


def subject(user_id: str | None, key_id: str | None) -> str | None:
    """Whom a request's audit rows and sessions belong to: the end user, or without one the
    API key as ``"key <id>"`` (a space no user id can hold, so a user named like a key id
    is not that key's user-less traffic, and erasing such a user leaves the key's rows).

    >>> subject("jane", "k1"), subject(None, "k1"), subject(None, None)
    ('jane', 'key k1', None)
    """
    if user_id is not None:
        return user_id
    return None if key_id is None else f"key {key_id}"


MAX_MESSAGES = 256
MAX_PARTS = 64
MAX_CANARIES = 32
MAX_CANARY_CHARS = 256
MAX_RESTORE_TOKENS = 1024
# the bounds of a policy override: every value a request can set is small and flat
MAX_OVERRIDE_ENTRIES = 64
MAX_MASK_KEEP = 64
MAX_HASH_KEY_CHARS = 256
# allow / deny / injection-allow entries a request may add, in all its lists together
MAX_LIST_ENTRIES = 64
MAX_ENTRY_CHARS = 256
# of which regexes: each one is bounded, and the policy bounds their sum (DENY_WORK_BUDGET...),
# but a request has no business sending the server dozens to compile and run
MAX_OVERRIDE_REGEXES = 8

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
    ``tool_use``/``tool_result``, ...); only text-bearing parts are checked. ``content`` is
    a string, a list of blocks, or one block (a ``web_fetch_tool_result``'s fetched document,
    a code-execution result with its ``stdout``), of at most ``MAX_PARTS`` fields; blocks
    nested more than 16 levels deep are refused when the message is read."""

    type: str = Field(max_length=64)
    text: str | None = None
    content: (
        str
        | Annotated[list[dict[str, Any]], Field(max_length=MAX_PARTS)]
        | Annotated[dict[str, Any], Field(max_length=MAX_PARTS)]
        | None
    ) = None


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


# -- policy overrides and request bodies ------------------------------------------------------


def _no_surrogates(value: str) -> str:
    # a lone surrogate cannot be encoded into the UTF-8 response (or an HMAC key)
    if any("\ud800" <= c <= "\udfff" for c in value):
        raise ValueError("contains an unpaired surrogate")
    return value


def _hash_key(value: str) -> str:
    # bytes, as bastion.redact.Hash counts them: a guessable key makes the hashes reversible
    if len(value.encode("utf-8", "surrogatepass")) < MIN_HASH_KEY_BYTES:
        raise ValueError(f"must be at least {MIN_HASH_KEY_BYTES} bytes (a random secret)")
    return value


def _visible_char(value: str) -> str:
    # also refuses lone surrogates (Cs), which cannot be encoded into the response
    if unicodedata.category(value) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        raise ValueError("must be a visible character")
    return value


def _operator_spec(value: Any) -> Any:
    # "mask" is short for {"type": "mask"}: one shape to validate, one set of error messages
    if isinstance(value, str):
        value = {"type": value}
    if isinstance(value, Mapping) and value.get("type") == "pseudonymise":
        value = {**value, "type": "pseudonymize"}
    return value


Label = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$")]
Score = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
ActionName = Literal["allow", "redact", "block"]


class ReplaceOperator(_Strict):
    """``[REDACTED_<LABEL>]`` (``style="bracket"``) or ``<LABEL>`` (``style="angle"``)."""

    type: Literal["replace"]
    style: Literal["bracket", "angle"] = "bracket"


class MaskOperator(_Strict):
    """Keep the last ``keep`` characters (0..64), mask the rest with one visible ``char``;
    without ``keep``, :class:`bastion.redact.Mask`'s own default applies."""

    type: Literal["mask"]
    # unset leaves the choice to bastion.redact.Mask, so the API never documents a default
    # the library does not apply; an explicit null is refused like any non-integer
    keep: int = Field(None, ge=0, le=MAX_MASK_KEEP, validate_default=False)  # type: ignore[assignment]
    char: Annotated[str, Field(min_length=1, max_length=1), AfterValidator(_visible_char)] = "*"


class HashOperator(_Strict):
    """Keyed HMAC-SHA256 with ``key`` (else the server's ``BASTION_HMAC_KEY``), ``length`` hex digits."""

    type: Literal["hash"]
    key: (
        Annotated[
            str,
            Field(min_length=1, max_length=MAX_HASH_KEY_CHARS),
            AfterValidator(_no_surrogates),
            AfterValidator(_hash_key),
        ]
        | None
    ) = None
    length: int = Field(16, ge=8, le=64)


class PseudonymizeOperator(_Strict):
    """``<LABEL_n>`` tokens kept in the session's encrypted vault (needs ``session_id`` and a
    server with a privacy store); ``POST /v1/restore`` puts the values back."""

    type: Literal["pseudonymize"]


OperatorSpec = Annotated[
    ReplaceOperator | MaskOperator | HashOperator | PseudonymizeOperator,
    Field(discriminator="type"),
    BeforeValidator(_operator_spec),
]

# A list entry's text: short, and encodable (a decision's ``rule`` quotes it in the response).
EntryText = Annotated[str, Field(min_length=1, max_length=MAX_ENTRY_CHARS), AfterValidator(_no_surrogates)]


class ListEntryIn(_Strict):
    """``{"exact": ...}``, ``{"glob": ...}``, ``{"regex": ...}`` or ``{"sha256": ...}`` (one
    key; which kinds a list takes, and the regex safety rules, are Policy's). No ``label``:
    a deny term found under a caller-chosen label would be a new metrics label per request."""

    exact: EntryText | None = None
    glob: EntryText | None = None
    regex: EntryText | None = None
    sha256: EntryText | None = None


def _entry_checks(value: Any) -> Any:
    # clear messages for what pydantic would report in its own terms ("Extra inputs are not
    # permitted", "unable to parse raw data as a unicode string")
    if isinstance(value, Mapping) and "label" in value:
        raise PydanticCustomError(
            "entry_label",
            "'label' is not allowed on a list entry in a request: a deny term a request adds is "
            "labelled with the server's deny_label (DENY_TERM by default; see docs/api.md)",
        )
    texts = [value] if isinstance(value, str) else list(value.values()) if isinstance(value, Mapping) else []
    if any(isinstance(t, str) and any("\ud800" <= c <= "\udfff" for c in t) for t in texts):
        raise PydanticCustomError("entry_surrogate", "the entry contains an unpaired surrogate")
    return value


def _entry_form(value: Any) -> str | None:
    if isinstance(value, str):
        return "text"
    return "entry" if isinstance(value, Mapping | ListEntryIn) else None


# a string is an exact entry (or glob), a mapping one of the keyed forms: only the form sent is
# validated, so an error names what is wrong with it rather than why it is not the other form
ListEntrySpec = Annotated[
    Annotated[EntryText, Tag("text")] | Annotated[ListEntryIn, Tag("entry")],
    Discriminator(
        _entry_form,
        custom_error_type="list_entry",
        custom_error_message="an entry is a string or a mapping with one of exact/glob/regex/sha256",
    ),
    BeforeValidator(_entry_checks),
]
AllowLabel = Annotated[str, Field(pattern=r"^(?:\*|[A-Za-z][A-Za-z0-9_]{0,63})$")]


class PolicyOverride(_Strict):
    """Per-request policy overrides (a bounded subset of :class:`~bastion.policy.Policy`).
    ``label_actions``, ``label_thresholds``, ``operators`` and ``allow_list`` merge into the
    server's key by key (an empty one changes nothing), ``deny_terms`` add to the server's,
    and every other field replaces the server's value; see docs/api.md.

    >>> PolicyOverride.model_validate({"pii_action": "block"}).pii_action
    'block'
    """

    # Every field defaults to null, meaning "the server's": a generated client (or Swagger's
    # "Try it out") that sends the defaults it was shown must not override anything.
    injection_threshold: Score | None = None
    injection_operating_point: Literal["default", "strict", "indirect"] | None = None
    injection_action: ActionName | None = None
    pii_min_score: Score | None = None
    label_thresholds: dict[Label, Score] | None = Field(None, max_length=MAX_OVERRIDE_ENTRIES)
    pii_action: ActionName | None = None
    label_actions: dict[Label, ActionName] | None = Field(None, max_length=MAX_OVERRIDE_ENTRIES)
    disabled_labels: list[Label] | None = Field(None, max_length=MAX_OVERRIDE_ENTRIES)
    default_operator: OperatorSpec | None = None
    operators: dict[Label, OperatorSpec] | None = Field(None, max_length=MAX_OVERRIDE_ENTRIES)
    # checked against the server's Settings.max_text_chars when the request is handled
    max_chars: int | None = Field(None, ge=1, le=10**9)
    # compute budget per text in model tokens (Policy.max_tokens); never above the server's own
    max_tokens: int | None = Field(None, ge=1, le=10**9)
    # allow_list merges per label into the server's (as the other mappings do), deny_terms add
    # to the server's, injection_allow_list and disabled_labels replace (Policy.with_overrides)
    allow_list: dict[AllowLabel, list[ListEntrySpec]] | None = Field(None, max_length=MAX_OVERRIDE_ENTRIES)
    deny_terms: list[ListEntrySpec] | None = Field(None, max_length=MAX_LIST_ENTRIES)
    injection_allow_list: list[ListEntrySpec] | None = Field(None, max_length=MAX_LIST_ENTRIES)

    @model_validator(mode="after")
    def _bounded_lists(self) -> PolicyOverride:
        n = (
            sum(map(len, (self.allow_list or {}).values()))
            + len(self.deny_terms or ())
            + len(self.injection_allow_list or ())
        )
        if n > MAX_LIST_ENTRIES:
            raise ValueError(
                f"allow_list, deny_terms and injection_allow_list hold {n} entries together, "
                f"over the limit of {MAX_LIST_ENTRIES}"
            )
        entries = [
            *(e for v in (self.allow_list or {}).values() for e in v),
            *(self.deny_terms or ()),
            *(self.injection_allow_list or ()),
        ]
        regexes = sum(isinstance(e, ListEntryIn) and e.regex is not None for e in entries)
        if regexes > MAX_OVERRIDE_REGEXES:
            raise ValueError(
                f"allow_list, deny_terms and injection_allow_list hold {regexes} regexes together, "
                f"over the limit of {MAX_OVERRIDE_REGEXES} a request"
            )
        return self

    def overrides(self) -> dict[str, Any]:
        """Only the fields the request set, as plain JSON values for ``Policy.with_overrides``."""
        # null is "the server's": dropped like an unset field
        out = self.model_dump(mode="json", exclude_unset=True, exclude_none=True)
        # so is an empty mapping: merged per key it changes nothing (an empty label_actions
        # used to drop every server label action)
        out = {k: v for k, v in out.items() if not (isinstance(v, Mapping) and not v)}
        # a mapping entry keeps only the key the caller sent (Policy checks there is one)
        for key in ("deny_terms", "injection_allow_list"):
            if key in out:
                out[key] = [_entry(e) for e in getattr(self, key)]
        if "allow_list" in out and self.allow_list is not None:
            out["allow_list"] = {k: [_entry(e) for e in v] for k, v in self.allow_list.items()}
        return out

    def operator_specs(self) -> list[Any]:
        """The operator specs this override sets."""
        specs = [self.default_operator] if self.default_operator is not None else []
        return specs + list((self.operators or {}).values())

    def pseudonymizes(self) -> bool:
        return any(isinstance(spec, PseudonymizeOperator) for spec in self.operator_specs())


def _entry(spec: str | ListEntryIn) -> Any:
    return spec if isinstance(spec, str) else spec.model_dump(exclude_unset=True)


class CheckRequest(_Strict):
    """Body of ``POST /v1/check`` and ``POST /v1/redact``."""

    text: str = Field(description="the prompt to check")
    policy: PolicyOverride | None = Field(default=None, description="Policy field overrides for this request")
    user_id: UserId | None = None
    session_id: SessionId | None = None
    explain: bool = Field(
        default=False,
        description="add each finding's `explanation` and `injection.explanation` (why it scored)",
    )


class BatchRequest(_Strict):
    """Body of ``POST /v1/check/batch``."""

    texts: list[str] = Field(min_length=1, description="prompts to check (bounded, see Settings.max_batch)")
    policy: PolicyOverride | None = None
    user_id: UserId | None = None
    session_id: SessionId | None = None
    explain: bool = Field(
        default=False,
        description="add each finding's `explanation` and `injection.explanation` (why it scored)",
    )


class SystemBlock(BaseModel):
    """One block of an Anthropic ``system`` list (``cache_control`` and other fields allowed)."""

    model_config = ConfigDict(extra="allow")
    type: Literal["text"] = "text"
    text: str

    @staticmethod
    def join(system: str | list[SystemBlock] | None) -> str | None:
        """The system prompt as one text."""
        if system is None or isinstance(system, str):
            return system
        return "\n".join(b.text for b in system)


class MessagesRequest(_Strict):
    """Body of ``POST /v1/check/messages``: a chat array in OpenAI or Anthropic shape."""

    messages: list[ChatMessageIn] = Field(min_length=1, max_length=MAX_MESSAGES)
    system: str | list[SystemBlock] | None = Field(
        default=None,
        description="Anthropic-style top-level system prompt: a string or a list of text blocks",
    )
    canaries: list[Annotated[str, Field(min_length=8, max_length=MAX_CANARY_CHARS, pattern=r"^\S+$")]] = (
        Field(
            default_factory=list,
            max_length=MAX_CANARIES,
            description="canary tokens planted in the system prompt; an answer revealing one is blocked",
        )
    )
    policy: PolicyOverride | None = Field(
        default=None, description="overrides for the user and tool messages (answers use the output policy)"
    )
    user_id: UserId | None = None
    session_id: SessionId | None = None
    explain: bool = Field(
        default=False,
        description="add each finding's `explanation` and `injection.explanation` (why it scored)",
    )


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
    explanation: dict[str, Any] | str | None = Field(
        default=None,
        description="with `explain`: why the detector reported it (validator, context word, "
        "model score); absent otherwise",
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
    span: list[int] | None = Field(
        default=None,
        description="`[start, end)` of the window that scored highest, when the text is flagged "
        "(end-exclusive character offsets into the text); absent otherwise",
    )
    explanation: dict[str, Any] | None = Field(
        default=None, description="with `explain`: why the window scored as it did; absent otherwise"
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
    "MAX_ENTRY_CHARS",
    "MAX_HASH_KEY_CHARS",
    "MAX_LIST_ENTRIES",
    "MAX_MASK_KEEP",
    "MAX_OVERRIDE_ENTRIES",
    "MAX_OVERRIDE_REGEXES",
    "MAX_CANARY_CHARS",
    "MAX_MESSAGES",
    "USER_ID_PATTERN",
    "BatchRequest",
    "BatchResultOut",
    "ChatMessageIn",
    "CheckRequest",
    "CheckResultOut",
    "ContentPart",
    "ErrorOut",
    "HashOperator",
    "HealthOut",
    "ListEntryIn",
    "MaskOperator",
    "MessageResultOut",
    "MessagesRequest",
    "MessagesResultOut",
    "PolicyOverride",
    "PseudonymizeOperator",
    "ReadyOut",
    "ReplaceOperator",
    "RestoreOut",
    "RestoreRequest",
    "SessionId",
    "UserId",
]
