"""API keys in the store's database: created by Alembic migration 0004 (not ``create_all``),
key databases made by the old ``create_all`` upgrade in place, new files are 0600; on
SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timezone

import pytest
from bastion.api.keys import KeyStore
from bastion.errors import ConfigError
from bastion.store import PrivacyStore, migrate
from bastion.store.db import create_store_engine, parse_url
from helpers_store import table_names, url_fixture
from sqlalchemy import DateTime, String, create_engine, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


@pytest.fixture(autouse=True)
def empty_home(monkeypatch, tmp_path):
    monkeypatch.setenv("BASTION_HOME", str(tmp_path / "home"))
    for name in ("BASTION_DB_URL", "BASTION_STORE_URL", "BASTION_AUDIT_HMAC_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)


url = url_fixture()


def test_keys_table_comes_from_migration_0004(url):
    migrate.upgrade(url, "0003")
    assert "bastion_api_keys" not in table_names(url)
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.HEAD and "bastion_api_keys" in table_names(url)
    migrate.downgrade(url, "0003")
    assert "bastion_api_keys" not in table_names(url)


def test_keystore_migrates_a_fresh_database_and_shares_it_with_the_store(url):
    ks = KeyStore(url)
    try:
        rec, key = ks.create("svc")
        assert migrate.current(url) == migrate.HEAD
        # one database: the audit trail opens on the same URL without migrating it
        with PrivacyStore(url, migrate=False, audit_key=b"k" * 32) as store:
            store.audit.append("startup", key_id=rec.id)
            assert store.verify().ok
        assert ks.verify(key).status == "ok" and [r.id for r in ks.list()] == [rec.id]
        assert ks.revoke(rec.id) and ks.revoke(rec.id) and not ks.revoke("nope")
        assert ks.verify(key).status == "revoked"
        assert ks.list()[0].revoked_at is not None and ks.list()[0].created_at.tzinfo is not None
    finally:
        ks.close()


class _OldBase(DeclarativeBase):
    pass


class _OldKeyRow(_OldBase):
    # bastion.api.keys before schema 0004, verbatim: the table was made by create_all
    __tablename__ = "bastion_api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    salt: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


def _old_key(url: str, *, revoked: bool = False) -> str:
    engine = create_engine(parse_url(url))
    try:
        _OldBase.metadata.create_all(engine)
        key_id, secret, salt = secrets.token_hex(6), secrets.token_urlsafe(32), secrets.token_bytes(16)
        digest = hmac.new(salt, secret.encode(), hashlib.sha256).hexdigest()
        now = datetime.now(timezone.utc)
        with Session(engine) as s, s.begin():
            s.add(
                _OldKeyRow(
                    id=key_id,
                    name="old",
                    salt=salt.hex(),
                    digest=digest,
                    created_at=now,
                    revoked_at=now if revoked else None,
                )
            )
    finally:
        engine.dispose()
    return f"bst_{key_id}_{secret}"


def test_a_create_all_key_database_upgrades_in_place(url):
    active, revoked = _old_key(url), _old_key(url, revoked=True)
    assert migrate.current(url) is None
    ks = KeyStore(url)
    try:
        assert migrate.current(url) == migrate.HEAD
        assert ks.verify(active).status == "ok" and ks.verify(revoked).status == "revoked"
        assert sorted(r.name for r in ks.list()) == ["old", "old"]
        rec, key = ks.create("new")
        assert ks.verify(key).status == "ok"
    finally:
        ks.close()
    with PrivacyStore(url, migrate=False, audit_key=b"k" * 32) as store:
        assert store.verify().ok  # the store's tables came with the upgrade


def test_a_foreign_table_of_the_same_name_is_not_adopted(url):
    engine = create_store_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bastion_api_keys (id VARCHAR(10) PRIMARY KEY, token TEXT)"))
    engine.dispose()
    with pytest.raises(ConfigError, match="not adopted"):
        KeyStore(url)


def test_new_sqlite_key_database_is_owner_only(tmp_path):
    # regression: create_all made keys.db 0644 (readable by every local user)
    db = tmp_path / "keys.db"
    KeyStore(f"sqlite:///{db}").close()
    assert db.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("bad_url", "message"),
    [
        ("not a url", "invalid database URL"),
        ("mysql://u@localhost/db", "unsupported database"),
        ("sqlite:////nonexistent-dir-bastion/k.db", "does not exist"),
        ("postgresql://bob:s3cret-pw@127.0.0.1:1/none", "cannot open key database"),
    ],
)
def test_bad_key_database_urls_are_one_line_config_errors(bad_url, message):
    with pytest.raises(ConfigError, match=message) as exc:
        KeyStore(bad_url)
    assert "s3cret-pw" not in str(exc.value)


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, "evil\n0000deadbeef\tadmin", "a\x1bb"])
def test_bad_key_names(name):
    ks = KeyStore("sqlite://")
    try:
        with pytest.raises(ConfigError):
            ks.create(name)
    finally:
        ks.close()


def test_the_default_location_is_created_on_first_use(monkeypatch, tmp_path):
    # what `bastion serve` passes on a fresh machine (settings.db_url is the home's file)
    monkeypatch.delenv("BASTION_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    home = tmp_path / "user" / ".local" / "share" / "bastion"
    KeyStore(f"sqlite:///{home / 'bastion.db'}").close()
    assert home.stat().st_mode & 0o777 == 0o700 and (home / "bastion.db").stat().st_mode & 0o777 == 0o600
