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
    if isinstance(kind, type) and issubclass(kind, Section):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{name}.{key} must be a mapping, got {value!r}")
        return kind.from_mapping(value, f"{name}.{key}")
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
        """Plain values (for MLflow, JSON and the builders that take a dict)."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def _positive(self, *keys: str) -> None:
        for key in keys:
            value = getattr(self, key)
            if value is not None and not value > 0:
                raise ConfigError(f"{self.SECTION}.{key} must be > 0, got {value!r}")


def _plain(value: Any) -> Any:
    if isinstance(value, Section):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _frozen(mapping: Mapping[str, Any]) -> Any:
    """A default for a mapping field (a read-only view, built per instance)."""
    return field(default_factory=lambda: types.MappingProxyType(dict(mapping)))


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
    # homoglyph folding of the texts it trains on and sees at run time (bastion.normalize;
    # export writes it into the manifest, the Guard folds the model's input the same way):
    # "all" turns Russian and Greek prose into mixed scripts, "mixed" folds plausible spoofs only
    homoglyphs: Literal["all", "mixed"] = "all"

    def __post_init__(self) -> None:
        super().__post_init__()
        self._positive("keep_layers", "max_length", "max_train_rows", "max_val_rows")
        if self.homoglyphs not in ("all", "mixed"):
            raise ConfigError(f"{self.SECTION}.homoglyphs must be 'all' or 'mixed', got {self.homoglyphs!r}")

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
    family_caps: Mapping[str, int] = _frozen({})
    patience: int = 2
    strict_fpr: float = 0.01
    default_max_fpr: float = 0.03
    # append data/processed/injection/mined.parquet (a hard-negative mining round) to train
    mined: bool = False
    # a continuation round (init_from) on a short budget: every row of these families (and
    # the mined rows) plus a seeded replay sample of ``replay_rows`` of the rest; 0: all rows
    focus_families: tuple[str, ...] = ()
    replay_rows: int = 0
    # weight rows so each source that has both labels gives them equal total weight: paired
    # sources (BIPIA, SEP, InjecAgent: the same carriers with and without an attack) then
    # cannot teach "this kind of document is an attack" from a 3:1 positive share
    balance_within_source: bool = False
    # validation families left out when export picks the operating points: a generator family
    # that fills much of validation but little of real traffic would otherwise set the
    # default cut for everyone (run 6: its extraction family pulled the default to 0.05)
    threshold_exclude_families: tuple[str, ...] = ()
    # export writes the int8 graph with per-row activation scales (bastion_training.rowquant):
    # batch invariant, so the runtime batches short windows; calibrated on that graph
    row_quant: bool = False
    # train on what the runtime classifier reads: base64/hex runs replaced by a placeholder
    # (bastion.detectors.payloads; the runtime scores their decoded text on its own), so a
    # random token is not learnt as an encoded attack; export records it in the manifest
    mask_payloads: bool = False

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
class OnePassExportParams(Section):
    """``distill.export``: how export_onepass quantises and calibrates the one-pass graph.

    ``weights`` s8|u8 (activations are always u8), ``const_b_only`` keeps the attention
    products in fp32, ``calibrate`` chooses thresholds on the data builds' validation files,
    ``parity_texts`` caps the held-out texts of the fp32/int8 parity, ``row_quant`` rewrites
    the graph to per-row activation scales (batch invariant), ``cascade_recall`` (with
    ``calibrate``; null: off) writes a cascade into the manifest: the student's ``escalate``
    score passes that share of the validation attacks on to the separate injection classifier
    (``bastion.detectors.cascade``).

    >>> OnePassExportParams.from_params({"distill": {"export": {"row_quant": True}}}).row_quant
    True
    """

    SECTION: ClassVar[str] = "distill.export"
    opset: int = 17
    weights: Literal["s8", "u8"] = "s8"
    per_channel: bool = True
    reduce_range: bool = True
    const_b_only: bool = False
    calibrate: bool = True
    parity_texts: int = 200
    row_quant: bool = False
    cascade_recall: float | None = None

    def __post_init__(self) -> None:
        self._positive("opset", "parity_texts")
        if self.cascade_recall is not None and not 0.0 < self.cascade_recall <= 1.0:
            raise ConfigError(f"distill.export.cascade_recall must be in (0, 1], got {self.cascade_recall}")

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> OnePassExportParams:
        # a subsection: distill.export, which DistillConfig leaves to this class
        return cls.from_mapping(section(section(params, "distill"), "export"))


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
    ablation: Mapping[str, Any] = _frozen({})
    opset: int = 17
    per_channel: bool = True
    reduce_range: bool = True
    parity_max_rows: int | None = None
    # per-row activation scales in the exported graph (see TrainInjectionParams.row_quant)
    row_quant: bool = False
    # a continuation round (init_from): every train row whose template_id matches one of these
    # fnmatch patterns, plus a seeded replay sample of ``replay_rows`` of the rest (real corpora
    # included); 0 trains on every row
    focus_templates: tuple[str, ...] = ()
    replay_rows: int = 0
    # train rows whose template_id matches one of these patterns are left out (a control round)
    exclude_templates: tuple[str, ...] = ()
    # extra copies of a source's train rows ("wnut17": 1) or of one language of it
    # ("synthetic/it": 2): weights the real corpora a continuation round should catch up on
    upweight: Mapping[str, int] = _frozen({})

    def __post_init__(self) -> None:
        super().__post_init__()
        self._positive("stride", "o_weight", "parity_max_rows")
        for key, copies in self.upweight.items():
            if (
                isinstance(copies, bool)
                or not isinstance(copies, int)
                or copies < 1
                or not str(key).strip("/")
            ):
                raise ConfigError(
                    f"{self.SECTION}.upweight: {key!r} needs a whole number of extra copies >= 1, got {copies!r}"
                )
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


@dataclass(frozen=True, kw_only=True)
class LeakageParams(Section):
    """``injection.leakage``: removal of train/val rows that repeat eval-only rows (exact after
    canonicalisation, near by MinHash-LSH over character shingles)."""

    SECTION: ClassVar[str] = "injection.leakage"
    remove_exact: bool = True
    remove_near: bool = True
    threshold: float = 0.6  # estimated Jaccard of character shingles
    num_perm: int = 128
    bands: int = 32
    shingle: int = 5


@dataclass(frozen=True, kw_only=True)
class InjectionDataParams(Section):
    """``injection``: the injection data build (prepare stage, ``injection/build.py``).

    ``engine`` holds the v4 data engine's knobs; its keys are those of
    ``injection.engine.ENGINE_DEFAULTS``, checked by the builder (which owns them).
    """

    SECTION: ClassVar[str] = "injection"
    val_fraction: float = 0.15
    benign_cap_per_source: int = 1100
    benign_capped_sources: tuple[str, ...] = (
        "hwu64", "gsm8k", "natural_questions", "snips", "clinc150", "polyai", "xquad", "xsid",
    )  # fmt: skip
    force_train_sources: tuple[str, ...] = ("deepset_train",)
    template_fills: int = 3
    hard_negatives_per_template: int = 8
    direct_per_template: int = 60
    bipia_docs_per_text_attack: int = 28
    bipia_docs_per_code_attack: int = 28
    bipia_val_categories: Mapping[str, int] = _frozen({"text": 3, "code": 2})
    augment_fraction: float = 0.15
    augment_kinds: tuple[str, ...] = ("zero_width", "homoglyph", "base64", "leetspeak", "spacing")
    max_chars: int = 20000
    # long benign prompts and documents, persuasion and suffix attacks (long_prompts.py)
    long_benign: int = 0
    xquad_passages: bool = False
    persuasion: int = 0
    suffix: int = 0
    generator_docs: Mapping[str, int] = _frozen({"train": 0, "val": 0})
    bipia_clean_copies: int = 0
    # more wrapped copies of one task's clean documents (BIPIA has 50 code contexts and 50
    # attacks per category: at 28 documents per attack, code attacks outnumbered clean code
    # 14:1 and run 7 flagged 60 % of clean code contexts)
    bipia_extra_clean_copies: Mapping[str, int] = _frozen({})
    leakage: LeakageParams = field(default_factory=LeakageParams)
    use_hub: bool = False
    hub: tuple[Mapping[str, Any], ...] = ()
    engine: Mapping[str, Any] = _frozen({})

    def __post_init__(self) -> None:
        if not 0 < self.val_fraction < 1:
            raise ConfigError(f"injection.val_fraction must be in (0, 1), got {self.val_fraction}")
        check_keys("injection.generator_docs", self.generator_docs, ("train", "val"))
        check_keys(
            "injection.bipia_extra_clean_copies", self.bipia_extra_clean_copies, ("email", "table", "code")
        )


@dataclass(frozen=True, kw_only=True)
class PIIDataParams(Section):
    """``pii``: the PII data build (prepare stage): the synthetic generator's sizes, identity
    pools, locales and casing, plus the corpora, WNUT-17 and eval-only sets around it."""

    SECTION: ClassVar[str] = "pii"
    n_train: int = 12000
    n_val: int = 1500
    n_test: int = 1500
    split_fractions: tuple[float, ...] = (0.70, 0.15, 0.15)  # of templates, by id hash
    pool_size: int = 4000  # identities for train; val/test get a quarter each
    locales: Mapping[str, float] = _frozen(
        {
            "en_US": 0.30, "en_GB": 0.10, "en_IN": 0.07, "en_CA": 0.03, "en_AU": 0.03, "de_DE": 0.07,
            "de_AT": 0.02, "de_CH": 0.02, "fr_FR": 0.06, "fr_CH": 0.01, "es_ES": 0.05, "es_MX": 0.03,
            "it_IT": 0.05, "nl_NL": 0.05, "nl_BE": 0.01, "pt_BR": 0.05, "pt_PT": 0.02,
        }
    )  # fmt: skip
    lower_frac: float = 0.15
    upper_frac: float = 0.05
    negative_frac: float = 0.15
    # weight of a hard-negative template by its batch (the tag its split stratum starts with,
    # e.g. "v3i"); others weigh 1. v3i's ~300 train templates would otherwise take 63 % of the
    # negative rows drawn uniformly and cut the English negatives from 606 to 234 rows
    negative_batch_weights: Mapping[str, float] = _frozen({})
    wnut_train: bool = True
    wnut_handles_as_username: bool = True
    corpora: bool = True  # the capped train-role NER corpora (pii/build.py TRAIN_CORPORA)
    corpus_caps: Mapping[str, int] = _frozen({})  # over pii/build.py CORPUS_CAPS
    gazetteers: bool = True
    eval_cap_per_file: int | None = 2000
    eval_sets: tuple[str, ...] | None = None  # None: every known eval-only set

    # the keys the synthetic generator reads (pii/generator.py)
    GENERATOR_KEYS: ClassVar[tuple[str, ...]] = (
        "n_train", "n_val", "n_test", "split_fractions", "pool_size", "locales",
        "lower_frac", "upper_frac", "negative_frac", "negative_batch_weights",
    )  # fmt: skip

    def __post_init__(self) -> None:
        for key in ("n_train", "n_val", "n_test", "pool_size"):
            if getattr(self, key) < 0:
                raise ConfigError(f"pii.{key} must be a non-negative integer, got {getattr(self, key)!r}")
        for key in ("lower_frac", "upper_frac", "negative_frac"):
            if not 0 <= getattr(self, key) <= 1:
                raise ConfigError(f"pii.{key} must be in [0, 1], got {getattr(self, key)!r}")
        for tag, w in dict(self.negative_batch_weights).items():
            if not isinstance(w, (int, float)) or isinstance(w, bool) or w <= 0:
                raise ConfigError(f"pii.negative_batch_weights.{tag} must be a number > 0, got {w!r}")
        if self.lower_frac + self.upper_frac > 1:
            raise ConfigError("pii.lower_frac + pii.upper_frac must be <= 1")
        f = self.split_fractions
        if len(f) != 3 or any(float(x) < 0 for x in f) or sum(float(x) for x in f) <= 0:
            raise ConfigError(f"pii.split_fractions must be three non-negative numbers, got {list(f)!r}")


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
