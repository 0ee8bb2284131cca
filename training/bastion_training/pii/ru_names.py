"""Russian personal names in the six cases, for generator slots ``{RU_NAME_<CASE>}`` and
``{RU_SURNAME_<CASE>}``.

Russian news names people mostly in oblique cases ("по словам Смита", "встреча с Петровой"),
and foreign surnames are declined like Russian nouns. The shipped tagger, trained on
nominative generator names, read such forms as places or missed them. Only regular patterns
are listed (no fleeting vowels, no stems in ж/ш/ч/щ/ц), so the rules below are exact.

>>> [ru_surname_form("Смит", "m", c) for c in CASES]
['Смит', 'Смита', 'Смиту', 'Смита', 'Смитом', 'Смите']
>>> [ru_surname_form("Петрова", "f", c) for c in CASES]
['Петрова', 'Петровой', 'Петровой', 'Петрову', 'Петровой', 'Петровой']
>>> ru_surname_form("Смит", "f", "ins"), ru_surname_form("Росси", "m", "gen")
('Смит', 'Росси')
>>> [ru_first_form(n, c) for n, c in (("Ольга", "gen"), ("Мария", "dat"), ("Сергей", "ins"), ("Анна", "acc"))]
['Ольги', 'Марии', 'Сергеем', 'Анну']
"""

from __future__ import annotations

import random

CASES = ("nom", "gen", "dat", "acc", "ins", "prep")

# male Russian surnames in -ов/-ев/-ин (their female form adds -а)
_RU_SURNAMES = (
    "Петров", "Соколов", "Волков", "Лебедев", "Морозов", "Новиков", "Козлов", "Павлов", "Орлов",
    "Зайцев", "Никитин", "Фомин", "Калинин", "Белов", "Медведев", "Антонов", "Тарасов", "Беляев",
    "Комаров", "Григорьев", "Ершов", "Карпов", "Абрамов", "Гусев", "Титов", "Кузьмин", "Щукин",
)  # fmt: skip
# foreign surnames ending in a consonant: declined for men, not for women
_FOREIGN_CONSONANT = (
    "Смит", "Джонсон", "Браун", "Миллер", "Уилсон", "Тейлор", "Андерсон", "Томпсон", "Харрис",
    "Кларк", "Льюис", "Робинсон", "Уокер", "Аллен", "Кинг", "Райт", "Скотт", "Бейкер", "Адамс",
    "Нельсон", "Хилл", "Кэмпбелл", "Митчелл", "Робертс", "Картер", "Филлипс", "Эванс", "Тернер",
    "Паркер", "Коллинз", "Эдвардс", "Стюарт", "Моррис", "Мюллер", "Шмидт", "Шнайдер", "Фишер",
    "Вебер", "Вагнер", "Беккер", "Лопес", "Гонсалес", "Фернандес", "Мартинес", "Новак", "Ковальчик",
)  # fmt: skip
# foreign surnames ending in a vowel other than -а/-я: never declined
_INDECLINABLE = (
    "Росси",
    "Моретти",
    "Бьянки",
    "Коломбо",
    "Эспозито",
    "Ито",
    "Сато",
    "Като",
    "Шевченко",
    "Коваленко",
)

_MALE_FIRST = (
    "Иван", "Джон", "Роберт", "Майкл", "Дэвид", "Ричард", "Томас", "Марк", "Антон", "Максим", "Денис",
    "Олег", "Борис", "Виктор", "Роман", "Артём", "Сергей", "Андрей", "Алексей", "Николай", "Матвей",
)  # fmt: skip
_FEMALE_FIRST = (
    "Анна", "Елена", "Ирина", "Марина", "Светлана", "Татьяна", "Ольга", "Джессика", "Вероника",
    "Мария", "Юлия", "Виктория", "Анастасия", "Сара", "Лаура", "Эмма", "Дарья", "Полина",
)  # fmt: skip

_HARD = {"nom": "", "gen": "а", "dat": "у", "acc": "а", "ins": "ом", "prep": "е"}
_OV = {**_HARD, "ins": "ым"}
_OVA = {"nom": "а", "gen": "ой", "dat": "ой", "acc": "у", "ins": "ой", "prep": "ой"}
_A = {"nom": "а", "gen": "ы", "dat": "е", "acc": "у", "ins": "ой", "prep": "е"}
_A_VELAR = {**_A, "gen": "и"}
_IYA = {"nom": "я", "gen": "и", "dat": "и", "acc": "ю", "ins": "ей", "prep": "и"}
_YA = {"nom": "я", "gen": "и", "dat": "е", "acc": "ю", "ins": "ей", "prep": "е"}
_Y = {"nom": "й", "gen": "я", "dat": "ю", "acc": "я", "ins": "ем", "prep": "е"}


def ru_surname_form(surname: str, gender: str, case: str) -> str:
    """``surname`` (the male form for Russian -ов/-ев/-ин names) in ``case`` for a person of
    ``gender`` ("m"/"f")."""
    if surname.endswith(("ов", "ев", "ин")):
        return surname + _OV[case] if gender == "m" else surname + _OVA[case]
    if surname.endswith(("ова", "ева", "ина")):
        return surname[:-1] + _OVA[case]
    if gender == "f" or surname[-1] in "аеёиоуыэюяй":
        return surname
    return surname + _HARD[case]


def ru_first_form(name: str, case: str) -> str:
    """A first name from the lists above in ``case``."""
    if name.endswith("ия"):
        return name[:-1] + _IYA[case]
    if name.endswith("ья"):
        return name[:-1] + _YA[case]
    if name.endswith("а"):
        table = _A_VELAR if name[-2] in "кгх" else _A
        return name[:-1] + table[case]
    if name.endswith("й"):
        return name[:-1] + _Y[case]
    return name + _HARD[case]


def ru_person(rng: random.Random, case: str, *, with_first: bool) -> str:
    """A random person's name in ``case``: "Джона Смита", "Петровой", "Анне Росси"."""
    gender = rng.choice("mf")
    pool = rng.random()
    if pool < 0.4:
        last = rng.choice(_RU_SURNAMES)
    elif pool < 0.85:
        last = rng.choice(_FOREIGN_CONSONANT)
    else:
        last = rng.choice(_INDECLINABLE)
    # a woman's Russian surname is named by its female form even when the first name is absent
    if gender == "f" and last.endswith(("ов", "ев", "ин")):
        last += "а"
    surname = ru_surname_form(last, gender, case)
    if not with_first:
        return surname
    first = rng.choice(_MALE_FIRST if gender == "m" else _FEMALE_FIRST)
    return f"{ru_first_form(first, case)} {surname}"
