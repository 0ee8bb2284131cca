"""Redaction operators and reversible pseudonymisation.

Operators turn one detected value into its replacement:

- ``replace``: ``[REDACTED_<LABEL>]`` (or ``<LABEL>`` with ``style="angle"``)
- ``mask``: replace every character with ``char`` (whitespace kept), except the last
  ``keep``. By default (``keep=None``) the whole value is masked, except the last 4
  characters of card, IBAN, phone, SSN and account numbers (:data:`MASK_KEEP_LAST`),
  which is the common "ending in 1111" display; a name or an address never keeps a
  part in clear. Never more than half of a value is kept.
- ``hash``: keyed HMAC-SHA256 (never a bare hash: low-entropy values such as phone
  numbers are trivially brute-forced from an unkeyed digest); key from the spec, or the
  ``BASTION_HMAC_KEY`` environment variable
- ``pseudonymize``: consistent ``<PERSON_1>`` tokens recorded in a :class:`Vault`, so
  :func:`restore` can put the originals back (e.g. in the LLM's answer)
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import json
import os
import re
import threading
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bastion.errors import ConfigError, InputError
from bastion.types import Finding


class Operator(Protocol):
    def __call__(self, value: str, label: str) -> str: ...


@dataclass(frozen=True)
class Replace:
    style: str = "bracket"

    def __post_init__(self) -> None:
        if self.style not in ("bracket", "angle"):
            raise ConfigError(f"replace style must be 'bracket' or 'angle', got {self.style!r}")

    def __call__(self, value: str, label: str) -> str:
        return f"<{label}>" if self.style == "angle" else f"[REDACTED_{label}]"


# Labels whose last 4 characters ``mask`` keeps by default: a number that is commonly
# shown as "ending in 1234" so a person can tell their own accounts apart.
MASK_KEEP_LAST: dict[str, int] = {
    "CREDIT_CARD": 4,
    "IBAN_CODE": 4,
    "PHONE_NUMBER": 4,
    "US_SSN": 4,
    "BANK_ACCOUNT": 4,
}


@dataclass(frozen=True)
class Mask:
    """Mask a value with ``char``; its last ``keep`` letters or digits stay (default: per
    label), counted past spaces and separators, so a spaced IBAN keeps four digits too.

    >>> Mask()("Jane Doe", "PERSON"), Mask()("4111 1111 1111 1111", "CREDIT_CARD")
    ('**** ***', '**** **** **** 1111')
    >>> Mask()("GB82 WEST 1234 5698 7654 32", "IBAN_CODE")
    '**** **** **** **** **54 32'
    >>> Mask(keep=2, char="#")("555-1234", "PHONE_NUMBER")
    '######34'
    """

    keep: int | None = None
    char: str = "*"

    def __post_init__(self) -> None:
        if self.keep is not None and (
            not isinstance(self.keep, int) or isinstance(self.keep, bool) or self.keep < 0
        ):
            raise ConfigError(f"mask keep must be a whole number >= 0, got {self.keep!r}")
        if not isinstance(self.char, str) or len(self.char) != 1:
            raise ConfigError(f"mask char must be exactly one character, got {self.char!r}")
        if not self.char.isprintable() or self.char.isspace() or unicodedata.combining(self.char):
            # a combining mark would stack on the character before it: nothing visible
            raise ConfigError(f"mask char must be a visible character, got {self.char!r}")
        try:
            self.char.encode("utf-8")
        except UnicodeEncodeError:
            raise ConfigError(f"mask char must be a visible character, got {self.char!r}") from None

    def keep_for(self, label: str) -> int:
        return MASK_KEEP_LAST.get(label, 0) if self.keep is None else self.keep

    def __call__(self, value: str, label: str) -> str:
        # at most half the value's letters and digits stay visible
        keep = max(0, min(self.keep_for(label), sum(c.isalnum() for c in value) // 2))
        cut = len(value)
        while keep and cut:
            cut -= 1
            keep -= value[cut].isalnum()
        head = "".join(self.char if not c.isspace() else c for c in value[:cut])
        return head + value[cut:]


# What the audit HMAC key needs too: a shorter hash key falls to guessing.
MIN_HASH_KEY_BYTES = 16


@dataclass(frozen=True)
class Hash:
    """Keyed HMAC-SHA256, the first ``length`` (1..64) hex digits. The key must be a random
    secret of at least :data:`MIN_HASH_KEY_BYTES` bytes: with a guessable key the hash of a
    phone number or an SSN is reversed by enumerating the (small) number space.

    >>> Hash(key=b"0123456789abcdef", length=8)("jane@example.com", "EMAIL_ADDRESS")
    '<EMAIL_ADDRESS:f0ed75f7>'
    """

    # never in a repr: a logged policy must not give away the key that protects the hashes
    key: bytes = field(repr=False)
    length: int = 16

    def __post_init__(self) -> None:
        if isinstance(self.key, str):
            object.__setattr__(self, "key", self.key.encode("utf-8"))
        if not isinstance(self.key, bytes | bytearray) or not self.key:
            raise ConfigError("hash key must be a non-empty string or bytes")
        if not isinstance(self.length, int) or isinstance(self.length, bool) or not 1 <= self.length <= 64:
            raise ConfigError(f"hash length must be a whole number in 1..64, got {self.length!r}")
        if len(self.key) < MIN_HASH_KEY_BYTES:
            raise ConfigError(
                f"hash key must be at least {MIN_HASH_KEY_BYTES} bytes (a random secret), got {len(self.key)}"
            )

    def __call__(self, value: str, label: str) -> str:
        digest = hmac.new(self.key, f"{label}\x00{value}".encode(), hashlib.sha256).hexdigest()
        return f"<{label}:{digest[: self.length]}>"


def hmac_key_from_env(var: str = "BASTION_HMAC_KEY") -> bytes:
    key = os.environ.get(var)
    if not key:
        raise ConfigError(f"the hash operator needs a key: set {var} or give 'key' in the operator spec")
    if len(key.encode()) < MIN_HASH_KEY_BYTES:
        raise ConfigError(f"{var} must be at least {MIN_HASH_KEY_BYTES} bytes (a random secret)")
    return key.encode()


class Vault:
    """Token ↔ value store for reversible pseudonymisation (in memory, thread-safe).

    The same value with the same label gets the same token within one vault, unless that
    token already occurs literally in the text being redacted (``avoid``): then the value
    gets another token that does not, so :func:`restore` cannot mistake the literal for a
    pseudonym. A persistent, encrypted vault lives in :mod:`bastion.store`.

    >>> v = Vault()
    >>> v.token_for("PERSON", "Jane Doe"), v.token_for("PERSON", "Jane Doe")
    ('<PERSON_1>', '<PERSON_1>')
    >>> v.token_for("PERSON", "Jane Doe", avoid="who is <PERSON_1>?")
    '<PERSON_2>'
    """

    def __init__(self) -> None:
        self._by_value: dict[tuple[str, str], list[str]] = {}
        self._by_token: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        self._reserved: set[str] = set()
        self._lock = threading.Lock()

    def reserve(self, tokens: Iterable[str]) -> None:
        """Never issue these tokens (they occur in text the caller wrote, so a restore
        would replace the caller's own words)."""
        with self._lock:
            self._reserved.update(tokens)

    @classmethod
    def from_items(cls, items: Mapping[str, str] | Iterable[tuple[str, str]]) -> Vault:
        """A vault holding these token → value pairs (what ``dict(vault.items())`` and
        ``bastion redact --json``'s ``"vault"`` hold), to restore an answer later.

        >>> restore("hi <PERSON_1>", Vault.from_items({"<PERSON_1>": "Jane Doe"}))
        'hi Jane Doe'
        """
        vault = cls()
        pairs = items.items() if isinstance(items, Mapping) else items
        for token, value in pairs:
            m = _ISSUED.fullmatch(token) if isinstance(token, str) else None
            if m is None or not isinstance(value, str):
                raise InputError(
                    f"a vault entry is a token like '<PERSON_1>' and a string value, got {token!r}"
                )
            label, n = m.group(1), int(m.group(2))
            vault._by_value.setdefault((label, value), []).append(token)
            vault._by_token[token] = value
            vault._counts[label] = max(vault._counts.get(label, 0), n)
        return vault

    def token_for(self, label: str, value: str, avoid: str | Collection[str] = "") -> str:
        """The token for ``value``; never one that occurs in ``avoid`` (a text, or the set
        of tokens in it: :func:`tokens_in`)."""
        with self._lock:
            tokens = self._by_value.setdefault((label, value), [])
            for token in tokens:
                if token not in avoid:
                    return token
            n = self._counts.get(label, 0) + 1
            while f"<{label}_{n}>" in avoid or f"<{label}_{n}>" in self._reserved:
                n += 1
            self._counts[label] = n
            token = f"<{label}_{n}>"
            tokens.append(token)
            self._by_token[token] = value
            return token

    def value_for(self, token: str) -> str | None:
        return self._by_token.get(token)

    def items(self) -> list[tuple[str, str]]:
        return list(self._by_token.items())

    def __len__(self) -> int:
        return len(self._by_token)


@dataclass(frozen=True)
class Pseudonymize:
    vault: Vault

    def __call__(self, value: str, label: str) -> str:
        return self.vault.token_for(label, value)

    def token_in(self, text: str, value: str, label: str, present: Collection[str] | None = None) -> str:
        """The token for ``value`` inside ``text``: one that does not already occur in it
        (when the vault supports ``avoid``). ``present``: the tokens in ``text``, when the
        caller has them (a search of the whole text per value was quadratic)."""
        if "avoid" in inspect.signature(self.vault.token_for).parameters:
            return self.vault.token_for(label, value, avoid=text if present is None else present)
        return self.vault.token_for(label, value)


_TOKEN = re.compile(r"<[A-Z][A-Z0-9_]*_\d+>")
# A token as written back by an LLM: escaped for HTML, JSON or Markdown, another case, a space
# inside the brackets (group 1); or without its brackets, upper case only (group 2).
_TOKEN_WRITTEN = re.compile(
    r"(?:<|&lt;|\\u003[cC]|\\<) ?([A-Za-z][A-Za-z0-9_]{0,63}_[0-9]{1,9}) ?(?:>|&gt;|\\u003[eE]|\\>)"
    r"|(?<![\w<;\\])([A-Z][A-Z0-9_]{0,63}_[1-9][0-9]{0,8})(?![\w>&\\])"
)
_ISSUED = re.compile(r"<([A-Z][A-Z0-9_]*)_([1-9][0-9]*)>")
# What a vault issues: a label and a small counter. Only these are exempt from detection, so
# a real number written in token shape ("<CREDIT_CARD_4111111111111111>") is still found.
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*_[1-9][0-9]{0,4}>")
# What ``replace`` writes ("[REDACTED_PERSON]", "<PERSON>"): redacted text read again (a log
# line redacted by a structlog processor and then by a logging filter, an app that logs
# ``result.redacted_text``) must keep its placeholders, not have the model tag one as a name.
_REPLACED = re.compile(r"\[REDACTED_([A-Z][A-Z0-9_]*)\]|<([A-Z][A-Z0-9_]*)>")


def tokens_in(text: str) -> list[str]:
    """Every pseudonym-shaped token in ``text`` (``<PERSON_1>``), issued or not.

    Tokens written another way that :func:`restore` reads (``&lt;person_1&gt;``, ``PERSON_1``)
    are listed as the token they would restore as, so a vault never issues one of them for
    a value: restoring would put the value where the text had the literal.

    >>> tokens_in("ask <PERSON_1> about <X_2> and person_3 or &lt;Person_4&gt;")
    ['<PERSON_1>', '<X_2>', '<PERSON_4>']
    """
    return ["<" + (m.group(1) or m.group(2)).upper() + ">" for m in _TOKEN_WRITTEN.finditer(text)]


def placeholder_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds pseudonym tokens (``<PERSON_1>``) or ``replace`` placeholders
    (``[REDACTED_PERSON]``, ``<PERSON>``) of a known PII label.

    Such a token carries no personal data by construction, so a detector's finding inside
    one is not PII: an LLM answer echoes the tokens the proxy sent, and a model that tags
    ``PERSON_1`` as a USERNAME would redact the token before it can be restored. A token
    of any other name (``<JANE_DOE_1>``) may hide a real value and is not exempt.

    >>> placeholder_spans("hi <PERSON_1>, <EMAIL_ADDRESS_12> and <JANE_DOE_1>")
    [(3, 13), (15, 33)]
    >>> placeholder_spans("card <CREDIT_CARD_4111111111111111>")
    []
    >>> placeholder_spans("for [REDACTED_PERSON] and [REDACTED_JANE]")
    [(4, 21)]
    """
    from bastion.labels import ALL_PII_LABELS

    spans = [
        m.span() for m in _PLACEHOLDER.finditer(text) if m.group(0)[1:-1].rsplit("_", 1)[0] in ALL_PII_LABELS
    ]
    spans += [m.span() for m in _REPLACED.finditer(text) if (m.group(1) or m.group(2)) in ALL_PII_LABELS]
    return sorted(spans)


def restore(text: str, vault: Vault | Mapping[str, str] | None, tokens: Collection[str] | None = None) -> str:
    """Put pseudonymised values back.

    ``tokens`` limits it to the tokens issued for one text (``CheckResult.pseudonyms``):
    token-shaped strings that were already in that text, or were issued for someone
    else's text in a shared vault, then stay as they are. With a vault shared between
    callers, always pass them (``result.restore(answer)`` does). ``vault`` may also be the
    token → value mapping ``dict(vault.items())`` (``bastion redact --json`` prints it).

    A token as an LLM may rewrite it is restored too: HTML-escaped (``&lt;PERSON_1&gt;``),
    JSON- or Markdown-escaped (``\\u003cPERSON_1\\u003e``, ``\\<PERSON_1\\>``), another case
    (``<Person_1>``), spaced inside its brackets, or without them (``PERSON_1``).

    >>> v = Vault(); t = redact_text("call Jane", [Finding("PERSON", 5, 9, 1, "x")], Pseudonymize(v))
    >>> t, restore(t, v), restore("hi &lt;Person_1&gt; and PERSON_1", v)
    ('call <PERSON_1>', 'call Jane', 'hi Jane and Jane')
    """
    return restore_counts(text, vault, tokens).text


@dataclass(frozen=True, slots=True)
class RestoreCounts:
    """What :func:`restore_counts` did: the text, and how many token occurrences (in any
    form :func:`restore` reads) got their value back or had none in the vault."""

    text: str
    restored: int
    unknown: int


def restore_counts(
    text: str, vault: Vault | Mapping[str, str] | None, tokens: Collection[str] | None = None
) -> RestoreCounts:
    """:func:`restore`, counting what it replaced.

    The counts come from the substitution itself, so they always agree with the text. A
    token outside ``tokens`` is neither restored nor unknown: the caller asked to leave it.
    The vault is asked once per distinct token; a vault with ``values_for(tokens)`` (the
    store's :class:`~bastion.store.PersistentVault`) answers them all in one go.

    >>> v = Vault.from_items({"<PERSON_1>": "Jane"})
    >>> restore_counts("PERSON_1 and &lt;person_1&gt; met <PERSON_2>", v)
    RestoreCounts(text='Jane and Jane met <PERSON_2>', restored=2, unknown=1)
    """
    if isinstance(tokens, str | bytes):
        raise InputError("restore: tokens is a collection of tokens (CheckResult.pseudonyms), not one string")
    if isinstance(text, bytes | bytearray | memoryview):
        from bastion.pipeline import coerce_text

        text = coerce_text(text)
    elif not isinstance(text, str):
        raise InputError(f"restore: the answer must be str or UTF-8 bytes, got {type(text).__name__}")
    if vault is None:
        return RestoreCounts(text, 0, 0)  # nothing was pseudonymised (CheckResult.vault is None then)
    if isinstance(vault, Mapping):
        vault = Vault.from_items(vault)
    elif not callable(getattr(vault, "value_for", None)):
        raise InputError(f"restore needs a Vault or a token -> value mapping, not a {type(vault).__name__}")
    # a filter entry written as restore reads tokens ("PERSON_1", "<person_1>") names the
    # same token: matched as written, it matched nothing (s33 qa_verify N7)
    allowed = None if tokens is None else frozenset(_as_token(t) for t in tokens)
    found: list[tuple[re.Match[str], str]] = []
    for m in _TOKEN_WRITTEN.finditer(text):
        token = "<" + (m.group(1) or m.group(2)).upper() + ">"
        if allowed is None or token in allowed:
            found.append((m, token))
    values = _values_for(vault, {token for _, token in found})
    pieces: list[str] = []
    pos = restored = 0
    for m, token in found:
        value = values.get(token)
        if value is not None:
            pieces += (text[pos : m.start()], value)
            pos = m.end()
            restored += 1
    pieces.append(text[pos:])
    return RestoreCounts("".join(pieces), restored, len(found) - restored)


def _as_token(written: str) -> str:
    m = _TOKEN_WRITTEN.fullmatch(written.strip()) if isinstance(written, str) else None
    return "<" + (m.group(1) or m.group(2)).upper() + ">" if m else written


def _values_for(vault: Any, tokens: set[str]) -> dict[str, str]:
    # one lookup per distinct token, or one bulk call: a text of 100,000 characters may hold
    # 20,000 token-shaped strings, and a database round trip for each took longer than the
    # API's store deadline (s33 qa_pseudo L1)
    if not tokens:
        return {}
    bulk = getattr(vault, "values_for", None)
    if callable(bulk):
        return dict(bulk(sorted(tokens)))
    values: dict[str, str] = {}
    for token in sorted(tokens):
        value = vault.value_for(token)
        if value is not None:
            values[token] = value
    return values


def restore_arguments(text: str, vault: Vault) -> str:
    """Restore pseudonyms inside tool-call arguments, JSON-aware when they are JSON (a
    restored value with a quote or backslash must not break the JSON).

    >>> import json
    >>> v = Vault(); t = v.token_for("PERSON", 'Jo "JJ" Doe')
    >>> json.loads(restore_arguments('{"to": "<PERSON_1>"}', v))["to"]
    'Jo "JJ" Doe'
    """
    try:
        obj = json.loads(text)
    except ValueError:
        return restore(text, vault)

    def walk(o: Any) -> Any:
        if isinstance(o, str):
            return restore(o, vault)
        if isinstance(o, list):
            return [walk(x) for x in o]
        if isinstance(o, dict):
            return {k: walk(v) for k, v in o.items()}
        return o

    return json.dumps(walk(obj), ensure_ascii=False)


def build_operator(spec: Any, *, vault: Vault | None = None) -> Operator:
    """Build an operator from a config spec: a name or ``{"type": name, **options}``."""
    if callable(spec) and not isinstance(spec, str | Mapping):
        return spec
    if isinstance(spec, str):
        spec = {"type": spec}
    if not isinstance(spec, Mapping) or "type" not in spec:
        raise ConfigError(f"invalid operator spec: {spec!r}")
    opts = {k: v for k, v in spec.items() if k != "type"}
    kind = spec["type"]
    try:
        if kind == "replace":
            return Replace(**opts)
        if kind == "mask":
            return Mask(**opts)
        if kind == "hash":
            key = opts.pop("key", None)
            return Hash(key=hmac_key_from_env() if key is None else key, **opts)
        if kind in ("pseudonymize", "pseudonymise"):
            if opts:  # it takes none: a misspelt option must not pass as configured
                raise ConfigError(f"operator {kind!r} takes no options, got {sorted(map(str, opts))}")
            return Pseudonymize(vault if vault is not None else Vault())
    except TypeError as exc:
        raise ConfigError(f"bad options for operator {kind!r}: {exc}") from exc
    raise ConfigError(f"unknown operator {kind!r}; known: replace, mask, hash, pseudonymize")


def redact_text(
    text: str,
    findings: Iterable[Finding],
    operator: Operator | Mapping[str, Operator],
    default: Operator | None = None,
) -> str:
    """Replace every finding's span in ``text`` (overlapping spans are merged into the
    earlier one's label).

    ``operator`` is one operator for all labels, or a label → operator mapping with
    ``default`` for the rest.
    """
    return redact_with_tokens(text, findings, operator, default)[0]


def _disjoint(findings: Iterable[Finding]) -> list[Finding]:
    """Start-sorted findings, overlapping ones merged into the earlier one: redacting only
    the first of two overlapping spans left the other's tail in clear (the Guard merges
    first; a caller of :func:`redact_text` may not)."""
    out: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.start, -f.end)):
        if out and f.start < out[-1].end:
            if f.end > out[-1].end:
                out[-1] = out[-1].shifted(out[-1].start, f.end)
            continue
        out.append(f)
    return out


def redact_with_tokens(
    text: str,
    findings: Iterable[Finding],
    operator: Operator | Mapping[str, Operator],
    default: Operator | None = None,
) -> tuple[str, tuple[str, ...]]:
    """:func:`redact_text` plus the pseudonym tokens it issued, in order of appearance.

    Pseudonyms never reuse a token-shaped string already present in ``text``, so
    ``restore(redacted, vault, tokens)`` gives back exactly ``text``.

    >>> v = Vault(); f = [Finding("PERSON", 0, 4, 1, "x")]
    >>> redact_with_tokens("Jane wrote <PERSON_1>", f, Pseudonymize(v))
    ('<PERSON_2> wrote <PERSON_1>', ('<PERSON_2>',))
    """
    pieces: list[str] = []
    issued: list[str] = []
    present: frozenset[str] | None = None
    pos = 0
    for f in _disjoint(findings):
        op = operator.get(f.label, default) if isinstance(operator, Mapping) else operator
        if op is None:
            op = Replace()
        pieces.append(text[pos : f.start])
        value = text[f.start : f.end]
        if isinstance(op, Pseudonymize):
            if present is None:
                present = frozenset(tokens_in(text))
            token = op.token_in(text, value, f.label, present)
            issued.append(token)
            pieces.append(token)
        else:
            pieces.append(op(value, f.label))
        pos = f.end
    pieces.append(text[pos:])
    return "".join(pieces), tuple(dict.fromkeys(issued))
