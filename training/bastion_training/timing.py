"""Wall-clock numbers live apart from the metrics.

A stage's metrics file (``dvc metrics diff``) holds only what a rerun on the same inputs
reproduces; run times, latencies, throughputs and creation stamps differ run to run, so
they go to ``timing.json`` next to it (a plain output). :func:`write_report` splits a
report on the way out and :func:`read_report` joins it again for the code that redraws
summaries from the files.

>>> metrics, timing = split_timings({"f1": 0.9, "systems": {"a": {"f1": 0.8, "ms_per_text": 2.0}}})
>>> metrics, timing
({'f1': 0.9, 'systems': {'a': {'f1': 0.8}}}, {'systems': {'a': {'ms_per_text': 2.0}}})
>>> merge_timings(metrics, timing) == {"f1": 0.9, "systems": {"a": {"f1": 0.8, "ms_per_text": 2.0}}}
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bastion_training.common import write_json

TIMING_FILE = "timing.json"
METRICS_FILE = "metrics.json"

# Keys whose values are wall-clock measurements (at any depth of a report).
TIMING_KEYS = frozenset(
    {
        "created",  # evaluate_injection meta: when the report was written
        "latency",  # evaluate_injection meta: Guard.check p50 vs a reference forward
        "latency_ratio",  # evaluate_injection targets
        "ms_per_text",
        "ms_single",
        "seconds",  # evaluate_pii: time per system
        "texts_per_s",
        "throughput_eval_presidio",
        "train_seconds",
        "stopped_by",  # "budget" depends on the machine's speed
    }
)


def split_timings(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(``data`` without its :data:`TIMING_KEYS`, those keys alone at their paths)."""
    metrics: dict[str, Any] = {}
    timings: dict[str, Any] = {}
    for key, value in data.items():
        if key in TIMING_KEYS:
            timings[key] = value
        elif isinstance(value, Mapping):
            sub_metrics, sub_timings = split_timings(value)
            metrics[key] = sub_metrics
            if sub_timings:
                timings[key] = sub_timings
        else:
            metrics[key] = value
    return metrics, timings


def merge_timings(metrics: Mapping[str, Any], timings: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`split_timings` (key order: the metrics', then the timings')."""
    out = dict(metrics)
    for key, value in timings.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) and key not in TIMING_KEYS:
            out[key] = merge_timings(out[key], value)
        else:
            out[key] = value
    return out


def write_report(out_dir: Path, data: Mapping[str, Any]) -> None:
    """``metrics.json`` and ``timing.json`` of a report in ``out_dir``."""
    metrics, timings = split_timings(data)
    write_json(out_dir / METRICS_FILE, metrics)
    write_json(out_dir / TIMING_FILE, timings)


def read_report(out_dir: Path) -> dict[str, Any]:
    """A report written by :func:`write_report`, joined again (no ``timing.json``: the
    metrics alone; an older report with its timings inline reads as it is)."""
    data = json.loads((out_dir / METRICS_FILE).read_text(encoding="utf-8"))
    timing = out_dir / TIMING_FILE
    if timing.exists():
        data = merge_timings(data, json.loads(timing.read_text(encoding="utf-8")))
    return data
