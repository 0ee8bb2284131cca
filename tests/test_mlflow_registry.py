"""The evaluation stages register the shipped model folder in MLflow's model registry."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("mlflow")

from bastion_training.common import mlflow_run, register_model_folder  # noqa: E402


def test_register_model_folder_creates_versions(tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.chdir(tmp_path)  # the default artifact root is relative to the working directory
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"version": "v-test"}))
    (folder / "model.onnx").write_bytes(b"\0onnx")
    versions = []
    for tag in ("v1", "v2"):
        with mlflow_run("registry-test", {"k": tag}, tracking_uri=uri) as mlf:
            assert mlf is not None
            versions.append(register_model_folder(mlf, folder, "bastion-test", tag))
    assert versions == ["1", "2"]
    client = MlflowClient(tracking_uri=uri)
    mv = client.get_model_version("bastion-test", "2")
    assert mv.tags["bastion_version"] == "v2"
    run_files = {f.path for f in client.list_artifacts(mv.run_id, "model")}
    assert run_files == {"model/manifest.json", "model/model.onnx"}
