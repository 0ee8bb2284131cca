"""The fine-tuned PII token classifier (BIO tags over ``NER_LABELS``), run with onnxruntime.

Long texts are cut into overlapping windows; a token seen in several windows keeps the
prediction of the window where it had the most context (farthest from a cut edge).
Tags are decoded into spans of whole words of the text received (names without the
function words around them, no line breaks but in addresses, one span per coordinated
name: :mod:`bastion.detectors.spans`), scored by the mean token confidence, as
end-exclusive character offsets.

The decoding helpers (:func:`sliding_windows`, :func:`merge_windows`,
:func:`decode_spans`) are plain numpy so that training evaluates its checkpoints with
exactly the runtime's post-processing.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bastion.casefeatures import case_ids
from bastion.detectors.explanation import Explanation
from bastion.detectors.onnx_common import (
    TAGGER_OVERLAP,
    OnnxTextModel,
    char_ranges,
    checked_texts,
    sliding_windows,
    text_windows,
    window_probs,
)
from bastion.detectors.spans import (
    LINE_BREAK,
    MULTILINE_LABELS,
    NAME_LABELS,
    WordIndex,
    joins_initial,
    split_span,
    trim,
)
from bastion.detectors.validators import digits_only, iban_ok, is_decimal_number, luhn_ok, ssn_ok
from bastion.errors import ConfigError, ModelLoadError
from bastion.labels import NER_LABELS, bio_tags
from bastion.types import PII, Finding

__all__ = [
    "OnnxNERDetector",
    "SpanPrediction",
    "TaggerDetector",
    "bio_tags_ok",
    "decode_spans",
    "merge_windows",
    "model_explanation",
    "pii_findings",
    "plausible",
    "sliding_windows",
    "tag_labels",
    "tag_thresholds",
]


@dataclass(frozen=True)
class SpanPrediction:
    """A decoded span: label, end-exclusive char offsets, mean token confidence."""

    label: str
    start: int
    end: int
    score: float


def merge_windows(n_tokens: int, n_tags: int, parts: Sequence[tuple[int, int, np.ndarray]]) -> np.ndarray:
    """Per-token probabilities from window predictions ``(start, end, probs[end-start, n_tags])``.

    A token predicted in several windows keeps the one where it is farthest from a cut;
    the text's own start and end are not cuts, the first tokens lose no context there.

    >>> p = merge_windows(3, 2, [(0, 2, np.array([[1.0, 0], [1, 0]])), (1, 3, np.array([[0, 1.0], [0, 1]]))])
    >>> p[:, 1].tolist()
    [0.0, 0.0, 1.0]
    """
    probs = np.zeros((n_tokens, n_tags), dtype=np.float32)
    best = np.full(n_tokens, -1, dtype=np.int64)
    far = n_tokens + 1
    for s, e, p in parts:
        idx = np.arange(s, e)
        left = idx - s if s > 0 else np.full(len(idx), far)
        right = (e - 1) - idx if e < n_tokens else np.full(len(idx), far)
        dist = np.minimum(left, right)
        better = dist > best[s:e]
        probs[s:e][better] = p[: e - s][better]
        best[s:e] = np.where(better, dist, best[s:e])
    return probs


def decode_spans(
    text: str,
    offsets: Sequence[tuple[int, int]],
    word_ids: Sequence[int | None],
    probs: np.ndarray,
    tags: Sequence[str],
    thresholds: dict[str, float] | None = None,
) -> list[SpanPrediction]:
    """BIO decoding of per-token ``probs`` into character spans of ``text``, in text order.

    ``I-X`` without a preceding ``X`` starts a span; ``B-X`` right after ``X`` starts a new
    one only at a word boundary (a ``B`` on a word-piece continues its word). Then, on the
    words of ``text`` (:mod:`bastion.detectors.spans`):

    * a span is widened to whole words; pieces of one word tagged with different labels
      become one span of the label with the most probability over them;
    * spans are cut at line breaks (except ``ADDRESS``), and ``PERSON`` spans at
      coordinators ("Jane Doe and Bob Lee" is two people);
    * names (``PERSON``/``LOCATION``/``ORGANIZATION``) lose edge function words and verbs
      ("je m'appelle Marie Dupont" gives "Marie Dupont"), every span its edge punctuation.

    A span's score is the mean tag probability of the model tokens inside it; a name's
    pieces tagged with another label count with their ``P(B-X) + P(I-X)`` (an unsure
    word), a structured value's are left out (a number split between look-alike labels).
    A span under ``thresholds[label]`` (else ``thresholds["default"]``), or with no model
    token left inside, is dropped.

    >>> tags = ["O", "B-PERSON", "I-PERSON"]
    >>> p = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.9, 0.05, 0.05]])
    >>> decode_spans("Hi Ann Lee.", [(0, 2), (3, 6), (7, 10), (10, 11)], [0, 1, 2, 3], p, tags)  # doctest: +ELLIPSIS
    [SpanPrediction(label='PERSON', start=3, end=10, score=0.8...)]
    """
    thresholds = thresholds or {}
    default = float(thresholds.get("default", 0.5))
    n = len(offsets)
    if n == 0:
        return []
    pred = probs.argmax(-1)
    conf = probs.max(-1)
    tag_label = [t[2:] if t != "O" and len(t) >= 3 else None for t in tags]
    raw: list[list[Any]] = []  # [label, first token, last token]
    cur: list[Any] | None = None
    for i in range(n):
        label = tag_label[int(pred[i])]
        if label is None:
            cur = None
            continue
        bio = tags[int(pred[i])][0]
        same_word = i > 0 and word_ids[i] is not None and word_ids[i] == word_ids[i - 1]
        if cur is not None and cur[0] == label and cur[2] == i - 1 and (bio == "I" or same_word):
            cur[2] = i
        else:
            cur = [label, i, i]
            raw.append(cur)
    if not raw:
        return []
    index = WordIndex.of(text)
    mass = _label_mass(probs, tags)
    out: list[SpanPrediction] = []
    for label, start, end, toks in _word_groups(text, index, offsets, raw, mass):
        for ps, pe in split_span(index, label, start, end):
            cut = trim(index, label, ps, pe)
            if cut is None:
                continue
            s, e = cut
            inside = [i for i in toks if offsets[i][0] < e and offsets[i][1] > s]
            tagged = [i for i in inside if tag_label[int(pred[i])] == label]
            if label in NAME_LABELS:
                # a word whose pieces disagree is an unsure word, mostly not a name: its
                # pieces of another label count with their probability of this one
                own = np.array([tag_label[int(pred[i])] == label for i in inside])
                score = float(np.mean(np.where(own, conf[inside], mass[label][inside])))
            elif tagged:
                # a number split between look-alike labels (phone, card) is still one
                # value; the validators judge it, not the vote of its pieces
                score = float(np.mean(conf[tagged]))
            else:
                continue
            if score >= float(thresholds.get(label, default)):
                out.append(SpanPrediction(label, s, e, score))
    return out


def _label_mass(probs: np.ndarray, tags: Sequence[str]) -> dict[str, np.ndarray]:
    """Per label, each token's ``P(B-X) + P(I-X)``."""
    out: dict[str, np.ndarray] = {}
    for k, t in enumerate(tags):
        if t != "O" and len(t) >= 3:
            out[t[2:]] = out.get(t[2:], 0) + probs[:, k]
    return out


