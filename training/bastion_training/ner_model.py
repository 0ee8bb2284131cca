"""BERT token classifier with an extra ``case_ids`` input (capitalisation classes).

The case embedding is added to the word embeddings before the encoder, initialised to
zeros so that training starts exactly from the pretrained model and learns how much
capitalisation matters. The flag ``use_case_features`` lives in the saved config, so
``from_pretrained`` rebuilds the same architecture.

>>> from transformers import BertConfig
>>> cfg = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
...                  intermediate_size=32, num_labels=3, use_case_features=True)
>>> m = CaseBertForTokenClassification(cfg)
>>> float(m.case_embeddings.weight.detach().abs().sum())
0.0
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from bastion.casefeatures import NUM_CASE_CLASSES
from torch import nn
from transformers import BertConfig, BertForTokenClassification


class CaseEmbeddings:
    """The case embedding of a BERT model with a ``case_ids`` input (this module's token
    classifier and ``distill.OnePassStudent``): ``nn.Embedding(num_case_classes, hidden)``
    added to the word embeddings when the config's ``use_case_features`` is set, kept at
    zero by weight initialisation. A mixin, listed before the transformers base class."""

    def _add_case_embeddings(self, config: BertConfig) -> None:
        self.use_case_features = bool(getattr(config, "use_case_features", False))
        if self.use_case_features:
            config.num_case_classes = int(getattr(config, "num_case_classes", NUM_CASE_CLASSES))
            self.case_embeddings = nn.Embedding(config.num_case_classes, config.hidden_size)

    def _init_weights(self, module: nn.Module) -> None:
        # Missing keys after from_pretrained(base) are re-initialised through here; the case
        # embedding must start at zero or it perturbs the pretrained embeddings.
        if module is getattr(self, "case_embeddings", None):
            nn.init.zeros_(module.weight)
            return
        super()._init_weights(module)  # type: ignore[misc]

    def _case_embeds(self, input_ids: torch.Tensor, case_ids: torch.Tensor | None) -> torch.Tensor:
        """The encoder's ``inputs_embeds``: word embeddings plus those of ``case_ids`` (if any)."""
        embeds = self.bert.embeddings.word_embeddings(input_ids)  # type: ignore[attr-defined]
        if case_ids is not None:
            embeds = embeds + self.case_embeddings(case_ids)
        return embeds


class CaseBertForTokenClassification(CaseEmbeddings, BertForTokenClassification):
    """``BertForTokenClassification`` + ``nn.Embedding(NUM_CASE_CLASSES, hidden)`` on case ids."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        self._add_case_embeddings(config)
        if self.use_case_features:
            # the base class has already run its weight initialisation
            nn.init.zeros_(self.case_embeddings.weight)

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        case_ids: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        **kwargs: Any,
    ):
        if not self.use_case_features or input_ids is None:
            return super().forward(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
                labels=labels,
                **kwargs,
            )
        embeds = self._case_embeds(input_ids, case_ids)
        # BertEmbeddings adds position and token-type embeddings to inputs_embeds, so this
        # is exactly the stock model when the case embedding is zero.
        return super().forward(
            input_ids=None,
            inputs_embeds=embeds,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            labels=labels,
            **kwargs,
        )


def from_base(
    base: str | Path, tags: tuple[str, ...], *, use_case_features: bool = True
) -> CaseBertForTokenClassification:
    """The pretrained encoder with a fresh tagging head over ``tags`` (and zero case embedding)."""
    config = BertConfig.from_pretrained(
        str(base),
        num_labels=len(tags),
        id2label=dict(enumerate(tags)),
        label2id={t: i for i, t in enumerate(tags)},
    )
    # Set after loading: unknown from_pretrained kwargs would go to the model constructor.
    config.use_case_features = bool(use_case_features)
    config.num_case_classes = NUM_CASE_CLASSES
    model = CaseBertForTokenClassification.from_pretrained(
        str(base), config=config, ignore_mismatched_sizes=True
    )
    if use_case_features:
        with torch.no_grad():
            model.case_embeddings.weight.zero_()
    return model


def load(path: str | Path) -> CaseBertForTokenClassification:
    """A fine-tuned checkpoint written by ``save_pretrained``."""
    return CaseBertForTokenClassification.from_pretrained(str(path))
