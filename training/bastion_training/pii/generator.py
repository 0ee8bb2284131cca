"""Synthetic PII text generator: fills the package's templates with per-split identity pools and
records every span while writing it (never by searching the output).

Splits are disjoint twice over: by template (70/15/15 by template-id hash, stratified by format,
language and positive/negative; templates with the same or nearly the same text share a split)
and by identity (each split draws from its own pool, filtered so no name, email, username, phone,
card, IBAN, SSN, IP or street is shared).

Example:
    >>> frames = generate_splits({"n_train": 20, "n_val": 5, "n_test": 5, "pool_size": 60}, seed=1)
    >>> sorted(frames), len(frames["train"])
    (['test', 'train', 'val'], 20)
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
import string
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
from bastion.errors import ConfigError
from bastion.labels import NER_LABELS

from bastion_training.config import PIIDataParams
from bastion_training.leakage import LeakageConfig, canonical, merge_near_duplicate_groups

from .ru_names import CASES, ru_person
from .schema import assert_valid_spans, make_frame
from .slavic import CASES as SL_CASES
from .slavic import declined_person, organisation, place
from .templates import TEMPLATES, Template
from .templates_intl import CAPITALS
from .values import (
    GEO_FEATURES,
    LOCALE_REGION,
    NATIONALITIES,
    NATIONS,
    NEWS_AGENCIES,
    REGIONS,
    Identity,
    agency_name,
    any_state,
    association_with_acronym,
    bank_name,
    build_pools,
    club_name,
    company_name,
    format_address,
    format_address_block,
    format_card,
    format_date,
    format_iban,
    format_person,
    format_phone,
    format_po_box,
    format_ssn,
    format_us_address,
    hospital_name,
    party_name,
    stable_seed,
    team_name,
    university_name,
    world_city,
)

log = logging.getLogger(__name__)

SPLITS: tuple[str, ...] = ("train", "val", "test")


Segment = tuple[str, "str | None"]
_SLOT = re.compile(r"\{([A-Z][A-Z0-9_]*?)(?:_([2-9]))?\}")
# Two name parts written side by side ("{FIRST_NAME} {LAST_NAME}", "{LAST_NAME}, {FIRST_NAME}")
# are one mention of one person.
_PERSON_JOINERS = (" ", ", ")
_NAME_PART = "PERSON/part"  # internal label of first/last-name slots; written out as PERSON


@dataclass(frozen=True)
class _Ctx:
    rng: random.Random
    people: Sequence[Identity]  # index 0 = the template's first identity, 1 = "_2", ...
    lang: str
    pools: Mapping[str, Sequence[Identity]]


def _id_slot(label: str, fn: Callable[[_Ctx, Identity], str]) -> Callable[[_Ctx, int], list[Segment]]:
    return lambda ctx, i: [(fn(ctx, ctx.people[i]).strip(), label)]


def _filler(fn: Callable[[random.Random], str]) -> Callable[[_Ctx, int], list[Segment]]:
    return lambda ctx, i: [(fn(ctx.rng), None)]


def _rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _some_date(rng: random.Random) -> date:
    return date(2015, 1, 1) + timedelta(days=rng.randrange(12 * 365))


def _bad_card(rng: random.Random) -> str:
    from .values import luhn_check_digit

    body = "4" + _rand(rng, string.digits, 14)
    good = int(luhn_check_digit(body))
    return body + str((good + rng.randint(1, 9)) % 10)


def _ts(rng: random.Random) -> str:
    d = _some_date(rng)
    h, m, s = rng.randrange(24), rng.randrange(60), rng.randrange(60)
    return rng.choice(
        [
            f"{d.isoformat()}T{h:02d}:{m:02d}:{s:02d}.{rng.randrange(1000):03d}Z",
            f"{d.isoformat()} {h:02d}:{m:02d}:{s:02d},{rng.randrange(1000):03d}",
            f"{d.strftime('%b')} {d.day:2d} {h:02d}:{m:02d}:{s:02d}",
        ]
    )


_MEDS = ("Lasix", "Vancomycin", "Vanco", "Heparin", "Lopressor", "Fentanyl", "Propofol", "Insulin", "Amiodarone",
         "Captopril", "Diltiazem", "Zosyn", "Ceftriaxone", "Metoprolol", "Coumadin", "Dilaudid", "Ativan",
         "Tylenol", "Protonix", "Zofran", "Morphine", "Levophed", "Neo", "Kayexalate", "Digoxin", "Albuterol",
         "Atrovent", "Solumedrol", "Flagyl", "Cipro", "Haldol", "Lactulose", "Colace", "Senna", "KCl",
         "Mag sulfate", "Nitro", "Dopamine", "Precedex", "Versed")  # fmt: skip
_PRODUCTS = ["Nimbus", "DataGrid Pro", "SyncBox", "Acme Router X2", "PixelPad", "CloudVault", "Orion CLI",
             "TaskFlow", "Quartz Watch", "EchoBuds", "Helix SDK", "Mango Pay", "Atlas Maps", "Zephyr Fan"]  # fmt: skip
_COUNTRIES = ["Germany", "France", "Spain", "Italy", "Portugal", "Brazil", "India", "Canada", "Japan", "Kenya",
              "Mexico", "the Netherlands", "Belgium", "Austria", "Switzerland", "Ireland", "Poland", "Chile"]  # fmt: skip


_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December")  # fmt: skip
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _loc(ctx: _Ctx, i: int) -> list[Segment]:
    if ctx.rng.random() < 0.3:
        return [(ctx.rng.choice(_COUNTRIES), "LOCATION")]
    pool = ctx.pools[ctx.rng.choice(sorted(ctx.pools))]
    return [(ctx.rng.choice(pool).city.strip(), "LOCATION")]


def _ip(ctx: _Ctx, who: Identity) -> str:
    return who.ipv6 if ctx.rng.random() < 0.1 else who.ipv4


def _who(ctx: _Ctx, i: int) -> Identity:
    """Identity ``i`` of the text; a results table may name more people than a text carries, so
    later indices draw another identity from the split's own pool (disjointness is kept)."""
    if i < len(ctx.people):
        return ctx.people[i]
    pool = ctx.pools[ctx.rng.choice([k for k in sorted(ctx.pools) if ctx.pools[k]])]
    return ctx.rng.choice(pool)


