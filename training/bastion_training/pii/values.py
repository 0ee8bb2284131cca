"""Value sources for the synthetic generator: per-split identity pools drawn from Faker in many
locales, with checksum-valid cards/IBANs and structurally valid SSNs, plus the formatting variants
(name forms, phone/card/IBAN/DOB formats) chosen each time a value is written.

"Valid" means valid to the runtime: every generated card, IBAN and SSN passes
:mod:`bastion.detectors.validators` (the checks the regex recognizers apply), so a value the
data labels as PII is one the Guard would report.

Example:
    >>> import random
    >>> from bastion.detectors.validators import card_ok
    >>> card_ok(_make_card(random.Random(0)))
    True
"""

from __future__ import annotations

import hashlib
import random
import re
import string
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import phonenumbers
from bastion.detectors.validators import card_ok, iban_ok, ssn_ok
from faker import Faker

from . import slavic

# Locale -> phone region and country name written in addresses.
LOCALE_REGION: dict[str, str] = {
    "en_US": "US", "en_GB": "GB", "en_IN": "IN", "en_CA": "CA", "en_AU": "AU", "de_DE": "DE",
    "de_AT": "AT", "de_CH": "CH", "fr_FR": "FR", "fr_CH": "CH", "es_ES": "ES", "es_MX": "MX",
    "it_IT": "IT", "nl_NL": "NL", "nl_BE": "BE", "pt_BR": "BR", "pt_PT": "PT",
    "pl_PL": "PL", "ru_RU": "RU", "zh_CN": "CN", "ja_JP": "JP",
    "hr_HR": "HR", "sr_RS": "RS", "sk_SK": "SK", "cs_CZ": "CZ",
}  # fmt: skip

# Faker has no Serbian locale: sr_RS draws from hr_HR and then takes Serbian names, cities and
# phone numbers from the lists in ``slavic`` (Latin script, as Serbian news is written online).
FAKER_LOCALE: dict[str, str] = {"sr_RS": "hr_HR"}

# Country names as the identity's own language writes them ({LAND} in native templates).
COUNTRY_NATIVE: dict[tuple[str, str], str] = {
    ("DE", "de"): "Deutschland", ("AT", "de"): "Österreich", ("CH", "de"): "Schweiz", ("CH", "fr"): "Suisse",
    ("FR", "fr"): "France", ("ES", "es"): "España", ("MX", "es"): "México", ("IT", "it"): "Italia",
    ("NL", "nl"): "Nederland", ("BE", "nl"): "België", ("BR", "pt"): "Brasil", ("PT", "pt"): "Portugal",
    ("PL", "pl"): "Polska", ("RU", "ru"): "Россия", ("CN", "zh"): "中国", ("JP", "ja"): "日本",
    ("HR", "hr"): "Hrvatska", ("RS", "sr"): "Srbija", ("SK", "sk"): "Slovensko", ("CZ", "cs"): "Česko",
}  # fmt: skip

# Languages that write a full name family-name first with no space, and titles after it.
NAME_FIRST_FAMILY = frozenset({"zh", "ja"})

COUNTRY_NAME: dict[str, str] = {
    "US": "USA", "GB": "United Kingdom", "IN": "India", "CA": "Canada", "AU": "Australia",
    "DE": "Germany", "AT": "Austria", "CH": "Switzerland", "FR": "France", "ES": "Spain",
    "MX": "Mexico", "IT": "Italy", "NL": "Netherlands", "BE": "Belgium", "BR": "Brazil",
    "PT": "Portugal", "PL": "Polska", "RU": "Россия", "CN": "中国", "JP": "日本",
    "HR": "Croatia", "RS": "Serbia", "SK": "Slovakia", "CZ": "Czech Republic",
}  # fmt: skip

# BBAN shapes for IBANs: (length, alphabet) pieces. Used when Faker's locale has no own IBAN.
_IBAN_SHAPES: dict[str, list[tuple[int, str]]] = {
    "DE": [(18, "d")], "AT": [(16, "d")], "CH": [(17, "d")], "FR": [(23, "d")], "ES": [(20, "d")],
    "IT": [(1, "A"), (22, "d")], "NL": [(4, "A"), (10, "d")], "BE": [(12, "d")], "PT": [(21, "d")],
    "GB": [(4, "A"), (14, "d")], "IE": [(4, "A"), (14, "d")], "PL": [(24, "d")], "LU": [(16, "d")],
    "HR": [(17, "d")], "RS": [(18, "d")],
}  # fmt: skip

