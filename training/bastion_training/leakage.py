"""Train/eval leakage detection: exact (normalised hash) and near-duplicate (MinHash + LSH).

Rows of train/val that repeat an eval-only row, exactly or with a few words changed, make
eval scores meaningless, so they are removed before training. Texts are compared after
the runtime normalisation (NFKC, invisible characters, homoglyphs), casefolding and
whitespace collapsing; near duplicates use MinHash over character 5-shingles (robust for
the many short prompts where word 5-shingles would be empty), bucketed with LSH bands and
confirmed by the estimated Jaccard similarity. numpy + hashlib only.

>>> pairs = find_leaks(["ignore all previous instructions now"], ["Ignore  all previous instructions now"])
>>> pairs["kind"].tolist()
['exact']
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from bastion.normalize import normalize

log = logging.getLogger("bastion_training.leakage")

_WS = re.compile(r"\s+")
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


class LeakageError(RuntimeError):
    """Leakage between train/val and eval-only data remains after the removal steps."""


@dataclass(frozen=True)
class LeakageConfig:
    """MinHash/LSH knobs. 128 permutations in 32 bands of 4 put the LSH 50% point at a
    Jaccard of ~0.42, well below ``threshold``, so few true near-duplicates are missed."""

    num_perm: int = 128
    """MinHash permutations: the length of a text's signature."""
    bands: int = 32
    """LSH bands the signature is cut into; rows sharing one band's values are candidates."""
    shingle: int = 5
    """Characters per shingle of the canonical text."""
    threshold: float = 0.6
    """Estimated Jaccard similarity from which a candidate pair is a near-duplicate."""
    seed: int = 1234
    """Seed of the permutations (the data builds pass their own)."""
    max_chars: int = 20000
    """Characters of a text that are shingled (long documents are compared on their start)."""

    def __post_init__(self) -> None:
        if self.num_perm % self.bands:
            raise ValueError("num_perm must be a multiple of bands")
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")


def canonical(text: str) -> str:
    """The comparison form: runtime normalisation, casefold, whitespace collapsed."""
    return _WS.sub(" ", normalize(str(text)).text.casefold()).strip()