def _named(
    label: str, fn: Callable[[_Ctx, Identity], str], offset: int = 0
) -> Callable[[_Ctx, int], list[Segment]]:
    return lambda ctx, i: [(fn(ctx, _who(ctx, i + offset)).strip(), label)]


# Organisations and cities built from an identity's surname or town use identities other than the
# text's people, so "{FULL_NAME} studied at {UNIVERSITY}" does not keep naming "Smith College"
# after Ann Smith.
_OTHER = 3


def _us_address(ctx: _Ctx, who: Identity) -> str:
    # en templates draw people from every locale; half of the non-US ones write a US address
    # anyway, so the one-line US form is common whatever the people mix.
    us = ctx.pools.get("en_US")
    if LOCALE_REGION.get(who.locale) not in ("US", "CA", "AU") and us and ctx.rng.random() < 0.5:
        who = ctx.rng.choice(us)
    return format_us_address(ctx.rng, who)


def _gazetteer(label: str, fn: Callable[[random.Random], str]) -> Callable[[_Ctx, int], list[Segment]]:
    return lambda ctx, i: [(fn(ctx.rng), label)]


def _geo(ctx: _Ctx, i: int) -> list[Segment]:
    article, name = ctx.rng.choice(GEO_FEATURES)
    return [(article, None), (name, "LOCATION")] if article else [(name, "LOCATION")]


def _org_acronym(ctx: _Ctx, i: int) -> list[Segment]:
    name, acronym = association_with_acronym(ctx.rng)
    return [(name, "ORGANIZATION"), (" (", None), (acronym, "ORGANIZATION"), (")", None)]


def _sets(rng: random.Random) -> str:
    def one() -> str:
        a = rng.choice([6, 6, 6, 7])
        return f"{a}-{rng.randint(0, 4) if a == 6 else rng.choice([5, 6])}"

    return " ".join(one() for _ in range(rng.choice([2, 2, 3])))


def _race_time(rng: random.Random) -> str:
    return rng.choice([f"{rng.randint(9, 11)}.{rng.randint(0, 99):02d}",
                       f"{rng.randint(1, 4)}:{rng.randint(0, 59):02d}.{rng.randint(0, 99):02d}",
                       f"{rng.randint(2, 5)} hours {rng.randint(0, 59)} minutes {rng.randint(0, 59)} seconds"])  # fmt: skip


# Identifier kinds that get a label only when bastion.labels.NER_LABELS has one (another change
# may add identifier labels); the first candidate present wins, otherwise the value stays O.
CONDITIONAL_LABELS: dict[str, tuple[str, ...]] = {
    "PASSWORD_P": ("PASSWORD",),
    "PASSPORT": ("PASSPORT", "PASSPORT_NUMBER"),
    "DRIVER_LICENSE": ("DRIVER_LICENSE", "DRIVERS_LICENSE", "DRIVER_LICENSE_NUMBER"),
    "NATIONAL_ID": ("NATIONAL_ID", "NATIONAL_ID_NUMBER"),
    "MRN": ("MEDICAL_RECORD_NUMBER", "MRN", "MEDICAL_RECORD"),
    "BANK_ACCOUNT": ("BANK_ACCOUNT", "BANK_ACCOUNT_NUMBER"),
}


def conditional_label(slot: str, labels: Sequence[str] = NER_LABELS) -> str | None:
    """The NER label a conditional identifier slot is written with, or None (left O)."""
    return next((lab for lab in CONDITIONAL_LABELS[slot] if lab in labels), None)


def _cond(slot: str, fn: Callable[[random.Random, str], str]) -> Callable[[_Ctx, int], list[Segment]]:
    return lambda ctx, i: [(fn(ctx.rng, ctx.lang), conditional_label(slot))]