_TITLES = {
    "en": ["Mr.", "Ms.", "Mrs.", "Dr.", "Prof.", "Mr", "Ms", "Dr"],
    "de": ["Herr", "Frau", "Dr.", "Prof."],
    "fr": ["M.", "Mme", "Dr", "Pr"],
    "es": ["Sr.", "Sra.", "Dr.", "Dra."],
    "it": ["Sig.", "Sig.ra", "Dott.", "Dott.ssa"],
    "nl": ["dhr.", "mevr.", "dr."],
    "pt": ["Sr.", "Sra.", "Dr.", "Dra."],
    "pl": ["Pan", "Pani", "dr", "prof.", "mgr"],
    "ru": ["г-н", "г-жа", "д-р", "проф."],
    "hr": ["g.", "gđa", "dr.", "prof."],
    "sr": ["g.", "gđa", "dr", "prof."],
    "sk": ["p.", "pani", "Ing.", "Mgr.", "MUDr."],
    "cs": ["pan", "paní", "Ing.", "Mgr.", "MUDr."],
}
# Written after the name, outside the span ("王先生", "田中様").
_TITLES_AFTER = {"zh": ["先生", "女士", "经理", "老师", "医生"], "ja": ["さん", "様", "氏", "先生", "部長"]}

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "pl": "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia",
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "hr": "siječnja veljače ožujka travnja svibnja lipnja srpnja kolovoza rujna listopada studenoga prosinca",
    "sr": "januara februara marta aprila maja juna jula avgusta septembra oktobra novembra decembra",
    "sk": "januára februára marca apríla mája júna júla augusta septembra októbra novembra decembra",
    "cs": "ledna února března dubna května června července srpna září října listopadu prosince",
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


def iban_check_digits(country: str, bban: str) -> str:
    moved = bban + country + "00"
    numeric = "".join(str(int(ch, 36)) for ch in moved)
    return f"{98 - int(numeric) % 97:02d}"


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
    gender: str = ""  # "m"/"f" where the locale's names are drawn by gender, for declension

    @property
    def lang(self) -> str:
        return self.locale.split("_")[0]

    @property
    def full(self) -> str:
        if self.lang in NAME_FIRST_FAMILY:
            return f"{self.last}{self.first}"
        return f"{self.first} {self.last}"

    @property
    def country_native(self) -> str:
        region = LOCALE_REGION.get(self.locale, "US")
        return COUNTRY_NATIVE.get((region, self.lang), self.country)

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


def _valid(make: Callable[[], str], ok: Callable[[str], bool]) -> str:
    """The first value ``make`` draws that the runtime's validator ``ok`` accepts."""
    while not ok(value := make()):
        pass
    return value


def _make_card(rng: random.Random) -> str:
    def draw() -> str:
        prefix, length = rng.choice(_CARD_PREFIXES)
        body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
        return body + luhn_check_digit(body)

    return _valid(draw, card_ok)


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

    def draw() -> str:
        bban = "".join(
            "".join(rng.choice(string.digits if kind == "d" else string.ascii_uppercase) for _ in range(n))
            for n, kind in shape
        )
        return region + iban_check_digits(region, bban) + bban

    return _valid(draw, iban_ok)


def _make_ssn(rng: random.Random) -> str:
    def draw() -> str:
        area = rng.choice([a for a in range(1, 900) if a != 666])
        return f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"

    # ssn_ok also rejects repeated digits and published sample numbers (123-45-6789)
    return _valid(draw, ssn_ok)


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


def _cjk_address(fake: Faker, rng: random.Random, region: str) -> tuple[str, str, str, tuple[str, ...]]:
    """(street, city, postcode, lines) written the way China and Japan write them: from the
    largest unit to the smallest, no spaces."""
    if region == "JP":
        city = f"{fake.prefecture()}{fake.city()}"
        street = f"{fake.town()}{fake.chome()}{fake.ban()}{fake.gou()}"
        if rng.random() < 0.4:
            street += f" {fake.building_name()}{rng.randint(101, 1208)}"
        postcode = fake.zipcode()
        return street, city, postcode, (f"〒{postcode}", f"{city}{street}")
    city = f"{fake.province()}{fake.city_name()}市"
    street = f"{fake.district()}区{fake.street_name()}{rng.randint(1, 999)}号"
    if rng.random() < 0.4:
        street += f"{rng.randint(1, 30)}栋{rng.randint(101, 2808)}室"
    postcode = fake.postcode()
    return street, city, postcode, (f"{city}{street}", postcode)


def _names(fake: Faker, rng: random.Random, lang: str) -> tuple[str, str, str]:
    """(first, last, gender "m"/"f" or "" where not drawn)."""
    # Polish, Russian, Slovak and Czech surnames agree with the person's gender (Kowalski /
    # Kowalska, Novák / Nováková); Croatian and Serbian names are declined by it.
    if lang in ("pl", "ru", "hr", "sk", "cs") and hasattr(fake, "first_name_male"):
        if rng.random() < 0.5:
            return fake.first_name_male(), fake.last_name_male(), "m"
        return fake.first_name_female(), fake.last_name_female(), "f"
    if lang == "sr":
        return slavic.serbian_name(rng)
    return fake.first_name(), fake.last_name(), ""


