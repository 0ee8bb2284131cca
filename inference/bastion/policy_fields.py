"""A :class:`~bastion.policy.Policy`'s fields: each one checked and normalised when a
policy is made (frozen mappings, parsed list entries; the first problem is a
:class:`~bastion.errors.ConfigError` naming the field), and the config mapping form
(YAML ``policy:``) read and written.

>>> from bastion.policy import Policy
>>> checked_fields(Policy(label_actions={"PERSON": "block"}))["label_actions"]["PERSON"]
<Action.BLOCK: 'block'>
>>> fields_from_config({"max_tokens": "2000"}, {"max_tokens"})
{'max_tokens': 2000}
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from bastion.errors import ConfigError
from bastion.policy_lists import (
    ALLOW_WORK_BUDGET,
    ANY_LABEL,
    DENY_WORK_BUDGET,
    INJECTION_WORK_BUDGET,
    MAX_INJECTION_SUBJECT,
    MAX_LIST_ENTRIES,
    ListEntry,
    check_label,
)
from bastion.redact import Vault, build_operator
from bastion.types import Action

if TYPE_CHECKING:
    from bastion.policy import Policy

# What LOCATION (city / region / country) and ORGANIZATION mean by default: detected and
# reported, but not personal data on their own ("Paris is the capital of France." comes
# back unchanged). Set them to "redact" in label_actions to opt back in.
DEFAULT_LABEL_ACTIONS: Mapping[str, Action] = MappingProxyType(
    {"LOCATION": Action.ALLOW, "ORGANIZATION": Action.ALLOW}
)
OPERATING_POINTS: tuple[str, ...] = ("default", "strict", "indirect")

_KEY_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")  # a label or an operating point


def frozen(m: Mapping | None) -> Mapping:
    """A read-only copy of ``m`` (``{}`` for ``None``)."""
    return MappingProxyType(dict(m or {}))


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
        raise ConfigError(f"invalid policy: {what} must be in [0, 1], got {value!r}")
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
        out[name] = frozen({k: _score(v, f"{where}.{name}.{k}") for k, v in table.items()})
    return frozen(out)


def _action(value: Any, what: str) -> Action:
    try:
        return Action(value)
    except ValueError:
        raise ConfigError(f"invalid policy: {what} must be allow, redact or block, got {value!r}") from None


def checked_fields(p: Policy) -> dict[str, Any]:
    """Every field of ``p`` checked and normalised (what ``Policy.__post_init__`` sets);
    the checks run in a fixed order, so the first problem is the one reported."""
    out = _thresholds_and_actions(p)
    out.update(_labels_and_operators(p))
    _check_limits(p)
    out.update(_lists(p))
    return out


def _thresholds_and_actions(p: Policy) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if p.injection_threshold is not None:
        out["injection_threshold"] = _score(p.injection_threshold, "injection_threshold")
    if p.injection_operating_point not in OPERATING_POINTS:
        raise ConfigError(
            f"injection_operating_point must be one of {', '.join(OPERATING_POINTS)}, "
            f"got {p.injection_operating_point!r}"
        )
    out["injection_action"] = _action(p.injection_action, "injection_action")
    out["pii_action"] = _action(p.pii_action, "pii_action")
    out["pii_min_score"] = _score(p.pii_min_score, "pii_min_score")
    for key in ("label_thresholds", "label_actions", "operators", "allow_list"):
        if not isinstance(getattr(p, key), Mapping):
            raise ConfigError(f"policy {key} must be a mapping of label to value")
    out["model_thresholds"] = _model_tables(p.model_thresholds, "model_thresholds")
    out["label_thresholds"] = frozen(
        {
            check_label(k, "label_thresholds"): _score(v, f"label_thresholds.{k}")
            for k, v in p.label_thresholds.items()
        }
    )
    actions = dict(DEFAULT_LABEL_ACTIONS)
    actions.update(
        {
            check_label(k, "label_actions"): _action(v, f"label_actions.{k}")
            for k, v in p.label_actions.items()
        }
    )
    out["label_actions"] = frozen(actions)
    return out


def _labels_and_operators(p: Policy) -> dict[str, Any]:
    disabled = p.disabled_labels
    if isinstance(disabled, str) or not isinstance(disabled, Collection):
        raise ConfigError("policy disabled_labels must be a list of labels")
    out: dict[str, Any] = {"disabled_labels": frozenset(check_label(x, "disabled_labels") for x in disabled)}
    ops = {check_label(k, "operators"): v for k, v in p.operators.items()}
    # built and thrown away: a bad spec (mask keep=-1, hash without a key) fails now,
    # at load, instead of on the first request that needs it
    for where, spec in (
        ("default_operator", p.default_operator),
        *((f"operators.{k}", v) for k, v in ops.items()),
    ):
        try:
            build_operator(spec, vault=Vault())
        except ConfigError as exc:
            raise ConfigError(f"policy {where}: {exc}") from None
    out["operators"] = frozen(ops)
    return out


def _check_limits(p: Policy) -> None:
    for key in ("max_chars", "max_tokens"):
        v = getattr(p, key)
        if v is None and key == "max_tokens":
            continue
        if isinstance(v, bool) or not isinstance(v, int):
            raise ConfigError(f"{key} must be a whole number" + (" or null" if key == "max_tokens" else ""))
        if v <= 0:
            raise ConfigError(f"{key} must be positive")


def deny_entries(entries: Any) -> tuple[ListEntry, ...]:
    """``deny_terms`` entries parsed and checked, each named by its place (``deny_terms[2]``)."""
    return tuple(
        ListEntry.parse(e, f"deny_terms[{i}]", kinds=("exact", "regex"), with_label=True, deny=True)
        for i, e in enumerate(_as_sequence(entries, "deny_terms"))
    )


def _lists(p: Policy) -> dict[str, Any]:
    deny_label = check_label(p.deny_label, "deny_label")
    allow: dict[str, tuple[ListEntry, ...]] = {}
    for label, entries in p.allow_list.items():
        if label != ANY_LABEL:
            check_label(label, "allow_list")
        allow[label] = tuple(
            ListEntry.parse(e, f"allow_list.{label}[{i}]")
            for i, e in enumerate(_as_sequence(entries, f"allow_list.{label}"))
        )
    deny = deny_entries(p.deny_terms)
    injection = tuple(
        ListEntry.parse(
            e,
            f"injection_allow_list[{i}]",
            kinds=("exact", "sha256", "regex"),
            subject_cap=MAX_INJECTION_SUBJECT,
        )
        for i, e in enumerate(_as_sequence(p.injection_allow_list, "injection_allow_list"))
    )
    # Each regex alone is bounded, but a list of them multiplies the work (64 deny regexes
    # took 21 s on one 100 KB request): their sum has a budget too (policy docstring).
    _within_budget("deny_terms", _work(deny), DENY_WORK_BUDGET, "at each position of a text")
    star = _work(allow.get(ANY_LABEL, ()))
    worst = max((_work(v) for k, v in allow.items() if k != ANY_LABEL), default=0)
    _within_budget(
        "allow_list", star + worst, ALLOW_WORK_BUDGET, "on each finding (a label's and '*' entries)"
    )
    _within_budget("injection_allow_list", _work(injection), INJECTION_WORK_BUDGET, "on each text")
    return {
        "deny_label": deny_label,
        "allow_list": frozen(allow),
        "deny_terms": deny,
        "injection_allow_list": injection,
    }


def _work(entries: Sequence[ListEntry]) -> int:
    return sum(e.work for e in entries)


def _within_budget(where: str, work: int, budget: int, per: str) -> None:
    if work > budget:
        raise ConfigError(
            f"policy {where}: the regexes together may take about {work} steps {per}, over the budget "
            f"of {budget}; use fewer regexes or tighter quantifiers ({{1,20}} rather than {{1,200}} or +)"
        )


def fields_from_config(data: Any, known: Collection[str]) -> dict[str, Any]:
    """The ``Policy`` keyword arguments a config mapping (YAML ``policy:``) names, with the
    YAML and environment forms turned into the fields' own (lists into tuples and
    frozensets, a ``max_tokens`` string into a number); a key not in ``known``, or a value
    of the wrong shape, is a ConfigError."""
    if data is not None and not isinstance(data, Mapping):
        raise ConfigError(f"policy must be a mapping, got {type(data).__name__}")
    data = dict(data or {})
    unknown = set(data) - set(known)
    if unknown:
        import difflib

        hints = []
        for key in sorted(map(str, unknown)):
            close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
            hints.append(f"{key} (did you mean {close[0]}?)" if close else key)
        raise ConfigError(f"unknown policy keys: {', '.join(hints)}; known: {', '.join(sorted(known))}")
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
    return data


def to_config(p: Policy) -> dict[str, Any]:
    """``p`` as a config mapping (:func:`fields_from_config` reads it back)."""
    return {
        "injection_threshold": p.injection_threshold,
        "injection_operating_point": p.injection_operating_point,
        "model_thresholds": {k: dict(v) for k, v in p.model_thresholds.items()},
        "injection_action": p.injection_action.value,
        "pii_min_score": p.pii_min_score,
        "label_thresholds": dict(p.label_thresholds),
        "pii_action": p.pii_action.value,
        "label_actions": {k: v.value for k, v in p.label_actions.items()},
        "disabled_labels": sorted(p.disabled_labels),
        "default_operator": p.default_operator,
        "operators": dict(p.operators),
        "max_chars": p.max_chars,
        "max_tokens": p.max_tokens,
        "allow_list": {k: [e.spec() for e in v] for k, v in p.allow_list.items()},
        "deny_terms": [e.spec() for e in p.deny_terms],
        "deny_label": p.deny_label,
        "injection_allow_list": [e.spec() for e in p.injection_allow_list],
    }
