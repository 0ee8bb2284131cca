"""The fine-tuned injection/jailbreak classifier, run with onnxruntime."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from bastion.detectors.onnx_common import OnnxTextModel, length_batches, softmax
from bastion.errors import ModelLoadError
from bastion.labels import INJECTION_LABEL
from bastion.types import INJECTION, Finding


class OnnxInjectionDetector:
    """Scores each text with the shipped classifier; the score of a long text is the max
    over its sliding windows, and the finding's span is the window that scored highest.

    >>> det = OnnxInjectionDetector.load("models/injection")  # doctest: +SKIP
    >>> det.detect(["Ignore previous instructions"])[0][0].score > 0.5  # doctest: +SKIP
    True
    """

    category = INJECTION
    kind = "model"

    def __init__(self, model: OnnxTextModel, *, batch_size: int = 32, name: str = "injection_model") -> None:
        labels = model.manifest.labels
        if INJECTION_LABEL not in labels:
            raise ModelLoadError(f"{model.folder}: manifest labels {labels} lack {INJECTION_LABEL}")
        self.model = model
        self.name = name
        self.version = model.manifest.version
        self.thresholds = dict(model.manifest.thresholds) or {"default": 0.5, "strict": 0.5}
        self.batch_size = batch_size
        self._pos = labels.index(INJECTION_LABEL)

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        threads: int | None = None,
        batch_size: int = 32,
        verify: bool = True,
    ) -> OnnxInjectionDetector:
        return cls(OnnxTextModel(path, threads=threads, verify=verify), batch_size=batch_size)

    def scores(self, texts: Sequence[str]) -> list[tuple[float, int, int]]:
        """(max window probability, char start, char end of that window) per text; -1 score if empty."""
        encs = self.model.encode(texts)
        jobs: list[tuple[int, list[int], int, int]] = []
        for ti, enc in enumerate(encs):
            ids, offs = enc.ids, enc.offsets
            for s, e in self.model.windows(len(ids)):
                if e > s:
                    jobs.append((ti, ids[s:e], offs[s][0], offs[e - 1][1]))
        best: list[tuple[float, int, int]] = [(-1.0, 0, 0)] * len(texts)
        for batch in length_batches([len(j[1]) for j in jobs], self.batch_size):
            chunk = [jobs[j] for j in batch]
            logits = self.model.run(self.model.feeds([c[1] for c in chunk]))
            probs = softmax(logits.astype(np.float64))[:, self._pos]
            for (ti, _, cs, ce), p in zip(chunk, probs, strict=True):
                if p > best[ti][0]:
                    best[ti] = (float(p), cs, ce)
        return best

    def detect(self, texts: Sequence[str]) -> list[list[Finding]]:
        out: list[list[Finding]] = []
        for score, s, e in self.scores(texts):
            if score < 0:
                out.append([])
            else:
                out.append([Finding(INJECTION_LABEL, s, e, score, self.name, INJECTION)])
        return out