# Faker's date_of_birth counts back from today: the same seed built other texts on another
# day (05.02.1964 one day, 06.02.1964 the next). Ages count back from a fixed day instead,
# drawn the same way (Faker's own generator, one draw).
_DOB_REFERENCE = date(2026, 1, 1)


def _date_of_birth(fake: Any, minimum_age: int = 18, maximum_age: int = 90) -> date:
    start = _DOB_REFERENCE.replace(year=_DOB_REFERENCE.year - (maximum_age + 1))
    end = _DOB_REFERENCE.replace(year=_DOB_REFERENCE.year - minimum_age)
    dob = fake.date_time_ad(start_datetime=start, end_datetime=end).date()
    return dob if dob != start else dob + timedelta(days=1)


def make_identity(fake: Faker, rng: random.Random, locale: str, gazetteers: Any | None = None) -> Identity:
    region = LOCALE_REGION.get(locale, "US")
    lang = locale.split("_")[0]
    first, last, gender = _names(fake, rng, lang)
    company = fake.company()
    street, city, postcode = fake.street_address(), fake.city(), fake.postcode()
    phone = fake.phone_number()
    if lang == "sr":
        city, postcode = slavic.serbian_city(rng)
        street = f"{slavic.serbian_street(rng)} {rng.randint(1, 160)}{rng.choice(['', '', '', 'a', 'b'])}"
        phone = slavic.serbian_phone(rng)
    cjk_lines: tuple[str, ...] = ()
    if region in ("CN", "JP"):
        street, city, postcode, cjk_lines = _cjk_address(fake, rng, region)
    if gazetteers and lang == "de" and rng.random() < 0.5:
        # German LER gazetteers (OSM streets, cities, companies; GermaNER surnames): real-world
        # spellings Faker's short de_DE lists lack ("Am Hinterrasen", "Aach").
        if gazetteers.surnames:
            last = rng.choice(gazetteers.surnames)
        if gazetteers.streets:
            street = (
                f"{rng.choice(gazetteers.streets)} {rng.randint(1, 180)}{rng.choice(['', '', '', 'a', 'b'])}"
            )
        if gazetteers.cities:
            city = rng.choice(gazetteers.cities)
        if gazetteers.companies and rng.random() < 0.6:
            company = rng.choice(gazetteers.companies)
    if lang in NAME_FIRST_FAMILY:
        rom_first = getattr(fake, "first_romanized_name", fake.first_name)()
        rom_last = getattr(fake, "last_romanized_name", fake.last_name)()
        email, user = _email_and_username(rng, fake, rom_first, rom_last, "corp")
    else:
        email, user = _email_and_username(rng, fake, first, last, company)
    state = ""
    if region in ("US", "CA", "AU", "IN", "MX", "BR"):
        try:
            state = fake.state_abbr() if region in ("US", "CA", "AU") else fake.state()
        except AttributeError:
            state = ""
    address_lines = cjk_lines or tuple(line.strip() for line in fake.address().split("\n") if line.strip())
    if lang == "sr":
        address_lines = (street, f"{postcode} {city}")
    return Identity(
        locale=locale,
        first=first,
        last=last,
        middle_initial=rng.choice(string.ascii_uppercase),
        email=email,
        username=user,
        phones=_phone_variants(phone, region),
        dob=_date_of_birth(fake),
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
        gender=gender,
    )


def stable_faker(locale: str) -> Faker:
    """A Faker whose draws depend on its seed alone.

    Faker's it_IT address provider builds its city list from a set, so its order (and the city
    a seeded draw returns) changed with each process's string-hash seed: two builds of the
    same params differed in 1.3 % of the PII train rows. Sorting that list in place keeps
    every draw's index, so only the city at each index is now fixed.
    """
    fake = Faker(FAKER_LOCALE.get(locale, locale))
    for provider in fake.get_providers():
        cities = getattr(provider, "cities", None)
        if type(provider).__module__.startswith("faker.providers.address.it_") and isinstance(cities, list):
            provider.cities = sorted(cities)
    return fake


