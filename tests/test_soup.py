"""Weight averaging of checkpoints (bastion_training.soup): the PII model m4s is one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("safetensors")
from bastion_training.soup import average_state, soup  # noqa: E402
from safetensors.numpy import load_file, save_file  # noqa: E402


def _ckpt(path: Path, scale: float, tokenizer: str = '{"v": 1}') -> Path:
    path.mkdir(parents=True)
    save_file(
        {"a": np.full((2, 3), scale, np.float32), "b": np.arange(4, dtype=np.float32) * scale},
        str(path / "model.safetensors"),
    )
    (path / "config.json").write_text("{}")
    (path / "tokenizer.json").write_text(tokenizer)
    return path


def test_soup_writes_the_mean_and_a_summary_without_borrowed_validation(tmp_path: Path) -> None:
    a, b = _ckpt(tmp_path / "a", 1.0), _ckpt(tmp_path / "b", 3.0)
    (tmp_path / "vm.json").write_text(
        json.dumps({"tags": ["O"], "best": {"f1": 0.9}, "calibration_val": {}, "stride": 63})
    )
    summary = soup([a, b], tmp_path / "out", temperature=0.9, summary_from=tmp_path / "vm.json")
    got = load_file(str(tmp_path / "out" / "hf" / "model.safetensors"))
    assert np.all(got["a"] == 2.0) and got["b"].tolist() == [0.0, 2.0, 4.0, 6.0]
    written = json.loads((tmp_path / "out" / "val_metrics.json").read_text())
    assert written == summary and written["best"] == {} and "calibration_val" not in written
    assert written["temperature"] == 0.9 and written["stride"] == 63 and written["tags"] == ["O"]
    assert (tmp_path / "out" / "hf" / "config.json").is_file()


@pytest.mark.parametrize(
    ("states", "weights", "message"),
    [
        ([{"a": np.zeros(2)}, {"a": np.zeros(3)}], None, "shapes differ"),
        ([{"a": np.zeros(2)}, {"b": np.zeros(2)}], None, "differ in tensors"),
        ([{"a": np.zeros(2)}, {"a": np.zeros(2)}], [1.0], "one positive weight"),
        ([{"a": np.zeros(2)}, {"a": np.zeros(2)}], [1.0, 0.0], "one positive weight"),
        ([], None, "nothing to average"),
    ],
)
def test_average_refuses_what_does_not_average(states, weights, message) -> None:
    with pytest.raises(ValueError, match=message):
        average_state(states, weights)


def test_soup_refuses_different_tokenizers(tmp_path: Path) -> None:
    a, b = _ckpt(tmp_path / "a", 1.0), _ckpt(tmp_path / "b", 2.0, tokenizer='{"v": 2}')
    with pytest.raises(ValueError, match="tokenizers"):
        soup([a, b], tmp_path / "out")


def test_soup_accepts_the_same_vocabulary_written_by_another_writer(tmp_path: Path) -> None:
    # run 7 (recovered) and a run from a base trimmed like it: same pieces, one score printed
    # with another digit, save_pretrained's own truncation block
    one = {
        "model": {"type": "Unigram", "vocab": [["<s>", 0.0], ["k", -7.471577644348144]]},
        "truncation": None,
    }
    two = {
        "truncation": {"max_length": 512, "strategy": "LongestFirst"},
        "model": {"type": "Unigram", "vocab": [["<s>", 0.0], ["k", -7.4715776443481445]]},
    }
    a = _ckpt(tmp_path / "a", 1.0, tokenizer=json.dumps(one))
    b = _ckpt(tmp_path / "b", 3.0, tokenizer=json.dumps(two, indent=2))
    soup([a, b], tmp_path / "out")
    three = {"model": {"type": "Unigram", "vocab": [["<s>", 0.0], ["q", -7.471577644348144]]}}
    c = _ckpt(tmp_path / "c", 1.0, tokenizer=json.dumps(three))
    with pytest.raises(ValueError, match="tokenizers"):
        soup([a, c], tmp_path / "out2")
