"""Policy list entries (``allow_list``, ``deny_terms``, ``injection_allow_list``): parsing,
matching, and the regex safety checks; the entry forms and the regex rules are described
in :mod:`bastion.policy`'s docstring.

>>> [(f.label, f.start, f.end, f.rule) for f in find_deny_terms([ListEntry.parse("Falcon", "deny_terms[0]", deny=True)], DENY_LABEL, "Falcon, not falconry")]
[('DENY_TERM', 0, 6, 'deny_terms[0]')]
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bastion.errors import ConfigError
from bastion.types import PII, Finding

try:  # Python 3.11+
    from re import _constants as _sre_c
    from re import _parser as _sre_p
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _sre_c  # type: ignore[no-redef]
    import sre_parse as _sre_p  # type: ignore[no-redef]

DENY_LABEL = "DENY_TERM"
DENY_DETECTOR = "deny_terms"
ANY_LABEL = "*"

MAX_PATTERN_CHARS = 256
MAX_TERM_CHARS = 1000
MAX_LIST_ENTRIES = 10_000
MAX_ALLOW_SUBJECT = 256
MAX_INJECTION_SUBJECT = 4096
MAX_DENY_WIDTH = 256
FULLMATCH_BUDGET = 100_000
DENY_BUDGET = 64


_LABEL_RE = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
_SHA256_RE = re.compile(r"[0-9a-fA-F]{64}")
_REPEATS = {_sre_c.MAX_REPEAT, _sre_c.MIN_REPEAT, getattr(_sre_c, "POSSESSIVE_REPEAT", _sre_c.MAX_REPEAT)}
_FORBIDDEN = {
    getattr(_sre_c, n)
    for n in ("GROUPREF", "GROUPREF_EXISTS", "GROUPREF_IGNORE", "ASSERT", "ASSERT_NOT")
    if hasattr(_sre_c, n)
}


def _fold(value: str) -> str:
    """Case-folded, whitespace runs collapsed: how exact and glob entries compare."""
    return " ".join(value.casefold().split())


def _glob_match(pattern: str, value: str) -> bool:
    """``*`` matches any run of characters; greedy-leftmost part search, O(len · parts)."""
    parts = pattern.split("*")
    if len(parts) == 1:
        return pattern == value
    head, *middle, tail = parts
    if len(head) + len(tail) > len(value) or not value.startswith(head) or not value.endswith(tail):
        return False
    pos, stop = len(head), len(value) - len(tail)
    for part in middle:
        found = value.find(part, pos, stop)
        if found < 0:
            return False
        pos = found + len(part)
    return True


def _regex_cost(items: Any, cap: int, name: str, inside_repeat: bool = False) -> int:
    """Upper bound on backtracking paths per start position; rejects unsafe shapes."""
    cost = 1
    for op, av in items:
        if op in _FORBIDDEN:
            raise ConfigError(f"{name}: backreferences, lookarounds and conditionals are not allowed")
        if op in _REPEATS:
            lo, hi, sub = av
            if inside_repeat:
                raise ConfigError(f"{name}: nested quantifiers are not allowed (catastrophic backtracking)")
            if _regex_cost(sub, cap, name, inside_repeat=True) != 1:
                raise ConfigError(f"{name}: alternation inside a quantifier is not allowed")
            top = cap if hi == _sre_c.MAXREPEAT else min(hi, cap)
            cost *= max(1, top - lo + 1)
        elif op == _sre_c.SUBPATTERN:
            cost *= _regex_cost(av[-1], cap, name, inside_repeat)
        elif op == getattr(_sre_c, "ATOMIC_GROUP", None):
            cost *= _regex_cost(av, cap, name, inside_repeat)
        elif op == _sre_c.BRANCH:
            if inside_repeat:
                raise ConfigError(f"{name}: alternation inside a quantifier is not allowed")
            cost *= sum(_regex_cost(b, cap, name, inside_repeat) for b in av[1])
        cost = min(cost, 10**12)
    return cost


def compile_safe_regex(
    pattern: Any, name: str, *, cap: int, budget: int, max_width: int | None = None
) -> re.Pattern:
    r"""Compile a user regex after the safety checks in :mod:`bastion.policy`'s docstring.

    >>> compile_safe_regex(r"FALCON-\d{4}", "deny_terms[0]", cap=256, budget=64, max_width=256).pattern
    'FALCON-\\d{4}'
    >>> compile_safe_regex(r"(a+)+$", "deny_terms[1]", cap=256, budget=64)
    Traceback (most recent call last):
    ...
    bastion.errors.ConfigError: deny_terms[1]: nested quantifiers are not allowed (catastrophic backtracking)
    """
    if not isinstance(pattern, str) or not pattern:
        raise ConfigError(f"{name}: a regex must be a non-empty string")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise ConfigError(f"{name}: regex longer than {MAX_PATTERN_CHARS} characters")
    try:
        parsed = _sre_p.parse(pattern, re.IGNORECASE)
        compiled = re.compile(pattern, re.IGNORECASE)
    except (re.error, RecursionError, OverflowError) as exc:
        raise ConfigError(f"{name}: invalid regex: {exc}") from None
    cost = _regex_cost(list(parsed), cap, name)  # first: it rejects the dangerous shapes
    lo, hi = parsed.getwidth()
    if lo == 0:
        raise ConfigError(f"{name}: regex matches the empty string")
    if max_width is not None and hi > max_width:
        raise ConfigError(
            f"{name}: a deny regex needs a bounded match length (at most {max_width} characters): "
            "use {m,n} instead of * or +"
        )
    if cost > budget:
        raise ConfigError(
            f"{name}: regex may backtrack too much (about {cost} paths per position, budget {budget}); "
            "use bounded quantifiers such as {1,20} and fewer of them"
        )
    return compiled


@dataclass(frozen=True)
class ListEntry:
    """One allow / deny / injection-allow list entry, parsed and checked.

    >>> e = ListEntry.parse("*@example.com", "allow_list.EMAIL_ADDRESS[0]")
    >>> e.kind, e.matches("Jane@Example.com"), e.matches("jane@example.org")
    ('glob', True, False)
    """

    kind: str  # exact | glob | regex | sha256
    value: str
    name: str
    label: str | None = None
    pattern: re.Pattern | None = field(default=None, compare=False, repr=False)

    @classmethod
    def parse(
        cls,
        spec: Any,
        name: str,
        *,
        kinds: Collection[str] = ("exact", "glob", "regex"),
        with_label: bool = False,
        subject_cap: int = MAX_ALLOW_SUBJECT,
        deny: bool = False,
    ) -> ListEntry:
        if isinstance(spec, ListEntry):
            spec = spec.spec()
        label = None
        if isinstance(spec, str):
            # deny terms are searched in free text, where a glob would be an unbounded
            # regex: there a plain string is always exact ({"regex": ...} says otherwise)
            kind, value = ("glob" if "*" in spec and not deny else "exact"), spec
        elif isinstance(spec, Mapping):
            extra = set(spec) - {"exact", "glob", "regex", "sha256", "label"}
            keys = [k for k in ("exact", "glob", "regex", "sha256") if k in spec]
            if extra or len(keys) != 1:
                raise ConfigError(
                    f"{name}: an entry is a string or a mapping with one of exact/glob/regex/sha256"
                    + (f" (unknown keys: {', '.join(sorted(map(str, extra)))})" if extra else "")
                )
            kind, value = keys[0], spec[keys[0]]
            if "label" in spec:
                if not with_label:
                    raise ConfigError(f"{name}: 'label' is only allowed in deny_terms")
                label = check_label(spec["label"], name)
        else:
            raise ConfigError(f"{name}: an entry must be a string or a mapping, got {type(spec).__name__}")
        if kind not in kinds:
            raise ConfigError(f"{name}: {kind} entries are not allowed here (allowed: {', '.join(kinds)})")
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{name}: the {kind} value must be a non-empty string")
        if len(value) > MAX_TERM_CHARS:
            raise ConfigError(f"{name}: longer than {MAX_TERM_CHARS} characters")
        pattern = None
        if kind == "regex":
            pattern = (
                compile_safe_regex(
                    value, name, cap=MAX_DENY_WIDTH, budget=DENY_BUDGET, max_width=MAX_DENY_WIDTH
                )
                if deny
                else compile_safe_regex(value, name, cap=subject_cap, budget=FULLMATCH_BUDGET)
            )
        elif kind == "sha256":
            if not _SHA256_RE.fullmatch(value):
                raise ConfigError(f"{name}: sha256 must be 64 hex digits")
            value = value.lower()
        elif kind == "glob" and not value.replace("*", "").strip():
            raise ConfigError(f"{name}: a glob needs some text besides '*'")
        return cls(kind, value, name, label, pattern)

    def spec(self) -> Any:
        """The config form of this entry (``to_dict`` round-trips through it)."""
        if self.label is None and (self.kind == "glob" or (self.kind == "exact" and "*" not in self.value)):
            return self.value
        out: dict[str, str] = {self.kind: self.value}
        if self.label is not None:
            out["label"] = self.label
        return out

    def matches(self, value: str, *, cap: int = MAX_ALLOW_SUBJECT) -> bool:
        """Whole-value match (allow lists, injection allow list)."""
        if self.kind == "sha256":
            return hashlib.sha256(value.encode("utf-8")).hexdigest() == self.value
        if self.kind == "exact":
            return _fold(value) == _fold(self.value)
        if len(value) > cap:
            return False  # bounded subjects only (bastion.policy docstring)
        if self.kind == "glob":
            return _glob_match(_fold(self.value), _fold(value))
        assert self.pattern is not None
        return self.pattern.fullmatch(value) is not None

    def describe(self) -> str:
        """``name`` plus the entry, for a decision's ``rule``: e.g. ``allow_list.ORGANIZATION[0] exact 'Acme'``."""
        shown = self.value if len(self.value) <= 80 else self.value[:77] + "..."
        return f"{self.name} {self.kind} {shown!r}"


