"""Overlap resolution and joining of PII findings: a table of cases, each checked under
every input order."""

from __future__ import annotations

import itertools

import pytest
from bastion.merge import merge_findings
from bastion.types import Finding


def F(label, start, end, score=0.9, detector="ner", validated=False):
    return Finding(label, start, end, score, detector, validated=validated)


def _key(findings):
    return [(f.label, f.start, f.end, round(f.score, 6), f.detector, f.validated) for f in findings]


TEXT = "Jane Doe lives at 12 Main St, card 4111 1111 1111 1111, Jane  Doe, Jane,Doe end."

# (findings, text, expected kept findings in start order)
CASES = [
    pytest.param(
        [F("ADDRESS", 0, 11), F("ADDRESS", 12, 27)],
        "12 Main St.\nSpringfield, IL",
        [F("ADDRESS", 0, 27)],
        id="address-joins-across-a-line",
    ),
    pytest.param(
        [F("PERSON", 0, 4), F("PERSON", 5, 8)],
        "Jane Doe",
        [F("PERSON", 0, 8)],
        id="model-pieces-split-by-a-space-join",
    ),
    pytest.param(
        [F("CREDIT_CARD", 0, 16, 0.6, "regex", True), F("PHONE_NUMBER", 0, 10, 0.99)],
        None,
        [F("CREDIT_CARD", 0, 16, 0.6, "regex", True)],
        id="validated-beats-higher-score",
    ),
    pytest.param(
        [F("CREDIT_CARD", 0, 16, 0.6, "regex", True), F("PHONE_NUMBER", 0, 16, 0.99, "regex", True)],
        None,
        [F("PHONE_NUMBER", 0, 16, 0.99, "regex", True)],
        id="both-validated-score-decides",
    ),
    pytest.param(
        [F("PERSON", 0, 10, 0.9), F("LOCATION", 0, 20, 0.8)],
        None,
        [F("PERSON", 0, 20, 0.9)],
        id="score-beats-length-span-is-union",
    ),
    pytest.param(
        [F("PERSON", 0, 10, 0.8), F("LOCATION", 0, 20, 0.8)],
        None,
        [F("LOCATION", 0, 20, 0.8)],
        id="length-breaks-score-tie",
    ),
    pytest.param(
        [F("PERSON", 5, 15, 0.8), F("LOCATION", 0, 10, 0.8)],
        None,
        [F("LOCATION", 0, 15, 0.8)],
        id="earlier-start-breaks-full-tie-span-is-union",
    ),
    pytest.param(
        [F("PERSON", 0, 10, 0.8, "b"), F("PERSON", 0, 10, 0.8, "a")],
        None,
        [F("PERSON", 0, 10, 0.8, "a")],
        id="identical-spans-detector-name-decides",
    ),
    pytest.param(
        [F("LOCATION", 0, 10, 0.9), F("PERSON", 8, 20, 0.95), F("ADDRESS", 18, 30, 0.9)],
        None,
        [F("PERSON", 0, 30, 0.95)],
        id="chain-middle-wins-span-is-union",
    ),
    pytest.param(
        [F("PERSON", 0, 4, 0.7), F("PERSON", 5, 8, 0.9)],
        TEXT,
        [F("PERSON", 0, 8, 0.9)],
        id="joined-across-one-space",
    ),
    pytest.param(
        [F("PERSON", 0, 3, 0.7), F("PERSON", 3, 8, 0.8)],
        TEXT,
        [F("PERSON", 0, 8, 0.8)],
        id="joined-when-abutting",
    ),
    pytest.param(
        [F("PERSON", 0, 6, 0.7), F("PERSON", 3, 8, 0.8)],
        TEXT,
        [F("PERSON", 0, 8, 0.8)],
        id="joined-when-overlapping",
    ),
    pytest.param(
        [F("PERSON", 0, 4), F("PERSON", 5, 8)], None, [F("PERSON", 0, 8)], id="no-text-joins-one-char-gap"
    ),
    pytest.param([F("PERSON", 3, 3), F("PERSON", 5, 5, 1.0)], None, [], id="empty-spans-dropped"),
    pytest.param(
        [F("PERSON", 0, 4, 0.4), F("PERSON", 5, 8, 0.4), F("ORGANIZATION", 0, 8, 0.5)],
        TEXT,
        [F("ORGANIZATION", 0, 8, 0.5)],
        id="joined-piece-then-loses-on-score",
    ),
    pytest.param(
        [F("A", 0, 10, 0.9), F("B", 20, 30, 0.9), F("C", 5, 25, 0.5)],
        None,
        [F("A", 0, 20, 0.9), F("B", 20, 30, 0.9)],
        id="loser-bridging-two-winners-fills-the-gap",
    ),
    pytest.param(
        [
            F("PHONE_NUMBER", 0, 11, 0.95, "regex", validated=True),
            F("CREDIT_CARD", 12, 31, 1.0, "regex", validated=True),
            F("PHONE_NUMBER", 0, 31, 0.77, "ner"),
        ],
        "030 1234567,5500-0000-0000-0004",
        [
            F("PHONE_NUMBER", 0, 11, 0.95, "regex", validated=True),
            F("CREDIT_CARD", 12, 31, 1.0, "regex", validated=True),
        ],
        id="a-gap-of-separators-is-not-filled",
    ),
    pytest.param(
        [F("A", 0, 3, 0.9), F("B", 8, 11, 0.9), F("C", 0, 11, 0.5)],
        "abc, x ,def",
        [F("A", 0, 8, 0.9), F("B", 8, 11, 0.9)],
        id="a-gap-with-a-letter-is-filled",
    ),
    pytest.param(
        [F("A", 10, 20, 0.9), F("B", 0, 12, 0.5), F("C", 18, 40, 0.5), F("D", 40, 45, 0.4)],
        None,
        [F("A", 0, 40, 0.9), F("D", 40, 45, 0.4)],
        id="both-overhangs-covered-touching-kept",
    ),
    pytest.param(
        [F("DATE_OF_BIRTH", 8, 15, 0.99, "ner"), F("DATE_OF_BIRTH", 8, 18, 0.85, "regex")],
        None,
        [F("DATE_OF_BIRTH", 8, 18, 0.99, "ner")],
        id="no-joinable-partial-model-wins-but-covers-union",
    ),
]


