"""``bastion audit``: init, verify, seal, stats, purge, erase, export, migrate.

    bastion audit init [--db URL]
    bastion audit verify [--db URL] [--expect-head ID:MAC]
    bastion audit seal
    bastion audit stats --since 7d
    bastion audit purge --older-than 90d [--vacuum]
    bastion audit erase USER_ID [--vacuum]
    bastion audit erase --stdin [--vacuum] < ids.txt    (one id per line: keeps ids off the command line)
    bastion audit export --since 2026-01-01 [--until 2026-02-01] [--out FILE]
    bastion audit migrate [--to REVISION | --down-to REVISION]

``--db`` defaults to ``$BASTION_DB_URL``, else ``$BASTION_HOME/bastion.db`` (default
``~/.local/share/bastion``; the same database ``bastion keys`` and ``bastion serve`` use).
That default store is created and migrated on first use, and its audit key generated into
``$BASTION_HOME/audit.key`` (0600); a store named with ``--db`` or ``$BASTION_DB_URL`` must
be set up first with ``bastion audit init`` (or ``migrate``). verify, seal, purge and
erase need the audit key (``$BASTION_AUDIT_HMAC_KEY``, ``$BASTION_AUDIT_HMAC_KEY_FILE``
or the home's ``audit.key``): the chain is MAC'd with it. On PostgreSQL deleted rows stay
in the table files until VACUUM: ``--vacuum`` (as the tables' owner) rewrites the tables a
purge or erase deleted user ids from.

Exit status: 0 ok; 1 runtime error (no store, no key, unreachable database); 2 usage
error; 3 the trail is broken (verify, a purge/seal/erase refused because of it, a
dropped audit table, or an export that met rows edited outside bastion: those are
written as stored, under ``malformed_row``, and the export goes on); 4 an erase or purge
was committed but SQLite's -wal file could not be truncated (a reader held an old
snapshot), so it may still hold the deleted rows: run it again once the reader is gone.
Export files are created 0600.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, TextIO

from bastion import exitcodes
from bastion.errors import ConfigError, InputError
from bastion.home import DbLocation

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """``90d``, ``12h``, ``30m``, ``45s``, ``2w``.

    >>> parse_duration("90d")
    datetime.timedelta(days=90)
    """
    m = _DURATION.match(text)
    if not m:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: use e.g. 90d, 12h, 30m, 2w")
    try:
        return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    except OverflowError:
        raise argparse.ArgumentTypeError(f"duration {text!r} is too long") from None


def parse_when(text: str) -> datetime:
    """An ISO date/datetime (naive means UTC), or a duration meaning "that long ago".

    >>> parse_when("2026-01-01").isoformat()
    '2026-01-01T00:00:00+00:00'
    """
    from bastion.store.schema import UTC

    if _DURATION.match(text):
        try:
            return datetime.now(UTC) - parse_duration(text)
        except OverflowError:
            raise argparse.ArgumentTypeError(f"duration {text!r} reaches before year 1") from None
    try:
        ts = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid date {text!r}: use YYYY-MM-DD, an ISO datetime, or 7d"
        ) from None
    try:
        return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 is in year 0 in UTC
        raise argparse.ArgumentTypeError(f"date {text!r} is outside years 1-9999 in UTC") from None


def parse_head(text: str) -> tuple[int, str]:
    """``ID:MAC`` as printed by ``verify`` (``head_id``, ``head_hash``).

    >>> parse_head("12:" + "ab" * 32)[0]
    12
    """
    m = re.fullmatch(r"\s*(\d+):([0-9a-f]{64})\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"invalid head {text!r}: use ID:MAC (head_id:head_hash from verify)")
    return int(m.group(1)), m.group(2)


def add_parser(subparsers: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        help="SQLAlchemy URL (default: $BASTION_DB_URL or $BASTION_HOME/bastion.db)",
    )

    p = subparsers.add_parser(
        "audit",
        parents=[common],
        help="audit trail: init, verify, seal, stats, purge, erase, export, migrate",
        # the module docstring is reST (for the API docs); a terminal wants plain backticks
        description=(__doc__ or "").replace("``", "`"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(func=_no_command, parser=p)
    sub = p.add_subparsers(dest="audit_command", metavar="SUBCOMMAND")

    s = sub.add_parser(
        "init",
        parents=[common],
        help="create and migrate the store and set up the audit key (generated if none is configured)",
    )
    s.set_defaults(func=_init)

    s = sub.add_parser("verify", parents=[common], help="check the keyed audit chain; exit 3 if broken")
    s.add_argument(
        "--expect-head",
        type=parse_head,
        default=None,
        metavar="ID:MAC",
        help="head_id:head_hash from an earlier verify, kept outside the database: "
        "also fail if the chain was rolled back past it",
    )
    s.set_defaults(func=_verify)

    s = sub.add_parser("seal", parents=[common], help="seal a chain written before keyed MACs (schema 0002)")
    s.set_defaults(func=_seal)

    s = sub.add_parser("stats", parents=[common], help="event counts by type and severity")
    s.add_argument("--since", type=parse_when, default=None, help="ISO date or duration ago (default 24h)")
    s.add_argument("--until", type=parse_when, default=None, help="ISO date (default now)")
    s.set_defaults(func=_stats)

    s = sub.add_parser("purge", parents=[common], help="retention: delete events older than a duration")
    s.add_argument("--older-than", type=parse_duration, required=True, help="e.g. 90d")
    s.add_argument(
        "--vacuum",
        action="store_true",
        help="then VACUUM (FULL, ANALYZE) privacy_pseudonyms, so PostgreSQL heap pages no longer hold "
        "the purged user ids",
    )
    s.set_defaults(func=_purge)

    s = sub.add_parser(
        "erase", parents=[common], help="right to erasure for a user id (or many with --stdin)"
    )
    # --stdin: the id is often an e-mail address, and any local user can read a command line
    ids = s.add_mutually_exclusive_group(required=True)
    ids.add_argument("user_id", nargs="?", default=None)
    ids.add_argument(
        "--stdin",
        action="store_true",
        help="read the user ids from stdin, one per line (keeps them out of ps and shell history)",
    )
    s.add_argument(
        "--vacuum",
        action="store_true",
        help="then VACUUM (FULL, ANALYZE) the affected tables, so PostgreSQL heap pages no longer hold "
        "the user id",
    )
    s.set_defaults(func=_erase)

    s = sub.add_parser("export", parents=[common], help="events as JSON lines")
    s.add_argument("--since", type=parse_when, default=None)
    s.add_argument("--until", type=parse_when, default=None)
    s.add_argument("--out", default=None, help="file to write (default stdout)")
    s.set_defaults(func=_export)

    s = sub.add_parser("migrate", parents=[common], help="create or upgrade the store schema")
    s.add_argument("--to", default="head", help="revision to upgrade to (default head)")
    s.add_argument(
        "--down-to", default=None, help="downgrade to this revision instead ('base' drops the store)"
    )
    s.set_defaults(func=_migrate)


def open_private(path: str | os.PathLike[str]) -> TextIO:
    """Open ``path`` for writing, owner-only (0600) from the moment it exists: audit
    exports are pseudonymous but still personal-data-adjacent. An existing file is
    truncated and tightened to 0600 too."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from None
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.fchmod(fd, 0o600)
        return open(fd, "w", encoding="utf-8")  # noqa: SIM115 - the caller closes it
    except BaseException:
        os.close(fd)
        raise


