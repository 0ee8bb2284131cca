"""The one-pass model end to end on a tiny random two-headed student: export (fp32 check,
int8) → ``OnePassModel`` → the two detectors a Guard takes.

What must hold: the runtime's outputs are the torch model's (exactly in fp32, within int8
noise after quantisation); the encoder runs once per text for BOTH detectors, whichever
asks first; a text's outputs never depend on its batch; long texts are windowed like the
separate models; a missing folder gives ``None`` and a broken one a ``ModelLoadError``.
"""

from __future__ import annotations

import contextvars
import json
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from helpers_run import run_threads

pytest.importorskip("torch")
pytest.importorskip("onnxruntime.quantization")

from bastion import Guard  # noqa: E402
from bastion.casefeatures import case_ids  # noqa: E402
from bastion.detectors.base import Detector  # noqa: E402
from bastion.detectors.onepass import OnePassModel, load_onepass_detectors  # noqa: E402
from bastion.detectors.onnx_common import sliding_windows  # noqa: E402
from bastion.detectors.onnx_ner import merge_windows  # noqa: E402
from bastion.detectors.text_cache import call_scope  # noqa: E402
from bastion.errors import InputError, ModelLoadError  # noqa: E402
from bastion.types import Finding  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from onepass_tiny import CORPUS, exported_student  # noqa: E402

