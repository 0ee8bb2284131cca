"""Word-aware shaping of NER spans: whole words of the original text, no function words at
the edges of names, no line breaks except inside addresses, one span per coordinated name.

A token classifier labels word-pieces, and its pieces disagree at times: the last piece of a
surname tagged ``O``, the verb before a name tagged ``I-PERSON``. These helpers turn a rough
character span into what an annotator would mark, using only the text:

* :class:`WordIndex` segments the text into words (letters, digits and combining marks,
  joined by an apostrophe, a dot or a hyphen inside the word; each CJK ideograph is a word)
  and widens a span to the words it touches;
* :func:`split_span` cuts a span at line breaks (except ``ADDRESS``) and a ``PERSON`` span at
  coordinators ("Jane Doe and Bob Lee" is two people);
* :func:`trim` drops edge words that can never begin or end a name (articles, prepositions,
  elisions, copulas and verbs of naming, greetings) from ``PERSON``, ``LOCATION`` and
  ``ORGANIZATION`` spans, and surrounding punctuation from every span.

All offsets are end-exclusive character offsets into the given text.

>>> text = "je m'appelle Marie Dupont et Jean Roy"
>>> index = WordIndex.of(text)
>>> [text[a:b] for a, b in index.bounds][:4]
['je', "m'", 'appelle', 'Marie']
>>> [text[a:b] for a, b in split_span(index, "PERSON", 3, len(text))]
["m'appelle Marie Dupont", 'Jean Roy']
>>> text[slice(*trim(index, "PERSON", 3, 25))]
'Marie Dupont'
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Labels that name something (people, places, organisations): the only ones whose edges
# lose function words; structured values (emails, phones, ...) keep every character.
NAME_LABELS = frozenset({"PERSON", "LOCATION", "ORGANIZATION"})
# Postal blocks are written over several lines and stay one span.
MULTILINE_LABELS = frozenset({"ADDRESS"})

# CJK ideographs and Japanese kana: written without spaces, so each is its own word (as BERT
# tokenizers do for ideographs); otherwise "電話は090-1234-5678です" would make the particle
# and the copula part of the phone number's word.
_CJK = (
    "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
)
# Scripts written without spaces between words (Thai, Lao, Khmer, Myanmar) or whose particles
# attach to the word before (Hangul): a run of one of them is a word, and where it meets
# Latin letters or digits a word ends ("โทร0812345678", "010-1234-5678입니다").
_RUNS = (
    "\u0e00-\u0e7f",
    "\u0e80-\u0eff",
    "\u1780-\u17ff",
    "\u1000-\u109f",
    "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f",
)
# Combining marks and the letters/signs of abugidas that Python's \w leaves out
# (accents written as combining characters, Devanagari..Sinhala, Thai, Lao vowel signs).
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
    "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"
    "\u0900-\u0963\u0966-\u0dff\u0e00-\u0e4e\u0e50-\u0e59\u0e80-\u0eff"
    "\u1ab0-\u1aff\u1dc0-\u1dff\u200c\u20d0-\u20ff\ufe00-\ufe0f\ufe20-\ufe2f"
)
_NOT_RUNS = "".join(_RUNS)
_W = rf"(?:[^\W{_CJK}{_NOT_RUNS}]|(?![{_NOT_RUNS}])[{_MARKS}])"
_APOS = "'\u2019\u02bc"
_HYPHENS = "-\u2010\u2011"
_JOIN_CLASS = rf"{_APOS}\-\u2010\u2011."
_WORD = re.compile(rf"[{_CJK}]|" + "".join(f"[{r}]+|" for r in _RUNS) + rf"{_W}+(?:[{_JOIN_CLASS}]{_W}+)*")
_JOINER = re.compile(rf"[{_JOIN_CLASS}]")
LINE_BREAK = re.compile("[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_ANY_LINE = re.compile("[^\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+")

# French/Italian/Catalan elided articles, pronouns and prepositions: "l'Italie", "m'appelle",
# "dell'Arte" are two words, the elision and what follows.
ELISIONS = _wordset(
    "l d m t s n c j v qu jusqu lorsqu puisqu quoiqu presqu dell all dall nell sull coll "
    "un quest quell nessun tutt"
)

# Edge words that are never part of a name. Keys are only documentation (the language each
# word is listed for); the table is used as one set. Written here lower-cased; a word also
# matches Capitalised (sentence-initial "Ask", "Ich") unless it is in _LOWER_ONLY below.
_NEVER_IN_NAMES: dict[str, str] = {
    "en": "a an the and or nor but of in at on from to into onto with without by for near "
    "via about is am are was were be been being called named name's i i'm me my mine "
    "you your he she his her him we our they their this that these those it it's "
    "hi hello hey dear thanks thank ask call contact email e-mail tell meet ping message "
    "text cc attn regards cheers says said told asked met wrote visited lives live "
    "lived born northern southern eastern western north south east west central 's",
    "de": "der die das den dem des ein eine einen einem einer und oder aber in im am an "
    "auf aus bei mit nach von vom zu zum zur für über unter ist bin sind war waren "
    "heiße heisse heißt heisst heißen heissen nennt genannt namens ich mich mir mein "
    "meine meinen du dein er sie wir ihr hallo liebe lieber sehr geehrte geehrter",
    "fr": "le la les l' un une des du d' de et ou mais à au aux en dans chez pour par "
    "avec sur sous vers est suis sont était m' appelle appelles appelons appelez "
    "appellent s' nomme nommé je j' moi mon ma mes tu te t' il elle nous vous ils "
    "elles c' qu' n' bonjour salut cher chère",
    "es": "el la los las un una unos unas y o pero en con por para desde hasta sin al del "
    "de es soy eres son era fue llamo llamas llama llaman llamado llamada yo mi mis tu "
    "su hola querido querida estimado estimada",
    "it": "il lo la i gli le un una uno e o ma in con per tra fra nel nella nei al alla "
    "allo dal dalla sul sulla del della dei degli di da a è sono sei era chiamo chiami "
    "chiama chiamano chiamato io mi mio mia ciao caro cara gentile dell' all' nell' "
    "dall' sull' un'",
    "pt": "o a os as um uma e ou mas em no na nos nas com por para pelo pela do da dos das "
    "de ao à é sou és são era foi chamo chamas chama chamam chamado eu meu minha "
    "olá oi prezado prezada",
    "nl": "de het een en of maar in op bij met naar uit voor aan van is ben zijn was heet "
    "heten ik mijn hallo beste hoi",
    "tr": "ben benim adım ve ile",
    "sv/da/no": "och og i på med för til till är er jag jeg heter",
    "pl": "i oraz w we z ze na do od przez dla jest jestem nazywam się mam",
    "ru": "и в во на с со из у к от по о об для за это я меня зовут мой моя его её",
    "zh/ja": "和 与 及 或 是 叫 我 的 在 と や は が を に で の です",
}
# Words of the table that are names or parts of names when Capitalised ("Ben", "Van Morrison",
# "El Salvador", "Li Na", "Son", "La Paz", "São Paulo", "Per", "Cher", the river "Oder", initials "A.",
# "W."): these match only when written in lower case.
_LOWER_ONLY = _wordset(
    "a an the i o e y w z и в с у к о я en et al el la le les los las lo il gli da de di do "
    "du del della dei degli das dos der den dem des die van von vom zu zum zur ben bin son na "
    "no nos nas os an am as em ao per su mi ma mon mes sei tra fra con sou sul sur dal au aux "
    "est tu te io caro cara gentile mia una uma hoi til mir im oder war sind bei lieber cher "
    "m' l' d' un un' dell' all' nell' dall' sull' via tell ping met live são "
    "west east north south central northern southern eastern western"
)
# Words of the table that are also given names or surnames ("Ben", "Per", "Mia", "Li Na",
# "Ma", "Su"): in a span without capitals they stay.
_GIVEN_NAMES = _wordset("ben bin per mia una cher caro cara til son gentile lieber mir ma su na al")
# Particles of surnames ("Vincent van Gogh", "de Gaulle", "von der Leyen"): at the start of
# a PERSON span they stay when one word follows them, the surname.
_PARTICLES = _wordset("van von de da di do du del della der den dos das le la ter ten zu bin ibn al el af av")
_STOP = frozenset(w for ws in _NEVER_IN_NAMES.values() for w in ws.split())
# Words that join two names into a list: "Jane Doe and Bob Lee", "Hans und Grete".
_COORDINATORS = _wordset("and or und oder sowie et ou y o e en i og och oraz и или 和 与 及 と や")
_COORD_GAP = re.compile(r"[,;&+/|]")
# Annotators leave out the punctuation around names; brackets stay when both are inside.
# A separator before a value ("電話：03-...", ", służbowy") is not part of it either.
_STRIP_END = ".,;:!?\"'`)]}>\u2019\u201d\u00bb-\u2010\u2011\u2013\u2014\u3001\u3002\uff0c\uff1a\uff1b"
_STRIP_START = ".,;:!?\"'`([{<\u2018\u201c\u00ab-\u2010\u2011\u2013\u2014\u3001\u3002\uff0c\uff1a\uff1b"
_PAIRS = {")": "(", "]": "[", "}": "{", ">": "<"}
_CLOSERS = {o: c for c, o in _PAIRS.items()}
_INITIALISM = re.compile(r"(?:\w{1,3}\.)+\w{1,3}")
# A middle initial between two parts of one name: "Juliusz A Kwiatkowski", "John F. Kennedy".
_MIDDLE_INITIAL = re.compile(r"[^\S\n\r]+[^\W\d_]\.?[^\S\n\r]+")


@dataclass(frozen=True)
class WordIndex:
    """The words of ``text`` as end-exclusive ``bounds``, in order (see :meth:`of`)."""

    text: str
    bounds: tuple[tuple[int, int], ...]
    starts: tuple[int, ...]

    @classmethod
    def of(cls, text: str) -> WordIndex:
        """Segment ``text``.

        Apostrophes, dots and hyphens join letters into one word ("O'Brien", "U.S",
        "555-0100", "Jean-Luc"), except an elision ("l'", "m'", "dell'") or a possessive
        "'s", which are words of their own, and a hyphen between parts of different kinds
        ("Paris-based", "anti-Trump", "966-Fax"), which separates them.

        >>> t = "Ask O'Brien-Smith, l'Italie, Jane's 3.5 Paris-based 555-0100-Fax 张伟"
        >>> [t[a:b] for a, b in WordIndex.of(t).bounds]  # doctest: +NORMALIZE_WHITESPACE
        ['Ask', "O'Brien-Smith", "l'", 'Italie', 'Jane', "'s", '3.5', 'Paris', 'based',
         '555-0100', 'Fax', '张', '伟']
        """
        out: list[tuple[int, int]] = []
        for m in _WORD.finditer(text):
            start, end = m.span()
            if text[start - 1 : start] == "\\" and 0 < (skip := _escape_tail(text, start)) < end - start:
                # "\\nJane" in serialised JSON: the escape's letter is a word of its own
                out.append((start, start + skip))
                start += skip
            if _JOINER.search(text, start, end) is None:
                out.append((start, end))
            else:
                out.extend(_split_joined(text, start, end))
        return cls(text, tuple(out), tuple(a for a, _ in out))

    def expand(self, start: int, end: int) -> tuple[int, int]:
        """``(start, end)`` widened so that it cuts no word.

        >>> WordIndex.of("call Janeway now").expand(5, 9)
        (5, 12)
        """
        i = bisect_right(self.starts, start) - 1
        if i >= 0 and self.bounds[i][0] < start < self.bounds[i][1]:
            start = self.bounds[i][0]
        k = bisect_left(self.starts, end) - 1
        if k >= 0 and self.bounds[k][0] < end < self.bounds[k][1]:
            end = self.bounds[k][1]
        return start, end

    def inside(self, start: int, end: int) -> list[tuple[int, int]]:
        """The words lying wholly within ``[start, end)``."""
        lo = bisect_left(self.starts, start)
        hi = bisect_left(self.starts, end)
        return [w for w in self.bounds[lo:hi] if w[1] <= end]


def _split_joined(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split a regex word at its elisions, possessives and mixed-case hyphens."""
    out: list[tuple[int, int]] = []
    word_start = chunk_start = start
    for m in _JOINER.finditer(text, start, end):
        j = m.start()
        left = text[chunk_start:j]
        nxt = _JOINER.search(text, j + 1, end)
        right = text[j + 1 : nxt.start() if nxt else end]
        ch = text[j]
        if ch in _APOS and right in ("s", "S") and nxt is None:
            out.append((word_start, j))
            word_start = j  # "'s" is a word of its own, so a name can be trimmed of it
        elif ch in _APOS and chunk_start == word_start and left.casefold() in ELISIONS:
            out.append((word_start, j + 1))
            word_start = j + 1
        elif ch in _HYPHENS and not _hyphen_joins(left, right):
            out.append((word_start, j))
            word_start = j + 1
        chunk_start = j + 1
    out.append((word_start, end))
    return [(a, b) for a, b in out if b > a]


