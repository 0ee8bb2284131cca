"""Value sources for the synthetic generator: per-split identity pools drawn from Faker in many
locales, with checksum-valid cards/IBANs and structurally valid SSNs, plus the formatting variants
(name forms, phone/card/IBAN/DOB formats) chosen each time a value is written.

Example:
    >>> luhn_valid("4111111111111111"), iban_valid("DE89370400440532013000")
    (True, True)
"""

from __future__ import annotations

import hashlib
import random
import string
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import phonenumbers
from bastion.detectors.validators import iban_ok
from faker import Faker

# Locale -> phone region and country name written in addresses.
LOCALE_REGION: dict[str, str] = {
    "en_US": "US", "en_GB": "GB", "en_IN": "IN", "en_CA": "CA", "en_AU": "AU", "de_DE": "DE",
    "de_AT": "AT", "de_CH": "CH", "fr_FR": "FR", "fr_CH": "CH", "es_ES": "ES", "es_MX": "MX",
    "it_IT": "IT", "nl_NL": "NL", "nl_BE": "BE", "pt_BR": "BR", "pt_PT": "PT",
}  # fmt: skip

COUNTRY_NAME: dict[str, str] = {
    "US": "USA", "GB": "United Kingdom", "IN": "India", "CA": "Canada", "AU": "Australia",
    "DE": "Germany", "AT": "Austria", "CH": "Switzerland", "FR": "France", "ES": "Spain",
    "MX": "Mexico", "IT": "Italy", "NL": "Netherlands", "BE": "Belgium", "BR": "Brazil",
    "PT": "Portugal",
}  # fmt: skip

# BBAN shapes for IBANs: (length, alphabet) pieces. Used when Faker's locale has no own IBAN.
_IBAN_SHAPES: dict[str, list[tuple[int, str]]] = {
    "DE": [(18, "d")], "AT": [(16, "d")], "CH": [(17, "d")], "FR": [(23, "d")], "ES": [(20, "d")],
    "IT": [(1, "A"), (22, "d")], "NL": [(4, "A"), (10, "d")], "BE": [(12, "d")], "PT": [(21, "d")],
    "GB": [(4, "A"), (14, "d")], "IE": [(4, "A"), (14, "d")], "PL": [(24, "d")], "LU": [(16, "d")],
}  # fmt: skip

_TITLES = {
    "en": ["Mr.", "Ms.", "Mrs.", "Dr.", "Prof.", "Mr", "Ms", "Dr"],
    "de": ["Herr", "Frau", "Dr.", "Prof."],
    "fr": ["M.", "Mme", "Dr", "Pr"],
    "es": ["Sr.", "Sra.", "Dr.", "Dra."],
    "it": ["Sig.", "Sig.ra", "Dott.", "Dott.ssa"],
    "nl": ["dhr.", "mevr.", "dr."],
    "pt": ["Sr.", "Sra.", "Dr.", "Dra."],
}

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
}

_CARD_PREFIXES = [("4", 16), ("51", 16), ("53", 16), ("55", 16), ("2221", 16), ("34", 15), ("37", 15),
                  ("6011", 16), ("65", 16), ("3528", 16), ("36", 14), ("4", 13)]  # fmt: skip


