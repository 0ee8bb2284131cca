"""End-to-end on a tiny random BERT: train_pii → export_pii (optimum + int8) → OnnxNERDetector.

The tiny model (2 layers, hidden 32, a WordPiece vocab built from the fixture sentences)
is trained for a few hundred steps once per session; it learns the fixture's names, which
is enough to check that the whole chain keeps offsets, case features and labels aligned.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch")
pytest.importorskip("optimum.exporters.onnx")

from bastion.detectors import build_detector  # noqa: E402
from bastion.detectors.onnx_ner import OnnxNERDetector  # noqa: E402
from bastion.errors import ModelLoadError  # noqa: E402
from bastion.types import Finding  # noqa: E402
from tiny_bert import tiny_bert_base, train_and_export  # noqa: E402

FIRST = ["John", "Mary", "Peter", "Anna", "Lucas", "Emma", "Oliver", "Sofia", "Henry", "Clara"]
LAST = ["Smith", "Brown", "Miller", "Wilson", "Taylor", "Moore", "Clark", "Hall", "Young", "King"]
CITIES = ["London", "Paris", "Berlin", "Madrid", "Rome", "Vienna"]
TEMPLATES = [
    "Contact {p} at the office.",
    "Please call {p} tomorrow morning.",
    "{p} lives in {c}.",
    "The report was written by {p} last week.",
    "Send the invoice to {p} in {c}, thanks.",
]
NEGATIVES = [
    "the meeting starts at noon.",
    "please send the report tomorrow.",
    "contact the office in the morning.",
    "the invoice was paid last week.",
    "call me when you are ready.",
]


def _row(template: str, person: str, city: str) -> dict:
    spans, text, i = [], "", 0
    while i < len(template):
        if template.startswith("{p}", i) or template.startswith("{c}", i):
            value, label = (person, "PERSON") if template[i + 1] == "p" else (city, "LOCATION")
            spans.append({"start": len(text), "end": len(text) + len(value), "label": label})
            text += value
            i += 3
        else:
            text += template[i]
            i += 1
    return {
        "text": text,
        "spans": spans,
        "source": "test",
        "template_id": template,
        "format": "plain",
        "split": "train",
        "lang": "en",
    }


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = []
    for k in range(n):
        if k % 4 == 3:
            rows.append({**_row(rng.choice(NEGATIVES), "", ""), "spans": []})
        else:
            person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            rows.append(_row(rng.choice(TEMPLATES), person, rng.choice(CITIES)))
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def tiny_ner(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Train + export the tiny model once; returns the paths and the training summary."""
    settings = {"epochs": 12, "eval_every": 60, "min_score": 0.3, "opset": 17, "per_channel": True}
    frames = (_frame(240, 1), _frame(40, 2))
    root = tmp_path_factory.mktemp("tiny_ner")
    return train_and_export(root, "pii", frames, settings, seed=3, use_case_features=True)


@pytest.fixture(scope="session")
def tiny_det(tiny_ner: dict) -> OnnxNERDetector:
    return OnnxNERDetector.load(tiny_ner["model"], threads=1)


def test_training_learns_the_fixture(tiny_ner: dict) -> None:
    best = tiny_ner["summary"]["best"]
    assert best["f1"] > 0.8, best
    assert (tiny_ner["root"] / "art" / "val_metrics.json").is_file()


def test_run_time_is_kept_apart_from_the_metrics(tiny_ner: dict) -> None:
    art = tiny_ner["root"] / "art"
    assert "train_seconds" not in json.loads((art / "val_metrics.json").read_text())
    timing = json.loads((art / "timing.json").read_text())
    assert timing["train_seconds"] > 0 and timing["stopped_by"] == "epochs"


def test_manifest_fields(tiny_ner: dict) -> None:
    m = json.loads((tiny_ner["model"] / "manifest.json").read_text())
    assert m["name"] == "pii" and m["task"] == "token-classification"
    assert m["labels"][0] == "O" and "B-PERSON" in m["labels"] and "I-IP_ADDRESS" in m["labels"]
    assert m["case_features"] is True
    assert m["homoglyphs"] == "all"  # train_pii.homoglyphs left at its default
    assert m["exporter"] == "optimum"
    assert m["max_length"] == 24 and m["stride"] == 11
    assert set(m["files"]) == {"model.onnx", "tokenizer.json"}
    par = m["parity_fp32_vs_int8"]
    assert "PERSON" in par["fp32_f1"] and "PERSON" in par["int8_f1"]
    assert abs(par["micro_f1_delta"]) < 0.2
    # per-label thresholds chosen on validation: the default stays min_score, any moved
    # label sits on the grid and did not lose validation F1
    th, cal = m["thresholds"], m["threshold_calibration"]
    assert th["default"] == 0.3 and cal["rows"] == 40
    for label, t in th.items():
        if label != "default":
            assert 0.4 <= t <= 0.9 and cal["labels"][label]["threshold"] == t
    for r in cal["labels"].values():
        assert r["f1_at_chosen"] >= r["f1_at_default"]


def test_onnx_graph_takes_case_ids(tiny_det: OnnxNERDetector) -> None:
    assert {"input_ids", "attention_mask", "case_ids"} <= tiny_det.model.input_names
    assert tiny_det.use_case and tiny_det.kind == "model" and tiny_det.category == "pii"
    assert tiny_det.name == "pii_model" and tiny_det.version == tiny_det.model.manifest.version


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Contact John Smith at the office.", [("PERSON", "John Smith")]),
        ("Mary Wilson lives in Paris.", [("PERSON", "Mary Wilson"), ("LOCATION", "Paris")]),
        ("the meeting starts at noon.", []),
    ],
)
def test_detects_fixture_entities(tiny_det: OnnxNERDetector, text: str, expected: list) -> None:
    found = tiny_det.detect([text])[0]
    assert all(isinstance(f, Finding) and f.detector == "pii_model" for f in found)
    assert [(f.label, text[f.start : f.end]) for f in found] == expected


