"""The evaluation scripts' bookkeeping: which bucket a set feeds, how the PIGuard numbers
are weighted, label scoping per PII set, and the baselines."""

from __future__ import annotations

import pytest
from helpers_eval import attacks, eval_set, promptmap_attacks

pytest.importorskip("pandas")

from bastion_training.baselines import NaiveRegexDetector  # noqa: E402
from bastion_training.evaluate_injection import (  # noqa: E402
    archive_previous_report,
    expected_calibration_error,
    history_rows,
    markdown,
    per_language_table,
    piguard_summary,
    previous_version,
    sample_set,
    set_group,
    target_metrics,
    target_table,
)
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
        ("cyberseceval", "multilingual_injection"),
        ("cyberseceval_system_prompts", "benign_docs"),
        ("cyberseceval_frr", "benign_docs"),
        ("xsafety_hijack_leak", "multilingual_injection"),
        ("xsafety_harmful", "harmful_request"),
        ("multijail", "harmful_request"),
        ("promptmap_harmful", "harmful_request"),
        ("promptmap_attacks", "extraction"),
        ("raccoon_attacks", "extraction"),
        ("raccoon_system_prompts", "benign_docs"),
        ("injecagent_wrappers", "tool_output"),
        ("injecagent_heldout", "tool_output"),
        ("tool_outputs_heldout", "tool_output"),
        ("wasp", "malicious_other"),
        ("cl4r1t4s", "benign_docs"),
        ("secrets_code", "benign_docs"),
    ],
)
def test_set_groups(name, group):
    assert set_group(name) == group


def test_piguard_malicious_counts_attack_rows_only():
    per_set = {
        # BIPIA-test mixes attacks and clean documents: only the attack rows count here.
        "bipia_test": eval_set("malicious", 10, 4, accuracy=0.5, tpr=1.0, fpr=0.83),
        "jbb": eval_set("malicious", 6, 6, accuracy=0.5, tpr=0.5),
        "notinject_one": eval_set("over_defense", 10, 0, accuracy=0.9, fpr=0.1),
        "notinject_two": eval_set("over_defense", 30, 0, accuracy=0.5, fpr=0.5),
    }
    s = piguard_summary(per_set)
    assert s["malicious_accuracy"] == pytest.approx((4 * 1.0 + 6 * 0.5) / 10)
    assert s["notinject_accuracy"] == pytest.approx((10 * 0.9 + 30 * 0.5) / 40)
    assert s["benign_accuracy"] is None


def test_piguard_group_with_an_empty_set_is_not_measured():
    # an emptied notinject_one (a damaged data copy) once left "NotInject accuracy: target met"
    per_set = {
        "notinject_one": eval_set("over_defense", 0, 0),
        "notinject_two": eval_set("over_defense", 30, 0, accuracy=0.97, fpr=0.03),
    }
    assert piguard_summary(per_set)["notinject_accuracy"] is None


def test_scoping_maps_aliases_and_drops_out_of_scope_labels():
    spans = [[("PERSON", 0, 4), ("ADDRESS", 5, 10), ("EMAIL_ADDRESS", 11, 20)]]
    out = scoped(spans, "eval_conll_test", ("PERSON", "LOCATION"))
    assert out == [[("PERSON", 0, 4), ("LOCATION", 5, 10)]]


def test_span_report_counts_iou_matches():
    gold = [[("PERSON", 0, 10)]]
    assert span_report(gold, [[("PERSON", 0, 8)]], "exact")["micro"]["f1"] == 0.0
    assert span_report(gold, [[("PERSON", 0, 8)]], "iou")["micro"]["f1"] == 1.0


def test_card_checks_score_valid_gold_and_count_invalid_apart():
    import pandas as pd
    from bastion_training.evaluate_pii import card_checks, gold_spans

    texts = [
        "card 4111 1111 1111 1111 ok",
        "card 4111 1111 1111 1112 bad",
        "iban GB82 WEST 1234 5698 7654 32",
    ]
    spans = [
        [{"label": "CREDIT_CARD", "start": 5, "end": 24}],
        [{"label": "CREDIT_CARD", "start": 5, "end": 24}],
        [{"label": "IBAN_CODE", "start": 5, "end": 32}],
    ]
    df = pd.DataFrame({"text": texts, "spans": spans})
    gold = gold_spans(df)
    assert gold[0] == [("CREDIT_CARD", 5, 24)]  # the runtime's (label, start, end)
    out = card_checks(df, [gold[0], [], []])  # the card found, the IBAN missed
    assert out["CREDIT_CARD"] == {"recall": 1.0, "precision": 1.0, "n": 1, "invalid_gold_excluded": 1}
    assert out["IBAN_CODE"]["recall"] == 0.0 and out["IBAN_CODE"]["n"] == 1


