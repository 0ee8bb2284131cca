"""Regex + checksum PII recognizers vs a naive regex baseline: span P/R/F1 and speed.

    python benchmarks/bench_pii_rules.py [--datasets-root PATH] [--n 3000] [--seed 13]
    python benchmarks/bench_pii_rules.py --growth [--growth-n 50000]
    python benchmarks/bench_pii_rules.py --identifiers 1000 [--seed 13]

``--identifiers`` prints, per national / bank / crypto identifier, the recall on N random
valid numbers and the hits on N checksum-invalid twins (target >= 0.99 and 0).

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


# --- identifiers of issue 13: recall on valid numbers, hits on checksum-invalid ones -----------
#
# Every valid number gets its check digit(s) completed by trying each candidate against
# python-stdnum (an implementation independent of the detector's wiring); its invalid twin
# has the same body and a wrong check digit, confirmed invalid by python-stdnum. Each is
# written in a random common format inside a sentence with a context word.


def _complete(body: str, ok, alphabet: str = "0123456789") -> tuple[str, str] | None:
    """(valid, invalid): ``body`` + the check character ``ok`` accepts, and + one it rejects."""
    good = [c for c in alphabet if ok(body + c)]
    bad = [c for c in alphabet if not ok(body + c)]
    if len(good) != 1 or not bad:
        return None
    return body + good[0], body + bad[0]


def _digits(rng: random.Random, n: int, first: str = "123456789") -> str:
    return rng.choice(first) + "".join(rng.choice("0123456789") for _ in range(n - 1))


def _fmt(number: str, rng: random.Random, groups: Sequence[int], seps: str = " -") -> str:
    if rng.random() < 0.4:
        return number
    sep = rng.choice(seps)
    out, pos = [], 0
    for g in groups:
        out.append(number[pos : pos + g])
        pos += g
    return sep.join(out)


def _gen_nino(rng: random.Random) -> tuple[str, str]:
    first, second = "ABCEGHJKLMNOPRSTWXYZ", "ABCEGHJKLMNPRSTWXYZ"
    while True:
        prefix = rng.choice(first) + rng.choice(second)
        if prefix not in {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}:
            break
    digits = _digits(rng, 6, "0123456789")
    bad_prefix = rng.choice(["GB", "BG", "NK", "TN", "ZZ", "DA", "FA", "QA", "AO"])
    spaced = rng.random() < 0.5
    f = (
        (lambda p, s: f"{p} {digits[:2]} {digits[2:4]} {digits[4:]} {s}")
        if spaced
        else (lambda p, s: p + digits + s)
    )
    return f(prefix, rng.choice("ABCD")), f(bad_prefix, rng.choice("ABCD"))


def _checked(gen_body, ok, fmt, alphabet: str = "0123456789"):
    def gen(rng: random.Random) -> tuple[str, str]:
        while True:
            pair = _complete(gen_body(rng), ok, alphabet)
            if pair is not None:
                return fmt(pair[0], rng), fmt(pair[1], rng)

    return gen


def _std(module: str):
    import importlib

    return importlib.import_module(f"stdnum.{module}").is_valid


def _gen_fr_nir(rng: random.Random) -> tuple[str, str]:
    body = rng.choice("12") + f"{rng.randint(0, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 95):02d}"
    body += _digits(rng, 6, "0123456789")
    key = 97 - int(body) % 97
    wrong = (key + rng.randint(1, 96)) % 97 or 1

    def fmt(n: str) -> str:
        if rng.random() < 0.5:
            return n
        return f"{n[0]} {n[1:3]} {n[3:5]} {n[5:7]} {n[7:10]} {n[10:13]} {n[13:]}"

    return fmt(f"{body}{key:02d}"), fmt(f"{body}{wrong:02d}")


def _gen_es(rng: random.Random) -> tuple[str, str]:
    letters = "TRWAGMYFPDXBNJZSQVHLCKE"
    if rng.random() < 0.5:
        num = _digits(rng, 8, "0123456789")
        good = letters[int(num) % 23]
        head = num
    else:
        p = rng.choice("XYZ")
        num = _digits(rng, 7, "0123456789")
        good = letters[int(str("XYZ".index(p)) + num) % 23]
        head = p + num
    bad = rng.choice([c for c in letters if c != good])
    return head + good, head + bad


def _gen_it_cf(rng: random.Random) -> tuple[str, str]:
    from stdnum.it import codicefiscale

    up = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    body = (
        "".join(rng.choice(up) for _ in range(6)) + f"{rng.randint(0, 99):02d}" + rng.choice("ABCDEHLMPRST")
    )
    body += (
        f"{rng.choice([rng.randint(1, 28), rng.randint(41, 68)]):02d}"
        + rng.choice(up)
        + f"{rng.randint(0, 999):03d}"
    )
    good = codicefiscale.calc_check_digit(body)
    return body + good, body + rng.choice([c for c in up if c != good])


def _gen_aba(rng: random.Random) -> tuple[str, str]:
    prefix = f"{rng.choice(list(range(0, 13)) + list(range(21, 33)) + list(range(61, 73)) + [80]):02d}"
    return _checked(lambda r: prefix + _digits(r, 6, "0123456789"), _std("us.rtn"), lambda n, r: n)(rng)


def _gen_bic(rng: random.Random) -> tuple[str, str]:
    up = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    bank = "".join(rng.choice(up) for _ in range(4))
    loc = rng.choice(up) + rng.choice(up + "0123456789")
    branch = rng.choice(["", "XXX", "500", "1A2"])
    return bank + rng.choice(["DE", "GB", "FR", "US", "NL", "IT"]) + loc + branch, bank + rng.choice(
        ["XX", "QQ", "ZZ"]
    ) + loc + branch


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _b58check(payload: bytes) -> str:
    import hashlib

    raw = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n, out = int.from_bytes(raw, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def _bech32_address(rng: random.Random) -> str:
    from bastion.detectors.validators import _BECH32, _bech32_polymod

    witver = rng.choice([0, 1])
    prog = bytes(rng.randrange(256) for _ in range(20 if witver == 0 else 32))
    acc, bits, data = 0, 0, [witver]
    for b in prog:
        acc, bits = (acc << 8) | b, bits + 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    hrp = [ord(c) >> 5 for c in "bc"] + [0] + [ord(c) & 31 for c in "bc"]
    const = 1 if witver == 0 else 0x2BC830A3
    pm = _bech32_polymod(hrp + data + [0] * 6) ^ const
    return "bc1" + "".join(_BECH32[d] for d in data + [(pm >> 5 * (5 - i)) & 31 for i in range(6)])


def _gen_btc(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.5:
        good = _b58check(bytes([rng.choice([0, 5])]) + bytes(rng.randrange(256) for _ in range(20)))
        alphabet = _B58
    else:
        good = _bech32_address(rng)
        alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
    bad = good[:-1] + rng.choice([c for c in alphabet if c != good[-1]])
    return good, bad


def _gen_eth(rng: random.Random) -> tuple[str, str]:
    from bastion.detectors.validators import keccak256

    body = "".join(rng.choice("0123456789abcdef") for _ in range(40))
    digest = keccak256(body.encode()).hex()
    good = "".join(c.upper() if int(h, 16) >= 8 else c for c, h in zip(body, digest[:40], strict=True))
    letters = [i for i, c in enumerate(good) if c.isalpha()]
    i = rng.choice(letters)
    bad = good[:i] + good[i].swapcase() + good[i + 1 :]
    if bad == bad.lower() or bad == bad.upper():  # a one-letter address: no case to check
        return _gen_eth(rng)
    return "0x" + good, "0x" + bad


def _gen_pesel(rng: random.Random) -> tuple[str, str]:
    year = rng.randint(1930, 2015)
    month = rng.randint(1, 12) + (20 if year >= 2000 else 0)
    body = f"{year % 100:02d}{month:02d}{rng.randint(1, 28):02d}" + _digits(rng, 4, "0123456789")
    pair = _complete(body, _std("pl.pesel"))
    return pair if pair is not None else _gen_pesel(rng)


# region codes of the register stdnum checks (Beijing, Shanghai, Shenzhen, Nanjing, Chengdu)
_CN_REGIONS = ("110105", "310115", "440305", "320102", "510104")


def _gen_cn_ric(rng: random.Random) -> tuple[str, str]:
    body = (
        f"{rng.choice(_CN_REGIONS)}{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    )
    pair = _complete(body + _digits(rng, 3, "0123456789"), _std("cn.ric"), "0123456789X")
    return pair if pair is not None else _gen_cn_ric(rng)


# label -> (generator of (valid, invalid), context phrases, the recognizer's validator name)
IDENTIFIERS: dict[str, tuple] = {
    "UK_NINO": (_gen_nino, ["National Insurance number", "NINO:", "my NI number is"]),
    "UK_NHS": (
        _checked(lambda r: _digits(r, 9, "0123456789"), _std("gb.nhs"), lambda n, r: _fmt(n, r, (3, 3, 4))),
        ["NHS number", "NHS no.", "patient NHS"],
    ),
    "DE_TAX_ID": (
        _checked(lambda r: _digits(r, 10), _std("de.idnr"), lambda n, r: _fmt(n, r, (2, 3, 3, 3), " ")),
        ["Steuer-ID", "Steueridentifikationsnummer:", "IdNr"],
    ),
    "FR_NIR": (_gen_fr_nir, ["NIR", "numéro de sécurité sociale", "n° INSEE"]),
    "ES_NIF": (_gen_es, ["DNI", "NIE:", "mi DNI es"]),
    "BR_CPF": (
        _checked(
            lambda r: _digits(r, 10, "0123456789"),
            _std("br.cpf"),
            lambda n, r: n if r.random() < 0.4 else f"{n[:3]}.{n[3:6]}.{n[6:9]}-{n[9:]}",
        ),
        ["CPF", "CPF:", "meu CPF é"],
    ),
    "IT_FISCAL_CODE": (_gen_it_cf, ["codice fiscale", "CF:", "il mio codice fiscale è"]),
    "NL_BSN": (
        _checked(lambda r: _digits(r, 8, "0123456789"), _std("nl.bsn"), lambda n, r: n),
        ["BSN", "burgerservicenummer:", "mijn BSN is"],
    ),
    "IN_AADHAAR": (
        _checked(
            lambda r: _digits(r, 11, "23456789"), _std("in_.aadhaar"), lambda n, r: _fmt(n, r, (4, 4, 4))
        ),
        ["Aadhaar", "Aadhaar no.", "UIDAI number"],
    ),
    "CA_SIN": (
        _checked(lambda r: _digits(r, 8, "1234567"), _std("ca.sin"), lambda n, r: _fmt(n, r, (3, 3, 3))),
        ["SIN", "social insurance number", "NAS"],
    ),
    "AU_TFN": (
        _checked(
            lambda r: _digits(r, 8, "0123456789"), _std("au.tfn"), lambda n, r: _fmt(n, r, (3, 3, 3), " ")
        ),
        ["TFN", "tax file number:", "my TFN is"],
    ),
    "PL_PESEL": (_gen_pesel, ["PESEL", "nr PESEL:", "numer PESEL"]),
    "CN_RIC": (_gen_cn_ric, ["身份证号", "公民身份号码：", "ID card"]),
    "US_ROUTING": (_gen_aba, ["routing number", "ABA", "RTN:"]),
    "SWIFT_BIC": (_gen_bic, ["SWIFT", "BIC:", "SWIFT/BIC code"]),
    "CRYPTO_ADDRESS": (_gen_btc, ["send BTC to", "wallet", "bitcoin address"]),
    "CRYPTO_ADDRESS (ETH)": (_gen_eth, ["send ETH to", "wallet", "ethereum address"]),
}


def identifier_table(n: int, seed: int, min_score: float) -> None:
    """Per identifier: recall on n valid numbers, hits on n checksum-invalid twins."""
    rng = random.Random(seed)
    det = RegexPIIDetector()
    print(f"\n## identifiers: {n} valid / {n} checksum-invalid each (seed {seed}, score >= {min_score})\n")
    print(
        f"| {'identifier':<22} | recall (valid) | hits (invalid) | recall, no context | example valid                  |"
    )
    print(f"|{'-' * 24}|----------------|----------------|--------------------|{'-' * 32}|")
    for name, (gen, contexts) in IDENTIFIERS.items():
        label = name.split(" ")[0]
        found = hits = bare = 0
        example = ""
        for _ in range(n):
            good, bad = gen(rng)
            ctx = rng.choice(contexts)
            # the same value with no context word (context-only identifiers: 0 by design)
            plain = f"ref {good}, thanks"
            bare += any(
                (f.label, f.start, f.end) == (label, 4, 4 + len(good)) and f.score >= min_score
                for f in det.detect([plain])[0]
            )
            for value, tally in ((good, "good"), (bad, "bad")):
                text = f"{ctx} {value}, thanks"
                start = len(ctx) + 1
                fs = [f for f in det.detect([text])[0] if f.label == label and f.score >= min_score]
                if tally == "good":
                    found += any((f.start, f.end) == (start, start + len(value)) for f in fs)
                    example = example or value
                else:
                    hits += any(f.start < start + len(value) and f.end > start for f in fs)
        print(f"| {name:<22} | {found / n:>14.3f} | {hits:>14d} | {bare / n:>18.3f} | {example:<30.30} |")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets-root", default=None)
    ap.add_argument("--n", type=int, default=3000, help="generated texts")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--min-score", type=float, default=0.5, help="drop findings below (Guard default 0.5)")
    ap.add_argument("--growth", action="store_true", help="time growth on adversarial texts instead")
    ap.add_argument("--growth-n", type=int, default=50_000, help="--growth: base text length")
    ap.add_argument(
        "--identifiers", type=int, default=None, metavar="N",
        help="only the identifier table: N random valid and N checksum-invalid numbers per identifier",
    )  # fmt: skip
    args = ap.parse_args(argv)
    if args.identifiers is not None:
        identifier_table(args.identifiers, args.seed, args.min_score)
        return 0
    if args.growth:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from bench_injection_rules import growth_table, redos_shapes

        det = RegexPIIDetector()
        growth_table({"regex": lambda t: det.detect([t])}, args.growth_n, redos_shapes())
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