def _password(rng: random.Random, lang: str) -> str:
    # Prose passwords are memorable words more often than random strings.
    words = ["hunter2", "sommer2024", "Passw0rd!", "letmein", "qwerty123", "Fluffy#7", "ilovecats", "Bonjour123",
             "contraseña1", "Kotek2020", "tr0ub4dor&3", "Admin@123", "welkom01", "Rosa1987"]  # fmt: skip
    if rng.random() < 0.5:
        return rng.choice(words)
    return _rand(rng, string.ascii_letters + string.digits + "!#%&*", rng.randint(8, 14))


def _passport(rng: random.Random, lang: str) -> str:
    if lang == "ru":
        return f"{rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(100000, 999999)}"
    if lang == "de":
        return "C" + _rand(rng, "CFGHJKLMNPRTVWXYZ0123456789", 8)
    return _rand(rng, string.ascii_uppercase, rng.choice([1, 2])) + _rand(rng, string.digits, 7)


def _national_id(rng: random.Random, lang: str) -> str:
    if lang == "es":  # DNI: 8 digits + check letter
        n = rng.randint(10**7, 10**8 - 1)
        return f"{n}{'TRWAGMYFPDXBNJZSQVHLCKE'[n % 23]}"
    if lang == "pl":  # PESEL with its weighted check digit
        body = [rng.randint(0, 9) for _ in range(10)]
        check = (10 - sum(d * w for d, w in zip(body, (1, 3, 7, 9, 1, 3, 7, 9, 1, 3), strict=True)) % 10) % 10
        return "".join(map(str, body)) + str(check)
    if lang == "nl":  # BSN: 11-proof
        while True:
            d = [rng.randint(0, 9) for _ in range(9)]
            if d[0] and (sum(x * w for x, w in zip(d, (9, 8, 7, 6, 5, 4, 3, 2, -1), strict=True)) % 11 == 0):
                return "".join(map(str, d))
    if lang == "pt":  # CPF with both check digits
        d = [rng.randint(0, 9) for _ in range(9)]
        for n in (10, 11):
            r = sum(x * w for x, w in zip(d, range(n, 1, -1), strict=False)) * 10 % 11
            d.append(0 if r == 10 else r)
        s = "".join(map(str, d))
        return f"{s[:3]}.{s[3:6]}.{s[6:9]}-{s[9:]}"
    if lang == "fr":  # NIR: sex, year, month, department, commune, order, key
        body = f"{rng.choice('12')}{rng.randint(50, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 95):02d}{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
        return f"{body} {97 - int(body) % 97:02d}"
    return _rand(rng, string.digits, 9)


def _mrn(rng: random.Random, lang: str) -> str:
    return rng.choice(
        [
            f"{rng.randint(10**6, 10**8)}",
            f"MRN-{rng.randint(10**5, 10**7)}",
            f"{rng.randint(100, 999)}-{rng.randint(10**4, 10**5 - 1)}",
        ]
    )


def _bank_account(rng: random.Random, lang: str) -> str:
    return rng.choice([f"{rng.randint(10**7, 10**8 - 1)}, sort code {rng.randint(10, 99)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}",
                       f"{rng.randint(10**8, 10**10)}", f"{rng.randint(100, 999)}-{rng.randint(10**6, 10**7 - 1)}-{rng.randint(10, 99)}"])  # fmt: skip


def _driver_license(rng: random.Random, lang: str) -> str:
    return rng.choice([f"{rng.choice(string.ascii_uppercase)}{rng.randint(10**6, 10**7 - 1)}",
                       f"{rng.choice(string.ascii_uppercase)}{rng.randint(100, 999)}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"])  # fmt: skip


def _user_agent(rng: random.Random) -> str:
    major = rng.randint(90, 131)
    return rng.choice([
        f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{major}.0.{rng.randint(1000, 6999)}.{rng.randint(10, 200)} Safari/537.36",
        f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{rng.randint(14, 18)}.{rng.randint(0, 6)} Safari/605.1.15",
        f"Mozilla/5.0 (X11; Linux x86_64; rv:{major}.0) Gecko/20100101 Firefox/{major}.0",
        f"Mozilla/5.0 (iPhone; CPU iPhone OS 17_{rng.randint(0, 6)} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
        f"curl/8.{rng.randint(0, 11)}.{rng.randint(0, 3)}", f"python-requests/2.{rng.randint(20, 32)}.{rng.randint(0, 3)}",
    ])  # fmt: skip


def _gender(ident: Identity) -> str:
    if ident.gender:
        return ident.gender
    return "f" if ident.first.endswith("a") else "m"


def _capital(ctx: _Ctx, i: int, which: int) -> list[Segment]:
    """One true (capital, country) pair per text, chosen from the first identity so that
    ``{CAPITAL}`` and ``{CAPITAL_COUNTRY}`` agree without shared state."""
    pairs = CAPITALS.get(ctx.lang, CAPITALS["en"])
    seed = stable_seed(ctx.people[0].full if ctx.people else "", ctx.lang)
    value = pairs[seed % len(pairs)][which]
    # "la France" / "der Schweiz": the article stays outside the span
    for article in ("la ", "le ", "l'", "der "):
        if value.startswith(article):
            return [(article, None), (value[len(article) :], "LOCATION")]
    return [(value, "LOCATION")]