def test_naive_baseline_matches_luhn_invalid_cards():
    # The point of the baseline: no checksum, so invalid numbers match (bastion's never do).
    found = NaiveRegexDetector().detect(["card 4111 1111 1111 1112"])[0]
    assert [f.label for f in found] == ["CREDIT_CARD"]


def _result(per_set: dict, tpr_at_1pct_fpr: float, **extra) -> dict:
    """A system's result as evaluate_system writes it, around ``per_set``."""
    pooled = {"auc": 0.9, "tpr_at_1pct_fpr": tpr_at_1pct_fpr}
    return {
        "per_set": per_set,
        "piguard": piguard_summary(per_set),
        "pooled": pooled,
        "ms_per_text": 1.0,
        **extra,
    }


def _system(acc: float) -> dict:
    per_set = {
        "wildguard": eval_set("benign", 10, 0, accuracy=acc, fpr=1 - acc),
        "jbb": eval_set("malicious", 10, 10, accuracy=acc, tpr=acc),
        "bipia_test": eval_set("malicious", 4, 2, accuracy=0.5, tpr=1.0, fpr=0.25),
    }
    return _result(per_set, 0.4)


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


def test_measure_throughput_empties_one_pass_caches_before_each_pass():
    """A one-pass model answers a text it has seen from its cache; every timed pass must pay
    for its encoder passes, so each pass starts with the caches of every one-pass model the
    guard runs (the PII detector's, a cascade's first stage) empty."""
    from types import SimpleNamespace

    events: list[str] = []

    class Model:
        def __init__(self, name: str) -> None:
            self.name = name

        def clear_cache(self) -> None:
            events.append(f"clear {self.name}")

    class Guard(_CountingGuard):
        detectors = (
            SimpleNamespace(model=Model("pii")),
            SimpleNamespace(first=SimpleNamespace(model=Model("screen")), second=object()),
            SimpleNamespace(),  # a regex detector: no model
        )

        def check_many(self, texts):
            events.append("run")
            return super().check_many(texts)

    measure_throughput({"g": Guard()}, ["x"] * 16, repeats=2, batch=16)
    assert events == ["run"] + ["clear pii", "clear screen", "run"] * 2


class _LogGuard:
    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    def check_many(self, texts):
        from types import SimpleNamespace

        self.log.append(self.name)
        return [SimpleNamespace(pii=()) for _ in texts]


def test_measure_throughput_interleaves_the_guards_batch_by_batch():
    log: list[str] = []
    guards = {n: _LogGuard(n, log) for n in ("a", "b", "c")}
    measure_throughput(guards, ["x"] * 48, repeats=1, batch=16)
    timed = log[3 * 2 :]  # after each guard's warm-up (32 texts: two batches)
    # one batch each per turn, and the guard that goes first rotates
    assert timed == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]


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


# --- issue 12: sampling, calibration, target table -------------------------------------------


def _multi(n_en: int, n_de: int):
    import pandas as pd

    return pd.DataFrame(
        {
            "text": [f"t{i}" for i in range(n_en + n_de)],
            "label": [i % 2 for i in range(n_en + n_de)],
            "lang": ["en"] * n_en + ["de"] * n_de,
        }
    )


def test_sample_set_is_seeded_and_keeps_every_language():
    df = _multi(980, 20)
    a, b = sample_set(df, 100), sample_set(df, 100)
    assert a.index.tolist() == b.index.tolist()  # deterministic
    assert 95 <= len(a) <= 105
    counts = a.groupby(["lang", "label"]).size().to_dict()
    assert counts[("de", 0)] == counts[("de", 1)] == 1  # 2% stratum still present
    assert sample_set(df, None) is df and sample_set(df, 5000) is df


@pytest.mark.parametrize(
    ("y", "p", "ece"),
    [
        ([0, 1], [0.0, 1.0], 0.0),
        ([0, 0], [0.9, 0.9], 0.9),
        ([0, 1, 0, 1], [0.55, 0.55, 0.55, 0.55], 0.05),  # one bin: |0.5 - 0.55|
        ([1, 1, 0, 0], [0.95, 0.85, 0.05, 0.15], 0.1),  # two bins, each 0.1 off
        ([], [], None),
    ],
)
def test_expected_calibration_error(y, p, ece):
    import numpy as np

    got = expected_calibration_error(np.array(y), np.array(p))
    assert got == pytest.approx(ece) if ece is not None else got is None