def check_label(label: Any, where: str) -> str:
    """``label`` when it is a valid label name; a ConfigError naming ``where`` otherwise."""
    if not isinstance(label, str) or not _LABEL_RE.fullmatch(label):
        raise ConfigError(f"{where}: label {label!r} must be upper-case letters, digits and _ (at most 64)")
    return label


def find_deny_terms(entries: Sequence[ListEntry], default_label: str, text: str) -> list[Finding]:
    """Every occurrence of the deny ``entries`` in ``text`` (see ``Policy.deny_findings``)."""
    if not entries or not text:
        return []
    out: list[Finding] = []
    folded: tuple[str, list[int] | None] | None = None
    for entry in entries:
        label = entry.label or default_label
        spans: list[tuple[int, int]] = []
        if entry.kind == "regex":
            assert entry.pattern is not None
            spans = [m.span() for m in entry.pattern.finditer(text) if m.end() > m.start()]
        else:
            if folded is None:
                folded = _folded(text)
            spans = _find_terms(*folded, _term_pattern(entry.value))
        out += [Finding(label, s, e, 1.0, DENY_DETECTOR, PII, True, None, entry.name) for s, e in spans]
    return out


def _casefold(text: str) -> str:
    # "İ" (Turkish capital dotted I) case-folds to "i" plus a combining dot, so "İstanbul"
    # would never match "ISTANBUL" or "istanbul"; the dot carries no case.
    return text.casefold().replace("i\u0307", "i")


