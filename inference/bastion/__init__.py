"""bastion: prompt-injection and PII guard for LLM applications.

>>> from bastion import Guard
>>> Guard.default().check("hello").action.value
'allow'
>>> import bastion, importlib.metadata
>>> bastion.__version__ == importlib.metadata.version("bastion")
True
"""

from bastion.detectors import Detector, build_detector
from bastion.errors import BastionError, BlockedError, ConfigError, DetectorError, InputError, ModelLoadError
from bastion.guard import Guard
from bastion.policy import Policy
from bastion.redact import Vault, restore
from bastion.types import Action, CheckResult, Finding


def __getattr__(name: str) -> str:
    # the installed distribution's version (pyproject.toml), looked up on first use so that
    # `import bastion` reads no package metadata
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("bastion")
        except PackageNotFoundError:  # a source tree on sys.path, not installed
            return "0+unknown"
    raise AttributeError(f"module 'bastion' has no attribute {name!r}")


__all__ = [
    "Action",
    "BastionError",
    "BlockedError",
    "CheckResult",
    "ConfigError",
    "Detector",
    "Finding",
    "Guard",
    "DetectorError",
    "InputError",
    "ModelLoadError",
    "Policy",
    "Vault",
    "build_detector",
    "restore",
]
