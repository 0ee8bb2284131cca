"""Writes tests/data/pii_regex_golden.json: the regex detector's findings over a fixed corpus.

The fixture freezes what the detector reported before its recognizers moved into
``bastion.detectors.rules`` (issue 14); ``tests/test_pii_regex_golden.py`` checks every
later version against it. Regenerate only when a change of findings is intended, and
say so in the commit: ``python tests/data/make_pii_regex_golden.py``.

The corpus is the table texts of the recognizer tests plus seeded random compositions
(values glued, chained, repeated, near and far from context words, mixed separators).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bastion.detectors.pii_regex import RegexPIIDetector  # noqa: E402
from test_pii_regex import ID_NEGATIVES, ID_POSITIVES, NEGATIVES, PEM, POSITIVES, unmark  # noqa: E402

# name -> RegexPIIDetector keyword arguments
CONFIGS: dict[str, dict[str, Any]] = {
    "default": {},
    "no_context": {"context_window": 0},
    "phones_only": {"labels": ["PHONE_NUMBER"]},
    "some_labels": {"labels": ["EMAIL_ADDRESS", "US_SSN", "IBAN_CODE", "API_KEY", "PASSWORD"]},
    "us_one_call": {"regions": ["US"], "max_phone_calls": 1},
    "custom": {
        "custom": [
            {"name": "employee_id", "label": "EMPLOYEE_ID", "regex": r"EMP-\d{6}", "context": ["badge"]},
            {
                "name": "ticket",
                "label": "TICKET",
                "regex": r"T[0-9]{5}",
                "context": ["ticket"],
                "context_required": True,
                "score": 0.7,
            },
        ]
    },
}

VALUES = (
    "jane.doe@example.co.uk", "bob+tag@mail.example.org", "(425) 882-9090", "+44 20 7946 0958",
    "030 1234567", "07700 900123", "078-05-1121", "078051121", "536 22 1234", "4111 1111 1111 1111",
    "5555-5555-5555-4444", "378282246310005", "4111111111111112", "DE89 3704 0044 0532 0130 00",
    "GB82WEST12345698765432", "FR1420041010050500013M02606", "DE89370400440532013001", "192.168.0.1",
    "2001:db8::8a2e:370:7334", "https://example.com/a?b=1", "www.example.org", "00:1A:2B:3C:4D:5E",
    "AKIAIOSFODNN7EXAMPLE", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "password=hunter2!", "12/05/1990",
    "March 3rd, 1985", "1990-05-12", "943 476 5919", "AB 12 34 56 C", "12345678Z", "2345 6789 0124",
    "130 692 544", "011000015", "12345678901", "DEUTDEFF500", "C01X00T47", "D1234567",
    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "glpat-xYz12AbC34dEf56GhI78jK", "EMP-004211", "T12345", "345-899-3560x4587", "05.12.1990",
    "1.2.3.4", "8.13.1.11", "12:30:45", "2015-12-22 04",
)  # fmt: skip
CONTEXT = (
    "ssn", "card", "iban", "phone", "tel", "born", "dob", "ip", "mac", "key", "NHS", "nino", "DNI",
    "Aadhaar", "SIN", "routing number", "account number", "SWIFT", "passport", "driver's license",
    "MRN", "wallet", "badge", "ticket", "version", "section", "order", "",
)  # fmt: skip
SEPS = (" ", "  ", ", ", "; ", "\n", " / ", "-", "", ":", " and ", "\t")


def _composed(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 5)):
        word = rng.choice(CONTEXT)
        filler = " " * rng.randint(0, 3) + "x" * rng.choice((0, 0, 0, 50))
        parts.append(f"{word}{filler}{rng.choice(SEPS)}{rng.choice(VALUES)}")
    return rng.choice(SEPS).join(parts)


def corpus() -> list[str]:
    rng = random.Random(14)
    texts = [unmark(m)[0] for _, m in POSITIVES] + [t for _, t in NEGATIVES]
    texts += [unmark(m)[0] for _, m in ID_POSITIVES] + [t for _, t in ID_NEGATIVES]
    texts += [_composed(rng) for _ in range(160)]
    texts += [
        "DE89370400440532013000GB82WEST12345698765432 and FR1420041010050500013M02606x",
        "ibans DE89 3704 0044 0532 0130 00GB82 WEST 1234 5698 7654 32 end",
        "GET /a?token=S3cr3t9x&password=Xk9mPq2vL&user=jo&api_key=q8Zx-31pLmN.",
        "-----BEGIN PRIVATE KEY-----\n" + "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n" * 3 + "\ntrailing",
        PEM + "\n" + PEM.replace("RSA ", ""),
        "cards 4111 1111 1111 1111 5555 5555 5555 4444 4012 8888 8888 1881",
        "4111 1111 1111 1111 0 and 4111 1111 1111 1111 12/28",
        "call 030 1234567 or 030 7654321 or +1-212-555-0123, ext. 55; fax (425) 882-9090 x12",
        "numbers " + " ".join(f"0{n} {n * 7 % 10000:04d} {n * 13 % 1000:03d}" for n in range(30, 70)),
        "postgres://admin:s3cretPW@db.example.com:5432/app and mail admin@db.example.com",
        "see (https://x.org/a_(b)). and www.example.co.uk/path?q=1, http://localhost:8080",
        "v6 fe80::1%eth0 ::ffff:10.0.0.1 dead::beef std::vector 2001:0db8:0000:0000:0000:ff00:0042:8329",
        "born 3 March 1985, née le 14 juillet 1972; DOB 1990-05-12; geb. 3. März 1985",
        "ssn 078 05 1121 ssn 078.05.1121 ssn 078-05 1121 social security 219-09-9999",
        "Ｔｅｌ：０３０ １２３４５６７ e-mail: ｊａｎｅ@example.com",
        "my password is hunter2 and mein Passwort ist Sommer2024! and the password is required",
        "AccountKey=" + "A" * 86 + "== and aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "1 2 3 4 5 6 7 8 9 then 030 1234567",
        "ticket T12345, badge EMP-004211; T54321 without its word",
        "",
        "no pii at all, just words and 12 numbers like 3 and 42.",
        ("filler text " * 40 + "card 4111111111111111 ") * 3 + "phone +44 20 7946 0958",
    ]
    return texts


def finding_row(f: Any) -> list[Any]:
    expl = dict(f.explanation) if f.explanation is not None else None
    return [f.label, f.start, f.end, f.score, f.detector, f.category, f.validated, expl]


def main() -> None:
    texts = corpus()
    dets = {name: RegexPIIDetector(**kwargs) for name, kwargs in CONFIGS.items()}
    found = {name: det.detect(texts) for name, det in dets.items()}
    cases = [
        {"text": text, **{name: [finding_row(f) for f in found[name][i]] for name in CONFIGS}}
        for i, text in enumerate(texts)
    ]
    # one case a line, so a changed finding shows as a one-line diff
    lines = [json.dumps(c, ensure_ascii=False) for c in cases]
    body = ",\n".join(lines)
    path = HERE / "pii_regex_golden.json"
    path.write_text(f'{{"configs": {json.dumps(CONFIGS)},\n"cases": [\n{body}\n]}}\n')
    total = sum(len(rows[i]) for rows in found.values() for i in range(len(texts)))
    print(f"{path}: {len(texts)} texts x {len(CONFIGS)} configs, {total} findings")


if __name__ == "__main__":
    main()
