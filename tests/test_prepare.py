"""The prepare stage end to end on a miniature datasets root written into tmp_path."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from bastion.errors import ConfigError
from bastion_training import prepare
from bastion_training.config import ENV_DATASETS_ROOT, datasets_root, load_params
from test_injection_data import make_root
from test_pii_loaders import TINY_PII


def _params(tmp_path: Path, **injection) -> Path:
    p = tmp_path / "params.yaml"
    p.write_text(
        yaml.safe_dump({"seed": 5, "datasets_root": "unused", "injection": injection}), encoding="utf-8"
    )
    return p


def _run(tmp_path: Path, params: Path, *extra: str) -> int:
    return prepare.main(
        [
            "--params",
            str(params),
            "--out",
            str(tmp_path / "processed"),
            "--card",
            str(tmp_path / "README.md"),
            *extra,
        ]
    )


def test_prepare_writes_frames_and_card(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_DATASETS_ROOT, str(make_root(tmp_path)))
    monkeypatch.setitem(sys.modules, "bastion_training.pii.build", None)  # PII builder absent
    assert _run(tmp_path, _params(tmp_path)) == 0
    inj = tmp_path / "processed/injection"
    names = {p.stem for p in inj.glob("*.parquet")}
    assert {"train", "val", "eval_deepset_test", "eval_bipia_test", "eval_xstest", "eval_jbb_jbc"} <= names
    assert not list(inj.glob(".*tmp*"))  # atomic writes leave no temp files
    train = pd.read_parquet(inj / "train.parquet")
    assert list(train.columns) == ["text", "label", "source", "family", "split", "lang"]
    assert set(train["label"]) == {0, 1}
    card = (tmp_path / "README.md").read_text(encoding="utf-8")
    for heading in (
        "rows per file × label",
        "rows per source × label × split × language",
        "Licence per source",
        "Leakage report",
    ):
        assert heading in card
    assert "CC0-1.0" in card and "PII builder not available" in card


def test_prepare_fails_loudly_when_leak_removal_disabled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_root(tmp_path)
    # plant an eval-only text (NotInject) into a training source
    (root / "injection/self-instruct/data/seed_tasks.jsonl").write_text(
        '{"instruction": "Can I ignore this compiler warning safely?", "instances": []}\n', encoding="utf-8"
    )
    monkeypatch.setenv(ENV_DATASETS_ROOT, str(root))
    params = _params(tmp_path, leakage={"remove_exact": False})
    assert _run(tmp_path, params, "--skip-pii") == 2
    assert not (tmp_path / "processed/injection/train.parquet").exists()
    # with removal on, the same data builds and the leaked row is gone
    assert _run(tmp_path, _params(tmp_path), "--skip-pii") == 0
    train = pd.read_parquet(tmp_path / "processed/injection/train.parquet")
    val = pd.read_parquet(tmp_path / "processed/injection/val.parquet")
    assert "Can I ignore this compiler warning safely?" not in set(train["text"]) | set(val["text"])
    assert "notinject_one" in (tmp_path / "README.md").read_text(encoding="utf-8")


def test_prepare_without_datasets_still_builds_synthetic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    monkeypatch.setenv(ENV_DATASETS_ROOT, str(tmp_path / "does-not-exist"))
    with caplog.at_level(logging.WARNING):
        assert _run(tmp_path, _params(tmp_path), "--skip-pii") == 0
    assert "does not exist" in caplog.text
    train = pd.read_parquet(tmp_path / "processed/injection/train.parquet")
    assert set(train["source"]) <= {"synthetic_hard_negative", "synthetic_direct"} and len(train) > 300


def test_datasets_root_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_DATASETS_ROOT, raising=False)
    (tmp_path / "data").mkdir()
    assert datasets_root({"datasets_root": "data"}, repo_root=tmp_path) == (tmp_path / "data").resolve()
    assert datasets_root({}, repo_root=tmp_path / "repo") == (tmp_path / "shared/datasets").resolve()
    monkeypatch.setenv(ENV_DATASETS_ROOT, str(tmp_path / "elsewhere"))
    assert datasets_root({"datasets_root": "data"}, repo_root=tmp_path) == tmp_path / "elsewhere"


@pytest.mark.parametrize(("content", "expected"), [("seed: 3\n", {"seed": 3}), ("", {})])
def test_load_params(tmp_path: Path, content: str, expected: dict) -> None:
    p = tmp_path / "p.yaml"
    p.write_text(content, encoding="utf-8")
    assert load_params(p) == expected


def test_load_params_rejects_non_mapping(tmp_path: Path) -> None:
    p = tmp_path / "p.yaml"
    p.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="mapping"):
        load_params(p)


def test_skip_injection_builds_pii_only_and_leaves_injection_files_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_DATASETS_ROOT, str(tmp_path / "no-datasets"))
    inj = tmp_path / "processed/injection"
    inj.mkdir(parents=True)
    (inj / "train.parquet").write_bytes(b"keep me")
    (tmp_path / "README.md").write_text("card", encoding="utf-8")

    # not even imported: a None entry in sys.modules makes any import of it fail
    monkeypatch.setitem(sys.modules, "bastion_training.injection.build", None)
    p = tmp_path / "params.yaml"
    p.write_text(yaml.safe_dump({"seed": 5, "pii": TINY_PII}), encoding="utf-8")
    assert _run(tmp_path, p, "--skip-injection") == 0
    assert (inj / "train.parquet").read_bytes() == b"keep me"
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == "card"
    out = tmp_path / "processed/pii"
    assert {q.stem for q in out.glob("*.parquet")} == {"train", "val", "test"}
    assert len(pd.read_parquet(out / "train.parquet")) == TINY_PII["n_train"]
    assert "Spans per file × language × label" in (out / "README.md").read_text(encoding="utf-8")


def test_skip_both_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        _run(tmp_path, _params(tmp_path), "--skip-injection", "--skip-pii")
