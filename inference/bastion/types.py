"""Typed, frozen result objects shared by every detector, the Guard, the CLI and the API.

All offsets are end-exclusive character offsets into the ORIGINAL string passed to
``Guard.check`` (``text[f.start:f.end]`` is the detected value).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Any

PII = "pii"
INJECTION = "injection"


class Action(str, Enum):
    """What the guard decided for a text, in increasing order of severity."""

    ALLOW = "allow"
    REDACT = "redact"
    BLOCK = "block"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {Action.ALLOW: 0, Action.REDACT: 1, Action.BLOCK: 2}


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected span.

    ``category`` is ``"pii"`` for personal data and secrets, ``"injection"`` for a
    prompt-injection verdict (whose span covers the text or the window that triggered it).
    ``validated`` is true when a checksum or structural validator confirmed the value
    (Luhn, mod-97, SSN rules, phonenumbers), which makes it win overlap resolution.

    ``action`` and ``rule`` are what the Guard's policy decided for the finding and why
    (``None`` in raw detector output): ``action="allow"`` findings are reported but left in
    ``redacted_text``. ``rule`` names the policy entry that decided, e.g.
    ``"label_actions.LOCATION"``, ``"pii_action"``, ``"allow_list.ORGANIZATION[0]"`` or
    ``"deny_terms[1]"``. Neither takes part in equality: they annotate the same span.

    ``explanation`` (``None`` unless the detector gives one) says why the span was
    reported: for the rules the recognizer, the validator that accepted the value and
    the context word that raised the score; for a model the window it read
    (``{"model": "pii", "window": "[0:512)"}``). It takes no part in equality either.

    >>> Finding("EMAIL_ADDRESS", 8, 19, 0.99, "regex").end
    19
    """

    label: str
    start: int
    end: int
    score: float
    detector: str
    category: str = PII
    validated: bool = False
    action: Action | None = field(default=None, compare=False)
    rule: str | None = field(default=None, compare=False)
    explanation: Mapping[str, Any] | str | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"invalid span [{self.start}, {self.end})")

    @property
    def length(self) -> int:
        return self.end - self.start

    def shifted(self, start: int, end: int) -> Finding:
        """The same finding moved to other offsets (used to map normalised → original text);
        an explanation's ``window`` that named the old span names the new one."""
        why = self.explanation
        if isinstance(why, Mapping) and why.get("window") == f"[{self.start}:{self.end})":
            from bastion.detectors.explanation import Explanation

            why = Explanation({**why, "window": f"[{start}:{end})"})
        return Finding(
            self.label,
            start,
            end,
            self.score,
            self.detector,
            self.category,
            self.validated,
            self.action,
            self.rule,
            why,
        )

    def decided(self, action: Action, rule: str) -> Finding:
        """The same finding annotated with the policy's decision."""
        return Finding(
            self.label,
            self.start,
            self.end,
            self.score,
            self.detector,
            self.category,
            self.validated,
            action,
            rule,
            self.explanation,
        )

    def to_dict(self, *, explain: bool = True) -> dict[str, Any]:
        """JSON-safe dict; ``explanation`` only when set (and ``explain``): :func:`bastion.results.finding_dict`."""
        from bastion.results import finding_dict

        return finding_dict(self, explain=explain)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What ``Guard.check`` returns for one text.

    >>> from bastion import Guard
    >>> r = Guard.default().check("mail me at jane@example.com")
    >>> r.action.value, [f.label for f in r.pii]
    ('redact', ['EMAIL_ADDRESS'])
    """

    action: Action
    injection_score: float | None
    is_injection: bool
    findings: tuple[Finding, ...]
    redacted_text: str
    degraded: bool
    model_versions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # timing is not part of the verdict: two checks of one text compare equal
    latency_ms: float = field(default=0.0, compare=False)
    degraded_reasons: tuple[str, ...] = ()
    # Pseudonym tokens issued for THIS text (``pseudonymize`` operator), for
    # ``bastion.restore(answer, vault, tokens=result.pseudonyms)``.
    pseudonyms: tuple[str, ...] = ()
    # the cut injection_score was compared with (None when no injection detector ran)
    injection_threshold: float | None = None
    # the vault holding this call's pseudonyms (None when nothing was pseudonymised); it is
    # the caller's: ``bastion.restore(answer, result.vault)``. Not part of equality or to_dict.
    vault: Any = field(default=None, compare=False, repr=False)
    # the policy.injection_allow_list entry that matched this text (then is_injection is
    # False whatever the score), e.g. "injection_allow_list[0] (sha256)"
    injection_allowed_by: str | None = None

    @property
    def pii(self) -> tuple[Finding, ...]:
        """Every PII finding, redacted or allowed (see ``Finding.action``)."""
        return tuple(f for f in self.findings if f.category == PII)

    @property
    def redactions(self) -> tuple[Finding, ...]:
        """The PII findings replaced in ``redacted_text`` (action redact or block).

        >>> from bastion import Guard
        >>> r = Guard.default(tasks=("pii",)).check("Jane moved to Paris")
        >>> [(f.label, f.action.value) for f in r.pii], [f.label for f in r.redactions]
        ([('PERSON', 'redact'), ('LOCATION', 'allow')], ['PERSON'])
        """
        return tuple(f for f in self.pii if f.action is not Action.ALLOW)

    def restore(self, answer: str) -> str:
        """``answer`` with this text's pseudonyms put back, and only this text's: a token
        another caller's text got in a shared vault stays a token.

        >>> from bastion import Guard, Policy
        >>> from bastion.detectors import build_detector
        >>> g = Guard([build_detector("pii_regex")], Policy(default_operator="pseudonymize"))
        >>> r = g.check("mail jane@example.com")
        >>> r.redacted_text, r.restore("Sent to <EMAIL_ADDRESS_1>, not <EMAIL_ADDRESS_2>.")
        ('mail <EMAIL_ADDRESS_1>', 'Sent to jane@example.com, not <EMAIL_ADDRESS_2>.')
        """
        from bastion.redact import restore

        return restore(answer, self.vault, self.pseudonyms)

    def to_dict(self, *, explain: bool = False) -> dict[str, Any]:
        """JSON-safe dict; the shape the CLI prints and the HTTP API returns
        (:func:`bastion.results.result_dict`, where every other shape of a result lives too).

        ``explain`` adds each finding's ``explanation`` (where its detector gave one);
        off by default, so responses keep their documented shape."""
        from bastion.results import result_dict

        return result_dict(self, explain=explain)
