"""Adopting per-row activation quantisation end to end: convert a model folder
(``bastion_training.rowquant.convert_model_dir`` and its CLI), the manifest's
``batch_invariant`` flag checked at load, and the runtime batching short windows of such a
graph with the results of running each window alone.

Tiny random teachers (``onepass_tiny``: a classifier and a case-aware tagger, width 32)
are exported to fp32 ONNX and quantised dynamically as the one-pass export does (u8
activations per tensor, s8 per-channel weights, attention products included): that is the
"shipped" folder a conversion starts from. ``max_length`` 96 gives windows both under and
over :data:`~bastion.detectors.onnx_common.BATCH_TOKEN_CAP`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("onnxruntime.quantization")

from bastion.casefeatures import case_ids  # noqa: E402
from bastion.detectors.onepass import OnePassModel  # noqa: E402
from bastion.detectors.onnx_classifier import OnnxInjectionDetector  # noqa: E402
from bastion.detectors.onnx_common import (  # noqa: E402
    BATCH_TOKEN_CAP,
    Manifest,
    OnnxTextModel,
    sha256_of,
    softmax,
    window_batches,
    window_probs,
)
from bastion.detectors.onnx_ner import OnnxNERDetector  # noqa: E402
from bastion.errors import ModelLoadError  # noqa: E402
from bastion_training.config import OnePassExportParams  # noqa: E402
from bastion_training.export import DECISION_KEYS, write_model_folder  # noqa: E402
from bastion_training.rowquant import convert_model_dir, main  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from onepass_tiny import (  # noqa: E402
    CORPUS,
    summary_for,
    tiny_base,
    tiny_injection_teacher,
    tiny_pii_teacher,
    tiny_student,
)

MAX_LENGTH = 96
CONTENT = MAX_LENGTH - 2
HISTORY = ["run 1: from the tiny base"]
LONG = " ".join(CORPUS * 3)  # windows of CONTENT > BATCH_TOKEN_CAP tokens
# Short texts of many lengths plus two long ones, so batches mix lengths and long windows.
MIXED = [*CORPUS, "ok", "Mary Brown.", LONG, CORPUS[2] + " " + CORPUS[5], LONG[:400]]
FLOAT_NOISE = 1e-6


def _per_tensor_folder(fp32_folder: Path, out: Path) -> Path:
    """``fp32_folder``'s graph quantised as the shipped graphs are, with a training history."""
    from bastion_training.export_onepass import quantize

    manifest = json.loads((fp32_folder / "manifest.json").read_text())
    for k in ("version", "files"):
        manifest.pop(k)
    manifest["training"] = {"runs": list(HISTORY)}
    manifest["quantization"] = "int8 dynamic: u8 activations, s8 per-channel 7-bit weights"
    int8 = quantize(fp32_folder / "model.onnx", out.parent / f"{out.name}.onnx")
    write_model_folder(out, int8, fp32_folder / "tokenizer.json", manifest)
    return out


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("rowquant_runtime")
    base = tiny_base(root / "base")
    out = {}
    for name, make in (("inj", tiny_injection_teacher), ("pii", tiny_pii_teacher)):
        fp32 = make(root / f"{name}_fp32", base, max_length=MAX_LENGTH)
        out[name] = _per_tensor_folder(fp32, root / f"{name}_int8")
        out[f"{name}_row"] = root / f"{name}_row"
        convert_model_dir(out[name], out[f"{name}_row"])
    out["base"] = base
    return out


class RecordingSession:
    """Wraps an onnxruntime session and records the ``input_ids`` shape of every run."""

    def __init__(self, session) -> None:
        self._session = session
        self.shapes: list[tuple[int, int]] = []

    def run(self, names, feeds, *args, **kwargs):
        self.shapes.append(tuple(feeds["input_ids"].shape))
        return self._session.run(names, feeds, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._session, name)


def _recorded(model: OnnxTextModel) -> RecordingSession:
    model.session = RecordingSession(model.session)
    return model.session


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


# --------------------------------------------------------------------------- conversion


