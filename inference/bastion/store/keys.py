"""Key loading for the audit HMAC and the vault.

Keys come from the environment or from a key file; never from the database. A key file
must be readable by its owner only (refused with :class:`ConfigError` otherwise) and must
not sit in the same directory as the SQLite database it protects (a backup or copy of
that directory would carry the key along with the ciphertext).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bastion.errors import ConfigError

AUDIT_KEY_ENV = "BASTION_AUDIT_HMAC_KEY"
AUDIT_KEY_FILE_ENV = "BASTION_AUDIT_HMAC_KEY_FILE"
VAULT_KEY_ENV = "BASTION_VAULT_KEY"
VAULT_KEY_FILE_ENV = "BASTION_VAULT_KEY_FILE"


def read_key_file(path: str | os.PathLike[str], *, data_path: Path | None = None) -> bytes:
    """The bytes of an owner-only key file (trailing whitespace stripped)."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise ConfigError(f"cannot read key file {p}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"key file {p} is not a regular file")
    if st.st_mode & 0o077:
        raise ConfigError(
            f"key file {p} has permissions {stat.S_IMODE(st.st_mode):04o}; it must be 0600 (chmod 600 {p})"
        )
    if data_path is not None and p.resolve().parent == data_path.resolve().parent:
        raise ConfigError(
            f"key file {p} is in the same directory as the database {data_path}; keep them apart"
        )
    try:
        data = p.read_bytes()
        # A 32-byte file is a raw binary key: stripping would eat key bytes that happen to be
        # whitespace (\t, \r, \x0b, \x0c); text keys (base64) end with a newline instead.
        return data if len(data) == 32 else data.strip()
    except OSError as exc:
        raise ConfigError(f"cannot read key file {p}: {exc.strerror}") from None


def audit_hmac_key(key_file: str | os.PathLike[str] | None = None, *, data_path: Path | None = None) -> bytes:
    """The key for HMACs of checked texts: ``$BASTION_AUDIT_HMAC_KEY`` (any string), else
    the key file given or named by ``$BASTION_AUDIT_HMAC_KEY_FILE``."""
    env = os.environ.get(AUDIT_KEY_ENV)
    if key_file is None and env:
        key = env.encode()
    else:
        key_file = key_file or os.environ.get(AUDIT_KEY_FILE_ENV)
        if not key_file:
            raise ConfigError(
                f"the audit trail needs an HMAC key: set {AUDIT_KEY_ENV} or {AUDIT_KEY_FILE_ENV} (a 0600 file)"
            )
        key = read_key_file(key_file, data_path=data_path)
    if len(key) < 16:
        raise ConfigError("the audit HMAC key must be at least 16 bytes")
    return key


def vault_key(key_file: str | os.PathLike[str] | None = None, *, data_path: Path | None = None) -> bytes:
    """The 32-byte vault master key: ``$BASTION_VAULT_KEY`` (base64), else the key file
    given or named by ``$BASTION_VAULT_KEY_FILE`` (base64 text or 32 raw bytes)."""
    env = os.environ.get(VAULT_KEY_ENV)
    if key_file is None and env:
        raw, source = env.encode(), VAULT_KEY_ENV
    else:
        key_file = key_file or os.environ.get(VAULT_KEY_FILE_ENV)
        if not key_file:
            raise ConfigError(
                f"the vault needs a key: set {VAULT_KEY_ENV} (base64 of 32 bytes) or {VAULT_KEY_FILE_ENV} (a 0600 file)"
            )
        raw, source = read_key_file(key_file, data_path=data_path), str(key_file)
    return parse_vault_key(raw, source)


def parse_vault_key(raw: str | bytes, source: str = "argument") -> bytes:
    """A 32-byte key from base64 text, or from 32 raw bytes."""
    if isinstance(raw, str):
        raw = raw.strip().encode()
    if len(raw) == 32 and not _looks_base64(raw):
        return raw
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"vault key from {source} is not valid base64") from None
    if len(key) != 32:
        raise ConfigError(f"vault key from {source} must decode to 32 bytes, got {len(key)}")
    return key


def _looks_base64(raw: bytes) -> bool:
    try:
        return len(base64.b64decode(raw, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def new_vault_key() -> str:
    """A fresh base64 vault key, for ``BASTION_VAULT_KEY`` or a key file."""
    return base64.b64encode(os.urandom(32)).decode()


def derive(master: bytes, purpose: str) -> bytes:
    """Independent 32-byte subkeys (encryption vs lookup HMAC) from one master key."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"bastion/{purpose}".encode()).derive(
        master
    )


def frame(*parts: str) -> bytes:
    """Length-prefixed encoding of several strings, so ("ab", "c") and ("a", "bc") differ."""
    out = bytearray()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        out += len(data).to_bytes(8, "big") + data
    return bytes(out)


def hmac_hex(key: bytes, *parts: str) -> str:
    """HMAC-SHA256 over the :func:`frame` of ``parts``."""
    return hmac.new(key, frame(*parts), hashlib.sha256).hexdigest()
