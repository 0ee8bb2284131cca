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

Each regex alone bounded is not enough: a list multiplies it (64 deny regexes, each within
its budget, took 21 s on one 100 KB request). So each list's regexes together have a budget
of engine steps (:func:`~bastion.policy_lists.regex_steps`: every path a regex can try,
each paying for what follows its choices, ``*``/``+`` counted as the subject cap): at most
:data:`DENY_WORK_BUDGET` (1,024) at each position of a text for the deny terms, at most
:data:`ALLOW_WORK_BUDGET` (65,536) on each finding for the allow list (a label's entries
plus ``"*"``'s), at most :data:`INJECTION_WORK_BUDGET` (4,194,304) on each text for the
injection allow list. A policy over one is a ConfigError when it is made (for a request's
override, a 422). A character that the run before it cannot read (the ``@`` after ``[a-z.]+``,
the ``-`` after ``[A-Z]{2,10}``) ends that run's choices, so runs around it add up; runs that read
the same characters multiply. So ``FALCON-\\d{4}`` costs 13 steps, ``\\b[A-Z]{2,10}-\\d{3,6}\\b``
47, ``[a-z.]{1,64}@example\\.com`` 204 and ``[a-z.]+@[a-z]+\\.com`` 1,540, while
``[a-z.]+[a-z]+@example\\.com`` (two runs over the same letters) costs about 200,000, too many
for the allow list (``*``/``+`` counted as 256 characters, the allow list's subject cap):

>>> from bastion.policy_lists import regex_steps
>>> [regex_steps(p, MAX_ALLOW_SUBJECT) for p in (r"FALCON-\\d{4}", r"\\b[A-Z]{2,10}-\\d{3,6}\\b",
...     r"[a-z.]{1,64}@example\\.com", r"[a-z.]+@[a-z]+\\.com", r"[a-z.]+[a-z]+@example\\.com")]
[13, 47, 204, 1540, 200192]
>>> Policy.from_dict({"allow_list": {"EMAIL": [{"regex": r"[a-z.]+[a-z]+@example\\.com"}]}})
... # doctest: +ELLIPSIS
Traceback (most recent call last):
...
bastion.errors.ConfigError: policy allow_list: ... about 200192 steps ..., over the budget of 65536; ...

Exact terms are plain substring searches, linear in the text.

Regexes match case-insensitively, like exact terms. Deny terms, exact and regex, are
matched on the text as the regex rules read it (``RegexPIIDetector``: escapes decoded,
strike-through and other marks on Latin letters and digits dropped, Unicode dashes read as
``-``, Markdown emphasis underscores as spaces), offsets mapped back to the text passed. An
invalid entry is a :class:`~bastion.errors.ConfigError` naming it (e.g. ``deny_terms[2]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bastion.errors import ConfigError
from bastion.policy_fields import (
    DEFAULT_LABEL_ACTIONS,
    OPERATING_POINTS,
    checked_fields,
    deny_entries,
    fields_from_config,
    frozen,
    to_config,
)
from bastion.policy_lists import (
    ALLOW_WORK_BUDGET,
    ANY_LABEL,
    DENY_BUDGET,
    DENY_DETECTOR,
    DENY_LABEL,
    DENY_WORK_BUDGET,
    FULLMATCH_BUDGET,
    INJECTION_WORK_BUDGET,
    MAX_ALLOW_SUBJECT,
    MAX_DENY_WIDTH,
    MAX_INJECTION_SUBJECT,
    MAX_LIST_ENTRIES,
    MAX_PATTERN_CHARS,
    MAX_TERM_CHARS,
    ListEntry,
    compile_safe_regex,
    regex_steps,
)
from bastion.policy_rules import PolicyRules
from bastion.types import Action

# what a policy is checked with and its lookups live next door; the names stay importable here
__all__ = [
    "ALLOW_WORK_BUDGET",
    "ANY_LABEL",
    "DEFAULT_LABEL_ACTIONS",
    "DENY_BUDGET",
    "DENY_DETECTOR",
    "DENY_LABEL",
    "DENY_WORK_BUDGET",
    "FULLMATCH_BUDGET",
    "INJECTION_WORK_BUDGET",
    "MAX_ALLOW_SUBJECT",
    "MAX_DENY_WIDTH",
    "MAX_INJECTION_SUBJECT",
    "MAX_LIST_ENTRIES",
    "MAX_PATTERN_CHARS",
    "MAX_TERM_CHARS",
    "OPERATING_POINTS",
    "OUTPUT_POLICY",
    "ListEntry",
    "Policy",
    "compile_safe_regex",
    "regex_steps",
]

_INVALID = (ValueError, TypeError, AttributeError, OverflowError)  # what a bad field value raises
# with_overrides merges these key by key: a request's rule for one label must not drop the
# server's rules for the others (an override of PERSON un-blocked API keys)
_MERGED = ("label_thresholds", "label_actions", "operators", "allow_list")


@dataclass(frozen=True)
class Policy(PolicyRules):
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
    model_thresholds: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: frozen({}))
    injection_action: Action = Action.BLOCK
    pii_min_score: float = 0.5
    label_thresholds: Mapping[str, float] = field(default_factory=lambda: frozen({}))
    pii_action: Action = Action.REDACT
    label_actions: Mapping[str, Action] = field(default_factory=lambda: frozen(DEFAULT_LABEL_ACTIONS))
    disabled_labels: frozenset[str] = frozenset()
    default_operator: Any = "replace"
    operators: Mapping[str, Any] = field(default_factory=lambda: frozen({}))
    max_chars: int = 1_000_000
    max_tokens: int | None = None
    allow_list: Mapping[str, tuple[ListEntry, ...]] = field(default_factory=lambda: frozen({}))
    deny_terms: tuple[ListEntry, ...] = ()
    deny_label: str = DENY_LABEL
    injection_allow_list: tuple[ListEntry, ...] = ()

    def __post_init__(self) -> None:
        try:
            checked = checked_fields(self)
        except _INVALID as exc:
            raise ConfigError(f"invalid policy: {exc}") from exc
        for name, value in checked.items():  # frozen: fields are normalised once, here
            object.__setattr__(self, name, value)

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

    def with_overrides(self, overrides: Mapping[str, Any] | None) -> Policy:
        """A copy with ``overrides`` applied (the API's per-request overrides come through
        here). A mapping field (``label_actions``, ``label_thresholds``, ``operators``,
        ``allow_list``) is merged key by key, so a stricter rule for one label keeps the
        others; an empty mapping empties it (``{"operators": {}}``: the default operator for
        every label). ``deny_terms`` are added to this policy's, which an override can never
        remove. Any other field is replaced.

        >>> p = Policy.from_dict({"label_actions": {"API_KEY": "block"}, "deny_terms": ["Project Falcon"]})
        >>> q = p.with_overrides({"label_actions": {"PERSON": "block"}, "deny_terms": ["Osprey"]})
        >>> q.action_for_label("API_KEY").value, q.action_for_label("PERSON").value, [e.value for e in q.deny_terms]
        ('block', 'block', ['Project Falcon', 'Osprey'])
        """
        if not overrides:
            return self
        merged = self.to_dict()
        for key, value in overrides.items():
            if key in _MERGED and isinstance(value, Mapping) and value:
                merged[key] = {**merged.get(key, {}), **value}
            elif key == "deny_terms" and isinstance(value, list | tuple):
                # checked alone first, so an error names the entry as the caller numbered it
                have = {(e.kind, e.value, e.label) for e in self.deny_terms}
                added = [e.spec() for e in deny_entries(value) if (e.kind, e.value, e.label) not in have]
                merged[key] = [*merged[key], *added]
            else:
                merged[key] = value
        return Policy.from_dict(merged)

    def to_dict(self) -> dict[str, Any]:
        return to_config(self)

    def __repr__(self) -> str:
        # a logged policy must not give away the key of a hash operator
        return f"Policy({_without_keys(to_config(self))!r})"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Policy:
        """A policy from a config mapping (YAML ``policy:``); every error is a ConfigError.

        >>> Policy.from_dict({"max_chars": -3})
        Traceback (most recent call last):
        ...
        bastion.errors.ConfigError: max_chars must be positive
        """
        fields = fields_from_config(data, cls.__dataclass_fields__)
        try:
            return cls(**fields)
        except _INVALID as exc:
            raise ConfigError(f"invalid policy: {exc}") from exc


def _without_keys(value: Any) -> Any:
    """``value`` with every ``"key"`` of an operator spec shown as ``"***"``.

    >>> _without_keys({"operators": {"EMAIL_ADDRESS": {"type": "hash", "key": "s3cret"}}})
    {'operators': {'EMAIL_ADDRESS': {'type': 'hash', 'key': '***'}}}
    """
    if isinstance(value, Mapping):
        return {k: "***" if k == "key" else _without_keys(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_keys(v) for v in value]
    return value


# What an LLM answer is checked with: leaking a secret blocks, PII is redacted, and an
# injection-looking answer (e.g. the model echoing an attack from a retrieved page) is
# reported but, by default, only blocks when it is confident.
OUTPUT_POLICY = Policy(
    injection_operating_point="strict",
    label_actions=frozen({"API_KEY": Action.BLOCK, "PRIVATE_KEY": Action.BLOCK, "PASSWORD": Action.BLOCK}),
)
SECRET_LABELS = ("API_KEY", "PRIVATE_KEY", "PASSWORD")
# What an answer takes from the input policy: what the app treats as sensitive or not
# (deny terms "always redacted", allow lists, label actions, disabled labels, thresholds)
# and how values are written. Not the size limits (an answer may be longer than any prompt
# a server accepts) and not the injection settings (answers are judged at the strict point).
_INHERITED = (
    "pii_min_score", "pii_action", "label_thresholds", "label_actions", "disabled_labels", "default_operator",
    "operators", "allow_list", "deny_terms", "deny_label", "model_thresholds",
)  # fmt: skip


def output_policy_for(policy: Policy) -> Policy:
    """The policy LLM answers are checked with when none is configured: ``policy``'s
    decisions about PII (deny terms, allow lists, label actions and ``pii_action``, disabled
    labels, thresholds, operators) with every secret label on and blocked (at most the
    default cut, whatever the input policy disabled or raised) and injection judged at the
    strict point.
    Pseudonymisation is not inherited: a token made for a value the model wrote would be
    restored to the value by ``protect``; such values are replaced instead.

    >>> p = Policy.from_dict({"deny_terms": ["Project Falcon"], "label_actions": {"LOCATION": "redact"}})
    >>> out = output_policy_for(p)
    >>> out.action_for_label("LOCATION").value, out.action_for_label("PASSWORD").value, len(out.deny_terms)
    ('redact', 'block', 1)
    """
    base = policy.to_dict()
    merged = OUTPUT_POLICY.to_dict() | {k: base[k] for k in _INHERITED}
    merged["label_actions"] = {**merged["label_actions"], **{label: "block" for label in SECRET_LABELS}}
    # "every secret blocked" must hold whatever the input policy tuned: a secret label it
    # disabled, or raised the cut of (pii_min_score 0.9 left "password=hunter22" in answers),
    # is back on at the default cut
    merged["disabled_labels"] = [x for x in merged["disabled_labels"] if x not in SECRET_LABELS]
    merged["label_thresholds"] = {
        **merged["label_thresholds"],
        **{
            label: min(Policy.pii_min_score, merged["label_thresholds"].get(label, 1.0))
            for label in SECRET_LABELS
        },
    }
    pseudonymise = ("pseudonymize", "pseudonymise")

    def plain(spec: Any) -> Any:
        kind = spec.get("type") if isinstance(spec, Mapping) else spec
        return "replace" if kind in pseudonymise else spec

    merged["default_operator"] = plain(merged["default_operator"])
    merged["operators"] = {k: plain(v) for k, v in merged["operators"].items()}
    return Policy.from_dict(merged)
