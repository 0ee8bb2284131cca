"""Loaders for the external PII sets, each mapped onto :data:`bastion.labels.NER_LABELS`.

Only WNUT-17 train is a training source; every other loader here reads an EVAL-ONLY set (see
``/work/shared/datasets/README.md``). Each loader validates its spans (drops and counts bad ones,
never raises on a bad row) and logs what it kept.

Example:
    >>> text, spans, _ = conll_to_text(["Hi", "Ann", "!"], ["O", "B-person", "O"], LABEL_MAP["wnut17"])
    >>> text, spans
    ('Hi Ann !', [{'start': 3, 'end': 6, 'label': 'PERSON'}])
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from bastion.errors import InputError

from .schema import clean_spans, make_frame

log = logging.getLogger(__name__)

# Source label -> project label. A source label absent from its map is dropped (unlabelled).
LABEL_MAP: dict[str, dict[str, str]] = {
    "wnut17": {"person": "PERSON", "location": "LOCATION", "corporation": "ORGANIZATION"},
    "conll2003": {"PER": "PERSON", "LOC": "LOCATION", "ORG": "ORGANIZATION"},
    "presidio": {
        "PERSON": "PERSON",
        "LOCATION": "LOCATION",
        "GPE": "LOCATION",
        "STREET_ADDRESS": "ADDRESS",
        "ORGANIZATION": "ORGANIZATION",
        "PHONE_NUMBER": "PHONE_NUMBER",
        "EMAIL_ADDRESS": "EMAIL_ADDRESS",
        "CREDIT_CARD": "CREDIT_CARD",
        "IBAN_CODE": "IBAN_CODE",
        "US_SSN": "US_SSN",
        "IP_ADDRESS": "IP_ADDRESS",
        "DATE_OF_BIRTH": "DATE_OF_BIRTH",
    },
    # Location phrases are split into ADDRESS / LOCATION by _deid_location_label.
    "deid": {
        "HCPName": "PERSON",
        "PTName": "PERSON",
        "PTNameInitial": "PERSON",
        "RelativeProxyName": "PERSON",
        "Location": "LOCATION",
        "Phone": "PHONE_NUMBER",
    },
    "edge": {
        "PERSON_NAME": "PERSON",
        "CITY": "LOCATION",
        "LOCATION": "LOCATION",  # neighbourhoods and roads ("koramangala", "mg road")
        "EMAIL": "EMAIL_ADDRESS",
        "PHONE": "PHONE_NUMBER",
        "CREDIT_CARD": "CREDIT_CARD",
    },
    "pii_syn": {
        "PERSON": "PERSON",
        "EMAIL": "EMAIL_ADDRESS",
        "SSN": "US_SSN",
        "ORGANIZATION": "ORGANIZATION",
        "ORG": "ORGANIZATION",
        "BANK": "ORGANIZATION",
        "PHONE": "PHONE_NUMBER",
        "IBAN": "IBAN_CODE",
        "CREDIT_CARD": "CREDIT_CARD",
        "USERNAME": "USERNAME",
        "USERID": "USERNAME",
        "USER_ID": "USERNAME",
    },
}

# Source labels deliberately dropped because the NER label set has no counterpart (dates that are
# not birth dates, ages, titles, IDs the regex recognizers or nobody cover...). Listed so a
# reviewer can see the choice was made, not missed.
OUT_OF_SCOPE: dict[str, list[str]] = {
    "wnut17": ["product", "creative-work", "group"],
    "conll2003": ["MISC"],
    "presidio": ["DATE_TIME", "NRP", "TITLE", "AGE", "ZIP_CODE", "DOMAIN_NAME", "US_DRIVER_LICENSE"],
    "deid": ["Date", "DateYear", "Age", "Other"],
    "edge": ["DATE"],
    "pii_syn": [
        "PASSWORD", "PASSPORT", "PASSPORT_NUM", "TAX_ID", "TAXID", "ACCOUNT", "ACCOUNT_NUMBER",
        "ACCOUNT_NUM", "BANK_ACCOUNT", "BANK_ACCOUNT_NUM", "ROUTING_NUMBER", "SYSTEM", "PATIENT_ID",
        "PAN", "AADHAR", "DRIVER_LICENSE", "DRIVERS_LICENSE", "DRIVER_LICENSE_NUM", "LICENSE", "TITLE",
        "INSURANCE_ID", "INSURANCE_POLICY_NUM", "MISC", "VOTER_ID", "PID", "EMPLOYEE_ID", "EVENT",
        "POLICE_ID_NUM", "MEDICAL_RECORD",
    ],
}  # fmt: skip

_HANDLE = re.compile(r"@[A-Za-z0-9_]{2,}")


# --------------------------------------------------------------------------- CoNLL


def read_conll(path: Path, token_col: int = 0, tag_col: int = -1) -> list[tuple[list[str], list[str]]]:
    """Sentences of a CoNLL file as (tokens, tags). Blank (or whitespace-only) lines separate
    sentences; ``-DOCSTART-`` lines are document breaks. Columns split on tabs when present,
    otherwise on whitespace."""
    sentences: list[tuple[list[str], list[str]]] = []
    tokens: list[str] = []
    tags: list[str] = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            line = line.rstrip("\r\n")
            cols = line.split("\t") if "\t" in line else line.split()
            cols = [c.strip() for c in cols]
            if not line.strip() or cols[0] == "-DOCSTART-":
                if tokens:
                    sentences.append((tokens, tags))
                tokens, tags = [], []
                continue
            if len(cols) < 2 or not cols[token_col]:
                continue  # a token without a tag cannot be placed; skip rather than guess
            tokens.append(cols[token_col])
            tags.append(cols[tag_col])
    if tokens:
        sentences.append((tokens, tags))
    return sentences


def conll_to_text(
    tokens: list[str], tags: list[str], label_map: Mapping[str, str]
) -> tuple[str, list[dict[str, Any]], Counter[str]]:
    """Join tokens with single spaces and turn IOB2 tags into char spans (end-exclusive). An ``I-``
    that does not continue an entity of the same type starts one (IOB1-tolerant). Returns text,
    spans of mapped labels, and counts of source labels that were dropped."""
    starts: list[int] = []
    pos = 0
    for token in tokens:
        starts.append(pos)
        pos += len(token) + 1
    text = " ".join(tokens)
    entities: list[tuple[str, int, int]] = []  # (source type, first token, last token)
    for i, tag in enumerate(tags):
        prefix, _, kind = tag.partition("-")
        if prefix not in ("B", "I") or not kind:
            continue
        if prefix == "I" and entities and entities[-1][0] == kind and entities[-1][2] == i - 1:
            entities[-1] = (kind, entities[-1][1], i)
        else:
            entities.append((kind, i, i))
    spans: list[dict[str, Any]] = []
    dropped: Counter[str] = Counter()
    for kind, first, last in entities:
        if kind not in label_map:
            dropped[kind] += 1
            continue
        spans.append(
            {"start": starts[first], "end": starts[last] + len(tokens[last]), "label": label_map[kind]}
        )
    return text, spans, dropped


def _handle_spans(text: str, spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """@handles WNUT leaves as O, labelled USERNAME (without the @) so they do not teach the model
    that handles are not usernames. Only used for the training split."""
    taken = [(s["start"], s["end"]) for s in spans]
    extra = []
    for match in _HANDLE.finditer(text):
        start, end = match.start() + 1, match.end()
        if (match.start() == 0 or text[match.start() - 1] == " ") and not any(
            a < end and start < b for a, b in taken
        ):
            extra.append({"start": start, "end": end, "label": "USERNAME"})
    return spans + extra


def load_conll(
    path: Path,
    source: str,
    split: str,
    label_key: str,
    fmt: str,
    handles_as_username: bool = False,
) -> pd.DataFrame:
    """A CoNLL IOB2 file as a span frame (one row per sentence)."""
    rows = []
    dropped: Counter[str] = Counter()
    stats: Counter[str] = Counter()
    for n, (tokens, tags) in enumerate(read_conll(path)):
        text, spans, drop = conll_to_text(tokens, tags, LABEL_MAP[label_key])
        dropped.update(drop)
        if handles_as_username:
            spans = _handle_spans(text, spans)
        spans, st = clean_spans(text, spans)
        stats.update(st)
        rows.append(_row(text, spans, source, f"{path.name}:{n}", fmt, split))
    _log_loaded(source, path, rows, stats, dropped)
    return make_frame(rows)


# --------------------------------------------------------------------------- JSON sets


# what may sit between two pieces of one postal address in presidio-research's text
_ADDRESS_GAP = re.compile(r"[\s,.;:/-]*")


def address_blocks(text: str, spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Join presidio-research's address pieces into one ADDRESS span per address.

    Its generator labels a postal address piece by piece (building number, street and flat as
    separate STREET_ADDRESS spans, the town as GPE, the postcode as ZIP_CODE), while bastion's
    ADDRESS is the whole block (issue 13's label definition): an ADDRESS span absorbs the
    ADDRESS, LOCATION and ``ZIP`` spans that follow it across nothing but spaces and
    punctuation. A LOCATION that does not continue an address stays a LOCATION; postcodes
    outside an address are dropped (out of scope).

    >>> t = "Send it to 12 Elm Road, Apt 3, Leeds LS1 4AB today, not to Paris."
    >>> sp = [{"start": 11, "end": 13, "label": "ADDRESS"}, {"start": 14, "end": 22, "label": "ADDRESS"},
    ...       {"start": 24, "end": 29, "label": "ADDRESS"}, {"start": 31, "end": 36, "label": "LOCATION"},
    ...       {"start": 37, "end": 44, "label": "ZIP"}, {"start": 59, "end": 64, "label": "LOCATION"}]
    >>> [(t[x["start"] : x["end"]], x["label"]) for x in address_blocks(t, sp)]
    [('12 Elm Road, Apt 3, Leeds LS1 4AB', 'ADDRESS'), ('Paris', 'LOCATION')]
    """
    out: list[dict[str, Any]] = []
    for span in sorted(spans, key=lambda x: (x["start"], x["end"])):
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev["label"] == "ADDRESS"
            and span["label"] in ("ADDRESS", "LOCATION", "ZIP")
            and span["start"] >= prev["end"]
            and _ADDRESS_GAP.fullmatch(text, prev["end"], span["start"])
        ):
            out[-1] = {**prev, "end": span["end"]}
        else:
            out.append(dict(span))
    return [x for x in out if x["label"] != "ZIP"]


