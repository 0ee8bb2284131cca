"""National, bank and crypto identifiers: one recognizer each, checked with python-stdnum
or the scheme's own checksum where there is one.

Most need a context word nearby to outrank another reading of the same digits (a card,
a phone); those without a checksum (bank account, driver licence, MRN) are reported only
with one.

>>> [(f.label, f.score) for f in IDENTIFIERS[1].scan("NHS number 943 476 5919")]
[('UK_NHS', 0.96)]
"""

from __future__ import annotations

import re

from bastion.detectors.recognizers import DEFAULT_CONTEXT_WINDOW, Recognizer, Trim, context_pattern
from bastion.detectors.validators import (
    aadhaar_ok,
    aba_ok,
    au_tfn_ok,
    bic_ok,
    br_cpf_ok,
    btc_address_ok,
    ca_sin_ok,
    cn_ric_ok,
    de_tax_id_ok,
    digits_only,
    es_nif_ok,
    eth_address_ok,
    fr_nir_ok,
    iban_ok,
    it_fiscal_code_ok,
    nhs_ok,
    nino_ok,
    nl_bsn_ok,
    pl_pesel_ok,
)

_CTX_NINO = ("national insurance", "nino", "ni number", "ni no", "nat ins", "insurance number")
_CTX_NHS = ("nhs", "national health", "health service", "patient")
_CTX_DE_TAX = (
    "steuer-id", "steuerid", "steuer id", "steuernummer", "steueridentifikationsnummer",
    "identifikationsnummer", "idnr", "tax id", "tin", "steuer",
)  # fmt: skip
_CTX_FR_NIR = ("nir", "sécurité sociale", "securite sociale", "insee", "numéro de sécu", "social security")
_CTX_ES = ("dni", "nie", "nif", "documento", "identidad", "d.n.i")
_CTX_IT = ("codice fiscale", "cf", "c.f", "fiscale", "tax code")
_CTX_BSN = ("bsn", "burgerservicenummer", "sofinummer", "sofi", "citizen service")
_CTX_AADHAAR = ("aadhaar", "aadhar", "adhaar", "uidai", "uid", "आधार", "আধার")
_CTX_SIN = ("sin", "social insurance", "nas", "assurance sociale", "numéro d'assurance")
_CTX_TFN = ("tfn", "tax file")
_CTX_CPF = ("cpf", "c.p.f", "cadastro de pessoas", "inscrito no cpf", "portador do cpf")
_CTX_PESEL = ("pesel", "numer pesel", "nr pesel")
_CTX_CN_RIC = (
    "身份证", "身份证号", "身份证号码", "公民身份号码", "居民身份证", "身份證", "id card", "resident identity",
    "resident id", "chinese id",
)  # fmt: skip
_CTX_ROUTING = ("routing", "aba", "rtn", "transit", "routing number", "routing no")
# Phrases, not the bare word: "account" starts "Accountant", and a context word only has
# to start a word. The recognizer wins over a phone reading of the same digits.
_CTX_ACCOUNT = (
    "account number", "account no", "account #", "account:", "account is", "acct", "a/c",
    "bank account", "checking account", "savings account", "kontonummer", "konto:", "konto-nr",
    "to account", "into account", "from account", "routing and account",
    "numéro de compte", "número de cuenta", "numero di conto", "rekeningnummer",
    # Polish, Russian and Portuguese, as phrases: "rachunek" alone is also a bill, "счёт" an
    # invoice, "conta" a sum
    "numer konta", "nr konta", "numer rachunku", "nr rachunku", "rachunek bankowy", "konto bankowe",
    "na konto", "na rachunek", "номер счёта", "номер счета", "расчётный счёт", "расчетный счет",
    "лицевой счёт", "лицевой счет", "счёт получателя", "счет получателя", "р/с", "р/сч", "л/с",
    "número da conta", "numero da conta", "nº da conta", "conta corrente", "conta bancária",
    "conta bancaria", "conta poupança",
    # Arabic, Persian, Urdu, Hindi, Bengali, Thai, Turkish, Indonesian/Malay, Vietnamese, Korean;
    # phrases again where the bare word means something else: Hindi "खाता" is also "eats",
    # Bengali "হিসাব" a sum, Arabic "حساب" any account or a calculation
    "رقم الحساب", "رقم حساب", "الحساب البنكي", "حساب بنكي", "الحساب المصرفي", "حساب مصرفي",
    "شماره حساب", "شمارهٔ حساب", "شماره\u200cی حساب", "شمارهی حساب", "حساب بانکی", "اکاؤنٹ نمبر",
    "खाता सं", "खाता नं", "खाता नम्बर", "खाता क्रमांक", "बैंक खाता", "खाते में", "अकाउंट नंबर",
    "अकाउंट नं", "एकाउंट नंबर", "অ্যাকাউন্ট নম্বর", "অ্যাকাউন্ট নং", "একাউন্ট নম্বর", "হিসাব নম্বর",
    "হিসাব নং", "ব্যাংক অ্যাকাউন্ট", "ব্যাংক হিসাব", "เลขที่บัญชี", "เลขบัญชี", "หมายเลขบัญชี",
    "บัญชีเลขที่", "บัญชีธนาคาร", "เข้าบัญชี", "hesap numara", "hesap no", "banka hesab",
    "nomor rekening", "no rekening", "no. rekening", "no rek", "no. rek", "rekening bank",
    "ke rekening", "nombor akaun", "no akaun", "số tài khoản", "tài khoản ngân hàng", "stk", "계좌",
)  # fmt: skip
# a checksum-valid NRB needs less: any Polish account word
_CTX_NRB = (*_CTX_ACCOUNT, "konto", "konta", "rachunek", "rachunku", "nrb", "przelew", "przelewu", "bank")
_CTX_BIC = ("swift", "bic", "bank identifier", "swift code", "bic code", "swift/bic")
_CTX_PASSPORT = (
    "passport", "passport no", "passport number", "reisepass", "pass-nr", "passnummer", "passeport",
    "pasaporte", "passaporto", "paspoort", "paspoortnummer", "passaporte", "paszport", "паспорт",
    "паспорта", "паспортные данные", "pasaport", "护照", "護照", "パスポート", "旅券", "여권",
    "جواز السفر", "جواز سفر", "رقم الجواز", "گذرنامه", "پاسپورت", "پاسپورٹ", "पासपोर्ट", "পাসপোর্ট",
    "หนังสือเดินทาง", "พาสปอร์ต", "paspor", "hộ chiếu",
)  # fmt: skip
_CTX_DL = (
    "driver's license", "drivers license", "driver license", "driver licence", "driver's licence", "drivers licence",
    "driving licence", "driving license", "license number", "licence number", "license no", "licence no",
    "führerschein", "permis de conduire", "carnet de conducir", "licencia de conducir",
    # Persian "گواهینامه" alone is any certificate
    "رخصة القيادة", "رخصة قيادة", "رخصة السياقة", "رقم الرخصة", "گواهینامه رانندگی", "گواهی\u200cنامه رانندگی",
    "گواهی نامه رانندگی", "ड्राइविंग लाइसेंस", "ड्राइविंग लाइसेन्स", "चालक अनुज्ञप्ति", "ড্রাইভিং লাইসেন্স",
    "ใบขับขี่", "ใบอนุญาตขับรถ", "ใบอนุญาตขับขี่", "ehliyet", "sürücü belgesi", "surucu belgesi",
    "surat izin mengemudi", "nomor sim", "giấy phép lái xe", "bằng lái", "gplx", "운전면허", "면허번호",
)  # fmt: skip
# "DL" alone is also an airline code and "download" ("Flight DL 1234", "dl 3500 times"): next to
# it only a number of licence length (6+ characters) is read as one.
_CTX_DL_SHORT = ("dl", "dl#", "dln")


