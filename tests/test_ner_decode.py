"""Window merging and BIO decoding of the NER detector, with a fake ONNX session.

The fake "model" tags every token whose word is in a name list as PERSON, seeing only
its window, so these tests check the windowing, merging and offset logic without a
trained network.
"""

from __future__ import annotations

import re
from pathlib import Path
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
from bastion.detectors.spans import NAME_LABELS, WordIndex
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
        ("CREDIT_CARD", "D123-4567-8901", False),  # a driver licence, not a card
        ("US_SSN", "A12-34-5678", False),
        ("EMAIL_ADDRESS", "@", False),  # the model's stray tag inside a connection string
        ("EMAIL_ADDRESS", "admin@db", False),  # no dotted domain
        ("EMAIL_ADDRESS", "jane+tag@example.com", True),
        ("EMAIL_ADDRESS", "jane dot doe at example dot com", True),  # spelled out
        ("EMAIL_ADDRESS", "jane@@example.com", False),
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


# --- word-aware span decoding (issue 13, item 2) ------------------------------------------
#
# Each case is a text and its tokens as (piece, tag) or (piece, tag, probability): a piece
# written "##x" continues the previous word (a WordPiece continuation), any other piece
# starts a new tokenizer word. Offsets are found left to right in the text.


def _tokens(text: str, spec: list[tuple]) -> tuple[list[tuple[int, int]], list[int], np.ndarray]:
    offsets: list[tuple[int, int]] = []
    word_ids: list[int] = []
    probs = np.full((len(spec), len(TAGS)), 0.0, dtype=np.float64)
    pos, word = 0, -1
    for i, (piece, tag, *p) in enumerate(spec):
        cont = piece.startswith("##")
        piece = piece[2:] if cont else piece
        start = text.index(piece, pos)
        assert not cont or start == pos, f"continuation {piece!r} must follow its word"
        word += 0 if cont else 1
        offsets.append((start, start + len(piece)))
        word_ids.append(word)
        pos = start + len(piece)
        conf = p[0] if p else 0.9
        probs[i, :] = (1.0 - conf) / (len(TAGS) - 1)
        probs[i, TAGS.index(tag)] = conf
    return offsets, word_ids, probs


def _decode(text: str, spec: list[tuple], thresholds: dict[str, float] | None = None):
    offsets, word_ids, probs = _tokens(text, spec)
    return decode_spans(text, offsets, word_ids, probs, TAGS, thresholds)


def _spans(text: str, spec: list[tuple]) -> list[tuple[str, str]]:
    return [(s.label, text[s.start : s.end]) for s in _decode(text, spec)]


NO, BP, IP = "O", "B-PERSON", "I-PERSON"
BL, IL = "B-LOCATION", "I-LOCATION"
BO, IO = "B-ORGANIZATION", "I-ORGANIZATION"
BA, IA = "B-ADDRESS", "I-ADDRESS"
BPH, IPH = "B-PHONE_NUMBER", "I-PHONE_NUMBER"


