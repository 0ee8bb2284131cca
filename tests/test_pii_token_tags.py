"""BIO labels from SentencePiece offsets that carry the leading space (e5's ``▁`` pieces)."""

from __future__ import annotations

import pytest
from bastion.labels import bio_tags
from bastion_training.train_pii import content_offsets, token_tags

IDX = {t: i for i, t in enumerate(bio_tags(("PHONE_NUMBER", "PERSON", "ADDRESS")))}
NAMES = {i: t for t, i in IDX.items()}


@pytest.mark.parametrize(
    ("text", "offsets", "spans", "want"),
    [
        # " 4" is one space + one digit: without trimming the space outvotes the digit
        (
            "call 555 4 567",
            [(0, 4), (4, 8), (8, 10), (10, 14)],
            [("PHONE_NUMBER", 5, 14)],
            ["O", "B-PHONE_NUMBER", "I-PHONE_NUMBER", "I-PHONE_NUMBER"],
        ),
        ("Ask J Doe", [(0, 3), (3, 5), (5, 9)], [("PERSON", 4, 9)], ["O", "B-PERSON", "I-PERSON"]),
        # WordPiece offsets (no spaces) are unchanged
        ("Ask J Doe", [(0, 3), (4, 5), (6, 9)], [("PERSON", 4, 9)], ["O", "B-PERSON", "I-PERSON"]),
        ("a  b", [(0, 1), (1, 4)], [], ["O", "O"]),
        # e5 writes "Apt. 965, WY" with lone "▁" pieces: inside a span they stay I- (emptied
        # to O they split the address into three spans)
        (
            "at Apt. 965, WY 82664",
            [
                (0, 2),
                (2, 5),
                (5, 6),
                (6, 7),
                (7, 8),
                (8, 11),
                (11, 12),
                (12, 13),
                (13, 15),
                (15, 18),
                (18, 21),
            ],
            [("ADDRESS", 3, 21)],
            ["O", "B-ADDRESS"] + ["I-ADDRESS"] * 9,
        ),
        # a lone "▁" just before a span is outside it
        (
            "to WY 1",
            [(0, 2), (2, 3), (3, 5), (5, 7)],
            [("ADDRESS", 3, 7)],
            ["O", "O", "B-ADDRESS", "I-ADDRESS"],
        ),
    ],
)
def test_token_tags_on_trimmed_offsets(text, offsets, spans, want):
    got = token_tags(content_offsets(text, offsets), len(text), spans, IDX)
    assert [NAMES[i] for i in got] == want


def test_untrimmed_offsets_lose_the_one_character_word():
    # the defect content_offsets fixes: " J" ties between the space before the span and the
    # initial, the tie goes to O and the surname becomes the span's first token
    got = token_tags([(0, 3), (3, 5), (5, 9)], 9, [("PERSON", 4, 9)], IDX)
    assert [NAMES[i] for i in got] == ["O", "O", "B-PERSON"]


@pytest.mark.parametrize("text", ["", "   ", "x"])
def test_content_offsets_never_inverts_a_range(text):
    offs = [(0, len(text))]
    ((a, b),) = content_offsets(text, offs)
    assert 0 <= a <= b == len(text)
