"""The one-pass student's comparison report (issue 17): teacher vs student on every row of
both evaluations, the "no set drops more than 1 point" rule per row in the metric's own
direction, missing sets reported as missing, the latency targets from bench_latency's JSON,
the curve and the model card. Inputs are small synthetic reports written as the evaluators
write them (``metrics.json`` + ``timing.json``)."""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path

import pytest
from helpers_eval import eval_set

pytest.importorskip("pandas")
pytest.importorskip("matplotlib")

from bastion_training import report_onepass as rep  # noqa: E402
from bastion_training.timing import write_report  # noqa: E402

INJ = "bastion int8 (Guard)"
PII = rep.PII_MAIN_SYSTEM
DELETE = object()


def injection_report(version: str = "inj-v3", ratio: float = 2.4) -> dict:
    per_set = {
        "wildguard": eval_set("benign", 200, 0, accuracy=0.97, fpr=0.03),
        "jbb": eval_set("malicious", 200, 200, accuracy=0.90, tpr=0.90),
        "notinject_one": eval_set("over_defense", 113, 0, accuracy=0.95, fpr=0.05),
    }
    return {
        "meta": {"version": version, "latency": {"ratio_default": ratio, "ratio": ratio / 2, "tokens": 64}},
        "systems": {
            INJ: {
                "per_set": per_set,
                "pooled": {"auc": 0.95, "tpr_at_1pct_fpr": 0.6},
                "targets": {"ece_val": 0.05},
            }
        },
    }


def _pii_set(n: int, f1: float) -> dict:
    return {
        "n": n,
        "iou": {"micro": {"f1": f1, "precision": f1, "recall": f1}},
        "exact": {"micro": {"f1": f1}},
    }


def _pii_system(f1: float) -> dict:
    return {
        "sets": {"eval_presidio": _pii_set(600, f1), "eval_conll_test": _pii_set(600, f1 - 0.1)},
        "fp_benign_prompts": {"texts": 1450, "tokens": 90000, "fp_per_1k_tokens": 0.7, "by_label": {}},
        "fp_pii_free_generator": {"texts": 223, "tokens": 2200, "fp_per_1k_tokens": 0.4, "by_label": {}},
        "person_by_lang": {
            "de": {"n_texts": 250, "support": 300, "f1": 0.85},
            "de/eval_uner": {"n_texts": 250, "support": 300, "f1": 0.85},
        },
    }


def pii_report(version: str = "pii-v4", full_per_s: float = 60.0) -> dict:
    # Presidio first: the main system is found by name, not by position
    return {
        "model_version": version,
        "systems": {"presidio (spaCy sm)": _pii_system(0.5), PII: _pii_system(0.8)},
        "throughput_eval_presidio": {
            "bastion, both models + regex (Guard.default)": full_per_s,
            "bastion, PII only: NER + regex (Guard.default(tasks=('pii',)))": 2 * full_per_s,
            "presidio (spaCy sm)": 50.0,
        },
    }


def _set(d: dict, path: tuple, value) -> dict:
    out = copy.deepcopy(d)
    node = out
    for key in path[:-1]:
        node = node[key]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


def _inputs(student_inj: dict | None = None, student_pii: dict | None = None, **kw) -> rep.Inputs:
    return rep.Inputs(
        teacher_injection=injection_report(),
        student_injection=student_inj or injection_report("onepass-1", ratio=0.5),
        teacher_pii=pii_report(),
        student_pii=student_pii or pii_report("onepass-1", full_per_s=250.0),
        **kw,
    )


def _row(c: dict, section: str, name: str) -> dict:
    return next(r for r in c["rows"] if r["section"] == section and r["name"] == name)


SYS_INJ = ("systems", INJ)
SYS_PII = ("systems", PII)

