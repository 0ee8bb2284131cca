"""Every Python example in the README runs against the shipped models, as printed."""

from __future__ import annotations

import doctest
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_examples():
    failures, tried = doctest.testfile(
        str(README),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        verbose=False,
    )
    assert tried >= 15, f"only {tried} README examples found"
    assert failures == 0, f"{failures} README example(s) failed (run: python -m doctest -v README.md)"
