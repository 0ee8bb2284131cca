"""The alternate constructors of :class:`~bastion.guard.Guard`: thin doors onto
:mod:`bastion.config`, which decides what a Guard is made of."""

from __future__ import annotations

import dataclasses
import inspect
import os
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bastion.config import TASKS, GuardParts, GuardSpec, shipped_parts, yaml_parts
from bastion.errors import ConfigError
from bastion.policy import Policy

if TYPE_CHECKING:
    from bastion.guard import Guard


class GuardBuilders:
    """Mixed into :class:`~bastion.guard.Guard`: every door ends in :meth:`from_parts`."""

    @classmethod
    def default(
        cls,
        models_dir: str | os.PathLike[str] | None = None,
        policy: Policy | None = None,
        *,
        on_model_error: str = "degrade",
        threads: int | None = None,
        tasks: Collection[str] = TASKS,
        **options: Any,
    ) -> Guard:
        """Shipped models when present, else regex + heuristics with ``degraded=True``.

        ``options`` are the constructor's (``telemetry=True``, ``vault``, ``max_workers``,
        ``parallel_models``, ``output_policy``).

        ``on_model_error="raise"`` turns a missing or corrupt model (no manifest, sha256
        mismatch, a graph that does not fit its manifest) into a :class:`~bastion.errors.ModelLoadError`
        instead of a degraded fallback. ``tasks`` picks what
        runs: ``("pii",)`` for PII-only scans (no injection model cost; ``injection_score``
        is then ``None``), ``("injection",)`` for an injection-only screen. See
        :func:`bastion.config.shipped_parts`.

        >>> from bastion.guard import Guard
        >>> Guard.default(tasks=("pii",)).check("mail jane@example.com").injection_score is None
        True
        """
        parts = shipped_parts(models_dir, policy, on_model_error=on_model_error, threads=threads, tasks=tasks)
        if "output_policy" in options:
            parts = dataclasses.replace(parts, output_policy=options.pop("output_policy"))
        return cls.from_parts(parts, **options)

    @classmethod
    def from_config(cls, path: str | os.PathLike[str]) -> Guard:
        """Build a Guard from a YAML file (the format: :func:`bastion.config.yaml_parts`)::

        detectors:
          - name: pii_regex
            options: {regions: [US, GB, DE]}
          - name: onnx_injection
            options: {path: models/injection}
        policy:
          label_actions: {API_KEY: block}
        """
        return cls.from_parts(yaml_parts(path))

    @classmethod
    def from_spec(cls, spec: GuardSpec | str | os.PathLike[str] | None = None) -> Guard:
        """Build the Guard a :class:`~bastion.config.GuardSpec` (or its string form:
        ``"default"``, ``"tasks=pii"``, a YAML path, ``"module:function"``) names.

        >>> from bastion.guard import Guard
        >>> Guard.from_spec("tasks=pii").check("hi").injection_score is None
        True
        """
        from bastion.guard import Guard  # guard.py imports this module

        spec = GuardSpec.parse(spec)
        if spec.config is not None:
            return cls.from_config(spec.config)
        if spec.factory is None:
            _check_named_models_dir(spec.models_dir)
            return cls.default(spec.models_dir, tasks=spec.tasks or TASKS)
        factory = spec.load_factory()
        try:
            inspect.signature(factory).bind()
        except TypeError as exc:
            raise ConfigError(
                f"guard factory {spec.factory!r} cannot be called without arguments: {exc}"
            ) from None
        except ValueError:
            pass  # no signature to read (a builtin): call it and see
        guard = factory()
        if not isinstance(guard, Guard):
            raise ConfigError(f"guard factory {spec.factory!r} returned {type(guard).__name__}, not a Guard")
        return guard

    @classmethod
    def from_parts(cls, parts: GuardParts, **options: Any) -> Guard:
        """A Guard of the detectors and policies :mod:`bastion.config` decided; ``options``
        are the constructor's keyword options (``vault``, ``telemetry``, ``max_workers``,
        ``parallel_models``)."""
        return cls(
            parts.detectors,
            parts.policy,
            output_policy=parts.output_policy,
            degraded_reasons=parts.degraded_reasons,
            **options,
        )


def _check_named_models_dir(models_dir: str | os.PathLike[str] | None) -> None:
    """A models folder someone named (``models_dir``, ``$BASTION_MODELS_DIR``) that is not
    there is a typo: the commands built from a spec (check, redact, scan, serve, proxy) would
    otherwise run on the regex fallback, names in clear and attacks allowed, and exit 0. A
    folder that exists without the models still degrades, visibly (``degraded_reasons``)."""
    from bastion.config import MODELS_ENV

    named = models_dir if models_dir is not None else os.environ.get(MODELS_ENV) or None
    if named is not None and not Path(named).expanduser().is_dir():
        source = "models_dir" if models_dir is not None else f"${MODELS_ENV}"
        raise ConfigError(f"no models folder at {named} ({source})")
