"""Where bastion keeps its state: one database URL and one audit key for every component.

``BASTION_HOME`` (default ``$XDG_DATA_HOME/bastion``, i.e. ``~/.local/share/bastion``)
holds ``bastion.db``, the SQLite database for API keys, the audit trail, consent and the
vault, and ``audit.key``, the audit HMAC key (generated on first use). The directory is
created 0700 and both files 0600.

``BASTION_DB_URL`` points every component at another database (a SQLite file or
PostgreSQL); ``BASTION_STORE_URL`` is its deprecated old name for the audit store.
``BASTION_AUDIT_HMAC_KEY`` (the key itself) or ``BASTION_AUDIT_HMAC_KEY_FILE`` (a 0600
file) replace the generated key.

Stdlib only: the API and the CLI resolve locations without the store extra.

>>> import os, tempfile
>>> os.environ["BASTION_HOME"] = tempfile.mkdtemp()
>>> loc = resolve_db_url()
>>> loc.is_default, loc.url == "sqlite:///" + str(bastion_home() / "bastion.db")
(True, True)
>>> del os.environ["BASTION_HOME"]
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from bastion.errors import ConfigError

HOME_ENV = "BASTION_HOME"
DB_URL_ENV = "BASTION_DB_URL"
LEGACY_STORE_URL_ENV = "BASTION_STORE_URL"
AUDIT_KEY_ENV = "BASTION_AUDIT_HMAC_KEY"
AUDIT_KEY_FILE_ENV = "BASTION_AUDIT_HMAC_KEY_FILE"
DB_FILE = "bastion.db"
AUDIT_KEY_FILE = "audit.key"
MIN_AUDIT_KEY_BYTES = 16

NO_AUDIT_KEY = (
    f"no audit HMAC key: set {AUDIT_KEY_ENV} or {AUDIT_KEY_FILE_ENV} (a 0600 file), "
    "or run `bastion audit init` to generate one"
)

Source = Literal["argument", "BASTION_DB_URL", "BASTION_STORE_URL", "default"]


def bastion_home() -> Path:
    """``$BASTION_HOME``, else ``$XDG_DATA_HOME/bastion``, else ``~/.local/share/bastion``
    (a relative ``XDG_DATA_HOME`` is ignored, as the XDG spec asks)."""
    explicit = os.environ.get(HOME_ENV)
    if explicit:
        return Path(explicit).expanduser().absolute()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "bastion"


def ensure_home() -> Path:
    """Create the home directory (0700) if missing; return it. An existing ``BASTION_HOME``
    keeps its mode (it may be a directory the user chose on purpose, such as a mounted
    volume); the XDG default is tightened to 0700, and ``bastion.db`` there to 0600,
    because before schema 0004 the API created them 0755 and 0644."""
    home = bastion_home()
    if not home.is_dir():
        try:
            home.parent.mkdir(parents=True, exist_ok=True)
            home.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the bastion home {home}: {exc.strerror} (set {HOME_ENV})"
            ) from None
    elif not os.environ.get(HOME_ENV):
        _tighten(home, 0o700)
    for name in (DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm"):
        _tighten(home / name, 0o600)
    return home


def _tighten(path: Path, mode: int) -> None:
    """Drop permission bits outside ``mode`` from a path we own (never a link, never
    someone else's file)."""
    with contextlib.suppress(OSError):
        st = path.lstat()
        if st.st_uid == os.getuid() and not stat.S_ISLNK(st.st_mode) and st.st_mode & 0o077:
            path.chmod(stat.S_IMODE(st.st_mode) & mode)


def default_db_path() -> Path:
    return bastion_home() / DB_FILE


@dataclass(frozen=True, slots=True)
class DbLocation:
    """A resolved database URL and where it came from (``is_default``: the home's
    ``bastion.db``, which commands create and migrate on first use)."""

    url: str
    source: Source

    @property
    def is_default(self) -> bool:
        return self.source == "default"


def _masked(url: str) -> str:
    """``url`` with its password hidden (``bastion.store.urls.safe_url``, which also reads
    query parameters, when the store extra is installed: bastion.store imports this module,
    and a base install has no SQLAlchemy)."""
    try:
        from bastion.store.urls import safe_url
    except ImportError:
        import re

        return re.sub(r"(//[^:/@]{0,256}:)[^@]{0,1024}@", r"\1***@", url)
    return safe_url(url)


def resolve_db_url(explicit: str | None = None) -> DbLocation:
    """The one database URL for keys, audit, consent and vault: ``explicit`` (a ``--db``
    flag), else ``$BASTION_DB_URL``, else the deprecated ``$BASTION_STORE_URL`` (with a
    warning), else ``sqlite:///$BASTION_HOME/bastion.db``.

    Both variables set to different URLs is a :class:`ConfigError`: they used to mean API
    keys and audit trail apart, and picking one silently would move the audit trail.

    >>> resolve_db_url("sqlite:///x.db").source
    'argument'
    """
    if explicit:
        return DbLocation(explicit, "argument")
    db_url = os.environ.get(DB_URL_ENV) or None
    legacy = os.environ.get(LEGACY_STORE_URL_ENV) or None
    if legacy is not None:
        if db_url is not None and db_url != legacy:
            raise ConfigError(
                f"{LEGACY_STORE_URL_ENV} ({_masked(legacy)}) and {DB_URL_ENV} ({_masked(db_url)}) differ: API keys, "
                f"audit trail and vault now share one database; set {DB_URL_ENV} only"
            )
        if db_url is None:
            warnings.warn(
                f"{LEGACY_STORE_URL_ENV} is deprecated: set {DB_URL_ENV} instead "
                "(one database for API keys, audit trail and vault)",
                FutureWarning,
                stacklevel=2,
            )
            return DbLocation(legacy, "BASTION_STORE_URL")
    if db_url is not None:
        return DbLocation(db_url, "BASTION_DB_URL")
    return DbLocation(f"sqlite:///{default_db_path()}", "default")


# --- the audit key ---------------------------------------------------------------------


def audit_key_path() -> Path:
    return bastion_home() / AUDIT_KEY_FILE


def read_key_file(path: str | os.PathLike[str], *, data_path: Path | None = None) -> bytes:
    """The bytes of an owner-only key file (trailing whitespace stripped, except from a
    32-byte raw key). Refused when group/other can read it, and when it sits next to the
    SQLite database ``data_path`` (a copy of that directory would carry both)."""
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
    except OSError as exc:
        raise ConfigError(f"cannot read key file {p}: {exc.strerror}") from None
    # A 32-byte file is a raw binary key: stripping would eat key bytes that happen to be
    # whitespace (\t, \r, \x0b, \x0c); text keys end with a newline instead.
    return data if len(data) == 32 else data.strip()


def _check_audit_key(key: bytes, source: str) -> bytes:
    if len(key) < MIN_AUDIT_KEY_BYTES:
        raise ConfigError(f"the audit HMAC key from {source} must be at least {MIN_AUDIT_KEY_BYTES} bytes")
    return key


def configured_audit_key(
    key_file: str | os.PathLike[str] | None = None, *, data_path: Path | None = None
) -> bytes | None:
    """The audit key the user configured, or None: ``key_file``, else
    ``$BASTION_AUDIT_HMAC_KEY`` (the key itself), else ``$BASTION_AUDIT_HMAC_KEY_FILE``,
    else ``$BASTION_HOME/audit.key`` if it exists. ``data_path`` (a SQLite database) must
    not share a directory with a key file the user named; the home's generated key is the
    documented exception."""
    if key_file is not None:
        return _check_audit_key(read_key_file(key_file, data_path=data_path), str(key_file))
    env = os.environ.get(AUDIT_KEY_ENV)
    if env:
        return _check_audit_key(env.encode(), AUDIT_KEY_ENV)
    named = os.environ.get(AUDIT_KEY_FILE_ENV)
    if named:
        return _check_audit_key(read_key_file(named, data_path=data_path), named)
    path = audit_key_path()
    if path.exists():
        return _check_audit_key(read_key_file(path), str(path))
    return None


def load_audit_key(
    *,
    create: bool = False,
    key_file: str | os.PathLike[str] | None = None,
    data_path: Path | None = None,
    notice: TextIO | None = None,
) -> bytes:
    """The audit HMAC key (see :func:`configured_audit_key`). With ``create=True`` and
    nothing configured, a new random key is written to ``$BASTION_HOME/audit.key`` (0600)
    and one line says so on ``notice`` (stderr); otherwise that case is a
    :class:`ConfigError` naming the fix.

    >>> import os, tempfile
    >>> os.environ["BASTION_HOME"] = tempfile.mkdtemp() + "/h"
    >>> k = load_audit_key(create=True, notice=open(os.devnull, "w"))
    >>> k == load_audit_key(), oct(audit_key_path().stat().st_mode & 0o777)
    (True, '0o600')
    >>> del os.environ["BASTION_HOME"]
    """
    key = configured_audit_key(key_file, data_path=data_path)
    if key is not None:
        return key
    if not create:
        raise ConfigError(NO_AUDIT_KEY)
    return _generate_audit_key(notice)


def _generate_audit_key(notice: TextIO | None) -> bytes:
    ensure_home()
    path = audit_key_path()
    key = secrets.token_urlsafe(32).encode("ascii")
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            # link() fails if the name exists: two processes generating at once agree on
            # whichever key landed first, and nobody ever reads a half-written file
            os.link(tmp, path)
        except FileExistsError:
            return _check_audit_key(read_key_file(path), str(path))
    except OSError as exc:
        raise ConfigError(f"cannot write the audit key {path}: {exc.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    print(
        f"bastion: generated the audit key {path} (0600); back it up apart from the database: "
        "without it the audit trail cannot be verified",
        file=notice if notice is not None else sys.stderr,
    )
    return key