def _word_groups(
    text: str,
    index: WordIndex,
    offsets: Sequence[tuple[int, int]],
    raw: Sequence[Sequence[Any]],
    mass: Mapping[str, np.ndarray],
) -> list[tuple[str, int, int, list[int]]]:
    """Token runs as whole-word spans ``(label, start, end, tokens)``.

    Runs are cut at line breaks (except ``ADDRESS``) and widened to whole words; runs that
    then overlap (the pieces of one word) merge into one span of the label with the most
    probability over their tokens, and so do two parts of a name around an untagged
    middle initial.
    """
    groups: list[tuple[int, int, list[tuple[str, list[int]]]]] = []
    for label, a, b in raw:
        for ts in _line_runs(text, offsets, label, a, b):
            s = max(0, int(offsets[ts[0]][0]))
            e = min(len(text), int(offsets[ts[-1]][1]))
            if e <= s:
                continue
            s, e = index.expand(s, e)
            if groups and (
                s < groups[-1][1]
                or (groups[-1][2][-1][0] == label and joins_initial(text, label, groups[-1][1], s))
            ):
                gs, ge, runs = groups[-1]
                groups[-1] = (gs, max(ge, e), [*runs, (label, ts)])
            else:
                groups.append((s, e, [(label, ts)]))
    out: list[tuple[str, int, int, list[int]]] = []
    for s, e, runs in groups:
        toks = sorted({i for _, ts in runs for i in ts})
        labels = sorted({lab for lab, _ in runs})
        label = runs[0][0]
        if len(labels) > 1:
            label = max(labels, key=lambda lab: float(mass[lab][toks].sum()))
        out.append((label, s, e, toks))
    return out


