"""Generator batch v3i (issue 13): PII-free hard negatives in hr, sr, sk, cs, pl, de, fr, es, it,
pt and nl — table headers, signs, UI labels, demonyms, inflected months, product names, user
agents, medical abbreviations, form labels (a continuation tagged "Šifra", "Ukupno", "Hrvati",
"kolovozu", "ŠALTER" and "LIKE GECKO" as names and places)."""

from __future__ import annotations

import random
import re
from datetime import date

import pytest
from bastion_training.pii import generator as g
from bastion_training.pii.templates import TEMPLATES, Template
from bastion_training.pii.templates_neg import LANGS
from bastion_training.pii.values import Identity

V3I = tuple(t for t in TEMPLATES if t.stratum.startswith("v3i-"))
CASES = ("none", "lower", "upper")


def _ident(first: str) -> Identity:
    return Identity(locale="de_DE", first=first, last="Müller", middle_initial="Q", email="a@b.de", username="ab",
                    phones=("+49 30 1234567",), dob=date(1980, 5, 17), street="Hauptstraße 5", city="Köln",
                    postcode="50667", state="", country="Germany", address_lines=("Hauptstraße 5", "50667 Köln"),
                    card="4111111111111111", iban="DE89370400440532013000", ssn="123456789", ipv4="10.0.0.1",
                    ipv6="::1", company="Acme GmbH")  # fmt: skip


PEOPLE = [_ident("Hans"), _ident("Eva"), _ident("Jan")]  # three objects: generate_split draws three
POOLS = {"de_DE": PEOPLE}


def _renders(templates: tuple[Template, ...], seeds: range) -> list[tuple[str, str, list]]:
    out = []
    for t in templates:
        for seed in seeds:
            for case in CASES:
                text, spans = g.render(t, PEOPLE, random.Random(seed), POOLS, case)
                out.append((t.template_id, text, spans))
    return out


