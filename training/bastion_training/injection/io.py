"""Tolerant readers for the file formats of the shared datasets.

Every reader returns Python objects and logs (never raises) when a file is missing, so a
partial datasets folder still yields a partial build. A file that is there but holds no
records, is not valid JSON, or whose CSV was cut short is a :class:`DataFileError` naming
it: that is a damaged copy, and building from it would silently shrink (or empty) a set.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger("bastion_training.injection.io")

# Some upstream JSONL files carry invalid backslash escapes or raw newlines inside strings.
_BAD_ESCAPE = re.compile(r'\\(?!["\\/bfnrtu])')


class DataFileError(ValueError):
    """A dataset file that exists but cannot be read as what it should hold."""


def read_text(path: Path) -> str:
    """The file as UTF-8; invalid bytes become U+FFFD, with a warning naming the file and
    how many (they were replaced silently before, in train and eval data alike)."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        bad = text.count("\ufffd") - raw.count("\ufffd".encode())
        log.warning("%s: %d invalid UTF-8 sequence(s) replaced by U+FFFD", path, bad)
        return text


def exists(path: Path) -> bool:
    if not path.exists():
        log.warning("missing dataset file %s: skipped", path)
        return False
    return True


def read_json(path: Path) -> Any:
    if not exists(path):
        return None
    try:
        return json.loads(read_text(path))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise DataFileError(f"{path}: not valid JSON ({exc}); an empty or cut copy?") from None


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Yield one object per line; lines that need it are repaired, irreparable ones logged."""
    if not exists(path):
        return
    text = read_text(path)
    if not text.strip():
        raise DataFileError(f"{path}: the file is empty")
    buf = ""
    bad = 0
    for line in text.splitlines():
        buf = f"{buf}\\n{line}" if buf else line
        if not buf.strip():
            buf = ""
            continue
        try:
            obj = json.loads(buf)
        except json.JSONDecodeError:
            try:
                obj = json.loads(_BAD_ESCAPE.sub(r"\\\\", buf))
            except json.JSONDecodeError:
                # A raw newline inside a string: keep accumulating lines, but give up
                # after a few so one broken line cannot swallow the file.
                if buf.count("\\n") > 20:
                    bad += 1
                    buf = ""
                continue
        buf = ""
        if isinstance(obj, dict):
            yield obj
    if buf or bad:
        log.warning("%s: %d unparseable line group(s) skipped", path, bad + bool(buf))


def read_csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    if not exists(path):
        return []
    # some prompts exceed csv's default 128 KiB field limit
    csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))
    with io.StringIO(read_text(path), newline="") as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        rows = list(reader)
        header = reader.fieldnames
    if header is None:
        raise DataFileError(f"{path}: the file is empty (no CSV header)")
    # a row with fewer fields than the header gets None values: the last row of a cut file
    # ("... visas to ent"), read as a whole record with a missing label
    short = [i for i, r in enumerate(rows) if None in r.values()]
    if short:
        raise DataFileError(
            f"{path}: {len(short)} record(s) with fewer fields than the header (first at record "
            f"{short[0] + 1}): a cut or damaged copy"
        )
    return rows


def read_lines(path: Path) -> list[str]:
    if not exists(path):
        return []
    return [ln.strip() for ln in read_text(path).splitlines() if ln.strip()]
