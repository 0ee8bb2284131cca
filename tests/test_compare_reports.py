"""bastion_training.compare_reports: side-by-side tables and the no-set-drops gate, on
small metrics.json files shaped like evaluate_injection's and evaluate_pii's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bastion_training.compare_reports import load_report, main


def _injection(folder: Path, acc: dict[str, float], benign: float) -> Path:
    folder.mkdir(parents=True)
    system = {
        "per_set": {k: {"accuracy": v, "n": 100} for k, v in acc.items()},
        "targets": {"benign_acc": benign, "ece_val": 0.0181},
    }
    (folder / "metrics.json").write_text(json.dumps({"systems": {"bastion int8 (Guard)": system}}))
    return folder


def _pii(folder: Path, f1: dict[str, float], nq: int) -> Path:
    folder.mkdir(parents=True)
    system = {
        "sets": {k: {"n": 600, "iou": {"micro": {"f1": v}}, "exact": {}} for k, v in f1.items()},
        "fp_benign_prompts": {"fp_per_1k_tokens": 0.123},
        "fp_pii_free_generator": {"fp_per_1k_tokens": 7.831},
        "default_policy_changes": {"natural_questions": {"changed": nq}},
    }
    name = "bastion (NER int8 + regex, Guard.default)"
    (folder / "metrics.json").write_text(json.dumps({"systems": {name: system, "presidio (spaCy sm)": {}}}))
    return folder


@pytest.mark.parametrize(
    ("cand", "gate_rc", "drops"),
    [
        ({"wildguard": 0.80, "bipia": 0.84}, 0, []),  # equal
        ({"wildguard": 0.795, "bipia": 0.90}, 0, []),  # -0.5: within one point
        ({"wildguard": 0.78, "bipia": 0.90}, 1, ["wildguard -2.0"]),  # -2.0: the gate trips
    ],
)
def test_injection_gate(tmp_path, capsys, cand, gate_rc, drops) -> None:
    a = _injection(tmp_path / "a", {"wildguard": 0.80, "bipia": 0.84}, 0.84)
    b = _injection(tmp_path / "b", cand, 0.85)
    assert main(["injection", f"shipped={a}", f"cand={b}"]) == 0  # no --gate: always 0
    assert main(["injection", f"shipped={a}", f"cand={b}", "--gate"]) == gate_rc
    out = capsys.readouterr().out
    assert "| benign_acc | 84.0 | 85.0 |" in out
    assert "| ece_val | 0.018 | 0.018 |" in out
    for d in drops:
        assert d in out


def test_pii_tables_read_micro_f1_in_points(tmp_path, capsys) -> None:
    a = _pii(tmp_path / "a", {"eval_presidio": 0.773, "eval_wnut_test": 0.569}, 157)
    b = _pii(tmp_path / "b", {"eval_presidio": 0.775, "eval_wnut_test": 0.55}, 150)
    assert main(["pii", f"old={a}", f"new={b}", "--gate"]) == 1
    out = capsys.readouterr().out
    assert "| eval_presidio | 600 | 77.3 | 77.5 | +0.2 |" in out
    assert "| natural_questions_changed | 157 | 150 |" in out
    assert "drops: eval_wnut_test -1.9" in out
    assert load_report("pii", "new", b).sets["eval_wnut_test"] == pytest.approx(55.0)


def test_set_missing_from_a_report_has_no_delta_and_fails_the_gate(tmp_path, capsys) -> None:
    a = _injection(tmp_path / "a", {"wildguard": 0.80, "pair": 0.08}, 0.84)
    b = _injection(tmp_path / "b", {"wildguard": 0.80}, 0.84)
    assert main(["injection", f"a={a}", f"b={b}"]) == 0
    assert "| pair | 100 | 8.0 | – | – |" in capsys.readouterr().out
    # a candidate that did not measure a set is not one that kept it (an emptied eval file
    # once passed the gate untested)
    assert main(["injection", f"a={a}", f"b={b}", "--gate"]) == 1
    assert "pair: not measured" in capsys.readouterr().out


def test_a_set_scored_on_other_rows_fails_the_gate(tmp_path, capsys) -> None:
    a = _pii(tmp_path / "a", {"eval_presidio": 0.773}, 157)
    b = _pii(tmp_path / "b", {"eval_presidio": 0.80}, 157)
    metrics = json.loads((b / "metrics.json").read_text())
    next(iter(metrics["systems"].values()))["sets"]["eval_presidio"]["n"] = 200
    (b / "metrics.json").write_text(json.dumps(metrics))
    assert main(["pii", f"a={a}", f"b={b}", "--gate"]) == 1
    assert "eval_presidio: 200 rows, the reference 600" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["pii", "only=x"], ["pii", "a=x", "noequals"]])
def test_bad_arguments_are_usage_errors(args) -> None:
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2


def test_missing_report_is_a_clear_error(tmp_path) -> None:
    a = _pii(tmp_path / "a", {"x": 0.5}, 1)
    with pytest.raises(SystemExit, match="metrics.json not found"):
        main(["pii", f"a={a}", f"b={tmp_path / 'nope'}"])


def test_an_archived_metrics_file_compares_like_a_folder(tmp_path, capsys) -> None:
    # s32 qa_pipeline L4: the evaluate stages archive versions as history/<version>.metrics.json
    a = _pii(tmp_path / "a", {"eval_presidio": 0.773}, 157)
    archived = tmp_path / "history" / "2026.12.03-a12dca11.metrics.json"
    archived.parent.mkdir()
    archived.write_text((a / "metrics.json").read_text())
    assert main(["pii", f"prev={archived}", f"shipped={a}", "--gate"]) == 0
    assert "| eval_presidio | 600 | 77.3 | 77.3 | +0.0 |" in capsys.readouterr().out