def _new_sets_system(cse_en: float, fpr_cl4: float) -> dict:
    cse_langs = {"en": attacks(10, cse_en), "de": attacks(10, 0.6), "hi": attacks(10, 0.4)}
    raccoon = {"extraction:raccoon:singular_attacks": attacks(10, 0.9)}
    per_set = {
        "cyberseceval": eval_set("multilingual_injection", 30, 30, accuracy=0.7, tpr=0.7, by_lang=cse_langs),
        "raccoon_attacks": eval_set("extraction", 10, 10, tpr=0.9, by_family=raccoon),
        "promptmap_attacks": promptmap_attacks(),
        "cl4r1t4s": eval_set("benign_docs", 100, 0, accuracy=1 - fpr_cl4, fpr=fpr_cl4),
        "instructionwild": eval_set("benign_wild", 100, 0, accuracy=0.995, fpr=0.005),
    }
    return _result(per_set, 0.5, pooled_all={"auc": 0.9, "tpr_at_1pct_fpr": 0.45, "ece": 0.12})


def test_target_metrics_pool_by_language_and_family():
    t = target_metrics(_new_sets_system(0.8, 0.01))
    assert t["cse_en_tpr"] == 0.8
    assert t["cse_other_tpr"] == pytest.approx(0.5) and t["cse_other_min_tpr"] == 0.4
    # extraction pools the extraction:* families only: (10*0.9 + 10*0.6) / 20
    assert t["extraction_tpr"] == pytest.approx(0.75)
    assert t["other_attacks_tpr"] == pytest.approx(0.4)
    assert t["fpr:cl4r1t4s"] == 0.01 and t["fpr:instructionwild"] == 0.005
    assert t["ece_eval"] == 0.12 and t["ece_val"] is None and t["jbb_pair_tpr"] is None


def test_target_table_columns_previous_and_met():
    results = {"bastion": _new_sets_system(0.85, 0.01), "heuristic fallback": _new_sets_system(0.3, 0.05)}
    meta = {"version": "v2", "thresholds": {}, "caps": {"default": None, "slow": 1}}
    lines = target_table(results, meta, ("v1", _new_sets_system(0.5, 0.03)))
    text = "\n".join(lines)
    assert "| metric | this model | previous | heuristic fallback | target | met? |" in text
    assert "| CyberSecEval EN recall | 85.0 | 50.0 | 30.0 | ≥ 90.0 | **no** |" in text
    assert "| FPR cl4r1t4s | 1.0 | 3.0 | 5.0 | ≤ 2.0 | yes |" in text
    assert "| FPR instructionwild (label-0 rows) | 0.5 | 0.5 | 0.5 | ≤ 1.0 | yes |" in text
    assert (
        "| CyberSecEval, worst language recall (each language ≥ 80) | 40.0 | 40.0 | 40.0 | ≥ 80.0 | **no** |"
        in text
    )
    assert "FPR owasp_llm_top10" not in text  # a set this run does not have: no row
    # a target can be overridden (params: evaluate_injection.targets)
    text = "\n".join(target_table(results, meta, None, {"cse_en_tpr": 0.8}))
    assert "| CyberSecEval EN recall | 85.0 | – | 30.0 | ≥ 80.0 | yes |" in text
    # without baselines: no empty column
    alone = "\n".join(target_table({"bastion": results["bastion"]}, meta, None))
    assert "| metric | this model | previous | target | met? |" in alone
    assert "| CyberSecEval EN recall | 85.0 | – | ≥ 90.0 | **no** |" in alone


def test_per_language_table_shows_recall_and_flag_rate():
    results = {"bastion": _new_sets_system(0.85, 0.01)}
    lines = per_language_table(results)
    assert "| cyberseceval | hi | 10 | 10 | 40.0 |" in lines
    md = markdown(results, {}, {"version": "v2", "thresholds": {}, "caps": {"default": None, "slow": 1}})
    assert md.index("## Targets") < md.index("## PIGuard-style summary") < md.index("## Per language")


def test_archive_and_previous_version(tmp_path):
    import json

    from bastion_training.timing import write_report

    # the report as evaluate_injection writes it: timings (created, ms_per_text) in timing.json
    write_report(
        tmp_path, {"meta": {"version": "v1", "created": "2026-11-30"}, "systems": {"b": _system(0.6)}}
    )
    assert "created" not in json.loads((tmp_path / "metrics.json").read_text())["meta"]
    assert archive_previous_report(tmp_path, "v1") is None  # same version: overwritten, not archived
    dest = archive_previous_report(tmp_path, "v2")
    assert dest == tmp_path / "history" / "v1.metrics.json" and dest.exists()
    # the archived report is whole again: history orders versions by their creation stamp
    archived = json.loads(dest.read_text())
    assert archived["meta"]["created"] == "2026-11-30" and archived["systems"]["b"]["ms_per_text"] == 1.0
    (tmp_path / "history" / "v0.metrics.json").write_text(
        json.dumps({"meta": {"version": "v0", "created": "2026-11-01"}, "systems": {"b": _system(0.5)}})
    )
    version, r = previous_version(tmp_path / "history", "v2")
    assert version == "v1" and r["per_set"]["wildguard"]["accuracy"] == 0.6
    assert previous_version(tmp_path / "history", "v1")[0] == "v0"  # never the model itself
    assert previous_version(tmp_path / "absent", "v2") is None