def _location(args: argparse.Namespace) -> DbLocation:
    from pathlib import Path

    from bastion.home import ensure_home, resolve_db_url

    loc = resolve_db_url(getattr(args, "db", None))
    if loc.is_default:
        home = ensure_home()
        old = Path("bastion.db")
        if old.is_file() and old.resolve() != (home / "bastion.db").resolve():
            # sqlite:///bastion.db in the working directory was the default before 0004
            print(
                f"bastion audit: note: using {home / 'bastion.db'}; ./bastion.db (the old default) "
                "is not read: pass --db sqlite:///bastion.db to use it",
                file=sys.stderr,
            )
    return loc


def _open(args: argparse.Namespace) -> Any:
    """The store: the default one is created, migrated and given a generated audit key on
    first use; one named explicitly must already be at the current schema (a typo in a URL
    must not yield a fresh, empty store that verifies as ok)."""
    from bastion.store import PrivacyStore

    loc = _location(args)
    if loc.is_default:
        return PrivacyStore(loc.url, migrate=True, create_audit_key=True)
    return PrivacyStore(loc.url, migrate=False)


def _print(obj: Any, out: TextIO | None = None) -> None:
    (out or sys.stdout).write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


_MISSING_TABLE = re.compile(r"no such table|relation .* does not exist|undefinedtable", re.IGNORECASE)