# Slot name -> filler(ctx, identity index) -> segments. Labelled slots read the identity so one
# text stays consistent (the signature's name matches the email address).
_BASE_SLOTS: dict[str, Callable[[_Ctx, int], list[Segment]]] = {
    "PERSON": lambda ctx, i: format_person(ctx.rng, ctx.people[i], ctx.lang),
    "FULL_NAME": _id_slot("PERSON", lambda c, p: p.full),
    "FIRST_NAME": _id_slot(_NAME_PART, lambda c, p: p.first),
    "LAST_NAME": _id_slot(_NAME_PART, lambda c, p: p.last),
    "EMAIL_ADDRESS": _id_slot("EMAIL_ADDRESS", lambda c, p: p.email),
    "USERNAME": _id_slot("USERNAME", lambda c, p: p.username),
    "PHONE_NUMBER": _id_slot("PHONE_NUMBER", lambda c, p: format_phone(c.rng, p)),
    "DATE_OF_BIRTH": _id_slot(
        "DATE_OF_BIRTH", lambda c, p: format_date(c.rng, p.dob, c.lang, LOCALE_REGION.get(p.locale) == "US")
    ),
    "ADDRESS": _id_slot("ADDRESS", lambda c, p: format_address(c.rng, p)),
    "STREET": _id_slot("ADDRESS", lambda c, p: p.street),
    "CITY": _id_slot("LOCATION", lambda c, p: p.city),
    "COUNTRY": _id_slot("LOCATION", lambda c, p: p.country),
    "CREDIT_CARD": _id_slot("CREDIT_CARD", lambda c, p: format_card(c.rng, p.card)),
    "IBAN_CODE": _id_slot("IBAN_CODE", lambda c, p: format_iban(c.rng, p.iban)),
    "US_SSN": _id_slot("US_SSN", lambda c, p: format_ssn(c.rng, p.ssn)),
    "IP_ADDRESS": _id_slot("IP_ADDRESS", _ip),
    "ORGANIZATION": _id_slot("ORGANIZATION", lambda c, p: p.company),
    "LAND": _id_slot("LOCATION", lambda c, p: p.country_native),
    "CAPITAL": lambda ctx, i: _capital(ctx, i, 0),
    "CAPITAL_COUNTRY": lambda ctx, i: _capital(ctx, i, 1),
    "PASSWORD_P": _cond("PASSWORD_P", _password),
    "PASSPORT": _cond("PASSPORT", _passport),
    "DRIVER_LICENSE": _cond("DRIVER_LICENSE", _driver_license),
    "NATIONAL_ID": _cond("NATIONAL_ID", _national_id),
    "MRN": _cond("MRN", _mrn),
    "BANK_ACCOUNT": _cond("BANK_ACCOUNT", _bank_account),
    "USER_AGENT": _filler(_user_agent),
    "USER_AGENT_UPPER": _filler(lambda r: _user_agent(r).upper()),  # "(KHTML, LIKE GECKO)" in capitals
    "LOC": _loc,
    # Newswire and prose: surnames alone, real places, organisations built from parts.
    "SURNAME": _named("PERSON", lambda c, p: p.last),  # never joined with a neighbouring name
    "WORLD_CITY": _named("LOCATION", lambda c, p: world_city(c.rng, p), _OTHER),
    "NATION": _gazetteer("LOCATION", lambda r: r.choice(NATIONS)),
    "STATE": _gazetteer("LOCATION", any_state),
    "REGION": _gazetteer("LOCATION", lambda r: r.choice(REGIONS)),
    "GEO": _geo,  # rivers, ranges, seas; "the " stays outside the span
    "COMPANY": _named("ORGANIZATION", lambda c, p: company_name(c.rng, p, _who(c, len(c.people))), _OTHER),
    "BANK": _named("ORGANIZATION", lambda c, p: bank_name(c.rng, p), _OTHER),
    "UNIVERSITY": _named("ORGANIZATION", lambda c, p: university_name(c.rng, p), _OTHER),
    "HOSPITAL": _named("ORGANIZATION", lambda c, p: hospital_name(c.rng, p), _OTHER),
    "AGENCY": _gazetteer("ORGANIZATION", agency_name),
    "CLUB": _named("ORGANIZATION", lambda c, p: club_name(c.rng, p), _OTHER),
    "TEAM": _named("ORGANIZATION", lambda c, p: team_name(c.rng, p), _OTHER),
    "PARTY": _gazetteer("ORGANIZATION", party_name),
    "WIRE": _gazetteer("ORGANIZATION", lambda r: r.choice(NEWS_AGENCIES)),
    "ORG_ACRONYM": _org_acronym,  # "National Council of Wine Growers (NCWG)": two spans
    "ADDRESS_US": _named("ADDRESS", _us_address),
    "PO_BOX": _named("ADDRESS", lambda c, p: format_po_box(c.rng, p)),
    "ADDRESS_BLOCK": _named("ADDRESS", lambda c, p: format_address_block(c.rng, p)),
    # Unlabelled filler: look like identifiers, are not PII.
    "ORDER_ID": _filler(lambda r: r.choice([f"ORD-{r.randint(2019, 2026)}-{r.randint(10**5, 10**6 - 1)}",
                                            f"#{_rand(r, string.ascii_uppercase + string.digits, 8)}",
                                            f"{r.randint(10**7, 10**9)}"])),  # fmt: skip
    "UUID": _filler(lambda r: "-".join(_rand(r, "0123456789abcdef", n) for n in (8, 4, 4, 4, 12))),
    "VERSION": _filler(lambda r: r.choice([f"v{r.randint(0, 9)}.{r.randint(0, 30)}.{r.randint(0, 99)}",
                                           f"{r.randint(1, 4)}.{r.randint(0, 20)}.{r.randint(0, 9)}.{r.randint(100, 9999)}",
                                           f"{r.randint(1, 3)}.0.0-rc.{r.randint(1, 5)}"])),  # fmt: skip
    "HASH": _filler(lambda r: _rand(r, "0123456789abcdef", r.choice([7, 12, 40, 64]))),
    "EPOCH": _filler(lambda r: str(r.randint(1_400_000_000, 1_800_000_000) * (1000 if r.random() < 0.4 else 1))),
    "BAD_CARD": _filler(_bad_card),
    "DATE": _filler(lambda r: format_date(r, _some_date(r), "en", r.random() < 0.5)),
    "TIME": _filler(lambda r: f"{r.randrange(24):02d}:{r.randrange(60):02d}"),
    "TS": _filler(_ts),
    "REQ_ID": _filler(lambda r: f"req_{_rand(r, string.ascii_lowercase + string.digits, 16)}"),
    "AMOUNT": _filler(lambda r: r.choice([f"${r.randint(1, 5000)}.{r.randint(0, 99):02d}",
                                          f"€{r.randint(1, 900)},{r.randint(0, 99):02d}",
                                          f"{r.randint(5, 999)} EUR"])),  # fmt: skip
    "INT": _filler(lambda r: str(r.randint(1, 99999))),
    "MS": _filler(lambda r: str(r.randint(1, 30000))),
    "PORT": _filler(lambda r: str(r.choice([22, 443, 5432, 3306, 8080, r.randint(1024, 65535)]))),
    "STATUS": _filler(lambda r: str(r.choice([400, 401, 403, 404, 409, 429, 500, 502, 503]))),
    "PRODUCT": _filler(lambda r: r.choice(_PRODUCTS)),
    "SKU": _filler(lambda r: f"SKU-{_rand(r, string.ascii_uppercase, 3)}-{r.randint(100, 99999)}"),
    "TRACKING": _filler(lambda r: f"1Z{_rand(r, string.ascii_uppercase + string.digits, 16)}"),
    "HOST": _filler(lambda r: f"{r.choice(['api', 'db', 'web', 'auth', 'cache'])}-{r.randint(1, 40)}.{r.choice(['internal', 'prod.local', 'eu-west-1.example.net'])}"),
    "TICKET": _filler(lambda r: r.choice([f"INC{r.randint(10**6, 10**7)}", f"SUP-{r.randint(100, 99999)}", f"#{r.randint(1000, 999999)}"])),
    "SECRET": _filler(lambda r: r.choice(["sk_live_", "ghp_", "AKIA", "xoxb-"]) + _rand(r, string.ascii_letters + string.digits, 24)),
    "PASSWORD": _filler(lambda r: _rand(r, string.ascii_letters + string.digits + "!#%&*", r.randint(8, 16))),
    "LAST4": _filler(lambda r: f"{r.randint(0, 9999):04d}"),
    "NEWS_DATE": _filler(lambda r: (date(1990, 1, 1) + timedelta(days=r.randrange(35 * 365))).isoformat()),
    "YEAR": _filler(lambda r: str(r.randint(1950, 2025))),
    "DAY": _filler(lambda r: str(r.randint(1, 28))),
    "MONTH": _filler(lambda r: r.choice(_MONTH_NAMES)),
    "WEEKDAY": _filler(lambda r: r.choice(_WEEKDAYS)),
    "SCORE": _filler(lambda r: f"{r.choice([0, 0, 1, 1, 1, 2, 2, 3, 4])}-{r.choice([0, 0, 1, 1, 2, 2, 3])}"),
    "SETS": _filler(_sets),
    "RACE_TIME": _filler(_race_time),
    "PCT": _filler(lambda r: r.choice([f"{r.randint(0, 15)}.{r.randint(0, 9)} percent", f"{r.randint(1, 60)}%",
                                       f"{r.randint(0, 9)}.{r.randint(0, 99):02d} pct"])),
    "FIGURE": _filler(lambda r: r.choice([f"{r.randint(1, 999)} million", f"${r.randint(1, 90)}.{r.randint(1, 9)} billion",
                                          f"{r.randint(2, 900)},{r.randint(0, 999):03d}", f"{r.randint(1, 40)} billion euros"])),
    "NATIONALITY": _filler(lambda r: r.choice(NATIONALITIES)),
    "NUM": _filler(lambda r: str(r.randint(1, 40))),
    "PTS": _filler(lambda r: str(r.randint(60, 130))),
    # clinical notes: drugs and ward/test abbreviations are not PII, in capitals or not
    "MED": _filler(lambda r: r.choice(_MEDS)),
    "MED_UPPER": _filler(lambda r: r.choice(_MEDS).upper()),
    "DOSE": _filler(lambda r: r.choice([f"{r.choice([0.5, 1, 2, 5, 10, 20, 40, 80])} MG", f"{r.randint(1, 20)} UNITS",
                                        f"{r.choice([250, 500, 1000])} ML", f"{r.randint(1, 10)} MCG/KG/MIN"])),
    "VITALS": _filler(lambda r: f"HR {r.randint(55, 120)} BP {r.randint(90, 170)}/{r.randint(45, 95)} "
                                f"RR {r.randint(12, 28)} SAT {r.randint(88, 100)}%"),
    **{f"RU_NAME_{c.upper()}": _gazetteer("PERSON", lambda r, c=c: ru_person(r, c, with_first=True)) for c in CASES},
    # hr/sr/sk/cs: the identity's own name declined in the template's language
    **{f"SL_NAME_{c.upper()}": _id_slot("PERSON", lambda ctx, p, c=c: declined_person(
        p.first, p.last, _gender(p), ctx.lang, c, with_first=True)) for c in SL_CASES},
    **{f"SL_SURNAME_{c.upper()}": _id_slot("PERSON", lambda ctx, p, c=c: declined_person(
        p.first, p.last, _gender(p), ctx.lang, c, with_first=False)) for c in SL_CASES},
    "PLACE": lambda ctx, i: place(ctx.rng, ctx.lang, 0),
    "IN_PLACE": lambda ctx, i: place(ctx.rng, ctx.lang, 1),  # "u Zagrebu": the preposition is O
    "FROM_PLACE": lambda ctx, i: place(ctx.rng, ctx.lang, 2),
    "SL_ORG": lambda ctx, i: [(organisation(ctx.rng, ctx.lang), "ORGANIZATION")],
    **{f"RU_SURNAME_{c.upper()}": _gazetteer("PERSON", lambda r, c=c: ru_person(r, c, with_first=False))
       for c in CASES},
}  # fmt: skip