# (evaluation report changed, path in the student's report, new value, section, row, status)
CASES = [
    ("inj", (*SYS_INJ, "per_set", "jbb", "accuracy"), 0.885, rep.INJ_SETS, "jbb", "worse"),  # -1.5
    ("inj", (*SYS_INJ, "per_set", "jbb", "accuracy"), 0.895, rep.INJ_SETS, "jbb", "ok"),  # -0.5
    ("inj", (*SYS_INJ, "per_set", "jbb", "accuracy"), 0.93, rep.INJ_SETS, "jbb", "ok"),  # better
    ("inj", (*SYS_INJ, "per_set", "wildguard", "fpr"), 0.05, rep.INJ_TARGETS, "fpr:wildguard", "worse"),
    ("inj", (*SYS_INJ, "per_set", "wildguard", "fpr"), 0.01, rep.INJ_TARGETS, "fpr:wildguard", "ok"),
    ("inj", (*SYS_INJ, "targets", "ece_val"), 0.065, rep.INJ_TARGETS, "ece_val", "worse"),  # lower is better
    ("inj", (*SYS_INJ, "per_set", "jbb"), DELETE, rep.INJ_SETS, "jbb", "missing: student"),
    ("pii", (*SYS_PII, "sets", "eval_presidio", "iou", "micro", "f1"), 0.785, rep.PII_SETS, "eval_presidio", "worse"),
    ("pii", (*SYS_PII, "sets", "eval_presidio", "iou", "micro", "f1"), 0.795, rep.PII_SETS, "eval_presidio", "ok"),
    ("pii", (*SYS_PII, "fp_benign_prompts", "fp_per_1k_tokens"), 2.0, rep.PII_FP, "fp_benign_prompts", "worse"),
    ("pii", (*SYS_PII, "fp_benign_prompts", "fp_per_1k_tokens"), 1.5, rep.PII_FP, "fp_benign_prompts", "ok"),
    ("pii", (*SYS_PII, "fp_benign_prompts", "fp_per_1k_tokens"), 0.1, rep.PII_FP, "fp_benign_prompts", "ok"),
    ("pii", (*SYS_PII, "person_by_lang", "de", "f1"), 0.835, rep.PII_LANGS, "de", "worse"),
    ("pii", (*SYS_PII, "sets", "eval_conll_test"), DELETE, rep.PII_SETS, "eval_conll_test", "missing: student"),
    ("pii", (*SYS_PII, "fp_pii_free_generator"), DELETE, rep.PII_FP, "fp_pii_free_generator", "missing: student"),
]  # fmt: skip


@pytest.mark.parametrize(("which", "path", "value", "section", "name", "status"), CASES)
def test_each_row_is_judged_in_its_metrics_direction(which, path, value, section, name, status):
    student = _set(injection_report("s") if which == "inj" else pii_report("s"), path, value)
    c = rep.build(_inputs(**{f"student_{which}": student}))
    row = _row(c, section, name)
    assert row["status"] == status
    others = [r for r in c["rows"] if (r["section"], r["name"]) != (section, name) and r["status"] != "ok"]
    # the change moves only its own row (an accuracy and its target metric move together)
    assert all(r["name"] in {"malicious_acc", "notinject_acc", "benign_acc", "jbb"} for r in others), others
    assert c["verdict"]["drops"] == sum(r["status"] == "worse" for r in c["rows"])
    assert c["verdict"]["met"] is (c["verdict"]["drops"] == 0)


def test_a_set_only_the_student_has_is_missing_on_the_teacher_side():
    student = _set(
        injection_report("s"),
        (*SYS_INJ, "per_set", "tensor_trust"),
        eval_set("malicious", 50, 50, accuracy=0.7),
    )
    c = rep.build(_inputs(student_inj=student))
    row = _row(c, rep.INJ_SETS, "tensor_trust")
    assert row["status"] == "missing: teacher" and row["teacher"] is None and row["student"] == 0.7
    assert c["verdict"]["missing"] == 1 and c["verdict"]["drops"] == 0