def build_pools(
    locales: Mapping[str, float],
    size: int,
    seed: int,
    split: str,
    exclude: set[tuple[str, str]],
    min_per_locale: int = 40,
    gazetteers: Any | None = None,
) -> dict[str, list[Identity]]:
    """Identity pool per locale for one split. Identities sharing any key with ``exclude`` (the
    pools of earlier splits) or with one already drawn are rejected, so splits never share a
    person, email, card, IBAN, SSN, phone, IP or street. ``exclude`` is extended in place."""
    total = sum(locales.values()) or 1.0
    pools: dict[str, list[Identity]] = {}
    for locale, weight in locales.items():
        fake = stable_faker(locale)
        fake.seed_instance(stable_seed(seed, split, locale, "faker"))
        rng = random.Random(stable_seed(seed, split, locale, "rng"))
        want = max(min_per_locale, round(size * weight / total))
        pool: list[Identity] = []
        attempts = 0
        while len(pool) < want and attempts < want * 20:
            attempts += 1
            ident = make_identity(fake, rng, locale, gazetteers)
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
    if lang in NAME_FIRST_FAMILY and ident.lang in NAME_FIRST_FAMILY:
        if r < 0.6:
            return [(ident.full, "PERSON")]
        if r < 0.8:
            return [(ident.last, "PERSON"), (rng.choice(_TITLES_AFTER[lang]), None)]
        return [(ident.full, "PERSON"), (rng.choice(_TITLES_AFTER[lang]), None)]
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
    if lang in NAME_FIRST_FAMILY:
        return rng.choice(
            [f"{d.year}年{d.month}月{d.day}日", d.isoformat(), f"{d.year}/{d.month:02d}/{d.day:02d}"]
        )
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
    elif lang in ("pl", "ru"):
        choices += [f"{d.day} {month} {d.year}" + (" г." if lang == "ru" and rng.random() < 0.5 else "")]
    elif lang in ("hr", "sr", "sk", "cs"):
        choices += [f"{d.day}. {month} {d.year}" + ("." if lang in ("hr", "sr") else "")]
    else:
        choices += [
            f"{d.day} {'de ' if lang in ('es', 'pt') else ''}{month}{' de' if lang in ('es', 'pt') else ''} {d.year}"
        ]
    return rng.choice(choices)


def format_address(rng: random.Random, ident: Identity) -> str:
    region = LOCALE_REGION.get(ident.locale, "US")
    r = rng.random()
    if region in ("CN", "JP"):
        if region == "JP":
            return (
                f"〒{ident.postcode} {ident.city}{ident.street}" if r < 0.5 else f"{ident.city}{ident.street}"
            )
        return f"{ident.city}{ident.street}" + (f"，邮编{ident.postcode}" if r < 0.3 else "")
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


# --------------------------------------------------------------------------- places and organisations
# Gazetteers written for this generator from general knowledge. They are shared by all splits (a
# country is not an identity); the names inside compositional organisations come from the split's
# own identities, so those stay disjoint with the people.


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


WORLD_CITIES: tuple[str, ...] = _words(
    """London Paris Berlin Madrid Rome Lisbon Dublin Amsterdam Brussels Vienna Zurich Geneva Frankfurt
    Munich Hamburg Cologne Stuttgart Milan Naples Turin Barcelona Seville Valencia Bilbao Lyon Marseille
    Toulouse Nice Copenhagen Stockholm Oslo Helsinki Warsaw Krakow Prague Budapest Bucharest Sofia Athens
    Istanbul Ankara Moscow Kiev Minsk Riga Vilnius Tallinn Belgrade Zagreb Sarajevo Ljubljana Bratislava
    Edinburgh Glasgow Manchester Liverpool Birmingham Leeds Cardiff Belfast Rotterdam Antwerp Basel
    Chicago Boston Houston Dallas Atlanta Miami Seattle Denver Detroit Philadelphia Phoenix Baltimore
    Toronto Montreal Vancouver Ottawa Calgary Guadalajara Monterrey Havana Bogota Lima Santiago Montevideo
    Brasilia Caracas Quito Cairo Lagos Nairobi Johannesburg Accra Dakar Casablanca Algiers Tunis Kinshasa
    Kampala Harare Khartoum Jerusalem Beirut Amman Damascus Baghdad Tehran Riyadh Dubai Doha Karachi
    Islamabad Lahore Mumbai Bangalore Chennai Kolkata Dhaka Colombo Kathmandu Kabul Tashkent Almaty
    Beijing Shanghai Taipei Seoul Tokyo Osaka Manila Jakarta Bangkok Hanoi Singapore Sydney Melbourne
    Brisbane Perth Auckland Wellington"""
) + (
    "New York", "Washington", "Los Angeles", "San Francisco", "New Orleans", "Las Vegas", "St. Louis",
    "Mexico City", "Buenos Aires", "Sao Paulo", "Rio de Janeiro", "La Paz", "Cape Town", "Addis Ababa",
    "Tel Aviv", "Kuwait City", "New Delhi", "Hong Kong", "Kuala Lumpur", "Abu Dhabi", "Ho Chi Minh City",
    "Frankfurt am Main", "The Hague", "Rio",
)  # fmt: skip

