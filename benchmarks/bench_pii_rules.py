"""Regex + checksum PII recognizers vs a naive regex baseline: span P/R/F1 and speed.

    python benchmarks/bench_pii_rules.py [--datasets-root PATH] [--n 3000] [--seed 13]
    python benchmarks/bench_pii_rules.py --growth [--growth-n 50000]

``--growth`` times the regex detector on adversarial texts of n and 2n characters (the
table of bench_injection_rules.py): ~2 is linear, ~4 quadratic.

Two corpora:

* ``generated``: texts built here from a fixed seed with Faker (e-mails, phones from six
  locales, SSNs, Luhn-valid cards in several groupings, valid IBANs from six countries,
  IPv4/IPv6) plus hard negatives that must NOT be found (Luhn-invalid cards, version
  strings, order numbers, prices, dates).
* ``presidio-synth``: ``<datasets_root>/pii/presidio-research/data/synth_dataset_v2.json``
  (eval-only), structured labels only. Skipped when the file is absent.

Both detectors are called directly (no Guard, no normalisation) on one batch, on one
core; the table reports span precision/recall/F1 per label with exact offsets and with
IoU >= 0.5, and texts/s. The baseline is the usual five-regex recognizer found in many
guardrail projects, without validation or overlap resolution.

Datasets root: ``$BASTION_DATASETS_ROOT``, else ``datasets_root`` in params.yaml, else
``../shared/datasets``; relative paths are relative to the repository root.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import yaml
from bastion.detectors.pii_regex import RegexPIIDetector
from bastion.detectors.validators import luhn_ok
from bastion.evaluation import MICRO, span_prf
from bastion.types import Finding
from bastion_training.baselines import NaiveRegexDetector  # the verbatim 5-regex baseline

REPO_ROOT = Path(__file__).resolve().parents[1]
LABELS = ("EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS")
SYNTH = "pii/presidio-research/data/synth_dataset_v2.json"
# synth_dataset_v2 already uses our names for these; other types (PERSON, DATE_TIME...) are dropped.
SYNTH_LABEL_MAP = {label: label for label in LABELS}


def datasets_root(cli: str | None) -> Path:
    raw = cli or os.environ.get("BASTION_DATASETS_ROOT")
    if not raw:
        params = REPO_ROOT / "params.yaml"
        data = yaml.safe_load(params.read_text(encoding="utf-8")) if params.is_file() else {}
        raw = (data or {}).get("datasets_root") or "../shared/datasets"
    root = Path(raw).expanduser()
    return root if root.is_absolute() else (REPO_ROOT / root).resolve()


# --- generated corpus ---------------------------------------------------------------------------

TEMPLATES = {
    "EMAIL_ADDRESS": ["Contact me at {} please.", "email: {}", "Send the invoice to {} by Friday", "<{}>"],
    "PHONE_NUMBER": ["Call me on {} tomorrow.", "phone: {}", "You can reach our office at {}.", "Tel {}"],
    "US_SSN": [
        "My SSN is {}.",
        "social security number {}",
        "SSN: {} (do not share)",
        "applicant {} on file",
    ],
    "CREDIT_CARD": ["Charge my card {} please", "card number: {}", "Paid with {} yesterday.", "cc {}"],
    "IBAN_CODE": ["Please wire it to {}.", "IBAN: {}", "Account {} (personal)", "transfer to {} today"],
    "IP_ADDRESS": ["Login from {} was blocked.", "server ip {}", "ping {} failed", "the host at {} is down"],
}
NEGATIVE_TEMPLATES = [
    "Charge my card {bad_card} please",
    "Upgrade to version {version} now.",
    "Running v{version} in production",
    "build {version4}.{n} shipped",
    "Order {order} ships on {date}.",
    "Total: ${price} for {n} items",
    "See section {version}.",
    "Reference number {order}{n}",
]
PHONE_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT")
IBAN_LOCALES = ("de_DE", "fr_FR", "nl_NL", "en_GB", "es_ES", "it_IT")
CARD_TYPES = ("visa16", "visa13", "mastercard", "amex", "discover", "jcb16", "diners")


def _group(number: str, rng: random.Random, sizes: Sequence[int] | None = None) -> str:
    style = rng.choice(["", " ", "-"])
    if not style:
        return number
    sizes = sizes or [4] * ((len(number) + 3) // 4)
    parts, pos = [], 0
    for size in sizes:
        if pos >= len(number):
            break
        parts.append(number[pos : pos + size])
        pos += size
    return style.join(parts)


def _bad_luhn(number: str) -> str:
    for d in "0123456789":
        cand = number[:-1] + d
        if not luhn_ok(cand):
            return cand
    raise AssertionError("unreachable")


def generate(n: int, seed: int) -> tuple[list[str], list[list[tuple[str, int, int]]]]:
    from faker import Faker

    rng = random.Random(seed)
    fakers = {loc: Faker(loc) for loc in set(PHONE_LOCALES) | set(IBAN_LOCALES)}
    for i, f in enumerate(fakers.values()):
        f.seed_instance(seed + i)
    us = fakers["en_US"]

    def value(label: str) -> str:
        if label == "EMAIL_ADDRESS":
            return us.email()
        if label == "PHONE_NUMBER":
            # Faker's US numbers sometimes carry an "x123" extension: keep the number part.
            return re.split(r"\s*x", fakers[rng.choice(PHONE_LOCALES)].phone_number())[0]
        if label == "US_SSN":
            return us.ssn()
        if label == "CREDIT_CARD":
            number = us.credit_card_number(card_type=rng.choice(CARD_TYPES))
            sizes = [4, 6, 5] if len(number) == 15 else [4, 6, 4] if len(number) == 14 else None
            return _group(number, rng, sizes)
        if label == "IBAN_CODE":
            iban = fakers[rng.choice(IBAN_LOCALES)].iban()
            return iban if rng.random() < 0.5 else " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
        if label == "IP_ADDRESS":
            return rng.choice([us.ipv4_public, us.ipv4_private, us.ipv6])()
        raise KeyError(label)

    def negative() -> str:
        card = us.credit_card_number(card_type="visa16")
        return rng.choice(NEGATIVE_TEMPLATES).format(
            bad_card=_group(_bad_luhn(card), rng),
            version=".".join(str(rng.randint(0, 20)) for _ in range(rng.choice([3, 4]))),
            version4=".".join(str(rng.randint(1, 12)) for _ in range(4)),
            n=rng.randint(1, 99),
            order=rng.randint(100000, 99999999),
            date=us.date(),
            price=f"{rng.randint(1, 9999)}.{rng.randint(0, 99):02d}",
        )

    texts, gold = [], []
    for _ in range(n):
        parts: list[str] = []
        spans: list[tuple[str, int, int]] = []
        pos = 0
        for _ in range(rng.choice([1, 1, 2])):
            if rng.random() < 0.25:
                chunk, span = negative(), None
            else:
                label = rng.choice(LABELS)
                v = value(label)
                template = rng.choice(TEMPLATES[label])
                chunk = template.format(v)
                start = pos + template.index("{}")
                span = (label, start, start + len(v))
            if parts:
                parts.append(" ")
                pos += 1
                if span:
                    span = (span[0], span[1] + 1, span[2] + 1)
            parts.append(chunk)
            pos += len(chunk)
            if span:
                spans.append(span)
        texts.append("".join(parts))
        gold.append(spans)
    return texts, gold


def load_synth(root: Path) -> tuple[list[str], list[list[tuple[str, int, int]]]] | None:
    path = root / SYNTH
    if not path.is_file():
        return None
    rows = json.loads(path.read_text(encoding="utf-8"))
    texts, gold = [], []
    for row in rows:
        texts.append(row["full_text"])
        gold.append(
            [
                (SYNTH_LABEL_MAP[s["entity_type"]], s["start_position"], s["end_position"])
                for s in row["spans"]
                if s["entity_type"] in SYNTH_LABEL_MAP
            ]
        )
    return texts, gold


# --- running ------------------------------------------------------------------------------------


def run(detector, texts: list[str], repeats: int = 3) -> tuple[list[list[Finding]], float]:
    best = float("inf")
    out: list[list[Finding]] = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = detector.detect(texts)
        best = min(best, time.perf_counter() - t0)
    return out, len(texts) / best


def report(
    name: str, texts: list[str], gold: list[list[tuple[str, int, int]]], min_score: float = 0.5
) -> None:
    systems = {"naive": NaiveRegexDetector(), "bastion": RegexPIIDetector()}
    results = {}
    for sys_name, det in systems.items():
        pred, tps = run(det, texts)
        # The Guard drops findings under 0.5 by default; score what would ship.
        pred = [[f for f in fs if f.label in LABELS and f.score >= min_score] for fs in pred]
        exact = span_prf(gold, pred, "exact", labels=LABELS)
        loose = span_prf(gold, pred, "iou", labels=LABELS)
        results[sys_name] = (exact, loose, tps)
    n_spans = sum(len(g) for g in gold)
    print(f"\n## {name}: {len(texts)} texts, {n_spans} gold spans")
    header = f"| {'label':<14} | {'n':>4} |" + "".join(
        f" {s} P / R / F1 (exact) | {s} P / R / F1 (IoU>=.5) |" for s in systems
    )
    print(header)
    print("|" + "---|" * (2 + 2 * len(systems)))
    for label in (*LABELS, MICRO):
        support = results["bastion"][0][label].support
        row = f"| {label:<14} | {support:>4} |"
        for s in systems:
            for m in results[s][:2]:
                prf = m[label]
                row += f" {prf.precision:.3f} / {prf.recall:.3f} / {prf.f1:.3f} |"
        print(row)
    print("| texts/s        |      |" + "".join(f" {results[s][2]:,.0f} | |" for s in systems))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets-root", default=None)
    ap.add_argument("--n", type=int, default=3000, help="generated texts")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--min-score", type=float, default=0.5, help="drop findings below (Guard default 0.5)")
    ap.add_argument("--growth", action="store_true", help="time growth on adversarial texts instead")
    ap.add_argument("--growth-n", type=int, default=50_000, help="--growth: base text length")
    args = ap.parse_args(argv)
    if args.growth:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from bench_injection_rules import growth_table

        det = RegexPIIDetector()
        growth_table({"regex": lambda t: det.detect([t])}, args.growth_n)
        return 0

    texts, gold = generate(args.n, args.seed)
    report(f"generated (seed {args.seed})", texts, gold, args.min_score)
    synth = load_synth(datasets_root(args.datasets_root))
    if synth is None:
        print(f"\n(presidio synth_dataset_v2 not found under {datasets_root(args.datasets_root)}; skipped)")
    else:
        report("presidio-research synth_dataset_v2 (structured labels)", *synth, args.min_score)
    return 0


if __name__ == "__main__":
    sys.exit(main())
