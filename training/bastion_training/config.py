"""params.yaml: the one loader, a frozen dataclass per section a stage reads, and the
dataset-root resolution.

Each section class lists every key its section may hold, with its type; a key the class
does not know (a typo, or a knob no code reads) is a :class:`~bastion.errors.ConfigError`
instead of being silently ignored, and values are coerced to the declared type (YAML
reads ``5e-5`` as a string). The defaults on the classes are the only ones: a stage reads
``p.lr``, never ``section.get("lr", 5e-5)``.

The shared datasets live beside the repo and are never copied into it, so every stage
reads them through one configurable root: ``BASTION_DATASETS_ROOT`` wins, else
``datasets_root`` from params.yaml (relative paths are relative to the repo root).

>>> p = TrainInjectionParams.from_mapping({"max_length": 256, "batch_size": 16, "epochs": 2, "lr": "5e-5"})
>>> p.lr, p.window_selection, p.windows_per_row
(5e-05, 'first', 1)
>>> TrainInjectionParams.from_mapping({"max_length": 8, "batch_size": 2, "epochs": 1, "lr": 1, "lrr": 2})
Traceback (most recent call last):
...
bastion.errors.ConfigError: train_injection: unknown key(s) ['lrr']
>>> root = datasets_root(load_params("params.yaml"))
"""

from __future__ import annotations

import dataclasses
import logging
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from bastion.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATASETS_ROOT = "../shared/datasets"
ENV_DATASETS_ROOT = "BASTION_DATASETS_ROOT"
DEFAULT_SEED = 13

log = logging.getLogger("bastion_training.config")


def load_params(path: str | os.PathLike[str] = "params.yaml") -> dict[str, Any]:
    """Read params.yaml; a relative path that does not exist here is tried at the repo root.

    A missing file gives ``{}`` (the data stages run on their defaults); a file whose top
    level is not a mapping is a :class:`ConfigError`.
    """
    p = Path(path)
    if not p.is_absolute() and not p.exists():
        p = REPO_ROOT / p
    if not p.exists():
        log.warning("params file %s not found; using defaults", p)
        return {}
    data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: top level must be a mapping, got {type(data).__name__}")
    return data


def seed_of(params: Mapping[str, Any]) -> int:
    """The pipeline's seed (``seed`` in params.yaml)."""
    return int(params.get("seed", DEFAULT_SEED))


