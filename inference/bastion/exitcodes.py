"""Exit statuses shared by every ``bastion`` subcommand.

A script must be able to tell "the guard blocked this" from "I typed the command wrong",
so a block never shares a status with argparse's usage error (2).

=====  ==========================================================================
 0     ok (check/redact: allowed or redacted; scan/audit: the run completed)
 1     runtime error (bad input, bad config, missing extra, unreadable file, ...)
 2     usage error (unknown option, bad option value: argparse)
 3     blocked (check: the text was blocked; audit verify: the trail is broken)
 4     incomplete (audit erase/purge: committed, but SQLite's -wal file still holds the
       deleted rows because a reader kept an old snapshot: run it again later)
 130   interrupted (Ctrl-C)
 141   the reader of the output went away (``bastion ... | head``), as other Unix tools
=====  ==========================================================================

>>> BLOCKED
3
"""

from __future__ import annotations

OK = 0
ERROR = 1
USAGE = 2
BLOCKED = 3
INCOMPLETE = 4
INTERRUPTED = 130
BROKEN_PIPE = 141

__all__ = ["BLOCKED", "BROKEN_PIPE", "ERROR", "INCOMPLETE", "INTERRUPTED", "OK", "USAGE"]
