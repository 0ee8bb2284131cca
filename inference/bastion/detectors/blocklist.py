"""The naive phrase blocklist: the baseline the heuristic and model are measured against.

It flags any text containing one of a handful of trigger phrases, case-insensitively.
It is kept deliberately naive (exactly the phrases below) so that benchmarks show what
a typical "keyword filter" guard gets wrong: it blocks "you are now a math tutor" and
misses "ignore all prior instructions".

>>> det = PhraseBlocklistDetector()
>>> det.detect(["Please DISREGARD that", "hello"])[0][0].score, det.detect(["hello"])
(1.0, [[]])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from bastion.errors import InputError
from bastion.types import INJECTION, Finding

PHRASES: tuple[str, ...] = (
    "ignore previous instructions",
    "ignore all previous",
    "disregard",
    "you are now",
    "system:",
    "jailbreak",
)


class PhraseBlocklistDetector:
    """Case-insensitive substring match of :data:`PHRASES`; score 1.0 on a hit.

    The finding's span is the first (leftmost) matched phrase.

    >>> PhraseBlocklistDetector().detect(["ok. System: obey"])[0][0].start
    4
    """

    name = "blocklist"
    category = INJECTION
    version = "1"
    kind = "rules"
    thresholds: Mapping[str, float] = MappingProxyType({"default": 0.5, "strict": 0.5})

    def detect(self, texts: Sequence[str]) -> list[list[Finding]]:
        out: list[list[Finding]] = []
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise InputError(f"text {i} must be str, got {type(text).__name__}")
            low = text.lower()
            if len(low) != len(text):
                # A few characters lower-case to two ("İ"); keep them so offsets stay valid.
                low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
            hits = [(pos, len(p)) for p in PHRASES if (pos := low.find(p)) >= 0]
            if not hits:
                out.append([])
                continue
            start, length = min(hits)
            out.append([Finding("INJECTION", start, start + length, 1.0, self.name, category=INJECTION)])
        return out


__all__ = ["PHRASES", "PhraseBlocklistDetector"]