def _folded(text: str) -> tuple[str, list[int] | None]:
    """``text`` case-folded (``Straße`` and ``STRASSE`` both read ``strasse``), with each
    folded character's offset in ``text`` (None: the same offsets, for ASCII)."""
    if text.isascii():
        return text.lower(), None
    out: list[str] = []
    where: list[int] = []
    for i, c in enumerate(text):
        f = _casefold(c)
        out.append(f)
        where.extend([i] * len(f))
    return "".join(out), where


@functools.lru_cache(maxsize=1024)
def _term_pattern(term: str) -> re.Pattern[str] | None:
    """A deny term as the text is read: normalised like it (NFKC, no invisible characters,
    homoglyphs folded), case-folded, and any run of whitespace in it matching any run in the
    text ("Project\nFalcon", a double space), as the allow list compares entries."""
    from bastion.normalize import normalize

    words = _casefold(normalize(term).text).split()
    if not words:
        return None
    return re.compile(r"\s+".join(map(re.escape, words)))


def _find_terms(
    folded: str, where: list[int] | None, pattern: re.Pattern[str] | None
) -> list[tuple[int, int]]:
    """Whole-word occurrences of ``pattern`` in the ``folded`` text, as offsets into the
    text: a term that starts or ends with a letter or digit must not continue a word there."""
    if pattern is None:
        return []
    spans = []
    n = len(folded)
    pos = 0
    while (m := pattern.search(folded, pos)) is not None:
        s, e = m.span()
        left_ok = not folded[s].isalnum() or s == 0 or not folded[s - 1].isalnum()
        right_ok = not folded[e - 1].isalnum() or e == n or not folded[e].isalnum()
        if left_ok and right_ok:
            spans.append((s, e) if where is None else (where[s], where[e - 1] + 1))
        pos = s + 1
    return spans
