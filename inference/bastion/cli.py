"""Command-line entry point: ``bastion <command> ...``.

Each command lives in its own module, imported only when that command runs, so
``bastion check`` never pays for the API or database dependencies. A module listed in
``COMMANDS`` exposes ``add_parser(subparsers) -> None``, which registers its parser and
sets ``func`` (called with the parsed args, returning the exit status).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from bastion import exitcodes
from bastion.errors import BastionError

# command name -> module that implements it
COMMANDS: dict[str, str] = {
    "check": "bastion.cli_check",
    "redact": "bastion.cli_check",
    "scan": "bastion.scan",
    "serve": "bastion.api.server",
    "proxy": "bastion.proxy.cli",
    "keys": "bastion.api.keys",
    "audit": "bastion.store.cli",
}


class _Parser(argparse.ArgumentParser):
    """The top-level parser: text left unquoted after ``check``/``redact`` ends up as
    "unrecognized arguments", which says nothing about quoting."""

    def error(self, message: str) -> NoReturn:
        if "unrecognized arguments" in message and self._text_command:
            message += " (put the text in quotes, or pipe it on stdin)"
        super().error(message)

    _text_command = False


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = _Parser(prog="bastion", description="Prompt-injection and PII guard.")
    parser._text_command = bool(argv) and argv[0] in ("check", "redact")
    from bastion import __version__

    parser.add_argument("--version", action="version", version=f"bastion {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = argv[0] if argv and argv[0] in COMMANDS else None
    seen: set[str] = set()
    for module in COMMANDS.values():
        if module in seen or (wanted is not None and COMMANDS[wanted] != module):
            continue
        seen.add(module)
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            for alias in [n for n, m in COMMANDS.items() if m == module]:
                _unavailable(sub, alias, exc.name or module)
            continue
        mod.add_parser(sub)
    return parser


# third-party module -> the extra that installs it, for one-line "install ..." messages
EXTRAS: dict[str, str] = {
    "fastapi": "api",
    "uvicorn": "api",
    "prometheus_client": "api",
    "structlog": "api",
    "limits": "api",
    "redis": "api",
    "sqlalchemy": "store",
    "alembic": "store",
    "cryptography": "store",
    "psycopg": "store",
    "pyarrow": "scan",
    "tqdm": "scan",
    "pyspark": "spark",
    "pandas": "spark",
    "httpx": "proxy",
}


# A command whose extra holds all it needs, whichever package is found missing first:
# `bastion proxy` without uvicorn should not send the user to [api], then to [proxy].
COMMAND_EXTRAS: dict[str, str] = {"proxy": "proxy"}


def install_hint(missing: str, command: str | None = None) -> str:
    """The one line a user needs when an optional dependency is missing.

    >>> install_hint("uvicorn")
    "needs the 'uvicorn' package: pip install 'bastion[api]'"
    >>> install_hint("uvicorn", "proxy")
    "needs the 'uvicorn' package: pip install 'bastion[proxy]'"
    """
    top = missing.split(".")[0]
    extra = EXTRAS.get(top)
    if extra is not None and command in COMMAND_EXTRAS:
        extra = COMMAND_EXTRAS[command]
    if extra is None:
        return f"needs the '{top}' package: pip install {top}"
    return f"needs the '{top}' package: pip install 'bastion[{extra}]'"


def _unavailable(sub: argparse._SubParsersAction, name: str, missing: str) -> None:
    # Accept any arguments: "unrecognized arguments" would hide the real problem.
    # No option prefix: a REMAINDER positional does not take "--db ..." when it comes first.
    p = sub.add_parser(
        name, help=f"(unavailable: {install_hint(missing, name)})", add_help=False, prefix_chars="\x00"
    )
    p.add_argument("rest", nargs=argparse.REMAINDER)

    def run(args: argparse.Namespace) -> int:
        print(f"bastion {name}: {install_hint(missing, name)}", file=sys.stderr)
        return exitcodes.ERROR

    p.set_defaults(func=run)


def _stdout_to_devnull() -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError, io.UnsupportedOperation):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return exitcodes.USAGE
    command = getattr(args, "command", None) or "bastion"
    try:
        code = int(func(args) or 0)
        # flushed here, not by the interpreter at exit: a reader that left (`| head`) or a
        # full disk is then this function's exit status, not "Exception ignored ..." and 120
        try:
            if sys.stdout is not None:
                sys.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            print(
                f"bastion {command}: error: cannot write the output: {exc.strerror or exc}", file=sys.stderr
            )
            _stdout_to_devnull()
            return exitcodes.ERROR
        return code
    except BastionError as exc:
        # expected failures (bad input, bad config, unusable model): one line, no traceback
        print(f"bastion {command}: error: {exc}", file=sys.stderr)
        return exitcodes.ERROR
    except ModuleNotFoundError as exc:
        print(f"bastion {command}: {install_hint(exc.name or str(exc), command)}", file=sys.stderr)
        return exitcodes.ERROR
    except KeyboardInterrupt:
        print(f"bastion {command}: interrupted", file=sys.stderr)
        return exitcodes.INTERRUPTED
    except BrokenPipeError:
        # `bastion scan ... | head`: the reader left; exit quietly like other Unix tools, and
        # point stdout at devnull so the interpreter's final flush does not raise again
        # (stdout may not be a real file in embedded use or tests: then nothing is left to flush)
        _stdout_to_devnull()
        return exitcodes.BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
