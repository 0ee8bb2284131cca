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
import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
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
# A list's regexes together (the policy docstring): about how many engine steps they may
# take at one position of a text (deny terms), on one finding (allow list: the finding's
# label's entries plus "*"'s) or on one text (injection allow list). A step took 4-11 ns on
# the shared 2-core box: the worst deny regexes within 1,024 added 1.2 s to a
# 100,000-character text, allow regexes within 65,536 0.35 s to 400 URL findings of 250
# characters (and 0.7 s to 3,800 e-mail findings at half the budget).
DENY_WORK_BUDGET = 1024
ALLOW_WORK_BUDGET = 65_536
INJECTION_WORK_BUDGET = 1 << 22
_WORK_CAP = 10**12


# what _folded writes as one space: a run of whitespace, or one that is not " "
_SPACE_RUN = re.compile(r"\s{2,}|[^\S ]")
_MARKS = frozenset(("Mn", "Me", "Mc"))
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


def _regex_work(items: Any, cap: int) -> tuple[int, int]:
    """(paths, steps) of ``items`` from one start position: how many ways it can match, and
    about how many engine steps trying every one of them takes (what a failing search or
    full match pays). A path pays again for everything after its choices, so a fixed run
    after two ranges (``[a-z]{1,8}[a-z]{1,8}[a-z]{239}!``: 64 paths x 239 characters) costs
    the product, though its path count alone looks small. Shapes are checked by
    :func:`_regex_cost` first."""
    paths, steps = 1, 0
    # the last item when it was a repeat of one character class: (its choices, the class)
    run: tuple[int, Any] | None = None
    for op, av in items:
        if op == _sre_c.LITERAL and run is not None and not _class_has(run[1], av):
            # a character the run before it cannot read ("[a-z.]{1,64}@corp"): each path
            # fails at it in one test, and at most one run length (ending at the first such
            # character) goes on, so the run's choices stop multiplying what follows
            steps = min(steps + paths, _WORK_CAP)
            paths = max(1, paths // run[0])
            run = None
            continue
        run = None
        if op in _REPEATS:
            lo, hi, sub = av
            top = cap if hi == _sre_c.MAXREPEAT else min(hi, cap)
            choices = max(1, top - lo + 1)
            # greedy or lazy, every length is tried once: the longest run read, then each choice
            p, s = choices, max(1, top) * _regex_work(sub, cap)[1] + choices
            sub = list(sub)
            if len(sub) == 1 and sub[0][0] in (_sre_c.IN, _sre_c.LITERAL, _sre_c.NOT_LITERAL):
                run = (choices, sub[0])
        elif op == _sre_c.SUBPATTERN:
            p, s = _regex_work(av[-1], cap)
        elif op == getattr(_sre_c, "ATOMIC_GROUP", None):
            p, s = _regex_work(av, cap)
        elif op == _sre_c.BRANCH:
            branches = [_regex_work(b, cap) for b in av[1]]
            p, s = sum(b[0] for b in branches), sum(b[1] for b in branches)
        else:
            p, s = 1, 1
        steps = min(steps + paths * s, _WORK_CAP)
        paths = min(paths * p, _WORK_CAP)
    return paths, steps


def _class_has(item: Any, code: int) -> bool:
    """Whether the one-character item ``item`` (LITERAL, NOT_LITERAL or an IN class, as
    parsed case-insensitively) may read the character ``code``; True when unsure."""
    op, av = item
    if code > 127 or chr(code) in "sSkK":
        # case-insensitive matching folds these across scripts ("ſ" reads as "s", the Kelvin
        # sign as "k", "İ" lowers to two characters): assume the run may read it
        return True
    chars = {chr(code), chr(code).lower(), chr(code).upper()}
    if op in (_sre_c.LITERAL, _sre_c.NOT_LITERAL) and (av > 127 or chr(av) in "sSkK"):
        return True
    if op == _sre_c.LITERAL:
        return bool(chars & {chr(av), chr(av).lower(), chr(av).upper()})
    if op == _sre_c.NOT_LITERAL:
        return not chars <= {chr(av), chr(av).lower(), chr(av).upper()}
    negate, hit = False, False
    for sop, sav in av:
        if sop == _sre_c.NEGATE:
            negate = True
        elif sop == _sre_c.LITERAL:
            hit |= any(ord(c) == sav for c in chars)
        elif sop == _sre_c.RANGE:
            hit |= any(sav[0] <= ord(c) <= sav[1] for c in chars)
        elif sop == _sre_c.CATEGORY:
            probe = {
                _sre_c.CATEGORY_DIGIT: r"\d",
                _sre_c.CATEGORY_NOT_DIGIT: r"\D",
                _sre_c.CATEGORY_SPACE: r"\s",
                _sre_c.CATEGORY_NOT_SPACE: r"\S",
                _sre_c.CATEGORY_WORD: r"\w",
                _sre_c.CATEGORY_NOT_WORD: r"\W",
            }.get(sav)
            if probe is None:
                return True
            hit |= any(re.fullmatch(probe, c) is not None for c in chars)
        else:
            return True
    return hit != negate


def regex_steps(pattern: str, cap: int) -> int:
    r"""About how many engine steps ``pattern`` (already accepted by
    :func:`compile_safe_regex`) takes at one start position in the worst case, an unbounded
    ``*``/``+`` counted as ``cap``: what the list budgets add up.

    >>> regex_steps(r"FALCON-\d{4}", 256), regex_steps("[a-z]{1,8}[a-z]{1,8}[a-z]{239}!", 256)
    (13, 15632)
    """
    paths, steps = _regex_work(list(_sre_p.parse(pattern, re.IGNORECASE)), cap)
    return min(steps + paths, _WORK_CAP)  # each path ends in one more (failing) test


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
    # a regex's worst-case steps (regex_steps), a position's (deny) or a whole match's: the list budgets
    work: int = field(default=0, compare=False, repr=False)

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
        work = 0
        if kind == "regex":
            pattern = (
                compile_safe_regex(
                    value, name, cap=MAX_DENY_WIDTH, budget=DENY_BUDGET, max_width=MAX_DENY_WIDTH
                )
                if deny
                else compile_safe_regex(value, name, cap=subject_cap, budget=FULLMATCH_BUDGET)
            )
            work = regex_steps(value, MAX_DENY_WIDTH if deny else subject_cap)
        elif kind == "sha256":
            if not _SHA256_RE.fullmatch(value):
                raise ConfigError(f"{name}: sha256 must be 64 hex digits")
            value = value.lower()
        elif kind == "glob" and not value.replace("*", "").strip():
            raise ConfigError(f"{name}: a glob needs some text besides '*'")
        return cls(kind, value, name, label, pattern, work)

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
    """Every occurrence of the deny ``entries`` in ``text`` (see ``Policy.deny_findings``),
    read as the regex rules read it (:func:`_rules_view`); offsets into ``text``. One span
    found again by a later entry under the same label is reported once, by the first."""
    if not entries or not text:
        return []
    view, back = _rules_view(text)
    out: list[Finding] = []
    seen: set[tuple[str, int, int]] = set()
    folded: tuple[str, list[int] | None] | None = None
    for entry in entries:
        label = entry.label or default_label
        spans: list[tuple[int, int]] = []
        if entry.kind == "regex":
            assert entry.pattern is not None
            spans = [m.span() for m in entry.pattern.finditer(view) if m.end() > m.start()]
        else:
            if folded is None:
                folded = _folded(view)
            spans = _find_terms(*folded, _term_text(entry.value))
        for s, e in spans:
            s, e = back(s, e)
            if (label, s, e) not in seen:
                seen.add((label, s, e))
                out.append(Finding(label, s, e, 1.0, DENY_DETECTOR, PII, True, None, entry.name))
    return out


def _rules_view(text: str) -> tuple[str, Callable[[int, int], tuple[int, int]]]:
    """``text`` as :class:`~bastion.detectors.pii_regex.RegexPIIDetector` reads it (escapes
    decoded, then :func:`~bastion.detectors.pii_regex.rule_view`: marks on Latin letters and
    digits dropped, Unicode dashes as ``-``, emphasis underscores as spaces), and the map of
    an end-exclusive span of it back to ``text``. A term the rules would read in a value is
    read in the same place: a struck-through or ``FALCON\u20110042`` codename no longer leaks."""
    from bastion.detectors.escapes import decode_escapes
    from bastion.detectors.pii_regex import rule_view

    decoded = decode_escapes(text)
    base = text if decoded is None else decoded.text
    folded = rule_view(base)
    if decoded is None and folded is None:
        return text, lambda s, e: (s, e)

    def back(s: int, e: int) -> tuple[int, int]:
        if folded is not None:
            s, e = folded.to_original(s, e)
        return (s, e) if decoded is None else decoded.to_original(s, e)

    return (base if folded is None else folded.text), back


def _casefold(text: str) -> str:
    # "İ" (Turkish capital dotted I) case-folds to "i" plus a combining dot, so "İstanbul"
    # would never match "ISTANBUL" or "istanbul"; the dot carries no case.
    return text.casefold().replace("i\u0307", "i")


def _folded(text: str) -> tuple[str, list[int] | None]:
    """``text`` case-folded (``Straße`` and ``STRASSE`` both read ``strasse``) with each run
    of whitespace one space, and each folded character's offset in ``text`` (None: the same
    offsets)."""
    if text.isascii():
        low = text.lower()
        runs = [m.span() for m in _SPACE_RUN.finditer(low)]
        if not runs:
            return low, None
        pieces: list[str] = []
        where: list[int] = []
        pos = 0
        for s, e in runs:
            pieces += (low[pos:s], " ")
            where += range(pos, s + 1)
            pos = e
        pieces.append(low[pos:])
        where += range(pos, len(low))
        return "".join(pieces), where
    out: list[str] = []
    where = []
    for i, c in enumerate(text):
        if c.isspace():
            if out and out[-1] == " ":
                continue
            c = " "
        elif out and out[-1][-1:].isascii() and unicodedata.category(c) in _MARKS:
            # the rules' view drops marks on Latin letters and digits; one on a space or a
            # hyphen is struck-through or underlined text too (U+0336 after every character)
            continue
        f = _casefold(c)
        out.append(f)
        where.extend([i] * len(f))
    return "".join(out), where


@functools.lru_cache(maxsize=1024)
def _term_text(term: str) -> str | None:
    """A deny term as the text is read: normalised like it (NFKC, no invisible characters,
    homoglyphs folded), then as the rules read it (:func:`_rules_view`), case-folded, its
    words joined by one space as :func:`_folded` writes any run of whitespace ("Project\nFalcon",
    a double space), as the allow list compares entries."""
    from bastion.normalize import normalize

    words = _folded(_rules_view(normalize(term).text)[0])[0].split()
    return " ".join(words) if words else None


def _find_terms(folded: str, where: list[int] | None, term: str | None) -> list[tuple[int, int]]:
    """Whole-word occurrences of ``term`` in the ``folded`` text, as offsets into the text
    it was folded from: a term that starts or ends with a letter or digit must not continue
    a word there. A plain substring search, linear in the text whatever the term (a regex
    of the term's words backtracked over every position: 64 terms of 256 characters took
    13 s on 100,000 characters of "a a a ...")."""
    if not term:
        return []
    spans = []
    n, k = len(folded), len(term)
    pos = 0
    while (s := folded.find(term, pos)) >= 0:
        e = s + k
        left_ok = not folded[s].isalnum() or s == 0 or not folded[s - 1].isalnum()
        right_ok = not folded[e - 1].isalnum() or e == n or not folded[e].isalnum()
        if left_ok and right_ok:
            spans.append((s, e) if where is None else (where[s], where[e - 1] + 1))
        pos = s + 1
    return spans