@pytest.mark.parametrize(
    ("text", "spec", "expected"),
    [
        # the surname's last piece tagged O: the whole word is the name
        (
            "Ask Jane Doe.",
            [("Ask", NO), ("Jane", BP), ("Do", IP), ("##e", NO), (".", NO)],
            [("PERSON", "Jane Doe")],
        ),
        # a span that starts on a continuation piece is widened back to its word
        ("Hi Annalee", [("Hi", NO), ("Anna", NO), ("##lee", IP)], [("PERSON", "Annalee")]),
        (
            "call Janeway now",
            [("call", NO), ("Jane", BP), ("##way", NO), ("now", NO)],
            [("PERSON", "Janeway")],
        ),
        # apostrophes and capitalised hyphen parts are inside one word of the text
        (
            "Call O'Brien-Smith now",
            [("Call", NO), ("O", BP), ("'", IP), ("Brien", IP), ("-", NO), ("Smith", BP), ("now", NO)],
            [("PERSON", "O'Brien-Smith")],
        ),
        (
            "Talk to Jean-Luc.",
            [("Talk", NO), ("to", NO), ("Jean", NO), ("-", NO), ("Luc", BP), (".", NO)],
            [("PERSON", "Jean-Luc")],
        ),
        # ... but a lower-case part after a hyphen is another word, and so is a label after a number
        (
            "Desk: 555-0100-Fax",
            [
                ("Desk", NO),
                (":", NO),
                ("555", "B-PHONE_NUMBER"),
                ("-", "I-PHONE_NUMBER"),
                ("0100", "I-PHONE_NUMBER"),
                ("-", "I-PHONE_NUMBER"),
                ("Fax", "B-PERSON"),
            ],
            [("PHONE_NUMBER", "555-0100"), ("PERSON", "Fax")],
        ),  # fmt: skip
        (
            "a Paris-based firm",
            [("a", NO), ("Paris", BL), ("-", NO), ("based", NO), ("firm", NO)],
            [("LOCATION", "Paris")],
        ),
        # initialisms keep their dots, the last one included
        (
            "in the U.S. today",
            [("in", NO), ("the", NO), ("U", BL), (".", NO), ("S", BL), (".", NO), ("today", NO)],
            [("LOCATION", "U.S.")],
        ),
        # pieces of one word tagged with two labels: one span, the label with more probability
        (
            "Meet Johansson.",
            [("Meet", NO), ("Johan", BP, 0.95), ("##ss", IL, 0.5), ("##on", IP, 0.95), (".", NO)],
            [("PERSON", "Johansson")],
        ),
        # each CJK ideograph is a word: no widening across them
        ("见张伟", [("见", NO), ("张", BP), ("伟", IP)], [("PERSON", "张伟")]),
        # kana too, so a phone number is not widened over the particle and copula around it
        (
            "電話は090-1234-5678です",
            [
                ("電話は", NO),
                ("090", BPH),
                ("-", IPH),
                ("1234", IPH),
                ("-", IPH),
                ("5678", IPH),
                ("です", NO),
            ],
            [("PHONE_NUMBER", "090-1234-5678")],
        ),  # fmt: skip
        (
            "田中さんに",
            [("田中", BP), ("さんに", NO)],
            [("PERSON", "田中")],
        ),
        # a Hangul or Thai run ends where digits begin
        (
            "번호 010-1234-5678입니다",
            [
                ("번호", NO),
                ("010", BPH),
                ("-", IPH),
                ("1234", IPH),
                ("-", IPH),
                ("5678", IPH),
                ("입니다", NO),
            ],
            [("PHONE_NUMBER", "010-1234-5678")],
        ),  # fmt: skip
        ("โทร0812345678", [("โทร", NO), ("0812345678", BPH)], [("PHONE_NUMBER", "0812345678")]),
        # a middle initial the model left out joins the two parts of the name
        (
            "Juliusz A Kwiatkowski lives here",
            [("Juliusz", BP), ("A", NO), ("Kwiatkowski", BP), ("lives", NO), ("here", NO)],
            [("PERSON", "Juliusz A Kwiatkowski")],
        ),
        # two B- of the same label over words are still two spans without an initial between
        ("Ann Lee", [("Ann", BP), ("Lee", BP)], [("PERSON", "Ann"), ("PERSON", "Lee")]),
    ],
)
def test_spans_are_whole_words(text, spec, expected) -> None:
    assert _spans(text, spec) == expected


