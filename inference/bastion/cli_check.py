"""``bastion check`` and ``bastion redact``: the Guard from the command line.

::

    $ bastion check "mail me at jane@example.com"
    action: redact
    ...
    $ echo "Ignore all previous instructions" | bastion check --json
    {"action": "block", "injection": {"score": 0.97, "is_injection": true}, ...}
    $ bastion redact --operator pseudonymize --json "call Jane at +1 415 555 0100"

``check`` exits 0 for allow/redact, 3 for block, 1 for an error (message on stderr), 2 for
a usage error (see :mod:`bastion.exitcodes`).
Text comes from the argument, or from stdin when it is ``-`` or absent; stdin is read
as bytes so invalid UTF-8 is reported instead of silently replaced.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from bastion import exitcodes
from bastion.config import MODELS_ENV, TASKS, GuardSpec, parse_tasks
from bastion.errors import BastionError, ConfigError, InputError
from bastion.guard import Guard, coerce_text
from bastion.results import redact_dict, summary_text
from bastion.types import Action

EXIT_OK = exitcodes.OK
EXIT_ERROR = exitcodes.ERROR
EXIT_BLOCK = exitcodes.BLOCKED
EXIT_USAGE = exitcodes.USAGE

OPERATORS = ("replace", "mask", "hash", "pseudonymize")


def add_parser(subparsers: Any) -> None:
    """Register ``check`` and ``redact`` (both live here; cli.COMMANDS maps both names to this module)."""
    check = subparsers.add_parser(
        "check",
        help="check a text for prompt injection and PII",
        description="Check a text (argument, or stdin when TEXT is '-' or absent). "
        "Exit status: 0 allow/redact, 3 block, 1 error, 2 usage error.",
    )
    _add_common(check)
    check.add_argument(
        "--output", action="store_true", help="check the text as an LLM answer (output policy: secrets block)"
    )
    check.add_argument(
        "--explain",
        action="store_true",
        help="say why each finding was reported (recognizer, validator, context word; a model's window)",
    )
    check.set_defaults(func=run_check)

    redact = subparsers.add_parser(
        "redact",
        help="print the text with PII redacted",
        description="Redact PII in a text (argument, or stdin when TEXT is '-' or absent).",
    )
    _add_common(redact)
    redact.add_argument(
        "--operator",
        choices=OPERATORS,
        default=None,
        help="how to replace each value (default: the policy's, 'replace'); "
        "'hash' needs BASTION_HMAC_KEY (a random secret of at least 16 bytes); "
        "'pseudonymize' with --json also prints the vault to restore",
    )
    redact.set_defaults(func=run_redact)


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "text", nargs="?", default=None, metavar="TEXT", help="text to check; '-' or absent: stdin"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--config", type=Path, metavar="PATH", help="YAML Guard configuration")
    src.add_argument(
        "--models-dir", type=Path, metavar="DIR", help="folder with the pii/ and injection/ models"
    )
    p.add_argument(
        "--tasks",
        type=_tasks,
        default=None,
        metavar="LIST",
        help="what the default guard runs: 'pii', 'injection' or 'pii,injection' (default: both for check, pii for redact)",
    )


def _tasks(value: str) -> tuple[str, ...]:
    try:
        return parse_tasks(value)
    except ConfigError:
        raise argparse.ArgumentTypeError(
            f"expected a comma list of {', '.join(TASKS)}, got {value!r}"
        ) from None


class _UsageError(InputError):
    """A command line missing what it needs: exit status 2, as argparse's own usage errors."""


def _read_text(arg: str | None, stdin: TextIO | None) -> str:
    if arg is not None and arg != "-":
        if len(arg) < 4096 and "\n" not in arg and os.path.isfile(arg):
            # the argument is the text, never a file name: say so rather than redact a path
            print(
                f"bastion: note: {arg!r} is read as the text itself; to read the file: bastion ... < {arg}",
                file=sys.stderr,
            )
        try:
            # POSIX hands undecodable argv bytes over as surrogate escapes; get the bytes
            # back so the error names invalid UTF-8 rather than a surrogate.
            return coerce_text(os.fsencode(arg))
        except UnicodeEncodeError:
            return coerce_text(arg)
    if stdin is None:
        raise _UsageError("no text given and stdin is closed: pass TEXT")
    if arg is None and stdin.isatty():
        raise _UsageError("no text given: pass TEXT, or pipe it on stdin (use '-' to read a terminal)")
    buffer = getattr(stdin, "buffer", None)
    data = buffer.read() if buffer is not None else stdin.read()
    return coerce_text(data)