def _guarded(fn: Any) -> Any:
    """A broken chain exits 3, like a block, and so does a store whose tables were dropped;
    a file that is not a database (or cannot be read) is a one-line error and exit 1, as
    is every other BastionError (:func:`bastion.cli.main`) — never a traceback."""
    from sqlalchemy.exc import DatabaseError

    from bastion.store.audit import AuditIntegrityError

    def run(args: argparse.Namespace) -> int:
        try:
            return int(fn(args))
        except AuditIntegrityError as exc:
            print(f"bastion audit: {exc}", file=sys.stderr)
            return exitcodes.BLOCKED
        except DatabaseError as exc:
            why = str(exc.orig or exc).splitlines()[0]
            if _MISSING_TABLE.search(f"{why} {type(exc.orig).__name__}"):
                print(
                    f"bastion audit: the store is damaged ({why}): the audit trail is broken", file=sys.stderr
                )
                return exitcodes.BLOCKED
            print(f"bastion audit: error: cannot use the database: {why}", file=sys.stderr)
            return exitcodes.ERROR

    return run


def _no_command(args: argparse.Namespace) -> int:
    args.parser.print_help(sys.stderr)
    return exitcodes.USAGE


@_guarded
def _verify(args: argparse.Namespace) -> int:
    with _open(args) as store:
        report = store.verify(known_head=args.expect_head)
    _print(report.to_dict())
    return exitcodes.OK if report.ok else exitcodes.BLOCKED


@_guarded
def _seal(args: argparse.Namespace) -> int:
    with _open(args) as store:
        event = store.audit.seal_event()
    if event is None:
        _print({"sealed": False, "event_id": None})
        return 0
    n = int(event.details["checked"])
    _print({"sealed": True, "event_id": event.id, "legacy_rows": n})
    print(
        f"bastion audit: sealed {n} legacy row(s) through id {event.details['legacy_through']} "
        f"(last hash {event.details['legacy_last_hash']}) that carried only unkeyed hashes: the seal "
        "vouches for them as they are now",
        file=sys.stderr,
    )
    return 0


@_guarded
def _stats(args: argparse.Namespace) -> int:
    with _open(args) as store:
        since = args.since or (store.audit._clock() - timedelta(hours=24))
        _print(store.stats(since, args.until).to_dict())
    return 0


def _wal_status(cleared: bool, what: str) -> int:
    if cleared:
        return exitcodes.OK
    print(
        f"bastion audit: warning: the {what} is committed, but the SQLite -wal file could not be "
        "truncated (a reader holds an old snapshot) and may still hold the deleted rows: run the "
        "same command again (or with --vacuum) once the reader is gone",
        file=sys.stderr,
    )
    return exitcodes.INCOMPLETE


@_guarded
def _purge(args: argparse.Namespace) -> int:
    with _open(args) as store:
        receipt = store.purge(args.older_than, vacuum=args.vacuum)
    _print(receipt.to_dict())
    return _wal_status(receipt.wal_cleared, "purge")


@_guarded
def _erase(args: argparse.Namespace) -> int:
    from bastion.store.pseudonyms import check_user_id

    if not args.stdin:
        with _open(args) as store:
            receipt = store.erase(args.user_id, vacuum=args.vacuum)
        _print(receipt.to_dict())
        return _wal_status(receipt.wal_cleared, "erasure")
    # one id per line, as written (blank lines skipped); all checked before any is erased
    user_ids = [check_user_id(u) for line in sys.stdin if (u := line.rstrip("\r\n")).strip()]
    if not user_ids:
        raise InputError("--stdin: no user ids on stdin (one per line)")
    receipts = []
    with _open(args) as store:
        for i, user_id in enumerate(user_ids):
            # --vacuum once, after the last: each rewrite locks the tables
            receipts.append(store.erase(user_id, vacuum=args.vacuum and i == len(user_ids) - 1))
    # in input order; a receipt never names the user id
    _print([r.to_dict() for r in receipts])
    # each erase truncates the whole WAL, so the last one's outcome covers all of them
    return _wal_status(receipts[-1].wal_cleared, "erasure")


