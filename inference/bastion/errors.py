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