def load_presidio(path: Path, split: str = "eval_presidio", *, blocks: bool = False) -> pd.DataFrame:
    """Presidio's ``synth_dataset_v2.json``: ``full_text`` + ``spans[{entity_type, entity_value,
    start_position, end_position}]``. ``template_id`` is kept so results can be grouped by it.
    ``blocks``: one ADDRESS span per postal address (:func:`address_blocks`) instead of the
    source's pieces."""
    rows, stats, dropped = [], Counter(), Counter()
    for _, record, text in _text_records(_read_json(path), "full_text", stats):
        raw = []
        for span in record.get("spans") or []:
            kind = span.get("entity_type")
            label = "ZIP" if blocks and kind == "ZIP_CODE" else _in_scope("presidio", kind, dropped)
            if label is None:
                continue
            start, end = span.get("start_position"), span.get("end_position")
            if span.get("entity_value") is not None and _slice(text, start, end) != span["entity_value"]:
                stats["value_mismatch"] += 1
                continue
            raw.append({"start": start, "end": end, "label": label})
        if blocks:
            n = len(raw)
            raw = address_blocks(
                text, [x for x in raw if isinstance(x["start"], int) and isinstance(x["end"], int)]
            )
            stats["address_pieces_joined"] += n - len(raw)
        spans, st = clean_spans(text, raw)
        stats.update(st)
        rows.append(_row(text, spans, "presidio", str(record.get("template_id")), "presidio", split))
    _log_loaded("presidio", path, rows, stats, dropped)
    return make_frame(rows)