@pytest.mark.parametrize(
    ("text", "spec", "expected"),
    [
        # elision + verb of naming swallowed by the model
        (
            "je m'appelle Marie Dupont",
            [("je", NO), ("m", BP), ("'", IP), ("appelle", IP), ("Marie", IP), ("Dupont", IP)],
            [("PERSON", "Marie Dupont")],
        ),
        (
            "ich heiße Hans Müller",
            [("ich", NO), ("heiße", BP), ("Hans", IP), ("Müller", IP)],
            [("PERSON", "Hans Müller")],
        ),
        # sentence-initial imperative
        ("Ask Jane Doe.", [("Ask", BP), ("Jane", IP), ("Doe", IP), (".", NO)], [("PERSON", "Jane Doe")]),
        (
            "me llamo Carlos García",
            [("me", BP), ("llamo", IP), ("Carlos", IP), ("García", IP)],
            [("PERSON", "Carlos García")],
        ),
        (
            "mi chiamo Giulia Rossi",
            [("mi", NO), ("chiamo", BP), ("Giulia", IP), ("Rossi", IP)],
            [("PERSON", "Giulia Rossi")],
        ),
        (
            "eu sou João Silva",
            [("eu", NO), ("sou", BP), ("João", IP), ("Silva", IP)],
            [("PERSON", "João Silva")],
        ),
        ("ik heet Jan Smit", [("ik", NO), ("heet", BP), ("Jan", IP), ("Smit", IP)], [("PERSON", "Jan Smit")]),
        (
            "benim adım Ali Kaya",
            [("benim", BP), ("adım", IP), ("Ali", IP), ("Kaya", IP)],
            [("PERSON", "Ali Kaya")],
        ),
        (
            "My name is Jane Doe",
            [("My", BP), ("name", IP), ("is", IP), ("Jane", IP), ("Doe", IP)],
            [("PERSON", "Jane Doe")],
        ),
        # trailing copula
        ("Jane Doe is here", [("Jane", BP), ("Doe", IP), ("is", IP), ("here", NO)], [("PERSON", "Jane Doe")]),
        # lower-cased text: the table still applies, case cannot
        (
            "ich heiße hans müller",
            [("ich", NO), ("heiße", BP), ("hans", IP), ("müller", IP)],
            [("PERSON", "hans müller")],
        ),
        # ... but words that are also names stay there ("ben" is Dutch "am", and Ben)
        (
            "who played ben stone in it",
            [("played", NO), ("ben", BP), ("stone", IP), ("in", IP)],
            [("PERSON", "ben stone")],
        ),
        ("met li na", [("met", NO), ("li", BP), ("na", IP)], [("PERSON", "li na")]),
        ("Met Li Na", [("Met", NO), ("Li", BP), ("Na", IP)], [("PERSON", "Li Na")]),
        ("ik ben Jan Smit", [("ik", NO), ("ben", BP), ("Jan", IP), ("Smit", IP)], [("PERSON", "Jan Smit")]),
        # people's names are capitalised: lower-case edge words go (a demonym, a verb) ...
        (
            "el venezolano Jaime Lusinchi dijo",
            [("el", NO), ("venezolano", BP), ("Jaime", IP), ("Lusinchi", IP), ("dijo", IP)],
            [("PERSON", "Jaime Lusinchi")],
        ),
        # ... except surname particles before a surname
        ("asked de Gaulle", [("asked", NO), ("de", BP), ("Gaulle", IP)], [("PERSON", "de Gaulle")]),
        (
            "by Vincent van Gogh",
            [("by", NO), ("Vincent", BP), ("van", IP), ("Gogh", IP)],
            [("PERSON", "Vincent van Gogh")],
        ),
        (
            "a play van William Shakespeare",
            [("van", BP), ("William", IP), ("Shakespeare", IP)],
            [("PERSON", "William Shakespeare")],
        ),
        # Capitalised words that are names, not function words
        ("Ben Stiller", [("Ben", BP), ("Stiller", IP)], [("PERSON", "Ben Stiller")]),
        ("in El Salvador", [("in", NO), ("El", BL), ("Salvador", IL)], [("LOCATION", "El Salvador")]),
        ("to The Hague", [("to", NO), ("The", BL), ("Hague", IL)], [("LOCATION", "The Hague")]),
        ("moro em São Paulo", [("em", NO), ("São", BL), ("Paulo", IL)], [("LOCATION", "São Paulo")]),
        ("at MIT", [("at", NO), ("MIT", BO)], [("ORGANIZATION", "MIT")]),
        # places and organisations lose articles and prepositions
        ("in der Schweiz", [("in", BL), ("der", IL), ("Schweiz", IL)], [("LOCATION", "Schweiz")]),
        ("a história da Índia", [("história", NO), ("da", BL), ("Índia", IL)], [("LOCATION", "Índia")]),
        ("l'Italie est belle", [("l", BL), ("'", IL), ("Italie", IL), ("est", IL)], [("LOCATION", "Italie")]),
        (
            "joined the United Nations",
            [("joined", NO), ("the", BO), ("United", IO), ("Nations", IO)],
            [("ORGANIZATION", "United Nations")],
        ),
        # a name of only function words is no name
        ("is and the", [("is", BP), ("and", IP), ("the", IP)], []),
        # addresses and structured values keep their words
        (
            "the corner of Main St and 5th Ave",
            [
                ("the", BA),
                ("corner", IA),
                ("of", IA),
                ("Main", IA),
                ("St", IA),
                ("and", IA),
                ("5th", IA),
                ("Ave", IA),
            ],
            [("ADDRESS", "the corner of Main St and 5th Ave")],
        ),
        (
            "call (555) 010-0199.",
            [
                ("call", NO),
                ("(", "B-PHONE_NUMBER"),
                ("555", "I-PHONE_NUMBER"),
                (")", "I-PHONE_NUMBER"),
                ("010", "I-PHONE_NUMBER"),
                ("-", "I-PHONE_NUMBER"),
                ("0199", "I-PHONE_NUMBER"),
                (".", "I-PHONE_NUMBER"),
            ],
            [("PHONE_NUMBER", "(555) 010-0199")],
        ),  # fmt: skip
    ],
)
def test_names_lose_function_words_at_their_edges(text, spec, expected) -> None:
    assert _spans(text, spec) == expected