@pytest.mark.parametrize("name", ["inj", "pii"])
def test_converted_manifest(folders: dict[str, Path], name: str) -> None:
    src, row = _manifest(folders[name]), _manifest(folders[f"{name}_row"])
    assert row["batch_invariant"] is True and "batch_invariant" not in src
    # the files' digests are the new files', the tokenizer is the source's
    assert row["files"] == {
        n: sha256_of(folders[f"{name}_row"] / n) for n in ("model.onnx", "tokenizer.json")
    }
    assert row["files"]["tokenizer.json"] == src["files"]["tokenizer.json"]
    assert row["files"]["model.onnx"] != src["files"]["model.onnx"]
    # the version is derived as write_model_folder derives it: date + digest of files and decisions
    behaviour = {k: row.get(k) for k in DECISION_KEYS}
    digest = hashlib.sha256(json.dumps([row["files"], behaviour], sort_keys=True).encode()).hexdigest()
    assert re.fullmatch(rf"\d{{4}}\.\d\d\.\d\d-{digest[:8]}", row["version"])
    assert row["version"] != src["version"]
    assert row["row_quant"]["from_version"] == src["version"]
    assert row["row_quant"]["from_model_sha256"] == src["files"]["model.onnx"]
    assert row["row_quant"]["weight_matmuls"] > 0 and row["row_quant"]["float_matmuls"] > 0
    # the history keeps its runs and notes the conversion; decisions are unchanged
    runs = row["training"]["runs"]
    assert runs[: len(HISTORY)] == HISTORY and "row_quant" in runs[-1] and src["version"] in runs[-1]
    assert {k: row[k] for k in ("labels", "thresholds", "max_length", "stride")} == {
        k: src[k] for k in ("labels", "thresholds", "max_length", "stride")
    }
    assert "per-row" in row["quantization"]
    assert not (folders[f"{name}_row"] / "README.md").exists()


