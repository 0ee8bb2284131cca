"""Params and dataset-root resolution for the data stages.

The shared datasets live beside the repo and are never copied into it, so every stage
reads them through one configurable root: ``BASTION_DATASETS_ROOT`` wins, else
``datasets_root`` from params.yaml (relative paths are relative to the repo root).

>>> params = load_params("params.yaml")
>>> root = datasets_root(params)
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATASETS_ROOT = "../shared/datasets"
ENV_DATASETS_ROOT = "BASTION_DATASETS_ROOT"

log = logging.getLogger("bastion_training.config")


def load_params(path: str | os.PathLike[str] = "params.yaml") -> dict[str, Any]:
    """Read params.yaml; a relative path that does not exist here is tried at the repo root."""
    p = Path(path)
    if not p.is_absolute() and not p.exists():
        p = REPO_ROOT / p
    if not p.exists():
        log.warning("params file %s not found; using defaults", p)
        return {}
    data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{p}: top level must be a mapping, got {type(data).__name__}")
    return data


def datasets_root(params: dict[str, Any] | None = None, repo_root: Path = REPO_ROOT) -> Path:
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


def section(params: dict[str, Any], name: str) -> dict[str, Any]:
    """A params section as a dict (empty when absent)."""
    value = params.get(name) or {}
    if not isinstance(value, dict):
        raise ValueError(f"params section {name!r} must be a mapping")
    return value