def load_edge(paths: Iterable[Path], split: str = "eval_edge") -> pd.DataFrame:
    """Speech-style transcripts (``{id, text, entities[{start, end, label}]}`` per JSON line).
    ``source`` is ``edge_<file stem>`` so the Hinglish stress file can be reported separately."""
    rows = []
    for path in paths:
        source = f"edge_{path.stem}"
        stats, dropped = Counter(), Counter()
        before = len(rows)
        with path.open(encoding="utf-8", errors="replace") as handle:
            for n, line in enumerate(handle):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    text = record["text"]
                    entities = record.get("entities") or []
                except (json.JSONDecodeError, KeyError, TypeError):
                    stats["bad_record"] += 1
                    continue
                if not isinstance(text, str):
                    stats["bad_record"] += 1
                    continue
                raw = []
                for ent in entities:
                    label = _in_scope("edge", ent.get("label") if isinstance(ent, dict) else None, dropped)
                    if label is not None:
                        raw.append({**ent, "label": label})
                spans, st = clean_spans(text, raw)
                stats.update(st)
                rows.append(_row(text, spans, source, str(record.get("id", n)), "transcript", split))
        _log_loaded(source, path, rows[before:], stats, dropped)
    return make_frame(rows)


def load_pii_syn(path: Path, split: str = "eval_pii_syn") -> pd.DataFrame:
    """``pii_syn_nano_en.json``: ``{text, NER[{entity, label}]}`` without offsets. Each in-scope
    entity is located by exact search at word boundaries (every occurrence is labelled: a value
    repeated in the text is PII both times); entities that cannot be found are dropped and counted."""
    rows, stats, dropped = [], Counter(), Counter()
    for n, record, text in _text_records(_read_json(path), "text", stats):
        raw = []
        for ent in record.get("NER") or []:
            label, value = _in_scope("pii_syn", ent.get("label"), dropped), ent.get("entity")
            if label is None:
                continue
            found = _find_all(text, value) if isinstance(value, str) and value.strip() else []
            if not found:
                stats["unlocatable"] += 1
                continue
            raw += [{"start": s, "end": e, "label": label} for s, e in found]
        spans, st = clean_spans(text, raw)
        stats.update(st)
        rows.append(_row(text, spans, "pii_syn", str(n), "sentence", split))
    _log_loaded("pii_syn", path, rows, stats, dropped)
    return make_frame(rows)


