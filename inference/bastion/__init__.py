"""bastion: prompt-injection and PII guard for LLM applications.

>>> from bastion import Guard
>>> Guard.default().check("hello").action.value
'allow'
"""

from bastion.detectors import Detector, build_detector
from bastion.errors import BastionError, ConfigError, InputError, ModelLoadError
from bastion.guard import Guard
from bastion.policy import Policy
from bastion.redact import Vault, restore
from bastion.types import Action, CheckResult, Finding

__version__ = "0.1.0"

__all__ = [
    "Action",
    "BastionError",
    "CheckResult",
    "ConfigError",
    "Detector",
    "Finding",
    "Guard",
    "InputError",
    "ModelLoadError",
    "Policy",
    "Vault",
    "build_detector",
    "restore",
]