# (findings, text) that merge_findings keeps as they are: nothing to resolve or join
UNCHANGED = [
    pytest.param(
        [F("PERSON", 0, 8), F("PERSON", 9, 16)], "Jane Doe\nBob Lee", id="names-on-two-lines-stay-two"
    ),
    pytest.param([F("PERSON", 0, 4), F("EMAIL_ADDRESS", 10, 20)], None, id="disjoint-kept"),
    pytest.param(
        [F("PERSON", 0, 4, detector="a"), F("LOCATION", 4, 8, detector="b")],
        None,
        id="touching-is-not-overlap",
    ),
    pytest.param([F("PERSON", 56, 60), F("PERSON", 62, 65)], TEXT, id="not-joined-across-two-spaces"),
    pytest.param([F("PERSON", 67, 71), F("PERSON", 72, 75)], TEXT, id="not-joined-across-comma"),
    pytest.param(
        [F("PERSON", 0, 4, detector="a"), F("PERSON", 5, 8, detector="b")],
        TEXT,
        id="different-detectors-not-joined",
    ),
    pytest.param([F("PERSON", 0, 4), F("LOCATION", 5, 8)], TEXT, id="different-labels-not-joined"),
    pytest.param(
        [F("CREDIT_CARD", 35, 39, validated=True), F("CREDIT_CARD", 40, 44, validated=True)],
        TEXT,
        id="validated-never-joined",
    ),
]
CASES += [pytest.param(*p.values, p.values[0], id=p.id) for p in UNCHANGED]


@pytest.mark.parametrize(("findings", "text", "expected"), CASES)
def test_merge_table(findings, text, expected):
    assert _key(merge_findings(findings, text)) == _key(expected)


@pytest.mark.parametrize(("findings", "text", "expected"), CASES)
def test_merge_is_order_independent(findings, text, expected):
    results = {tuple(_key(merge_findings(list(p), text))) for p in itertools.permutations(findings)}
    assert results == {tuple(_key(expected))}


def test_result_is_sorted_and_non_overlapping():
    found = [F("A", 30, 40), F("B", 0, 5), F("C", 10, 20, 0.5), F("D", 15, 25, 0.95)]
    out = merge_findings(found)
    assert [f.start for f in out] == sorted(f.start for f in out)
    for a, b in itertools.pairwise(out):
        assert a.end <= b.start


def test_merge_accepts_any_iterable():
    assert _key(merge_findings(iter([F("PERSON", 0, 4)]))) == _key([F("PERSON", 0, 4)])
    assert merge_findings([]) == []


def test_joinable_limits_joining_to_named_detectors():
    text = "mail a@example.com b@example.org"
    a, b = F("EMAIL_ADDRESS", 5, 18, 1.0, "regex"), F("EMAIL_ADDRESS", 19, 32, 1.0, "regex")
    assert len(merge_findings([a, b], text, joinable={"ner"})) == 2
    assert len(merge_findings([a, b], text)) == 1
    p1, p2 = F("PERSON", 0, 4, 0.9, "ner"), F("PERSON", 5, 8, 0.9, "ner")
    assert _key(merge_findings([p1, p2], "Jane Doe", joinable={"ner"})) == _key(
        [F("PERSON", 0, 8, 0.9, "ner")]
    )