def test_conversion_refuses_what_it_cannot_convert(folders: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="already says batch_invariant"):
        convert_model_dir(folders["inj_row"], tmp_path / "again")
    with pytest.raises(ValueError, match="new folder"):
        convert_model_dir(folders["inj"], folders["inj"])
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("x")
    with pytest.raises(ValueError, match="not an empty folder"):
        convert_model_dir(folders["inj"], busy)
    # a tampered source is refused before anything is written
    bad = tmp_path / "bad"
    shutil.copytree(folders["inj"], bad)
    (bad / "tokenizer.json").write_text((bad / "tokenizer.json").read_text() + " ")
    with pytest.raises(ModelLoadError, match="sha256"):
        convert_model_dir(bad, tmp_path / "bad_row")
    assert not (tmp_path / "bad_row").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_cli_converts_a_folder(folders: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "cli_row"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-m", "bastion_training.rowquant", str(folders["pii"]), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    m = _manifest(out)
    assert m["batch_invariant"] is True and m["version"] in done.stderr
    assert OnnxNERDetector.load(out, threads=1).model.batch_invariant
    # in-process, the same entry point: an existing folder is refused
    with pytest.raises(ValueError, match="not an empty folder"):
        main([str(folders["pii"]), str(out)])


# --------------------------------------------------------------------------- the flag at load


def test_the_flag_is_honoured(folders: dict[str, Path]) -> None:
    assert OnnxTextModel(folders["inj_row"], threads=1).batch_invariant is True
    assert OnnxTextModel(folders["inj"], threads=1).batch_invariant is False


@pytest.mark.parametrize("name", ["inj", "pii"])
def test_a_per_tensor_graph_claiming_invariance_is_refused(
    folders: dict[str, Path], tmp_path: Path, name: str
) -> None:
    liar = tmp_path / "liar"
    shutil.copytree(folders[name], liar)
    (liar / "manifest.json").write_text(json.dumps({**_manifest(liar), "batch_invariant": True}))
    with pytest.raises(ModelLoadError, match="claims batch_invariant"):
        OnnxTextModel(liar, threads=1)


def test_batch_invariant_must_be_a_boolean(folders: dict[str, Path], tmp_path: Path) -> None:
    odd = tmp_path / "odd"
    shutil.copytree(folders["inj_row"], odd)
    (odd / "manifest.json").write_text(json.dumps({**_manifest(odd), "batch_invariant": "yes"}))
    with pytest.raises(ModelLoadError, match="batch_invariant must be true or false"):
        Manifest.load(odd)


# --------------------------------------------------------------------------- batching


def test_window_plan_batches_short_windows_only() -> None:
    class Invariant:
        batch_invariant = True

    lengths = [5, 70, 6, 64, 94, 5, 65]
    plan = window_batches(Invariant(), lengths, batch_size=4)
    assert sorted(j for b in plan for j in b) == list(range(len(lengths)))
    for batch in plan:
        if len(batch) > 1:
            assert all(lengths[j] <= BATCH_TOKEN_CAP for j in batch)
    assert [b for b in plan if lengths[b[0]] > BATCH_TOKEN_CAP] == [[6], [1], [4]]  # alone
    # shortest first, as before
    firsts = [lengths[b[0]] for b in plan]
    assert firsts == sorted(firsts)
    # a model without the verified flag: every window alone
    assert all(len(b) == 1 for b in window_batches(object(), lengths, batch_size=4))


@pytest.mark.parametrize("name", ["inj", "pii"])
def test_window_probs_batched_equal_alone(folders: dict[str, Path], name: str) -> None:
    model = OnnxTextModel(folders[f"{name}_row"], threads=1)
    extra_needed = "case_ids" in model.input_names
    encs = model.encode(MIXED)
    rows = [e.ids[s:t] for e in encs for s, t in model.windows(len(e.ids)) if t > s]
    cases = {"case_ids": [[(i % 5) for i in range(len(r))] for r in rows]} if extra_needed else None
    rec = _recorded(model)
    batched = {
        j: p
        for batch, probs in window_probs(model, rows, cases, batch_size=8)
        for j, p in zip(batch, probs, strict=True)
    }
    assert any(b > 1 for b, _ in rec.shapes), "short windows were batched"
    assert all(w - 2 <= BATCH_TOKEN_CAP for b, w in rec.shapes if b > 1)
    assert any(w - 2 > BATCH_TOKEN_CAP for b, w in rec.shapes if b == 1), "long windows ran alone"
    for j, row in enumerate(rows):
        one = {"case_ids": [cases["case_ids"][j]]} if cases else None
        ((_, alone),) = window_probs(model, [row], one)
        got = batched[j][: len(row) + 2] if name == "pii" else batched[j]  # a tagger's own positions
        assert np.abs(got - alone[0]).max() <= FLOAT_NOISE, j


def test_injection_scores_alone_and_in_a_mixed_batch(folders: dict[str, Path]) -> None:
    det = OnnxInjectionDetector.load(folders["inj_row"], threads=1, batch_size=8)
    rec = _recorded(det.model)
    together = det.scores(MIXED)
    assert any(b > 1 for b, _ in rec.shapes)
    for text, got in zip(MIXED, together, strict=True):
        alone = det.scores([text])[0]
        assert got[1:] == alone[1:] and abs(got[0] - alone[0]) <= FLOAT_NOISE, text
    assert len({round(s, 3) for s, _, _ in together}) > 3, "the tiny model tells texts apart"
    assert det.detect(MIXED)[0][0].label == det.detect([MIXED[0]])[0][0].label


def test_ner_findings_alone_and_in_a_mixed_batch(folders: dict[str, Path]) -> None:
    det = OnnxNERDetector.load(folders["pii_row"], threads=1, batch_size=8)
    rec = _recorded(det.model)
    together_probs = det.token_probs(MIXED)
    together = det.detect(MIXED)
    assert any(b > 1 for b, _ in rec.shapes)
    found = 0
    for text, (_, probs), findings in zip(MIXED, together_probs, together, strict=True):
        alone_probs = det.token_probs([text])[0][1]
        assert np.abs(probs - alone_probs).max() <= FLOAT_NOISE, text
        alone = det.detect([text])[0]
        assert [(f.label, f.start, f.end) for f in findings] == [(f.label, f.start, f.end) for f in alone]
        assert all(abs(a.score - b.score) <= FLOAT_NOISE for a, b in zip(findings, alone, strict=True))
        found += len(findings)
    assert found > 0, "the tiny tagger finds something, so the comparison is not vacuous"


@pytest.mark.parametrize("name", ["inj", "pii"])
def test_without_the_flag_every_window_runs_alone(folders: dict[str, Path], name: str) -> None:
    cls = OnnxInjectionDetector if name == "inj" else OnnxNERDetector
    det = cls.load(folders[name], threads=1, batch_size=8)
    rec = _recorded(det.model)
    det.detect(MIXED)
    assert rec.shapes and all(b == 1 for b, _ in rec.shapes)


# --------------------------------------------------------------------------- one-pass export


@pytest.fixture(scope="module")
def onepass(folders: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A tiny student exported with ``distill.export.row_quant`` (and a u8u8 variant)."""
    from bastion_training.export_onepass import export_onepass

    root = tmp_path_factory.mktemp("onepass_row")
    student = tiny_student(folders["base"])
    art = root / "art"
    student.save_pretrained(art / "hf")
    shutil.copyfile(folders["base"] / "tokenizer.json", art / "hf" / "tokenizer.json")
    (art / "distill_summary.json").write_text(
        json.dumps(summary_for(student, max_length=MAX_LENGTH, stride=CONTENT - 32))
    )
    params = {"distill": {"export": {"calibrate": False, "row_quant": True}}}
    manifest = export_onepass(params, art, root / "onepass", variants=["u8u8"])
    return {"folder": root / "onepass", "manifest": manifest, "art": art}


def test_onepass_export_with_row_quant(onepass: dict) -> None:
    m = onepass["manifest"]
    assert m["batch_invariant"] is True and m["row_quant"]["weight_matmuls"] > 0
    assert m["quantization"]["activations"].startswith("u8 per row")
    assert _manifest(onepass["folder"]) == m
    variant = _manifest(onepass["art"] / "variants" / "u8u8")
    assert variant["batch_invariant"] is True and variant["quantization"]["weights"] == "u8"
    assert OnePassModel.load(onepass["art"] / "variants" / "u8u8", threads=1).batch_invariant


def test_onepass_outputs_alone_and_in_a_mixed_batch(onepass: dict) -> None:
    model = OnePassModel.load(onepass["folder"], threads=1, cache_entries=0, batch_size=8)
    assert model.batch_invariant
    rec = _recorded(model)
    together = model.outputs(MIXED)
    assert any(b > 1 for b, _ in rec.shapes)
    for text, got in zip(MIXED, together, strict=True):
        alone = model.outputs([text])[0]
        assert got.windows == alone.windows
        assert np.abs(got.seq_probs - alone.seq_probs).max(initial=0.0) <= FLOAT_NOISE
        assert np.abs(got.token_probs - alone.token_probs).max(initial=0.0) <= FLOAT_NOISE
        # and the one-window-at-a-time path the runtime took before
        enc = alone.encoding
        cases = case_ids(text, enc.offsets, enc.word_ids) if model.use_case else None
        for i, (s, e) in enumerate(alone.windows):
            seq, _ = model._run_window(enc.ids[s:e], cases[s:e] if cases is not None else None)
            assert np.abs(got.seq_probs[i] - softmax(seq.astype(np.float64))).max() <= FLOAT_NOISE


def test_onepass_export_params_are_checked() -> None:
    from bastion.errors import ConfigError
    from bastion_training.config import load_params

    assert OnePassExportParams.from_params({}).row_quant is False
    # the keys params.yaml writes today parse, as written
    written = (load_params("params.yaml").get("distill") or {}).get("export") or {}
    plain = OnePassExportParams.from_mapping(written).to_dict()
    assert all(plain[k] == v for k, v in written.items())
    with pytest.raises(ConfigError, match=r"distill.export: unknown key\(s\) \['row_qaunt'\]"):
        OnePassExportParams.from_params({"distill": {"export": {"row_qaunt": True}}})
    with pytest.raises(ConfigError, match="weights"):
        OnePassExportParams.from_params({"distill": {"export": {"weights": "s4"}}})


# --------------------------------------------------------------------------- separate exports


@pytest.mark.parametrize("task", ["injection", "pii"])
def test_separate_export_with_row_quant(task: str, tmp_path: Path) -> None:
    """``train_injection.row_quant`` / ``train_pii.row_quant``: the export ships a flagged,
    row-quantised graph whose thresholds and parity come from that graph (one short epoch:
    what the model learns does not matter here)."""
    pytest.importorskip("optimum.exporters.onnx")
    from tiny_bert import train_and_export

    if task == "injection":
        from test_injection_model import FILLER
        from test_injection_model import _frame as frame

        words, kw, params = FILLER, {}, {"export": {"opset": 17}}
        settings = {"epochs": 1, "row_quant": True}
    else:
        from test_ner_model import _frame as frame

        words, kw, params = (), {"use_case_features": True}, {}
        settings = {"epochs": 1, "row_quant": True, "min_score": 0.3}
    got = train_and_export(
        tmp_path, task, (frame(48, 1), frame(24, 2)), settings, seed=3, words=words, params=params, **kw
    )
    m = got["manifest"]
    assert m["batch_invariant"] is True and m["row_quant"]["weight_matmuls"] > 0
    assert "per-row" in m["quantization"] and "parity_fp32_vs_int8" in m
    assert _manifest(got["model"]) == m
    assert b"MatMulIntegerToFloat" in (got["model"] / "model.onnx").read_bytes()
    cls = OnnxInjectionDetector if task == "injection" else OnnxNERDetector
    det = cls.load(got["model"], threads=1, batch_size=8)
    assert det.model.batch_invariant
    texts = [str(t) for t in frame(12, 3)["text"]]
    for text, found in zip(texts, det.detect(texts), strict=True):
        alone = det.detect([text])[0]
        assert [(f.label, f.start, f.end) for f in found] == [(f.label, f.start, f.end) for f in alone]
        assert all(abs(a.score - b.score) <= FLOAT_NOISE for a, b in zip(found, alone, strict=True))