MAX_LENGTH, STRIDE = 32, 16
CONTENT = MAX_LENGTH - 2
LONG = " ".join(CORPUS)  # several windows of CONTENT tokens


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Tiny student → export_onepass (int8 to models/onepass, a u8u8 variant) + an fp32 folder."""
    from bastion_training.export_onepass import write_onepass_folder

    root = tmp_path_factory.mktemp("onepass")
    base, student, art, manifest = exported_student(
        root, max_length=MAX_LENGTH, stride=STRIDE, variants=("u8u8",)
    )
    fp32 = root / "fp32"
    write_onepass_folder(
        fp32, art / "onnx_fp32" / "model.onnx", base / "tokenizer.json", {**manifest, "version": None}
    )
    return {
        "root": root,
        "student": student,
        "int8": root / "models" / "onepass",
        "fp32": fp32,
        "manifest": manifest,
        "art": art,
    }


class CountingSession:
    """Wraps an onnxruntime session and counts ``run`` calls (one per window run)."""

    def __init__(self, session) -> None:
        self._session = session
        self.calls = 0
        self._lock = threading.Lock()

    def run(self, *args, **kwargs):
        with self._lock:
            self.calls += 1
        return self._session.run(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._session, name)


def _counted(folder: Path, **kw) -> tuple[OnePassModel, CountingSession]:
    model = OnePassModel.load(folder, threads=1, **kw)
    counter = CountingSession(model.session)
    model.session = counter
    return model, counter


def _n_windows(model: OnePassModel, texts: list[str]) -> int:
    return sum(len(sliding_windows(n, model.content_length, model.stride)) for n in model.count_tokens(texts))


def _torch_probs(built: dict, text: str) -> tuple[float, np.ndarray]:
    """Injection probability and per-content-token tag probabilities from the torch student."""
    import torch

    model = OnePassModel.load(built["fp32"], threads=1, cache_entries=0)
    enc = model.encode([text])[0]
    assert len(enc.ids) <= CONTENT, "a one-window text"
    ids = torch.tensor([[model.cls_id, *enc.ids, model.sep_id]])
    case = torch.tensor([[0, *case_ids(text, enc.offsets, enc.word_ids), 0]])
    with torch.no_grad():
        seq, tok, _ = built["student"](ids, torch.ones_like(ids), case)
    return float(torch.softmax(seq, -1)[0, 1]), torch.softmax(tok, -1)[0, 1:-1].numpy()


SHORT = [CORPUS[0], CORPUS[1], CORPUS[3], "McDonald met JOHN in Rome."]


@pytest.mark.parametrize(
    ("folder", "score_tol", "prob_tol", "min_agreement"),
    [("fp32", 1e-4, 1e-4, 1.0), ("int8", 0.08, 0.15, 0.95)],
)
def test_outputs_match_the_torch_student(built, folder, score_tol, prob_tol, min_agreement) -> None:
    inj, pii = OnePassModel.load(built[folder], threads=1).detectors()
    for text in SHORT:
        want_score, want_probs = _torch_probs(built, text)
        score = inj.scores([text])[0][0]
        (_, probs) = pii.token_probs([text])[0]
        assert abs(score - want_score) <= score_tol, (folder, text, score, want_score)
        assert probs.shape == want_probs.shape
        assert float(np.abs(probs - want_probs).max()) <= prob_tol, (folder, text)
        assert float((probs.argmax(-1) == want_probs.argmax(-1)).mean()) >= min_agreement, (folder, text)


def test_outputs_are_not_uniform(built) -> None:
    """Guards the tolerance test: near-uniform outputs would match anything within 0.2."""
    _, want = _torch_probs(built, CORPUS[0])
    assert float(want.max(-1).mean()) > 0.6


def test_manifest_describes_both_heads(built) -> None:
    m = built["manifest"]
    assert m["type"] == "onepass" and m["labels"] == ["injection", "pii"]
    assert m["heads"]["injection"]["labels"] == ["BENIGN", "INJECTION"]
    assert m["heads"]["pii"]["labels"][0] == "O" and m["heads"]["pii"]["case_features"] is True
    assert m["quantization"]["weights"] == "s8"
    assert m["quantization"]["per_channel"] and m["quantization"]["reduce_range"]
    assert set(m["teachers"]) == {"injection", "pii"}
    assert m["parity_fp32_vs_int8"]["token_argmax_agreement"] > 0.9
    variant = json.loads((built["art"] / "variants" / "u8u8" / "manifest.json").read_text())
    assert variant["quantization"]["weights"] == "u8" and variant["version"] != m["version"]
    OnePassModel.load(built["art"] / "variants" / "u8u8", threads=1)  # loadable for the benchmark


def test_graph_has_two_named_outputs(built) -> None:
    model = OnePassModel.load(built["int8"], threads=1)
    outs = {o.name: len(o.shape) for o in model.session.get_outputs()}
    assert outs == {"seq_logits": 2, "token_logits": 3}
    assert {i.name for i in model.session.get_inputs()} == {"input_ids", "attention_mask", "case_ids"}


@pytest.mark.parametrize("first", ["injection", "pii", "guard"])
@pytest.mark.parametrize("texts", [[CORPUS[0]], [CORPUS[1], CORPUS[2], CORPUS[1]], [LONG, CORPUS[3]]])
def test_encoder_runs_once_per_text_for_both_detectors(built, first: str, texts: list[str]) -> None:
    model, counter = _counted(built["int8"])
    inj, pii = model.detectors()
    if first == "guard":
        Guard([pii, inj]).check_many(texts)
    else:
        a, b = (inj, pii) if first == "injection" else (pii, inj)
        with call_scope():  # one call, as a Guard check opens
            a.detect(texts)
            b.detect(texts)
    assert counter.calls == _n_windows(model, list(dict.fromkeys(texts)))
    # nothing is kept across calls (s33 H1: a hit would be a timing oracle across callers)
    inj.detect(texts)
    assert counter.calls == 2 * _n_windows(model, list(dict.fromkeys(texts)))


def test_without_the_cache_each_detector_runs_the_encoder(built) -> None:
    """The count above can fail: with the cache off, the two detectors cost two passes."""
    model, counter = _counted(built["int8"], cache_entries=0)
    inj, pii = model.detectors()
    inj.detect([CORPUS[0]])
    pii.detect([CORPUS[0]])
    assert counter.calls == 2 * _n_windows(model, [CORPUS[0]])


def test_guard_takes_the_detectors_unchanged(built) -> None:
    inj, pii = load_onepass_detectors(built["root"] / "models", threads=1)
    assert isinstance(inj, Detector) and isinstance(pii, Detector)
    guard = Guard([EmailRule(), pii, inj])
    r = guard.check(CORPUS[0] + " Mail jane@example.com")
    version = "onepass-" + built["manifest"]["version"]
    assert dict(r.model_versions) == {"injection_model": version, "pii_model": version}
    assert r.injection_score is not None and r.injection_threshold == 0.5
    assert any(f.detector == "regex" and f.label == "EMAIL_ADDRESS" for f in r.pii)
    assert pii.thresholds == {"default": 0.3, "PERSON": 0.35}
    assert inj.thresholds == {"default": 0.5, "strict": 0.9}
    # the model's spans go through the same decoding, validation and explanation as OnnxNERDetector
    found = pii.detect([CORPUS[0]])[0]
    assert found and all(f.explanation["model"] == "pii_model" for f in found)


class EmailRule:
    """A rules detector next to the model ones, as Guard.default puts the regex recognizers."""

    name, category, version, kind = "regex", "pii", "1", "rules"

    def detect(self, texts):
        return [
            [Finding("EMAIL_ADDRESS", m.start(), m.end(), 1.0, self.name) for m in re.finditer(r"\S+@\S+", t)]
            for t in texts
        ]


COMPANIONS = [CORPUS[2], "hi", LONG, CORPUS[5] * 2]


@pytest.mark.parametrize("cache_entries", [0, 64])
@pytest.mark.parametrize("text", [CORPUS[1], LONG])
def test_outputs_do_not_depend_on_the_batch(built, cache_entries: int, text: str) -> None:
    inj, pii = OnePassModel.load(built["int8"], threads=1, cache_entries=cache_entries).detectors()
    alone_score = inj.scores([text])[0]
    alone_probs = pii.token_probs([text])[0][1]
    alone_found = (inj.detect([text])[0], pii.detect([text])[0])
    others = [c for c in COMPANIONS if c != text]
    for batch in [[text, *others], [*others, text], [others[0], text, others[-1]], [text] * 3]:
        scores, probs = inj.scores(batch), pii.token_probs(batch)
        found = list(zip(inj.detect(batch), pii.detect(batch), strict=True))
        for t, s, (_, p), f in zip(batch, scores, probs, found, strict=True):
            if t == text:
                assert s == alone_score and np.array_equal(p, alone_probs) and f == alone_found, batch


def test_long_text_is_windowed_like_the_separate_models(built) -> None:
    model, counter = _counted(built["int8"], cache_entries=0)
    inj, pii = model.detectors()
    enc = model.encode([LONG])[0]
    windows = sliding_windows(len(enc.ids), CONTENT, STRIDE)
    assert len(windows) >= 3 and model.stride == STRIDE
    score, cs, ce = inj.scores([LONG])[0]
    assert counter.calls == len(windows)
    cases = case_ids(LONG, enc.offsets, enc.word_ids)
    from bastion.detectors.onnx_common import softmax

    outs = [model._run_window(enc.ids[s:e], cases[s:e]) for s, e in windows]
    seq = [float(softmax(o[0].astype(np.float64))[1]) for o in outs]
    best = int(np.argmax(seq))
    s, e = windows[best]
    assert score == seq[best] and (cs, ce) == (enc.offsets[s][0], enc.offsets[e - 1][1])
    parts = [
        (s, e, softmax(o[1].astype(np.float64))[1 : e - s + 1])
        for (s, e), o in zip(windows, outs, strict=True)
    ]
    probs = pii.token_probs([LONG])[0][1]
    assert np.array_equal(probs, merge_windows(len(enc.ids), len(pii.tags), parts))
    assert np.allclose(probs.sum(-1), 1.0, atol=1e-5)  # every token got a prediction


def test_cache_is_bounded_and_recomputes_after_eviction(built) -> None:
    model, counter = _counted(built["int8"], cache_entries=2)
    inj, _ = model.detectors()
    with call_scope():
        inj.detect(CORPUS[:3])
        assert len(model._cache) == 2 and CORPUS[0] not in model._cache
        before = counter.calls
        inj.detect([CORPUS[2]])  # cached
        assert counter.calls == before
        inj.detect([CORPUS[0]])  # evicted: runs again
        assert counter.calls == before + 1
    tiny_budget, _ = _counted(built["int8"], cache_tokens=1)
    with call_scope():
        tiny_budget.outputs([CORPUS[0], LONG])
        assert list(tiny_budget._cache) == [LONG]  # the newest stays even over the token bound


def test_cached_arrays_are_read_only(built) -> None:
    _, pii = OnePassModel.load(built["int8"], threads=1).detectors()
    probs = pii.token_probs([CORPUS[0]])[0][1]
    with pytest.raises(ValueError):
        probs[0, 0] = 1.0


def test_threads_share_one_pass_per_text(built) -> None:
    model, counter = _counted(built["int8"])
    inj, pii = model.detectors()
    texts = [CORPUS[0], CORPUS[1], LONG, CORPUS[4]]
    want_scores = OnePassModel.load(built["int8"], threads=1, cache_entries=0).detectors()[0].scores(texts)
    results: list = []
    errors: list = []

    def work(det) -> None:
        try:
            results.append(det.scores(texts) if det is inj else det.detect(texts))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    with call_scope():  # the threads of one call, each in a copy of its context
        run_threads(
            lambda det, ctx: ctx.run(work, det),
            [(inj if i % 2 else pii, contextvars.copy_context()) for i in range(8)],
        )
    assert not errors
    assert all(r == want_scores for r in results if isinstance(r[0], tuple))
    assert counter.calls == _n_windows(model, texts)


def test_non_str_is_an_input_error(built) -> None:
    inj, pii = OnePassModel.load(built["int8"], threads=1).detectors()
    for det in (inj, pii):
        with pytest.raises(InputError):
            det.detect([b"bytes"])  # type: ignore[list-item]


def test_missing_folder_gives_none(tmp_path: Path) -> None:
    assert load_onepass_detectors(tmp_path) is None
    (tmp_path / "onepass").mkdir()
    assert load_onepass_detectors(tmp_path) is None


def _edit_heads(m: dict, head: str, **changes) -> dict:
    m["heads"][head] = {**m["heads"][head], **changes}
    return m


BROKEN = {
    "wrong type": lambda m: {**m, "type": "text-classification"},
    "no pii head": lambda m: {**m, "heads": {"injection": m["heads"]["injection"]}},
    "no such output": lambda m: _edit_heads(m, "pii", output="tags"),
    "tag count": lambda m: _edit_heads(m, "pii", labels=[*m["heads"]["pii"]["labels"], "B-EXTRA"]),
    "class count": lambda m: _edit_heads(m, "injection", labels=["BENIGN", "X", "INJECTION"]),
    "no INJECTION label": lambda m: _edit_heads(m, "injection", labels=["BENIGN", "ATTACK"]),
    "case features off": lambda m: _edit_heads(m, "pii", case_features=False),
    "sha256": lambda m: {**m, "files": {**m["files"], "model.onnx": "0" * 64}},
}


@pytest.mark.parametrize("breakage", sorted(BROKEN))
def test_broken_folder_is_a_model_load_error(built, tmp_path: Path, breakage: str) -> None:
    folder = tmp_path / "onepass"
    shutil.copytree(built["int8"], folder)
    m = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps(BROKEN[breakage](m)))
    with pytest.raises(ModelLoadError):
        load_onepass_detectors(tmp_path, threads=1)


def test_import_loads_nothing() -> None:
    probe = (
        "import sys, bastion.detectors.onepass as o; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('onnxruntime', 'tokenizers', 'torch')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"


# -- the Guard builder (bastion.config.shipped_parts) ------------------------------------------


def test_default_guard_uses_the_onepass_model_when_shipped(built) -> None:
    guard = Guard.default(built["root"] / "models", threads=1)
    kinds = sorted(type(d).__name__ for d in guard.detectors)
    assert kinds == ["OnePassInjectionDetector", "OnePassPIIDetector", "RegexPIIDetector"]
    r = guard.check(CORPUS[0])
    assert not r.degraded and r.injection_score is not None


def test_default_guard_with_one_task_uses_the_separate_path(built) -> None:
    # a one-task guard has no second head to share the pass with
    guard = Guard.default(built["root"] / "models", tasks=("pii",))
    assert not any(type(d).__name__.startswith("OnePass") for d in guard.detectors)


def test_broken_onepass_falls_back_to_the_separate_models(built, tmp_path: Path, caplog) -> None:
    models = tmp_path / "models"
    shutil.copytree(built["int8"], models / "onepass")
    (models / "onepass" / "model.onnx").write_bytes(b"not a model")
    guard = Guard.default(models)
    assert not any(type(d).__name__.startswith("OnePass") for d in guard.detectors)
    assert "one-pass model unusable" in caplog.text
    with pytest.raises(ModelLoadError):
        Guard.default(models, on_model_error="raise")


def test_injection_evaluation_scores_a_onepass_folder_with_its_own_heads(built) -> None:
    # evaluate_injection --model models/onepass must measure the student, not a separate model
    from bastion_training.evaluate_injection import model_detectors

    inj, pii, clear = model_detectors(built["int8"])
    assert (type(inj).__name__, type(pii).__name__) == ("OnePassInjectionDetector", "OnePassPIIDetector")
    direct, _ = OnePassModel.load(built["int8"]).detectors()
    assert inj.detect([CORPUS[1]])[0][0].score == pytest.approx(
        direct.detect([CORPUS[1]])[0][0].score, abs=1e-9
    )
    with call_scope():
        inj.detect([CORPUS[1]])
        before = len(inj.model._cache)
        clear()
        assert before >= 1 and len(inj.model._cache) == 0
