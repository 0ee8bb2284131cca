"""US social security numbers and dates of birth.

Spaced, dotted or bare nine digits and every date of birth need a context word to be
reported at all: on their own they are as likely an order number or any date.

>>> [f.label for f in DATE_OF_BIRTH.scan("born 3 March 1985")], DATE_OF_BIRTH.scan("on 3 March 1985")
(['DATE_OF_BIRTH'], [])
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from types import MappingProxyType

from bastion.detectors.recognizers import CONTEXT_BOOST, Recognizer, Span
from bastion.detectors.validators import date_ok, ssn_ok
from bastion.types import Finding

# letters and digits of the scripts that put spaces between words (Latin, Greek, Cyrillic)
_WORD = "A-Za-z0-9_\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
_CTX_SSN = ("ssn", "ssns", "social security", "social sec", "ss#", "ss #", "ssid", "ss number")


def _ssn(name: str, pattern: str, score: float, **kw: bool) -> Recognizer:
    # not glued to a word, a longer number, a date or a version on either side; a word of
    # a script written without spaces (Chinese, Japanese, Thai, Arabic run-ons) may touch
    # it: "社会保障番号536-22-1847です" is how the number is written there. A dot before it
    # is a decimal's or a version's after a digit, a space or the start, an abbreviation's
    # after a letter ("Social security no.219-09-9998")
    regex = re.compile(rf"(?<![{_WORD}\-])(?<![0-9\s]\.)(?<!^\.)" + pattern + rf"(?![{_WORD}\-]|\.[0-9])")
    return Recognizer(
        name, "US_SSN", regex, score, _CTX_SSN, ssn_ok, "ssn", shields_phones=True, needs_digit=True, **kw
    )


US_SSN: tuple[Recognizer, ...] = (
    _ssn("us_ssn", r"[0-9]{3}-[0-9]{2}-[0-9]{4}", 0.85, validated=True),
    # One consistent space or dot (the back-reference), or nine bare digits: SSNs only
    # next to a context word.
    _ssn("us_ssn_spaced", r"[0-9]{3}([ .])[0-9]{2}\1[0-9]{4}", 0.5 + CONTEXT_BOOST, context_required=True),
    _ssn("us_ssn_bare", r"[0-9]{9}", 0.6, context_required=True),
)

_MONTHS: MappingProxyType[str, int] = MappingProxyType(
    {
        **dict.fromkeys(["january", "jan", "januar", "janvier", "enero", "gennaio", "januari", "jänner"], 1),
        **dict.fromkeys(["february", "feb", "februar", "février", "fevrier", "fév", "fev", "febrero", "febbraio", "februari"], 2),
        **dict.fromkeys(["march", "mar", "märz", "marz", "mars", "marzo", "maart", "mär"], 3),
        **dict.fromkeys(["april", "apr", "avril", "avr", "abril", "aprile"], 4),
        **dict.fromkeys(["may", "mai", "mayo", "maggio", "mei"], 5),
        **dict.fromkeys(["june", "jun", "juni", "juin", "junio", "giugno"], 6),
        **dict.fromkeys(["july", "jul", "juli", "juillet", "juil", "julio", "luglio"], 7),
        **dict.fromkeys(["august", "aug", "août", "aout", "agosto", "augustus"], 8),
        **dict.fromkeys(["september", "sep", "sept", "septembre", "septiembre", "setiembre", "settembre"], 9),
        **dict.fromkeys(["october", "oct", "oktober", "okt", "octobre", "octubre", "ottobre"], 10),
        **dict.fromkeys(["november", "nov", "novembre", "noviembre"], 11),
        **dict.fromkeys(["december", "dec", "dezember", "dez", "décembre", "decembre", "déc", "diciembre", "dicembre"], 12),
        # Portuguese, and Polish and Russian in the genitive a date takes ("12 marca 1985")
        **dict.fromkeys(["janeiro", "stycznia", "января"], 1),
        **dict.fromkeys(["fevereiro", "lutego", "февраля"], 2),
        **dict.fromkeys(["março", "marco", "marca", "марта"], 3),
        **dict.fromkeys(["kwietnia", "апреля"], 4),
        **dict.fromkeys(["maio", "maja", "мая"], 5),
        **dict.fromkeys(["junho", "czerwca", "июня"], 6),
        **dict.fromkeys(["julho", "lipca", "июля"], 7),
        **dict.fromkeys(["sierpnia", "августа"], 8),
        **dict.fromkeys(["setembro", "września", "wrzesnia", "сентября"], 9),
        **dict.fromkeys(["outubro", "października", "pazdziernika", "октября"], 10),
        **dict.fromkeys(["novembro", "listopada", "ноября"], 11),
        **dict.fromkeys(["dezembro", "grudnia", "декабря"], 12),
    }
)  # fmt: skip
_MONTH_ALT = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_MONTH_INITIALS = "".join(sorted({m[0] for m in _MONTHS} | {m[0].upper() for m in _MONTHS}))
# Calendar dates as people write them, in scan order: numeric with the day or the month
# first (a, b), ISO, with the month's name (mon) in nine languages, and the CJK form.
_DATE_FORMATS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"(?<![0-9.\-/])(?P<a>[0-9]{1,2})(?P<sep>[./\-])(?P<b>[0-9]{1,2})(?P=sep)(?P<y>[0-9]{4}|[0-9]{2})"
        r"(?![0-9]|[./\-][0-9])",
        r"(?<![0-9.\-/])(?P<y>[0-9]{4})(?P<sep>[./\-])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})(?![0-9]|[./\-][0-9])",
        rf"(?i)(?<![0-9])(?P<d>[0-9]{{1,2}})(?:st|nd|rd|th|er)?\.?[ \t]{{1,3}}(?:of[ \t]+|de[ \t]+)?"
        rf"(?=[{_MONTH_INITIALS}])(?P<mon>{_MONTH_ALT})\.?,?[ \t]{{1,3}}(?:de[ \t]+)?(?P<y>[0-9]{{4}})(?![0-9])",
        rf"(?i)(?<![A-Za-z])(?=[{_MONTH_INITIALS}])(?P<mon>{_MONTH_ALT})\.?[ \t]{{1,3}}(?P<d>[0-9]{{1,2}})"
        rf"(?:st|nd|rd|th)?,?[ \t]{{1,3}}(?P<y>[0-9]{{4}})(?![0-9])",
        # Chinese and Japanese: 1985年3月12日
        r"(?<![0-9])(?P<y>[0-9]{4})[ \t]?年[ \t]?(?P<m>[0-9]{1,2})[ \t]?月[ \t]?(?P<d>[0-9]{1,2})[ \t]?日",
    )
)


def _is_date(parts: dict[str, str]) -> bool:
    y = int(parts["y"])
    if "a" in parts:
        a, b = int(parts["a"]), int(parts["b"])
        return date_ok(y, b, a) or date_ok(y, a, b)
    month = int(parts["m"]) if "m" in parts else _MONTHS.get(parts["mon"].lower())
    return month is not None and date_ok(y, month, int(parts["d"]))


def _dates(text: str, _taken: Sequence[Finding]) -> Iterator[Span]:
    for regex in _DATE_FORMATS:
        yield from (m.span() for m in regex.finditer(text) if _is_date(m.groupdict()))


DATE_OF_BIRTH = Recognizer(
    "date_of_birth", "DATE_OF_BIRTH", None, 0.85,
    (
        "born", "birth", "birthday", "birthdate", "dob", "d.o.b", "b-day", "bday",
        "date of birth", "geb.", "geboren", "geburtsdatum", "geburtstag", "né le", "née le",
        "né", "née", "date de naissance", "naissance", "fecha de nacimiento", "nacimiento",
        "nacido", "nacida", "data di nascita", "nato", "nata", "geboortedatum", "geboren op",
        "data urodzenia", "urodz", "ur.", "дата рождения", "рожд", "родился", "родилась", "д.р.",
        "data de nascimento", "nascimento", "nascido", "nascida", "nasceu",
        "出生", "生日", "生年月日", "誕生日",
    ),
    find=_dates, context_required=True, needs_digit=True,
)  # fmt: skip