NATIONS: tuple[str, ...] = _words(
    """Germany France Spain Italy Portugal Britain England Scotland Wales Ireland Belgium Austria
    Switzerland Poland Sweden Norway Denmark Finland Iceland Greece Turkey Russia Ukraine Belarus
    Romania Bulgaria Hungary Serbia Croatia Bosnia Slovenia Slovakia Albania Estonia Latvia Lithuania
    Moldova Georgia Armenia Azerbaijan Kazakhstan Uzbekistan Israel Lebanon Syria Jordan Iraq Iran
    Egypt Libya Tunisia Algeria Morocco Nigeria Ghana Senegal Kenya Ethiopia Uganda Tanzania Rwanda
    Zimbabwe Zambia Angola Mozambique Sudan Somalia Cameroon Mali Pakistan Afghanistan India Bangladesh
    Nepal China Japan Taiwan Mongolia Vietnam Thailand Cambodia Indonesia Malaysia Singapore Australia
    Canada Mexico Cuba Jamaica Haiti Colombia Venezuela Ecuador Peru Bolivia Chile Argentina Uruguay
    Paraguay Brazil USA Luxembourg Cyprus Malta Qatar Kuwait Bahrain Oman Yemen"""
) + (
    "South Africa", "Saudi Arabia", "South Korea", "North Korea", "New Zealand", "Sri Lanka",
    "Costa Rica", "Ivory Coast", "Czech Republic", "Northern Ireland", "Puerto Rico", "Hong Kong",
)  # fmt: skip

US_STATES: tuple[str, ...] = (
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware",
    "Florida", "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas", "Kentucky",
    "Louisiana", "Maine", "Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi",
    "Missouri", "Montana", "Nebraska", "Nevada", "New Hampshire", "New Jersey", "New Mexico",
    "New York", "North Carolina", "North Dakota", "Ohio", "Oklahoma", "Oregon", "Pennsylvania",
    "Rhode Island", "South Carolina", "South Dakota", "Tennessee", "Texas", "Utah", "Vermont",
    "Virginia", "Washington", "West Virginia", "Wisconsin", "Wyoming",
)  # fmt: skip

# States and provinces outside the US (written where a sentence says "state" or "province").
OTHER_STATES: tuple[str, ...] = (
    "Ontario", "Quebec", "Alberta", "British Columbia", "Manitoba", "Nova Scotia", "Queensland",
    "New South Wales", "Tasmania", "Bavaria", "Saxony", "Hesse", "Brandenburg", "Lower Saxony",
    "North Rhine-Westphalia", "Baden-Wuerttemberg", "Maharashtra", "Kerala", "Gujarat", "Rajasthan",
    "Jalisco", "Chiapas", "Oaxaca", "Bahia", "Minas Gerais", "Tyrol", "Styria", "Ticino",
)  # fmt: skip

REGIONS: tuple[str, ...] = (
    "Catalonia", "Andalusia", "Galicia", "Tuscany", "Lombardy", "Sicily", "Sardinia", "Provence",
    "Brittany", "Normandy", "Alsace", "Flanders", "Wallonia", "Yorkshire", "Cornwall", "Siberia",
    "Patagonia", "Kashmir", "Punjab", "Bengal", "Tibet", "Crimea", "Transylvania", "Bohemia",
    "Silesia", "Anatolia", "Lapland", "Darfur", "Kosovo", "Chechnya", "Corsica", "Crete", "Bavaria",
    "Gaza", "Kurdistan", "Scania", "Jutland", "Asturias", "Umbria", "Burgundy", "Limburg", "Kent",
)  # fmt: skip

# Rivers, ranges, seas, continents and the countries written with an article, as (article, name):
# the article stays outside the span ("across the Alps"). Templates write them after in/across/over.
GEO_FEATURES: tuple[tuple[str, str], ...] = tuple(
    ("the ", n) for n in (
        "Rhine", "Danube", "Thames", "Seine", "Nile", "Amazon", "Mississippi", "Volga", "Ganges",
        "Yangtze", "Mekong", "Rhone", "Elbe", "Hudson", "Alps", "Andes", "Rockies", "Himalayas",
        "Pyrenees", "Urals", "Carpathians", "Dolomites", "Balkans", "Middle East", "Caribbean", "Midwest",
        "Sahara", "Mediterranean", "Baltic", "Black Sea", "North Sea", "Persian Gulf", "Gulf of Mexico",
        "Netherlands", "United States", "United Kingdom", "Philippines", "U.S.", "West Bank",
        "Golan Heights", "Great Lakes", "Scottish Highlands", "Ruhr", "Outback",
    )
) + tuple(
    ("", n) for n in (
        "Mount Everest", "Mont Blanc", "Kilimanjaro", "Mount Fuji", "Lake Geneva", "Lake Como",
        "Lake Victoria", "Lake Tahoe", "Loch Ness", "Ben Nevis", "Mount Kenya", "Lake Baikal",
        "Death Valley", "Yosemite", "Lake Constance", "Cape Horn", "Tierra del Fuego", "Europe", "Asia",
        "Africa", "Latin America", "North America", "Southeast Asia", "East Africa", "Eastern Europe",
        "Central Europe", "Scandinavia", "Siberia", "Patagonia",
    )
)  # fmt: skip

