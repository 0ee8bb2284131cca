"""What one text's findings come to under a policy: which PII is redacted or allowed, and
the injection verdict. :class:`~bastion.pipeline.Pipeline` calls these once per text with
the findings every detector (and the policy's deny terms) reported for it, in original
offsets; nothing here depends on the other texts of the batch.

>>> from bastion.policy import Policy
>>> from bastion.types import Finding
>>> person = Finding("PERSON", 8, 12, 0.9, "ner", PII)
>>> city = Finding("LOCATION", 16, 21, 0.9, "ner", PII)
>>> redacted, allowed = decide_pii("this is Jane in Paris", [person, city], Policy(), frozenset({"ner"}))
>>> [(f.label, f.action.value, f.rule) for f in redacted + allowed]
[('PERSON', 'redact', 'pii_action'), ('LOCATION', 'allow', 'label_actions.LOCATION')]
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bastion.labels import SECRET_LABELS
from bastion.merge import merge_findings
from bastion.policy import DENY_DETECTOR, Policy
from bastion.types import INJECTION, PII, Action, Finding


class _Spans:
    """Disjoint spans (sorted by start) with an O(log n) overlap test."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self._starts = [f.start for f in findings]
        self._ends = [f.end for f in findings]

    def overlaps(self, f: Finding) -> bool:
        i = bisect.bisect_left(self._starts, f.end) - 1  # last span starting before f ends
        return i >= 0 and self._ends[i] > f.start


def finding_action(f: Finding, pol: Policy) -> Action:
    """The label's action; a deny term's is never ``allow``."""
    action = pol.action_for_label(f.label)
    if f.detector == DENY_DETECTOR and action is Action.ALLOW:
        return Action.REDACT  # a deny term is always redacted
    return action


def decide_pii(
    text: str, found: Sequence[Finding], pol: Policy, joinable: frozenset[str]
) -> tuple[list[Finding], list[Finding]]:
    """The PII findings ``(redacted, allowed)``, merged and decided (``action``, ``rule``);
    ``joinable`` names the detectors whose touching pieces merge into one span."""
    detected = [
        f
        for f in found
        if f.category == PII
        and (
            f.detector == DENY_DETECTOR  # deny terms skip thresholds and disabled labels
            or (
                f.label not in pol.disabled_labels and f.score >= pol.threshold_for_label(f.label, f.detector)
            )
        )
    ]
    # Allowed labels (LOCATION, ORGANIZATION by default) are merged apart from the rest:
    # merging grows a winner over its losers, and an allowed winner must never swallow
    # (and so leave in clear) a PERSON it overlapped.
    keep = merge_findings(
        [f for f in detected if finding_action(f, pol) is Action.ALLOW], text, joinable=joinable
    )
    denied = _Spans(merge_findings([f for f in detected if f.detector == DENY_DETECTOR]))
    allowed = [f.decided(Action.ALLOW, pol.rule_for_label(f.label)) for f in keep]
    hidden = [f for f in detected if finding_action(f, pol) is not Action.ALLOW]
    redacted: list[Finding] = []
    # The allow list judges a finding's own value, not what it grew over when it beat
    # others ("*@example.com" must not release the URL an e-mail sat in, nor a name the
    # e-mail's span overlapped), nor what it swallowed whole (a name inside an allow-listed
    # address): an allowed winner is taken out and the rest merged again.
    taken_out: list[Finding] = []
    while True:
        hide = merge_findings(hidden, text, joinable=joinable)
        cores = merge_findings(hidden, text, joinable=joinable, union=False) if pol.allow_list else hide
        redacted, released, grown = [], [], []
        for f, core in zip(hide, cores, strict=True):
            entry = None
            if f.detector != DENY_DETECTOR and not denied.overlaps(f):
                entry = pol.allow_entry(f.label, text[core.start : core.end])
            if entry is None:
                rule = f.rule if f.detector == DENY_DETECTOR and f.rule else pol.rule_for_label(f.label)
                redacted.append(f.decided(finding_action(f, pol), rule))
            elif (f.start, f.end) == (core.start, core.end) and not any(
                h.start < f.end and f.start < h.end and not _inside(h, core, text) for h in hidden
            ):
                released.append(f.decided(Action.ALLOW, entry.describe()))
            else:
                grown.append(core)
                taken_out.append(core.decided(Action.ALLOW, entry.describe()))
        if not grown:
            break
        hidden = [g for g in hidden if not any(_inside(g, c, text) for c in grown)]
    # one value found by two detectors (the regex and the model) is taken out once per
    # detector: report it once, as the redacted side does, or audit counts double
    seen: set[tuple[str, int, int]] = set()
    for f in taken_out + released:
        if (f.label, f.start, f.end) not in seen:
            seen.add((f.label, f.start, f.end))
            allowed.append(f)
    # an allowed span never overlaps a redacted one: the redaction wins
    hidden = _Spans(redacted)
    return redacted, [f for f in allowed if not hidden.overlaps(f)]


