"""Policy: thresholds, actions, redaction operators, and allow / deny lists.

List entries (``allow_list``, ``deny_terms``, ``injection_allow_list``) are plain strings
(exact text, compared case-folded with runs of whitespace collapsed; a ``*`` makes it a
glob) or one-key mappings: ``{"exact": ...}``, ``{"glob": ...}``, ``{"regex": ...}``,
``{"sha256": ...}`` (injection allow list only). A deny entry may add ``label``.

Regex safety (the choice documented here): Python's ``re`` backtracks, so a pattern is
accepted only when its worst case is bounded by construction, and is run only on bounded
text. At load, a pattern must be at most :data:`MAX_PATTERN_CHARS` characters, compile,
and use no backreferences, lookarounds or conditionals, no quantifier inside a quantifier
and no alternation inside a quantifier (the shapes of catastrophic backtracking). What
is left backtracks at most the product of its quantifiers' ranges per start position;
that product (an unbounded ``*``/``+`` counted as the subject cap) must stay under a
budget. Then:

- allow-list regexes full-match one finding's value, and only values of at most
  :data:`MAX_ALLOW_SUBJECT` characters (a longer value is never allow-listed by a regex
  or glob: it stays redacted);
- injection-allow-list regexes full-match the whole text, only texts of at most
  :data:`MAX_INJECTION_SUBJECT` characters (longer known prompts: use ``sha256``);
- deny-term regexes are searched over the whole text, so they must have a bounded match
  length (at most :data:`MAX_DENY_WIDTH` characters: ``{m,n}``, not ``*``/``+``) and a
  small per-position budget (:data:`DENY_BUDGET`), which keeps a search linear in the
  text length.

Regexes match case-insensitively, like exact terms. An invalid entry is a
:class:`~bastion.errors.ConfigError` naming it (e.g. ``deny_terms[2]``).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from bastion.errors import ConfigError
from bastion.redact import Vault, build_operator
from bastion.types import PII, Action, Finding

try:  # Python 3.11+
    from re import _constants as _sre_c
    from re import _parser as _sre_p
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _sre_c  # type: ignore[no-redef]
    import sre_parse as _sre_p  # type: ignore[no-redef]

# What LOCATION (city / region / country) and ORGANIZATION mean by default: detected and
# reported, but not personal data on their own ("Paris is the capital of France." comes
# back unchanged). Set them to "redact" in label_actions to opt back in.
DEFAULT_LABEL_ACTIONS: Mapping[str, Action] = MappingProxyType(
    {"LOCATION": Action.ALLOW, "ORGANIZATION": Action.ALLOW}
)
OPERATING_POINTS: tuple[str, ...] = ("default", "strict", "indirect")
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
_KEY_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")  # a label or an operating point
_SHA256_RE = re.compile(r"[0-9a-fA-F]{64}")
_REPEATS = {_sre_c.MAX_REPEAT, _sre_c.MIN_REPEAT, getattr(_sre_c, "POSSESSIVE_REPEAT", _sre_c.MAX_REPEAT)}
_FORBIDDEN = {
    getattr(_sre_c, n)
    for n in ("GROUPREF", "GROUPREF_EXISTS", "GROUPREF_IGNORE", "ASSERT", "ASSERT_NOT")
    if hasattr(_sre_c, n)
}


def _frozen(m: Mapping | None) -> Mapping:
    return MappingProxyType(dict(m or {}))


def _fold(value: str) -> str:
    """Case-folded, whitespace runs collapsed: how exact and glob entries compare."""
    return " ".join(value.casefold().split())


def _lower_same_length(text: str) -> str:
    """Lower-cased text with the same offsets (a few characters lower-case to two)."""
    low = text.lower()
    if len(low) != len(text):
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return low


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
    r"""Compile a user regex after the safety checks in the module docstring.

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
                label = _check_label(spec["label"], name)
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
            return False  # bounded subjects only (module docstring)
        if self.kind == "glob":
            return _glob_match(_fold(self.value), _fold(value))
        assert self.pattern is not None
        return self.pattern.fullmatch(value) is not None

    def describe(self) -> str:
        """``name`` plus the entry, for a decision's ``rule``: e.g. ``allow_list.ORGANIZATION[0] exact 'Acme'``."""
        shown = self.value if len(self.value) <= 80 else self.value[:77] + "..."
        return f"{self.name} {self.kind} {shown!r}"


