"""Key loading for the audit HMAC and the vault.

Keys come from the environment or from a key file; never from the database. The audit
key's lookup order and its generated default live in :mod:`bastion.home`; the HMAC
construction in :mod:`bastion.fingerprint` (re-exported here). A key file
must be readable by its owner only (refused with :class:`ConfigError` otherwise) and must
not sit in the same directory as the SQLite database it protects (a backup or copy of
that directory would carry the key along with the ciphertext).
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bastion.errors import ConfigError
from bastion.fingerprint import frame, hmac_hex
from bastion.home import AUDIT_KEY_ENV, AUDIT_KEY_FILE_ENV, load_audit_key, read_key_file

VAULT_KEY_ENV = "BASTION_VAULT_KEY"
VAULT_KEY_FILE_ENV = "BASTION_VAULT_KEY_FILE"


def audit_hmac_key(
    key_file: str | os.PathLike[str] | None = None, *, data_path: Path | None = None, create: bool = False
) -> bytes:
    """The key for HMACs of checked texts and (derived) the audit chain's MACs:
    ``key_file``, ``$BASTION_AUDIT_HMAC_KEY`` (any string), ``$BASTION_AUDIT_HMAC_KEY_FILE``
    or ``$BASTION_HOME/audit.key``; with ``create=True`` the last one is generated when
    nothing is configured (see :func:`bastion.home.load_audit_key`)."""
    return load_audit_key(create=create, key_file=key_file, data_path=data_path)


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


__all__ = [
    "AUDIT_KEY_ENV",
    "AUDIT_KEY_FILE_ENV",
    "VAULT_KEY_ENV",
    "VAULT_KEY_FILE_ENV",
    "audit_hmac_key",
    "derive",
    "frame",
    "hmac_hex",
    "new_vault_key",
    "parse_vault_key",
    "read_key_file",
    "vault_key",
]