def test_deltas_are_points_and_fp_rates_count_in_their_own_unit():
    student = _set(pii_report("s"), (*SYS_PII, "fp_benign_prompts", "fp_per_1k_tokens"), 2.0)
    student = _set(student, (*SYS_PII, "sets", "eval_presidio", "iou", "micro", "f1"), 0.77)
    c = rep.build(_inputs(student_pii=student))
    fp = _row(c, rep.PII_FP, "fp_benign_prompts")
    f1 = _row(c, rep.PII_SETS, "eval_presidio")
    assert fp["delta_points"] == pytest.approx(1.3) and fp["worse_by"] == pytest.approx(1.3)
    assert f1["delta_points"] == pytest.approx(-3.0) and f1["worse_by"] == pytest.approx(3.0)
    assert f1["teacher"] == 0.8  # the main system's value, not Presidio's (listed first)
    assert [w["name"] for w in c["verdict"]["worst"]] == ["eval_presidio", "fp_benign_prompts"]
    assert c["verdict"]["sets"] == {"rows": 7, "compared": 7, "drops": 2, "missing": 0}


def test_a_student_report_without_whole_sections_does_not_crash():
    bare = {"model_version": "s", "systems": {PII: {"sets": {"eval_presidio": _pii_set(600, 0.8)}}}}
    c = rep.build(_inputs(student_pii=bare))
    statuses = {(r["section"], r["name"]): r["status"] for r in c["rows"] if r["evaluation"] == "pii"}
    assert statuses[(rep.PII_SETS, "eval_presidio")] == "ok"
    assert statuses[(rep.PII_LANGS, "de")] == "missing: student"
    assert (rep.PII_LANGS, "de/eval_uner") not in statuses  # per-set language rows are not compared
    assert next(t for t in c["targets"] if t["key"] == "presidio_x")["student"] is None


