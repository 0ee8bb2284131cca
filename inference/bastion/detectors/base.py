"""The detector contract: everything the Guard reads from a detector.

A detector is any object with ``name``, ``category``, ``version``, ``kind`` and a
batch-first ``detect(texts) -> list[list[Finding]]``. Detectors receive NORMALISED
text (see :mod:`bastion.normalize`); the Guard maps offsets back to the original.

Two capabilities are optional, each a protocol of its own: :class:`Calibrated`
(``thresholds``, the score cut-offs a model was calibrated with: the defaults of
:attr:`bastion.policy.Policy.model_thresholds`) and :class:`CountsTokens`
(``count_tokens``, what :attr:`bastion.policy.Policy.max_tokens` is measured with).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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


@runtime_checkable
class Calibrated(Protocol):
    """A detector whose scores come with calibrated cut-offs, read once by the Guard.

    ``thresholds`` maps a key to a score in [0, 1]: operating points (``"default"``,
    ``"strict"``, ``"indirect"``) for an injection detector, labels (and ``"default"``)
    for a PII model; the shipped models take them from their manifest. They are the
    defaults of ``Policy.model_thresholds[detector.name]``, which a policy may override.
    """

    thresholds: Mapping[str, float]


@runtime_checkable
class CountsTokens(Protocol):
    """A detector that can say how many model tokens each text is (``Policy.max_tokens``)."""

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...


def calibration(detectors: Iterable[Detector]) -> dict[str, dict[str, float]]:
    """``{detector name: thresholds}`` of the :class:`Calibrated` detectors.

    >>> class Model:
    ...     name, thresholds = "m", {"default": 0.9}
    >>> calibration([Model(), object()])
    {'m': {'default': 0.9}}
    """
    return {d.name: dict(d.thresholds or {}) for d in detectors if isinstance(d, Calibrated)}


def token_counters(detectors: Iterable[Detector]) -> tuple[CountsTokens, ...]:
    """The detectors that count tokens (the Guard measures a text's budget with each)."""
    return tuple(d for d in detectors if isinstance(d, CountsTokens))