# "{X_UPPER}" writes slot X in capitals (datelines, headlines) and shares X's value within a text.
_UPPER_OF: dict[str, str] = {
    f"{name}_UPPER": name
    for name in ("CITY", "COUNTRY", "WORLD_CITY", "NATION", "STATE", "REGION", "SURNAME", "LAST_NAME",
                 "COMPANY", "CLUB", "TEAM", "PARTY", "AGENCY", "BANK", "ORGANIZATION", "FULL_NAME",
                 "FIRST_NAME", "HOSPITAL")
}  # fmt: skip


def _upper(fill: Callable[[_Ctx, int], list[Segment]]) -> Callable[[_Ctx, int], list[Segment]]:
    return lambda ctx, i: [(value.upper(), label) for value, label in fill(ctx, i)]


SLOTS: dict[str, Callable[[_Ctx, int], list[Segment]]] = {
    **_BASE_SLOTS,
    **{upper: _upper(_BASE_SLOTS[base]) for upper, base in _UPPER_OF.items()},
}


def template_slots(template: Template) -> list[tuple[str, int]]:
    """(slot name, identity index) for every slot in a template."""
    return [(m.group(1), int(m.group(2) or 1) - 1) for m in _SLOT.finditer(template.text)]


_FILLER_SLOTS = frozenset(
    {"ORDER_ID", "UUID", "VERSION", "HASH", "EPOCH", "BAD_CARD", "DATE", "TIME", "TS", "REQ_ID", "AMOUNT", "INT",
     "MS", "PORT", "STATUS", "PRODUCT", "SKU", "TRACKING", "HOST", "TICKET", "SECRET", "PASSWORD", "LAST4",
     "NEWS_DATE", "YEAR", "DAY", "MONTH", "WEEKDAY", "SCORE", "SETS", "RACE_TIME", "PCT", "FIGURE", "NATIONALITY",
     "NUM", "PTS", "USER_AGENT", "USER_AGENT_UPPER", "MED", "MED_UPPER", "DOSE", "VITALS"}
)  # fmt: skip