def _licence_length(value: str) -> bool:
    return sum(c.isalnum() for c in value) >= 6


# Context words only have to start a word, so a licence word can be the start of another
# word or a piece of a path: "license no" in "license notice", "dl" in "woe32dll", "dlopen",
# "dl.acm.org", ".../spaces/DL/pages/14091402", "libelf/dl-hash.h". Such a word names nothing.
_ABBREVIATION_ENDS = ("no", "dl", "dln")
_PATH_BEFORE = "./\\"
_URL_REACH = 256


def _stray_word(text: str, start: int, end: int) -> bool:
    word = text[start:end].lower()
    nxt = text[end : end + 1]
    if word.endswith(_ABBREVIATION_ENDS) and nxt.isalpha():
        return True
    if not word.startswith("dl"):
        return False
    before = text[start - 1 : start]
    if before.isdigit() or (before != "" and before in _PATH_BEFORE):
        return True
    if nxt != "" and nxt in _PATH_BEFORE + "-" and text[end + 1 : end + 2].isalpha():
        return True
    # the URL the word sits in, looked for a bounded way back (a text without spaces stays linear)
    reach = max(0, start - _URL_REACH)
    token_start = max(text.rfind(" ", reach, start), text.rfind("\n", reach, start), reach - 1) + 1
    return "://" in text[token_start:start]


