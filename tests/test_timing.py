"""Wall-clock numbers are split out of reports into timing.json and joined back for readers."""

from __future__ import annotations

import json

import pytest
from bastion_training.timing import merge_timings, read_report, split_timings, write_report
from test_dvc_pipeline import _wall_clock_keys

# The shapes the writers produce (evaluate_injection, evaluate_pii, the training summaries).
REPORTS = {
    "evaluate_injection": {
        "meta": {"version": "v1", "caps": {"default": 10}, "created": "2026-01-01T00:00:00Z",
                 "latency": {"ratio": 2.0, "guard_p50_ms": 3.0}},
        "systems": {"bastion": {"ms_per_text": 1.5, "ms_single": 2.5, "pooled": {"auc": 0.9},
                                "targets": {"cse_en_tpr": 0.8, "latency_ratio": 2.0}}},
        "obfuscation_recall": {"bastion": {"base64": 0.5}},
        "plots": ["roc_pr.png"],
    },
    "evaluate_pii": {
        "model_version": "v1",
        "systems": {"bastion": {"seconds": 3.0, "texts": 10, "texts_per_s": 3.3,
                                "sets": {"test": {"n": 10, "texts_per_s": 3.3, "iou": {"micro": {"f1": 0.9}}}}}},
        "throughput_eval_presidio": {"bastion": 90.0},
        "scope": {"test": None},
    },
    "train": {"best": {"f1": 0.9, "step": 3}, "steps": 3, "train_seconds": 12.5, "stopped_by": "budget"},
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_split_leaves_no_wall_clock_key_and_merge_restores_the_report(name):
    report = REPORTS[name]
    assert _wall_clock_keys(report)  # the fixture does hold timings
    metrics, timings = split_timings(report)
    assert not _wall_clock_keys(metrics)
    assert merge_timings(metrics, timings) == report
    # nothing but timings went out
    assert not _wall_clock_keys(merge_timings(metrics, {})) and split_timings(metrics) == (metrics, {})


def test_split_keeps_the_paths():
    metrics, timings = split_timings(REPORTS["evaluate_injection"])
    assert timings == {
        "meta": {"created": "2026-01-01T00:00:00Z", "latency": {"ratio": 2.0, "guard_p50_ms": 3.0}},
        "systems": {"bastion": {"ms_per_text": 1.5, "ms_single": 2.5, "targets": {"latency_ratio": 2.0}}},
    }
    assert metrics["systems"]["bastion"]["targets"] == {"cse_en_tpr": 0.8}


def test_write_and_read_report(tmp_path):
    write_report(tmp_path, REPORTS["evaluate_pii"])
    on_disk = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))
    assert not _wall_clock_keys(on_disk)
    assert json.loads((tmp_path / "timing.json").read_text(encoding="utf-8"))["throughput_eval_presidio"]
    assert read_report(tmp_path) == REPORTS["evaluate_pii"]
    # an older report with its timings inline (no timing.json) reads as it is
    (tmp_path / "timing.json").unlink()
    (tmp_path / "metrics.json").write_text(json.dumps(REPORTS["train"]), encoding="utf-8")
    assert read_report(tmp_path) == REPORTS["train"]
