"""Contact and network families: e-mail, URL, MAC and IP addresses.

>>> [(f.label, f.start, f.end) for f in EMAIL.scan("mail jo@example.org")]
[('EMAIL_ADDRESS', 5, 19)]
>>> [f.label for f in IPV4.scan("version 1.2.3.4")], [f.label for f in IPV4.scan("from 8.8.8.8")]
([], ['IP_ADDRESS'])
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Sequence

from bastion.detectors.recognizers import Recognizer, Span
from bastion.detectors.rules.payment import _WORD
from bastion.types import Finding

# (An apostrophe may sit inside a local part, "o'brien@corp.ie", never first: a quoted
# "'jane@example.com'" starts after it.)
# Letters and digits of an address: ASCII plus accented Latin, Greek and Cyrillic
# ("josé.garcía@correo.es", "иван@почта.рф": internationalised addresses).
_LETTERS = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0370-\u03ff\u0400-\u04ff"
_L = _LETTERS + "0-9"
# Combining marks a word is spelt with in scripts that write vowels as signs (Devanagari and
# the other Indic scripts, whose blocks are taken whole but for the danda, Thai, Lao,
# Myanmar, Khmer), Arabic and Hebrew points, accents, kana voicing marks: Python's \w has no
# marks, so "ตัวอย่าง" or "उदाहरण" was cut at its first vowel sign.
_MARKS = (
    "\u0300-\u036f\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7\u0610-\u061a\u064b-\u065f\u0670"
    "\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed\u0900-\u0963\u0966-\u0dff\u0e31\u0e34-\u0e3a"
    "\u0e47-\u0e4e\u0eb1\u0eb4-\u0ebc\u0ec8-\u0ecd\u102b-\u103e\u1056-\u109d\u17b4-\u17d3\u17dd\u3099\u309a"
)
# A local part is also Arabic, Persian or Indic ("علي@مثال.مصر"), scripts that space their
# words. Chinese, Japanese, Korean, Thai, Lao, Myanmar and Khmer text glues an address to the
# word before it ("邮箱jane@example.com"), so a local part in those scripts is read only
# when it stands right before the "@", at most 24 of its characters ("张伟@公司.中国").
_LOCAL = (
    _L + "\u0300-\u036f\u0610-\u061a\u0620-\u065f\u066e-\u06d3\u06d5-\u06dc\u06df-\u06e8\u06ea-\u06ed"
    "\u06fa-\u06fc\u0750-\u077f\u0900-\u0963\u0966-\u0dff"
)
_UNSPACED = (
    "\u3041-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
    "\u0e01-\u0e4e\u0e81-\u0ecd\u1000-\u103f\u1050-\u109d\u1780-\u17d3"
)
# A domain's labels are letters, digits and marks of any script (IDN: "公司.中国",
# "ตัวอย่าง.ไทย", "شركة.السعودية"); a top-level domain is Latin, Greek or Cyrillic letters, or
# letters of another script only ("中国", "ไทย", "भारत"), so "jane@example.com谢谢" ends at ".com".
_DOMAIN_CHAR = rf"(?:[^\W_]|[{_MARKS}])"
_DOMAIN_LABEL = rf"(?:{_DOMAIN_CHAR}(?:(?:{_DOMAIN_CHAR}|-){{0,61}}{_DOMAIN_CHAR})?\.)"
_IDN_TLD = rf"[^\W\d_{_LETTERS}](?:[^\W\d_{_LETTERS}]|[{_MARKS}]){{1,23}}(?![{_L}\-])"
_EMAIL = re.compile(
    rf"(?:(?<![{_LOCAL}._%+\-])[{_LOCAL}][{_LOCAL}._%+\-']{{0,63}}|[{_UNSPACED}]{{1,24}})@"
    rf"{_DOMAIN_LABEL}{{1,8}}"
    rf"(?:[{_LETTERS}]{{2,24}}(?![{_LETTERS}\-]|[0-9]{{1,12}}(?![0-9]))|{_IDN_TLD})"
)
# (A top-level domain never ends in digits: 13 or more right after one are another number
# glued to the address, "jane@example.com4111111111111111", and the address ends before them.)
# "scheme://user:" right before an e-mail match: it is the "PASSWORD@host" of a
# connection string (the password recognizer's), not an address.
# Also an "address" that starts inside the password ("://app:Zx9!kL2mQ@cluster0.example.net").
_CONN_STRING_USER_BEFORE = re.compile(r"[^\s:/@]{0,128}:[^\s/@]{0,256}")


def _not_in_conn_string(text: str, start: int, end: int) -> tuple[int, int] | None:
    # from the last "://" only, so a text of many addresses stays linear
    scheme = text.rfind("://", max(0, start - 400), start)
    if scheme >= 0 and _CONN_STRING_USER_BEFORE.fullmatch(text, scheme + 3, start):
        return None
    return start, end


# Two addresses glued together ("jane@example.combob@example.org", a list that lost its
# separators): where the first ends is unknowable, so the finding runs on to the end of
# the second address rather than leaving its domain behind.
_GLUED_DOMAIN = re.compile(rf"@{_DOMAIN_LABEL}{{1,8}}(?:[{_LETTERS}]{{2,24}}(?![{_L}\-])|{_IDN_TLD})")


def _email_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    span = _not_in_conn_string(text, start, end)
    if span is not None and text[end : end + 1] == "@":
        glued = _GLUED_DOMAIN.match(text, end)
        if glued is not None:
            return start, glued.end()
    return span


def _local_part_ok(value: str) -> bool:
    local = value.split("@", 1)[0]
    return ".." not in local and not local.endswith(".")


EMAIL = Recognizer(
    "email", "EMAIL_ADDRESS", _EMAIL, 0.9,
    ("email", "e-mail", "mail", "contact", "courriel", "correo"),
    validator=_local_part_ok, literals=("@",), trim=_email_span,
)  # fmt: skip

# An address read out loud, as speech-to-text writes it ("priya dot nair at gmail dot com",
# "j_doe at example.co.uk"): call and meeting transcripts carry them. "at" alone joins too
# much ordinary speech ("meet at home"), so a mail word must stand just before it and the
# domain must end in a known top-level domain. Separators are fixed words or single
# characters and each repetition is bounded, so the match stays linear.
_SPOKEN_SEP = r"(?: (?:dot|period|underscore|dash|hyphen) |[._\-])"
_SPOKEN_TLD = (
    "com|net|org|edu|gov|mil|info|biz|io|ai|app|dev|co|me|tv|us|uk|in|de|fr|es|it|nl|be|ch|at|se|no|dk|fi|"
    "pl|ru|ua|cz|sk|hr|rs|pt|br|mx|ar|cl|jp|cn|kr|tw|hk|sg|au|nz|ca|za|ng|ke|ie|eu"
)
_SPOKEN_EMAIL = re.compile(
    r"(?i)(?<![\w.@\-])[a-z0-9]+(?:" + _SPOKEN_SEP + r"[a-z0-9]+){0,6}"
    r" (?:at|@) "
    r"[a-z0-9\-]+(?:(?: (?:dot|period) |\.)[a-z0-9\-]+){0,3}(?: (?:dot|period) |\.)(?:" + _SPOKEN_TLD + r")"
    r"(?![\w\-]|\.[a-z])"
)

SPOKEN_EMAIL = Recognizer(
    "spoken_email", "EMAIL_ADDRESS", _SPOKEN_EMAIL, 0.7,
    ("email", "e-mail", "mail", "mail id", "courriel", "correo"),
    context_required=True, literals=(" at ", " AT ", " At ", " @ "),
)  # fmt: skip

# An address written around spam harvesters: "jane [at] example [dot] com", "j.doe(at)uni-x(dot)de",
# "jo {at} mail.example.org". Bracketed "at" and "dot" appear in nothing but such addresses,
# so no mail word is needed; the domain still has to end in a known top-level domain.
# Also "jane AT example DOT com": the words in capitals between lower-case parts, which prose
# does not write ("MEET AT HOME DOT COM" is shouting, not an address).
_OB_OPEN, _OB_CLOSE = r"[\[({<]", r"[\])}>]"
_OB_LOWER_PART = r"[a-zA-Z0-9\-]*[a-z0-9][a-zA-Z0-9\-]*"
_OBFUSCATED_EMAIL = re.compile(
    r"(?<![\w.@\-])(?:"
    rf"[a-zA-Z0-9][a-zA-Z0-9._+\-]{{0,63}} ?{_OB_OPEN} ?(?i:at|@) ?{_OB_CLOSE} ?"
    rf"[a-zA-Z0-9\-]+(?:(?: ?{_OB_OPEN} ?(?i:dot|\.) ?{_OB_CLOSE} ?|\.)[a-zA-Z0-9\-]+){{0,3}}"
    rf"(?: ?{_OB_OPEN} ?(?i:dot|\.) ?{_OB_CLOSE} ?|\.)(?i:{_SPOKEN_TLD})"
    rf"|(?=[a-zA-Z0-9._+\-]{{0,63}}[a-z0-9])[a-zA-Z0-9][a-zA-Z0-9._+\-]{{0,63}}"
    rf" AT {_OB_LOWER_PART}(?: DOT {_OB_LOWER_PART}){{0,3}} DOT (?:{_SPOKEN_TLD})"
    r")(?![\w\-]|\.[a-zA-Z])"
)

OBFUSCATED_EMAIL = Recognizer(
    "obfuscated_email", "EMAIL_ADDRESS", _OBFUSCATED_EMAIL, 0.85,
    ("email", "e-mail", "mail", "contact", "courriel", "correo"),
    literals=("at]", "at)", "at}", "at>", "at ]", "at )", "AT]", "AT)", "At]", "At)", "@]", "@)", "@ ]", "@ )", " AT "),
)  # fmt: skip

# What a URL runs over once its start is found. After a scheme written with a backslash
# ("https:\\evil.com\p.png?d=...") browsers read every "\" as "/" (WHATWG URL parsing),
# so the path and query there go on past backslashes.
_URL_CHARS = r"[^\s<>\"'`{}|\\^]"
_URL_CHARS_BS = r"[^\s<>\"'`{}|^]"
# a host after a bare "//": dotted labels ending in a TLD-like run of letters, or an IPv4
# address ("// TODO", "a // b" and "//server/share" have none)
_URL_HOST = r"(?:(?:[^\W_][\w\-]{0,62}\.){1,8}[^\W\d_]{2,24}|(?:[0-9]{1,3}\.){3}[0-9]{1,3})(?![\w\-])"
# Browsers drop every ASCII tab and newline from a URL before reading it (WHATWG), and an
# HTML attribute value holds them literally or as "&#9;", "&Tab;", "&NewLine;" (read in the
# decoded view): "h\ttps://evil.com", "/\n/evil.com" load as written without them.
_TW = r"[\t\n\r]{0,4}"
# a web scheme as a page reads it (case-insensitive where used)
URL_SCHEME = rf"h{_TW}t{_TW}t{_TW}p{_TW}(?:s{_TW})?:"
# Browsers and Markdown renderers also load URLs that do not start "http(s)://" as
# written, and an injected answer uses them to carry data out in a query:
# "https:/evil.com", "https:\\evil.com", "http:evil.com" (a scheme other than the page's
# reads the host right after the colon), and protocol-relative "//evil.com/...". A bare
# "//", or a scheme with no slash, is read where a page loads it (a Markdown link or image
# target, an HTML attribute, CSS url(...)), or after a space or quote when a path, query or
# port follows the host: a "// comment", integer division or "ratio http:2" has neither.
# (The look-ahead lets the engine skip to the few characters a URL can start with.)
_URL = re.compile(
    r"(?i)(?=[hw/\\])(?:"
    r"(?<![\w@.\-/])(?:https?:/{1,8}(?![\\/])|www\.)" + _URL_CHARS + r"{2,2048}"
    r"|(?<![\w@.\-/])https?:(?=/{0,7}\\)[\\/]{1,8}(?![\\/])" + _URL_CHARS_BS + r"{2,2048}"
    r"|(?:(?<=[(=])|(?<=[(=][\"'])|(?<=\(<)|(?<==[ \t][\"']))"
    r"(?:/" + _TW + "/" + _URL_HOST + _URL_CHARS + r"{0,2048}"
    r"|(?=[\\/]?\\)[\\/]{2}" + _URL_HOST + _URL_CHARS_BS + r"{0,2048}"
    r"|" + URL_SCHEME + _TW + r"(?:/" + _TW + r"){0,8}" + _URL_HOST + _URL_CHARS + r"{0,2048})"
    r"|(?<![^\s\"'])//" + _URL_HOST + r"(?=[/?#]|:[0-9])" + _URL_CHARS + r"{0,2048}"
    r"|(?<![^\s\"'<])https?:" + _URL_HOST + r"(?=[/?#]|:[0-9])" + _URL_CHARS + r"{0,2048}"
    r")"
)
_URL_TRAIL = ".,;:!?'\"*"


def _url_trim(text: str, s: int, e: int) -> tuple[int, int]:
    # Trailing sentence punctuation and unbalanced closing brackets are not part of the
    # URL ("see (https://x.org/a_(b))." keeps the inner pair).
    while e > s:
        ch = text[e - 1]
        unbalanced = ch in ")]" and text.count("(["[")]".index(ch)], s, e) < text.count(ch, s, e)
        if ch not in _URL_TRAIL and not unbalanced:
            break
        e -= 1
    return s, e


def _url_host_ok(value: str) -> bool:
    value = value.translate(_NO_TAB)
    host = re.split(r"[/\\?]", re.sub(r"(?i)^(?:https?:)?[\\/]*", "", value), maxsplit=1)[0]
    host = host.rsplit("@", 1)[-1].split(":", 1)[0]
    if "." not in host.strip(".") and not host.startswith("[") and host != "localhost":
        return False
    return not (value.lower().startswith("www.") and host.count(".") < 2)


_NO_TAB = str.maketrans("", "", "\t\n\r")

# ("tp:", "ps:": a scheme with no slash; a tab or newline: one inside the scheme or the "//")
URL = Recognizer(
    "url", "URL", _URL, 0.6, ("url", "link", "website", "site", "visit", "href", "page"),
    validator=_url_host_ok, trim=_url_trim,
    literals=("//", ":/", ":\\", "\\\\", "/\\", "\\/", "www.", "WWW.", "tp:", "ps:", "TP:", "PS:", "\t", "\n", "\r"),
)  # fmt: skip

_MAC = re.compile(
    r"(?<![\w:\-.])(?:[0-9A-Fa-f]{2}([:\-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}"
    r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![\w:\-]|\.[0-9A-Za-z])"
)


def _mac_ok(value: str) -> bool:
    # "1234.5678.9012" is more often a number than a Cisco-style MAC
    if "." in value and not any(c in "abcdefABCDEF" for c in value):
        return False
    # all zeros (no address: psutil, ip link) and all ones (the broadcast address) name no device
    hexdigits = {c.lower() for c in value if c not in ":-."}
    return hexdigits != {"0"} and hexdigits != {"f"}


MAC = Recognizer(
    "mac", "MAC_ADDRESS", _MAC, 0.8, ("mac", "hardware", "ethernet", "wifi", "wi-fi", "bssid", "device", "nic"),
    validator=_mac_ok, literals=(":", "-", "."),
)  # fmt: skip

_CTX_IP = ("ip", "ipv4", "ipv6", "address", "addr", "host", "server", "client", "from", "gateway")
# Not glued to a word of a script that spaces its words (the cards' boundary, ``payment._WORD``):
# Chinese, Japanese or Thai text runs straight into an address ("IPアドレスは10.0.0.5です").
_IPV4 = re.compile(rf"(?<![{_WORD}_.\-])(?:[0-9]{{1,3}}\.){{3}}[0-9]{{1,3}}(?![{_WORD}_\-]|\.[0-9])")
_IPV6 = re.compile(
    rf"(?<![{_WORD}_:.])(?:[0-9A-Fa-f]{{0,4}}:){{2,7}}(?:(?:[0-9]{{1,3}}\.){{3}}[0-9]{{1,3}}|[0-9A-Fa-f]{{1,4}})?"
    rf"(?:%[A-Za-z0-9_.]{{1,16}})?(?![{_WORD}_:])"
)
# Dotted quads right after these words are versions or document numbering, not hosts.
# "version" and "revision" also as part of a name ("__version__ = '1.1.1.2'", "--patch_revision=",
# "Standards-Version: to 4.6.0.1"); the value may be quoted.
_NOT_IP_BEFORE = re.compile(
    r"(?i)(?:\bv|\bver\.?|(?<![A-Za-z0-9])version(?:__)?(?:\s{0,3}:?\s{1,3}to)?|\brelease|\brel\.?|\bbuild"
    r"|(?<![A-Za-z0-9])rev(?:ision)?|\bfirmware|\bfw|\bupdate"
    r"|\bsection|\bsect?\.|\bchapter|\bch\.|\bclause|\barticle|\bart\.|\bfig(?:ure)?\.?|\btable|\bstep"
    r"|\bitem|\bpart|\brule|\bparagraph|\bpara\.?|§|\bchanges\s{1,3}(?:in|since|for)|\bbuild-deps?\s{1,3}to"
    r"|\b(?:up|down)grade[ds]?\s{1,3}to|\bbump(?:ed|s)?\s{1,3}to)"
    r"\s{0,3}[:#=]?\s{0,3}['\"]?$"
    # package pins: "foo==1.2.3.4", "foo>=1.2.3.4", "foo~=…", "<5.0,>=3.7.4.1", "(>= 1.2.99.2)"
    # (not "@": "ssh root@10.0.0.5")
    r"|[A-Za-z0-9_\]\-,(]\s{0,2}(?:===?|[<>!~]=|\^|~>?)\s{0,2}$"
)
# "Update from 1.2.99.2 to 1.2.99.4", "Bump foo from 1.2.3.4 to 1.2.3.5": both quads are versions;
# "connection from 10.0.0.1 to 10.0.0.2" has no update verb and keeps its hosts.
_QUAD = r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}"
_VERSION_STEP = re.compile(
    r"(?i)\b(?:update[ds]?|(?:up|down)grade[ds]?|bump(?:ed|s)?)\s{1,3}(?:[\w.\-]{1,40}\s{1,3})?from\s{1,3}"
    rf"({_QUAD})\s{{1,3}}to\s{{1,3}}({_QUAD})(?![\w\-]|\.[0-9])"
)
# a changelog heading: a release and its date in brackets ("0.2.7.1 (2013-10-22)",
# "Changes in 1.2.7.3 (13 Apr 2013)")
_RELEASE_DATE_AFTER = re.compile(
    r"\s{0,3}[(\[]\s{0,2}(?:[12][0-9]{3}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}\s[A-Za-z]{3,9}\.?,?\s[12][0-9]{3}"
    r"|[A-Za-z]{3,9}\.?\s[0-9]{1,2},?\s[12][0-9]{3})\s{0,2}[)\]]"
)

# ... and right after a product token's slash they are versions in user agents and package
# pins ("Chrome/124.0.0.0", "Edg/124.0.2478.51"); "http://" ends in "//", so URLs keep theirs
_PRODUCT_SLASH = re.compile(r"[A-Za-z][A-Za-z0-9_\-]{0,30}/$")


def _not_a_version(text: str, start: int, end: int) -> tuple[int, int] | None:
    if _NOT_IP_BEFORE.search(text, max(0, start - 24), start) or _RELEASE_DATE_AFTER.match(text, end):
        return None
    for m in _VERSION_STEP.finditer(text, max(0, start - 80), min(len(text), end + 24)):
        if start in (m.start(1), m.start(2)):
            return None
    return None if _PRODUCT_SLASH.search(text, max(0, start - 32), start) else (start, end)


# Addresses no host is reached at, so they identify no one: "this network" (0.0.0.0/8,
# "bind to 0.0.0.0"), loopback (127.0.0.0/8), and netmasks (255.x with contiguous bits, the
# broadcast 255.255.255.255 among them). The documentation ranges (RFC 5737) stay: tests and
# examples use them as the stand-in for a real address.
_NO_HOST_V4 = (ipaddress.IPv4Network("0.0.0.0/8"), ipaddress.IPv4Network("127.0.0.0/8"))


def _ipv4_names_no_host(addr: ipaddress.IPv4Address) -> bool:
    """Whether ``addr`` is a "this network", loopback or netmask address (see :data:`_NO_HOST_V4`).

    >>> [_ipv4_names_no_host(ipaddress.IPv4Address(a)) for a in ("127.0.0.1", "255.255.255.0", "255.1.2.3", "10.0.0.1")]
    [True, True, False, False]
    """
    if any(addr in net for net in _NO_HOST_V4):
        return True
    host_bits = ~int(addr) & 0xFFFFFFFF
    return int(addr) >= 0xFF000000 and host_bits & (host_bits + 1) == 0


def _ipv4_ok(value: str) -> bool:
    try:
        addr = ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return not _ipv4_names_no_host(addr)


# A subscript's slice ("segments[::2]", "a[1::3]", "rows[b::2]"): right after a name or a
# closing bracket, "[" indexes; an address in brackets follows "//", a space or a quote.
_SUBSCRIPT_BEFORE = re.compile(r"[\w)\]]\[")
# "::2", "1::3": a slice step, not an address; "::1" (loopback) is written so and is one
_SHORT_V6 = re.compile(r"[0-9]{0,2}::[0-9]{1,2}")


def _ipv6_candidates(text: str, _taken: Sequence[Finding]) -> Iterator[Span]:
    if "::" in text or text.count(":") >= 7:
        for m in _IPV6.finditer(text):
            if m.start() < 2 or _SUBSCRIPT_BEFORE.match(text, m.start() - 2) is None:
                yield m.span()


def _ipv6_ok(value: str) -> bool:
    if not any("0" <= c <= "9" for c in value):
        return False  # "::", "dead::beef", "Foo::Bar" read as code, not addresses
    if value != "::1" and _SHORT_V6.fullmatch(value):
        return False
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


IPV4 = Recognizer(
    "ipv4", "IP_ADDRESS", _IPV4, 0.8, _CTX_IP, validator=_ipv4_ok, literals=(".",), trim=_not_a_version,
    shields_phones=True, needs_digit=True,
)  # fmt: skip
IPV6 = Recognizer(
    "ipv6", "IP_ADDRESS", None, 0.85, _CTX_IP, validator=_ipv6_ok, find=_ipv6_candidates,
    shields_phones=True, needs_digit=True,
)  # fmt: skip