def _dl_words_named(words: tuple[str, ...]) -> Trim:
    """A trim that drops a licence number whose only context words before it (within the
    default window) are stray (:func:`_stray_word`); with none at all, the column header
    or a list may still name it, so it is kept for the recognizer to judge."""
    pattern = context_pattern(words)
    assert pattern is not None

    def trim(text: str, start: int, end: int) -> tuple[int, int] | None:
        found = list(pattern.finditer(text, max(0, start - DEFAULT_CONTEXT_WINDOW), start))
        if found and all(_stray_word(text, m.start(), m.end()) for m in found):
            return None
        return start, end

    return trim


_CTX_MRN = (
    "mrn", "medical record", "medical record number", "patient id", "patient number", "patient no",
    "chart number", "hospital number", "record number", "health record", "patientennummer",
    "رقم الملف الطبي", "الملف الطبي", "رقم المريض", "السجل الطبي", "شماره پرونده", "پرونده پزشکی",
    "मरीज आईडी", "मरीज़ आईडी", "मरीज संख्या", "मेडिकल रिकॉर्ड", "রোগীর আইডি", "মেডিকেল রেকর্ড",
    "hasta numarası", "hasta numarasi", "protokol numarası", "rekam medis", "mã bệnh nhân",
    "mã số bệnh nhân", "hồ sơ bệnh án", "환자번호", "의무기록번호", "병록번호", "เวชระเบียน",
    "เลขประจำตัวผู้ป่วย",
    # the same with "ำ" as NFKC writes it (U+0E4D U+0E32), which is how the Guard's view has it
    "เลขประจ\u0e4d\u0e32ตัวผู้ป่วย",
    # Turkish "Hasta No:" only with its colon: Spanish "hasta no" is "until ... not"
    "hasta no:",
)  # fmt: skip
_CTX_CRYPTO = ("bitcoin", "btc", "wallet", "ethereum", "eth", "address", "send", "crypto")


# Digit-run boundaries shared by the numeric identifiers: no word character or dash glued
# on either side, and no dot that continues a number (so a number inside a longer number,
# a version, a decimal or a date is not read). A dot after a letter is an abbreviation's
# ("Card No.4111...", "Nr.", "nr."), as phone._PHONE_REGION reads it: the number starts
# there. The left check sits after the first character (a short look-behind): a pattern
# that starts with a character class lets the regex engine skip ahead to the next
# candidate character instead of testing a look-behind at every position.


def _first(cls: str, glued: str = r"\w\-") -> str:
    """One character of ``cls`` that starts a number: not glued to ``glued``, nor to a dot
    after a digit (a decimal, a version), a space or the start (".5")."""
    return rf"{cls}(?<![{glued}]{cls})(?<![0-9\s]\.{cls})(?<!^\.{cls})"


_D = _first("[0-9]")  # one digit, not glued to what precedes it
_R = r"(?![\w\-]|\.[0-9])"

