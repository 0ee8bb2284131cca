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
        - {name: some/three-class-set, label: type, label_map: {jailbreak: 1, injection: 1, benign: 0}}

Labels must come out as 0 or 1: a label column holding anything else (a third class, -1, a
score such as 0.9, a class name) needs a ``label_map``; nothing is rounded or guessed. With
``use_hub: true`` a set that cannot be loaded stops the build (:class:`HubDataError`).

>>> load_hub_set({"name": "parquet", "data_files": "some/folder/*.parquet", "split": "train"})  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from bastion.errors import ConfigError

from bastion_training.injection.sources import frame

log = logging.getLogger("bastion_training.hub")


class HubDataError(ConfigError, ValueError):
    """A hub set's spec or labels are invalid, or the set cannot be loaded. Also a ValueError,
    which these errors were before they joined bastion's hierarchy."""


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
     "label_map", "family", "lang", "source")
)  # fmt: skip
_SHOWN = 5  # offending label values named in an error


def _binary(value: Any) -> int | None:
    """``value`` as the label 0 or 1, or None when it is neither. A score (0.9) or a third class
    (2, -1) is not rounded: ``int(0.9)`` once turned an attack into a benign row."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer, float, np.floating)) and value in (0, 1):
        return int(value)
    return None


def _map_label(value: Any, label_map: Mapping[Any, Any]) -> Any:
    """The ``label_map`` entry of a raw label, keys compared as written or as text (YAML keys
    ``2`` and ``"2"`` both match the column value 2); None when unmapped."""
    if isinstance(value, (str, int, float, bool, np.generic)) and value in label_map:
        return label_map[value]
    return {str(k): v for k, v in label_map.items()}.get(str(value))


def binary_labels(values: Sequence[Any], name: str, label_map: Mapping[Any, Any] | None = None) -> list[int]:
    """Raw labels -> 0/1 through ``label_map`` (when given); any other value is a HubDataError
    naming the offending values, never a row silently kept or relabelled."""
    if label_map is not None:
        if not isinstance(label_map, Mapping) or not label_map:
            raise HubDataError(f"{name}: label_map must be a non-empty mapping, got {label_map!r}")
        bad_targets = {k: v for k, v in label_map.items() if _binary(v) is None}
        if bad_targets:
            raise HubDataError(f"{name}: label_map values must be 0 or 1, got {bad_targets}")
    out: list[int] = []
    bad: dict[str, int] = {}
    scores = False
    for v in values:
        y = _binary(v if label_map is None else _map_label(v, label_map))
        if y is None:
            bad[repr(v)] = bad.get(repr(v), 0) + 1
            scores |= isinstance(v, (float, np.floating)) and not float(v).is_integer()
        else:
            out.append(y)
    if bad:
        shown = dict(list(bad.items())[:_SHOWN])
        hint = "add them to label_map" if label_map is not None else "map them with a label_map spec key"
        if scores:  # a probability column is not a label: its cut is the user's decision
            hint = "non-integer values look like scores, threshold them into a 0/1 column first; " + hint
        raise HubDataError(
            f"{name}: {sum(bad.values())} labels are not 0 or 1 ({len(bad)} distinct, value: rows {shown}); "
            f"{hint} (e.g. label_map: {{jailbreak: 1, injection: 1, benign: 0}})"
        )
    return out


def load_hub_set(spec: dict[str, Any]) -> pd.DataFrame:
    """One dataset → the injection schema (text, label, source, family, lang, group).

    ``spec`` keys: ``name`` (hub id, builder name such as "parquet", or a local folder),
    ``split``, optional ``config``/``data_files``/``data_dir``/``revision``, and the
    column mapping ``text`` (default "text"), ``label`` (default "label"; a constant
    ``label_value`` may be given instead), ``label_map`` (raw label -> 0/1, e.g.
    ``{jailbreak: 1, benign: 0}``), ``family``, ``lang``, ``source``. Every label must end up
    0 or 1 (:func:`binary_labels`).
    """
    if "name" not in spec:
        raise HubDataError(f"hub spec needs a 'name': {spec}")
    unknown = sorted(set(spec) - SPEC_KEYS)
    if unknown:
        raise HubDataError(f"hub spec {spec['name']}: unknown keys {unknown} (known: {sorted(SPEC_KEYS)})")
    ds = _load(spec)
    text_col = spec.get("text", "text")
    label_col = spec.get("label", "label")
    if text_col not in ds.column_names:
        raise HubDataError(f"{spec['name']}: no column {text_col!r} (have {ds.column_names})")
    texts = ds[text_col]
    name = str(spec["name"])
    if "label_value" in spec:
        labels = binary_labels([spec["label_value"]], name, spec.get("label_map")) * len(texts)
    elif label_col in ds.column_names:
        labels = binary_labels(ds[label_col], name, spec.get("label_map"))
    else:
        raise HubDataError(f"{spec['name']}: no column {label_col!r} and no label_value")
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


def load_hub_sets(specs: list[dict[str, Any]], skip_failed: bool = True) -> pd.DataFrame:
    """Every configured hub set, concatenated. A set that fails to load is logged and skipped,
    or with ``skip_failed=False`` (the build's ``use_hub: true``) raises HubDataError: a build
    asked for those rows and must not quietly train without them."""
    parts = []
    for spec in specs:
        unknown = sorted(set(spec) - SPEC_KEYS) if isinstance(spec, dict) else None
        if unknown or not isinstance(spec, dict):
            # a typo in params.yaml ("data_file") is the user's to fix, not a set to skip
            raise HubDataError(
                f"injection.hub entry {spec!r}: unknown keys {unknown} (known: {sorted(SPEC_KEYS)})"
            )
        try:
            parts.append(load_hub_set(spec))
        except Exception as exc:  # network, auth, missing column, bad labels
            if not skip_failed:
                raise HubDataError(
                    f"injection.use_hub is true but hub set {spec.get('name')!r} cannot be loaded: {exc}. "
                    "Fix or remove its injection.hub entry, or set use_hub: false."
                ) from exc
            log.warning("hub set %s SKIPPED, its rows are not in this build: %s", spec.get("name"), exc)
    return pd.concat(parts, ignore_index=True) if parts else frame([])
