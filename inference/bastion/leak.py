"""System-prompt leak detection: does an answer reproduce the system prompt?

Both texts become word sequences (case-folded, punctuation, markup and line breaks
dropped), and the answer's word n-grams ("shingles") are looked up in the prompt's.
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

_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class LeakConfig:
    """Thresholds for :func:`find_leaks`.

    >>> LeakConfig(shingle=4).shingle
    4
    """

    shingle: int = 5
    min_fraction: float = 0.25
    min_run_words: int = 12

    def __post_init__(self) -> None:
        if not 2 <= self.shingle <= 32:
            raise ConfigError("leak shingle size must be between 2 and 32 words")
        if not 0.0 < self.min_fraction <= 1.0:
            raise ConfigError("leak min_fraction must be in (0, 1]")
        if self.min_run_words < self.shingle:
            raise ConfigError("leak min_run_words must be at least the shingle size")


def _words(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    words, spans = [], []
    for m in _WORD.finditer(text):
        words.append(m.group(0).casefold())
        spans.append((m.start(), m.end()))
    return words, spans


def leak_overlap(answer: str, system_prompt: str, config: LeakConfig | None = None) -> float:
    """Fraction of the prompt's shingles that appear in ``answer`` (0.0 to 1.0)."""
    cfg = config or LeakConfig()
    p_words, _ = _words(system_prompt)
    a_words, _ = _words(answer)
    n = min(cfg.shingle, len(p_words))
    if n == 0 or len(a_words) < n:
        return 0.0
    prompt_sh = {tuple(p_words[i : i + n]) for i in range(len(p_words) - n + 1)}
    answer_sh = {tuple(a_words[i : i + n]) for i in range(len(a_words) - n + 1)}
    return len(prompt_sh & answer_sh) / len(prompt_sh)


def find_leaks(answer: str, system_prompt: str, config: LeakConfig | None = None) -> list[Finding]:
    """Spans of ``answer`` that reproduce ``system_prompt`` (empty when below the thresholds)."""
    cfg = config or LeakConfig()
    p_words, _ = _words(system_prompt)
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


__all__ = ["LEAK_LABEL", "LeakConfig", "find_leaks", "leak_overlap"]