def _hyphen_joins(left: str, right: str) -> bool:
    """Parts of one kind join ("Jean-Luc", "555-0100", "e-mail"), and a capital part a
    number ("COVID-19", "F-16"); "Paris-based", "anti-Trump", "966-Fax" are two words."""
    kinds = (_kind(left), _kind(right))
    return kinds[0] == kinds[1] or kinds == ("upper", "digit")


def _kind(chunk: str) -> str:
    c = chunk[:1]
    return "digit" if c.isdigit() else "upper" if c.isupper() else "lower"


def joins_initial(text: str, label: str, end: int, start: int) -> bool:
    """True when a ``PERSON`` span ending at ``end`` and the next one starting at ``start``
    are one name around a middle initial the model left out.

    >>> t = "Juliusz A Kwiatkowski, Jane B"
    >>> joins_initial(t, "PERSON", 7, 10), joins_initial(t, "LOCATION", 7, 10)
    (True, False)
    """
    if label != "PERSON" or start <= end:
        return False
    m = _MIDDLE_INITIAL.fullmatch(text, end, start)
    return m is not None and text[m.start() : m.end()].strip()[0].isupper()


def split_span(index: WordIndex, label: str, start: int, end: int) -> list[tuple[int, int]]:
    """Parts of a span: cut at line breaks (unless ``label`` is multi-line, ``ADDRESS``) and,
    for ``PERSON``, at coordinators ("and", "und", "et", "y", "и", "和", "&", commas), which
    are dropped. Parts are not yet trimmed.

    >>> t = "Jane Doe, Bob Lee & Ann Smith"
    >>> [t[a:b] for a, b in split_span(WordIndex.of(t), "PERSON", 0, len(t))]
    ['Jane Doe', 'Bob Lee', 'Ann Smith']
    >>> t = "Portland\\nPart"
    >>> [t[a:b] for a, b in split_span(WordIndex.of(t), "LOCATION", 0, len(t))]
    ['Portland', 'Part']
    """
    text = index.text
    if label in MULTILINE_LABELS or LINE_BREAK.search(text, start, end) is None:
        lines = [(start, end)]
    else:
        lines = [(start + m.start(), start + m.end()) for m in _ANY_LINE.finditer(text[start:end])]
    if label != "PERSON":
        return lines
    out: list[tuple[int, int]] = []
    for a, b in lines:
        parts: list[tuple[int, int]] = []
        part_start: int | None = None
        prev_end = a
        for ws, we in index.inside(a, b):
            cut = _COORD_GAP.search(text, prev_end, ws) is not None
            coordinator = _is_coordinator(text[ws:we])
            if (cut or coordinator) and part_start is not None:
                parts.append((part_start, prev_end))
                part_start = None
            if not coordinator and part_start is None:
                part_start = ws
            prev_end = we
        if part_start is not None:
            parts.append((part_start, prev_end))
        # a line of punctuation or coordinators only goes on as it is, for trim() to drop
        out.extend(parts or [(a, b)])
    return out