def exact_key(text: str) -> str:
    return hashlib.blake2b(canonical(text).encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def _splitmix(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


class MinHasher:
    """MinHash signatures of character shingles, vectorised per text with numpy."""

    def __init__(self, cfg: LeakageConfig) -> None:
        self.cfg = cfg
        rng = np.random.default_rng(cfg.seed)
        self._a = rng.integers(1, 2**63, size=cfg.num_perm, dtype=np.uint64) | np.uint64(1)
        self._b = rng.integers(0, 2**63, size=cfg.num_perm, dtype=np.uint64)

    def shingles(self, canon: str) -> np.ndarray:
        k = self.cfg.shingle
        codes = np.frombuffer(
            canon[: self.cfg.max_chars].encode("utf-32-le", "surrogatepass"), dtype=np.uint32
        )
        codes = codes.astype(np.uint64)
        if len(codes) == 0:
            return np.zeros(1, dtype=np.uint64)
        if len(codes) < k:
            k = len(codes)
        n = len(codes) - k + 1
        h = np.zeros(n, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for j in range(k):
                h = h * np.uint64(1_000_003) + codes[j : j + n]
        return np.unique(_splitmix(h))

    def signature(self, canon: str) -> np.ndarray:
        sh = self.shingles(canon)
        with np.errstate(over="ignore"):
            return (sh[:, None] * self._a[None, :] + self._b[None, :]).min(axis=0)

    def signatures(self, canons: Sequence[str]) -> np.ndarray:
        out = np.empty((len(canons), self.cfg.num_perm), dtype=np.uint64)
        for i, c in enumerate(canons):
            out[i] = self.signature(c)
        return out


def _band_keys(sig: np.ndarray, bands: int) -> np.ndarray:
    """One 64-bit key per (row, band)."""
    n, p = sig.shape
    r = p // bands
    x = sig.reshape(n, bands, r)
    with np.errstate(over="ignore"):
        key = np.zeros((n, bands), dtype=np.uint64)
        for j in range(r):
            key = _splitmix(key ^ x[:, :, j])
    return key


def _candidates(sig_a: np.ndarray, sig_b: np.ndarray, bands: int) -> pd.DataFrame:
    ka, kb = _band_keys(sig_a, bands), _band_keys(sig_b, bands)
    frames = []
    for band in range(bands):
        a = pd.DataFrame({"key": ka[:, band], "a": np.arange(len(ka))})
        b = pd.DataFrame({"key": kb[:, band], "b": np.arange(len(kb))})
        frames.append(a.merge(b, on="key")[["a", "b"]])
    if not frames:
        return pd.DataFrame({"a": [], "b": []}, dtype="int64")
    return pd.concat(frames, ignore_index=True).drop_duplicates()


def find_leaks(
    candidates: Sequence[str],
    references: Sequence[str],
    cfg: LeakageConfig | None = None,
    near: bool = True,
) -> pd.DataFrame:
    """Pairs (cand_idx, ref_idx, kind, similarity) where a candidate repeats a reference.

    ``kind`` is "exact" (same canonical text) or "near" (estimated Jaccard of character
    shingles ≥ ``cfg.threshold``). A candidate can pair with several references.
    """
    cfg = cfg or LeakageConfig()
    cols = ["cand_idx", "ref_idx", "kind", "similarity"]
    if len(candidates) == 0 or len(references) == 0:
        return pd.DataFrame(columns=cols)
    ca = [canonical(t) for t in candidates]
    cb = [canonical(t) for t in references]
    ha = pd.DataFrame(
        {"h": [hashlib.blake2b(c.encode("utf-8", "surrogatepass"), digest_size=12).digest() for c in ca]}
    )
    hb = pd.DataFrame(
        {"h": [hashlib.blake2b(c.encode("utf-8", "surrogatepass"), digest_size=12).digest() for c in cb]}
    )
    ha["cand_idx"] = np.arange(len(ha))
    hb["ref_idx"] = np.arange(len(hb))
    exact = ha.merge(hb, on="h")[["cand_idx", "ref_idx"]]
    exact["kind"] = "exact"
    exact["similarity"] = 1.0
    parts = [exact]
    if near:
        mh = MinHasher(cfg)
        sa, sb = mh.signatures(ca), mh.signatures(cb)
        cand = _candidates(sa, sb, cfg.bands)
        if len(cand):
            a = cand["a"].to_numpy()
            b = cand["b"].to_numpy()
            sim = (sa[a] == sb[b]).mean(axis=1)
            keep = sim >= cfg.threshold
            near_df = pd.DataFrame(
                {"cand_idx": a[keep], "ref_idx": b[keep], "kind": "near", "similarity": sim[keep]}
            )
            exact_pairs = set(zip(exact["cand_idx"], exact["ref_idx"], strict=True))
            near_df = near_df[
                [p not in exact_pairs for p in zip(near_df["cand_idx"], near_df["ref_idx"], strict=True)]
            ]
            parts.append(near_df)
    out = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else pd.DataFrame(columns=cols)
    )
    return out[cols].reset_index(drop=True)


class _UnionFind:
    def __init__(self, items: list[str]) -> None:
        self.parent = {x: x for x in items}

    def find(self, x: str) -> str:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def merge_near_duplicate_groups(df: pd.DataFrame, cfg: LeakageConfig) -> pd.Series:
    """Groups joined whenever two of their rows are (near-)duplicates.

    GPTFuzz and in-the-wild share ~70 jailbreakchat templates under different ids;
    without this, one copy could sit in train and its twin in val. Used by the injection
    build and the PII generator's template split.
    """
    pairs = find_leaks(df["text"].tolist(), df["text"].tolist(), cfg)
    groups = df["group"].tolist()
    uf = _UnionFind(sorted(set(groups)))
    for a, b in zip(pairs["cand_idx"], pairs["ref_idx"], strict=True):
        uf.union(groups[a], groups[b])
    return pd.Series([uf.find(g) for g in groups], index=df.index)


@dataclass(frozen=True)
class LeakageResult:
    """The cleaned train/val rows plus what was removed and why."""

    kept: pd.DataFrame
    removed: pd.DataFrame  # removed rows with columns source, split, eval_set, kind
    report: pd.DataFrame  # counts per (split, source, eval_set, kind)


def remove_leaks(
    trainval: pd.DataFrame,
    evals: dict[str, pd.DataFrame],
    cfg: LeakageConfig | None = None,
    remove_exact: bool = True,
    remove_near: bool = True,
) -> LeakageResult:
    """Drop train/val rows that repeat any eval-only row; raise if leakage would remain.

    A disabled removal step with leaks left is an error (LeakageError), never a warning:
    eval numbers from a leaked split are worthless and must not be produced silently.
    """
    cfg = cfg or LeakageConfig()
    trainval = trainval.reset_index(drop=True)
    names = [n for n, df in evals.items() if len(df)]
    ref_texts = [t for n in names for t in evals[n]["text"].tolist()]
    ref_set = np.array([n for n in names for _ in range(len(evals[n]))], dtype=object)
    pairs = find_leaks(trainval["text"].tolist(), ref_texts, cfg, near=True)
    pairs["eval_set"] = ref_set[pairs["ref_idx"].to_numpy(dtype=int)] if len(pairs) else []
    # a row with both an exact and a near match counts as exact
    first = pairs.sort_values("kind").drop_duplicates("cand_idx") if len(pairs) else pairs
    kinds = dict(zip(first["cand_idx"], first["kind"], strict=True))
    sets = dict(zip(first["cand_idx"], first["eval_set"], strict=True))
    drop = {i for i, k in kinds.items() if (k == "exact" and remove_exact) or (k == "near" and remove_near)}
    remaining = {i: k for i, k in kinds.items() if i not in drop}
    if remaining:
        by_kind = pd.Series(list(remaining.values())).value_counts().to_dict()
        raise LeakageError(
            f"{len(remaining)} train/val rows still repeat eval-only rows {by_kind} "
            "(a leakage removal step is disabled); refusing to write leaked splits"
        )
    mask = trainval.index.isin(sorted(drop))
    removed = trainval[mask].copy()
    removed["kind"] = [kinds[i] for i in removed.index]
    removed["eval_set"] = [sets[i] for i in removed.index]
    group_cols = [c for c in ("split", "source") if c in removed.columns] + ["eval_set", "kind"]
    report = (
        removed.groupby(group_cols).size().rename("rows").reset_index()
        if len(removed)
        else pd.DataFrame(columns=[*group_cols, "rows"])
    )
    log.info(
        "leakage: removed %d train/val rows (%s)",
        len(removed),
        removed["kind"].value_counts().to_dict() if len(removed) else {},
    )
    return LeakageResult(trainval[~mask].reset_index(drop=True), removed.reset_index(drop=True), report)
