"""One place for stores and keys (issues 14, 15): ``BASTION_HOME``, the one database URL,
the generated audit key, and one text fingerprint for the JSON log and the audit trail."""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import pytest
from bastion import home
from bastion.errors import ConfigError
from bastion.fingerprint import hmac_hex, text_fingerprint
from helpers_run import run_threads

ENV = (
    "BASTION_HOME",
    "XDG_DATA_HOME",
    "BASTION_DB_URL",
    "BASTION_STORE_URL",
    "BASTION_AUDIT_HMAC_KEY",
    "BASTION_AUDIT_HMAC_KEY_FILE",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "user"))


# --- locations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "user/.local/share/bastion"),
        ({"XDG_DATA_HOME": "{tmp}/xdg"}, "xdg/bastion"),
        ({"XDG_DATA_HOME": "relative/xdg"}, "user/.local/share/bastion"),  # ignored, as the spec says
        ({"XDG_DATA_HOME": "{tmp}/xdg", "BASTION_HOME": "{tmp}/mine"}, "mine"),
    ],
)
def test_bastion_home(monkeypatch, tmp_path, env, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(tmp=tmp_path))
    assert home.bastion_home() == tmp_path / expected
    assert home.resolve_db_url().url == f"sqlite:///{tmp_path / expected / 'bastion.db'}"


@pytest.mark.parametrize(
    ("flag", "env", "url", "source"),
    [
        (None, {}, None, "default"),
        ("sqlite:///flag.db", {"BASTION_DB_URL": "sqlite:///env.db"}, "sqlite:///flag.db", "argument"),
        (None, {"BASTION_DB_URL": "sqlite:///env.db"}, "sqlite:///env.db", "BASTION_DB_URL"),
        (
            None,
            {"BASTION_DB_URL": "sqlite:///same.db", "BASTION_STORE_URL": "sqlite:///same.db"},
            "sqlite:///same.db",
            "BASTION_DB_URL",
        ),
    ],
)
def test_resolve_db_url(monkeypatch, flag, env, url, source):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none of these is deprecated
        loc = home.resolve_db_url(flag)
    assert loc.source == source and loc.is_default == (source == "default")
    if url is not None:
        assert loc.url == url


def test_store_url_is_a_deprecated_alias(monkeypatch):
    monkeypatch.setenv("BASTION_STORE_URL", "sqlite:///old.db")
    with pytest.warns(FutureWarning, match="BASTION_DB_URL"):
        loc = home.resolve_db_url()
    assert (loc.url, loc.source) == ("sqlite:///old.db", "BASTION_STORE_URL")


def test_store_url_and_db_url_that_differ_are_refused(monkeypatch):
    # they used to mean keys vs audit trail: silently picking one would move the trail
    monkeypatch.setenv("BASTION_STORE_URL", "sqlite:///audit.db")
    monkeypatch.setenv("BASTION_DB_URL", "sqlite:///keys.db")
    with pytest.raises(ConfigError, match="differ"):
        home.resolve_db_url()


def test_store_default_url_is_the_home_database(monkeypatch, tmp_path):
    from bastion.store.db import default_url

    monkeypatch.setenv("BASTION_HOME", str(tmp_path / "h"))
    assert default_url() == f"sqlite:///{tmp_path / 'h' / 'bastion.db'}"
    assert (tmp_path / "h").stat().st_mode & 0o777 == 0o700  # created, owner-only


# --- the audit key -------------------------------------------------------------------------