def _bench(path: Path, sep64: float, one64: float, one256: float, variant: float | None = None) -> Path:
    def call(name: str, ratio: float) -> dict:
        return {"call": name, "p50_ms": 10 * ratio, "p95_ms": 12 * ratio, "ratio": ratio}

    def block(sep: float, one: float) -> dict:
        calls = {
            "reference": call("ref", 1.0),
            "separate_guard": call("sep", sep),
            "onepass_guard": call("one", one),
        }
        vs = {"onepass_guard": one / sep}
        if variant is not None:
            calls["onepass_guard[u8u8]"] = call("u8u8", variant)
            vs["onepass_guard[u8u8]"] = variant / sep
        return {"calls": calls, "vs_separate": vs}

    data = {
        "mode": "onepass",
        "reference": "2c8db24:models/injection/model.onnx",
        "model": {"layers": 4},
        "tokens": {"64": block(sep64, one64), "256": block(sep64, one256)},
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_latency_runs_merge_by_median_and_meet_the_targets(tmp_path):
    runs = [
        _bench(tmp_path / "a.json", 2.4, 0.50, 0.9),
        _bench(tmp_path / "b.json", 2.6, 0.55, 0.7, variant=0.4),
        _bench(tmp_path / "c.json", 2.2, 0.70, 0.75),
    ]
    (tmp_path / "skip.json").write_text(json.dumps({"mode": "onepass", "skipped": "no model"}))
    latency = rep.load_latency([*runs, tmp_path / "skip.json"])
    assert latency["skipped"] == {str(tmp_path / "skip.json"): "no model"}
    c = rep.build(_inputs(latency=latency, api_rps=100.0))
    t = {row["key"]: row for row in c["targets"]}
    assert (
        t["ratio_64"]["teachers"] == 2.4 and t["ratio_64"]["student"] == 0.55 and t["ratio_64"]["met"] is True
    )
    assert t["ratio_256"]["student"] == 0.75 and t["ratio_256"]["met"] is True
    assert t["presidio_x"]["teachers"] == pytest.approx(1.2) and t["presidio_x"]["student"] == pytest.approx(
        5.0
    )
    assert t["api_x"]["student"] == pytest.approx(100 / 42.8) and t["api_x"]["met"] is True
    assert t["quality_drops"]["student"] == 0 and t["quality_drops"]["met"] is True
    # a variant timed in one run only keeps its one value
    assert latency["tokens"]["64"]["calls"]["onepass_guard[u8u8]"]["ratio"] == 0.4


@pytest.mark.parametrize(
    ("one64", "one256", "met64", "met256"), [(0.61, 0.8, False, True), (0.6, 0.81, True, False)]
)
def test_latency_targets_are_at_most_bounds(tmp_path, one64, one256, met64, met256):
    latency = rep.load_latency([_bench(tmp_path / "a.json", 2.4, one64, one256)])
    t = {row["key"]: row for row in rep.build(_inputs(latency=latency))["targets"]}
    assert (t["ratio_64"]["met"], t["ratio_256"]["met"]) == (met64, met256)


def test_without_a_bench_run_the_evaluations_latency_is_used():
    c = rep.build(_inputs())
    t = {row["key"]: row for row in c["targets"]}
    assert (t["ratio_64"]["teachers"], t["ratio_64"]["student"]) == (2.4, 0.5)
    assert t["ratio_256"]["student"] is None and t["ratio_256"]["met"] is None
    assert [p["latency_source"] for p in c["points"]] == ["evaluate_injection", "evaluate_injection"]


def test_curve_means_use_the_sets_every_point_has():
    student = _set(injection_report("s"), (*SYS_INJ, "per_set", "jbb"), DELETE)
    c = rep.build(_inputs(student_inj=student))
    assert c["curve_sets"]["injection"] == ["notinject_one", "wildguard"]
    teachers, stud = c["points"]
    assert teachers["injection_mean_accuracy"] == pytest.approx((0.97 + 0.95) / 2)
    assert stud["pii_mean_micro_f1"] == pytest.approx((0.8 + 0.7) / 2)


def _write(folder: Path, report: dict) -> Path:
    write_report(folder, report)  # metrics.json + timing.json, as the evaluators do
    return folder


def _manifest(folder: Path, teachers: tuple[str, str] = ("inj-v3", "pii-v4")) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {
        "type": "onepass",
        "version": "2026.12.02-abcdef12",
        "layers": 4,
        "hidden_size": 384,
        "max_length": 256,
        "stride": 224,
        "parameters": 22_700_000,
        "quantization": {"method": "dynamic", "activations": "u8", "weights": "s8", "per_channel": True},
        "teachers": {"injection": {"version": teachers[0]}, "pii": {"version": teachers[1]}},
        "heads": {"injection": {"thresholds_source": "recalibrated on validation"}, "pii": {}},
        "distillation": {"steps": 3000, "temperature": 2.0, "best": {"kl": 0.1}},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "model.onnx").write_bytes(b"x" * 2_500_000)
    return folder / "manifest.json"


def _cli(tmp_path: Path, student_inj: dict, *extra: str) -> list[str]:
    return [
        "--teacher-injection", str(_write(tmp_path / "t_inj", injection_report())),
        "--student-injection", str(_write(tmp_path / "s_inj", student_inj)),
        "--teacher-pii", str(_write(tmp_path / "t_pii", pii_report()) / "metrics.json"),
        "--student-pii", str(_write(tmp_path / "s_pii", pii_report("onepass-1", 250.0))),
        "--out", str(tmp_path / "out"),
        *extra,
    ]  # fmt: skip


def test_cli_writes_summary_json_curve_and_card(tmp_path):
    student = _set(injection_report("onepass-1", ratio=0.5), (*SYS_INJ, "per_set", "jbb", "accuracy"), 0.885)
    student = _set(student, (*SYS_INJ, "per_set", "notinject_one"), DELETE)
    bench = _bench(tmp_path / "bench.json", 2.4, 0.55, 0.7, variant=0.45)
    (tmp_path / "long.md").write_text("| input | old s |\n|---|---|\n| 100 KB prose | 3.1 |\n")
    l2 = _set(injection_report("l2", ratio=0.3), (*SYS_INJ, "per_set", "jbb", "accuracy"), 0.8)
    _write(tmp_path / "l2_inj", l2)
    _write(tmp_path / "l2_pii", pii_report("l2"))
    point = f"two layers:2:{tmp_path / 'l2_inj'}:{tmp_path / 'l2_pii'}"
    card = tmp_path / "models" / "onepass" / "README.md"
    args = _cli(
        tmp_path, student, "--latency", str(bench), "--manifest", str(_manifest(tmp_path / "models" / "onepass")),
        "--point", point, "--long-text", str(tmp_path / "long.md"), "--card", str(card),
    )  # fmt: skip
    assert rep.main(args) == 0
    out = tmp_path / "out"
    c = json.loads((out / "comparison.json").read_text())
    assert c["verdict"]["drops"] == 1 and c["verdict"]["missing"] >= 1 and c["verdict"]["met"] is False
    assert [p["name"] for p in c["points"]] == ["teachers (separate models)", "student", "two layers"]
    assert c["points"][1]["layers"] == 4 and c["points"][1]["latency_ratio_64"] == 0.55
    assert c["points"][2]["layers"] == 2 and c["points"][2]["latency_ratio_64"] == 0.3  # its own eval's ratio
    assert (out / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert '"no eval set drops more than 1 point": NOT met.** 1 of ' in summary
    assert "| jbb | 200 | 90.0 | 88.5 | -1.50 | ↑ | **worse by 1.50** |" in summary
    assert "| notinject_one | 113 | 95.0 | – | – | ↑ | missing: student |" in summary
    assert "| fp_pii_free_generator" not in summary  # rows are labelled, keys in backticks
    assert (
        "| generator hard negatives (PII-free) (`fp_pii_free_generator`) | 223 | 0.40 | 0.40 | +0.00 | ↓ | ok |"
        in summary
    )
    assert "4 layers, width 384, 22.7 M parameters, int8 ONNX 2.5 MB" in summary
    assert "| 64 | u8u8 (`onepass_guard[u8u8]`) | 4.50 | 0.45× |" in summary
    assert "| 100 KB prose | 3.1 |" in summary and "![quality vs latency](curve.png)" in summary
    assert "Check:" not in summary  # the teacher reports are of the manifest's teachers

    text = card.read_text(encoding="utf-8")
    assert text.startswith("# bastion one-pass model") and "\n### Targets (issue 17)\n" in text
    assert (
        "injection `inj-v3` and PII\n  `pii-v4`" in text and "injection: recalibrated on validation" in text
    )
    assert "steps 3000, temperature 2" in text and "](../../out/curve.png)" in text
    assert not re.search(r"\$\{?[A-Za-z_]", summary + text), "an unfilled $placeholder"


def test_teacher_reports_of_other_versions_are_flagged(tmp_path):
    args = _cli(
        tmp_path, injection_report("s"), "--manifest", str(_manifest(tmp_path / "m", ("inj-v2", "pii-v4")))
    )
    rep.main(args)
    summary = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert "**Check: the injection teacher report is of `inj-v3`, the manifest names `inj-v2`.**" in summary
    assert (tmp_path / "out" / "card.md").is_file()


def test_parameters_are_counted_from_the_graph_without_quantisation_constants(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    def init(name: str, dims: list[int]):
        return helper.make_tensor(name, TensorProto.FLOAT, dims, [0.0] * math.prod(dims))

    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
        initializer=[
            init("bert.embeddings.word_embeddings.weight", [10, 4]),
            init("bert.encoder.layer.0.dense.weight_quantized", [4, 4]),
            init("bert.encoder.layer.0.dense.weight_scale", [4]),
            init("bert.encoder.layer.0.dense.weight_zero_point", [4]),
        ],
    )
    onnx.save(helper.make_model(graph), str(tmp_path / "model.onnx"))
    assert rep.onnx_parameters(tmp_path / "model.onnx") == (56, 40)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"layers": 1, "hidden_size": 4}))
    info = rep.student_info(manifest)
    assert (info["parameters"], info["embedding_parameters"]) == (56, 40)
    assert rep._count(56, 40) == "56 parameters (40 of them in the embeddings)"


@pytest.mark.parametrize("spec", ["a:2:inj", "a:x:inj:pii", ":2:inj:pii", "a:2::pii", "a:2:i:p:l:extra"])
def test_a_bad_point_is_a_usage_error(tmp_path, spec):
    with pytest.raises(SystemExit) as exc:
        rep.main(_cli(tmp_path, injection_report("s"), "--point", spec))
    assert exc.value.code == 2
