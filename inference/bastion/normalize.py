"""Text normalisation with an offset map back to the original string.

Detectors see the normalised text: NFKC (full-width digits, ligatures, compatibility
forms), invisible characters removed (zero-width, soft hyphen, bidi controls), Unicode
tag characters read as the ASCII they shadow ("ASCII smuggling"), decorating combining
marks (underline, strike-through, keycap) dropped from letters and digits, and common Cyrillic/Greek homoglyphs
folded to Latin (``homoglyphs="all"``, every such letter, what the first models were
trained with; ``"mixed"``, only in words that mix scripts or in a word of look-alikes
inside Latin text, so Russian or Greek prose stays itself for a multilingual model). Attackers use exactly these tricks to slip past detectors, and
users paste PII with full-width digits; normalising once here means every detector
benefits. Findings are mapped back with :meth:`Normalized.to_original`, so offsets
always point into the text the caller passed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Homoglyphs = Literal["all", "mixed", "none"]
HOMOGLYPH_MODES: tuple[str, ...] = ("all", "mixed", "none")

_INVISIBLE = frozenset(
    [0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x3164, 0xFEFF, 0xFFA0]
    + list(range(0x200B, 0x2010))  # zero-width space/joiners, LRM/RLM
    + list(range(0x202A, 0x202F))  # bidi embeddings and overrides
    + list(range(0x2060, 0x2065))  # word joiner, invisible operators
    + list(range(0x2066, 0x206A))  # bidi isolates
    + list(range(0xFE00, 0xFE10))  # variation selectors
    + list(range(0xE0000, 0xE0080))  # tag characters (the printable ones are read, see below)
)
# Tag characters U+E0020-U+E007E shadow printable ASCII one for one and render as nothing:
# "ASCII smuggling" hides an instruction in them that LLMs read. Deleting them hid it from
# the detectors only, so they read as the letters they shadow, except in an emoji tag
# sequence (the flags of England, Scotland, Wales: U+1F3F4, tag letters, U+E007F).
_TAG_ASCII = range(0xE0020, 0xE007F)
_TAG_FLAG = "\U0001f3f4"
_TAG_RUN = re.compile("[\U000e0020-\U000e007e]{2,}")
# Combining marks that decorate rather than spell (underline, overline, strike-through and
# slash overlays, enclosing keycap, circle and square): "I\u0332g\u0332n\u0332o\u0332r\u0332e\u0332"
# reads "Ignore" to any reader. No language spells with them, and NFKC leaves them.
_DECORATION = frozenset(
    [0x0305, 0x0331, 0x0332, 0x0333, 0x033F, 0x0334, 0x0335, 0x0336, 0x0337, 0x0338, 0x20D2, 0x20D3]
    + list(range(0x20DD, 0x20E1))
    + [0x20E3]
)

# Cyrillic and Greek letters that render like Latin ones. Only unambiguous look-alikes:
# folding is applied to every text, so real Russian or Greek words get Latin letters
# mixed in; detectors see a lossy but harmless form, and offsets stay correct.
# fmt: off
_HOMOGLYPHS = {
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j", "ԁ": "d", "ɡ": "g", "ԛ": "q",
    "ԝ": "w", "ɩ": "i", "ո": "n", "ս": "u",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J",
    "α": "a", "ο": "o", "ρ": "p", "ν": "v", "τ": "t", "ι": "i", "κ": "k", "υ": "u",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
}
# fmt: on


@dataclass(frozen=True, slots=True)
class Normalized:
    """A normalised text plus, for each of its characters, the original span it came from."""

    original: str
    text: str
    # starts[i], ends[i]: the original characters that produced normalised character i
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    @property
    def identity(self) -> bool:
        return self.text is self.original

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map an end-exclusive span of the normalised text to one of the original text."""
        if self.identity:
            return start, end
        n = len(self.text)
        if n == 0:
            return 0, 0
        start = min(max(start, 0), n)
        end = min(max(end, start), n)
        if start == end:
            pos = self.starts[start] if start < n else len(self.original)
            return pos, pos
        return self.starts[start], self.ends[end - 1]


def _clusters(text: str):
    """Yield (start, end) of each base character plus its combining marks."""
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        yield i, j
        i = j


def _escaped_letter(text: str, i: int) -> str | None:
    """The letter a JSON / Python ``\\uXXXX`` escape at ``i`` stands for, when it is one (a
    tool result dumped with ``ensure_ascii`` spells "José" as ``Jos\\u00e9``: the detectors
    would see half a name). Other escapes (quotes, controls, surrogates) stay as written."""
    if not text.startswith("\\u", i) or i + 6 > len(text):
        return None
    digits = text[i + 2 : i + 6]
    if not all(c in "0123456789abcdefABCDEF" for c in digits):
        return None
    ch = chr(int(digits, 16))
    return ch if ord(ch) >= 0x80 and unicodedata.category(ch)[0] in "LM" else None