def stable_seed(*parts: object) -> int:
    """A seed from arbitrary parts that, unlike ``hash()``, is the same in every process."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def luhn_check_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    digits = "".join(ch for ch in number if ch.isdigit())
    return len(digits) >= 12 and luhn_check_digit(digits[:-1]) == digits[-1]


def iban_check_digits(country: str, bban: str) -> str:
    moved = bban + country + "00"
    numeric = "".join(str(int(ch, 36)) for ch in moved)
    return f"{98 - int(numeric) % 97:02d}"


def iban_valid(iban: str) -> bool:
    compact = iban.replace(" ", "").upper()
    if len(compact) < 15 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    numeric = "".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])
    return int(numeric) % 97 == 1


def ssn_valid(ssn: str) -> bool:
    digits = "".join(ch for ch in ssn if ch.isdigit())
    if len(digits) != 9:
        return False
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def ascii_fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


@dataclass(frozen=True)
class Identity:
    """One fake person; every field is consistent with the others (email derived from the name...)."""

    locale: str
    first: str
    last: str
    middle_initial: str
    email: str
    username: str
    phones: tuple[str, ...]  # the same number in the formats it can be written in
    dob: date
    street: str
    city: str
    postcode: str
    state: str
    country: str
    address_lines: tuple[str, ...]
    card: str  # digits only
    iban: str  # compact
    ssn: str  # digits only
    ipv4: str
    ipv6: str
    company: str

    @property
    def lang(self) -> str:
        return self.locale.split("_")[0]

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"

    def keys(self) -> set[tuple[str, str]]:
        """Values that must never be shared between the train, val and test pools."""
        return {
            ("name", self.full.lower()),
            ("email", self.email.lower()),
            ("user", self.username.lower()),
            ("phone", _digits(self.phones[0])),
            ("card", self.card),
            ("iban", self.iban),
            ("ssn", self.ssn),
            ("ip", self.ipv4),
            ("street", self.street.lower()),
        }


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _make_card(rng: random.Random) -> str:
    prefix, length = rng.choice(_CARD_PREFIXES)
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return body + luhn_check_digit(body)


def _make_iban(rng: random.Random, fake: Faker, region: str) -> str:
    shape = _IBAN_SHAPES.get(region)
    if shape is None:  # non-IBAN countries (US, IN, BR...) mostly bank with someone who has one
        try:
            raw = fake.iban().replace(" ", "").upper()
        except AttributeError:
            raw = ""
        if len(raw) >= 15 and raw[:2].isalpha():
            fixed = raw[:2] + iban_check_digits(raw[:2], raw[4:]) + raw[4:]
            # Faker's generic provider emits 21-character "GB" IBANs (real ones have 22):
            # keep only values the runtime's country-length + mod-97 validator accepts.
            if iban_ok(fixed):
                return fixed
        region, shape = "DE", _IBAN_SHAPES["DE"]
    bban = "".join(
        "".join(rng.choice(string.digits if kind == "d" else string.ascii_uppercase) for _ in range(n))
        for n, kind in shape
    )
    return region + iban_check_digits(region, bban) + bban


def _make_ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"


def _make_ipv4(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.25:
        return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    if kind < 0.4:
        return f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    first = rng.choice([a for a in range(1, 224) if a not in (10, 127)])
    return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _phone_variants(raw: str, region: str) -> tuple[str, ...]:
    raw = raw.split("x")[0].strip()
    variants = [raw]
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return tuple(variants)
    if phonenumbers.is_possible_number(parsed):
        fmt = phonenumbers.PhoneNumberFormat
        for style in (fmt.NATIONAL, fmt.INTERNATIONAL, fmt.E164):
            text = phonenumbers.format_number(parsed, style)
            if text not in variants:
                variants.append(text)
    return tuple(variants)


def _email_and_username(
    rng: random.Random, fake: Faker, first: str, last: str, company: str
) -> tuple[str, str]:
    f, la = ascii_fold(first) or "user", ascii_fold(last) or "name"
    year = str(rng.randint(60, 99) if rng.random() < 0.5 else rng.randint(1, 2005))
    local = rng.choice(
        [f"{f}.{la}", f"{f[0]}{la}", f"{f}_{la}", f"{f}{la}{year}", f"{f}.{la[0]}", f"{la}.{f}", f"{f}{year}"]
    )
    domain_kind = rng.random()
    if domain_kind < 0.45:
        domain = fake.free_email_domain()
    elif domain_kind < 0.8:
        stem = ascii_fold(company.split()[0].strip(",")) or "corp"
        domain = f"{stem}.{rng.choice(['com', 'io', 'net', 'org', 'co', fake.tld()])}"
    else:
        domain = fake.domain_name()
    user = rng.choice(
        [
            f"{f}{la[:3]}{year}",
            f"{f}_{la}",
            f"{f[0]}{la}",
            f"{la}{rng.randint(1, 999)}",
            f"{f}.{la}",
            fake.user_name(),
        ]
    )
    if rng.random() < 0.15:
        user = user + rng.choice(["_dev", "_x", "99", "007", "_official"])
    return f"{local}@{domain}", user


def make_identity(fake: Faker, rng: random.Random, locale: str) -> Identity:
    region = LOCALE_REGION.get(locale, "US")
    first, last = fake.first_name(), fake.last_name()
    company = fake.company()
    email, user = _email_and_username(rng, fake, first, last, company)
    street, city, postcode = fake.street_address(), fake.city(), fake.postcode()
    state = ""
    if region in ("US", "CA", "AU", "IN", "MX", "BR"):
        try:
            state = fake.state_abbr() if region in ("US", "CA", "AU") else fake.state()
        except AttributeError:
            state = ""
    address_lines = tuple(line.strip() for line in fake.address().split("\n") if line.strip())
    return Identity(
        locale=locale,
        first=first,
        last=last,
        middle_initial=rng.choice(string.ascii_uppercase),
        email=email,
        username=user,
        phones=_phone_variants(fake.phone_number(), region),
        dob=fake.date_of_birth(minimum_age=18, maximum_age=90),
        street=street,
        city=city,
        postcode=postcode,
        state=state,
        country=COUNTRY_NAME.get(region, fake.country()),
        address_lines=address_lines,
        card=_make_card(rng),
        iban=_make_iban(rng, fake, region),
        ssn=_make_ssn(rng),
        ipv4=_make_ipv4(rng),
        ipv6=fake.ipv6(),
        company=company,
    )


def build_pools(
    locales: Mapping[str, float],
    size: int,
    seed: int,
    split: str,
    exclude: set[tuple[str, str]],
    min_per_locale: int = 40,
) -> dict[str, list[Identity]]:
    """Identity pool per locale for one split. Identities sharing any key with ``exclude`` (the
    pools of earlier splits) or with one already drawn are rejected, so splits never share a
    person, email, card, IBAN, SSN, phone, IP or street. ``exclude`` is extended in place."""
    total = sum(locales.values()) or 1.0
    pools: dict[str, list[Identity]] = {}
    for locale, weight in locales.items():
        fake = Faker(locale)
        fake.seed_instance(stable_seed(seed, split, locale, "faker"))
        rng = random.Random(stable_seed(seed, split, locale, "rng"))
        want = max(min_per_locale, round(size * weight / total))
        pool: list[Identity] = []
        attempts = 0
        while len(pool) < want and attempts < want * 20:
            attempts += 1
            ident = make_identity(fake, rng, locale)
            keys = ident.keys()
            if keys & exclude:
                continue
            exclude |= keys
            pool.append(ident)
        pools[locale] = pool
    return pools


# --------------------------------------------------------------------------- formatting


def format_person(rng: random.Random, ident: Identity, lang: str) -> list[tuple[str, str | None]]:
    """A name in one of its written forms; a title stays outside the span."""
    r = rng.random()
    if r < 0.45:
        return [(ident.full, "PERSON")]
    if r < 0.55:
        return [(f"{ident.first} {ident.middle_initial}. {ident.last}", "PERSON")]
    if r < 0.65:
        return [(f"{rng.choice(_TITLES.get(lang, _TITLES['en']))} ", None), (ident.last, "PERSON")]
    if r < 0.75:
        return [(f"{rng.choice(_TITLES.get(lang, _TITLES['en']))} ", None), (ident.full, "PERSON")]
    if r < 0.83:
        return [(f"{ident.last}, {ident.first}", "PERSON")]
    if r < 0.91:
        return [(f"{ident.first[0]}. {ident.last}", "PERSON")]
    if r < 0.96:
        return [(f"{ident.last.upper()} {ident.first}", "PERSON")]
    return [(ident.first, "PERSON")]


def format_phone(rng: random.Random, ident: Identity) -> str:
    return rng.choice(ident.phones)


def format_card(rng: random.Random, card: str) -> str:
    r = rng.random()
    if r < 0.35:
        return card
    sep = " " if r < 0.75 else "-"
    if len(card) == 15:
        return sep.join([card[:4], card[4:10], card[10:]])
    return sep.join(card[i : i + 4] for i in range(0, len(card), 4))


def format_iban(rng: random.Random, iban: str) -> str:
    if rng.random() < 0.5:
        return iban
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def format_ssn(rng: random.Random, ssn: str) -> str:
    r = rng.random()
    if r < 0.7:
        return f"{ssn[:3]}-{ssn[3:5]}-{ssn[5:]}"
    if r < 0.85:
        return f"{ssn[:3]} {ssn[3:5]} {ssn[5:]}"
    return ssn


def format_date(rng: random.Random, d: date, lang: str, us_order: bool) -> str:
    months = _MONTHS.get(lang, _MONTHS["en"]).split()
    month = months[d.month - 1]
    choices = [
        d.isoformat(),
        f"{d.month:02d}/{d.day:02d}/{d.year}" if us_order else f"{d.day:02d}/{d.month:02d}/{d.year}",
        f"{d.month}/{d.day}/{d.year % 100:02d}" if us_order else f"{d.day}.{d.month}.{d.year}",
        f"{d.day:02d}.{d.month:02d}.{d.year}",
    ]
    if lang == "en":
        choices += [
            f"{month} {d.day}, {d.year}",
            f"{d.day} {month} {d.year}",
            f"{d.day:02d}-{month[:3]}-{d.year}",
        ]
    elif lang == "de":
        choices += [f"{d.day}. {month} {d.year}"]
    else:
        choices += [
            f"{d.day} {'de ' if lang in ('es', 'pt') else ''}{month}{' de' if lang in ('es', 'pt') else ''} {d.year}"
        ]
    return rng.choice(choices)


def format_address(rng: random.Random, ident: Identity) -> str:
    region = LOCALE_REGION.get(ident.locale, "US")
    r = rng.random()
    if r < 0.3 and ident.address_lines:
        return rng.choice([", ", "\n"]).join(ident.address_lines)
    if region in ("US", "CA", "AU"):
        tail = f"{ident.city}, {ident.state} {ident.postcode}".replace(",  ", ", ")
    elif region in ("GB", "IN"):
        tail = f"{ident.city} {ident.postcode}"
    else:
        tail = f"{ident.postcode} {ident.city}"
    line = f"{ident.street}, {tail}"
    return f"{line}, {ident.country}" if r > 0.8 else line


def pick(rng: random.Random, items: Iterable[str]) -> str:
    seq = list(items)
    return seq[rng.randrange(len(seq))]
