"""The regex detector's findings over a frozen corpus, as they were before its recognizers
moved into ``bastion.detectors.rules`` (issue 14): label, offsets, score, detector name,
validation and explanation for ~400 texts under six configurations.

A failure here is a change of behaviour. If it is intended, regenerate the fixture with
``python tests/data/make_pii_regex_golden.py`` and say why in the commit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bastion.detectors.pii_regex import RegexPIIDetector
from bastion.types import Finding

GOLDEN = json.loads((Path(__file__).parent / "data" / "pii_regex_golden.json").read_text(encoding="utf-8"))


def _row(f: Finding) -> list[Any]:
    expl = dict(f.explanation) if f.explanation is not None else None
    return [f.label, f.start, f.end, f.score, f.detector, f.category, f.validated, expl]


def test_the_corpus_is_varied() -> None:
    # guard against a fixture that checks little: many texts, every built-in family seen
    cases = GOLDEN["cases"]
    assert len(cases) >= 200
    seen = {f[7]["recognizer"] for c in cases for f in c["default"]}
    assert len(seen) >= 45, sorted(seen)


@pytest.mark.parametrize("config", sorted(GOLDEN["configs"]))
def test_findings_match_the_frozen_table(config: str) -> None:
    det = RegexPIIDetector(**GOLDEN["configs"][config])
    texts = [c["text"] for c in GOLDEN["cases"]]
    got = det.detect(texts)
    diffs = [
        (i, texts[i][:80], case[config], [_row(f) for f in got[i]])
        for i, case in enumerate(GOLDEN["cases"])
        if [_row(f) for f in got[i]] != case[config]
    ]
    assert not diffs, f"{len(diffs)} texts differ; first: " + "\n".join(map(repr, diffs[:3]))
