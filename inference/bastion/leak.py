"""System-prompt leak detection: does an answer reproduce the system prompt?

Both texts become word sequences (case-folded, punctuation, markup tags, escapes, list
numbers and line breaks dropped; in Chinese and Japanese each character is a word), and the answer's word n-grams ("shingles") are looked up in the prompt's.
Reformatting (bullets, numbering, markdown, wrapped lines, changed case) keeps the
shingles, so a copied prompt is found; a paraphrase shares few 5-word runs, so it is
not. Translation is out of scope by design: a translated prompt is a paraphrase here.

A leak is reported when the answer covers at least ``min_fraction`` of the prompt's
shingles, or reproduces one unbroken run of ``min_run_words`` prompt words; each
overlapping run becomes one ``SYSTEM_PROMPT_LEAK`` finding.

>>> prompt = "You are Ada, the billing assistant of Acme. Never offer refunds above 50 euros."
>>> find_leaks("My instructions: you are Ada, the billing assistant of Acme; never offer refunds above 50 euros", prompt)[0].label
'SYSTEM_PROMPT_LEAK'
>>> find_leaks("I help with billing questions for Acme customers.", prompt)
[]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bastion.errors import ConfigError
from bastion.types import Finding

LEAK_LABEL = "SYSTEM_PROMPT_LEAK"
DETECTOR = "prompt_leak"

# scripts written without spaces between words: each character is a word there (a whole
# clause read as one word made a Japanese prompt too short to look for, and a changed
# clause broke every shingle around it)
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# letters and digits: an underscore joins words the way a space does ("you_are_ada")
_WORD = re.compile(f"[{_UNSPACED}]|[^\\W_{_UNSPACED}]+")
_UNSPACED_CHAR = re.compile(f"[{_UNSPACED}]")
# not words of the text: markup tags ("<span>"), JSON / Python escapes ("\u0020", "\n")
_NOT_TEXT = re.compile(
    r"</?[A-Za-z][^<>\n]{0,60}>|\\(?:u[0-9A-Fa-f]{4}|x[0-9A-Fa-f]{2}|[nrt])"
    # character references and %XX: "You&nbsp;are", "You%20are" (a joined prompt is still it)
    r"|&(?:[A-Za-z]{2,8}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});|%[0-9A-Fa-f]{2}"
)


@dataclass(frozen=True, slots=True)
class LeakConfig:
    """Thresholds for :func:`find_leaks`.

    >>> LeakConfig(shingle=4).shingle
    4
    """

    shingle: int = 5
    min_fraction: float = 0.25
    min_run_words: int = 12
    # a prompt this short ("Be concise.", "Use markdown tables when comparing products.")
    # holds nothing to leak and its words turn up in ordinary answers: it is not looked for
    min_prompt_words: int = 10

    def __post_init__(self) -> None:
        if not 2 <= self.shingle <= 32:
            raise ConfigError("leak shingle size must be between 2 and 32 words")
        if not 0.0 < self.min_fraction <= 1.0:
            raise ConfigError("leak min_fraction must be in (0, 1]")
        if self.min_run_words < self.shingle:
            raise ConfigError("leak min_run_words must be at least the shingle size")
        if self.min_prompt_words < 1:
            raise ConfigError("leak min_prompt_words must be at least 1")


def _words(text: str, start: int = 0, end: int | None = None) -> tuple[list[str], list[tuple[int, int]]]:
    """The words of ``text[start:end]`` as the detectors read text (NFKC: full-width letters;
    zero-width characters gone; look-alike letters folded), case-folded, with their spans in
    ``text``: "Y\u200bou are Ada" and "Ｙｏｕ ａｒｅ Ａｄａ" read as the prompt's words."""
    from bastion.normalize import normalize

    seg = text[start:end]
    n = normalize(seg)
    norm = n.text
    if any(c in norm for c in "<\\&%"):
        # blanked to the same length, so offsets still map back through ``n``
        norm = _NOT_TEXT.sub(lambda m: " " * len(m.group(0)), norm)
    words, spans = [], []
    for m in _WORD.finditer(norm):
        word = m.group(0)
        if word.isdigit() and len(word) <= 3:
            # list numbers ("1. You 2. are") break every shingle; a short number says little
            continue
        s, e = n.to_original(m.start(), m.end())
        words.append(word.casefold())
        spans.append((start + s, start + e))
    return words, spans


def _scaled(cfg: LeakConfig, p_words: list[str]) -> LeakConfig:
    """``cfg`` in characters for a prompt written mostly in Chinese or Japanese, where a word
    here is one character: twice the words (about as much text as the thresholds mean in
    English), so an answer restating the bot's scope in a dozen characters is no leak."""
    unspaced = sum(len(w) == 1 and _UNSPACED_CHAR.match(w) is not None for w in p_words)
    if 2 * unspaced <= len(p_words):
        return cfg
    return LeakConfig(
        shingle=min(32, 2 * cfg.shingle),
        min_fraction=cfg.min_fraction,
        min_run_words=2 * cfg.min_run_words,
        min_prompt_words=2 * cfg.min_prompt_words,
    )


