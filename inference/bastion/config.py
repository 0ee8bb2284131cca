"""What a Guard is made of: the one place that turns a models folder, a YAML file, a task
list or a guard spec string into detectors and policies.

:class:`~bastion.guard.Guard` only assembles what this module decides
(``Guard.default``, ``Guard.from_config`` and ``Guard.from_spec`` are thin doors onto
it), and every front end (``bastion check``/``redact``/``scan``/``serve``, the Spark
integration) names its guard with a :class:`GuardSpec`:

=============================  ============================================================
spec string                    guard
=============================  ============================================================
``None`` or ``"default"``      the shipped models (regex + heuristics, degraded, if missing)
``"tasks=pii"``                the shipped models for those tasks only (``pii,injection``)
``"path/to/guard.yaml"``       that config file (``detectors:``, ``policy:``, ...)
``"package.module:function"``  what that zero-argument factory returns
=============================  ============================================================

>>> GuardSpec.parse("tasks=pii")
GuardSpec(config=None, models_dir=None, tasks=('pii',), factory=None)
>>> [d.name for d in shipped_parts(tasks=("pii",)).detectors]
['regex', 'pii_model']
"""

from __future__ import annotations

import importlib
import json
import logging
import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bastion.detectors import Detector, build_detector
from bastion.detectors.onnx_common import has_manifest
from bastion.errors import ConfigError, ModelLoadError
from bastion.policy import Policy

log = logging.getLogger("bastion")

# what the default guard can run; a PII-only scan skips the injection model entirely
TASKS: tuple[str, ...] = ("pii", "injection")
MODELS_ENV = "BASTION_MODELS_DIR"
ON_MODEL_ERROR = ("degrade", "raise")
# config name of each shipped model detector -> its folder under the models directory
SHIPPED = {"onnx_pii": "pii", "onnx_injection": "injection"}
# The NER keeps every span a Guard may want and the Policy applies the cuts (its defaults
# are the manifest's), so label_thresholds can also go below a model's own cut.
_FLOOR: dict[str, dict[str, Any]] = {"onnx_pii": {"min_score": 0.0}}


def default_models_dir() -> Path:
    """Where the shipped models are: ``$BASTION_MODELS_DIR``, else the package's bundled
    copy (wheel installs), else the repository's ``models/`` (editable installs)."""
    env = os.environ.get(MODELS_ENV)
    if env:
        return Path(env).expanduser()
    here = Path(__file__).resolve().parent
    for cand in (here / "_models", here.parent.parent / "models"):
        if cand.is_dir():
            return cand
    return here.parent.parent / "models"


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one).

    >>> available_cores() >= 1
    True
    """
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def parse_tasks(value: str | Collection[str]) -> tuple[str, ...]:
    """A task list from ``"pii,injection"`` or a sequence; a non-empty subset of :data:`TASKS`.

    >>> parse_tasks("injection, pii"), parse_tasks(["pii"])
    (('injection', 'pii'), ('pii',))
    """
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, Collection) or isinstance(items, Mapping):
        raise ConfigError(f"tasks must be a list such as [pii], got {value!r}")
    tasks = tuple(t.strip() if isinstance(t, str) else t for t in items)
    tasks = tuple(t for t in tasks if t != "")
    if not tasks or not set(tasks) <= set(TASKS):
        raise ConfigError(f"tasks must be a non-empty subset of {list(TASKS)}, got {sorted(map(str, tasks))}")
    return tasks


@dataclass(frozen=True)
class GuardParts:
    """Everything a :class:`~bastion.guard.Guard` is assembled from
    (``Guard.from_parts(parts)``); ``None`` policies mean the Guard's defaults."""

    detectors: tuple[Detector, ...]
    policy: Policy | None = None
    output_policy: Policy | None = None
    degraded_reasons: tuple[str, ...] = ()


