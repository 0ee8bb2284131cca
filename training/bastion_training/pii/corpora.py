"""Multilingual NER corpora (issue 13) as span frames: token-level IOB/IO tags turned into
end-exclusive character spans over a reconstructed sentence.

The text of a row is the sentence as it was written where the source keeps it (UNER's
``# text =`` line, factRuEval's ``.txt``); otherwise it is rebuilt from the tokens with ordinary
spacing rules (:func:`detokenize`: no space before closing punctuation or after opening
brackets/quotes, none between CJK characters). Every span is placed by token offsets, never by
searching the text.

Label mapping for these sets: PER → PERSON, LOC → LOCATION, ORG → ORGANIZATION; MISC / OTH /
derived forms (GermEval ``LOCderiv`` "deutsche") are not PII and stay unlabelled.

Which files are train and which are eval-only is decided in :mod:`.build` (``TRAIN_SOURCES``,
``EVAL_SETS``); the loaders here take paths and know nothing of roles.

Example:
    >>> text, spans = iob_to_spans(["Hans", "Müller", "wohnt", "in", "Köln", "."],
    ...                            ["B-PER", "I-PER", "O", "O", "B-LOC", "O"], {"PER": "PERSON", "LOC": "LOCATION"})
    >>> text, [(text[s["start"]:s["end"]], s["label"]) for s in spans]
    ('Hans Müller wohnt in Köln.', [('Hans Müller', 'PERSON'), ('Köln', 'LOCATION')])
"""

from __future__ import annotations

import logging
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .schema import clean_spans, make_frame

log = logging.getLogger(__name__)