# --------------------------------------------------------------------------- DEID

_DEID_RECORD = re.compile(r"START_OF_RECORD=(\d+)\|\|\|\|(\d+)\|\|\|\|\n(.*?)\|\|\|\|END_OF_RECORD", re.S)


def _deid_location_label(value: str) -> str:
    # DEID's one Location category mixes hospitals/towns with street addresses; a leading house
    # number is the reliable sign of the latter.
    return "ADDRESS" if re.match(r"\d+\s+\w", value) else "LOCATION"


def load_deid(text_path: Path, phrase_path: Path, split: str = "eval_deid") -> pd.DataFrame:
    """PhysioNet deid nursing notes. ``id.text`` holds records
    ``START_OF_RECORD=pid||||nid||||\\n<body>||||END_OF_RECORD``; ``id-phi.phrase`` lines are
    ``pid nid start end category text`` with offsets into the body. Offsets are checked against the
    phrase text; a phrase off by a few characters is re-anchored to the nearest exact occurrence."""
    notes = {
        (m.group(1), m.group(2)): m.group(3)
        for m in _DEID_RECORD.finditer(text_path.read_text(encoding="utf-8", errors="replace"))
    }
    phrases: dict[tuple[str, str], list[dict[str, Any]]] = {}
    stats, dropped = Counter(), Counter()
    with phrase_path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            parts = line.rstrip("\r\n").split(" ", 5)
            if len(parts) < 6:
                stats["bad_phrase_line"] += 1
                continue
            pid, nid, start_s, end_s, kind, value = parts
            key = (pid, nid)
            if key not in notes or not (start_s.isdigit() and end_s.isdigit()):
                stats["bad_phrase_line"] += 1
                continue
            label = _in_scope("deid", kind, dropped)
            if label is None:
                continue
            body, start, end = notes[key], int(start_s), int(end_s)
            if body[start:end] != value:
                near = _nearest(body, value, start)
                if near is None:
                    stats["offset_mismatch"] += 1
                    continue
                stats["reanchored"] += 1
                start, end = near, near + len(value)
            if kind == "Location":
                label = _deid_location_label(value)
            phrases.setdefault(key, []).append({"start": start, "end": end, "label": label})
    rows = []
    for (pid, nid), body in notes.items():
        spans, st = clean_spans(body, phrases.get((pid, nid), []))
        stats.update(st)
        rows.append(_row(body, spans, "deid", f"{pid}/{nid}", "clinical_note", split))
    _log_loaded("deid", text_path, rows, stats, dropped)
    return make_frame(rows)


