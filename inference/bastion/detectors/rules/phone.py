"""Phone numbers, read by Google's libphonenumber (``phonenumbers``) for a set of regions.

The phone recognizer runs last (``after``): it reads every other finding, since a phone
match over a card, IBAN, SSN, IP, e-mail... is a misreading (phonenumbers happily
validates "078-05-1121" as a German number). Its ``find`` hook is a :class:`PhoneFinder`
built per detector, because the regions and the call budget are the detector's options.

>>> rec = phone_recognizer(("US", "GB"))
>>> [(f.label, f.start, f.end, f.score) for f in rec.scan("call +44 20 7946 0958.")]
[('PHONE_NUMBER', 5, 21, 0.95)]
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

from bastion.detectors.recognizers import ANY_DIGIT, Recognizer, Span
from bastion.detectors.rules.contact import _NOT_IP_BEFORE
from bastion.detectors.rules.payment import _WORD
from bastion.detectors.validators import SSN_SAMPLES, date_ok, digits_only, is_decimal_number
from bastion.errors import ConfigError
from bastion.types import Finding

DEFAULT_REGIONS: tuple[str, ...] = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "IN", "BR", "CA", "AU")
# More countries of the languages the PII model covers (national formats such as PL
# "22 123 45 67" or RU "8 800 555-35-35" were read only when another plan fit). Their plans
# also fit many 9-11 digit ids (a SIN, a TFN, an invalid SSN), so with the default regions a
# number only these read is a phone next to a context word ("Telefon", "mój numer", "тел").
CONTEXT_REGIONS: tuple[str, ...] = ("PL", "RU", "PT", "CN", "JP", "SA", "AE", "EG")
# phonenumbers' matcher is pure Python (~0.1 ms a call); this caps the calls per text so
# a megabyte of phone-shaped digits stays well under a second. Real texts need one call
# per phone number.
DEFAULT_MAX_PHONE_CALLS = 256

PHONE_LABEL = "PHONE_NUMBER"
CONTEXT = (
    "phone", "telephone", "tel", "mobile", "cell", "call", "fax", "contact", "dial",
    "my number", "number is", "reach me", "text me", "sms",
    "whatsapp", "handy", "telefon", "téléphone", "teléfono", "telefono", "telefoon",
    "portable", "móvil", "movil", "ph", "mob", "telefone", "celular", "komórka", "komorka",
    "телефон", "тел", "моб", "мобильный", "сотовый", "电话", "電話", "手机", "手機", "携帯", "전화", "휴대폰",
    "tél", "tfno", "kom.", "cel.", "mój numer", "moj numer", "numer telefonu", "мой номер", "номер телефона",
    "meine nummer", "mon numéro", "mi número", "il mio numero", "mijn nummer", "meu número",
    "zadzwoń", "zadzwon", "dzwoń", "позвоните", "звоните", "llámame", "llamame", "chiamami", "appelez", "bel me",
    "هاتف", "الهاتف", "جوال", "الجوال", "موبايل", "الموبايل", "اتصل", "फोन", "मोबाइल",
    # contact-block labels in front of an office number ("Biuro: 22 123 45 67")
    "hotline", "biuro", "sekretariat", "centrala", "infolinia", "büro", "oficina", "ufficio", "kantoor",
    "escritório", "офис", "приёмная", "приемная",
)  # fmt: skip
SCORE = 0.75
# National numbers under 8 digits (street numbers, codes) or written as a bare digit
# string (order and reference numbers) are phones only with a context word nearby.
SCORE_WEAK = 0.45

# A maximal stretch of phone characters, and the run of it one matcher call reads. Digits
# glued to a "/" are versions and path segments ("Chrome/96.0.1473.169", "/orders/4155550123").
# Not glued to a word of a script that spaces its words ("abc123"; the cards' boundary,
# ``payment._WORD``): Chinese, Japanese, Thai text runs into the number ("电话是+86 139 1234 5678",
# "โทร+66812345678ครับ"), and so does Arabic after a one-letter prefix or a fast typist ("جوال0501234567").
# After a dot only when no digit comes before it: "1.2.3" and decimals are not read, a word's
# abbreviation dot ("Tel.0171 1234567", "Mob.0171-...") is.
# Not after a digit and a colon: what follows is the rest of a clock time or a ratio
# ("11:43:41 2011 -0500", "07:50:05.002566387"), while "Tel:+44 ..." still reads.
_PHONE_REGION = re.compile(
    rf"(?<![{_WORD}_+(\-/])(?<![0-9]\.)(?<!^\.)(?<!\s\.)(?<![0-9]:)"
    r"[+(]{0,2}[0-9][0-9 \t\u00a0().\-/]{4,}[0-9]\)?(?![0-9])"
)
_PHONE_RUN = re.compile(r"[+(]{0,2}[0-9][0-9 \t\u00a0().\-/]{4,60}[0-9]\)?(?![0-9])")
# Longest written phone number ("+44 (0) 20 7946 0958 " and a bit): a run that found no
# number is re-read from this far before its end.
_PHONE_TAIL = 28
# Where the next run of a region may start: a digit group, or its "+" / "(" prefix.
_PHONE_GROUP_START = re.compile(r"[+(]{1,2}[0-9]|(?<![0-9])[0-9]")
_DIGIT_GROUPS = re.compile(r"[0-9]+")
# the spaces a run that held no number is cut at, and how many of the last ones are tried
_GAP = re.compile(r"[ \t\u00a0]+")
_MAX_CUTS = 6
# how deep a cut run is cut again: a tail of two numbers is read as its first number and
# the rest; each level tries at most _MAX_CUTS cuts, and the matcher budget bounds them all
_MAX_SPLIT_DEPTH = 2
# the most digits one written number holds: 15 (E.164), a "(0)" trunk and a split "00" prefix
_MAX_HEAD_DIGITS = 17
# a date is not followed by two more groups ("06.12.34.56.78" is a French phone number; in
# "01.02.03.04" the date reading still masks it)
_DATE_IN_TEXT = re.compile(
    r"(?<![0-9])(?<![0-9][./\-])[0-9]{1,4}([./\-])[0-9]{1,2}\1[0-9]{2,4}(?![0-9])(?![./\-][0-9]{2}[./\-][0-9])"
)
_DATE_LIKE = re.compile(r"([0-9]{1,4})([./\-])([0-9]{1,2})\2([0-9]{2,4})")
# Clinical readings phonenumbers accepts as numbers: blood-pressure ranges "91-102/45-52"
# and short ascending ranges "130-160" (two groups of at most three digits).
# (no leading zero: that is a trunk prefix, "040/123-456"; spaces as charted: "90 - 100/30 - 40",
# "98/45 - 139/61")
_BP_N = r"[1-9][0-9]{1,2}"
_BP_R = rf"{_BP_N}(?: ?- ?{_BP_N})?"
_PRESSURE = re.compile(rf"{_BP_R} ?/ ?{_BP_R}|{_BP_N}/{_BP_N} ?- ?{_BP_N}/{_BP_N}")
_SHORT_RANGE = re.compile(r"([1-9][0-9]{0,2})-([1-9][0-9]{0,2})")
# a decimal with one digit before the point (blood gases "7.43/41/76/28", "7.38 47 72 95"): phone groups split
# by dots are longer on both sides ("+33 6.12.34.56.78" never ends a group after the dot)
_DECIMAL = re.compile(r"(?<![0-9.])[0-9]\.[0-9]{1,2}(?![0-9.])")
# A GUID's leading digits are no phone ("08460086-38da-..." read as "08460086-38"): GUIDs are
# masked out like dates.
_GUID = re.compile(
    r"[0-9A-Fa-f](?<![0-9A-Za-z\-][0-9A-Fa-f])[0-9A-Fa-f]{7}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}"
    r"-[0-9A-Fa-f]{12}(?![0-9A-Za-z\-])"
)
# A clock time, and in its seconds form the year and UTC offset `git log` and `date` print
# after it ("Wed Feb 2 11:43:41 2011 -0500", "2026-06-09T07:50:05.002566387Z"): masked like
# dates, or the seconds, year and offset ("41 2011 -0500") read as one national number.
_CLOCK_TIME = re.compile(
    r"(?<![0-9])[0-9]{1,2}:[0-5][0-9]"
    r"(?::[0-5][0-9](?:[.,][0-9]{1,9})?(?:[ \t]{1,2}[12][0-9]{3})?(?:[ \t]{1,2}[+-](?:0[0-9]|1[0-4])[0-5][0-9])?)?"
    r"(?![0-9])"
)
# A US ZIP+4 code after a state's postal abbreviation or before "USA" ("Boston, MA 02110-1301",
# the FSF address in every GPL header): five digits, a dash and four is also a German
# trunk-prefixed number ("02151-1234"), so only these neighbours make it a postal code.
_US_STATE = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC"
    "|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|GU|VI|AS|MP"
)
_ZIP_PLUS_4 = re.compile(
    rf"(?<![A-Za-z])(?:{_US_STATE}),?[ \t]{{1,3}}[0-9]{{5}}-[0-9]{{4}}(?![0-9\-])"
    r"|(?<![0-9\-])[0-9]{5}-[0-9]{4}(?=,?[ \t]{1,3}(?:USA|U\.S\.A|United States)(?![A-Za-z]))"
)
# One decimal point in a digit group ("16900.540", "0.922/0.938", "FAR 252.227-7013", "641.85"):
# a number, a ratio or a clause, when the fraction is one to three digits or the whole part
# is a lone zero. A trunk zero before the point ("0171.1234567") is a phone's own grouping;
# longer fractions are left to is_decimal_number, which knows the plans' lengths.
_ONE_POINT = re.compile(r"(?<![0-9.])([0-9]+)\.([0-9]+)(?![0-9]|\.[0-9])")
# digit groups a tab or three or more spaces apart are table columns ("373   251   FB")
_TABLE_GAP = re.compile(r"[0-9](?:[ \u00a0]{0,2}\t|[ \u00a0]{3})")
# Four or more dot-separated groups are a version ("Chrome 124.0.6367.91", "upgraded to
# 8.17.119.967") when one group is a single digit, which no dotted national format prints
# except the NANP trunk "1.800.555.0199", or when a version word comes before them.
_NANP_DOTTED = re.compile(r"1\.[0-9]{3}\.[0-9]{3}\.[0-9]{4}")
# how far a dotted token is followed out from a phone candidate inside it
_VERSION_REACH = 24
# Reference numbers: after one of these words, a national number printed in groups of one
# length is read as a phone only with a phone word near ("order 744-896-710", "Case number
# 74488-39810", "FedEx tracking 0663 2581 1478"); a phone's own grouping ("order
# 345-899-3560") still reads.
_REFERENCE_BEFORE = re.compile(
    r"(?i)(?<![^\W\d_])(?:order|case|ticket|ref|reference|invoice|tracking|booking|confirmation|claim|shipment"
    r"|parcel|waybill|awb|sku|serial|item)(?:[\s_\-]{0,2}(?:number|num|no|nr|id))?\.?[\s:#=]{0,3}$"
)
# Five digits, a dash and five more, not starting with 0 (a trunk prefix) or 6-9 (an Indian
# mobile, "98765-43210"): a case or reference number's shape, no default region's grouping.
_FIVE_FIVE = re.compile(r"[1-5][0-9]{4}-[0-9]{5}")
_PHONE_EXTENSION = re.compile(r"[ \t]{0,2}(?:x|ext\.?|extension|#)[ \t]{0,2}[0-9]{1,6}(?![0-9])", re.I)


def check_regions(regions: Sequence[str] | str | None) -> tuple[str, ...]:
    """The regions as a tuple, default :data:`DEFAULT_REGIONS`; an unknown one is a ConfigError."""
    regions = DEFAULT_REGIONS if regions is None else [regions] if isinstance(regions, str) else regions
    bad = [r for r in regions if r not in phonenumbers.SUPPORTED_REGIONS]
    if bad:
        hint = " (use GB for the United Kingdom)" if "UK" in bad else ""
        raise ConfigError(f"unknown phone region(s) {bad}{hint}")
    return tuple(dict.fromkeys(regions))


def phone_recognizer(
    regions: Sequence[str] = DEFAULT_REGIONS, max_calls: int | None = DEFAULT_MAX_PHONE_CALLS
) -> Recognizer:
    """The phone recognizer for ``regions`` (numbers in ``+CC`` form are found regardless),
    with at most ``max_calls`` matcher calls per text (None: no cap)."""
    regions = check_regions(regions)
    weak = tuple(r for r in CONTEXT_REGIONS if r not in regions) if regions == DEFAULT_REGIONS else ()
    return Recognizer(
        "phone", PHONE_LABEL, None, SCORE, CONTEXT, find=PhoneFinder(regions, max_calls, weak),
        validator_name="phonenumbers", validated=True, after=True,
    )  # fmt: skip


class PhoneFinder:
    """Phone numbers in a text, as spans with their score, past the spans of ``taken``.

    Runs of phone characters are cut into pieces one matcher call can read, and only the
    regions whose numbering plan fits a piece's digits are asked.
    """

    __slots__ = ("regions", "max_calls", "weak_regions", "_plans")

    def __init__(
        self, regions: Sequence[str], max_calls: int | None, weak_regions: Sequence[str] = ()
    ) -> None:
        self.regions = tuple(regions)
        self.max_calls = max_calls
        # read after the others; a number only they read scores as weak (needs context)
        self.weak_regions = frozenset(weak_regions)
        self._plans = {r: _NumberingPlan(r) for r in (*self.regions, *weak_regions)}

    def __call__(self, text: str, taken: Sequence[Finding]) -> list[Span]:
        if not ANY_DIGIT.search(text):
            return []
        # Digits already claimed by a card, IBAN, SSN, IP, e-mail... or forming a calendar
        # date are masked out, so they neither reach the (slow) matcher, nor glue
        # neighbouring numbers into one run, nor get read as a phone ("2015-12-22 04").
        dates = [m.span() for m in _DATE_IN_TEXT.finditer(text) if _is_date(m.group())]
        if ":" in text:
            dates += [m.span() for m in _CLOCK_TIME.finditer(text)]
        if "-" in text:
            dates += [m.span() for m in _GUID.finditer(text)]
            dates += [m.span() for m in _ZIP_PLUS_4.finditer(text)]
        blocked = [(f.start, f.end) for f in taken]
        spans = self._read(_mask(text, [*blocked, *dates]))
        return _kept(text, spans, _Spans(blocked))

    def _read(self, masked: str) -> dict[tuple[int, int], tuple[bool, bool]]:
        """Every number the matcher finds, span -> (written in national format, read only
        by a context region)."""
        spans: dict[tuple[int, int], tuple[bool, bool]] = {}
        budget = self.max_calls
        for m in _PHONE_REGION.finditer(masked):
            # A region longer than one run is read in runs of at most _PHONE_RUN's
            # length; each next run starts after the last number found, or (none found)
            # late enough to hold any number cut off at the end of the run. Resuming
            # after the whole cut run lost the number that straddled the cut.
            pos, region_end = m.start(), m.end()
            while pos < region_end and (budget is None or budget > 0):
                piece = _PHONE_RUN.match(masked, pos, region_end)
                if piece is None:
                    nxt = _next_group(masked, pos + 1, region_end)
                else:
                    run = piece.group()
                    found_end, budget = self._phones_in_run(run, piece.start(), spans, budget)
                    singles = [g.end() for g in _DIGIT_GROUPS.finditer(run) if g.end() - g.start() == 1]
                    if found_end < 0 and len(singles) > 2:
                        # rejected as a list of single digits: a number may follow the list
                        nxt = piece.start() + singles[-1]
                    elif found_end > pos and found_end < piece.end():
                        nxt = found_end  # a number cut from the head of the run: read the rest
                    elif piece.end() >= region_end:
                        break
                    elif found_end > pos:
                        nxt = found_end
                    else:
                        nxt = piece.start() + max(1, len(run) - _PHONE_TAIL)
                    nxt = _next_group(masked, nxt, region_end)
                if nxt <= pos:
                    break
                pos = nxt
        return spans

    def _phones_in_run(
        self,
        run: str,
        base: int,
        spans: dict[tuple[int, int], tuple[bool, bool]],
        budget: int | None,
        depth: int = 0,
    ) -> tuple[int, int | None]:
        """Phone numbers in one run, added to ``spans``; returns the end of the last one
        found (``-1`` if none) and the remaining matcher-call budget."""
        last_end = -1
        groups = _DIGIT_GROUPS.findall(run)
        digits = "".join(groups)
        if len(digits) < 6 or len(set(digits)) == 1:
            return last_end, budget
        # "1 2 3 4 5 6 7" is a list, not a phone number; real numbers have at most a
        # one-digit country code and a "(0)" trunk prefix as single digits.
        if sum(1 for g in groups if len(g) == 1) > 2:
            return last_end, budget
        covered = 0
        for region in self._regions_for(run, digits):
            if budget is not None:
                if budget <= 0:
                    break
                budget -= 1
            for pm in PhoneNumberMatcher(run, region, leniency=Leniency.VALID):
                key = (base + pm.start, base + pm.end)
                last_end = max(last_end, key[1])
                if key not in spans:
                    raw = pm.raw_string.lstrip("(")
                    national = not raw.startswith(("+", "00", "011"))
                    spans[key] = (national, national and region in self.weak_regions)
                    covered += len(digits_only(pm.raw_string))
            # Once every digit of the run belongs to a number, other regions can only
            # re-read the same digits; skipping them keeps a phone at ~1 matcher call.
            if covered >= len(digits):
                break
        if last_end < 0 and depth < _MAX_SPLIT_DEPTH:
            # The matcher reads "415-555-0132 123" or two numbers side by side ("+1 415 555
            # 2671 412 555 0199", "020 7946 0958 07700 900123") as one candidate and rejects
            # it: read the run again cut at a space, longest head first. A head is a number
            # when it is written like one (a "+", brackets or dashes) or when what follows
            # the cut is a number too; plain digit groups alone are as often a card or an
            # order number cut short. The caller's scan resumes after the head found.
            # A head holds one number at most (E.164: 15 digits, and a "(0)" trunk and a
            # country code written apart); the numbers after it are read by the next scan.
            gaps = [
                g for g in _GAP.finditer(run) if 6 <= len(digits_only(run[: g.start()])) <= _MAX_HEAD_DIGITS
            ]
            for gap in reversed(gaps[-_MAX_CUTS:]):
                head, tail = run[: gap.start()], run[gap.end() :]
                phone_like = head.startswith("+") or "(" in head or "-" in head
                if not phone_like:
                    if len(digits_only(tail)) < 6:
                        continue
                    # the tail must start with a number, itself maybe followed by more
                    # ("415 555 2671 415 555 0199 415 555 0123 415 555 0144")
                    starts, budget = self._starts_with_number(tail, budget)
                    if not starts:
                        continue
                found = dict(spans)
                head_end, budget = self._phones_in_run(head, base, found, budget, depth + 1)
                if head_end == base + len(head):
                    spans.update(found)
                    return head_end, budget
                if budget is not None and budget <= 0:
                    break
        return last_end, budget

    def _starts_with_number(self, run: str, budget: int | None) -> tuple[bool, int | None]:
        """Whether ``run`` begins with a whole number: its longest head of phone length
        (cut at a space, or all of it) that the matcher reads entire."""
        cuts = [g.start() for g in _GAP.finditer(run)] + [len(run)]
        heads = [c for c in cuts if 6 <= len(digits_only(run[:c])) <= _MAX_HEAD_DIGITS]
        for cut in reversed(heads[-_MAX_CUTS:]):
            found: dict[tuple[int, int], tuple[bool, bool]] = {}
            # no cutting inside: a head that is not one number is not this number
            _, budget = self._phones_in_run(run[:cut], 0, found, budget, _MAX_SPLIT_DEPTH)
            if (0, cut) in found:
                return True, budget
            if budget is not None and budget <= 0:
                break
        return False, budget

    def _regions_for(self, run: str, digits: str) -> list[str]:
        """The configured regions in which ``digits`` could be one national number.

        A matcher call costs ~0.1 ms, so regions whose numbering plan cannot produce
        this digit string (wrong length, wrong leading digits after stripping a trunk,
        country or international prefix) are skipped. Runs that start with ``+`` are
        international and parse the same in any region; runs too long for one number
        may hold several, and get every region.
        """
        if run.lstrip("(").startswith("+"):
            return list(self.regions[:1])
        if digits.startswith("0"):
            # "00 44 ..." / "011 44 ...": international dialling, read by a region whose
            # international prefix it is (the matcher does not know other regions' ones).
            idd = [r for r, plan in self._plans.items() if plan.dials_out(digits)]
            if idd:
                rest = [r for r, plan in self._plans.items() if r != idd[0] and plan.plausible(digits)]
                return [idd[0], *rest]
        if len(digits) > 17:
            return list(self.regions)
        return [region for region, plan in self._plans.items() if plan.plausible(digits)]


_SSN_SHAPE = re.compile(r"[0-9]{3}-[0-9]{2}-[0-9]{4}")


def _kept(text: str, spans: dict[tuple[int, int], tuple[bool, bool]], blocked: _Spans) -> list[Span]:
    """The numbers worth reporting, with a trailing extension and their score."""
    out: list[Span] = []
    for (s, e), (national, context_region) in spans.items():
        value = text[s:e]
        n_digits = len(digits_only(value))
        # E.164 caps a number at 15 digits; longer digit strings are cards or ids.
        # "7.38/42/88": the run starts after a decimal point, so it is the rest of a reading
        after_point = s >= 2 and text[s - 1] == "." and text[s - 2].isdigit()
        if n_digits > 15 or blocked.overlaps(s, e) or _is_date(value) or after_point or _is_reading(value):
            continue
        if "." in value and _is_version(text, s, e):
            continue
        if _SSN_SHAPE.fullmatch(value) and digits_only(value) in SSN_SAMPLES:
            continue  # a published sample SSN (078-05-1120) the SSN rules skip is no phone either
        ext = _PHONE_EXTENSION.match(text, e)
        if ext is not None:
            e = ext.end()
        weak = context_region or (
            national
            and (
                n_digits < 8
                or value.isdigit()
                or _FIVE_FIVE.fullmatch(value) is not None
                or (_even_groups(value) and _REFERENCE_BEFORE.search(text, max(0, s - 40), s) is not None)
            )
        )
        out.append((s, e, SCORE_WEAK if weak else SCORE))
    return out


class _NumberingPlan:
    """The few facts of a region's numbering plan needed to rule it out cheaply."""

    __slots__ = ("country_code", "prefixes", "lengths", "pattern", "idd")

    def __init__(self, region: str) -> None:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        if meta is None or meta.general_desc is None or not meta.general_desc.national_number_pattern:
            raise ConfigError(f"no numbering plan metadata for phone region {region!r}")
        self.country_code = str(meta.country_code)
        trunk = meta.national_prefix or ""
        idd = re.sub(r"[^0-9]", "", meta.preferred_international_prefix or meta.international_prefix or "")
        prefixes = {"", self.country_code, "00" + self.country_code}
        if trunk:
            prefixes.add(trunk)
            prefixes.add(self.country_code + trunk)
        if idd:
            prefixes.add(idd + self.country_code)
        self.prefixes = tuple(sorted(prefixes))
        self.lengths = frozenset(meta.general_desc.possible_length or ())
        self.pattern = re.compile(meta.general_desc.national_number_pattern)
        self.idd = re.compile(meta.international_prefix) if meta.international_prefix else None

    def dials_out(self, digits: str) -> bool:
        """Whether ``digits`` starts with this region's international prefix and a
        plausible remainder (a country code plus at least six digits)."""
        if self.idd is None:
            return False
        m = self.idd.match(digits)
        return m is not None and m.end() > 0 and len(digits) - m.end() >= 8

    def plausible(self, digits: str) -> bool:
        for prefix in self.prefixes:
            if digits.startswith(prefix):
                rest = digits[len(prefix) :]
                if (not self.lengths or len(rest) in self.lengths) and self.pattern.fullmatch(rest):
                    return True
        return False