def test_many_findings_merge():
    found = [F("EMAIL_ADDRESS", i * 10, i * 10 + 8, 0.9, "regex") for i in range(40_000)]
    found += [F("PHONE_NUMBER", i * 10 + 4, i * 10 + 9, 0.8, "regex") for i in range(40_000)]
    out = merge_findings(found, joinable=())
    assert len(out) == 40_000 and all(f.label == "EMAIL_ADDRESS" for f in out)


# Issue 11 item 5: a model finding inside a rule finding gives way to it (label and span),
# and whatever wins, the kept spans cover every detected span.
# (findings, expected) with joinable={"ner"}: "ner" is the model, "regex" the rules.
MODEL_VS_RULES = [
    pytest.param(
        [F("DATE_OF_BIRTH", 8, 15, 0.99, "ner"), F("DATE_OF_BIRTH", 8, 18, 0.85, "regex")],
        [F("DATE_OF_BIRTH", 8, 18, 0.85, "regex")],
        id="dob-partial-model-loses",
    ),
    pytest.param(
        [F("USERNAME", 9, 18, 0.97, "ner"), F("PASSWORD", 9, 21, 0.8, "regex")],
        [F("PASSWORD", 9, 21, 0.8, "regex")],
        id="password-partial-username-loses",
    ),
    pytest.param(
        [F("PERSON", 3, 7, 0.95, "ner"), F("EMAIL_ADDRESS", 3, 23, 0.9, "regex")],
        [F("EMAIL_ADDRESS", 3, 23, 0.9, "regex")],
        id="person-inside-email-loses",
    ),
    pytest.param(
        [
            F("PERSON", 3, 7, 0.95, "ner"),
            F("EMAIL_ADDRESS", 8, 23, 0.99, "ner"),
            F("EMAIL_ADDRESS", 3, 23, 0.9, "regex"),
        ],
        [F("EMAIL_ADDRESS", 3, 23, 0.9, "regex")],
        id="split-model-pieces-inside-email-lose",
    ),
    pytest.param(
        [F("CREDIT_CARD", 5, 24, 0.95, "regex", True), F("PHONE_NUMBER", 0, 14, 0.99, "ner")],
        [F("CREDIT_CARD", 0, 24, 0.95, "regex", True)],
        id="validated-wins-model-overhang-still-covered",
    ),
    pytest.param(
        [F("ADDRESS", 0, 30, 0.9, "ner"), F("PHONE_NUMBER", 25, 35, 0.8, "regex")],
        [F("ADDRESS", 0, 35, 0.9, "ner")],
        id="model-beats-overlapping-rule-but-covers-it",
    ),
    # a context-free phone reading inside a model's address is its postcode (a Brazilian CEP)
    pytest.param(
        [F("ADDRESS", 10, 70, 0.96, "ner"), F("PHONE_NUMBER", 61, 70, 0.75, "regex", True)],
        [F("ADDRESS", 10, 70, 0.96, "ner")],
        id="postcode-phone-inside-address-loses",
    ),
    # ... but a phone after its context word is a phone, whole address or not
    pytest.param(
        [F("ADDRESS", 10, 70, 0.96, "ner"), F("PHONE_NUMBER", 55, 70, 0.95, "regex", True)],
        [F("PHONE_NUMBER", 10, 70, 0.95, "regex", True)],
        id="context-phone-inside-address-wins-as-before",
    ),
    pytest.param(
        [F("PERSON", 0, 10, 0.9, "ner"), F("PERSON", 0, 10, 0.6, "regex")],
        [F("PERSON", 0, 10, 0.6, "regex")],
        id="equal-span-rule-wins",
    ),
]


@pytest.mark.parametrize(("findings", "expected"), MODEL_VS_RULES)
def test_model_vs_rules(findings, expected):
    for perm in itertools.permutations(findings):
        assert _key(merge_findings(list(perm), joinable={"ner"})) == _key(expected)


def test_union_can_be_turned_off():
    found = [F("PERSON", 0, 10, 0.9), F("LOCATION", 0, 20, 0.8)]
    assert _key(merge_findings(found, union=False)) == _key([F("PERSON", 0, 10, 0.9)])


def test_union_with_many_wide_losers_is_fast_and_covering():
    kept = [F("EMAIL_ADDRESS", i * 10, i * 10 + 5, 0.99, "regex") for i in range(20_000)]
    wide = [F("PERSON", i, 200_000 - i, 0.1, "ner") for i in range(0, 2_000, 7)]
    out = merge_findings(kept + wide, joinable={"ner"})
    assert out[0].start == 0 and out[-1].end == 200_000
    for a, b in itertools.pairwise(out):
        assert a.end == b.start