def _inside(piece: Finding, core: Finding, text: str) -> bool:
    """``piece`` goes with the allowed ``core``: one of its own pieces, or another
    detector's reading of a fragment of the same one-word value (the model's "example.com"
    or USERNAME inside an allow-listed "jane@example.com", which redacted alone would leave
    "jane@[REDACTED_EMAIL_ADDRESS]"). A core with a space in it holds separate words, and a
    name inside an allowed postal address stays redacted; a secret or a deny term inside
    any value always does."""
    if _part_of(piece, core):
        return True
    return (
        piece.detector != core.detector
        and piece.detector != DENY_DETECTOR
        and piece.label not in SECRET_LABELS
        and core.start <= piece.start
        and piece.end <= core.end
        and not any(c.isspace() for c in text[core.start : core.end])
    )


def _part_of(piece: Finding, core: Finding) -> bool:
    """``piece`` is ``core`` or one of the pieces joined into it."""
    return (
        piece.label == core.label
        and piece.detector == core.detector
        and core.start <= piece.start
        and piece.end <= core.end
    )


@dataclass(frozen=True)
class InjectionVerdict:
    """The injection side of a result; ``score`` and ``threshold`` are ``None`` when no
    injection detector ran."""

    score: float | None
    threshold: float | None  # the cut the top score was compared with ("0.990 of 0.994")
    findings: tuple[Finding, ...]  # the top flagged finding, decided
    flagged: bool  # over its cut and not on the injection allow list
    allowed_by: str | None  # the injection allow-list entry that matched


def injection_verdict(
    text: str, found: Sequence[Finding], pol: Policy, thresholds: Mapping[str, float]
) -> InjectionVerdict:
    """Compare the injection findings with their detector's cut (``thresholds``: one per
    injection detector that ran) and apply the injection allow list.

    >>> from bastion.policy import Policy
    >>> from bastion.types import Finding
    >>> v = injection_verdict("hi", [Finding("INJECTION", 0, 2, 0.8, "m", INJECTION)], Policy(), {"m": 0.7})
    >>> v.score, v.threshold, v.flagged, [f.action.value for f in v.findings]
    (0.8, 0.7, True, ['block'])
    """
    inj = [f for f in found if f.category == INJECTION]
    ran = bool(thresholds)
    flagged = [f for f in inj if f.score >= thresholds.get(f.detector, 0.5)]
    # the reported score and cut are one detector's, so they agree with the verdict: with
    # several injection detectors (a model and the heuristic) the flagged one with the
    # widest margin, else the one closest to its cut (a model's 0.97 against its 0.995 must
    # not sit beside a flag another detector raised)
    top = max(flagged or inj, key=lambda f: f.score - thresholds.get(f.detector, 0.5), default=None)
    cut = (
        thresholds.get(top.detector, 0.5)
        if top is not None
        else (min(thresholds.values()) if thresholds else None)
    )
    entry = pol.injection_allow_entry(text) if flagged and pol.injection_allow_list else None
    shown = [top] if flagged and top is not None else []
    if entry is not None:
        shown = [f.decided(Action.ALLOW, entry.describe()) for f in shown]
        flagged = []
    else:
        shown = [f.decided(pol.injection_action, "injection_action") for f in shown]
    return InjectionVerdict(
        score=(top.score if top is not None else 0.0) if ran else None,
        threshold=cut if ran else None,
        findings=tuple(shown),
        flagged=bool(flagged),
        allowed_by=None if entry is None else entry.describe(),
    )