def section(params: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A params section as a dict (empty when absent)."""
    value = params.get(name) or {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"params section {name!r} must be a mapping")
    return dict(value)


def check_keys(name: str, given: Mapping[str, Any], known: typing.Iterable[str]) -> None:
    """Reject keys of section ``name`` that are not in ``known``.

    >>> check_keys("pii", {"n_train": 1, "n_trian": 2}, ["n_train"])
    Traceback (most recent call last):
    ...
    bastion.errors.ConfigError: pii: unknown key(s) ['n_trian']
    """
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ConfigError(f"{name}: unknown key(s) {unknown}")


def _coerce(name: str, key: str, kind: Any, value: Any) -> Any:
    """``value`` as the declared type ``kind`` (int, float, bool, str, an optional of one,
    a Literal, a tuple of str, a mapping)."""
    if value is None:
        if type(None) in typing.get_args(kind):
            return None
        raise ConfigError(f"{name}.{key} must not be null")
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(kind) if a is not type(None)]
        if len(options) == 1:
            return _coerce(name, key, options[0], value)
        for option in options:  # bool | Literal["auto"]: the first that takes the value
            try:
                return _coerce(name, key, option, value)
            except ConfigError:
                continue
        raise ConfigError(f"{name}.{key}: {value!r} is none of {options}")
    if origin is Literal:
        if value not in typing.get_args(kind):
            raise ConfigError(f"{name}.{key} must be one of {typing.get_args(kind)}, got {value!r}")
        return value
    if origin is tuple:
        if isinstance(value, str) or not isinstance(value, typing.Iterable):
            raise ConfigError(f"{name}.{key} must be a list, got {value!r}")
        return tuple(value)
    if origin is Mapping or kind is Mapping:
        if not isinstance(value, Mapping):
            raise ConfigError(f"{name}.{key} must be a mapping, got {value!r}")
        return types.MappingProxyType(dict(value))
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{name}.{key} must be true or false, got {value!r}")
        return value
    try:
        if kind is int and (isinstance(value, bool) or float(value) != int(float(value))):
            raise ValueError
        return kind(value) if kind is not int else int(float(value))
    except (TypeError, ValueError):
        raise ConfigError(f"{name}.{key} must be {kind.__name__}, got {value!r}") from None


@dataclass(frozen=True, kw_only=True)
class Section:
    """Base of the section classes: building from a mapping, strictly."""

    SECTION: ClassVar[str] = ""

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None, name: str | None = None) -> Any:
        name = name or cls.SECTION
        raw = dict(raw or {})
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        check_keys(name, raw, fields)
        missing = [
            k
            for k, f in fields.items()
            if k not in raw and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
        if missing:
            raise ConfigError(f"{name}: missing key(s) {missing}")
        return cls(**{k: _coerce(name, k, hints[k], v) for k, v in raw.items()})

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Any:
        return cls.from_mapping(section(params, cls.SECTION))

    def to_dict(self) -> dict[str, Any]:
        """Plain values (for MLflow and JSON)."""
        return {
            k: dict(v) if isinstance(v, Mapping) else list(v) if isinstance(v, tuple) else v
            for k, v in ((f.name, getattr(self, f.name)) for f in dataclasses.fields(self))
        }

    def _positive(self, *keys: str) -> None:
        for key in keys:
            value = getattr(self, key)
            if value is not None and not value > 0:
                raise ConfigError(f"{self.SECTION}.{key} must be > 0, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class LoopParams(Section):
    """The knobs of :func:`bastion_training.loop.fit`, shared by both fine-tuning sections.

    ``eval_every`` None evaluates once per epoch; ``max_minutes`` / ``max_steps`` None
    mean no limit beyond ``epochs``. ``max_steps`` also sizes the LR schedule, so the rate
    decays to zero at the end of a budgeted run instead of being cut off near its peak.
    """

    batch_size: int
    epochs: int
    lr: float
    weight_decay: float = 0.01
    warmup: float = 0.06
    eval_every: int | None = None
    patience: int = 3
    max_minutes: float | None = None
    max_steps: int | None = None
    threads: int = 2
    track: bool = True

    def __post_init__(self) -> None:
        self._positive("batch_size", "epochs", "lr", "eval_every", "patience", "max_minutes", "max_steps")
        self._positive("threads")
        if not 0 <= self.warmup < 1:
            raise ConfigError(f"{self.SECTION}.warmup must be in [0, 1), got {self.warmup}")


@dataclass(frozen=True, kw_only=True)
class EncoderParams(LoopParams):
    """What a fine-tuning section says about its encoder and data."""

    base: str = "minilm"  # see bastion_training.encoders.BASES
    base_model_dir: str | None = None  # a local HF folder; wins over ``base``
    init_from: str | None = None  # a fine-tuned checkpoint to continue (repo-relative)
    keep_layers: int | None = None  # keep the first n encoder layers (a smaller student)
    max_length: int
    max_train_rows: int | None = None
    max_val_rows: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self._positive("keep_layers", "max_length", "max_train_rows", "max_val_rows")

    def init_checkpoint(self) -> Path | None:
        """The ``init_from`` folder, checked to hold a checkpoint; None to start from the base."""
        if not self.init_from:
            return None
        path = REPO_ROOT / self.init_from
        if not (path / "config.json").exists():
            raise ConfigError(
                f"{self.SECTION}.init_from={self.init_from!r} has no checkpoint here; set it to null "
                "in params.yaml to train from the base model instead"
            )
        return path


@dataclass(frozen=True, kw_only=True)
class TrainInjectionParams(EncoderParams):
    """``train_injection``: the injection sequence classifier.

    ``window_selection`` "max" trains each long row on its highest-scoring window (of at most
    ``max_windows``), as the runtime takes the max over windows; ``family_caps`` caps rows
    per family; ``strict_fpr`` / ``default_max_fpr`` choose the operating points.
    """

    SECTION: ClassVar[str] = "train_injection"
    window_selection: Literal["first", "max"] = "first"
    max_windows: int = 6
    family_caps: Mapping[str, int] = field(default_factory=lambda: types.MappingProxyType({}))
    patience: int = 2
    strict_fpr: float = 0.01
    default_max_fpr: float = 0.03

    def __post_init__(self) -> None:
        super().__post_init__()
        self._positive("max_windows", "strict_fpr", "default_max_fpr")

    @property
    def windows_per_row(self) -> int:
        """Windows scored per long row: ``max_windows`` with "max" selection, else 1 (the first)."""
        return self.max_windows if self.window_selection == "max" else 1


@dataclass(frozen=True, kw_only=True)
class ExportParams(Section):
    """``export``: ONNX opset and int8 quantization of the injection model (the PII section
    carries its own copies of these keys)."""

    SECTION: ClassVar[str] = "export"
    opset: int = 17
    per_channel: bool = True
    reduce_range: bool = True  # 7-bit s8 weights: no u8xs8 saturation on CPUs without VNNI


@dataclass(frozen=True, kw_only=True)
class TrainPIIParams(EncoderParams):
    """``train_pii``: the PII token classifier, and its export (opset, quantization, parity).

    ``case_features`` "auto" is on for an uncased base; ``stride`` None is half a window;
    ``min_score`` is the span threshold while training; ``history`` notes how a continued
    checkpoint came to be (export writes it into the manifest); ``ablation`` holds the
    overrides ``--no-case-features`` applies (checked like the section itself).
    """

    SECTION: ClassVar[str] = "train_pii"
    max_length: int = 128
    case_features: bool | Literal["auto"] = "auto"
    stride: int | None = None
    o_weight: float = 1.0
    min_score: float = 0.5
    threads: int = 1
    history: tuple[str, ...] = ()
    ablation: Mapping[str, Any] = field(default_factory=lambda: types.MappingProxyType({}))
    opset: int = 17
    per_channel: bool = True
    reduce_range: bool = True
    parity_max_rows: int | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self._positive("stride", "o_weight", "parity_max_rows")
        check_keys(f"{self.SECTION}.ablation", self.ablation, {f.name for f in dataclasses.fields(self)})

    def with_ablation(self) -> TrainPIIParams:
        """This section with the ``ablation`` overrides applied."""
        raw = {**self.to_dict(), **self.ablation, "ablation": {}}
        return TrainPIIParams.from_mapping(raw)

    @property
    def window_stride(self) -> int:
        return self.stride or (self.max_length - 2) // 2


@dataclass(frozen=True, kw_only=True)
class LabelThresholdParams(Section):
    """``pii_label_thresholds``: per-label span thresholds chosen on validation by export_pii;
    a label leaves ``train_pii.min_score`` only for an F1 gain of at least ``min_gain``."""

    SECTION: ClassVar[str] = "pii_label_thresholds"
    enabled: bool = True
    grid: tuple[float, ...] = (0.4, 0.9, 0.05)
    min_gain: float = 0.005

    def __post_init__(self) -> None:
        if len(self.grid) != 3:
            raise ConfigError(f"{self.SECTION}.grid must be [low, high, step], got {list(self.grid)}")
        object.__setattr__(self, "grid", tuple(float(g) for g in self.grid))


def datasets_root(params: Mapping[str, Any] | None = None, repo_root: Path = REPO_ROOT) -> Path:
    """The shared datasets folder; a missing folder is logged, not raised.

    Stages go on without it and build whatever does not need it (synthetic data), so a
    checkout without the shared data still runs end to end.
    """
    raw = os.environ.get(ENV_DATASETS_ROOT) or (params or {}).get("datasets_root") or DEFAULT_DATASETS_ROOT
    root = Path(raw).expanduser()
    if not root.is_absolute():
        root = (repo_root / root).resolve()
    if not root.is_dir():
        log.warning(
            "datasets root %s does not exist (set %s or params datasets_root); only synthetic data will be built",
            root,
            ENV_DATASETS_ROOT,
        )
    return root