@pytest.mark.parametrize(
    ("stamps", "want"),
    [
        # same day: the hash of the later model sorts first as a string
        (
            {"2026.11.26-d3e8c7d4": "2026-11-26T01:12:37", "2026.11.26-1b691e82": "2026-11-26T02:39:29"},
            "2026.11.26-1b691e82",
        ),
        (
            {"2026.11.26-1b691e82": "2026-11-26T01:00:00", "2026.11.26-d3e8c7d4": "2026-11-26T02:00:00"},
            "2026.11.26-d3e8c7d4",
        ),
    ],
)
def test_previous_version_follows_the_models_creation_time(tmp_path, stamps, want):
    import json

    hist = tmp_path / "history"
    hist.mkdir()
    for version, created in stamps.items():
        meta = {"version": version, "model_made_at": created}
        (hist / f"{version}.metrics.json").write_text(
            json.dumps({"meta": meta, "systems": {"b": _system(0.5)}})
        )
    assert previous_version(hist, "2026.12.02-new")[0] == want
    # the "earlier versions" table is in the same order, the latest last
    assert history_rows(hist)[-1].startswith(f"| {want} |")


def test_injection_card_embeds_summary_but_links_the_long_tables(tmp_path):
    import json

    from bastion_training.model_card import injection_card

    model, report = tmp_path / "model", tmp_path / "report"
    model.mkdir()
    report.mkdir()
    (model / "manifest.json").write_text(
        json.dumps(
            {
                "max_length": 256,
                "stride": 128,
                "version": "v9",
                "thresholds": {"default": 0.9, "strict": 0.95},
            }
        )
    )
    (report / "summary.md").write_text(
        "# title\n\n## Targets (issue 12)\n\n| a | b |\n\n## Per set\n\n| s |\n\n"
        "## Per language (x)\n\n| cyberseceval | hi |\n\n## Per family (x)\n\n| cse |\n",
        encoding="utf-8",
    )
    card = injection_card(model, report, tmp_path / "absent.md")
    assert "### Targets (issue 12)" in card and "### Per set" in card
    assert "| cyberseceval | hi |" not in card and "reports/injection/summary.md" in card


def test_replace_throughput_rewrites_only_the_speed_of_the_same_version(tmp_path):
    import json
    import shutil
    from pathlib import Path

    from bastion_training.evaluate_pii import replace_throughput

    src = Path(__file__).resolve().parents[1] / "reports" / "pii"
    for f in ("metrics.json", "timing.json"):
        shutil.copy(src / f, tmp_path / f)
    metrics_before = json.loads((tmp_path / "metrics.json").read_text())
    version = metrics_before["model_version"]
    speed = {
        "bastion, both models + regex (Guard.default)": 50.0,
        "bastion, PII only: NER + regex (Guard.default(tasks=('pii',)))": 300.0,
        "presidio (spaCy sm)": 100.0,
    }
    with pytest.raises(SystemExit, match="reports"):
        replace_throughput(tmp_path, "1999.01.01-00000000", speed)
    md = replace_throughput(tmp_path, version, speed)
    assert "| bastion, PII only: NER + regex (Guard.default(tasks=('pii',))) | 300.0 | 3.00 |" in md
    assert json.loads((tmp_path / "timing.json").read_text())["throughput_eval_presidio"] == speed
    assert json.loads((tmp_path / "metrics.json").read_text()) == metrics_before
    assert (tmp_path / "summary.md").read_text() == md


def test_replace_throughput_keeps_the_order_the_sets_ran_in(tmp_path):
    import json
    import shutil
    from pathlib import Path

    from bastion_training.evaluate_pii import replace_throughput

    src = Path(__file__).resolve().parents[1] / "reports" / "pii"
    for f in ("metrics.json", "timing.json"):
        shutil.copy(src / f, tmp_path / f)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    first = next(iter(metrics["systems"].values()))
    order = ["test", *sorted((k for k in first["sets"] if k != "test"), reverse=True)]
    metrics["set_order"] = order
    (tmp_path / "metrics.json").write_text(json.dumps(metrics, sort_keys=True))
    md = replace_throughput(tmp_path, metrics["model_version"], {"presidio (spaCy sm)": 100.0})
    f1_table = md.split("## Micro F1 per set", 1)[1].split("\n## ", 1)[0]
    rows = [line.split(" | ")[0].lstrip("| ") for line in f1_table.splitlines() if line.startswith("| ")][1:]
    assert rows == order