@_guarded
def _export(args: argparse.Namespace) -> int:
    with _open(args) as store:
        fh = open_private(args.out) if args.out else sys.stdout
        n, bad = 0, []
        try:
            for record, ok in store.audit.export_records(args.since, args.until):
                fh.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
                n += 1
                if not ok:
                    bad.append(record["id"])
        finally:
            if fh is not sys.stdout:
                fh.close()
    if args.out:
        print(f"exported {n} events to {args.out}", file=sys.stderr)
    if bad:
        shown = ", ".join(map(str, bad[:10])) + (" ..." if len(bad) > 10 else "")
        print(
            f"bastion audit: {len(bad)} row(s) were edited outside bastion and are exported as stored "
            f"under malformed_row (ids {shown}); run bastion audit verify",
            file=sys.stderr,
        )
        return exitcodes.BLOCKED
    return 0


@_guarded
def _migrate(args: argparse.Namespace) -> int:
    from bastion.store import migrate

    url = _location(args).url
    with _database_errors(url):
        before = migrate.current(url)
        if args.down_to is not None:
            migrate.downgrade(url, args.down_to)
        else:
            migrate.upgrade(url, args.to)
        _print({"from": before, "to": migrate.current(url)})
    return 0


@_guarded
def _init(args: argparse.Namespace) -> int:
    """Create and migrate the store, then make sure an audit key is configured that fits
    the chain already in it: generated into ``$BASTION_HOME/audit.key`` only when none is
    configured and the chain is not keyed yet (a new key could never verify an old chain)."""
    from bastion import home
    from bastion.store import migrate
    from bastion.store.audit import chain_key, key_id_of, read_head
    from bastion.store.db import create_store_engine, read_tx, sqlite_path
    from bastion.store.urls import safe_url

    loc = _location(args)
    safe = safe_url(loc.url)
    engine = create_store_engine(loc.url)
    try:
        with _database_errors(loc.url):
            before = migrate.current(engine)
            migrate.upgrade(engine)
            with read_tx(engine) as conn:
                head = read_head(conn)
    finally:
        engine.dispose()
    chain_kid = head.key_id if head is not None else None
    key = home.configured_audit_key(data_path=sqlite_path(loc.url))
    generated = key is None
    if key is None:
        if chain_kid is not None:
            raise ConfigError(
                f"the audit chain in {safe} is MAC'd with key id {chain_kid} and no audit key is "
                f"configured: set {home.AUDIT_KEY_ENV} or {home.AUDIT_KEY_FILE_ENV} to that key "
                "(a new key could not verify it, so none is generated)"
            )
        key = home.load_audit_key(create=True)
    kid = key_id_of(chain_key(key))
    if chain_kid is not None and chain_kid != kid:
        raise ConfigError(
            f"the configured audit key (key id {kid}) is not the one the chain in {safe} is MAC'd "
            f"with (key id {chain_kid})"
        )
    _print(
        {
            "db": safe,
            "schema": {"from": before, "to": migrate.HEAD},
            "audit_key": _key_source(),
            "audit_key_id": kid,
            "generated_key": generated,
        }
    )
    return 0


def _key_source() -> str:
    from bastion import home

    if os.environ.get(home.AUDIT_KEY_ENV):
        return f"${home.AUDIT_KEY_ENV}"
    return os.environ.get(home.AUDIT_KEY_FILE_ENV) or str(home.audit_key_path())


@contextmanager
def _database_errors(url: str) -> Iterator[None]:
    """Turn "cannot connect" driver errors into one-line :class:`ConfigError` messages."""
    from sqlalchemy.exc import OperationalError

    from bastion.store.urls import safe_url

    try:
        yield
    except OperationalError as exc:
        raise ConfigError(f"cannot use database {safe_url(url)}: {exc.orig or exc}") from None