def is_negative(template: Template) -> bool:
    """A template without labelled slots: every text made from it is a hard negative."""
    return all(name in _FILLER_SLOTS for name, _ in template_slots(template))


def check_templates(templates: Sequence[Template] = TEMPLATES) -> None:
    """Raise ConfigError on unknown slots or duplicate ids (a typo would silently emit ``{NAEM}``)."""
    seen: set[str] = set()
    for t in templates:
        if t.template_id in seen:
            raise ConfigError(f"duplicate template id {t.template_id}")
        seen.add(t.template_id)
        for name, _ in template_slots(t):
            if name not in SLOTS:
                raise ConfigError(f"template {t.template_id}: unknown slot {{{name}}}")


# Formats added after the first trained model. Their non-English lines form their own strata so
# that adding them moved no existing template to another split (comparable test sets over time).
_LATER_FORMATS = frozenset({"news", "prose", "postal"})


# A template whose text without slots is shorter than this is mostly slots: its bare text
# ("{PERSON}, {CITY}." -> ", .") says nothing about which other template it resembles.
_TWIN_MIN_CHARS = 8


def template_twins(templates: Sequence[Template]) -> dict[str, str]:
    """Template id -> id of its twin group: templates whose text without slots is the same or
    nearly the same (case and whitespace folded; the injection build's MinHash near-duplicate
    groups) share the group of their smallest id. Croatian/Serbian lines written under different
    ids render into near-identical rows. Slot names are left out: in a short template they
    would make "{CAPITAL} é a capital de {CAPITAL_COUNTRY}." a twin of its rewordings."""
    texts, ids = [], []
    for t in templates:
        bare = _SLOT.sub(" ", t.text)
        if len(canonical(bare)) >= _TWIN_MIN_CHARS:
            texts.append(bare)
            ids.append(t.template_id)
    roots = merge_near_duplicate_groups(pd.DataFrame({"text": texts, "group": ids}), LeakageConfig())
    twins = {t.template_id: t.template_id for t in templates}
    twins.update(zip(ids, roots, strict=True))
    return twins


