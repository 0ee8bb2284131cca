"""Keyed fingerprints: the one HMAC construction behind every ``text_hmac``.

The JSON audit log of the API and the store's audit trail both fingerprint a checked
text with :func:`text_fingerprint` and the audit HMAC key, so the same key gives the same
value in both places and a log line can be matched to its audit row. Stdlib only.

>>> text_fingerprint(b"k" * 32, "hello") == hmac_hex(b"k" * 32, "hello")
True
>>> hmac_hex(b"k" * 32, "ab", "c") == hmac_hex(b"k" * 32, "a", "bc")
False
"""

from __future__ import annotations

import hashlib
import hmac


def frame(*parts: str) -> bytes:
    """Length-prefixed UTF-8 encoding of several strings, so ("ab", "c") and ("a", "bc")
    differ. Lone surrogates (from ``surrogateescape`` decoding) are kept, not rejected."""
    out = bytearray()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        out += len(data).to_bytes(8, "big") + data
    return bytes(out)


def hmac_hex(key: bytes, *parts: str) -> str:
    """HMAC-SHA256 over the :func:`frame` of ``parts``, as 64 hex digits."""
    return hmac.new(key, frame(*parts), hashlib.sha256).hexdigest()


def text_fingerprint(key: bytes, text: str) -> str:
    """The keyed fingerprint of one checked text (``text_hmac`` in logs and the audit trail)."""
    return hmac_hex(key, text)