_NINO = re.compile(r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D](?![A-Za-z0-9])")
# Other ways people type them, next to their context word only: lower case ("ab 12 34 56 c"),
# dashes; the printed DNI "12.345.678-Z", a letter after a space; a lower-case codice fiscale
_NINO_TYPED = re.compile(
    r"[A-Za-z](?<![A-Za-z0-9][A-Za-z])[A-Za-z][ \-]?[0-9]{2}[ \-]?[0-9]{2}[ \-]?[0-9]{2}[ \-]?[A-Da-d](?![A-Za-z0-9])"
)
_NHS = re.compile(_D + r"[0-9]{2}([ \-]?)[0-9]{3}\1[0-9]{4}" + _R)
# "36 574 261 809" as the Bundeszentralamt prints it, or "365 742 618 09" in threes
_DE_TAX = re.compile(_D + r"[0-9](?: ?[0-9]{3} ?[0-9]{3} ?[0-9]{3}|[0-9] [0-9]{3} [0-9]{3} [0-9]{2})" + _R)
_FR_NIR = re.compile(
    _first("[12]")
    + r" ?[0-9]{2} ?(?:0[1-9]|1[0-2]|[2-9][0-9]) ?(?:[0-9]{2}|2[AB]) ?[0-9]{3} ?[0-9]{3} ?[0-9]{2}"
    + _R
)
_ES_NIF = re.compile(
    r"[0-9XYZ](?<![\w\-][0-9XYZ])(?:(?<=[0-9])[0-9]{7}|(?<=[XYZ])-?[0-9]{7})-?[A-Z](?![\w\-])"
)
_ES_NIF_TYPED = re.compile(
    _first("[0-9XYZxyz]")
    + r"(?:(?<=[0-9])[0-9](?:[0-9]{6}|\.[0-9]{3}\.[0-9]{3})|(?<=[XYZxyz])[ \-]?[0-9]{7})[ \-]?[A-Za-z](?![\w\-])"
)
_IT_CF_TYPED = re.compile(
    r"[A-Za-z](?<![A-Za-z0-9][A-Za-z])[A-Za-z]{5}[0-9LMNPQRSTUVlmnpqrstuv]{2}[A-EHLMPRSTa-ehlmprst]"
    r"[0-9LMNPQRSTUVlmnpqrstuv]{2}[A-Za-z][0-9LMNPQRSTUVlmnpqrstuv]{3}[A-Za-z](?![A-Za-z0-9])"
)
_IT_CF = re.compile(
    r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z]{5}[0-9LMNPQRSTUV]{2}[A-EHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]"
    r"(?![A-Za-z0-9])"
)
# "111222333", "1112.22.333", "111 222 333", and "111.222.333" (which a phone reading took)
_NL_BSN = re.compile(
    _D + r"(?:[0-9]{3}\.?[0-9]{2}\.?[0-9]{3}|[0-9]{2} [0-9]{3} [0-9]{3}|[0-9]{2}\.[0-9]{3}\.[0-9]{3})" + _R
)
_AADHAAR = re.compile(_first("[2-9]") + r"[0-9]{3}([ \-]?)[0-9]{4}\1[0-9]{4}" + _R)
_CA_SIN = re.compile(_D + r"[0-9]{2}([ \-]?)[0-9]{3}\1[0-9]{3}" + _R)
# spaces anywhere ("123 456 782", "123 456782"), or dashes between all three groups
_AU_TFN = re.compile(_D + r"[0-9]{2}(?: ?[0-9]{3} ?|-[0-9]{3}-)[0-9]{2,3}" + _R)
_ABA = re.compile(_D + r"[0-9]{8}" + _R)
# the printed form "ddd.ddd.ddd-dd" is the CPF's own; eleven bare digits are as often a
# Brazilian mobile number, so they are a CPF only next to the word, as are the forms that
# drop the dots ("111444777-35", as systems and forms print it; "111 444 777 35")
_BR_CPF = re.compile(_D + r"[0-9]{2}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}" + _R)
_BR_CPF_BARE = re.compile(_D + r"(?:[0-9]{10}|[0-9]{8}-[0-9]{2}|[0-9]{2} [0-9]{3} [0-9]{3} [0-9]{2})" + _R)
_PL_PESEL = re.compile(_D + r"[0-9]{10}" + _R)
# digits glued to Han characters ("身份证号11010519491231002X") still start a number
# bare, or printed in 6-8-4 groups ("110105 19491231 002X", "110105-19491231-002X")
_CN_RIC = re.compile(
    _first("[1-9]", r"0-9A-Za-z\-") + r"(?:[0-9]{16}|[0-9]{5}([ \-])[0-9]{8}\1[0-9]{3})[0-9Xx](?![0-9A-Za-z])"
)
# 6 to 26 digits: up to the Polish NRB (26) and the Russian account (20), which are
# written whole, often in groups ("61 1090 1014 0000 0712 1981 2874")
_BANK_ACCOUNT = re.compile(_D + r"(?:[ \-]?[0-9]){5,25}" + _R)
# the Polish NRB as printed: 2 check digits and six groups of four, or 26 digits
_PL_NRB = re.compile(_D + r"[0-9](?:( ?)[0-9]{4}(?:\1[0-9]{4}){5})" + _R)
_BIC = re.compile(r"[A-Z](?<![A-Za-z0-9][A-Z])[A-Z]{3}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?(?![A-Za-z0-9])")
# one token of 6-9 letters and digits (most countries), or the Russian internal passport's
# series and number ("4509 123456", "45 09 123456")
_PASSPORT = re.compile(
    r"[A-Z0-9](?<![A-Za-z0-9][A-Z0-9])(?:[A-Z0-9]{5,8}|(?<=[0-9])[0-9] ?[0-9]{2} [0-9]{6})(?![A-Za-z0-9])"
)
_DRIVER_LICENSE = re.compile(
    r"[A-Z0-9](?<![A-Za-z0-9\-][A-Z0-9])"
    r"(?:(?<=[A-Z])[A-Z]{0,2}[0-9](?:[ \-]?[0-9]){3,13}|(?<=[0-9])(?:[ \-]?[0-9]){3,13})"
    r"(?![A-Za-z0-9]|-[0-9])"
    r"|[A-Z](?<![A-Za-z0-9\-][A-Z])[0-9]{3}-[0-9]{4}-[0-9]{4}(?:-[0-9]{1,3})?(?![A-Za-z0-9\-])"
)
# Licences outside the US, by their own shapes: the UK's 16 characters (surname, birth date,
# initials, check digits: "MORGA753116SM9IJ", maybe a 2-digit issue number) and Germany's 11
# ("B072RRE2I55")
_DRIVER_LICENSE_INTL = re.compile(
    r"[A-Z9](?<![A-Za-z0-9][A-Z9])[A-Z9]{4}[0-9][0-5][0-9]{4}[A-Z9]{2}[0-9][A-Z]{2}(?: ?[0-9]{2})?(?![A-Za-z0-9])"
    r"|(?=[A-Z0-9]{0,10}[A-Z])[A-Z0-9](?<![A-Za-z0-9][A-Z0-9])[0-9]{2}[A-Z0-9]{6}[0-9][A-Z0-9](?![A-Za-z0-9])"
)
_MRN = re.compile(
    r"[A-Z0-9](?<![A-Za-z0-9\-][A-Z0-9])"
    r"(?:(?<=[A-Z])[A-Z]{0,2}-?[0-9]{5,10}|(?<=[0-9])[0-9]{4,9})(?![A-Za-z0-9]|-[0-9])"
)
_BTC = re.compile(
    r"[13bB](?<![A-Za-z0-9][13bB])"
    r"(?:(?<=[13])[1-9A-HJ-NP-Za-km-z]{24,33}|(?<=[bB])[cC]1[02-9AC-HJ-NP-Zac-hj-np-z]{11,71})(?![A-Za-z0-9])"
)
_ETH = re.compile(r"0(?<![A-Za-z0-9]0)[xX][0-9A-Fa-f]{40}(?![A-Za-z0-9])")