# --------------------------------------------------------------------------- helpers


def _row(text: str, spans: list[dict[str, Any]], source: str, template_id: str, fmt: str, split: str) -> dict:
    return {
        "text": text,
        "spans": spans,
        "source": source,
        "template_id": template_id,
        "format": fmt,
        "split": split,
        "lang": "en",
    }


def _text_records(records: list[Any], key: str, stats: Counter) -> Iterator[tuple[int, dict, str]]:
    """``(index, record, text)`` of the JSON records that are objects with a string ``key``;
    the others are counted as ``bad_record``."""
    for n, record in enumerate(records):
        text = record.get(key) if isinstance(record, dict) else None
        if not isinstance(text, str):
            stats["bad_record"] += 1
            continue
        yield n, record, text


def _in_scope(source: str, kind: Any, dropped: Counter) -> str | None:
    """The project label of ``source``'s entity ``kind``; None, counted in ``dropped``, for a
    kind out of scope."""
    labels = LABEL_MAP[source]
    if kind not in labels:
        dropped[str(kind)] += 1
        return None
    return labels[kind]


def _read_json(path: Path) -> list[Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a JSON list of records, got {type(data).__name__}")
    return data


def _slice(text: str, start: Any, end: Any) -> str | None:
    if isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(text):
        return text[start:end]
    return None


def _find_all(text: str, value: str) -> list[tuple[int, int]]:
    found, pos = [], text.find(value)
    while pos != -1:
        end = pos + len(value)
        # A name inside a longer word ("Ann" in "Annual") is not a mention.
        left_ok = pos == 0 or not (text[pos - 1].isalnum() and value[0].isalnum())
        right_ok = end == len(text) or not (text[end].isalnum() and value[-1].isalnum())
        if left_ok and right_ok:
            found.append((pos, end))
        pos = text.find(value, pos + 1)
    return found


def _nearest(text: str, value: str, around: int, window: int = 40) -> int | None:
    hits = [s for s, _ in _find_all(text, value) if abs(s - around) <= window]
    return min(hits, key=lambda s: abs(s - around)) if hits else None


def _log_loaded(source: str, path: Path, rows: list[dict], stats: Counter, dropped: Counter) -> None:
    labels = Counter(s["label"] for r in rows for s in r["spans"])
    log.info(
        "pii source %s (%s): %d rows, spans %s; dropped out-of-scope %s; span issues %s",
        source,
        path.name,
        len(rows),
        dict(labels),
        dict(dropped),
        dict(stats),
    )
