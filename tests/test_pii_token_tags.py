"""BIO labels from SentencePiece offsets that carry the leading space (e5's ``▁`` pieces)."""

from __future__ import annotations

import fnmatch

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


def _split_file(tmp_path) -> object:
    import pandas as pd

    rows = [
        {"text": f"Ask Jane {i}", "spans": [{"start": 4, "end": 8, "label": "PERSON"}], "template_id": tid}
        for i, tid in enumerate(
            ["en-v3fclinical-001", "en-chat-002", None, "ru-v3fnews-004", "en-news-007"] * 4
        )
    ]
    path = tmp_path / "train.parquet"
    pd.DataFrame(rows).to_parquet(path)
    return path


@pytest.mark.parametrize(
    ("patterns", "replay", "want_focus", "want_total"),
    [
        (("*-v3f*",), 3, 8, 11),  # 8 focus rows (two templates × 4) + 3 replayed of the 12 others
        (("en-v3fclinical-*",), 100, 4, 20),  # replay larger than the rest: every row
        (("nothing-*",), 5, 0, 5),
        ((), 0, 0, 20),  # replay 0: not a continuation round, every row
    ],
)
def test_load_docs_focus_and_replay(tmp_path, patterns, replay, want_focus, want_total) -> None:
    from bastion_training.train_pii import load_docs

    docs = load_docs(_split_file(tmp_path), seed=3, focus_templates=patterns, replay_rows=replay)
    assert len(docs) == want_total
    numbers = {int(d.text.rsplit(" ", 1)[1]) for d in docs}
    ids = ["en-v3fclinical-001", "en-chat-002", "", "ru-v3fnews-004", "en-news-007"]
    focus = {i for i in range(20) if any(fnmatch.fnmatchcase(ids[i % 5], pat) for pat in patterns)}
    assert len(focus) == want_focus and focus <= numbers  # every focus row is in
    assert all(d.spans == (("PERSON", 4, 8),) for d in docs)
    # the same seed picks the same replay rows
    again = load_docs(_split_file(tmp_path), seed=3, focus_templates=patterns, replay_rows=replay)
    assert [d.text for d in again] == [d.text for d in docs]


@pytest.mark.parametrize(("replay", "want_total"), [(0, 12), (5, 5), (100, 12)])
def test_load_docs_exclude_templates(tmp_path, replay, want_total) -> None:
    from bastion_training.train_pii import load_docs

    docs = load_docs(_split_file(tmp_path), seed=3, replay_rows=replay, exclude_templates=("*-v3f*",))
    assert len(docs) == want_total
    # rows 0 and 3 of every five carry the excluded templates: none of them may come back
    assert all(int(d.text.rsplit(" ", 1)[1]) % 5 not in (0, 3) for d in docs)


def _sourced_file(tmp_path) -> object:
    import pandas as pd

    rows = [
        {
            "text": f"Ask Jane {i}",
            "spans": [{"label": "PERSON", "start": 4, "end": 8}],
            "source": s,
            "lang": g,
        }
        for i, (s, g) in enumerate(
            [("synthetic", "en"), ("synthetic", "it"), ("wnut17", "en"), ("synthetic", "it")]
        )
    ]
    path = tmp_path / "train.parquet"
    pd.DataFrame(rows).to_parquet(path)
    return path


@pytest.mark.parametrize(
    ("upweight", "want"),
    [
        ({}, [0, 1, 2, 3]),
        ({"wnut17": 1}, [0, 1, 2, 3, 2]),
        ({"synthetic/it": 2}, [0, 1, 2, 3, 1, 3, 1, 3]),
        ({"wnut17": 2, "synthetic/en": 1}, [0, 1, 2, 3, 2, 2, 0]),
    ],
)
def test_load_docs_upweight(tmp_path, upweight, want) -> None:
    from bastion_training.train_pii import load_docs

    docs = load_docs(_sourced_file(tmp_path), upweight=upweight)
    assert [int(d.text.rsplit(" ", 1)[1]) for d in docs] == want


def test_load_docs_upweight_of_nothing_is_an_error(tmp_path) -> None:
    from bastion_training.train_pii import load_docs

    with pytest.raises(ValueError, match="wnut16"):
        load_docs(_sourced_file(tmp_path), upweight={"wnut16": 1})


@pytest.mark.parametrize("bad", [{"wnut17": 0}, {"wnut17": True}, {"wnut17": 1.5}, {"/": 1}, {"wnut17": -1}])
def test_upweight_params_are_checked(bad) -> None:
    from bastion.errors import ConfigError
    from bastion_training.config import TrainPIIParams

    loop = {"batch_size": 8, "epochs": 1, "lr": 1e-4}
    assert dict(TrainPIIParams.from_params({"train_pii": {**loop, "upweight": {"wnut17": 2}}}).upweight) == {
        "wnut17": 2
    }
    with pytest.raises(ConfigError, match="upweight"):
        TrainPIIParams.from_params({"train_pii": {**loop, "upweight": bad}})
