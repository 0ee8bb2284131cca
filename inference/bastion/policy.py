"""Policy: thresholds, actions and redaction operators per category and label."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from bastion.errors import ConfigError
from bastion.types import Action


def _frozen(m: Mapping | None) -> Mapping:
    return MappingProxyType(dict(m or {}))


@dataclass(frozen=True)
class Policy:
    """Decides what the Guard does with findings.

    - ``injection_threshold``: fixed threshold; ``None`` uses the injection detector's
      calibrated threshold for ``injection_operating_point`` ("default" or "strict").
    - ``pii_min_score`` / ``label_thresholds``: PII findings below are dropped.
    - ``pii_action`` when PII is found; ``label_actions`` override it per label
      (e.g. ``{"PRIVATE_KEY": "block"}``).
    - ``operators``: label → operator spec (``"replace"``, ``"mask"``, ``"hash"``,
      ``"pseudonymize"`` or a dict with ``type`` and options); ``default_operator`` otherwise.
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

    >>> p = Policy.from_dict({"label_actions": {"API_KEY": "block"}})
    >>> p.action_for_label("API_KEY").value
    'block'
    """

    injection_threshold: float | None = None
    injection_operating_point: str = "default"
    injection_action: Action = Action.BLOCK
    pii_min_score: float = 0.5
    label_thresholds: Mapping[str, float] = field(default_factory=lambda: _frozen({}))
    pii_action: Action = Action.REDACT
    label_actions: Mapping[str, Action] = field(default_factory=lambda: _frozen({}))
    disabled_labels: frozenset[str] = frozenset()
    default_operator: Any = "replace"
    operators: Mapping[str, Any] = field(default_factory=lambda: _frozen({}))
    max_chars: int = 1_000_000
    max_tokens: int | None = None

    def threshold_for_label(self, label: str) -> float:
        return float(self.label_thresholds.get(label, self.pii_min_score))

    def action_for_label(self, label: str) -> Action:
        return self.label_actions.get(label, self.pii_action)

    def operator_for_label(self, label: str) -> Any:
        return self.operators.get(label, self.default_operator)

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
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Policy:
        if data is not None and not isinstance(data, Mapping):
            raise ConfigError(f"policy must be a mapping, got {type(data).__name__}")
        data = dict(data or {})
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown policy keys: {', '.join(sorted(unknown))}")
        for key in ("label_actions", "label_thresholds", "operators"):
            if key in data and not isinstance(data[key], Mapping):
                raise ConfigError(f"policy {key} must be a mapping of label to value")
        if isinstance(data.get("disabled_labels"), str):
            raise ConfigError("policy disabled_labels must be a list of labels")
        try:
            if "injection_action" in data:
                data["injection_action"] = Action(data["injection_action"])
            if "pii_action" in data:
                data["pii_action"] = Action(data["pii_action"])
            if "label_actions" in data:
                data["label_actions"] = _frozen({k: Action(v) for k, v in data["label_actions"].items()})
            for key in ("label_thresholds", "operators"):
                if key in data:
                    data[key] = _frozen(data[key])
            if "disabled_labels" in data:
                data["disabled_labels"] = frozenset(data["disabled_labels"])
            thr = data.get("injection_threshold")
            if thr is not None and not 0.0 <= float(thr) <= 1.0:
                raise ConfigError("injection_threshold must be in [0, 1]")
            if data.get("injection_operating_point", "default") not in ("default", "strict"):
                raise ConfigError("injection_operating_point must be 'default' or 'strict'")
            if "max_chars" in data:
                data["max_chars"] = int(data["max_chars"])
                if data["max_chars"] <= 0:
                    raise ConfigError("max_chars must be positive")
            if data.get("max_tokens") is not None:
                v = data["max_tokens"]
                if isinstance(v, bool) or (isinstance(v, float) and not v.is_integer()):
                    raise ConfigError("max_tokens must be a whole number or null")
                data["max_tokens"] = int(v)
                if data["max_tokens"] <= 0:
                    raise ConfigError("max_tokens must be positive")
            for score in (data.get("pii_min_score", 0.5), *data.get("label_thresholds", {}).values()):
                if not 0.0 <= float(score) <= 1.0:
                    raise ConfigError("pii_min_score and label_thresholds must be in [0, 1]")
        except (ValueError, TypeError, AttributeError) as exc:
            # e.g. label_actions given as a list, or a threshold that is not a number
            raise ConfigError(f"invalid policy: {exc}") from exc
        return replace(cls(), **data)


# What an LLM answer is checked with: leaking a secret blocks, PII is redacted, and an
# injection-looking answer (e.g. the model echoing an attack from a retrieved page) is
# reported but, by default, only blocks when it is confident.
OUTPUT_POLICY = Policy(
    injection_operating_point="strict",
    label_actions=_frozen({"API_KEY": Action.BLOCK, "PRIVATE_KEY": Action.BLOCK, "PASSWORD": Action.BLOCK}),
)
