"""MLflow from the training side: registering a shipped model folder (the register stages) and
an evaluation's run (log_report)."""

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


def test_log_report_logs_headline_metrics_and_the_report(tmp_path, monkeypatch):
    from bastion_training.common import log_report
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.chdir(tmp_path)
    report = tmp_path / "report"
    report.mkdir()
    (report / "metrics.json").write_text("{}")
    log_report("eval-test", {"model_version": "v1"}, {"f1": 0.5, "fpr:wildguard": 0.1, "ece": None}, report)
    client = MlflowClient(tracking_uri=uri)
    (run,) = client.search_runs([client.get_experiment_by_name("eval-test").experiment_id])
    assert run.data.metrics == {"f1": 0.5, "fpr_wildguard": 0.1}
    assert run.data.params == {"model_version": "v1"}
    assert [f.path for f in client.list_artifacts(run.info.run_id, "report")] == ["report/metrics.json"]


def test_log_report_never_fails_the_evaluation(tmp_path, monkeypatch, caplog):
    from bastion_training.common import log_report

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.chdir(tmp_path)

    # a metric value MLflow refuses: the run fails, the evaluation goes on
    log_report("eval-test", {}, {"f1": "not a number"}, tmp_path)
    assert "mlflow logging failed" in caplog.text


def test_register_refuses_a_report_folder_without_metrics(tmp_path, monkeypatch):
    # a typo in --report once registered a version without its evaluation, silently
    from bastion_training.register import main

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")

    with pytest.raises(SystemExit) as exc:
        main(
            [
                "--model",
                "injection",
                "--report",
                str(tmp_path / "no-such-report"),
                "--out",
                str(tmp_path / "r.json"),
            ]
        )
    assert exc.value.code == 2 and not (tmp_path / "r.json").exists()


def test_a_report_of_another_model_version_is_tagged_as_such(tmp_path, monkeypatch):
    # s32 qa_pipeline M2: the one-pass folder's report was filed as the classifier's own
    from bastion_training.register import register
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.chdir(tmp_path)
    folder, report = tmp_path / "model", tmp_path / "report"
    folder.mkdir()
    report.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"version": "2026.12.02-classifier"}))
    (folder / "model.onnx").write_bytes(b"\0onnx")
    (report / "metrics.json").write_text(json.dumps({"meta": {"version": "2026.12.04-onepass"}}))
    receipt = register("injection", folder, report, uri=uri)
    assert receipt["report_measures"] == "2026.12.04-onepass"
    mv = MlflowClient(tracking_uri=uri, registry_uri=uri).get_model_version(
        "bastion-injection", receipt["registry_version"]
    )
    assert mv.tags["report_measures"] == "2026.12.04-onepass"
    (report / "metrics.json").write_text(json.dumps({"meta": {"version": "2026.12.02-classifier"}}))
    (folder / "model.onnx").write_bytes(b"\0onnx2")
    (folder / "manifest.json").write_text(json.dumps({"version": "2026.12.02-classifier", "n": 2}))
    assert "report_measures" not in register("injection", folder, report, uri=uri)