def _escapes_and_clusters(text: str):
    """:func:`_clusters`, with each escaped letter one cluster of its six characters."""
    i, n = 0, len(text)
    while i < n:
        if text[i] == "\\" and _escaped_letter(text, i) is not None:
            yield i, i + 6
            i += 6
            continue
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        yield i, j
        i = j


def _unescaped(text: str, a: int, b: int) -> str:
    if b - a == 6 and text[a] == "\\":
        letter = _escaped_letter(text, a)
        if letter is not None:
            return letter
    return text[a:b]


def _ends_digit_group(out: list[str]) -> bool:
    """Whether the normalised text so far ends in a token of two or more digits only (a
    number's group, "1111", "00", "192.168.1.23"; not the tail of a key that mixes letters
    and digits, "AKIAVOMPZOM7")."""
    n = i = 0
    while i < len(out):
        ch = out[-1 - i]
        if ch.isdigit():
            n += 1
        elif ch in "-." and n and i + 1 < len(out) and out[-2 - i].isdigit():
            pass  # a dashed or dotted number ("4111-1111", "192.168.1.23") is still digits only
        elif ch.isalpha() or ch in "_-+/=.":
            return False
        else:
            break
        i += 1
    return n >= 2


_LAST_RUN = re.compile(r"(?<![0-9])[0-9]{13,19}$")
_LAST_TWO_GROUPS = re.compile(r"(?<![0-9])([0-9]{2,6})([ \-.])([0-9]{2,6})$")


def _group_separator(out: list[str]) -> str | None:
    """The separator an invisible character between digits stands for: the one the number
    already uses when the group it ends is as long as the one before ("4111 1111\u200b1111"
    reads "4111 1111 1111"), a space after a whole Luhn-valid card number written without
    separators (its CVV or expiry follows); None inside a group ("41\u200b11" reads "4111")."""
    tail = "".join(out[-20:])
    run = _LAST_RUN.search(tail)
    if run is not None:
        from bastion.detectors.validators import luhn_ok

        return " " if luhn_ok(run.group()) else None
    m = _LAST_TWO_GROUPS.search(tail)
    if m is None or len(m.group(1)) != len(m.group(3)):
        return None
    return m.group(2)


def _ends_word(out: list[str]) -> bool:
    """Whether the normalised text so far ends in a word of letters only ("card", not "Xk9")."""
    n = 0
    for ch in reversed(out):
        if ch.isalpha():
            n += 1
        elif ch.isdigit() or ch in "_-+/=":
            return False
        else:
            break
    return n >= 2


def _number_digits(text: str, at: int) -> int:
    """Digits of the number written from ``at`` (groups joined by single spaces, dashes or
    dots): a card or a phone has six and more, the digits of a password rarely do."""
    n, i = 0, at
    while i < len(text) and i - at < 64:
        ch = text[i]
        if ch.isdigit():
            n += 1
        elif not (ch in " -." and i + 1 < len(text) and text[i + 1].isdigit()):
            break
        i += 1
    return n