# Adjectives of nationality are not places: written unlabelled next to labelled places.
NATIONALITIES: tuple[str, ...] = _words(
    """American British German French Spanish Italian Dutch Belgian Swiss Austrian Swedish Norwegian
    Danish Finnish Polish Czech Russian Ukrainian Greek Turkish Israeli Egyptian Kenyan Nigerian
    Brazilian Argentine Mexican Canadian Australian Japanese Chinese Indian Pakistani Korean Irish
    Portuguese Scottish Welsh Hungarian Romanian Serbian Croatian Iranian Iraqi Moroccan Ethiopian
    European Asian African"""
)  # fmt: skip

NEWS_AGENCIES: tuple[str, ...] = ("Reuters", "AP", "AFP", "dpa", "Bloomberg", "Xinhua", "ANSA", "EFE",
                                  "Kyodo", "Interfax", "PTI", "Itar-Tass", "Associated Press")  # fmt: skip

AGENCIES: tuple[str, ...] = (
    "EPA", "FBI", "CIA", "NASA", "FDA", "SEC", "IRS", "UN", "EU", "NATO", "WHO", "IMF", "OPEC",
    "UNICEF", "UNESCO", "World Bank", "Federal Reserve", "European Central Bank", "Bundesbank",
    "Bank of England", "Bank of Japan", "Interpol", "Europol", "Red Cross", "FIFA", "UEFA", "IOC",
    "European Commission", "European Parliament", "Security Council", "Pentagon", "State Department",
    "Justice Department", "Treasury", "Bundestag", "Senate", "House of Commons", "Kremlin", "WTO",
    "Amnesty International", "Greenpeace", "Medecins Sans Frontieres", "Supreme Court",
    "Environmental Protection Agency", "Food and Drug Administration", "National Health Service",
    "Finance Ministry", "Defence Ministry", "Foreign Ministry", "Interior Ministry", "Health Ministry",
)  # fmt: skip

PARTIES: tuple[str, ...] = (
    "Democratic Party", "Republican Party", "Democrats", "Republicans", "Labour", "Labour Party",
    "Conservative Party", "Conservatives", "Tories", "Liberal Democrats", "Social Democrats",
    "Christian Democrats", "Social Democratic Party", "Christian Democratic Union", "Greens",
    "Green Party", "Socialist Party", "Communist Party", "People's Party", "Liberal Party",
    "National Front", "Free Democrats", "Workers' Party", "Pirate Party",
)  # fmt: skip

_COMPANY_WORDS = ("Holdings", "Group", "Industries", "Capital", "Partners", "Systems", "Foods", "Motors",
                  "Energy", "Pharma", "Logistics", "Media", "Steel", "Airlines", "Insurance", "Mining",
                  "Chemicals", "Telecom", "Software", "Retail", "Textiles", "Shipping", "Brewing")  # fmt: skip
_COMPANY_SUFFIXES = ("Inc.", "Inc", "Ltd", "Ltd.", "LLC", "GmbH", "S.A.", "plc", "PLC", "AG", "Corp.",
                     "Corporation", "N.V.", "SpA", "Co.", "S.p.A.", "B.V.", "SE", "Pty Ltd", "KG", "SARL")  # fmt: skip
_SYLLABLES = ("nor", "vel", "tek", "ari", "lux", "gen", "tra", "mex", "dyn", "vo", "sol", "quin", "zen",
              "cor", "ax", "bri", "lan", "ome", "ter", "pix", "sta", "ver", "on", "ium", "ka", "ro")  # fmt: skip
_CLUB_AFTER = ("United", "City", "Rovers", "Athletic", "Wanderers", "Albion", "Rangers", "Town",
               "County", "Tigers", "Bears", "Eagles", "Hawks", "Sharks", "Lions", "Giants", "Kings",
               "Warriors", "Stars", "Red Wings", "Dynamos")  # fmt: skip
_CLUB_BEFORE = ("FC", "Real", "Sporting", "AS", "SC", "Olympique", "Dynamo", "Inter", "Atletico",
                "Racing", "AC", "SV", "VfB", "Borussia", "Union", "CSKA", "Hapoel", "Red Star")  # fmt: skip
_SAINTS = ("Mary", "Thomas", "Luke", "James", "Joseph", "Anne", "George", "Vincent", "Francis", "Jude")
_AGENCY_TOPICS = ("Transportation", "Health", "Education", "Revenue", "Labor", "Justice", "Agriculture",
                  "Environmental Protection", "Motor Vehicles", "Public Safety", "Corrections")  # fmt: skip
_ASSOC_KINDS = ("Association", "Federation", "Council", "Institute", "Union", "League", "Society",
                "Alliance", "Board", "Commission")  # fmt: skip
_ASSOC_OF = ("Steel Producers", "Independent Retailers", "Airline Pilots", "Family Physicians",
             "Software Engineers", "Dairy Farmers", "Road Hauliers", "Insurance Brokers",
             "Chartered Accountants", "Civil Engineers", "Small Businesses", "Credit Unions",
             "Independent Schools", "Public Broadcasters", "Wine Growers", "Port Operators")  # fmt: skip


