"""Capitalisation classes per token, fed to the NER model next to the token ids.

The base encoder (all-MiniLM-L6-v2) is uncased: its tokenizer lowercases, so "Smith"
and "smith" become the same id and the strongest cue for names is lost. The NER model
therefore takes a second integer input, ``case_ids``, computed here from the text the
tokenizer saw. Pure python, shared by training and runtime so both compute the exact
same features.

Every word-piece gets the class of the whole pre-tokenized word it belongs to, so
``##ith`` in "Smith" is Title like "sm".

>>> word_case("Smith"), word_case("smith"), word_case("NASA"), word_case("McDonald")
(2, 1, 3, 4)
>>> case_ids("Hi JOHN smith", [(0, 2), (3, 7), (8, 11), (11, 13)], [0, 1, 2, 2])
[2, 3, 1, 1]
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

PAD = 0  # [CLS], [SEP], padding, and tokens with an empty span
LOWER = 1
TITLE = 2
UPPER = 3
MIXED = 4
DIGIT = 5
PUNCT = 6  # punctuation and symbols, emoji included
OTHER = 7  # letters of scripts without case (CJK, Arabic, Hebrew, ...)
NUM_CASE_CLASSES = 8


def word_case(word: str) -> int:
    """The case class of one word (see the module constants).

    >>> [word_case(w) for w in ["hello", "Hello", "HELLO", "iPhone", "2024", "!", "東京", "", "A"]]
    [1, 2, 3, 4, 5, 6, 7, 0, 2]
    """
    # Combining marks carry no case and would otherwise turn "é" spelt e+U+0301 into "other".
    chars = [c for c in word if not unicodedata.combining(c)]
    if not chars:
        return PAD
    cased = [c for c in chars if c.isupper() or c.islower()]
    if cased:
        first_upper = chars[0].isupper()
        rest = cased[1:] if first_upper and cased[0] is chars[0] else cased
        if not first_upper:
            return LOWER if all(c.islower() for c in cased) else MIXED
        if all(c.islower() for c in rest):
            return TITLE
        if all(c.isupper() for c in cased):
            return UPPER
        return MIXED
    if any(c.isalpha() for c in chars):
        return OTHER
    if any(c.isdigit() for c in chars):
        return DIGIT
    return PUNCT


def _wordish(ch: str) -> bool:
    return ch.isalnum() or unicodedata.combining(ch) > 0


def _word_bounds(
    text: str, offsets: Sequence[tuple[int, int]], word_ids: Sequence[int | None] | None
) -> list[tuple[int, int] | None]:
    """Char span of the word each token belongs to (``None`` for special tokens)."""
    n = len(offsets)
    if word_ids is None:
        # Without word ids, a token continues the previous one when their spans touch
        # inside a run of alphanumerics, as WordPiece continuations do; BERT's
        # pre-tokenizer makes every punctuation character a word of its own.
        word_ids, w = [], -1
        for i, (s, e) in enumerate(offsets):
            if e <= s:
                word_ids.append(None)
                continue
            prev = offsets[i - 1] if i else None
            joined = prev is not None and prev[1] == s and prev[1] > prev[0] and 0 < s < len(text)
            if not (joined and _wordish(text[s - 1]) and _wordish(text[s])):
                w += 1
            word_ids.append(w)
    spans: dict[int, tuple[int, int]] = {}
    for i in range(n):
        wid = word_ids[i]
        s, e = offsets[i]
        if wid is None or e <= s:
            continue
        if wid in spans:
            a, b = spans[wid]
            spans[wid] = (min(a, s), max(b, e))
        else:
            spans[wid] = (s, e)
    return [
        spans.get(word_ids[i]) if word_ids[i] is not None and offsets[i][1] > offsets[i][0] else None
        for i in range(n)
    ]


def case_ids(
    text: str, offsets: Sequence[tuple[int, int]], word_ids: Sequence[int | None] | None = None
) -> list[int]:
    """One case class per token, from ``text`` and the tokenizer's char ``offsets``.

    ``word_ids`` (from the fast tokenizer) say which pre-tokenized word each token belongs
    to; when omitted, touching tokens are grouped into one word. Tokens with an empty
    span (specials) get ``PAD``.

    >>> case_ids("McDonald", [(0, 2), (2, 5), (5, 8)], [0, 0, 0])
    [4, 4, 4]
    """
    if word_ids is not None and len(word_ids) != len(offsets):
        raise ValueError("word_ids and offsets differ in length")
    cache: dict[tuple[int, int], int] = {}
    out: list[int] = []
    for bounds in _word_bounds(text, offsets, word_ids):
        if bounds is None:
            out.append(PAD)
            continue
        if bounds not in cache:
            a, b = bounds
            cache[bounds] = word_case(text[max(0, a) : min(len(text), b)])
        out.append(cache[bounds])
    return out
