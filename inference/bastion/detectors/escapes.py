r"""A decoded view of escaped text for the regex recognizers, with an offset map back.

Apps feed the guard serialised text: JSON logs and tool outputs (``"Card:\n4111..."``,
``"jos\u00e9@..."``), HTML (``4111&nbsp;1111...``, ``jane&#64;example.com``) and URLs in
access logs (``jane.doe%40example.com``, ``card%3A%204111...``). Read as they stand, the
letter of an escape is glued to the value after it (``\n4111...`` is not a card: the digits
follow a letter) or the value is split by an entity, so identifiers and secrets there were
missed. The rules read the decoded characters instead; every finding maps back to the
characters of the original escapes, so offsets still point into the caller's string and
a redaction covers the escape sequences whole.

Only the regex layer reads this view: the models were trained on text as it comes, and a
Windows path or LaTeX (``C:\new``, ``\theta``) decoded would be new to them.

>>> d = decode_escapes('{"body": "Card:\\n4111 1111 1111 1111"}')
>>> d.text
'{"body": "Card:\n4111 1111 1111 1111"}'
>>> d.to_original(16, 35)
(17, 36)
>>> decode_escapes("no escapes here") is None
True
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from html.entities import html5

# JSON / C string escapes, HTML character references and percent-encoded bytes, each
# bounded but for a numeric reference's leading zeros, which HTML takes in any number
# ("&#x000002f;" is "/"); they are one unambiguous run, so the scan stays linear.
_ESCAPE = re.compile(
    r"\\(?:u[0-9a-fA-F]{4}|[nrtbf\"/\\])"
    r"|&(?:#0*[1-9][0-9]{0,6}|#[xX]0*[1-9a-fA-F][0-9a-fA-F]{0,5}|[A-Za-z][A-Za-z0-9]{1,31});"
    r"|%[0-9A-Fa-f]{2}"
)
_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "b": " ", "f": " ", '"': '"', "/": "/", "\\": "\\"}
_HINTS = ("\\", "&", "%")


@dataclass(frozen=True, slots=True)
class Decoded:
    """The decoded text and, per decoded character, the original span it came from."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    original_length: int

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """An end-exclusive span of the decoded text as a span of the original."""
        n = len(self.text)
        if n == 0:
            return 0, 0
        start = min(max(start, 0), n)
        end = min(max(end, start), n)
        if start == end:
            pos = self.starts[start] if start < n else self.original_length
            return pos, pos
        return self.starts[start], self.ends[end - 1]


def _char(match: str, text: str, pos: int) -> tuple[str | None, int]:
    """The character an escape stands for (None: leave it as written) and, for a JSON
    surrogate pair, how many more original characters it took."""
    if match[0] == "\\":
        if match[1] != "u":
            return _SIMPLE[match[1]], 0
        code = int(match[2:], 16)
        if 0xD800 <= code < 0xDC00:
            low = text[pos + 6 : pos + 12]
            if len(low) == 6 and low[:2] == "\\u" and _is_hex(low[2:]):
                code2 = int(low[2:], 16)
                if 0xDC00 <= code2 < 0xE000:
                    return chr(0x10000 + ((code - 0xD800) << 10) + (code2 - 0xDC00)), 6
            return None, 0
        if 0xDC00 <= code < 0xE000:
            return None, 0
        return chr(code), 0
    if match[0] == "&":
        body = match[1:-1]
        if body[0] == "#":
            try:
                code = int(body[2:], 16) if body[1] in "xX" else int(body[1:])
            except ValueError:
                return None, 0
            if code == 0 or code > 0x10FFFF or 0xD800 <= code < 0xE000:
                return None, 0
            return chr(code), 0
        value = html5.get(body + ";")
        # one character only (a few entities stand for two), so the map stays per character
        return (value if value is not None and len(value) == 1 else None), 0
    code = int(match[1:], 16)
    # printable ASCII only: a lone byte of a UTF-8 sequence is not a character
    return (chr(code) if 0x20 <= code < 0x7F else None), 0


def _is_hex(s: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in s)


def decode_escapes(text: str) -> Decoded | None:
    r"""``text`` with JSON/C escapes, HTML character references and percent-encoded
    printable ASCII decoded, or None when it has none (the common case, no map built).

    >>> d = decode_escapes("mail jane&#64;example.com or bob%40example.org")
    >>> d.text, d.to_original(5, 21)
    ('mail jane@example.com or bob@example.org', (5, 25))
    >>> decode_escapes(r"a \\n stays a backslash and n").text
    'a \\n stays a backslash and n'
    """
    if not any(h in text for h in _HINTS):
        return None
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    changed = False
    for m in _ESCAPE.finditer(text):
        s, e = m.span()
        if s < pos:
            continue  # the second half of a surrogate pair already taken
        ch, extra = _char(m.group(), text, s)
        if ch is None:
            continue
        # "&nbsp;" reads as the space the normaliser makes of a raw no-break space
        ch = unicodedata.normalize("NFKC", ch) if len(unicodedata.normalize("NFKC", ch)) == 1 else ch
        for k in range(pos, s):
            out.append(text[k])
            starts.append(k)
            ends.append(k + 1)
        out.append(ch)
        starts.append(s)
        ends.append(e + extra)
        pos = e + extra
        changed = True
    if not changed:
        return None
    for k in range(pos, len(text)):
        out.append(text[k])
        starts.append(k)
        ends.append(k + 1)
    return Decoded("".join(out), tuple(starts), tuple(ends), len(text))