# "acct ... sv=2022-11-02": an ISO or European date next to an account word is still a date
_DATE_SHAPE = re.compile(
    r"(?:[12][0-9]{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[1-9]|[12][0-9]|3[01])-(?:0[1-9]|1[0-2])-[12][0-9]{3})"
)


def _bank_account_ok(value: str) -> bool:
    return _DATE_SHAPE.fullmatch(value) is None


def _passport_ok(value: str) -> bool:
    # Numbers of 5+ digits, or (after the passport word, which this recognizer requires
    # before the value) 8-9 letters and digits: Dutch and German passports use letters at
    # most positions ("NXC3K1PL5", "CFGH2JK7L"); a word with a digit is rarely that long
    digits = sum(c.isdigit() for c in value)
    return digits >= 5 or (len(value) >= 8 and 0 < digits < len(value))


def _nrb_ok(value: str) -> bool:
    # an NRB is the Polish IBAN without its "PL": the same mod-97 check
    return iban_ok("PL" + digits_only(value))


# A part or serial number of the NINO's shape ("Part no. EG444390B"): a NINO has no checksum,
# so after these words the shape alone is not one (its own words still make it one).
_PART_BEFORE = re.compile(
    r"(?i)(?<![^\W\d_])(?:part|serial|sku|model|item|product|p/n|s/n)(?:[\s_\-]{0,2}(?:number|no|nr|#))?\.?"
    r"[\s:#=]{0,3}$"
)