NER3: dict[str, str] = {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"}

# Source label -> project label, per corpus. Anything absent is dropped (left as O).
CORPUS_LABELS: dict[str, dict[str, str]] = {
    "uner": NER3,
    "germeval": NER3,  # LOCderiv/ORGpart/... are adjectives and compounds, not names
    "wikineural": NER3,
    "bsnlp": NER3,
    "conll2002": NER3,
    "kind": NER3,
    "europeana": NER3,
    "lener": {"PESSOA": "PERSON", "ORGANIZACAO": "ORGANIZATION", "LOCAL": "LOCATION"},
    # German LER: persons, judges and lawyers are people; city, country and landscape are
    # places; a street name alone is street-level (ADDRESS); companies, institutions and courts
    # are organisations. Legal norms, regulations and case citations are not PII.
    "ler": {
        "PER": "PERSON",
        "RR": "PERSON",
        "AN": "PERSON",
        "ST": "LOCATION",
        "LD": "LOCATION",
        "LDS": "LOCATION",
        "STR": "ADDRESS",
        "ORG": "ORGANIZATION",
        "UN": "ORGANIZATION",
        "INN": "ORGANIZATION",
        "GRT": "ORGANIZATION",
        "EUN": "ORGANIZATION",
    },  # fmt: skip
    # factRuEval objects: LocOrg is a place used as a polity ("Москва заявила"): LOCATION.
    "factru": {"Person": "PERSON", "Org": "ORGANIZATION", "Location": "LOCATION", "LocOrg": "LOCATION"},
}

# --------------------------------------------------------------------------- text reconstruction

_NO_SPACE_BEFORE = frozenset(",.;:!?)]}%»”’…") | {
    "''",
    "n't",
    "'s",
    "'re",
    "'ve",
    "'ll",
    "'d",
    "'m",
    "...",
    "。",
    "、",
}
_NO_SPACE_AFTER = frozenset("([{«„“¿¡‘") | {"``"}
_QUOTES = frozenset({'"', "'"})


def is_cjk(ch: str) -> bool:
    """Han, kana, hangul and CJK punctuation: scripts written without spaces between words."""
    if not ch:
        return False
    code = ord(ch)
    return (
        0x3000 <= code <= 0x30FF  # CJK punctuation, hiragana, katakana
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
        or 0xAC00 <= code <= 0xD7AF
        or 0x20000 <= code <= 0x2FA1F
    )


def detokenize(tokens: Sequence[str], lang: str = "") -> tuple[str, list[int]]:
    """Join tokens the way the sentence would have been written; returns the text and each
    token's start offset. Straight double quotes alternate open/close. Between two CJK
    characters (or for ``lang`` zh/ja/ko... when both sides are CJK) no space is written.

    >>> detokenize(["Er", "sagte", ":", '"', "Ja", '"', "(", "laut", ")", "."])[0]
    'Er sagte: "Ja" (laut).'
    >>> detokenize(["王", "小明", "住", "在", "北京", "。"])[0]
    '王小明住在北京。'
    """
    parts: list[str] = []
    starts: list[int] = []
    pos = 0
    open_quote = False
    prev = ""
    for tok in tokens:
        space = bool(parts)
        if space:
            if (
                tok in _NO_SPACE_BEFORE
                or (tok in _QUOTES and open_quote)
                or prev in _NO_SPACE_AFTER
                or (prev in _QUOTES and open_quote)
                or is_cjk(prev[-1:])
                and is_cjk(tok[:1])
            ):
                space = False
            elif len(prev) > 1 and prev[-1] in "'’" and prev[-2].isalpha() and tok[:1].isalpha():
                space = False  # elision: "l'", "c'", "dell'" attach to the next word
        if tok in _QUOTES:
            open_quote = not open_quote
        if space:
            parts.append(" ")
            pos += 1
        starts.append(pos)
        parts.append(tok)
        pos += len(tok)
        prev = tok
    return "".join(parts), starts


def align_tokens(text: str, tokens: Sequence[str]) -> list[int] | None:
    """Start offset of each token in ``text`` (tokens in order, anything between them
    whitespace), or None when the tokens do not spell the text (then the caller detokenizes)."""
    starts: list[int] = []
    pos = 0
    for tok in tokens:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if not text.startswith(tok, pos):
            return None
        starts.append(pos)
        pos += len(tok)
    return starts if not text[pos:].strip() else None


def tag_entities(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """(type, first token, last token) of every entity in IOB2, IOB1 or IO tags. ``I-X`` after
    a different type starts an entity; a bare ``X`` (IO) continues an ``X`` before it."""
    entities: list[tuple[str, int, int]] = []
    prev_kind = None
    for i, raw in enumerate(tags):
        tag = raw.strip()
        if not tag or tag == "O":
            prev_kind = None
            continue
        prefix, sep, kind = tag.partition("-")
        if not sep:  # IO scheme: "PER"
            prefix, kind = "I", tag
        if prefix not in ("B", "I", "E", "S") or not kind:
            prev_kind = None
            continue
        if prefix in ("I", "E") and prev_kind == kind and entities and entities[-1][2] == i - 1:
            entities[-1] = (kind, entities[-1][1], i)
        else:
            entities.append((kind, i, i))
        prev_kind = kind
    return entities


def iob_to_spans(
    tokens: Sequence[str],
    tags: Sequence[str],
    label_map: Mapping[str, str],
    text: str | None = None,
    lang: str = "",
) -> tuple[str, list[dict[str, Any]]]:
    """Text and mapped char spans of one tagged sentence. With ``text`` (the original sentence)
    the tokens are aligned to it; when they do not match it, the text is rebuilt."""
    starts = align_tokens(text, tokens) if text is not None else None
    if starts is None:
        text, starts = detokenize(tokens, lang)
    spans = []
    for kind, first, last in tag_entities(tags):
        label = label_map.get(kind)
        if label is not None:
            spans.append({"start": starts[first], "end": starts[last] + len(tokens[last]), "label": label})
    return text, spans


# --------------------------------------------------------------------------- readers


@dataclass(frozen=True)
class Sentence:
    tokens: tuple[str, ...]
    tags: tuple[str, ...]
    text: str | None = None  # the original sentence, when the file carries it
    sent_id: str = ""


# O, IOB-style tags (incl. Europeana's "B_LOC"/"B.PER"), and KIND's bare IO tags.
_TAG = re.compile(r"^(O|[BIES][-_.][A-Za-z]+|PER|LOC|ORG|MISC)$")


def read_columns(
    path: Path, token_col: int, tag_col: int, comments: bool = True, max_tokens: int | None = None
) -> Iterator[Sentence]:
    """Sentences of a column file. Blank lines end a sentence; ``#`` lines are comments when
    ``comments`` (``# text = ...`` and ``# sent_id = ...`` are kept, other comments such as
    GermEval's source URL or bsnlp's ``#DOCSTART`` end the sentence). ``max_tokens`` cuts
    files without sentence breaks (Europeana) after a sentence-final token."""
    tokens: list[str] = []
    tags: list[str] = []
    text: str | None = None
    sent_id = ""
    n = 0

    def flush() -> Sentence | None:
        nonlocal tokens, tags, text, sent_id, n
        out = None
        if tokens:
            out = Sentence(tuple(tokens), tuple(tags), text, sent_id or f"{path.name}:{n}")
            n += 1
        tokens, tags, text, sent_id = [], [], None, ""
        return out

    with path.open(encoding="utf-8", errors="replace") as handle:
        for raw in handle:
            line = raw.rstrip("\r\n").lstrip("\ufeff")
            if not line.strip():
                if (s := flush()) is not None:
                    yield s
                continue
            if comments and line.startswith("#"):
                body = line[1:].strip()
                if body.startswith("text =") or body.startswith("text="):
                    if tokens and (s := flush()) is not None:
                        yield s
                    text = body.split("=", 1)[1].strip()
                elif body.startswith("sent_id"):
                    if tokens and (s := flush()) is not None:
                        yield s
                    sent_id = body.split("=", 1)[-1].strip()
                elif tokens and (s := flush()) is not None:
                    yield s
                continue
            cols = line.split("\t") if "\t" in line else line.split(" ")
            cols = [c.strip() for c in cols if c.strip() or "\t" in line]
            if len(cols) < 2 or len(cols) <= max(token_col, tag_col):
                continue  # a token without a tag (OCR debris, ids) cannot be placed
            tok, tag = cols[token_col], cols[tag_col]
            if not tok or not _TAG.match(tag):
                continue
            tokens.append(tok)
            tags.append(tag)
            sentence_end = len(tokens) >= (max_tokens or 0) // 2 and tok in (".", "!", "?")
            if max_tokens and (sentence_end or len(tokens) >= max_tokens) and (s := flush()) is not None:
                yield s
    if (s := flush()) is not None:
        yield s


def _normalise_tag(tag: str) -> str:
    """Europeana's hand-typed tags: ``B-PEr``, ``B_LOC``, ``B.PER``, ``B-LOCer`` → ``B-PER``..."""
    m = re.match(r"^([BI])[-_.]([A-Za-z]{3})", tag)
    return f"{m.group(1)}-{m.group(2).upper()}" if m else "O"


# --------------------------------------------------------------------------- frames


@dataclass(frozen=True)
class CorpusFile:
    """One tagged file: where it is, how to read it and how to describe its rows."""

    rel: str  # path relative to the datasets root
    corpus: str  # key of CORPUS_LABELS
    lang: str
    fmt: str  # "uner" | "conllu3" (idx tok tag) | "germeval" | "space2" (tok tag) | "kind" | "europeana"
    source: str


_FORMATS: dict[str, dict[str, Any]] = {
    "uner": {"token_col": 1, "tag_col": 2},
    "conllu3": {"token_col": 1, "tag_col": 2},
    "germeval": {"token_col": 1, "tag_col": 2},
    "space2": {"token_col": 0, "tag_col": -1, "comments": False},
    "kind": {"token_col": 0, "tag_col": 1, "comments": False},
    "europeana": {"token_col": 0, "tag_col": -1, "comments": False, "max_tokens": 60},
}


@dataclass(frozen=True)
class RowCap:
    """How much of a corpus a loader keeps: at most ``rows`` (None: all), a sample seeded by
    ``seed`` and the file; for training (``prefer_entities``) two thirds with entities."""

    rows: int | None = None
    seed: int = 0
    prefer_entities: bool = True

    def apply(self, rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
        return cap_rows(rows, self.rows, self.seed, key, self.prefer_entities)


def load_tagged(root: Path, spec: CorpusFile, split: str, cap: RowCap = RowCap()) -> pd.DataFrame:
    """One tagged file as a span frame (``format`` = the corpus genre, ``template_id`` = the
    sentence id). ``cap`` keeps a seeded sample, preferring sentences with entities two to
    one so a capped corpus still teaches names rather than mostly O."""
    path = root / spec.rel
    label_map = CORPUS_LABELS[spec.corpus]
    rows, stats, dropped = [], Counter(), Counter()
    for sent in read_columns(path, **_FORMATS[spec.fmt]):
        tags = [_normalise_tag(t) for t in sent.tags] if spec.fmt == "europeana" else list(sent.tags)
        for kind, _, _ in tag_entities(tags):
            if kind not in label_map:
                dropped[kind] += 1
        text, raw = iob_to_spans(sent.tokens, tags, label_map, sent.text, spec.lang)
        spans, st = clean_spans(text, raw)
        stats.update(st)
        rows.append(_row(text, spans, spec.source, sent.sent_id, spec.corpus, split, spec.lang))
    rows = cap.apply(rows, spec.rel)
    _log(spec.source, path, rows, stats, dropped)
    return make_frame(rows)


def cap_rows(
    rows: list[dict[str, Any]], cap: int | None, seed: int, key: str, prefer_entities: bool = True
) -> list[dict[str, Any]]:
    """At most ``cap`` rows (seeded). For training, two thirds come from rows with spans when
    there are enough; an evaluation sample (``prefer_entities=False``) is uniform."""
    if cap is None or len(rows) <= cap:
        return rows
    rng = random.Random(f"{seed}:{key}")
    if not prefer_entities:
        keep = sorted(rng.sample(range(len(rows)), cap))
        return [rows[i] for i in keep]
    pos = [r for r in rows if r["spans"]]
    neg = [r for r in rows if not r["spans"]]
    n_pos = min(len(pos), max(cap - len(neg), (2 * cap) // 3))
    picked = rng.sample(pos, n_pos) + rng.sample(neg, min(len(neg), cap - n_pos))
    rng.shuffle(picked)
    return picked


def load_factru(root: Path, rel_dir: str, split: str, cap: RowCap = RowCap()) -> pd.DataFrame:
    """factRuEval-2016 standoff: ``.tokens`` (id, offset, length, text; blank line = sentence
    end), ``.spans`` (id, type, offset, length, first token, n tokens), ``.objects`` (id, type,
    span ids). An object's extent is the union of its spans' tokens; one row per sentence, the
    text cut from ``.txt`` with its own spacing."""
    folder = root / rel_dir
    label_map = CORPUS_LABELS["factru"]
    rows, stats, dropped = [], Counter(), Counter()
    for tok_path in sorted(folder.glob("*.tokens")):
        stem = tok_path.with_suffix("")
        txt_path, span_path, obj_path = (stem.with_suffix(s) for s in (".txt", ".spans", ".objects"))
        if not (txt_path.is_file() and span_path.is_file() and obj_path.is_file()):
            stats["doc_without_annotation"] += 1
            continue
        doc = txt_path.read_text(encoding="utf-8", errors="replace")
        sentences: list[list[tuple[str, int, int]]] = [[]]  # (token id, start, end)
        token_pos: dict[str, tuple[int, int]] = {}
        for line in tok_path.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split(" ", 3)
            if len(parts) < 4 or not (parts[1].isdigit() and parts[2].isdigit()):
                if not line.strip() and sentences[-1]:
                    sentences.append([])
                elif line.strip():
                    stats["bad_token_line"] += 1
                continue
            tid, start, length = parts[0], int(parts[1]), int(parts[2])
            if doc[start : start + length] != parts[3]:
                stats["token_offset_mismatch"] += 1
                continue
            sentences[-1].append((tid, start, start + length))
            token_pos[tid] = (start, start + length)
        span_tokens: dict[str, list[str]] = {}
        token_ids = list(token_pos)
        index = {t: i for i, t in enumerate(token_ids)}
        for line in span_path.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split("#")[0].split()
            if len(parts) < 6 or parts[4] not in index or not parts[5].isdigit():
                continue
            first, count = index[parts[4]], int(parts[5])
            span_tokens[parts[0]] = token_ids[first : first + count]
        ents: list[tuple[int, int, str]] = []
        for line in obj_path.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split("#")[0].split()
            if len(parts) < 3:
                continue
            kind = parts[1]
            if kind not in label_map:
                dropped[kind] += 1
                continue
            toks = [t for sid in parts[2:] for t in span_tokens.get(sid, [])]
            if not toks:
                stats["object_without_tokens"] += 1
                continue
            ents.append(
                (min(token_pos[t][0] for t in toks), max(token_pos[t][1] for t in toks), label_map[kind])
            )
        # A person inside a place or organisation ("памятника Юрию Долгорукому") is the PII that
        # matters: keep the person and drop the container rather than the other way round.
        people = [e for e in ents if e[2] == "PERSON"]
        ents = people + [
            e for e in ents if e[2] != "PERSON" and not any(a < e[1] and e[0] < b for a, b, _ in people)
        ]
        for n, sent in enumerate(s for s in sentences if s):
            s_start, s_end = sent[0][1], sent[-1][2]
            raw = [
                {"start": a - s_start, "end": b - s_start, "label": lab}
                for a, b, lab in ents
                if s_start <= a and b <= s_end
            ]
            text = doc[s_start:s_end]
            spans, st = clean_spans(text, raw)
            stats.update(st)
            rows.append(_row(text, spans, "factru", f"{stem.name}:{n}", "factru", split, "ru"))
    rows = cap.apply(rows, rel_dir)
    _log("factru", folder, rows, stats, dropped)
    return make_frame(rows)


# --------------------------------------------------------------------------- gazetteers


@dataclass(frozen=True)
class Gazetteers:
    """German LER gazetteers used as generator values (train role): street names, surnames,
    company names and city names, cleaned of entries that are not plausible values."""

    streets: tuple[str, ...] = ()
    surnames: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.streets or self.surnames or self.companies or self.cities)


GAZETTEER_FILES: dict[str, str] = {
    "streets": "pii/german-LER/gazetteers/strassennamen.list",
    "surnames": "pii/german-LER/gazetteers/personennamen.list",
    "companies": "pii/german-LER/gazetteers/firmennamen.list",
    "cities": "pii/german-LER/gazetteers/stadtnamen.list",
}


def _plausible(value: str, kind: str) -> bool:
    if not value or len(value) > 60 or not value[0].isalpha() or not value[0].isupper():
        return False
    if kind == "surnames":  # the list mixes in lower-case words and initials
        return len(value) >= 3 and value.isalpha()
    if kind == "cities":
        return len(value) >= 3 and not any(ch.isdigit() for ch in value)
    return True


def load_gazetteers(root: Path, max_per_list: int = 20000, seed: int = 0) -> Gazetteers:
    """A seeded sample of each list (missing files give empty lists)."""
    out: dict[str, tuple[str, ...]] = {}
    for kind, rel in GAZETTEER_FILES.items():
        path = root / rel
        if not path.is_file():
            log.warning("gazetteer %s missing at %s", kind, path)
            out[kind] = ()
            continue
        values = sorted(
            {
                unicodedata.normalize("NFC", v.strip())
                for v in path.read_text(encoding="utf-8", errors="replace").splitlines()
            }
        )
        values = [v for v in values if _plausible(v, kind)]
        rng = random.Random(f"{seed}:{kind}")
        if len(values) > max_per_list:
            values = rng.sample(values, max_per_list)
        out[kind] = tuple(values)
        log.info("gazetteer %s: %d values", kind, len(values))
    return Gazetteers(**out)


# --------------------------------------------------------------------------- helpers


def _row(text: str, spans: list[dict], source: str, tid: str, fmt: str, split: str, lang: str) -> dict:
    return {"text": text, "spans": spans, "source": source, "template_id": tid, "format": fmt, "split": split,
            "lang": lang}  # fmt: skip


def _log(source: str, path: Path, rows: Iterable[dict], stats: Counter, dropped: Counter) -> None:
    rows = list(rows)
    labels = Counter(s["label"] for r in rows for s in r["spans"])
    log.info(
        "pii source %s (%s): %d rows, spans %s; dropped out-of-scope %s; span issues %s",
        source, path, len(rows), dict(labels), dict(dropped), dict(stats),
    )  # fmt: skip
