"""The detector contract.

A detector is any object with ``name``, ``category``, ``version``, ``kind`` and a
batch-first ``detect(texts) -> list[list[Finding]]``. Detectors receive NORMALISED
text (see :mod:`bastion.normalize`); the Guard maps offsets back to the original.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, runtime_checkable

from bastion.types import Finding

DetectorKind = Literal["model", "rules", "fallback"]


@runtime_checkable
class Detector(Protocol):
    """What the Guard needs from a detector.

    ``kind`` is ``"model"`` for a fine-tuned model, ``"rules"`` for recognizers that
    always run (regex + checksums), and ``"fallback"`` for a stand-in used only because
    a model is missing; a Guard containing a fallback reports ``degraded=True``.

    >>> class Shouty:
    ...     name, category, version, kind = "shouty", "pii", "1", "rules"
    ...     def detect(self, texts):
    ...         return [[Finding("SHOUT", 0, len(t), 1.0, self.name)] if t.isupper() else [] for t in texts]
    >>> isinstance(Shouty(), Detector)
    True
    """

    name: str
    category: str
    version: str
    kind: DetectorKind

    def detect(self, texts: Sequence[str]) -> list[list[Finding]]: ...