def shipped_parts(
    models_dir: str | os.PathLike[str] | None = None,
    policy: Policy | None = None,
    *,
    on_model_error: str = "degrade",
    threads: int | None = None,
    tasks: str | Collection[str] = TASKS,
    output_policy: Policy | None = None,
) -> GuardParts:
    """The shipped models for ``tasks`` plus the regex recognizers; a missing or unusable
    model is replaced by its fallback (degraded) or, with ``on_model_error="raise"``, is a
    :class:`~bastion.errors.ModelLoadError`."""
    if on_model_error not in ON_MODEL_ERROR:
        raise ConfigError(f"on_model_error must be one of {list(ON_MODEL_ERROR)}, got {on_model_error!r}")
    wanted = set(parse_tasks(tasks))
    root = Path(models_dir) if models_dir is not None else default_models_dir()
    detectors: list[Detector] = [build_detector("pii_regex")] if "pii" in wanted else []
    reasons: list[str] = []
    opts: dict[str, Any] = {} if threads is None else {"threads": threads}
    # By default every model session runs on one thread and several windows run at once
    # (OnnxTextModel.workers), the two models side by side (Pipeline._detect) with half the
    # cores each: on this project's 2-core CPU a second intra-op thread barely speeds up a
    # 64-token window, while a second run beside it nearly doubles the work done
    # (benchmarks/bench_latency.py --only parallel). An explicit ``threads`` keeps one run
    # at a time on that many threads.
    n_models = len(wanted & {"pii", "injection"})
    model_opts = (
        opts if threads is not None else {"threads": 1, "workers": max(1, available_cores() // n_models)}
    )

    def model(name: str) -> Detector | None:
        sub = SHIPPED[name]
        path = root / sub
        try:
            if not has_manifest(path):
                if on_model_error == "raise":
                    raise ModelLoadError(f"{sub} model not found: no manifest.json in {path}")
                log.warning("bastion: %s model not found at %s, running degraded", sub, path)
                reasons.append(f"{sub} model not found at {path}")
                return None
            return build_detector(name, path=path, **model_opts, **_FLOOR.get(name, {}))
        except ModelLoadError as exc:
            if on_model_error == "raise":
                raise
            log.warning("bastion: %s model unusable, running degraded: %s", sub, exc)
            reasons.append(f"{sub} model unusable: {exc}")
            return None

    # a one-pass folder is one session serving both tasks: all the cores' worth of windows at once
    onepass_opts = opts if threads is not None else {"threads": 1, "workers": max(1, available_cores())}
    pair = _onepass(root, onepass_opts, on_model_error, reasons) if wanted == {"pii", "injection"} else None
    if pair is not None:
        from bastion.detectors.cascade import CascadeInjectionDetector

        classifier = root / SHIPPED["onnx_injection"]
        if reasons and reasons[-1].startswith(_SCREEN_ALONE):
            detectors.append(build_detector("heuristic_injection"))
        elif (
            not isinstance(pair[0], CascadeInjectionDetector)
            and not _has_manifest_quietly(classifier)
            and _names_cascade(root / "onepass")
        ):
            # the one-pass screen was built to send suspicious windows to this classifier;
            # alone it misses attacks the pair catches, which is a degraded guard
            if on_model_error == "raise":
                raise ModelLoadError(f"injection model not found: no manifest.json in {classifier}")
            reasons.append(
                f"injection model not found at {classifier}: the one-pass screen scores injection "
                "alone, with the heuristic beside it"
            )
            log.warning("bastion: %s", reasons[-1])
            # the screen alone missed attacks the plain no-model fallback catches
            detectors.append(build_detector("heuristic_injection"))
        return GuardParts((*detectors, pair[1], pair[0]), policy, output_policy, tuple(reasons))
    if "pii" in wanted and (pii := model("onnx_pii")) is not None:
        detectors.append(pii)
    if "injection" in wanted:
        detectors.append(model("onnx_injection") or build_detector("heuristic_injection"))
    return GuardParts(tuple(detectors), policy, output_policy, tuple(reasons))


def _has_manifest_quietly(folder: Path) -> bool:
    """:func:`has_manifest`, an unreadable folder counting as none (the one-pass loader has
    already read it by then; this only decides the degraded reason)."""
    try:
        return has_manifest(folder)
    except ModelLoadError:
        return False


def _names_cascade(folder: Path) -> bool:
    """Whether a one-pass folder's manifest sends windows on to the separate classifier."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return bool(manifest["heads"]["injection"].get("cascade"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


_SCREEN_ALONE = "injection model unusable"


def _onepass(
    root: Path, opts: dict[str, Any], on_model_error: str, reasons: list[str]
) -> tuple[Detector, Detector] | None:
    """The one-pass model's (injection, pii) detectors when ``root/onepass`` holds one: one
    encoder pass serves both tasks. A broken one only warns: the separate models still
    cover both tasks, so the guard is not degraded. A broken cascade classifier
    (``root/injection``) keeps the healthy one-pass model, its screen scoring injection
    alone: that is degraded, and the reason is appended to ``reasons``."""
    from bastion.detectors.onepass import CascadeClassifierError, load_onepass_detectors

    floor = _FLOOR["onnx_pii"]["min_score"]
    try:
        return load_onepass_detectors(root, **opts, pii_min_score=floor)
    except CascadeClassifierError as exc:
        if on_model_error == "raise":
            raise
        try:
            pair = load_onepass_detectors(root, **opts, pii_min_score=floor, cascade=False)
        except ModelLoadError as again:
            log.warning("bastion: one-pass model unusable, using the separate models: %s", again)
            return None
        reasons.append(
            f"{_SCREEN_ALONE}: {exc}: the one-pass screen scores injection alone, "
            "with the heuristic beside it"
        )
        log.warning("bastion: %s", reasons[-1])
        return pair
    except ModelLoadError as exc:
        if on_model_error == "raise":
            raise
        log.warning("bastion: one-pass model unusable, using the separate models: %s", exc)
        return None


def yaml_parts(path: str | os.PathLike[str]) -> GuardParts:
    """The parts a YAML config names::

        detectors:                 # or, without it: models_dir and tasks of the shipped models
          - name: pii_regex
            options: {regions: [US, GB, DE]}
          - name: onnx_injection   # the shipped model unless options.path says otherwise
        policy: {label_actions: {API_KEY: block}}
        output_policy: {injection_operating_point: strict}

    Relative paths (``models_dir``, a detector's ``path`` option) are resolved against the
    config file's folder, so a config works from any working directory.
    """
    import yaml

    if not isinstance(path, str | os.PathLike):
        raise ConfigError(
            f"a config is a YAML file's path, not a {type(path).__name__} "
            "(for a mapping: Guard.from_parts(...), Policy.from_dict(...))"
        )
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        # one line: the YAML parser's message spans several, with "<unicode string>" for the file
        detail = " ".join(str(exc).replace('"<unicode string>"', "the file").split())
        raise ConfigError(f"cannot read config {path}: {detail}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"config {path} must be a mapping (a YAML file; JSON works too, TOML does not)")
    base = Path(path).resolve().parent

    def anchored(value: Any) -> Any:
        if isinstance(value, str | os.PathLike) and not Path(value).is_absolute():
            return str(base / value)
        return value

    # a typo must not drop a section ("polcy:" once meant: no policy, keys only redacted)
    unknown = sorted(str(k) for k in raw if k not in _CONFIG_KEYS)
    if unknown:
        raise ConfigError(f"config {path}: unknown keys {unknown}; known: {sorted(_CONFIG_KEYS)}")
    if "detectors" in raw and ({"tasks", "models_dir"} & raw.keys()):
        raise ConfigError(
            f"config {path}: 'tasks' and 'models_dir' choose the shipped models; with 'detectors' "
            "name each detector (and its options.path) instead"
        )
    policy = Policy.from_dict(raw.get("policy"))
    output_policy = Policy.from_dict(raw["output_policy"]) if "output_policy" in raw else None
    specs = raw.get("detectors")
    if specs is None:
        tasks = raw.get("tasks", TASKS)
        if isinstance(tasks, str) or not isinstance(tasks, list | tuple):
            raise ConfigError(f"'tasks' must be a list such as [pii], got {tasks!r}")
        models = raw.get("models_dir")
        if models is not None and not isinstance(models, str):
            raise ConfigError(f"'models_dir' must be a path, got {models!r}")
        return shipped_parts(
            anchored(models) if models else None, policy, tasks=tasks, output_policy=output_policy
        )
    if not isinstance(specs, list) or not specs:
        raise ConfigError("'detectors' must be a non-empty list")
    return GuardParts(tuple(_detector(spec, anchored) for spec in specs), policy, output_policy)


_CONFIG_KEYS = frozenset({"detectors", "policy", "output_policy", "tasks", "models_dir"})


def _detector(spec: Any, anchored: Callable[[Any], Any]) -> Detector:
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise ConfigError(f"invalid detector entry (needs a 'name'): {spec!r}")
    extra = sorted(str(k) for k in spec if k not in ("name", "options"))
    if extra:
        raise ConfigError(f"detector {spec['name']!r}: unknown keys {extra}; known: ['name', 'options']")
    if spec.get("options") is not None and not isinstance(spec["options"], dict):
        raise ConfigError(f"detector {spec['name']!r}: options must be a mapping, got {spec['options']!r}")
    options = dict(spec.get("options") or {})
    if options.get("path") is not None:
        options["path"] = anchored(options["path"])
    elif spec["name"] in SHIPPED:
        options["path"] = default_models_dir() / SHIPPED[spec["name"]]
    return build_detector(spec["name"], **{**_FLOOR.get(spec["name"], {}), **options})


@dataclass(frozen=True)
class GuardSpec:
    """Where a Guard comes from: the shipped models (``models_dir``, ``tasks``), a YAML
    ``config`` file, or a ``factory`` (``"package.module:function"`` returning a Guard).

    Frozen, hashable and picklable: it is what travels to scan workers and Spark
    executors (each builds its own Guard) and what their per-process cache is keyed by.

    >>> GuardSpec(config="guard.yaml", tasks=("pii",))
    Traceback (most recent call last):
    ...
    bastion.errors.ConfigError: tasks (--tasks) apply to the default guard, not with a config file or a guard factory; set 'tasks' in the config instead
    """

    config: str | None = None
    models_dir: str | None = None
    tasks: tuple[str, ...] | None = None
    factory: str | None = None

    def __post_init__(self) -> None:
        if self.config is not None and self.factory is not None:
            raise ConfigError("a guard comes from a config file or a factory, not both")
        if self.tasks is not None:
            object.__setattr__(self, "tasks", parse_tasks(self.tasks))  # frozen: normalised once
        if (self.config or self.factory) and self.tasks is not None:
            raise ConfigError(
                "tasks (--tasks) apply to the default guard, not with a config file or a guard factory; "
                "set 'tasks' in the config instead"
            )
        if (self.config or self.factory) and self.models_dir is not None:
            raise ConfigError("models_dir applies to the default guard, not with a config file or a factory")
        for name in ("config", "models_dir"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, os.fspath(value))

    @classmethod
    def parse(cls, spec: str | os.PathLike[str] | GuardSpec | None) -> GuardSpec:
        """A spec from its string form (the table in the module docstring).

        >>> GuardSpec.parse("no/such/file.yaml")
        Traceback (most recent call last):
        ...
        bastion.errors.ConfigError: guard spec 'no/such/file.yaml' is neither a config file nor 'module:function'
        """
        if isinstance(spec, GuardSpec):
            return spec
        if spec is None or spec == "default":
            return cls()
        text = os.fspath(spec)
        if text.startswith("tasks="):
            return cls(tasks=parse_tasks(text[len("tasks=") :]))
        if os.path.isfile(text):
            return cls(config=text)
        module, sep, attr = text.partition(":")
        if not sep or not module or not attr.isidentifier():
            raise ConfigError(f"guard spec {text!r} is neither a config file nor 'module:function'")
        return cls(factory=text)

    def load_factory(self) -> Callable[[], Any]:
        """The ``module:function`` a factory spec names, imported (not called)."""
        if self.factory is None:
            raise ConfigError("this guard spec names no factory")
        module, _, attr = self.factory.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"cannot import guard factory {self.factory!r}: {exc}") from exc


__all__ = [
    "MODELS_ENV",
    "ON_MODEL_ERROR",
    "TASKS",
    "GuardParts",
    "GuardSpec",
    "default_models_dir",
    "parse_tasks",
    "shipped_parts",
    "yaml_parts",
]