def world_city(rng: random.Random, ident: Identity) -> str:
    """A real city most of the time (newswire names real places), else the identity's own city."""
    return rng.choice(WORLD_CITIES) if rng.random() < 0.7 else ident.city


def any_state(rng: random.Random) -> str:
    return rng.choice(US_STATES) if rng.random() < 0.7 else rng.choice(OTHER_STATES)


def _coined(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _place(rng: random.Random, ident: Identity) -> str:
    return world_city(rng, ident) if rng.random() < 0.8 else any_state(rng)


def company_name(rng: random.Random, ident: Identity, other: Identity) -> str:
    """A company written the ways companies appear in text: Faker's own names, surname firms,
    coined brands, acronyms, with and without a legal suffix."""
    r = rng.random()
    suffix = rng.choice(_COMPANY_SUFFIXES)
    if r < 0.25:
        return ident.company
    if r < 0.4:
        return f"{ident.last} {rng.choice(_COMPANY_WORDS)}" + (f" {suffix}" if rng.random() < 0.5 else "")
    if r < 0.52:
        joiner = rng.choice([" & ", " and "])
        return f"{ident.last}{joiner}{other.last}" + rng.choice(["", " LLP", " LLP", " & Co.", " Partners"])
    if r < 0.7:
        return f"{_coined(rng)}" + rng.choice(["", f" {rng.choice(_COMPANY_WORDS)}", f" {suffix}"])
    if r < 0.8:
        letters = "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(2, 4)))
        return f"{letters} {rng.choice(['Corp', 'Group', 'Holdings', 'Inc.', 'Industries', 'Ltd'])}"
    if r < 0.9:
        return f"{_place(rng, ident)} {rng.choice(_COMPANY_WORDS)}" + (
            f" {suffix}" if rng.random() < 0.4 else ""
        )
    return f"{ident.last} {suffix}"


# Institution names: patterns whose ``{fields}`` are drawn where they stand.
_BANK_NAMES = ("First National Bank of {state}", "{city} Savings Bank", "Bank of {nation}", "{last} Trust",
               "{last} Brothers", "{city} Credit Union", "Central Bank of {nation}", "{last} Bank",
               "{coined} Bank", "Banco {last}", "{state} Community Bank", "{last} Private Bank AG")  # fmt: skip
_UNIVERSITY_NAMES = ("University of {city}", "{city} State University", "{state} Institute of Technology",
                     "{last} College", "{state} State University", "University of {state}",
                     "Technical University of {city}", "{city} School of Economics", "{last} University",
                     "Universidad de {city}", "{city} Business School")  # fmt: skip
_HOSPITAL_NAMES = ("{city} General Hospital", "St. {saint}'s Hospital", "{last} Memorial Hospital",
                   "{city} Children's Hospital", "{city} Medical Center", "University Hospital {city}",
                   "{last} Clinic", "{state} Cancer Institute", "Royal {city} Infirmary")  # fmt: skip
_NAME_FIELDS: dict[str, Callable[[random.Random, Identity], str]] = {
    "city": world_city,
    "state": lambda rng, ident: any_state(rng),
    "nation": lambda rng, ident: rng.choice(NATIONS),
    "saint": lambda rng, ident: rng.choice(_SAINTS),
    "coined": lambda rng, ident: _coined(rng),
    "last": lambda rng, ident: ident.last,
}
_FIELD = re.compile(r"\{(\w+)\}")


def _institution(rng: random.Random, ident: Identity, patterns: tuple[str, ...]) -> str:
    """One of ``patterns`` with its fields drawn. Every pattern is filled, in order, before one
    is chosen: those are the draws the generated data was made with."""
    filled = [
        "".join(
            part if k % 2 == 0 else _NAME_FIELDS[part](rng, ident) for k, part in enumerate(_FIELD.split(p))
        )
        for p in patterns
    ]
    return rng.choice(filled)


def bank_name(rng: random.Random, ident: Identity) -> str:
    return _institution(rng, ident, _BANK_NAMES)


def university_name(rng: random.Random, ident: Identity) -> str:
    return _institution(rng, ident, _UNIVERSITY_NAMES)


def hospital_name(rng: random.Random, ident: Identity) -> str:
    return _institution(rng, ident, _HOSPITAL_NAMES)


def agency_name(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.6:
        return rng.choice(AGENCIES)
    if r < 0.8:
        return f"{any_state(rng)} Department of {rng.choice(_AGENCY_TOPICS)}"
    return f"{rng.choice(NATIONS)} {rng.choice(['Football Association', 'Olympic Committee', 'Red Cross', 'Tourist Board', 'Central Bank', 'Coast Guard'])}"


def club_name(rng: random.Random, ident: Identity) -> str:
    """A sports club; a bare city name written as a club is an organisation too."""
    city = world_city(rng, ident)
    r = rng.random()
    if r < 0.25:
        return city
    if r < 0.65:
        return f"{city} {rng.choice(_CLUB_AFTER)}"
    return f"{rng.choice(_CLUB_BEFORE)} {city}"


def team_name(rng: random.Random, ident: Identity) -> str:
    """A team in a results table or standings: most often the bare city name (Bolton, TAMPA BAY,
    Haifa), which the model tagged as a person; else a club name."""
    if rng.random() < 0.6:
        return world_city(rng, ident)
    return club_name(rng, ident)


def party_name(rng: random.Random) -> str:
    if rng.random() < 0.75:
        return rng.choice(PARTIES)
    return f"{rng.choice(NATIONS)} {rng.choice(['National Party', 'Freedom Party', 'Labour Party', 'Green Party', 'Progressive Party'])}"


def association_with_acronym(rng: random.Random) -> tuple[str, str]:
    """("International Federation of Dairy Farmers", "IFDF"): a long name and its initials."""
    lead = rng.choice(["International", "National", "European", "American", "Royal", "Federal", "World"])
    name = f"{lead} {rng.choice(_ASSOC_KINDS)} of {rng.choice(_ASSOC_OF)}"
    acronym = "".join(w[0] for w in name.split() if w[0].isupper())
    return name, acronym


def _unit(rng: random.Random) -> str:
    n = rng.randint(1, 2400)
    return rng.choice([f"Apt {n}", f"Apt. {rng.randint(1, 40)}{rng.choice('ABCDEF')}", f"Suite {n}",
                       f"Unit {rng.randint(1, 120)}", f"#{n}", f"Ste {n}", f"Floor {rng.randint(2, 40)}"])  # fmt: skip


def format_us_address(rng: random.Random, ident: Identity) -> str:
    """One-line US/CA/AU style: "123 Main St, Apt 4B, Springfield, IL 62704"; other identities get
    their own country's one-line form."""
    region = LOCALE_REGION.get(ident.locale, "US")
    street = ident.street.replace("\n", " ")
    if region not in ("US", "CA", "AU"):
        return format_address(rng, ident).replace("\n", ", ")
    has_unit = any(k in street for k in ("Apt", "Suite", "Unit", "/"))
    if not has_unit and rng.random() < 0.6:
        street = f"{street}{rng.choice([', ', ' '])}{_unit(rng)}"
    state = f" {ident.state}" if ident.state else ""
    line = f"{street}, {ident.city},{state} {ident.postcode}".replace(", ,", ",")
    return f"{line}, {ident.country}" if rng.random() < 0.15 else line


def format_po_box(rng: random.Random, ident: Identity) -> str:
    """A post-office box written the way the identity's country writes it, with its town."""
    region = LOCALE_REGION.get(ident.locale, "US")
    n = rng.randint(1, 99999)
    if region in ("US", "CA", "AU"):
        box = rng.choice([f"PO Box {n}", f"P.O. Box {n}", f"P O Box {n}", f"POB {n}"])
        return f"{box}, {ident.city}, {ident.state} {ident.postcode}".replace(",  ", ", ")
    if region in ("GB", "IN"):
        return f"{rng.choice(['PO Box', 'P.O. Box'])} {n}, {ident.city} {ident.postcode}"
    box = {
        "DE": f"Postfach {n}", "AT": f"Postfach {n}", "CH": f"Postfach {n}", "FR": f"BP {n}",
        "ES": f"Apartado de Correos {n}", "MX": f"Apartado Postal {n}", "IT": f"Casella Postale {n}",
        "NL": f"Postbus {n}", "BE": f"Postbus {n}", "BR": f"Caixa Postal {n}", "PT": f"Apartado {n}",
    }.get(region, f"PO Box {n}")  # fmt: skip
    return f"{box}, {ident.postcode} {ident.city}"


def format_address_block(rng: random.Random, ident: Identity) -> str:
    """A multi-line postal block (street, town line, sometimes the country in capitals)."""
    region = LOCALE_REGION.get(ident.locale, "US")
    if region == "JP":
        return "\n".join([f"〒{ident.postcode}", f"{ident.city}{ident.street}"])
    if region == "CN":
        return "\n".join(
            [ident.city, ident.street, ident.postcode] + (["中国"] if rng.random() < 0.3 else [])
        )
    if region == "RU":
        return "\n".join(
            [ident.street, ident.city, ident.postcode] + (["Россия"] if rng.random() < 0.4 else [])
        )
    if region in ("US", "CA", "AU"):
        lines = [ident.street, f"{ident.city}, {ident.state} {ident.postcode}".replace(",  ", ", ")]
    elif region in ("GB", "IN"):
        city = ident.city.upper() if rng.random() < 0.4 else ident.city
        lines = [ident.street, city, ident.postcode]
    else:
        lines = [ident.street, f"{ident.postcode} {ident.city}"]
    if rng.random() < 0.4:
        lines.append(ident.country.upper() if rng.random() < 0.6 else ident.country)
    return "\n".join(line.strip() for line in lines if line.strip())