def _is_coordinator(word: str) -> bool:
    if word.casefold() not in _COORDINATORS:
        return False
    # single capitals ("E", "I", "Y", "O") are initials
    return len(word) > 1 or not word.isupper()


def is_edge_stop(word: str) -> bool:
    """True when ``word`` can never begin or end a name (the multilingual table above).

    ALL-CAPS acronyms never match ("MIT", "IS"), and names that are also function words
    match only in lower case ("Ben", "Van", "Cher").

    >>> [is_edge_stop(w) for w in ("heiße", "Ask", "m'", "Ben", "ben", "MIT")]
    [True, True, True, False, True, False]
    """
    low = word.casefold().replace("\u2019", "'")
    if low not in _STOP or (len(word) > 1 and word.isupper()):
        return False
    return word.islower() or low not in _LOWER_ONLY


def trim(index: WordIndex, label: str, start: int, end: int) -> tuple[int, int] | None:
    """The span without what annotators leave out, or None when nothing is left.

    Every label loses surrounding whitespace and punctuation (a bracket stays when its
    partner is inside). ``PERSON``/``LOCATION``/``ORGANIZATION`` spans also lose edge words
    of the function-word table, and a ``PERSON`` span that has a Capitalised word loses its
    all-lower-case edge words (people's names are capitalised: "venezolano Jaime
    Lusinchi"), surname particles excepted ("de Gaulle").

    >>> t = "ich heiße Hans Müller."
    >>> t[slice(*trim(WordIndex.of(t), "PERSON", 4, len(t)))]
    'Hans Müller'
    >>> t = "(555) 010-0199."
    >>> t[slice(*trim(WordIndex.of(t), "PHONE_NUMBER", 0, len(t)))]
    '(555) 010-0199'
    """
    if start < end and (skip := _escape_tail(index.text, start)):
        start += skip
    if label in NAME_LABELS:
        return _trim_name(index, label, start, end)
    span = _strip_punctuation(index, start, end)
    if span is not None and label in _NUMBER_LABELS:
        span = _trim_wordy_tail(index, *span)
    return span