def _build_guard(args: argparse.Namespace) -> Guard:
    # a models folder the user named that is not there is a typo, not a reason to run on the
    # regex fallback with exit 0 (names left in clear, attacks allowed)
    named = args.models_dir if args.models_dir is not None else os.environ.get(MODELS_ENV) or None
    if named is not None and args.config is None and not Path(named).expanduser().is_dir():
        source = "--models-dir" if args.models_dir is not None else f"${MODELS_ENV}"
        raise ConfigError(f"no models folder at {named} ({source})")
    guard = Guard.from_spec(GuardSpec(config=args.config, models_dir=args.models_dir, tasks=args.tasks))
    if guard.degraded:
        # the plain outputs do not show it: say so where a script's user will see it
        print(
            f"bastion {args.command}: warning: running degraded: {'; '.join(guard.degraded_reasons)}",
            file=sys.stderr,
        )
    return guard


def _write(stream: TextIO | None, text: str) -> None:
    if stream is None:
        raise BastionError("stdout is closed: nowhere to write the result")
    try:
        stream.write(text)
    except UnicodeEncodeError:
        # A terminal in a non-UTF-8 locale must not turn a result into a traceback.
        buffer = getattr(stream, "buffer", None)
        if buffer is None:
            stream.write(text.encode("ascii", "backslashreplace").decode("ascii"))
        else:
            stream.flush()
            buffer.write(text.encode("utf-8"))
            buffer.flush()


def _guarded(func):
    """Turn deliberate errors into a one-line message and exit status 1 (2 for usage)."""

    def wrapper(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except _UsageError as exc:
            print(f"bastion {args.command}: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except BastionError as exc:
            print(f"bastion {args.command}: error: {exc}", file=sys.stderr)
            return EXIT_ERROR

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


@_guarded
def run_check(args: argparse.Namespace) -> int:
    """Run ``bastion check``; returns the exit status."""
    text = _read_text(args.text, sys.stdin)
    guard = _build_guard(args)
    result = guard.check_output(text) if args.output else guard.check(text)
    if args.json:
        _write(sys.stdout, json.dumps(result.to_dict(explain=args.explain), ensure_ascii=False) + "\n")
    else:
        _write(sys.stdout, summary_text(result, explain=args.explain))
    return EXIT_BLOCK if result.action is Action.BLOCK else EXIT_OK


@_guarded
def run_redact(args: argparse.Namespace) -> int:
    """Run ``bastion redact``; returns the exit status."""
    if args.tasks is not None and "pii" not in args.tasks:
        print(
            "bastion redact: error: --tasks must include pii (redact finds and replaces PII)", file=sys.stderr
        )
        return EXIT_USAGE
    text = _read_text(args.text, sys.stdin)
    if args.tasks is None and args.config is None:
        # the redacted text does not depend on the injection model: not loading it halves
        # the time and memory of a redact
        args.tasks = ("pii",)
    guard = _build_guard(args)
    policy = None
    if args.operator is not None:
        # An explicit operator applies to every label, including per-label config ones.
        policy = guard.policy.with_overrides({"default_operator": args.operator, "operators": {}})
    result = guard.check(text, policy=policy)
    if not args.json:
        # from stdin, byte for byte (a file without a final newline keeps none); an argument
        # gets one, as a terminal expects
        from_stdin = args.text is None or args.text == "-"
        end = "" if from_stdin or result.redacted_text.endswith("\n") else "\n"
        _write(sys.stdout, result.redacted_text + end)
        return EXIT_OK
    _write(sys.stdout, json.dumps(redact_dict(result), ensure_ascii=False) + "\n")
    return EXIT_OK


__all__ = ["add_parser", "run_check", "run_redact"]