def test_generated_key_is_private_stable_and_announced_once(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("BASTION_HOME", str(tmp_path / "h"))
    with pytest.raises(ConfigError, match="bastion audit init"):
        home.load_audit_key()  # no create: the fix is named, nothing is written
    assert not (tmp_path / "h").exists()

    key = home.load_audit_key(create=True)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "audit.key" in err and "0600" in err
    path = tmp_path / "h" / "audit.key"
    assert path.stat().st_mode & 0o777 == 0o600 and (tmp_path / "h").stat().st_mode & 0o777 == 0o700
    assert len(key) >= 32 and path.read_bytes().strip() == key

    assert home.load_audit_key(create=True) == key and home.load_audit_key() == key
    assert capsys.readouterr().err == ""  # announced only when generated
    assert list((tmp_path / "h").iterdir()) == [path]  # no temp files left behind


def test_concurrent_first_use_agrees_on_one_key(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("BASTION_HOME", str(tmp_path / "h"))
    barrier = threading.Barrier(8)
    keys: list[bytes] = []

    def first_use() -> None:
        barrier.wait()
        keys.append(home.load_audit_key(create=True))

    run_threads(first_use, [()] * 8)
    assert len(keys) == 8 and len(set(keys)) == 1
    assert sorted(p.name for p in (tmp_path / "h").iterdir()) == ["audit.key"]


def _write(path: Path, data: bytes, mode: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(mode)
    return path


@pytest.mark.parametrize(
    ("env_key", "env_file", "home_key", "expected"),
    [
        ("e" * 20, "f" * 20, "h" * 20, "e" * 20),  # the key itself wins
        (None, "f" * 20, "h" * 20, "f" * 20),  # then the named file
        (None, None, "h" * 20, "h" * 20),  # then the home's key
    ],
)
def test_audit_key_lookup_order(monkeypatch, tmp_path, env_key, env_file, home_key, expected):
    monkeypatch.setenv("BASTION_HOME", str(tmp_path / "h"))
    _write(tmp_path / "h" / "audit.key", home_key.encode() + b"\n", 0o600)
    if env_key:
        monkeypatch.setenv("BASTION_AUDIT_HMAC_KEY", env_key)
    if env_file:
        monkeypatch.setenv(
            "BASTION_AUDIT_HMAC_KEY_FILE", str(_write(tmp_path / "k" / "a.key", env_file.encode(), 0o600))
        )
    assert home.load_audit_key(create=True) == expected.encode()


@pytest.mark.parametrize(
    ("content", "mode", "message"),
    [
        (b"h" * 20, 0o644, "0644"),
        (b"short\n", 0o600, "at least 16 bytes"),
    ],
)
def test_bad_home_key_is_refused_not_replaced(monkeypatch, tmp_path, content, mode, message):
    monkeypatch.setenv("BASTION_HOME", str(tmp_path / "h"))
    path = _write(tmp_path / "h" / "audit.key", content, mode)
    with pytest.raises(ConfigError, match=message):
        home.load_audit_key(create=True)
    assert path.read_bytes() == content  # never overwritten


def test_home_key_works_for_the_store(monkeypatch, tmp_path):
    from bastion.store import PrivacyStore

    monkeypatch.setenv("BASTION_HOME", str(tmp_path / "h"))
    url = f"sqlite:///{tmp_path / 's.db'}"
    with PrivacyStore(url) as s, pytest.raises(ConfigError, match="bastion audit init"):
        s.audit.append("x")
    with PrivacyStore(url, create_audit_key=True) as s:
        s.audit.append("x")
        assert s.verify().ok
    key = (tmp_path / "h" / "audit.key").read_bytes().strip()
    with PrivacyStore(url, audit_key=key) as s:  # the same key, passed explicitly
        assert s.verify().ok


# --- one fingerprint -----------------------------------------------------------------------

KEY = b"audit-test-key-0123456789abcdef"


@pytest.mark.parametrize("text", ["", "hello", "ünïcödé ✓", "a\x00b", "x" * 10_000])
def test_store_text_hmac_is_the_shared_fingerprint(text):
    from bastion.store import PrivacyStore

    with PrivacyStore("sqlite://", audit_key=KEY) as s:
        assert s.text_hmac(text) == text_fingerprint(KEY, text)
        assert s.text_hmac(text.encode()) == text_fingerprint(KEY, text)


def test_fingerprint_is_pinned():
    # existing audit rows hold values made this way: the construction must never drift
    assert text_fingerprint(KEY, "hello") == hmac_hex(KEY, "hello")
    assert text_fingerprint(KEY, "hello") == (
        __import__("hmac").new(KEY, (5).to_bytes(8, "big") + b"hello", "sha256").hexdigest()
    )


def test_json_log_and_audit_trail_fingerprints_agree():
    pytest.importorskip("structlog")
    from bastion.api.audit_log import fingerprint

    assert fingerprint(KEY, "hello") == text_fingerprint(KEY, "hello")


def test_default_home_left_loose_by_old_versions_is_tightened(tmp_path):
    # before 0004 the API made ~/.local/share/bastion 0755 and its bastion.db 0644
    old = tmp_path / "user" / ".local" / "share" / "bastion"
    old.mkdir(parents=True, mode=0o755)
    old.chmod(0o755)
    _write(old / "bastion.db", b"", 0o644)
    assert home.ensure_home() == old
    assert old.stat().st_mode & 0o777 == 0o700 and (old / "bastion.db").stat().st_mode & 0o777 == 0o600


def test_a_chosen_home_keeps_its_mode(monkeypatch, tmp_path):
    chosen = tmp_path / "volume"
    chosen.mkdir(mode=0o750)
    chosen.chmod(0o750)
    monkeypatch.setenv("BASTION_HOME", str(chosen))
    home.ensure_home()
    assert chosen.stat().st_mode & 0o777 == 0o750