# labels whose value ends in a digit (or a closing bracket): a word the model ran on into
# ("512 345 678, służbowy") is not part of the number
_NUMBER_LABELS = frozenset({"PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IBAN_CODE"})


def _trim_wordy_tail(index: WordIndex, start: int, end: int) -> tuple[int, int] | None:
    """``start, end`` without the words after the number's last digit."""
    text = index.text
    cut = end
    while cut > start and not (text[cut - 1].isdigit() or text[cut - 1] in ")]"):
        cut -= 1
    if cut in (end, start):
        return start, end  # ends in a digit, or has none at all (a number spelt out in words)
    # only whole words of letters go: "+44 20 7946 0958 ext" keeps nothing after the digits,
    # an IBAN ending in letters is not cut ("...GB82WEST" has no space before its letters)
    tail = text[cut:end]
    if not any(c.isspace() or c in ",;" for c in tail):
        return start, end
    return _strip_punctuation(index, start, cut)


def _escape_tail(text: str, pos: int) -> int:
    """How many characters at ``pos`` are the rest of a JSON/C escape whose backslash is
    just before it ("n" of "\\n", "u00e9" of "\\u00e9"); 0 when none. A model reading
    serialised JSON tags "njane@example.com" after "\\n": the letter is not the value's."""
    back = 0
    while pos - back > 0 and text[pos - back - 1] == "\\":
        back += 1
    if back % 2 == 0:
        return 0
    ch = text[pos : pos + 1]
    if ch in ("n", "r", "t", "b", "f"):
        return 1
    if ch == "u" and _HEX4.fullmatch(text, pos + 1, pos + 5):
        return 5
    return 0


