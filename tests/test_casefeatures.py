"""Case classes per word and per token (bastion.casefeatures)."""

from __future__ import annotations

import pytest
from bastion.casefeatures import (
    DIGIT,
    LOWER,
    MIXED,
    NUM_CASE_CLASSES,
    OTHER,
    PAD,
    PUNCT,
    TITLE,
    UPPER,
    case_ids,
    word_case,
)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("smith", LOWER),
        ("Smith", TITLE),
        ("A", TITLE),
        ("I", TITLE),
        ("SMITH", UPPER),
        ("NASA", UPPER),
        ("McDonald", MIXED),
        ("iPhone", MIXED),
        ("sMITH", MIXED),
        ("2024", DIGIT),
        ("٣٤", DIGIT),  # Arabic-Indic digits
        ("2nd", LOWER),
        ("B12", TITLE),
        ("!", PUNCT),
        ("@", PUNCT),
        ("😀", PUNCT),
        ("東京", OTHER),
        ("שלום", OTHER),
        ("Ñandú", TITLE),
        ("ÉCOLE", UPPER),
        ("e\u0301te", LOWER),  # combining acute accent is ignored
        ("E\u0301te", TITLE),
        ("\u0301", PAD),  # a lone combining mark has no base character
        ("", PAD),
    ],
)
def test_word_case(word: str, expected: int) -> None:
    assert word_case(word) == expected
    assert 0 <= expected < NUM_CASE_CLASSES


def test_num_classes() -> None:
    assert NUM_CASE_CLASSES == 8
    assert sorted({PAD, LOWER, TITLE, UPPER, MIXED, DIGIT, PUNCT, OTHER}) == list(range(8))


@pytest.mark.parametrize(
    ("text", "offsets", "word_ids", "expected"),
    [
        # word-pieces inherit the class of their whole word: "mc ##don ##ald" is MIXED
        ("McDonald", [(0, 2), (2, 5), (5, 8)], [0, 0, 0], [MIXED, MIXED, MIXED]),
        # "##ith" alone would be LOWER; in "Smith" it is TITLE
        ("Smith", [(0, 2), (2, 5)], [0, 0], [TITLE, TITLE]),
        ("Hi JOHN smith", [(0, 2), (3, 7), (8, 11), (11, 13)], [0, 1, 2, 2], [TITLE, UPPER, LOWER, LOWER]),
        # specials / empty spans get PAD
        ("Ann", [(0, 0), (0, 3), (0, 0)], [None, 0, None], [PAD, TITLE, PAD]),
        ("a 😀 b", [(0, 1), (2, 3), (4, 5)], [0, 1, 2], [LOWER, PUNCT, LOWER]),
        ("東京 Tokyo", [(0, 1), (1, 2), (3, 8)], [0, 1, 2], [OTHER, OTHER, TITLE]),
        ("+44 20", [(0, 1), (1, 3), (4, 6)], [0, 1, 2], [PUNCT, DIGIT, DIGIT]),
        ("", [], [], []),
    ],
)
def test_case_ids_table(text: str, offsets: list, word_ids: list, expected: list) -> None:
    assert case_ids(text, offsets, word_ids) == expected
    # Without word ids, touching alphanumeric pieces are grouped the same way.
    assert case_ids(text, offsets) == expected


def test_case_ids_without_word_ids_splits_punctuation() -> None:
    # "O'Brien" is three pre-tokenized words: o / ' / brien
    assert case_ids("O'Brien", [(0, 1), (1, 2), (2, 7)]) == [TITLE, PUNCT, TITLE]


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError):
        case_ids("ab", [(0, 2)], [0, 1])


def test_out_of_range_offsets_do_not_crash() -> None:
    assert case_ids("ab", [(0, 2), (5, 9)], [0, 1]) == [LOWER, PAD]


def test_with_the_real_tokenizer() -> None:
    """Same classes through a real BERT WordPiece tokenizer (uncased: ids lose the case)."""
    tokenizers = pytest.importorskip("tokenizers")
    wp = tokenizers.BertWordPieceTokenizer(lowercase=True)
    wp.train_from_iterator(["mary mcdonald smith visited paris"], vocab_size=60, min_frequency=1)
    text = "Mary McDonald visited PARIS 😀 東京"
    enc = wp.encode(text, add_special_tokens=False)
    by_word: dict[str, int] = {}
    for (s, e), c in zip(enc.offsets, case_ids(text, enc.offsets, enc.word_ids), strict=True):
        by_word.setdefault(next(w for w in text.split() if text.find(w) <= s < text.find(w) + len(w)), c)
        assert e > s
    assert by_word == {
        "Mary": TITLE,
        "McDonald": MIXED,
        "visited": LOWER,
        "PARIS": UPPER,
        "😀": PUNCT,
        "東京": OTHER,
    }
    # The ids are identical for "PARIS" and "paris": only case_ids carries the difference.
    assert wp.encode("PARIS").ids == wp.encode("paris").ids
