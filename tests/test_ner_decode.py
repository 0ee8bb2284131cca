"""Window merging and BIO decoding of the NER detector, with a fake ONNX session.

The fake "model" tags every token whose word is in a name list as PERSON, seeing only
its window, so these tests check the windowing, merging and offset logic without a
trained network.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from bastion.casefeatures import TITLE
from bastion.detectors.onnx_common import Manifest, OnnxTextModel, length_batches
from bastion.detectors.onnx_ner import (
    OnnxNERDetector,
    SpanPrediction,
    decode_spans,
    merge_windows,
    sliding_windows,
)
from bastion.errors import InputError, ModelLoadError
from bastion.labels import bio_tags
from tokenizers import BertWordPieceTokenizer

TAGS = bio_tags()
B_PER, I_PER = TAGS.index("B-PERSON"), TAGS.index("I-PERSON")
NAMES = {"zed", "quux", "ann", "lee"}


class FakeModel:
    """Stands in for OnnxTextModel: real WordPiece tokenizer and ``feeds``, fake ``run``."""

    def __init__(self, max_length: int = 16, stride: int = 7, case_features: bool = False) -> None:
        wp = BertWordPieceTokenizer(lowercase=True)
        corpus = ["word filler text zed quux ann lee contact met at the office . , 😀 東 京 cafe"]
        wp.train_from_iterator(corpus, vocab_size=120, min_frequency=1)
        self.tokenizer = wp
        self.cls_id, self.sep_id, self.pad_id = (wp.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]"))
        self.name_ids = {wp.token_to_id(n) for n in NAMES}
        extra = {"case_features": True} if case_features else {}
        self.manifest = Manifest(
            "pii", "test-1", "token-classification", TAGS, max_length, stride, {}, {}, extra
        )
        self.input_names = {"input_ids", "attention_mask"} | ({"case_ids"} if case_features else set())
        self.folder = "fake"
        self.stride = stride
        self.batches: list[dict] = []

    content_length = OnnxTextModel.content_length
    windows = OnnxTextModel.windows
    feeds = OnnxTextModel.feeds
    run_rows = OnnxTextModel.run_rows

    def encode(self, texts):
        return self.tokenizer.encode_batch(list(texts), add_special_tokens=False)

    def run(self, feeds):
        self.batches.append(feeds)
        ids = feeds["input_ids"]
        logits = np.zeros((*ids.shape, len(TAGS)), dtype=np.float32)
        logits[..., 0] = 4.0
        is_name = np.isin(ids, list(self.name_ids))
        if "case_ids" in feeds:
            is_name &= feeds["case_ids"] == TITLE  # a cased model: only Title-case names
        prev = np.zeros_like(is_name)
        prev[:, 1:] = is_name[:, :-1]
        logits[is_name & ~prev, B_PER] = 8.0
        logits[is_name & prev, I_PER] = 8.0
        return logits


def _det(**kw) -> OnnxNERDetector:
    return OnnxNERDetector(FakeModel(**kw), batch_size=3)  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [0, 1, 13, 14, 15, 20, 27, 28, 29, 100, 2003])
def test_sliding_windows_match_the_shared_loader(n: int) -> None:
    fake = SimpleNamespace(content_length=14, stride=7, manifest=SimpleNamespace(stride=7))
    wins = sliding_windows(n, 14, 7)
    assert wins == OnnxTextModel.windows(fake, n)
    covered = set()
    for s, e in wins:
        assert e - s <= 14
        covered |= set(range(s, e))
    assert covered == set(range(n))


def test_merge_prefers_the_window_with_most_context() -> None:
    a = np.tile([1.0, 0.0], (6, 1))
    b = np.tile([0.0, 1.0], (6, 1))
    p = merge_windows(9, 2, [(0, 6, a), (3, 9, b)])
    # token 3: 2 from a's right cut vs 0 from b's left cut -> a
    # token 4: 1 vs 1, a tie keeps the earlier window -> a
    # token 5: 0 from a's right cut vs 2 from b's left cut -> b
    # tokens 0-2 and 6-8 are seen by one window only (the text's own ends are no cuts)
    assert p[:, 1].tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 1]


@pytest.mark.parametrize(
    ("text", "offsets", "word_ids", "tags", "expected"),
    [
        # I- without B- starts a span
        ("Ann Lee", [(0, 3), (4, 7)], [0, 1], ["I-PERSON", "I-PERSON"], [("PERSON", 0, 7)]),
        # B- B- of the same label across a word boundary: two entities
        ("Ann Lee", [(0, 3), (4, 7)], [0, 1], ["B-PERSON", "B-PERSON"], [("PERSON", 0, 3), ("PERSON", 4, 7)]),
        # B- on a word-piece continuation: still one word, one span
        ("Annalee", [(0, 3), (3, 7)], [0, 0], ["B-PERSON", "B-PERSON"], [("PERSON", 0, 7)]),
        # last word-piece tagged O: the span still covers the whole word
        ("Smith x", [(0, 2), (2, 5), (6, 7)], [0, 0, 1], ["B-PERSON", "O", "O"], [("PERSON", 0, 5)]),
        # label change inside a run: two spans
        (
            "Ann Paris",
            [(0, 3), (4, 9)],
            [0, 1],
            ["B-PERSON", "I-LOCATION"],
            [("PERSON", 0, 3), ("LOCATION", 4, 9)],
        ),
        # trailing punctuation is stripped, and a span of only punctuation disappears
        ("St. ,", [(0, 2), (2, 3), (4, 5)], [0, 1, 2], ["B-ADDRESS", "I-ADDRESS", "O"], [("ADDRESS", 0, 2)]),
        ("x , y", [(0, 1), (2, 3), (4, 5)], [0, 1, 2], ["O", "B-PERSON", "O"], []),
        ("", [], [], [], []),
        ("nobody here", [(0, 6), (7, 11)], [0, 1], ["O", "O"], []),
    ],
)
def test_decode_spans_table(text, offsets, word_ids, tags, expected) -> None:
    probs = np.full((len(tags), len(TAGS)), 0.01, dtype=np.float32)
    for i, t in enumerate(tags):
        probs[i, TAGS.index(t)] = 0.9
    got = decode_spans(text, offsets, word_ids, probs.reshape(len(tags), len(TAGS)), TAGS)
    assert [(s.label, s.start, s.end) for s in got] == expected
    for s in got:
        assert 0 <= s.start < s.end <= len(text)


def test_decode_thresholds() -> None:
    probs = np.full((2, len(TAGS)), 0.0, dtype=np.float32)
    probs[0, B_PER], probs[0, 0] = 0.55, 0.45
    probs[1, TAGS.index("B-LOCATION")], probs[1, 0] = 0.7, 0.3
    args = ("Ann Rome", [(0, 3), (4, 8)], [0, 1], probs, TAGS)
    assert [s.label for s in decode_spans(*args)] == ["PERSON", "LOCATION"]
    assert [s.label for s in decode_spans(*args, {"default": 0.6})] == ["LOCATION"]
    assert [s.label for s in decode_spans(*args, {"default": 0.5, "LOCATION": 0.8})] == ["PERSON"]
    span = decode_spans(*args)[0]
    assert isinstance(span, SpanPrediction) and span.score == pytest.approx(0.55)


def test_name_at_the_end_of_a_long_text_is_found() -> None:
    det = _det()
    text = "filler word text " * 700 + "contact Zed Quux."
    assert len(det.model.encode([text])[0].ids) > 2000
    found = det.detect([text])[0]
    assert [(f.label, text[f.start : f.end]) for f in found] == [("PERSON", "Zed Quux")]
    assert found[0].end == len(text) - 1 and found[0].detector == "pii_model"


def test_names_across_window_edges_are_whole() -> None:
    det = _det()
    # Many names at varying positions: some straddle window cuts (14 tokens, stride 7).
    text = " ".join(["word", "Ann", "Lee", "text"] * 40)
    found = det.detect([text])[0]
    assert [text[f.start : f.end] for f in found] == ["Ann Lee"] * 40
    assert len(det.model.batches) > 1
    # every window ran as its own unpadded batch of one (dynamic int8 quantisation would
    # otherwise let one window's batch-mates and padding move its scores)
    assert all(f["input_ids"].shape[0] == 1 and f["attention_mask"].all() for f in det.model.batches)


def test_batch_of_texts_equals_singles_and_sorted_batches() -> None:
    det = _det()
    texts = ["met Ann at the office", "", "word " * 60 + "Lee", "😀 東京 Zed", "cafe\u0301 Ann"]
    batch = det.detect(texts)
    assert batch == [det.detect([t])[0] for t in texts]
    assert batch[1] == []
    assert [texts[0][f.start : f.end] for f in batch[0]] == ["Ann"]
    assert [texts[3][f.start : f.end] for f in batch[3]] == ["Zed"]
    assert [texts[4][f.start : f.end] for f in batch[4]] == ["Ann"]


def test_case_ids_are_fed_when_the_manifest_says_so() -> None:
    det = _det(case_features=True)
    found = det.detect(["met Ann at the office, and ann too"])[0]
    assert [f.label for f in found] == ["PERSON"] and found[0].start == 4
    feeds = det.model.batches[-1]
    assert feeds["case_ids"].shape == feeds["input_ids"].shape
    assert feeds["case_ids"][0, 0] == 0  # [CLS]


def test_manifest_graph_mismatch_is_a_load_error() -> None:
    model = FakeModel(case_features=True)
    model.input_names = {"input_ids", "attention_mask"}
    with pytest.raises(ModelLoadError):
        OnnxNERDetector(model)  # type: ignore[arg-type]
    bad = FakeModel()
    bad.manifest = Manifest("pii", "1", "token-classification", ("PERSON",), 16, 7, {})
    with pytest.raises(ModelLoadError):
        OnnxNERDetector(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    ["\x00\x01\x02", "\udcff\udcfe Ann", "😀" * 300, "\u0301\u0301 Lee", "a" * 5000, "\n\t \r"],
)
def test_odd_input_gives_sane_results(text: str) -> None:
    for f in _det().detect([text])[0]:
        assert 0 <= f.start < f.end <= len(text)
        assert text[f.start : f.end].strip()


def test_non_str_is_an_input_error() -> None:
    with pytest.raises(InputError):
        _det().detect([None])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("label", "value", "keep"),
    [
        ("CREDIT_CARD", "4111 1111 1111 1111", True),
        ("CREDIT_CARD", "4111 1111 1111 1112", False),  # Luhn-invalid digits never pass
        ("CREDIT_CARD", "4943640672948786", False),
        ("CREDIT_CARD", "three four eight eight eight one zero seven", True),  # spelled out
        ("IBAN_CODE", "DE89 3704 0044 0532 0130 00", True),
        ("IBAN_CODE", "DE89 3704 0044 0532 0130 01", False),  # mod-97 fails
        ("IBAN_CODE", "sha256 a1d5757966e8", False),
        ("US_SSN", "536-22-1987", True),
        ("US_SSN", "666-12-3456", False),
        ("US_SSN", "one two three", True),
        ("PHONE_NUMBER", "61677", False),  # too short for any phone
        ("PHONE_NUMBER", "+44 20 7946 0958", True),
        ("PHONE_NUMBER", "nine eight nine four two one", True),
        ("IP_ADDRESS", "10.0.0.300", False),
        ("IP_ADDRESS", "2001:db8::1", True),
        ("PERSON", "Jane Doe", True),
    ],
)
def test_plausible_structured_values(label, value, keep):
    from bastion.detectors.onnx_ner import plausible

    assert plausible(label, value) is keep


@pytest.mark.parametrize(
    ("lengths", "max_batch", "expected"),
    [
        ([], 8, []),
        ([7], 8, [[0]]),
        ([5, 50, 6, 52, 5], 8, [[0, 4, 2], [1, 3]]),
        ([10] * 5, 2, [[0, 1], [2, 3], [4]]),
        ([0, 0, 3], 4, [[0, 1], [2]]),  # empty rows still take a position
    ],
)
def test_length_batches_table(lengths, max_batch, expected):
    assert length_batches(lengths, max_batch) == expected


@pytest.mark.parametrize("seed", range(5))
def test_length_batches_cover_every_row_once_and_bound_padding(seed):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 256, size=200).tolist()
    batches = length_batches(lengths, 16, max_padding=0.15)
    assert sorted(i for b in batches for i in b) == list(range(200))
    for b in batches:
        assert 1 <= len(b) <= 16
        width = max(lengths[i] for i in b)
        real = sum(lengths[i] for i in b)
        assert len(b) == 1 or real >= (1 - 0.15) * width * len(b)
