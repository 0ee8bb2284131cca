"""Detectors and the one name→factory table used by configuration files.

Factories import their module lazily so that ``import bastion`` stays cheap and
loads no model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bastion.detectors.base import Detector, DetectorKind
from bastion.errors import ConfigError


def _pii_regex(**kw: Any) -> Detector:
    """Options: ``regions``, ``labels``, ``context_window``, ``max_phone_calls`` and
    ``custom`` (a list of recognizers, see :func:`bastion.detectors.recognizers.custom_recognizer`)."""
    from bastion.detectors.pii_regex import RegexPIIDetector
    from bastion.detectors.recognizers import check_custom_count, check_custom_work

    custom = kw.get("custom")
    check_custom_count(custom)
    detector = RegexPIIDetector(**kw)
    if custom:  # every entry accepted by now
        check_custom_work(custom)
    return detector


def _heuristic_injection(**kw: Any) -> Detector:
    from bastion.detectors.heuristic import HeuristicInjectionDetector

    return HeuristicInjectionDetector(**kw)


def _blocklist(**kw: Any) -> Detector:
    from bastion.detectors.blocklist import PhraseBlocklistDetector

    return PhraseBlocklistDetector(**kw)


# The model detectors need a ``path``; a config that names them without one gets the shipped
# folder from bastion.config, which owns where models live.
def _onnx_injection(**kw: Any) -> Detector:
    from bastion.detectors.onnx_classifier import OnnxInjectionDetector

    return OnnxInjectionDetector.load(**kw)


def _onnx_pii(**kw: Any) -> Detector:
    from bastion.detectors.onnx_ner import OnnxNERDetector

    return OnnxNERDetector.load(**kw)


FACTORIES: dict[str, Callable[..., Detector]] = {
    "pii_regex": _pii_regex,
    "heuristic_injection": _heuristic_injection,
    "blocklist": _blocklist,
    "onnx_injection": _onnx_injection,
    "onnx_pii": _onnx_pii,
}


def build_detector(name: str, **options: Any) -> Detector:
    """Build a detector by its config name.

    >>> build_detector("pii_regex").name
    'regex'
    """
    factory = FACTORIES.get(name) if isinstance(name, str) else None
    if factory is None:
        raise ConfigError(f"unknown detector {name!r}; known: {', '.join(sorted(FACTORIES))}")
    try:
        return factory(**options)
    except (TypeError, ValueError) as exc:  # an option of the wrong type or range
        raise ConfigError(f"bad options for detector {name!r}: {exc}{_options_hint(exc, options)}") from exc


def _options_hint(exc: Exception, options: dict[str, Any]) -> str:
    """The options a detector takes, when one given is not among them ("region" for
    "regions"): Python's "unexpected keyword argument" names only the wrong one. The callee
    is the one the message names ("RegexPIIDetector.__init__()"), imported by now."""
    import difflib
    import inspect
    import re
    import sys

    m = re.match(r"(\w+)\.(\w+)\(\) got an unexpected keyword argument '(\w+)'", str(exc))
    if m is None:
        return ""
    owner, method, wrong = m.groups()
    for name, module in list(sys.modules.items()):
        cls = getattr(module, owner, None) if name.startswith("bastion.detectors") else None
        if isinstance(cls, type) and callable(getattr(cls, method, None)):
            params = inspect.signature(getattr(cls, method)).parameters
            names = [
                n for n, p in params.items() if n not in ("self", "cls") and p.kind is not p.VAR_POSITIONAL
            ]
            close = difflib.get_close_matches(wrong, names, n=1, cutoff=0.6)
            return (f" (did you mean {close[0]!r}?)" if close else "") + f"; options: {', '.join(names)}"
    return ""


__all__ = ["Detector", "DetectorKind", "FACTORIES", "build_detector"]