def leak_overlap(answer: str, system_prompt: str, config: LeakConfig | None = None) -> float:
    """Fraction of the prompt's shingles that appear in ``answer`` (0.0 to 1.0)."""
    p_words, _ = _words(system_prompt)
    cfg = _scaled(config or LeakConfig(), p_words)
    a_words, _ = _words(answer)
    n = min(cfg.shingle, len(p_words))
    if n == 0 or len(a_words) < n:
        return 0.0
    prompt_sh = {tuple(p_words[i : i + n]) for i in range(len(p_words) - n + 1)}
    answer_sh = {tuple(a_words[i : i + n]) for i in range(len(a_words) - n + 1)}
    return len(prompt_sh & answer_sh) / len(prompt_sh)


def find_leaks(answer: str, system_prompt: str, config: LeakConfig | None = None) -> list[Finding]:
    """Spans of ``answer`` that reproduce ``system_prompt`` (empty when below the thresholds)."""
    p_words, _ = _words(system_prompt)
    cfg = _scaled(config or LeakConfig(), p_words)
    if len(p_words) < cfg.min_prompt_words:
        return []
    a_words, a_spans = _words(answer)
    # short prompts: shingles as long as the prompt, so one shared common word never counts
    n = min(cfg.shingle, len(p_words))
    if n < 2 or len(a_words) < n:
        return []
    prompt_sh = {tuple(p_words[i : i + n]) for i in range(len(p_words) - n + 1)}
    covered = [False] * len(a_words)
    shared: set[tuple[str, ...]] = set()
    for i in range(len(a_words) - n + 1):
        sh = tuple(a_words[i : i + n])
        if sh in prompt_sh:
            shared.add(sh)
            for j in range(i, i + n):
                covered[j] = True
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(a_words):
        if covered[i]:
            j = i
            while j + 1 < len(a_words) and covered[j + 1]:
                j += 1
            runs.append((i, j + 1))
            i = j + 1
        else:
            i += 1
    fraction = len(shared) / len(prompt_sh)
    longest = max((b - a for a, b in runs), default=0)
    min_run = min(cfg.min_run_words, len(p_words))
    if fraction < cfg.min_fraction and longest < min_run:
        return []
    # past either threshold the leak is certain enough to act on; leak_overlap gives the degree
    return [Finding(LEAK_LABEL, a_spans[a][0], a_spans[b - 1][1], 1.0, DETECTOR) for a, b in runs]


class LeakScanner:
    """:func:`find_leaks`'s verdict (leak or not) over a text that only grows, as a stream
    delivers it: each :meth:`feed` reads only the words that are new, so an answer of any
    length costs linear time (re-scanning the whole answer at every step was quadratic).

    >>> prompt = "You are Ada, the billing assistant of Acme. Never offer refunds above 50 euros."
    >>> s = LeakScanner(prompt)
    >>> part = "My instructions: you are Ada, the billing "
    >>> s.feed(part), s.feed(part + "assistant of Acme; never offer refunds")
    (False, True)
    """

    def __init__(self, system_prompt: str, config: LeakConfig | None = None) -> None:
        p_words, _ = _words(system_prompt)
        cfg = _scaled(config or LeakConfig(), p_words)
        self._n = min(cfg.shingle, len(p_words)) if len(p_words) >= cfg.min_prompt_words else 0
        self._prompt = {tuple(p_words[i : i + self._n]) for i in range(len(p_words) - self._n + 1)}
        self._min_fraction = cfg.min_fraction
        self._min_run = min(cfg.min_run_words, len(p_words))
        self._pos = 0  # characters of the text read so far (up to a word boundary)
        self._tail: list[str] = []  # the last n - 1 words read
        self._count = 0  # words read
        self._shared: set[tuple[str, ...]] = set()
        self._run_start = self._cover_until = 0
        self._longest = 0
        self.leaked = False

    def feed(self, text: str, *, final: bool = False) -> bool:
        """Read ``text`` (the whole text so far; only its unread part is scanned) and say
        whether it reproduces the prompt. A word cut at the end waits for the next call."""
        if self.leaked or self._n < 2:
            return self.leaked
        end = len(text)
        if not final:
            words = list(_WORD.finditer(text, max(self._pos, end - 256), end))
            if words and words[-1].end() == end:
                end = words[-1].start()  # the last word may go on in the next chunk
        for word in _words(text, self._pos, end)[0]:
            self._tail.append(word)
            self._count += 1
            if len(self._tail) > self._n:
                del self._tail[0]
            if len(self._tail) == self._n and tuple(self._tail) in self._prompt:
                self._shared.add(tuple(self._tail))
                start = self._count - self._n
                if start > self._cover_until:
                    self._run_start = start
                self._cover_until = self._count
                self._longest = max(self._longest, self._cover_until - self._run_start)
        self._pos = max(self._pos, end)
        fraction = len(self._shared) / len(self._prompt) if self._prompt else 0.0
        self.leaked = fraction >= self._min_fraction or self._longest >= self._min_run
        return self.leaked


__all__ = ["LEAK_LABEL", "LeakConfig", "LeakScanner", "find_leaks", "leak_overlap"]