class _Spans:
    """Overlap and containment queries against a fixed set of spans in O(log n)."""

    __slots__ = ("_starts", "_max_end")

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        spans = sorted(spans)
        self._starts = [s for s, _ in spans]
        self._max_end: list[int] = []
        reach = -1
        for _, e in spans:
            reach = max(reach, e)
            self._max_end.append(reach)

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self._starts, end)
        return i > 0 and self._max_end[i - 1] > start


def _mask(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` with every span overwritten by "x" (same length, same offsets)."""
    if not spans:
        return text
    parts: list[str] = []
    pos = 0
    for s, e in sorted(spans):
        if e <= pos:
            continue
        start = max(pos, s)
        parts.append(text[pos:start])
        parts.append("x" * (e - start))
        pos = e
    parts.append(text[pos:])
    return "".join(parts)


def _next_group(text: str, pos: int, end: int) -> int:
    """Start of the first digit group (with its "+"/"(" prefix) at or after ``pos``."""
    m = _PHONE_GROUP_START.search(text, pos, end)
    return end if m is None else m.start()


def _even_groups(value: str) -> bool:
    groups = _DIGIT_GROUPS.findall(value)
    return len(groups) >= 2 and len({len(g) for g in groups}) == 1


def _is_version(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` lies in a dotted version number (see :data:`_NANP_DOTTED`)."""
    a, b = start, end
    while a > start - _VERSION_REACH and a > 0 and (text[a - 1].isdigit() or text[a - 1] == "."):
        a -= 1
    while b < end + _VERSION_REACH and b < len(text) and (text[b].isdigit() or text[b] == "."):
        b += 1
    raw = text[a:b]
    token = raw.strip(".")
    a += len(raw) - len(raw.lstrip("."))
    groups = token.split(".")
    if len(groups) < 4 or not all(g.isascii() and g.isdigit() for g in groups):
        return False
    if _NANP_DOTTED.fullmatch(token) is not None:
        return False
    # a version never starts with a leading zero: "0033.6.12.34.56.78", "0032.2.555.12.12"
    # are international (00) or trunk (0) dialling
    if len(groups[0]) >= 2 and groups[0][0] == "0":
        return False
    if any(len(g) == 1 for g in groups):
        return True
    return _NOT_IP_BEFORE.search(text, max(0, a - 24), a) is not None


def _is_reading(value: str) -> bool:
    if _PRESSURE.fullmatch(value) or _DECIMAL.search(value) or is_decimal_number(value):
        return True
    if _TABLE_GAP.search(value) or (not value.startswith("+") and _has_decimal(value)):
        return True
    # A lone digit inside a national number ("12 7 6 77 76 30", a league table row; "15-7
    # 15-12", game scores): national formats group digits in twos to fours after the
    # first group. International ones may not ("+33 6 12 34 56 78"), nor a "(0)" trunk.
    if not value.lstrip("(").startswith(("+", "00")):
        groups = _DIGIT_GROUPS.findall(value)
        if any(len(g) == 1 and g != "0" for g in groups[1:]):
            return True
    m = _SHORT_RANGE.fullmatch(value)
    return m is not None and int(m.group(1)) < int(m.group(2))


def _has_decimal(value: str) -> bool:
    for m in _ONE_POINT.finditer(value):
        whole, fraction = m.group(1), m.group(2)
        if len(whole) > 1 and whole[0] == "0":
            continue  # a trunk prefix
        if whole == "0" or len(fraction) <= 3:
            return True
    return False


def _is_date(value: str) -> bool:
    m = _DATE_LIKE.fullmatch(value)
    if m is None:
        return False
    a, b, c = int(m.group(1)), int(m.group(3)), int(m.group(4))
    if len(m.group(1)) == 4:
        return date_ok(a, b, c)
    return date_ok(c, b, a) or date_ok(c, a, b)
