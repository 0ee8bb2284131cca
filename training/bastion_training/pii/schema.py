"""The unified span schema every PII frame uses, and the span validation every source goes through.

A row is ``{text, spans, source, template_id, format, split, lang}`` where ``spans`` is a sorted,
non-overlapping list of ``{"start", "end", "label"}`` dicts with end-exclusive character offsets.

Example:
    >>> spans, stats = clean_spans("Hi Ann ", [{"start": 3, "end": 7, "label": "PERSON"}])
    >>> spans, stats["trimmed"]
    ([{'start': 3, 'end': 6, 'label': 'PERSON'}], 1)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from bastion.labels import NER_LABELS

COLUMNS: tuple[str, ...] = ("text", "spans", "source", "template_id", "format", "split", "lang")


def clean_spans(
    text: str, spans: Iterable[Mapping[str, Any]], labels: tuple[str, ...] = NER_LABELS
) -> tuple[list[dict[str, Any]], Counter[str]]:
    """Validate spans against ``text``: trim surrounding whitespace, drop out-of-range, empty,
    unknown-label and overlapping spans. Returns the kept spans (sorted) and counts of what was
    dropped or changed, so loaders can log them instead of crashing on a bad row."""
    stats: Counter[str] = Counter()
    candidates: list[dict[str, Any]] = []
    for span in spans:
        try:
            start, end, label = int(span["start"]), int(span["end"]), str(span["label"])
        except (KeyError, TypeError, ValueError):
            stats["malformed"] += 1
            continue
        if label not in labels:
            stats["unknown_label"] += 1
            continue
        if not 0 <= start < end <= len(text):
            stats["out_of_range"] += 1
            continue
        # Sources disagree on whether a trailing space or newline belongs to an entity; the
        # model tags tokens, so whitespace at the edges carries no information.
        new_start, new_end = start, end
        while new_start < new_end and text[new_start].isspace():
            new_start += 1
        while new_end > new_start and text[new_end - 1].isspace():
            new_end -= 1
        if new_start == new_end:
            stats["empty"] += 1
            continue
        if (new_start, new_end) != (start, end):
            stats["trimmed"] += 1
        candidates.append({"start": new_start, "end": new_end, "label": label})
    candidates.sort(key=lambda s: (s["start"], -(s["end"] - s["start"])))
    kept: list[dict[str, Any]] = []
    for span in candidates:
        if kept and span["start"] < kept[-1]["end"]:
            # Duplicates of the same span are common (a value listed twice) and not an error.
            same = (span["start"], span["end"]) == (kept[-1]["start"], kept[-1]["end"])
            stats["duplicate" if same else "overlap"] += 1
            continue
        kept.append(span)
    return kept, stats


def assert_valid_spans(text: str, spans: list[dict[str, Any]]) -> None:
    """Raise AssertionError unless ``spans`` are in range, sorted, non-overlapping and unpadded."""
    prev_end = 0
    for span in spans:
        start, end = span["start"], span["end"]
        assert 0 <= prev_end <= start < end <= len(text), (text, spans)
        value = text[start:end]
        assert value == value.strip(), (value, spans)
        assert span["label"] in NER_LABELS, span
        prev_end = end


def make_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows → DataFrame with exactly :data:`COLUMNS`, in order (an empty frame keeps them too)."""
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.astype(
        {"text": str, "source": str, "template_id": str, "format": str, "split": str, "lang": str}
    )


def label_counts(frame: pd.DataFrame) -> Counter[str]:
    """Spans per label over a frame."""
    return Counter(span["label"] for spans in frame["spans"] for span in spans)
