"""What a :class:`~bastion.policy.Policy` says about one finding: the cut it must reach,
its action and the setting that gave it, its operator, the allow-list entry that releases
it, and the deny terms in a text.

>>> from bastion.policy import Policy
>>> p = Policy(label_actions={"API_KEY": "block"})
>>> p.action_for_label("API_KEY").value, p.rule_for_label("API_KEY"), p.rule_for_label("PERSON")
('block', 'label_actions.API_KEY', 'pii_action')
"""

from __future__ import annotations

from typing import Any

from bastion.labels import SECRET_LABELS
from bastion.policy_lists import ANY_LABEL, MAX_INJECTION_SUBJECT, ListEntry, find_deny_terms
from bastion.types import Action, Finding

# Labels a "*" pattern entry never releases: credentials, and numbers with a checksum or a
# national-id structure, which a pattern written for other values can match by accident.
GUARDED_FROM_PATTERNS = frozenset(
    (
        *SECRET_LABELS,
        "CREDIT_CARD",
        "IBAN_CODE",
        "US_SSN",
        "UK_NINO",
        "UK_NHS",
        "DE_TAX_ID",
        "FR_NIR",
        "ES_NIF",
        "IT_FISCAL_CODE",
        "NL_BSN",
        "IN_AADHAAR",
        "CA_SIN",
        "AU_TFN",
        "BR_CPF",
        "PL_PESEL",
        "CN_RIC",
        "US_ROUTING",
        "BANK_ACCOUNT",
        "PASSPORT",
        "DRIVER_LICENSE",
        "MEDICAL_RECORD_NUMBER",
    )
)


class PolicyRules:
    """The lookups of :class:`~bastion.policy.Policy` (mixed into it; they read its fields)."""

    def threshold_for_label(self, label: str, detector: str | None = None) -> float:
        """The cut a PII finding of ``label`` from ``detector`` must reach (``Policy`` docstring).

        >>> from bastion.policy import Policy
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

        >>> from bastion.policy import Policy
        >>> p = Policy(injection_operating_point="strict", model_thresholds={"m": {"default": 0.9, "strict": 0.95}})
        >>> p.injection_threshold_for("m"), p.injection_threshold_for("other")
        (0.95, 0.5)
        """
        if self.injection_threshold is not None:
            return float(self.injection_threshold)
        table = self.model_thresholds.get(detector) or {}
        return float(table.get(self.injection_operating_point, table.get("default", 0.5)))

    def action_for_label(self, label: str) -> Action:
        return self.label_actions.get(label, self.pii_action)

    def rule_for_label(self, label: str) -> str:
        """Which setting gives ``label`` its action: ``label_actions.<LABEL>`` or ``pii_action``."""
        return f"label_actions.{label}" if label in self.label_actions else "pii_action"

    def operator_for_label(self, label: str) -> Any:
        return self.operators.get(label, self.default_operator)

    def allow_entry(self, label: str, value: str) -> ListEntry | None:
        """The first allow-list entry (the label's, then ``"*"``) matching ``value``. A
        pattern under ``"*"`` (glob or regex) does not release a secret or a checksummed
        number: ``"*@example.com"``, written for e-mails, matched a card glued to one
        (``4111111111111111@example.com``); an exact value or the label's own list does."""
        for key in (label, ANY_LABEL):
            for entry in self.allow_list.get(key, ()):
                if key == ANY_LABEL and entry.kind != "exact" and label in GUARDED_FROM_PATTERNS:
                    continue
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
        overlaps), ``detector="deny_terms"``, ``rule`` naming the entry. ``text`` is read as
        the regex rules read it (escapes decoded, marks on Latin letters and digits dropped,
        Unicode dashes as ``-``, emphasis underscores as spaces); offsets are into ``text``.

        >>> from bastion.policy import Policy
        >>> p = Policy(deny_terms=("Project Falcon", {"regex": r"FALCON-\d{4}", "label": "CODENAME"}))
        >>> [(f.label, f.start, f.end, f.rule) for f in p.deny_findings("project falcon / falcon-0042")]
        [('DENY_TERM', 0, 14, 'deny_terms[0]'), ('CODENAME', 17, 28, 'deny_terms[1]')]
        >>> [(f.start, f.end) for f in p.deny_findings("code F\u0336ALCON\u20110042")]
        [(5, 17)]
        """
        return find_deny_terms(self.deny_terms, self.deny_label, text)
