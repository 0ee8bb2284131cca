"""Register a shipped model folder (``models/<model>``) in the MLflow model registry.

The DVC ``register_injection`` / ``register_pii`` stages run this after the evaluation, so
the registry is written by one stage of its own: rerunning an evaluation adds no registry
version. A folder whose files are already registered (same ``manifest.json`` sha256) gets its
existing version back instead of a duplicate. The receipt (``--out``) names the version; the
registry lives in this machine's tracking store (``MLFLOW_TRACKING_URI``, else
``sqlite:///mlflow.db`` in the repository).

Example::

    python -m bastion_training.register --model injection --model-dir models/injection \\
        --report reports/injection --out artifacts/registry/injection.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path
from typing import Any

from bastion_training.common import REPO_ROOT, log, mlflow_run, register_model_folder, sha256_file, write_json

REPORT_FILES = ("metrics.json", "timing.json", "summary.md")


def tracking_uri(explicit: str | None = None) -> str:
    """The store :func:`bastion_training.common.mlflow_run` uses for the same arguments."""
    return explicit or os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{REPO_ROOT / 'mlflow.db'}"


def report_model_version(report_dir: Path | None) -> str | None:
    """The model version an evaluation report measured (``meta.version`` of an injection
    report, ``model_version`` of a PII one), or None.

    >>> report_model_version(None) is None
    True
    """
    path = None if report_dir is None else report_dir / "metrics.json"
    if path is None or not path.is_file():
        return None
    metrics = json.loads(path.read_text(encoding="utf-8"))
    found = (metrics.get("meta") or {}).get("version") or metrics.get("model_version")
    return None if found is None else str(found)


def _existing_version(client: Any, name: str, manifest_sha: str) -> str | None:
    try:
        versions = client.search_model_versions(f"name='{name}'")
    except Exception:  # no such registered model yet (MLflow raises its own RestException)
        return None
    for mv in versions:
        if (mv.tags or {}).get("manifest_sha256") == manifest_sha:
            return str(mv.version)
    return None


def register(
    model: str, model_dir: Path, report_dir: Path | None = None, uri: str | None = None
) -> dict[str, Any]:
    """Register ``model_dir`` as a version of ``bastion-<model>``; returns the receipt.

    >>> register("injection", Path("models/injection"))  # doctest: +SKIP
    {'name': 'bastion-injection', 'registry_version': '3', 'bastion_version': '2026.11.26-d3e8c7d4', ...}
    """
    try:
        from mlflow.tracking import MlflowClient
    except ImportError as exc:  # unlike training, registering is the whole point of this stage
        raise SystemExit(f"mlflow is not installed ({exc}): pip install -e '.[train]'") from None
    manifest_path = model_dir / "manifest.json"
    if not manifest_path.is_file():
        raise SystemExit(f"{manifest_path} not found: run the export stage first")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    version = str(manifest["version"])
    manifest_sha = sha256_file(manifest_path)  # it lists the sha256 of every model file
    name = f"bastion-{model}"
    uri = tracking_uri(uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    receipt: dict[str, Any] = {"name": name, "bastion_version": version, "manifest_sha256": manifest_sha}
    measured = report_model_version(report_dir)
    if measured is not None and measured != version:
        # the evaluations measure what Guard.default runs (the one-pass folder around this
        # model): the registry says so instead of filing those numbers as this folder's own
        log.warning(
            "%s: the report measures %s, not %s; attached with a report_measures tag", name, measured, version
        )
        receipt["report_measures"] = measured
    existing = _existing_version(client, name, manifest_sha)
    if existing is not None:
        log.info("%s %s is already registry version %s", name, version, existing)
        return {**receipt, "registry_version": existing, "reused": True}
    with mlflow_run(f"{model}-register", {"model_version": version}, tracking_uri=uri) as mlf:
        if report_dir is not None:
            for f in REPORT_FILES:
                if (report_dir / f).is_file():
                    mlf.log_artifact(str(report_dir / f), artifact_path="report")
        reg = register_model_folder(mlf, model_dir, name, version)
        run_id = mlf.active_run().info.run_id
    client.set_model_version_tag(name, reg, "manifest_sha256", manifest_sha)
    if "report_measures" in receipt:
        client.set_model_version_tag(name, reg, "report_measures", receipt["report_measures"])
    log.info("registered %s version %s (%s)", name, reg, version)
    return {**receipt, "registry_version": reg, "run_id": run_id, "reused": False}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bastion_training.register", description=__doc__.split("\n")[0])
    ap.add_argument("--model", choices=["injection", "pii"], required=True)
    ap.add_argument("--model-dir", default=None, help="default models/<model>")
    ap.add_argument(
        "--report", default=None, help="evaluation report folder to attach (default reports/<model>)"
    )
    ap.add_argument("--out", default=None, help="receipt JSON (default artifacts/registry/<model>.json)")
    ap.add_argument(
        "--tracking-uri", default=None, help="default $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db"
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    model_dir = Path(args.model_dir) if args.model_dir else REPO_ROOT / "models" / args.model
    report = Path(args.report) if args.report else REPO_ROOT / "reports" / args.model
    if args.report and not (report / "metrics.json").is_file():
        # a typo here registered a version without its evaluation, and said nothing
        ap.error(f"--report {report}: no metrics.json there (an evaluate_{args.model} output folder)")
    out = Path(args.out) if args.out else REPO_ROOT / "artifacts" / "registry" / f"{args.model}.json"
    receipt = register(args.model, model_dir, report, args.tracking_uri)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, receipt)
    print(json.dumps(receipt, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