@pytest.mark.parametrize(
    ("text", "spec", "expected"),
    [
        (
            "Portland\nPart",
            [("Portland", BL), ("Part", IL)],
            [("LOCATION", "Portland"), ("LOCATION", "Part")],
        ),
        (
            "Jane Doe\r\nBob Lee",
            [("Jane", BP), ("Doe", IP), ("Bob", IP), ("Lee", IP)],
            [("PERSON", "Jane Doe"), ("PERSON", "Bob Lee")],
        ),
        (
            "Acme\u2028Corp",
            [("Acme", BO), ("Corp", IO)],
            [("ORGANIZATION", "Acme"), ("ORGANIZATION", "Corp")],
        ),
        # a postal block stays one span
        (
            "12 Main Street\nPortland, OR 97201",
            [
                ("12", BA),
                ("Main", IA),
                ("Street", IA),
                ("Portland", IA),
                (",", IA),
                ("OR", IA),
                ("97201", IA),
            ],
            [("ADDRESS", "12 Main Street\nPortland, OR 97201")],
        ),
    ],
)
def test_spans_never_cross_a_line_break_except_addresses(text, spec, expected) -> None:
    assert _spans(text, spec) == expected


def _all_person(text: str) -> list[tuple]:
    """Every word of ``text`` tagged PERSON (B on the first), as a model that swallows the
    coordinator would."""
    words = text.split()
    return [(w, BP if i == 0 else IP) for i, w in enumerate(words)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jane Doe and Bob Lee", ["Jane Doe", "Bob Lee"]),
        ("Hans und Grete Müller", ["Hans", "Grete Müller"]),
        ("Marie Dupont et Jean Martin", ["Marie Dupont", "Jean Martin"]),
        ("Carlos García y Ana López", ["Carlos García", "Ana López"]),
        ("Giulia Rossi e Marco Bianchi", ["Giulia Rossi", "Marco Bianchi"]),
        ("Jan Smit en Piet Jansen", ["Jan Smit", "Piet Jansen"]),
        ("Jan Kowalski i Anna Nowak", ["Jan Kowalski", "Anna Nowak"]),
        ("Иван Петров и Анна Смирнова", ["Иван Петров", "Анна Смирнова"]),
        ("Jane Doe & Bob Lee", ["Jane Doe", "Bob Lee"]),
        ("JANE DOE AND BOB LEE", ["JANE DOE", "BOB LEE"]),
        # capital single letters are initials, not "and"/"or"
        ("John E Smith", ["John E Smith"]),
        ("Anna I Petrova", ["Anna I Petrova"]),
    ],
)
def test_coordinated_names_are_split(text, expected) -> None:
    got = _spans(text, _all_person(text))
    assert got == [("PERSON", e) for e in expected]