_HEX4 = re.compile("[0-9a-fA-F]{4}")


def _strip_punctuation(index: WordIndex, start: int, end: int) -> tuple[int, int] | None:
    text = index.text
    while start < end:
        ch = text[start]
        if not (ch.isspace() or (ch in _STRIP_START and _CLOSERS.get(ch, "\0") not in text[start:end])):
            break
        start += 1
    while end > start:
        ch = text[end - 1]
        if not (ch.isspace() or (ch in _STRIP_END and _PAIRS.get(ch, "\0") not in text[start:end])):
            break
        if index.expand(end - 1, end - 1)[0] < end - 1:
            break  # the apostrophe of an elision ("l'") belongs to its word
        end -= 1
    return (start, end) if end > start else None


def _trim_name(index: WordIndex, label: str, start: int, end: int) -> tuple[int, int] | None:
    inner = index.inside(start, end)
    words = [index.text[a:b] for a, b in inner]
    has_capital = any(w[:1].isupper() for w in words)
    lower_goes = label == "PERSON" and has_capital

    def stop(w: str) -> bool:
        # in uncased text "ben stone" or "li na" may be a name: case cannot tell
        return (is_edge_stop(w) and (has_capital or w not in _GIVEN_NAMES)) or (lower_goes and w.islower())

    lo, hi = 0, len(words)
    while hi > lo and stop(words[hi - 1]):
        hi -= 1
    while lo < hi and stop(words[lo]) and not (label == "PERSON" and _particles_then_surname(words, lo, hi)):
        lo += 1
    if lo >= hi:
        return None
    s, e = inner[lo][0], inner[hi - 1][1]
    # "U.S." keeps the last dot, which ends the word as punctuation would
    if e < len(index.text) and index.text[e] == "." and _INITIALISM.fullmatch(words[hi - 1]):
        e += 1
    return s, e


def _particles_then_surname(words: Sequence[str], lo: int, hi: int) -> bool:
    """Lower-case surname particles from ``lo`` and then exactly one word: "de Gaulle"."""
    j = lo
    while j < hi and words[j].islower() and words[j] in _PARTICLES:
        j += 1
    return j > lo and j == hi - 1