def _tokens(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", re.sub(r"\{[A-Z0-9_]+\}", " ", text).casefold()))


@pytest.mark.parametrize("lang", LANGS)
def test_v3i_language_has_native_negatives_and_every_row_has_no_span(lang: str) -> None:
    batch = tuple(t for t in V3I if t.lang == lang)
    assert 25 <= len(batch) <= 45
    assert all(t.format == "negative" and g.is_negative(t) and t.stratum == f"v3i-{lang}" for t in batch)
    assert all(t.template_id.startswith(f"{lang}-v3inegative-") for t in batch)
    # lower-cased and ALL-CAPS lines are written, not only made by the generator's casing
    letters = [t.text for t in batch if re.search(r"[^\W\d_]", t.text)]
    assert sum(x == x.lower() for x in letters) >= 2 and sum(x == x.upper() for x in letters) >= 5
    assert any("{USER_AGENT_UPPER}" in t.text for t in batch)
    for tid, text, spans in _renders(batch, range(3)):
        assert spans == [], (tid, text)
        assert not re.search(r"\{[A-Z_0-9]+\}", text), (tid, text)


def test_v3i_covers_exactly_the_listed_languages() -> None:
    assert {t.lang for t in V3I} == set(LANGS)
    assert len({t.template_id for t in V3I}) == len(V3I)


def test_v3i_splits_are_template_disjoint_and_moved_no_earlier_template() -> None:
    splits = g.split_templates(TEMPLATES)
    ids = {name: {t.template_id for t in members} for name, members in splits.items()}
    assert not ids["train"] & ids["val"] and not ids["train"] & ids["test"] and not ids["val"] & ids["test"]
    before = tuple(t for t in TEMPLATES if not t.stratum.startswith("v3i-"))
    assert g.split_templates(before) == {
        name: [t for t in members if not t.stratum.startswith("v3i-")] for name, members in splits.items()
    }
    for lang in LANGS:
        counts = {
            name: sum(t.lang == lang and t.stratum.startswith("v3i-") for t in m)
            for name, m in splits.items()
        }
        assert counts["train"] >= 20 and counts["val"] >= 3 and counts["test"] >= 3, (lang, counts)


def test_no_v3i_template_is_a_near_copy_of_a_template_in_another_split() -> None:
    """A v3i line that nearly repeats a held-out line (the v3g/v3h negatives the finding was measured
    on, or another language's v3i line) would let val/test measure memorisation: word-set Jaccard
    of any v3i template and any template of another split stays under 0.5 (slots ignored)."""
    split_of = {t.template_id: name for name, ts in g.split_templates(TEMPLATES).items() for t in ts}
    toks = [(t, _tokens(t.text)) for t in TEMPLATES]
    close = []
    for t, a in toks:
        if not t.stratum.startswith("v3i-") or not a:
            continue
        for u, b in toks:
            if b and split_of[u.template_id] != split_of[t.template_id] and len(a & b) / len(a | b) >= 0.5:
                close.append((t.template_id, u.template_id))
    assert close == []


@pytest.mark.parametrize("lang", LANGS)
def test_v3i_lines_hold_nothing_the_regex_recognizers_find(lang: str) -> None:
    """Truly PII-free: no rendered v3i text (any casing, several fills of the filler slots) has a
    finding of the regex/checksum detector (cards, IBANs, phones, IPs, IDs, passwords in prose...)."""
    from bastion.detectors import build_detector

    detector = build_detector("pii_regex")
    rows = _renders(tuple(t for t in V3I if t.lang == lang), range(6))
    found = detector.detect([text for _, text, _ in rows])
    hits = [
        (tid, f.label, text[f.start : f.end])
        for (tid, text, _), fs in zip(rows, found, strict=True)
        for f in fs
    ]
    assert hits == []


def _v3i_rows(split: str, seed: int):
    """Rows of one split drawn the generator's way from that split's v3i templates (one positive
    template keeps ``generate_split`` happy; negative_frac 1.0 never draws it)."""
    templates = [t for t in g.split_templates(TEMPLATES)[split] if t.stratum.startswith("v3i-")]
    positive = Template("x-test-000", "chat", "en", "hi {FULL_NAME}")
    cfg = {"locales": {"de_DE": 1.0}, "negative_frac": 1.0, "lower_frac": 0.15, "upper_frac": 0.05}
    return g.generate_split(split, 600, [*templates, positive], POOLS, cfg, seed)


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_every_language_has_v3i_rows_in_every_split(split: str) -> None:
    df = _v3i_rows(split, 13)
    assert set(df["lang"]) == set(LANGS)
    assert df["template_id"].str.contains("-v3inegative-").all()
    assert (df["spans"].str.len() == 0).all() and (df["split"] == split).all()


def test_v3i_rows_are_deterministic_for_a_seed() -> None:
    a, b, c = _v3i_rows("val", 13), _v3i_rows("val", 13), _v3i_rows("val", 14)
    assert a.equals(b)
    assert not a["text"].equals(c["text"])
    assert g.split_templates(TEMPLATES) == g.split_templates(TEMPLATES)  # split by id hash, seed-free


def test_user_agent_upper_slot_writes_a_user_agent_in_capitals() -> None:
    t = Template("x-test-001", "negative", "de", "UA: {USER_AGENT_UPPER}")
    assert g.is_negative(t)
    for seed in range(20):
        text, spans = g.render(t, PEOPLE, random.Random(seed), POOLS)
        assert spans == [] and text == text.upper() and len(text) > 10


@pytest.mark.parametrize("weight", [0.3, 1.0, 3.0])
def test_negative_batch_weights_set_the_v3i_share(weight: float) -> None:
    """A batch's weight scales how often its negative templates are drawn (others weigh 1)."""
    negs = [t for t in g.split_templates(TEMPLATES)["train"] if g.is_negative(t)]
    n_v3i = sum(t.stratum.startswith("v3i-") for t in negs)
    assert 0 < n_v3i < len(negs)
    expected = weight * n_v3i / (weight * n_v3i + (len(negs) - n_v3i))
    positive = Template("x-test-000", "chat", "en", "hi {FULL_NAME}")
    cfg = {"locales": {"de_DE": 1.0}, "negative_frac": 1.0, "lower_frac": 0.0, "upper_frac": 0.0,
           "negative_batch_weights": {"v3i": weight}}  # fmt: skip
    df = g.generate_split("train", 3000, [*negs, positive], POOLS, cfg, 5)
    share = df["template_id"].str.contains("-v3inegative-").mean()
    assert abs(share - expected) < 0.04


@pytest.mark.parametrize("bad", [0, -1, "x", True])
def test_negative_batch_weights_must_be_positive_numbers(bad: object) -> None:
    from bastion.errors import ConfigError
    from bastion_training.config import PIIDataParams

    with pytest.raises(ConfigError, match="negative_batch_weights"):
        PIIDataParams.from_mapping({"negative_batch_weights": {"v3i": bad}})
