"""Span-level precision / recall / F1 for PII detection (pure Python, no dependencies).

A span is anything with ``label``, ``start`` and ``end`` (a :class:`~bastion.types.Finding`)
or a ``(label, start, end)`` tuple, with end-exclusive offsets. Gold and predicted spans
are matched one-to-one per document and per label, either on identical offsets
(``mode="exact"``) or on intersection-over-union at or above a threshold (``mode="iou"``,
greedy by highest IoU), so one long prediction cannot satisfy two gold spans.

>>> gold = [[("EMAIL_ADDRESS", 5, 19)], [("PHONE_NUMBER", 0, 12)]]
>>> pred = [[("EMAIL_ADDRESS", 5, 19)], [("PHONE_NUMBER", 0, 10), ("US_SSN", 20, 31)]]
>>> r = span_prf(gold, pred)
>>> r["EMAIL_ADDRESS"].f1, r["PHONE_NUMBER"].recall, round(r["micro"].precision, 3)
(1.0, 0.0, 0.333)
>>> span_prf(gold, pred, mode="iou")["PHONE_NUMBER"].tp
1
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bastion.errors import ConfigError, InputError

MICRO = "micro"
Span = tuple[str, int, int]


@dataclass(frozen=True, slots=True)
class PRF:
    """Counts for one label (or the micro total) and the scores derived from them.

    >>> PRF(tp=3, fp=1, fn=2).precision, PRF(tp=3, fp=1, fn=2).recall
    (0.75, 0.6)
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return self.fbeta(1.0)

    def fbeta(self, beta: float) -> float:
        """F-beta; beta=2 weighs recall higher (Presidio reports F2).

        >>> round(PRF(tp=3, fp=1, fn=2).fbeta(2.0), 4)
        0.625
        """
        p, r = self.precision, self.recall
        b2 = beta * beta
        return (1 + b2) * p * r / (b2 * p + r) if p + r else 0.0

    def __add__(self, other: PRF) -> PRF:
        return PRF(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    def to_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def as_span(item: Any) -> Span:
    """``(label, start, end)`` from a tuple or a Finding-like object."""
    if isinstance(item, tuple | list) and len(item) == 3:
        label, start, end = item
    else:
        try:
            label, start, end = item.label, item.start, item.end
        except AttributeError:
            raise InputError(f"not a span: {item!r}") from None
    return str(label), int(start), int(end)


def iou(a: Span, b: Span) -> float:
    """Intersection over union of two spans' character ranges (labels ignored).

    >>> iou(("X", 0, 10), ("X", 5, 15))
    0.3333333333333333
    """
    inter = min(a[2], b[2]) - max(a[1], b[1])
    if inter <= 0:
        return 0.0
    union = max(a[2], b[2]) - min(a[1], b[1])
    return inter / union


def _match(gold: list[Span], pred: list[Span], mode: str, threshold: float) -> int:
    """How many gold spans (all of one label, one document) a one-to-one matching covers."""
    if mode == "exact":
        remaining: dict[tuple[int, int], int] = defaultdict(int)
        for g in gold:
            remaining[(g[1], g[2])] += 1
        tp = 0
        for p in pred:
            key = (p[1], p[2])
            if remaining[key] > 0:
                remaining[key] -= 1
                tp += 1
        return tp
    pairs = sorted(
        ((iou(g, p), gi, pi) for gi, g in enumerate(gold) for pi, p in enumerate(pred)),
        key=lambda x: (-x[0], x[1], x[2]),
    )
    used_g: set[int] = set()
    used_p: set[int] = set()
    tp = 0
    for score, gi, pi in pairs:
        if score < threshold or score == 0.0:
            break
        if gi in used_g or pi in used_p:
            continue
        used_g.add(gi)
        used_p.add(pi)
        tp += 1
    return tp


def span_prf(
    gold: Sequence[Iterable[Any]],
    pred: Sequence[Iterable[Any]],
    mode: str = "exact",
    *,
    iou_threshold: float = 0.5,
    labels: Iterable[str] | None = None,
) -> dict[str, PRF]:
    """Per-label and micro-averaged span precision/recall/F1 over a corpus.

    ``gold[i]`` and ``pred[i]`` are the spans of document ``i``. ``labels`` restricts the
    evaluation to those labels (spans of other labels are ignored on both sides); by
    default every label seen in either side is scored. The result maps each label, plus
    ``"micro"``, to a :class:`PRF`.
    """
    if mode not in ("exact", "iou"):
        raise ConfigError(f"mode must be 'exact' or 'iou', got {mode!r}")
    if not 0.0 < iou_threshold <= 1.0:
        raise ConfigError(f"iou_threshold must be in (0, 1], got {iou_threshold}")
    if len(gold) != len(pred):
        raise InputError(f"gold has {len(gold)} documents but pred has {len(pred)}")
    keep = None if labels is None else frozenset(labels)
    totals: dict[str, PRF] = {} if keep is None else {lb: PRF() for lb in sorted(keep)}
    for g_doc, p_doc in zip(gold, pred, strict=True):
        by_label_g: dict[str, list[Span]] = defaultdict(list)
        by_label_p: dict[str, list[Span]] = defaultdict(list)
        for item in g_doc:
            s = as_span(item)
            if keep is None or s[0] in keep:
                by_label_g[s[0]].append(s)
        for item in p_doc:
            s = as_span(item)
            if keep is None or s[0] in keep:
                by_label_p[s[0]].append(s)
        for label in set(by_label_g) | set(by_label_p):
            g, p = by_label_g.get(label, []), by_label_p.get(label, [])
            tp = _match(g, p, mode, iou_threshold)
            totals[label] = totals.get(label, PRF()) + PRF(tp, len(p) - tp, len(g) - tp)
    out = dict(sorted(totals.items()))
    micro = PRF()
    for v in out.values():
        micro = micro + v
    out[MICRO] = micro
    return out


__all__ = ["MICRO", "PRF", "as_span", "iou", "span_prf"]