@pytest.mark.parametrize(
    ("text", "spec", "expected"),
    [
        (
            "Jane Doe, Bob Lee, Ann Smith",
            [
                ("Jane", BP),
                ("Doe", IP),
                (",", IP),
                ("Bob", IP),
                ("Lee", IP),
                (",", IP),
                ("Ann", IP),
                ("Smith", IP),
            ],
            ["Jane Doe", "Bob Lee", "Ann Smith"],
        ),
        # CJK: 和 / と between names written without spaces
        ("张伟和李娜", [("张", BP), ("伟", IP), ("和", IP), ("李", IP), ("娜", IP)], ["张伟", "李娜"]),
        ("田中と鈴木", [("田", BP), ("中", IP), ("と", IP), ("鈴", IP), ("木", IP)], ["田中", "鈴木"]),
    ],
)
def test_coordinated_names_split_at_commas_and_cjk_conjunctions(text, spec, expected) -> None:
    assert _spans(text, spec) == [("PERSON", e) for e in expected]


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("Procter & Gamble", [("Procter", BO), ("&", IO), ("Gamble", IO)]),
        ("Marks and Spencer", [("Marks", BO), ("and", IO), ("Spencer", IO)]),
        ("Bosnia and Herzegovina", [("Bosnia", BL), ("and", IL), ("Herzegovina", IL)]),
    ],
)
def test_only_people_are_split_at_coordinators(text, spec) -> None:
    assert [t for _, t in _spans(text, spec)] == [text]


def test_score_is_the_mean_over_the_tokens_left_in_the_span() -> None:
    text = "ich heiße Hans Müller"
    spec = [("ich", NO), ("heiße", BP, 0.5), ("Hans", IP, 0.96), ("Müller", IP, 0.94)]
    (span,) = _decode(text, spec)
    assert span.score == pytest.approx(0.95)
    # the trimmed verb's low confidence no longer pulls the name under the threshold
    assert [text[s.start : s.end] for s in _decode(text, spec, {"default": 0.9})] == ["Hans Müller"]
    assert _decode(text, spec, {"default": 0.96}) == []


def test_a_words_pieces_of_another_label_count_with_their_probability_of_its_label() -> None:
    text = "Meet Smithson"
    other = lambda conf: (1 - conf) / (len(TAGS) - 1)  # noqa: E731 - the rest, spread evenly
    spec = [("Meet", NO), ("Smith", BP, 0.9), ("##son", IL, 0.6)]
    (span,) = _decode(text, spec, {"default": 0.4})
    assert (span.label, span.start, span.end) == ("PERSON", 5, 13)
    assert span.score == pytest.approx((0.9 + 2 * other(0.6)) / 2)
    assert _decode(text, spec) == []  # an unsure word: under the default threshold 0.5
    # more probability on the other label over the word: the word takes that label
    spec = [("Meet", NO), ("Smith", BP, 0.6), ("##son", IL, 0.95)]
    (span,) = _decode(text, spec, {"default": 0.4})
    assert (span.label, span.start, span.end) == ("LOCATION", 5, 13)
    assert span.score == pytest.approx((2 * other(0.6) + 0.95) / 2)


_WORDISH = re.compile(r"\w")


@pytest.mark.parametrize("seed", range(20))
def test_random_tags_give_ordered_disjoint_spans_on_word_boundaries(seed: int) -> None:
    rng = np.random.default_rng(seed)
    text = (
        "Ask Jane O'Brien-Smith and Bob Lee,\nje m'appelle Marie Dupont à Paris-Nord; "
        "ich heiße Hans Müller (Berlin) 张伟和李娜 call +1 (555) 010-0199 at jane.doe@example.com"
    )
    spec: list[tuple] = []
    for m in re.finditer(r"\w+|[^\w\s]", text):
        spec.append((m.group(), TAGS[int(rng.integers(len(TAGS)))], float(rng.uniform(0.3, 1.0))))
    offsets, word_ids, probs = _tokens(text, spec)
    spans = decode_spans(text, offsets, word_ids, probs, TAGS, {"default": 0.0})
    bounds = WordIndex.of(text).bounds
    prev_end = 0
    for s in spans:
        assert 0 <= prev_end <= s.start < s.end <= len(text)
        prev_end = s.end
        assert text[s.start : s.end] == text[s.start : s.end].strip()
        for a, b in bounds:  # no word is cut
            assert b <= s.start or a >= s.end or (s.start <= a and b <= s.end), (s, text[a:b])
        if s.label in NAME_LABELS:
            assert _WORDISH.match(text[s.start]) and _WORDISH.match(text[s.end - 1]) or text[s.end - 1] == "."
        if s.label != "ADDRESS":
            assert "\n" not in text[s.start : s.end]


