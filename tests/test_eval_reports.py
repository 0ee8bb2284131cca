"""The evaluation scripts' bookkeeping: which bucket a set feeds, how the PIGuard numbers
are weighted, label scoping per PII set, and the baselines."""

from __future__ import annotations

import pytest

pytest.importorskip("pandas")

from bastion_training.baselines import NaiveRegexDetector  # noqa: E402
from bastion_training.evaluate_injection import history_rows, markdown, piguard_summary, set_group  # noqa: E402
from bastion_training.evaluate_pii import history_rows as pii_history_rows  # noqa: E402
from bastion_training.evaluate_pii import markdown as pii_markdown  # noqa: E402
from bastion_training.evaluate_pii import measure_throughput, scoped, span_report  # noqa: E402


@pytest.mark.parametrize(
    ("name", "group"),
    [
        ("notinject_one", "over_defense"),
        ("wildguard", "benign"),
        ("xstest_safe", "benign"),
        ("xstest_unsafe_harmful", "harmful_request"),  # harmful beats the xstest prefix
        ("harmful_requests", "harmful_request"),
        ("bipia_test", "malicious"),
        ("jbb", "malicious"),
        ("jbb_jbc", "jbc_separate"),
        ("tensor_trust", "malicious"),
        ("instructionwild", "benign_wild"),
        ("deepset_test", "in_distribution"),
    ],
)
def test_set_groups(name, group):
    assert set_group(name) == group


def test_piguard_malicious_counts_attack_rows_only():
    per_set = {
        # BIPIA-test mixes attacks and clean documents: only the attack rows count here.
        "bipia_test": {
            "group": "malicious",
            "n": 10,
            "positives": 4,
            "accuracy": 0.5,
            "tpr": 1.0,
            "fpr": 0.83,
        },
        "jbb": {"group": "malicious", "n": 6, "positives": 6, "accuracy": 0.5, "tpr": 0.5},
        "notinject_one": {"group": "over_defense", "n": 10, "positives": 0, "accuracy": 0.9, "fpr": 0.1},
        "notinject_two": {"group": "over_defense", "n": 30, "positives": 0, "accuracy": 0.5, "fpr": 0.5},
    }
    s = piguard_summary(per_set)
    assert s["malicious_accuracy"] == pytest.approx((4 * 1.0 + 6 * 0.5) / 10)
    assert s["notinject_accuracy"] == pytest.approx((10 * 0.9 + 30 * 0.5) / 40)
    assert s["benign_accuracy"] is None


def test_scoping_maps_aliases_and_drops_out_of_scope_labels():
    spans = [[(0, 4, "PERSON"), (5, 10, "ADDRESS"), (11, 20, "EMAIL_ADDRESS")]]
    out = scoped(spans, "eval_conll_test", ("PERSON", "LOCATION"))
    assert out == [[(0, 4, "PERSON"), (5, 10, "LOCATION")]]


def test_span_report_counts_iou_matches():
    gold = [[(0, 10, "PERSON")]]
    assert span_report(gold, [[(0, 8, "PERSON")]], "exact")["micro"]["f1"] == 0.0
    assert span_report(gold, [[(0, 8, "PERSON")]], "iou")["micro"]["f1"] == 1.0


def test_naive_baseline_matches_luhn_invalid_cards():
    # The point of the baseline: no checksum, so invalid numbers match (bastion's never do).
    found = NaiveRegexDetector().detect(["card 4111 1111 1111 1112"])[0]
    assert [f.label for f in found] == ["CREDIT_CARD"]


def _system(acc: float) -> dict:
    per_set = {
        "wildguard": {"group": "benign", "n": 10, "positives": 0, "accuracy": acc, "fpr": 1 - acc},
        "jbb": {"group": "malicious", "n": 10, "positives": 10, "accuracy": acc, "tpr": acc},
        "bipia_test": {
            "group": "malicious",
            "n": 4,
            "positives": 2,
            "accuracy": 0.5,
            "tpr": 1.0,
            "fpr": 0.25,
        },
    }
    return {
        "per_set": per_set,
        "piguard": piguard_summary(per_set),
        "pooled": {"auc": 0.9, "tpr_at_1pct_fpr": 0.4},
        "ms_per_text": 1.0,
    }


def test_history_rows_compare_earlier_versions(tmp_path):
    import json

    hist = tmp_path / "history"
    hist.mkdir()
    (hist / "v1.metrics.json").write_text(
        json.dumps({"meta": {"version": "v1"}, "systems": {"bastion": _system(0.6)}})
    )
    rows = history_rows(hist)
    assert len(rows) == 1 and rows[0].startswith("| v1 | – | 60.0 | 60.0 |")
    assert "| 25.0 |" in rows[0]  # BIPIA clean-document FPR
    md = markdown(
        {"bastion": _system(0.9)},
        {},
        {"version": "v2", "thresholds": {}, "caps": {"default": None, "slow": 1}},
        rows,
    )
    assert "| v2 (this model) | – | 90.0 | 90.0 |" in md
    assert md.index("| v1 |") < md.index("| v2 (this model)")
    assert history_rows(tmp_path / "absent") == []


class _CountingGuard:
    def __init__(self) -> None:
        self.seen = 0

    def check_many(self, texts):
        from types import SimpleNamespace

        self.seen += len(texts)
        return [SimpleNamespace(pii=()) for _ in texts]


def test_measure_throughput_runs_every_guard_on_the_same_texts():
    a, b = _CountingGuard(), _CountingGuard()
    out = measure_throughput({"a": a, "b": b, "absent": None}, ["x"] * 40, repeats=2)
    assert set(out) == {"a", "b"} and all(v > 0 for v in out.values())
    assert a.seen == b.seen == 32 + 2 * 40  # warm-up, then two timed passes
    assert measure_throughput({"a": a}, []) == {}


def test_pii_markdown_reports_ratio_to_presidio():
    r = {
        "sets": {},
        "texts_per_s": 1.0,
        "luhn_invalid": {"credit_card_hits": 0, "texts": 1},
    }
    md = pii_markdown({"bastion": r}, "v", 10, {"bastion full": 90.0, "presidio (spaCy sm)": 60.0})
    assert "| bastion full | 90.0 | 1.50 |" in md


def test_pii_history_rows(tmp_path):
    import json

    (tmp_path / "old.metrics.json").write_text(
        json.dumps(
            {
                "model_version": "v1",
                "systems": {"bastion": {"sets": {"eval_presidio": {"iou": {"micro": {"f1": 0.5}}}}}},
            }
        )
    )
    assert pii_history_rows(tmp_path, ["eval_presidio", "eval_new"]) == ["| v1 | 0.500 | – |"]