def test_case_features_matter(tiny_det: OnnxNERDetector) -> None:
    # Same tokens, only the capitalisation differs: the name must not be found in lowercase.
    upper = tiny_det.detect(["Please call Peter Hall tomorrow morning."])[0]
    lower = tiny_det.detect(["please call peter hall tomorrow morning."])[0]
    assert [f.label for f in upper] == ["PERSON"]
    assert not any(f.label == "PERSON" for f in lower)


def test_batch_equals_single(tiny_det: OnnxNERDetector) -> None:
    texts = ["Contact Anna Brown at the office.", "", "   ", "Henry King lives in Rome." * 8]
    batch = tiny_det.detect(texts)
    # every window runs as its own batch of one: spans AND scores are exactly the same
    assert batch == [tiny_det.detect([t])[0] for t in texts]
    assert tiny_det.detect(texts[::-1])[::-1] == batch
    for (_, a), t in zip(tiny_det.token_probs(texts), texts, strict=True):
        assert np.array_equal(a, tiny_det.token_probs([t])[0][1])
    assert batch[1] == [] and batch[2] == []
    assert len(batch[3]) >= 8


@pytest.mark.parametrize(
    "text",
    [
        "Contact 😀 John Smith 東京 at the office.",
        "Cafe\u0301 Mary Wilson lives in Paris. naïve",
        "ｊｏｈｎ Ｓｍｉｔｈ\u200b lives in Rome",
        "\x00\x01 binary \udcff junk",
        "🙂" * 50,
        "Emma Clark " * 300,
    ],
)
def test_offsets_in_bounds_on_odd_unicode(tiny_det: OnnxNERDetector, text: str) -> None:
    import unicodedata

    # Spans are decoded on words of the original text (not on token offsets): they stay in
    # bounds, carry no edge whitespace and never cut a character from its combining marks.
    for f in tiny_det.detect([text])[0]:
        assert 0 <= f.start < f.end <= len(text)
        value = text[f.start : f.end]
        assert value.strip() == value, f
        assert not unicodedata.combining(text[f.start]), f
        assert f.end == len(text) or not unicodedata.combining(text[f.end]), (f, value)


def test_non_str_input_is_an_input_error(tiny_det: OnnxNERDetector) -> None:
    from bastion.errors import InputError

    with pytest.raises(InputError):
        tiny_det.detect([b"bytes"])  # type: ignore[list-item]


def test_factory_builds_it(tiny_ner: dict) -> None:
    det = build_detector("onnx_pii", path=str(tiny_ner["model"]), threads=1)
    assert isinstance(det, OnnxNERDetector)


def test_sha256_mismatch_is_model_load_error(tiny_ner: dict, tmp_path: Path) -> None:
    folder = tmp_path / "tampered"
    shutil.copytree(tiny_ner["model"], folder)
    m = json.loads((folder / "manifest.json").read_text())
    good = m["files"]["model.onnx"]
    m["files"]["model.onnx"] = "0" * 64
    (folder / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ModelLoadError, match="sha256"):
        OnnxNERDetector.load(folder)
    m["files"]["model.onnx"] = good
    (folder / "manifest.json").write_text(json.dumps(m))
    # verify=False is the explicit opt-out.
    assert OnnxNERDetector.load(folder, verify=False).detect(["Contact John Smith at the office."])[0]
    with open(folder / "tokenizer.json", "ab") as fh:
        fh.write(b" ")
    with pytest.raises(ModelLoadError, match="sha256"):
        OnnxNERDetector.load(folder)


def test_manifest_without_case_features_is_rejected(tiny_ner: dict, tmp_path: Path) -> None:
    folder = tmp_path / "nocase"
    shutil.copytree(tiny_ner["model"], folder)
    m = json.loads((folder / "manifest.json").read_text())
    m["case_features"] = False
    (folder / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ModelLoadError, match="case_ids"):
        OnnxNERDetector.load(folder)


@pytest.mark.parametrize(("keep", "ok"), [(1, True), (2, True), (0, False), (3, False)])
def test_keep_encoder_layers_builds_a_shallower_student(tmp_path: Path, keep: int, ok: bool) -> None:
    import torch
    from bastion.labels import bio_tags
    from bastion_training.common import keep_encoder_layers
    from bastion_training.ner_model import from_base, load

    base = tiny_bert_base(tmp_path / "base", ["John Smith lives in Paris"])  # 2 layers
    model = from_base(base, tuple(bio_tags()), use_case_features=True)
    if not ok:
        with pytest.raises(ValueError, match="keep_layers"):
            keep_encoder_layers(model, keep)
        return
    keep_encoder_layers(model, keep)
    assert len(model.bert.encoder.layer) == keep == model.config.num_hidden_layers
    model.save_pretrained(tmp_path / "student")
    again = load(tmp_path / "student").eval()
    ids = torch.ones((1, 6), dtype=torch.long)
    out = again(input_ids=ids, attention_mask=ids, case_ids=torch.zeros_like(ids))
    assert out.logits.shape == (1, 6, len(bio_tags()))


def test_recover_refuses_a_case_feature_graph(tiny_ner: dict, tmp_path: Path) -> None:
    from bastion_training.recover import RecoverError, recover

    with pytest.raises(RecoverError, match="case-feature"):
        recover(tiny_ner["model"], tmp_path / "hf", heads=2)
    assert not (tmp_path / "hf" / "model.safetensors").exists()
