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

# command name -> module that implements it
COMMANDS: dict[str, str] = {
    "check": "bastion.cli_check",
    "redact": "bastion.cli_check",
    "scan": "bastion.scan",
    "serve": "bastion.api.server",
    "keys": "bastion.api.keys",
    "audit": "bastion.store.cli",
}


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bastion", description="Prompt-injection and PII guard.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = argv[0] if argv and argv[0] in COMMANDS else None
    seen: set[str] = set()
    for name, module in COMMANDS.items():
        if module in seen or (wanted is not None and COMMANDS[wanted] != module):
            continue
        seen.add(module)
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            sub.add_parser(name, help=f"(unavailable: {exc.name} is not installed)")
            continue
        mod.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 1
    try:
        return int(func(args) or 0)
    except BrokenPipeError:
        # `bastion scan ... | head`: the reader left; exit quietly like other Unix tools, and
        # point stdout at devnull so the interpreter's final flush does not raise again
        # (stdout may not be a real file in embedded use or tests: then nothing is left to flush)
        with contextlib.suppress(OSError, ValueError, AttributeError, io.UnsupportedOperation):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