def _check_label(label: Any, where: str) -> str:
    if not isinstance(label, str) or not _LABEL_RE.fullmatch(label):
        raise ConfigError(f"{where}: label {label!r} must be upper-case letters, digits and _ (at most 64)")
    return label


def _as_sequence(value: Any, where: str) -> Sequence:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence | frozenset | set):
        raise ConfigError(f"policy {where} must be a list")
    if len(value) > MAX_LIST_ENTRIES:
        raise ConfigError(f"policy {where} has more than {MAX_LIST_ENTRIES} entries")
    return list(value)


def _score(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"invalid policy: {what} must be a number in [0, 1], got {value!r}")
    if not 0.0 <= float(value) <= 1.0:  # NaN fails too
        raise ConfigError(f"{what} must be in [0, 1]")
    return float(value)


def _model_tables(value: Any, where: str) -> Mapping[str, Mapping[str, float]]:
    """``{detector name: {point or label: score}}``, checked and frozen."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"policy {where} must be a mapping of detector name to thresholds")
    out: dict[str, Mapping[str, float]] = {}
    for name, table in value.items():
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"policy {where}: detector name {name!r} must be a non-empty string")
        if not isinstance(table, Mapping):
            raise ConfigError(f"policy {where}.{name} must be a mapping of operating point or label to score")
        for key in table:
            if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
                raise ConfigError(f"policy {where}.{name}: key {key!r} must be a label or an operating point")
        out[name] = _frozen({k: _score(v, f"{where}.{name}.{k}") for k, v in table.items()})
    return _frozen(out)


def _action(value: Any, what: str) -> Action:
    try:
        return Action(value)
    except ValueError:
        raise ConfigError(f"invalid policy: {what} must be allow, redact or block, got {value!r}") from None


@dataclass(frozen=True)
class Policy:
    """Decides what the Guard does with findings.

    Labels: ``PERSON`` (people), ``ADDRESS`` (street-level postal address), ``LOCATION``
    (city / region / country), ``ORGANIZATION``, plus the structured ones (``EMAIL_ADDRESS``,
    ``PHONE_NUMBER``, ``CREDIT_CARD``, ``IBAN_CODE``, ``US_SSN``, ``API_KEY``...).

    - ``injection_threshold``: fixed threshold; ``None`` uses the injection detector's
      threshold (``model_thresholds``) for ``injection_operating_point`` ("default",
      "strict", or "indirect" for tool outputs, see :mod:`bastion.conversation`; a
      detector without that point uses its "default", one without any 0.5).
    - ``model_thresholds``: detector name → its cut-offs (operating points of an
      injection detector, labels and ``"default"`` of a PII model). The Guard fills in
      what the policy leaves out from its detectors' calibration (the shipped models'
      manifests), so ``guard.policy.model_thresholds`` shows what is in force;
      ``{"injection_model": {"default": 0.99}}`` overrides one value.
    - ``pii_min_score`` / ``label_thresholds``: PII findings below are dropped. A label in
      ``label_thresholds`` has exactly that cut; any other label's cut is the higher of
      ``pii_min_score`` and the finding's model cut-off for it (``model_thresholds``).
    - ``pii_action`` when PII is found; ``label_actions`` override it per label
      (e.g. ``{"PRIVATE_KEY": "block"}``). By default ``LOCATION`` and ``ORGANIZATION``
      are ``allow`` (:data:`DEFAULT_LABEL_ACTIONS`): reported in ``result.pii`` but left
      in ``redacted_text``; ``{"LOCATION": "redact"}`` opts back in. A finding whose
      action is ``allow`` is never redacted, whatever the operators say; one that
      overlaps a redacted finding is dropped, so an allowed span never un-redacts another.
    - ``operators``: label → operator spec (``"replace"``, ``"mask"``, ``"hash"``,
      ``"pseudonymize"`` or a dict with ``type`` and options); ``default_operator`` otherwise.
      Specs are built once here, so a bad one fails when the policy is made.
    - ``allow_list``: label (or ``"*"`` for any) → entries; a finding whose value matches
      one is allowed, with ``rule`` naming the entry (your company name, ``*@example.com``,
      ``{"regex": "\\+1 800 555 01\\d\\d"}``).
    - ``deny_terms``: entries always redacted, found or not by a detector, labelled
      ``deny_label`` (``DENY_TERM``) or the entry's ``label``; exact terms match whole
      words case-insensitively. Their action is the label's action, never ``allow``, and
      the allow list never releases them.
    - ``injection_allow_list``: ``{"sha256": <hex of the exact UTF-8 text>}`` or
      ``{"regex": ...}`` (full match) entries for your own known prompts; a match makes
      the injection verdict allow and sets ``result.injection_allowed_by``.
    - ``max_chars``: inputs longer than this raise :class:`~bastion.errors.InputError`.
    - ``max_tokens``: compute budget per text, in model tokens (the largest count among
      the Guard's model detectors, each with its own tokenizer; a Guard without a model
      detector is not limited by it). A text over it is never
      checked partially: it raises :class:`~bastion.errors.InputError` naming the budget
      (``check_many(errors="return")`` puts that error in the text's place), so
      unchecked text is never allowed. ``None``: no budget beyond ``max_chars``. Model
      time is linear in tokens: on an idle 2-core CPU the default Guard takes about
      0.15 s per 1,000 tokens (100 KB of English prose is ~19,000 tokens, ~3 s; see
      ``benchmarks/bench_long_text.py``), so ``max_tokens=20_000`` bounds a request to a
      few seconds. A token budget rather than a wall-clock one: the same
      text gets the same answer however loaded the server is.

    Every field is checked when the policy is made (``Policy(max_chars=-3)`` raises
    :class:`~bastion.errors.ConfigError`), in Python as from YAML.

    >>> p = Policy.from_dict({"label_actions": {"API_KEY": "block"}, "allow_list": {"ORGANIZATION": ["Acme"]}})
    >>> p.action_for_label("API_KEY").value, p.action_for_label("LOCATION").value
    ('block', 'allow')
    >>> p.allow_entry("ORGANIZATION", "ACME").describe()
    "allow_list.ORGANIZATION[0] exact 'Acme'"
    """

    injection_threshold: float | None = None
    injection_operating_point: str = "default"
    model_thresholds: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: _frozen({}))
    injection_action: Action = Action.BLOCK
    pii_min_score: float = 0.5
    label_thresholds: Mapping[str, float] = field(default_factory=lambda: _frozen({}))
    pii_action: Action = Action.REDACT
    label_actions: Mapping[str, Action] = field(default_factory=lambda: _frozen(DEFAULT_LABEL_ACTIONS))
    disabled_labels: frozenset[str] = frozenset()
    default_operator: Any = "replace"
    operators: Mapping[str, Any] = field(default_factory=lambda: _frozen({}))
    max_chars: int = 1_000_000
    max_tokens: int | None = None
    allow_list: Mapping[str, tuple[ListEntry, ...]] = field(default_factory=lambda: _frozen({}))
    deny_terms: tuple[ListEntry, ...] = ()
    deny_label: str = DENY_LABEL
    injection_allow_list: tuple[ListEntry, ...] = ()

    def __post_init__(self) -> None:
        try:
            self._validate(object.__setattr__)  # frozen: fields are normalised once, here
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            raise ConfigError(f"invalid policy: {exc}") from exc

    def _validate(self, set_: Any) -> None:
        if self.injection_threshold is not None:
            set_(self, "injection_threshold", _score(self.injection_threshold, "injection_threshold"))
        if self.injection_operating_point not in OPERATING_POINTS:
            raise ConfigError(
                f"injection_operating_point must be one of {', '.join(OPERATING_POINTS)}, "
                f"got {self.injection_operating_point!r}"
            )
        set_(self, "injection_action", _action(self.injection_action, "injection_action"))
        set_(self, "pii_action", _action(self.pii_action, "pii_action"))
        set_(self, "pii_min_score", _score(self.pii_min_score, "pii_min_score"))
        for key in ("label_thresholds", "label_actions", "operators", "allow_list"):
            if not isinstance(getattr(self, key), Mapping):
                raise ConfigError(f"policy {key} must be a mapping of label to value")
        set_(self, "model_thresholds", _model_tables(self.model_thresholds, "model_thresholds"))
        set_(
            self,
            "label_thresholds",
            _frozen(
                {
                    _check_label(k, "label_thresholds"): _score(v, f"label_thresholds.{k}")
                    for k, v in self.label_thresholds.items()
                }
            ),
        )
        actions = dict(DEFAULT_LABEL_ACTIONS)
        actions.update(
            {
                _check_label(k, "label_actions"): _action(v, f"label_actions.{k}")
                for k, v in self.label_actions.items()
            }
        )
        set_(self, "label_actions", _frozen(actions))
        disabled = self.disabled_labels
        if isinstance(disabled, str) or not isinstance(disabled, Collection):
            raise ConfigError("policy disabled_labels must be a list of labels")
        set_(self, "disabled_labels", frozenset(_check_label(x, "disabled_labels") for x in disabled))
        ops = {_check_label(k, "operators"): v for k, v in self.operators.items()}
        # built and thrown away: a bad spec (mask keep=-1, hash without a key) fails now,
        # at load, instead of on the first request that needs it
        for where, spec in (
            ("default_operator", self.default_operator),
            *((f"operators.{k}", v) for k, v in ops.items()),
        ):
            try:
                build_operator(spec, vault=Vault())
            except ConfigError as exc:
                raise ConfigError(f"policy {where}: {exc}") from None
        set_(self, "operators", _frozen(ops))
        for key in ("max_chars", "max_tokens"):
            v = getattr(self, key)
            if v is None and key == "max_tokens":
                continue
            if isinstance(v, bool) or not isinstance(v, int):
                raise ConfigError(
                    f"{key} must be a whole number" + (" or null" if key == "max_tokens" else "")
                )
            if v <= 0:
                raise ConfigError(f"{key} must be positive")
        set_(self, "deny_label", _check_label(self.deny_label, "deny_label"))
        allow: dict[str, tuple[ListEntry, ...]] = {}
        for label, entries in self.allow_list.items():
            if label != ANY_LABEL:
                _check_label(label, "allow_list")
            allow[label] = tuple(
                ListEntry.parse(e, f"allow_list.{label}[{i}]")
                for i, e in enumerate(_as_sequence(entries, f"allow_list.{label}"))
            )
        set_(self, "allow_list", _frozen(allow))
        set_(
            self,
            "deny_terms",
            tuple(
                ListEntry.parse(e, f"deny_terms[{i}]", kinds=("exact", "regex"), with_label=True, deny=True)
                for i, e in enumerate(_as_sequence(self.deny_terms, "deny_terms"))
            ),
        )
        set_(
            self,
            "injection_allow_list",
            tuple(
                ListEntry.parse(
                    e,
                    f"injection_allow_list[{i}]",
                    kinds=("exact", "sha256", "regex"),
                    subject_cap=MAX_INJECTION_SUBJECT,
                )
                for i, e in enumerate(_as_sequence(self.injection_allow_list, "injection_allow_list"))
            ),
        )

    # lookups ------------------------------------------------------------------------

    def threshold_for_label(self, label: str, detector: str | None = None) -> float:
        """The cut a PII finding of ``label`` from ``detector`` must reach (class docstring).

        >>> p = Policy(model_thresholds={"ner": {"ADDRESS": 0.9, "default": 0.5}}, label_thresholds={"IBAN_CODE": 0.3})
        >>> p.threshold_for_label("ADDRESS", "ner"), p.threshold_for_label("ADDRESS", "regex"), p.threshold_for_label("IBAN_CODE", "ner")
        (0.9, 0.5, 0.3)
        """
        if label in self.label_thresholds:
            return float(self.label_thresholds[label])
        table = self.model_thresholds.get(detector) if detector is not None else None
        if not table:
            return float(self.pii_min_score)
        return max(float(self.pii_min_score), float(table.get(label, table.get("default", 0.0))))

    def injection_threshold_for(self, detector: str) -> float:
        """The cut an injection score from ``detector`` must reach: ``injection_threshold``
        when set, else the detector's ``injection_operating_point`` (its "default" when it
        has no such point; 0.5 for a detector without thresholds).

        >>> p = Policy(injection_operating_point="strict", model_thresholds={"m": {"default": 0.9, "strict": 0.95}})
        >>> p.injection_threshold_for("m"), p.injection_threshold_for("other")
        (0.95, 0.5)
        """
        if self.injection_threshold is not None:
            return float(self.injection_threshold)
        table = self.model_thresholds.get(detector) or {}
        return float(table.get(self.injection_operating_point, table.get("default", 0.5)))

    def with_model_defaults(self, tables: Mapping[str, Mapping[str, float]]) -> Policy:
        """This policy with ``tables`` (detector name → cut-offs, e.g. a model manifest's
        ``thresholds``) filled in under ``model_thresholds``: a value this policy sets
        wins. The Guard calls it with its detectors' calibration; ``self`` when nothing is
        missing, so a resolved policy costs nothing the second time.

        >>> p = Policy(model_thresholds={"m": {"strict": 0.97}}).with_model_defaults({"m": {"default": 0.9, "strict": 0.95}})
        >>> dict(p.model_thresholds["m"])
        {'default': 0.9, 'strict': 0.97}
        """
        own = self.model_thresholds
        if all(set(table) <= set(own.get(name, ())) for name, table in tables.items()):
            return self
        merged = {name: {**tables.get(name, {}), **own.get(name, {})} for name in {*tables, *own}}
        return replace(self, model_thresholds=merged)

    def action_for_label(self, label: str) -> Action:
        return self.label_actions.get(label, self.pii_action)

    def rule_for_label(self, label: str) -> str:
        """Which setting gives ``label`` its action: ``label_actions.<LABEL>`` or ``pii_action``."""
        return f"label_actions.{label}" if label in self.label_actions else "pii_action"

    def operator_for_label(self, label: str) -> Any:
        return self.operators.get(label, self.default_operator)

    def allow_entry(self, label: str, value: str) -> ListEntry | None:
        """The first allow-list entry (the label's, then ``"*"``) matching ``value``."""
        for key in (label, ANY_LABEL):
            for entry in self.allow_list.get(key, ()):
                if entry.matches(value):
                    return entry
        return None

    def injection_allow_entry(self, text: str) -> ListEntry | None:
        """The first injection-allow-list entry matching the whole ``text``."""
        for entry in self.injection_allow_list:
            if entry.matches(text, cap=MAX_INJECTION_SUBJECT):
                return entry
        return None

    def deny_findings(self, text: str) -> list[Finding]:
        r"""Every deny-term occurrence in ``text``: score 1.0, ``validated`` (they win
        overlaps), ``detector="deny_terms"``, ``rule`` naming the entry.

        >>> p = Policy(deny_terms=("Project Falcon", {"regex": r"FALCON-\d{4}", "label": "CODENAME"}))
        >>> [(f.label, f.start, f.end, f.rule) for f in p.deny_findings("project falcon / falcon-0042")]
        [('DENY_TERM', 0, 14, 'deny_terms[0]'), ('CODENAME', 17, 28, 'deny_terms[1]')]
        """
        if not self.deny_terms or not text:
            return []
        out: list[Finding] = []
        low: str | None = None
        for entry in self.deny_terms:
            label = entry.label or self.deny_label
            spans: list[tuple[int, int]] = []
            if entry.kind == "regex":
                assert entry.pattern is not None
                spans = [m.span() for m in entry.pattern.finditer(text) if m.end() > m.start()]
            else:
                if low is None:
                    low = _lower_same_length(text)
                spans = _find_terms(low, _lower_same_length(entry.value.strip()))
            out += [Finding(label, s, e, 1.0, DENY_DETECTOR, PII, True, None, entry.name) for s, e in spans]
        return out

    # serialisation ------------------------------------------------------------------

    def with_overrides(self, overrides: Mapping[str, Any] | None) -> Policy:
        """A copy with some fields replaced (used by per-request API overrides)."""
        if not overrides:
            return self
        merged = self.to_dict()
        merged.update(overrides)
        return Policy.from_dict(merged)

    def to_dict(self) -> dict[str, Any]:
        return {
            "injection_threshold": self.injection_threshold,
            "injection_operating_point": self.injection_operating_point,
            "model_thresholds": {k: dict(v) for k, v in self.model_thresholds.items()},
            "injection_action": self.injection_action.value,
            "pii_min_score": self.pii_min_score,
            "label_thresholds": dict(self.label_thresholds),
            "pii_action": self.pii_action.value,
            "label_actions": {k: v.value for k, v in self.label_actions.items()},
            "disabled_labels": sorted(self.disabled_labels),
            "default_operator": self.default_operator,
            "operators": dict(self.operators),
            "max_chars": self.max_chars,
            "max_tokens": self.max_tokens,
            "allow_list": {k: [e.spec() for e in v] for k, v in self.allow_list.items()},
            "deny_terms": [e.spec() for e in self.deny_terms],
            "deny_label": self.deny_label,
            "injection_allow_list": [e.spec() for e in self.injection_allow_list],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Policy:
        """A policy from a config mapping (YAML ``policy:``); every error is a ConfigError.

        >>> Policy.from_dict({"max_chars": -3})
        Traceback (most recent call last):
        ...
        bastion.errors.ConfigError: max_chars must be positive
        """
        if data is not None and not isinstance(data, Mapping):
            raise ConfigError(f"policy must be a mapping, got {type(data).__name__}")
        data = dict(data or {})
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown policy keys: {', '.join(sorted(map(str, unknown)))}")
        for key in ("label_actions", "label_thresholds", "operators", "allow_list", "model_thresholds"):
            if key in data and not isinstance(data[key], Mapping):
                raise ConfigError(f"policy {key} must be a mapping of label to value")
        if isinstance(data.get("disabled_labels"), str):
            raise ConfigError("policy disabled_labels must be a list of labels")
        if "max_tokens" in data and isinstance(data["max_tokens"], str):
            try:  # an environment variable or CLI value
                data["max_tokens"] = int(data["max_tokens"])
            except ValueError:
                raise ConfigError(
                    f"invalid policy: max_tokens must be a whole number, got {data['max_tokens']!r}"
                ) from None
        v = data.get("max_tokens")
        if isinstance(v, float):
            if not math.isfinite(v) or not v.is_integer():
                raise ConfigError("max_tokens must be a whole number or null")
            data["max_tokens"] = int(v)
        if data.get("injection_threshold") is not None and isinstance(data["injection_threshold"], str):
            raise ConfigError(
                f"invalid policy: injection_threshold must be a number, got {data['injection_threshold']!r}"
            )
        if "disabled_labels" in data and isinstance(data["disabled_labels"], list):
            data["disabled_labels"] = (
                frozenset(data["disabled_labels"])
                if all(isinstance(x, str) for x in data["disabled_labels"])
                else data["disabled_labels"]
            )
        for key in ("deny_terms", "injection_allow_list"):
            if key in data and isinstance(data[key], list):
                data[key] = tuple(data[key])
        try:
            return cls(**data)
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            raise ConfigError(f"invalid policy: {exc}") from exc


def _find_terms(low: str, term: str) -> list[tuple[int, int]]:
    """Whole-word occurrences of ``term`` in ``low`` (both lower-cased): a term that
    starts or ends with a letter or digit must not continue a word there."""
    spans = []
    n, m = len(low), len(term)
    pos = low.find(term)
    while pos >= 0:
        end = pos + m
        left_ok = not term[0].isalnum() or pos == 0 or not low[pos - 1].isalnum()
        right_ok = not term[-1].isalnum() or end == n or not low[end].isalnum()
        if left_ok and right_ok:
            spans.append((pos, end))
        pos = low.find(term, pos + 1)
    return spans


# What an LLM answer is checked with: leaking a secret blocks, PII is redacted, and an
# injection-looking answer (e.g. the model echoing an attack from a retrieved page) is
# reported but, by default, only blocks when it is confident.
OUTPUT_POLICY = Policy(
    injection_operating_point="strict",
    label_actions=_frozen({"API_KEY": Action.BLOCK, "PRIVATE_KEY": Action.BLOCK, "PASSWORD": Action.BLOCK}),
)