# --- the shipped model through the Guard ---------------------------------------------------

MODELS = Path(__file__).resolve().parents[1] / "models"


@pytest.fixture(scope="module")
def shipped_guard():
    from bastion import Guard

    return Guard.default(models_dir=MODELS, on_model_error="raise", tasks=("pii",), threads=1)


@pytest.mark.skipif(not (MODELS / "pii" / "model.onnx").is_file(), reason="shipped PII model missing")
class TestShippedModel:
    """The issue's examples through ``Guard`` with the shipped int8 model (default policy:
    PERSON/ADDRESS redacted as ``[REDACTED_<LABEL>]``, LOCATION/ORGANIZATION allowed)."""

    @pytest.mark.parametrize(
        ("text", "redacted"),
        [
            ("Ask Jane Doe.", "Ask [REDACTED_PERSON]."),
            ("Jane Doe and Bob Lee", "[REDACTED_PERSON] and [REDACTED_PERSON]"),
            ("je m'appelle Marie Dupont", "je m'appelle [REDACTED_PERSON]"),
            ("ich heiße Hans Müller", "ich heiße [REDACTED_PERSON]"),
            ("me llamo Carlos García", "me llamo [REDACTED_PERSON]"),
            ("mi chiamo Giulia Rossi", "mi chiamo [REDACTED_PERSON]"),
            ("eu sou João Silva", "eu sou [REDACTED_PERSON]"),
            ("ik heet Jan de Vries", "ik heet [REDACTED_PERSON]"),
            ("Hans und Grete Müller", "[REDACTED_PERSON] und [REDACTED_PERSON]"),
            ("Carlos García y Ana López", "[REDACTED_PERSON] y [REDACTED_PERSON]"),
            ("Call Mr. John O'Brien-Smith tomorrow", "Call Mr. [REDACTED_PERSON] tomorrow"),
            ("Talk to Jean-Luc Picard.", "Talk to [REDACTED_PERSON]."),
            ("Ship to:\n12 Main Street\nPortland, OR 97201", "Ship to:\n[REDACTED_ADDRESS]"),
        ],
    )
    def test_redacted_text(self, shipped_guard, text: str, redacted: str) -> None:
        assert shipped_guard.check(text).redacted_text == redacted

    def test_a_place_stops_at_the_line_break(self, shipped_guard) -> None:
        text = "Meet me in Portland\nPart I starts now"
        r = shipped_guard.check(text)
        assert [(f.label, text[f.start : f.end]) for f in r.pii] == [("LOCATION", "Portland")]
        assert r.redacted_text == text  # places are allowed by default

    def test_two_people_on_two_lines_are_two_spans(self, shipped_guard) -> None:
        text = "Please call Jane Doe\nBob Lee will join"
        model = next(d for d in shipped_guard.detectors if d.kind == "model")
        found = model.detect([text])[0]
        assert [(f.label, text[f.start : f.end]) for f in found] == [
            ("PERSON", "Jane Doe"),
            ("PERSON", "Bob Lee"),
        ]


@pytest.mark.parametrize(
    ("text", "span", "want"),
    [
        ("Ship to 12 Baker Street", "Baker Street", "12 Baker Street"),
        ("my place is 4 Elm Road", "Elm Road", "4 Elm Road"),
        ("Flat 2, 14 Mill Road", "Mill Road", "14 Mill Road"),
        ("221B Baker St", "Baker St", "221B Baker St"),
        ("Hauptstraße 5, 10115 Berlin", "Hauptstraße", "Hauptstraße 5"),
        ("Kerkstraat 12a.", "Kerkstraat", "Kerkstraat 12a"),
        ("in 1.5 Baker Street", "Baker Street", "Baker Street"),  # a decimal, not a number
        ("room 3-12 Baker Street", "Baker Street", "Baker Street"),
        ("Baker Street 2.5 km away", "Baker Street", "Baker Street"),
        ("Baker Street", "Baker Street", "Baker Street"),
    ],
)
def test_address_span_takes_its_house_number(text, span, want):
    from bastion.detectors.onnx_ner import with_house_number

    a = text.index(span)
    s, e = with_house_number(text, a, a + len(span))
    assert text[s:e] == want