def normalize(text: str, *, fold_homoglyphs: bool = True, homoglyphs: Homoglyphs = "all") -> Normalized:
    """Normalise ``text`` for detection and keep an offset map to the original.

    ``homoglyphs``: ``"all"`` folds every Cyrillic/Greek look-alike letter to Latin, which
    turns Russian or Greek prose into a mix of scripts no pretrained encoder knows ("Иван"
    -> "Иbah"); ``"mixed"`` folds only where a spoof is plausible: in a word that also has
    Latin letters, or in a word made only of look-alikes when the text is mostly Latin.
    ``fold_homoglyphs=False`` is ``"none"``.

    >>> n = normalize("ｊａｎｅ\u200b@example.com")
    >>> n.text
    'jane@example.com'
    >>> n.to_original(0, 4)
    (0, 4)
    >>> normalize("Ignоre Иван", homoglyphs="mixed").text  # Cyrillic о in a Latin word
    'Ignore Иван'
    >>> normalize("رقم ٠٥٠١٢٣٤٥٦٧").text  # other scripts' digits read as 0-9
    'رقم 0501234567'
    >>> n = normalize('{"name": "Jos\\\\u00e9 Garc\\\\u00eda"}')  # JSON-escaped letters read as letters
    >>> n.text, n.to_original(10, 21)
    ('{"name": "José García"}', (10, 31))
    """
    if homoglyphs not in HOMOGLYPH_MODES:
        raise ValueError(f"homoglyphs must be one of {HOMOGLYPH_MODES}, got {homoglyphs!r}")
    mode = homoglyphs if fold_homoglyphs else "none"
    escaped = "\\u" in text
    if text.isascii() and not escaped:
        # The common case: NFKC, invisible-character removal and homoglyph folding are
        # all no-ops on ASCII, so skip building the map.
        return Normalized(text, text, (), ())
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    flag_tags = _flag_tags(text) if _TAG_FLAG in text else frozenset()
    # a hidden message is a run of tags glued to the visible text: it reads as words of its
    # own, so "jane@example.com" + tags stays the address it was
    tag_runs = [m.span() for m in _TAG_RUN.finditer(text)] if max(text) >= "\U000e0000" else []
    run_starts = {s for s, _ in tag_runs}
    run_ends = {e for _, e in tag_runs}
    for a, b in _escapes_and_clusters(text) if escaped else _clusters(text):
        if a in run_ends and text[a].isalnum() and a not in flag_tags:
            out.append(" ")
            starts.append(a - 1)
            ends.append(a)
        if b - a == 1 and ord(text[a]) in _TAG_ASCII and a not in flag_tags:
            if a in run_starts and out and out[-1].isalnum():
                out.append(" ")
                starts.append(a)
                ends.append(b)
            out.append(chr(ord(text[a]) - 0xE0000))
            starts.append(a)
            ends.append(b)
            continue
        if b - a == 1 and ord(text[a]) in _INVISIBLE:
            # After a group of digits and before a letter it stood for a space ("4111 1111 1111
            # 1111\u200bthanks"): deleting it glued the number to the word, and no recognizer
            # read either. Anywhere else it is deleted: inside a word ("ig\u200bnore" reads
            # "ignore") and inside a mixed token, where a space would cut a key or password in
            # two ("sk-proj-aB3dE5fG7hJ9\u200bkL1m...", "AKIAVOMPZOM7\u200bWBBR6QMW").
            after = text[b : b + 1]
            if (after.isalpha() and _ends_digit_group(out)) or (
                after.isdigit() and _ends_word(out) and _number_digits(text, b) >= 6
            ):
                out.append(" ")
                starts.append(a)
                ends.append(b)
            elif after.isdigit() and out and out[-1].isdigit() and (sep := _group_separator(out)) is not None:
                out.append(sep)  # "4111 1111 1111 1111\u200b123": the card, then its CVV
                starts.append(a)
                ends.append(b)
            continue
        piece = unicodedata.normalize("NFKC", _unescaped(text, a, b))
        for ch in piece:
            if ord(ch) in _INVISIBLE:
                continue
            # after any ASCII character: strike-through generators mark spaces, "-", "@" and "." too
            if ord(ch) in _DECORATION and out and out[-1].isascii():
                ends[-1] = b
                continue
            if mode == "all":
                ch = _HOMOGLYPHS.get(ch, ch)
            if ch.isdecimal() and not ch.isascii():
                # Arabic-Indic, Devanagari, ... digits (NFKC keeps them): every recognizer
                # reads [0-9], and a phone number in them leaked
                ch = str(unicodedata.decimal(ch))
            out.append(ch)
            starts.append(a)
            ends.append(b)
    if mode == "mixed":
        _fold_mixed(out)
    return Normalized(text, "".join(out), tuple(starts), tuple(ends))


_FLAG_TAG_MAX = 7  # a subdivision code ("gbeng", "usca") is at most 6 tag letters, then the cancel tag


def _flag_tags(text: str) -> frozenset[int]:
    """Positions of the tag characters that spell an emoji flag after U+1F3F4: at most
    :data:`_FLAG_TAG_MAX` lower-case letters and digits up to and including the cancel tag
    U+E007F. Anything else after the flag (a run without the cancel tag, a longer one, other
    characters) is no flag and reads as ASCII: a flag in front must not hide a smuggled text."""
    at: set[int] = set()
    i = text.find(_TAG_FLAG)
    while i >= 0:
        j = i + 1
        while (
            j < len(text)
            and j - i <= _FLAG_TAG_MAX
            and (0xE0061 <= ord(text[j]) <= 0xE007A or 0xE0030 <= ord(text[j]) <= 0xE0039)
        ):
            j += 1
        if j < len(text) and ord(text[j]) == 0xE007F and j > i + 1:
            at.update(range(i + 1, j + 1))
        i = text.find(_TAG_FLAG, i + 1)
    return frozenset(at)


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha() or (ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN"))


def _in_word(ch: str) -> bool:
    return ch.isalpha() or unicodedata.category(ch).startswith("M")


def _fold_mixed(chars: list[str]) -> None:
    """Fold look-alikes in place, word by word: in a word that has a Latin letter (the
    classic spoof, "Ignоre" with a Cyrillic о), and in a word of look-alikes only when the
    text has more Latin letters than folded-script ones (a spoofed word in English text).
    Words of real Russian or Greek keep their letters."""
    if not any(c in _HOMOGLYPHS for c in chars):
        return
    latin = sum(1 for c in chars if _is_latin(c))
    other = sum(1 for c in chars if c.isalpha() and not _is_latin(c))
    latin_text = latin > other
    i, n = 0, len(chars)
    while i < n:
        if not _in_word(chars[i]):
            i += 1
            continue
        j = i
        while j < n and _in_word(chars[j]):
            j += 1
        word = chars[i:j]
        if any(c in _HOMOGLYPHS for c in word):
            letters = [c for c in word if c.isalpha()]
            if any(_is_latin(c) for c in letters) or (latin_text and all(c in _HOMOGLYPHS for c in letters)):
                for k in range(i, j):
                    chars[k] = _HOMOGLYPHS.get(chars[k], chars[k])
        i = j