def split_templates(
    templates: Sequence[Template] = TEMPLATES, fractions: Sequence[float] = (0.7, 0.15, 0.15)
) -> dict[str, list[Template]]:
    """Assign every template to one split by the hash of its id, stratified by
    (format for English | language otherwise, negative or not). Independent of the seed, so the
    same template never moves between splits from one run to the next. Twins
    (:func:`template_twins`) then join the split of the group's first template in ``templates``
    (the oldest: batches are appended), so a later batch never moves an earlier template; a
    template without a twin keeps its hashed split."""
    by_hash = _split_by_id(templates, fractions)
    where = {t.template_id: split for split, ts in by_hash.items() for t in ts}
    position = {t.template_id: i for i, t in enumerate(templates)}
    members: dict[str, list[str]] = {}
    for tid, root in template_twins(templates).items():
        members.setdefault(root, []).append(tid)
    final = dict(where)
    for tids in members.values():
        final.update(dict.fromkeys(tids, where[min(tids, key=position.__getitem__)]))
    # a split keeps its hashed order (the generator draws by position); templates joining a twin
    # come after it
    return {
        split: [t for other in (split, *(s for s in SPLITS if s != split)) for t in by_hash[other]
                if final[t.template_id] == split]
        for split in SPLITS
    }  # fmt: skip


def _split_by_id(templates: Sequence[Template], fractions: Sequence[float]) -> dict[str, list[Template]]:
    """The split each template's id hashes to, within its stratum."""
    groups: dict[tuple[str, bool], list[Template]] = {}
    for t in templates:
        if t.stratum:
            stratum = t.stratum
        elif t.lang == "en":
            stratum = t.format
        elif t.format in _LATER_FORMATS:  # few lines per language: pooled across languages
            stratum = f"intl-{t.format}"
        else:
            stratum = f"intl-{t.lang}"
        key = (stratum, is_negative(t))
        groups.setdefault(key, []).append(t)
    out: dict[str, list[Template]] = {s: [] for s in SPLITS}
    total = sum(fractions)
    for key in sorted(groups):
        members = sorted(groups[key], key=lambda t: hashlib.sha1(t.template_id.encode()).hexdigest())
        n = len(members)
        n_val = round(n * fractions[1] / total)
        n_test = round(n * fractions[2] / total)
        if n >= 3:  # every stratum is represented in every split it can be
            n_val, n_test = max(1, n_val), max(1, n_test)
        n_train = n - n_val - n_test
        out["train"] += members[:n_train]
        out["val"] += members[n_train : n_train + n_val]
        out["test"] += members[n_train + n_val :]
    return out


def _apply_case(text: str, mode: str) -> str:
    if mode == "lower":
        return text.lower()
    if mode == "upper":
        return text.upper()
    return text


def render(
    template: Template,
    people: Sequence[Identity],
    rng: random.Random,
    pools: Mapping[str, Sequence[Identity]],
    case: str = "none",
) -> tuple[str, list[dict[str, Any]]]:
    """Fill one template. Case is applied per segment before offsets are computed, so a value whose
    length changes with case (``ß`` -> ``SS``) still gets exact offsets."""
    ctx = _Ctx(rng, people, template.lang, pools)
    segments: list[Segment] = []
    cache: dict[tuple[str, int], list[Segment]] = {}  # "{CITY}" and "{CITY_UPPER}" share one entry
    pos = 0
    for m in _SLOT.finditer(template.text):
        segments.append((template.text[pos : m.start()], None))
        name, index = m.group(1), int(m.group(2) or 1) - 1
        if name in _FILLER_SLOTS:
            segments += SLOTS[name](ctx, index)
        else:
            base = _UPPER_OF.get(name, name)
            key = (base, index)
            if key not in cache:  # the same PII slot twice is the same value twice
                cache[key] = SLOTS[base](ctx, index)
            segments += [(v.upper(), lab) for v, lab in cache[key]] if base != name else cache[key]
        pos = m.end()
    segments.append((template.text[pos:], None))

    parts: list[str] = []
    spans: list[dict[str, Any]] = []
    prev_part_end = -1  # end offset of the last first/last-name span, for joining name parts
    offset = 0
    for value, label in segments:
        value = _apply_case(value, case)
        end = offset + len(value)
        if label == _NAME_PART and prev_part_end >= 0 and "".join(parts)[prev_part_end:] in _PERSON_JOINERS:
            spans[-1] = {**spans[-1], "end": end}
        elif label is not None:
            spans.append({"start": offset, "end": end, "label": "PERSON" if label == _NAME_PART else label})
        if label is not None:
            prev_part_end = end if label == _NAME_PART else -1
        parts.append(value)
        offset = end
    text = "".join(parts)
    assert_valid_spans(text, spans)
    return text, spans


