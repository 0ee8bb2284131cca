"""One error hierarchy for everything bastion raises on purpose."""

from __future__ import annotations


class BastionError(Exception):
    """Base class of every error bastion raises deliberately."""


class ConfigError(BastionError):
    """A configuration file, policy or detector name is invalid."""


class ModelLoadError(BastionError):
    """A model folder is missing, incomplete, or fails its sha256 check."""


class InputError(BastionError):
    """The input cannot be checked: wrong type, invalid UTF-8, or over the size cap."""


class DetectorError(BastionError):
    """A detector failed or broke its contract (``detect(texts)`` returns one list of
    :class:`~bastion.types.Finding` per text, offsets inside the text, scores in [0, 1]).
    The message names the detector and what was wrong, never the text; the detector's own
    exception is the ``__cause__``."""


class BlockedError(BastionError):
    """Raised by integrations that must stop a pipeline (LangChain, LiteLLM) when the guard
    blocks; ``result`` is the :class:`~bastion.types.CheckResult` (or messages result) that
    blocked, so callers can log labels and scores without the text."""

    def __init__(self, message: str, result: object = None) -> None:
        super().__init__(message)
        self.result = result