def _not_a_part_number(text: str, start: int, end: int) -> tuple[int, int] | None:
    return None if _PART_BEFORE.search(text, max(0, start - 24), start) else (start, end)


# A 40-hex value in one case has no EIP-55 checksum: after a hash word it is a digest (SHA-1,
# RIPEMD-160), not an address. A mixed-case (checksummed) one is an address anywhere.
_HASH_BEFORE = re.compile(
    r"(?i)(?<![^\W\d_])(?:hash|sha-?1|sha|digest|checksum|commit|fingerprint|ripemd-?160)[\s:#=]{0,3}$"
)


def _not_a_digest(text: str, start: int, end: int) -> tuple[int, int] | None:
    hexpart = text[start + 2 : end]
    if hexpart != hexpart.lower() and hexpart != hexpart.upper():
        return start, end
    return None if _HASH_BEFORE.search(text, max(0, start - 24), start) else (start, end)


# A checksum-valid number right after its own context word ("Aadhaar 6524 6141 6388")
# outranks the context-free reading of the same digits by another family (a 12-digit
# Maestro card at 0.95, a phone at 0.95), but not one that has its own context (1.0).
_S_ID_WITH_CONTEXT = 0.96


IDENTIFIERS: tuple[Recognizer, ...] = (
    Recognizer("uk_nino", "UK_NINO", _NINO, 0.8, _CTX_NINO, nino_ok, "nino", True, trim=_not_a_part_number, needs_digit=True),
    Recognizer("uk_nhs", "UK_NHS", _NHS, _S_ID_WITH_CONTEXT, _CTX_NHS, nhs_ok, "nhs", True, True, shields_phones=True, needs_digit=True),
    Recognizer("de_tax_id", "DE_TAX_ID", _DE_TAX, _S_ID_WITH_CONTEXT, _CTX_DE_TAX, de_tax_id_ok, "de_tax_id", True, True, shields_phones=True, needs_digit=True),
    Recognizer("fr_nir", "FR_NIR", _FR_NIR, 0.85, _CTX_FR_NIR, fr_nir_ok, "fr_nir", True, shields_phones=True, needs_digit=True),
    Recognizer("uk_nino_typed", "UK_NINO", _NINO_TYPED, 0.8, _CTX_NINO, nino_ok, "nino", True, True, needs_digit=True),
    Recognizer("es_nif", "ES_NIF", _ES_NIF, 0.85, _CTX_ES, es_nif_ok, "es_nif", True, needs_digit=True),
    Recognizer("es_nif_typed", "ES_NIF", _ES_NIF_TYPED, 0.85, _CTX_ES, es_nif_ok, "es_nif", True, True, needs_digit=True),
    Recognizer("it_fiscal_code", "IT_FISCAL_CODE", _IT_CF, 0.95, _CTX_IT, it_fiscal_code_ok, "it_fiscal_code", True, needs_digit=True),
    Recognizer("it_fiscal_code_typed", "IT_FISCAL_CODE", _IT_CF_TYPED, 0.95, _CTX_IT, it_fiscal_code_ok, "it_fiscal_code", True, True, needs_digit=True),
    Recognizer("nl_bsn", "NL_BSN", _NL_BSN, _S_ID_WITH_CONTEXT, _CTX_BSN, nl_bsn_ok, "nl_bsn", True, True, shields_phones=True, needs_digit=True),
    Recognizer("in_aadhaar", "IN_AADHAAR", _AADHAAR, _S_ID_WITH_CONTEXT, _CTX_AADHAAR, aadhaar_ok, "verhoeff", True, True, shields_phones=True, needs_digit=True),
    Recognizer("ca_sin", "CA_SIN", _CA_SIN, _S_ID_WITH_CONTEXT, _CTX_SIN, ca_sin_ok, "luhn", True, True, shields_phones=True, needs_digit=True),
    Recognizer("au_tfn", "AU_TFN", _AU_TFN, _S_ID_WITH_CONTEXT, _CTX_TFN, au_tfn_ok, "au_tfn", True, True, shields_phones=True, needs_digit=True),
    Recognizer("br_cpf", "BR_CPF", _BR_CPF, 0.9, _CTX_CPF, br_cpf_ok, "br_cpf", True, shields_phones=True, needs_digit=True),
    Recognizer("br_cpf_bare", "BR_CPF", _BR_CPF_BARE, _S_ID_WITH_CONTEXT, _CTX_CPF, br_cpf_ok, "br_cpf", True, True, shields_phones=True, needs_digit=True),
    Recognizer("pl_pesel", "PL_PESEL", _PL_PESEL, _S_ID_WITH_CONTEXT, _CTX_PESEL, pl_pesel_ok, "pl_pesel", True, True, shields_phones=True, needs_digit=True),
    Recognizer("cn_ric", "CN_RIC", _CN_RIC, 0.9, _CTX_CN_RIC, cn_ric_ok, "cn_ric", True, shields_phones=True, needs_digit=True),
    Recognizer("us_routing", "US_ROUTING", _ABA, _S_ID_WITH_CONTEXT, _CTX_ROUTING, aba_ok, "aba", True, True, shields_phones=True, needs_digit=True),
    Recognizer("pl_nrb", "BANK_ACCOUNT", _PL_NRB, _S_ID_WITH_CONTEXT, _CTX_NRB, _nrb_ok, "nrb", True, True, shields_phones=True, needs_digit=True),
    Recognizer("bank_account", "BANK_ACCOUNT", _BANK_ACCOUNT, 0.75, _CTX_ACCOUNT, _bank_account_ok, context_required=True, shields_phones=True, needs_digit=True),
    Recognizer("swift_bic", "SWIFT_BIC", _BIC, _S_ID_WITH_CONTEXT, _CTX_BIC, bic_ok, "bic", True, True),
    Recognizer("passport", "PASSPORT", _PASSPORT, 0.85, _CTX_PASSPORT, _passport_ok, None, False, True, shields_phones=True, needs_digit=True),
    Recognizer("us_driver_license", "DRIVER_LICENSE", _DRIVER_LICENSE, 0.8, _CTX_DL, context_required=True, trim=_dl_words_named(_CTX_DL), shields_phones=True, needs_digit=True),
    Recognizer("us_driver_license_dl", "DRIVER_LICENSE", _DRIVER_LICENSE, 0.8, _CTX_DL_SHORT, _licence_length, context_required=True, trim=_dl_words_named(_CTX_DL_SHORT), shields_phones=True, needs_digit=True),
    Recognizer("intl_driver_license", "DRIVER_LICENSE", _DRIVER_LICENSE_INTL, 0.8, _CTX_DL + _CTX_DL_SHORT, context_required=True, trim=_dl_words_named(_CTX_DL + _CTX_DL_SHORT), shields_phones=True, needs_digit=True),
    Recognizer("medical_record_number", "MEDICAL_RECORD_NUMBER", _MRN, 0.8, _CTX_MRN, context_required=True, shields_phones=True, needs_digit=True),
    Recognizer("btc_address", "CRYPTO_ADDRESS", _BTC, 0.95, _CTX_CRYPTO, btc_address_ok, "btc", True, needs_digit=True),
    Recognizer("eth_address", "CRYPTO_ADDRESS", _ETH, 0.9, _CTX_CRYPTO, eth_address_ok, "eth", True, literals=("0x", "0X"), trim=_not_a_digest, needs_digit=True),
)  # fmt: skip