def _line_runs(text: str, offsets: Sequence[tuple[int, int]], label: str, a: int, b: int) -> list[list[int]]:
    """Tokens ``a..b`` cut where a line break lies between two of them (one part for
    ``ADDRESS``), so that a run on two lines votes on neither line's label."""
    if label in MULTILINE_LABELS:
        return [list(range(a, b + 1))]
    parts = [[a]]
    for i in range(a + 1, b + 1):
        if LINE_BREAK.search(text, int(offsets[i - 1][1]), int(offsets[i][0])):
            parts.append([i])
        else:
            parts[-1].append(i)
    return parts


class TaggerDetector:
    """What the PII taggers share (:class:`OnnxNERDetector` and the one-pass model's PII
    head): from :meth:`token_probs`, spans decoded under ``_cut`` and their findings, each
    explained by the model window that read it.

    >>> isinstance(OnnxNERDetector.load("models/pii"), TaggerDetector)  # doctest: +SKIP
    True
    """

    category = PII
    kind = "model"
    model: OnnxTextModel
    name: str
    tags: tuple[str, ...]
    validate: bool
    _cut: dict[str, float]

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Content tokens per text (what a token budget is measured in)."""
        return self.model.count_tokens(texts)

    def token_probs(self, texts: Sequence[str]) -> list[tuple[Any, np.ndarray]]:
        """Per text: the tokenizer encoding and merged per-token tag probabilities."""
        raise NotImplementedError

    def predict(self, texts: Sequence[str]) -> list[list[SpanPrediction]]:
        """Decoded spans per text (offsets into the given texts)."""
        return [
            decode_spans(t, enc.offsets, enc.word_ids, probs, self.tags, self._cut)
            for t, (enc, probs) in zip(texts, self.token_probs(texts), strict=True)
        ]

    def detect(self, texts: Sequence[str]) -> list[list[Finding]]:
        return [
            pii_findings(
                self.name,
                text,
                decode_spans(text, enc.offsets, enc.word_ids, probs, self.tags, self._cut),
                char_ranges(enc, text_windows(self.model, enc)),
                validate=self.validate,
            )
            for text, (enc, probs) in zip(texts, self.token_probs(texts), strict=True)
        ]


class OnnxNERDetector(TaggerDetector):
    """Finds names, addresses, organisations, ... with the shipped int8 NER model.

    Each window runs as its own batch of one (``batch_invariant=True``), so a text's spans
    and scores never depend on the other texts in the call; on a graph whose manifest says
    ``batch_invariant`` (checked at load), short windows share padded batches of up to
    ``batch_size`` with the same results (:func:`~bastion.detectors.onnx_common.window_batches`).
    ``batch_invariant=False`` is the older length-bucketed batching on any graph, kept to
    measure the difference.

    >>> det = OnnxNERDetector.load("models/pii")  # doctest: +SKIP
    >>> [(f.label, f.start, f.end) for f in det.detect(["Contact John Smith today"])[0]]  # doctest: +SKIP
    [('PERSON', 8, 18)]
    """

    def __init__(
        self,
        model: OnnxTextModel,
        *,
        batch_size: int = 16,
        name: str = "pii_model",
        validate: bool = True,
        batch_invariant: bool = True,
        min_score: float | None = None,
    ) -> None:
        tags = tuple(model.manifest.labels)
        where = f"{model.folder}/manifest.json"
        self.labels = tag_labels(tags, f"{where}:")
        self.model = model
        self.validate = validate
        self.tags = tags
        self.name = name
        self.version = model.manifest.version
        self.homoglyphs = getattr(model, "homoglyphs", "all")
        self.thresholds = tag_thresholds(model.manifest.thresholds, self.labels, f"{where}: thresholds") or {
            "default": 0.5
        }
        # None: drop spans under the manifest's per-label cut here (standalone use). A number:
        # keep everything above that floor and let the Guard's Policy apply the cut, so a
        # label_thresholds entry below the model's cut can bring a span back.
        if min_score is not None and not 0.0 <= float(min_score) <= 1.0:
            raise ConfigError(f"min_score must be in [0, 1], got {min_score!r}")
        self.min_score = None if min_score is None else float(min_score)
        self._cut = self.thresholds if self.min_score is None else {"default": self.min_score}
        self.batch_size = max(1, int(batch_size))
        self.batch_invariant = batch_invariant
        self.use_case = bool(model.manifest.extra.get("case_features", False))
        if self.use_case and "case_ids" not in model.input_names:
            raise ModelLoadError(f"{model.folder}: manifest says case_features but the graph has no case_ids")
        if not self.use_case and "case_ids" in model.input_names:
            raise ModelLoadError(
                f"{model.folder}: the graph takes case_ids but the manifest lacks case_features"
            )

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        threads: int | None = None,
        batch_size: int = 16,
        verify: bool = True,
        validate: bool = True,
        overlap: int | None = TAGGER_OVERLAP,
        batch_invariant: bool = True,
        min_score: float | None = None,
        workers: int = 1,
    ) -> OnnxNERDetector:
        """Load a model folder; ``overlap`` caps the tokens shared by consecutive windows
        (``None``: the manifest's stride), see :class:`OnnxTextModel`."""
        model = OnnxTextModel(path, threads=threads, verify=verify, overlap=overlap, workers=workers)
        return cls(
            model,
            batch_size=batch_size,
            validate=validate,
            batch_invariant=batch_invariant,
            min_score=min_score,
        )

    def token_probs(self, texts: Sequence[str]) -> list[tuple[Any, np.ndarray]]:
        """Per text: the tokenizer encoding and merged per-token tag probabilities."""
        texts = checked_texts(texts, self.name)
        encs = self.model.encode(texts)
        jobs: list[tuple[int, int, int]] = []  # (text, first token, end token) per window
        rows: list[list[int]] = []
        cases: list[list[int]] = []
        for ti, enc in enumerate(encs):
            ids = enc.ids
            text_cases = case_ids(texts[ti], enc.offsets, enc.word_ids) if self.use_case else []
            for s, e in text_windows(self.model, enc):
                jobs.append((ti, s, e))
                rows.append(ids[s:e])
                cases.append(text_cases[s:e])
        parts: list[list[tuple[int, int, np.ndarray]]] = [[] for _ in texts]
        runs = window_probs(
            self.model,
            rows,
            {"case_ids": cases} if self.use_case else None,
            batch_invariant=self.batch_invariant,
            batch_size=self.batch_size,
        )
        for batch, probs in runs:
            for j, p in zip(batch, probs, strict=True):
                ti, s, e = jobs[j]
                parts[ti].append((s, e, p[1 : e - s + 1]))
        n_tags = len(self.tags)
        return [(enc, merge_windows(len(enc.ids), n_tags, parts[i])) for i, enc in enumerate(encs)]


def bio_tags_ok(tags: Sequence[str]) -> bool:
    """Whether ``tags`` are a tagger's: ``O`` first, then ``B-``/``I-`` tags.

    >>> bio_tags_ok(["O", "B-PERSON", "I-PERSON"]), bio_tags_ok(["B-PERSON", "O"])
    (True, False)
    """
    return bool(tags) and tags[0] == "O" and all(t == "O" or t[:2] in ("B-", "I-") for t in tags)


def tag_labels(tags: Sequence[str], where: str) -> tuple[str, ...]:
    """The entity labels of a tagger's ``tags``, sorted; :class:`ModelLoadError` naming
    ``where`` (the folder and which label list) unless they are what training writes:
    ``O``, then ``B-X``, ``I-X`` for each label ``X`` of :data:`~bastion.labels.NER_LABELS`
    the model tags, in that order. Nothing ties the manifest's list to the graph's outputs,
    so an edited list (PERSON and LOCATION swapped, a label twice, an unknown one) would
    rename what the model finds; the fixed order refuses it.

    >>> tag_labels(["O", "B-PERSON", "I-PERSON", "B-EMAIL_ADDRESS", "I-EMAIL_ADDRESS"], "m: manifest")
    ('EMAIL_ADDRESS', 'PERSON')
    """
    tags = tuple(tags)
    if not bio_tags_ok(tags):
        raise ModelLoadError(f"{where} labels must be 'O' then B-/I- tags, got {tags[:5]}")
    if len(set(tags)) != len(tags):
        dup = sorted({t for t in tags if tags.count(t) > 1})
        raise ModelLoadError(f"{where} labels must be distinct, {dup} appear twice")
    entities = [t[2:] for t in tags if t.startswith("B-")]
    unknown = [e for e in entities if e not in NER_LABELS]
    if unknown:
        raise ModelLoadError(f"{where} labels {unknown} are not PII labels the runtime knows ({NER_LABELS})")
    order = sorted(entities, key=NER_LABELS.index)
    if tags != bio_tags(tuple(order)):
        raise ModelLoadError(
            f"{where} labels must be 'O' then B-X, I-X per label in the order of bastion.labels.NER_LABELS, "
            f"as training writes them: expected {bio_tags(tuple(order))}, got {tags}"
        )
    return tuple(sorted(entities))


def tag_thresholds(thresholds: Mapping[str, float], labels: Sequence[str], where: str) -> dict[str, float]:
    """A tagger's ``thresholds``, checked: keys are ``default`` or one of its entity
    ``labels`` (a misspelt ``PERSN`` was ignored, leaving PERSON at the default cut);
    :class:`ModelLoadError` naming ``where`` (the manifest and field) otherwise.

    >>> tag_thresholds({"default": 0.5, "PERSON": 0.85}, ("PERSON",), "m")
    {'default': 0.5, 'PERSON': 0.85}
    """
    unknown = sorted(k for k in thresholds if k != "default" and k not in labels)
    if unknown:
        raise ModelLoadError(
            f"{where} name labels the model does not tag: {unknown} (its labels: {list(labels)})"
        )
    return dict(thresholds)


def pii_findings(
    name: str,
    text: str,
    spans: Sequence[SpanPrediction],
    windows: Sequence[tuple[int, int]],
    *,
    validate: bool = True,
) -> list[Finding]:
    """The findings of decoded ``spans`` of ``text``, each explained by the model window
    (character ranges ``windows``) that read it; with ``validate``, spans whose value
    fails :func:`plausible` are dropped.

    >>> spans = [SpanPrediction("PERSON", 3, 6, 0.9), SpanPrediction("CREDIT_CARD", 7, 11, 0.8)]
    >>> [(f.label, f.start, f.end, f.explanation["window"]) for f in pii_findings("m", "Hi Ann 1234", spans, [(0, 11)])]
    [('PERSON', 3, 6, '[0:11)')]
    """
    out = []
    for s in spans:
        if validate and not plausible(s.label, text[s.start : s.end]):
            continue
        start, end = with_house_number(text, s.start, s.end) if s.label == "ADDRESS" else (s.start, s.end)
        why = model_explanation(name, windows, start, end)
        out.append(Finding(s.label, start, end, round(s.score, 6), name, PII, explanation=why))
    return out


_HOUSE_BEFORE = re.compile(r"(?<![\w.,/-])[0-9]{1,5}[A-Za-z]?,?[ \t]+$")
_HOUSE_AFTER = re.compile(r"[ \t]+[0-9]{1,5}[A-Za-z]?(?![\w/-]|[.,][0-9])")


def with_house_number(text: str, start: int, end: int) -> tuple[int, int]:
    """An ``ADDRESS`` span grown over the house number right before it ("12 Baker Street")
    or right after it ("Hauptstraße 5"): a tagger that cuts the street from its number leaves
    the number in clear (e5's pieces carry the space before a one-digit number).

    >>> t = "Ship to 12 Baker Street, or Hauptstraße 5a."
    >>> [t[a:b] for a, b in (with_house_number(t, 11, 23), with_house_number(t, 28, 39))]
    ['12 Baker Street', 'Hauptstraße 5a']
    >>> t = "in 1.5 Baker Street"  # not a house number
    >>> t[slice(*with_house_number(t, 7, 19))]
    'Baker Street'
    """
    m = _HOUSE_BEFORE.search(text, max(0, start - 12), start)
    if m and m.end() == start:
        start = m.start()
    m = _HOUSE_AFTER.match(text, end)
    if m and not text[end : m.end()].strip().isalpha():
        end = m.end()
    return start, end


def model_explanation(
    model: str, windows: Sequence[tuple[int, int]], start: int, end: int
) -> Mapping[str, str]:
    """``{"model": ..., "window": "[a:b)"}``: the first model window holding the whole span
    (else the one it starts in), as end-exclusive character offsets.

    >>> dict(model_explanation("pii", [(0, 40), (30, 70)], 35, 50))
    {'model': 'pii', 'window': '[30:70)'}
    """
    chosen = next((w for w in windows if w[0] <= start and end <= w[1]), None)
    if chosen is None:
        chosen = next((w for w in windows if w[0] <= start < w[1]), (start, end))
    return Explanation({"model": model, "window": f"[{chosen[0]}:{chosen[1]})"})


_NUMERIC_FORM = re.compile(r"[0-9+()\s./-]+")
_EMAIL_FORM = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")


def plausible(label: str, value: str) -> bool:
    """Structural checks on the model's spans.

    A model tags "number-looking" things by shape, so it would happily call a
    Luhn-invalid order id a card or a hash an IBAN. Where a value is written in digits, the
    same validators the regex recognizers use must pass; spelled-out values ("four one one
    one ...", "jane dot doe at ...") are the model's own territory and are kept.

    >>> plausible("CREDIT_CARD", "4111 1111 1111 1112"), plausible("CREDIT_CARD", "4111 1111 1111 1111")
    (False, True)
    >>> plausible("IBAN_CODE", "sha256 a1d5757966e8"), plausible("PHONE_NUMBER", "61677")
    (False, False)
    >>> plausible("PERSON", "1982"), plausible("PERSON", "Ann")  # a name has letters
    (False, True)
    >>> plausible("CREDIT_CARD", "D123-4567-8901"), plausible("EMAIL_ADDRESS", "@")  # ids, stray marks
    (False, False)
    """
    if label in NAME_LABELS:
        return any(ch.isalpha() for ch in value)
    numeric = _NUMERIC_FORM.fullmatch(value) is not None
    digits = digits_only(value)
    if label == "EMAIL_ADDRESS":
        # written with "@": a local part and a dotted domain; spelled out ("jane at x dot com"): words
        return _EMAIL_FORM.fullmatch(value) is not None if "@" in value else any(c.isalpha() for c in value)
    if label in ("CREDIT_CARD", "US_SSN") and digits and not numeric:
        # letters mixed with digits are a licence, order or ticket id, not a card or SSN
        return False
    if label == "CREDIT_CARD":
        return not numeric or (12 <= len(digits) <= 19 and luhn_ok(digits))
    if label == "IBAN_CODE":
        return iban_ok(re.sub(r"[\s-]", "", value))
    if label == "US_SSN":
        return not numeric or (len(digits) == 9 and ssn_ok(digits))
    if label == "PHONE_NUMBER":
        return not numeric or (7 <= len(digits) <= 15 and not is_decimal_number(value))
    if label == "IP_ADDRESS":
        try:
            ipaddress.ip_address(value.strip("[]"))
        except ValueError:
            return False
    return True
