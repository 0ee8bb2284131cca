"""Optional Hugging Face Hub route for injection data (``injection.use_hub: true``).

Off by default: this project builds offline from the shared datasets folder. With
internet, extra labelled sets can be pulled with ``datasets.load_dataset`` and mapped onto
the injection schema. The same code also reads local dataset folders, parquet files and
``save_to_disk`` directories, which is how the tests exercise it offline.

params.yaml::

    injection:
      use_hub: true
      hub:
        - {name: deepset/prompt-injections, split: train, text: text, label: label, family: direct}

>>> load_hub_set({"name": "parquet", "data_files": "some/folder/*.parquet", "split": "train"})  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from bastion_training.injection.sources import frame

log = logging.getLogger("bastion_training.hub")


def _load(spec: dict[str, Any]):
    import datasets  # training-only dependency, imported on use

    name = spec["name"]
    split = spec.get("split", "train")
    path = Path(str(name)).expanduser()
    if path.is_dir() and ((path / "dataset_info.json").exists() or (path / "state.json").exists()):
        ds = datasets.load_from_disk(str(path))
        return ds[split] if isinstance(ds, datasets.DatasetDict) else ds
    kwargs = {k: spec[k] for k in ("data_files", "data_dir", "revision", "cache_dir") if k in spec}
    builder = _FILE_BUILDERS.get(path.suffix.lower()) if path.is_file() else None
    if builder is not None:
        # one local file: the builder of its format reads it ("name: data/extra.parquet")
        return datasets.load_dataset(builder, data_files=str(path), split=split)
    return datasets.load_dataset(str(name), spec.get("config"), split=split, **kwargs)


_FILE_BUILDERS = {".parquet": "parquet", ".csv": "csv", ".json": "json", ".jsonl": "json"}
SPEC_KEYS = frozenset(
    ("name", "split", "config", "data_files", "data_dir", "revision", "cache_dir", "text", "label", "label_value",
     "family", "lang", "source")
)  # fmt: skip


def load_hub_set(spec: dict[str, Any]) -> pd.DataFrame:
    """One dataset → the injection schema (text, label, source, family, lang, group).

    ``spec`` keys: ``name`` (hub id, builder name such as "parquet", or a local folder),
    ``split``, optional ``config``/``data_files``/``data_dir``/``revision``, and the
    column mapping ``text`` (default "text"), ``label`` (default "label"; a constant
    ``label_value`` may be given instead), ``family``, ``lang``, ``source``.
    """
    if "name" not in spec:
        raise ValueError(f"hub spec needs a 'name': {spec}")
    unknown = sorted(set(spec) - SPEC_KEYS)
    if unknown:
        raise ValueError(f"hub spec {spec['name']}: unknown keys {unknown} (known: {sorted(SPEC_KEYS)})")
    ds = _load(spec)
    text_col = spec.get("text", "text")
    label_col = spec.get("label", "label")
    if text_col not in ds.column_names:
        raise ValueError(f"{spec['name']}: no column {text_col!r} (have {ds.column_names})")
    texts = ds[text_col]
    if "label_value" in spec:
        labels = [int(spec["label_value"])] * len(texts)
    elif label_col in ds.column_names:
        labels = [int(v) for v in ds[label_col]]
    else:
        raise ValueError(f"{spec['name']}: no column {label_col!r} and no label_value")
    source = spec.get("source") or "hub:" + str(spec["name"]).replace("/", "_")
    family = spec.get("family", "hub")
    lang = spec.get("lang", "en")
    rows = [
        {"text": t, "label": y, "source": source, "family": family, "lang": lang, "group": f"{source}:{i}"}
        for i, (t, y) in enumerate(zip(texts, labels, strict=True))
        if t
    ]
    log.info("hub set %s/%s: %d rows", spec["name"], spec.get("split", "train"), len(rows))
    return frame(rows)


def load_hub_sets(specs: list[dict[str, Any]]) -> pd.DataFrame:
    """Every configured hub set, concatenated; a failing set is logged and skipped."""
    parts = []
    for spec in specs:
        unknown = sorted(set(spec) - SPEC_KEYS) if isinstance(spec, dict) else None
        if unknown or not isinstance(spec, dict):
            # a typo in params.yaml ("data_file") is the user's to fix, not a set to skip
            raise ValueError(
                f"injection.hub entry {spec!r}: unknown keys {unknown} (known: {sorted(SPEC_KEYS)})"
            )
        try:
            parts.append(load_hub_set(spec))
        except Exception as exc:  # network, auth, missing column: the offline build must go on
            log.warning("hub set %s SKIPPED, its rows are not in this build: %s", spec.get("name"), exc)
    return pd.concat(parts, ignore_index=True) if parts else frame([])