def _locales_for(
    lang: str, pools: Mapping[str, Sequence[Identity]], weights: Mapping[str, float]
) -> tuple[list[str], list[float]]:
    names = [loc for loc in pools if pools[loc] and (lang == "en" or loc.startswith(lang + "_"))]
    if not names:  # a language without a configured locale still renders, with any identity
        names = [loc for loc in pools if pools[loc]]
    return names, [weights.get(loc, 0.01) or 0.01 for loc in names]


def generate_split(
    split: str,
    n: int,
    templates: Sequence[Template],
    pools: Mapping[str, Sequence[Identity]],
    cfg: Mapping[str, Any],
    seed: int,
) -> pd.DataFrame:
    """``n`` texts for one split from its own templates and identity pool."""
    rng = random.Random(stable_seed(seed, split, "texts"))
    negatives = [t for t in templates if is_negative(t)]
    positives = [t for t in templates if not is_negative(t)]
    if not positives:
        raise ConfigError(f"split {split!r} has no templates with PII slots")
    by_batch = dict(cfg.get("negative_batch_weights") or {})
    neg_weights = [float(by_batch.get(t.stratum.split("-")[0], 1.0)) if t.stratum else 1.0 for t in negatives]
    rows = []
    for _ in range(n):
        pick_neg = negatives and rng.random() < cfg["negative_frac"]
        if pick_neg and by_batch:
            template = rng.choices(negatives, neg_weights)[0]
        else:
            template = rng.choice(negatives if pick_neg else positives)
        names, weights = _locales_for(template.lang, pools, cfg["locales"])
        people: list[Identity] = []
        while len(people) < 3:
            pool = pools[rng.choices(names, weights)[0]]
            who = pool[rng.randrange(len(pool))]
            if all(who is not p for p in people) or sum(len(pools[x]) for x in names) < 3:
                people.append(who)
        r = rng.random()
        case = (
            "lower"
            if r < cfg["lower_frac"]
            else "upper"
            if r < cfg["lower_frac"] + cfg["upper_frac"]
            else "none"
        )
        text, spans = render(template, people, rng, pools, case)
        rows.append(
            {
                "text": text,
                "spans": spans,
                "source": "synthetic",
                "template_id": template.template_id,
                "format": template.format,
                "split": split,
                "lang": template.lang,
            }
        )
    return make_frame(rows)


def config(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The generator's settings from the ``pii:`` params section
    (:class:`bastion_training.config.PIIDataParams`: unknown keys and bad values are a
    ``ConfigError``), with the locales checked against the ones it can draw."""
    p = PIIDataParams.from_mapping(params)
    cfg = {k: v for k, v in p.to_dict().items() if k in PIIDataParams.GENERATOR_KEYS}
    unknown = set(cfg["locales"]) - set(LOCALE_REGION)
    if unknown or not cfg["locales"]:
        raise ConfigError(
            f"pii.locales: unsupported or empty ({sorted(unknown)}); known: {sorted(LOCALE_REGION)}"
        )
    return cfg


def generate_splits(
    params: Mapping[str, Any] | None, seed: int, gazetteers: Any | None = None
) -> dict[str, pd.DataFrame]:
    """Synthetic ``train``/``val``/``test`` frames. Deterministic given ``params``, ``seed`` and
    ``gazetteers`` (``corpora.Gazetteers``: German values mixed into de identities)."""
    cfg = config(params)
    check_templates()
    started = time.monotonic()
    by_split = split_templates(TEMPLATES, cfg["split_fractions"])
    exclude: set[tuple[str, str]] = set()
    frames = {}
    for split in SPLITS:
        size = cfg["pool_size"] if split == "train" else max(1, cfg["pool_size"] // 4)
        pools = build_pools(
            cfg["locales"], size, seed, split, exclude, min_per_locale=min(40, size), gazetteers=gazetteers
        )
        frames[split] = generate_split(split, cfg[f"n_{split}"], by_split[split], pools, cfg, seed)
        log.info(
            "synthetic %s: %d texts from %d templates, %d identities",
            split,
            len(frames[split]),
            len(by_split[split]),
            sum(len(p) for p in pools.values()),
        )
    log.info("synthetic generation took %.1fs", time.monotonic() - started)
    return frames
