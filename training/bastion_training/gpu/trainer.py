"""Fine-tune the trimmed e5 injection classifier or PII tagger on an accelerator, with numpy and
torch only (the machine's own versions; no transformers, no project imports), as a script:

    python training/bastion_training/gpu/trainer.py --task injection --pack PACK --out OUT

PACK is what ``bastion_training.gpu.pack`` wrote. Injection follows ``train_injection`` (row-weighted
cross-entropy, each long row trained on its highest-scoring window, AdamW with linear warm-up and
decay, clip 1.0, dropout 0.1) and keeps the checkpoint best on the *real-source* validation rows
(TPR at 1 % FPR + AUC): the generator's own families share validation and favour models that learned
them. PII follows ``train_pii`` (plain cross-entropy over content tokens) and keeps the best
validation span F1 (exact BIO spans of the validation windows). Output: int8 per-row deltas from the
base (new heads and 1-D tensors in fp32) in files under 15 MB, ``metrics.json``, and for injection
the best checkpoint's validation logits.

A pack with ``init.npz`` (``pack --init``) continues that checkpoint, heads included; it is
evaluated before the first step too, so a continuation that never beats its start keeps the start
(step 0 in ``metrics.json``) and says so.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
EMB_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
CLS_ID, PAD_ID, SEP_ID = 0, 1, 2  # XLM-R order, as the converted e5 tokenizer has them
IGNORE = -100
DELTA_FILE_BYTES = 15_000_000  # under the 16 MiB a file may have to come back from the machine


def dequant(raw: np.ndarray) -> np.ndarray:
    """Q4_0 bytes to float32 (see ``bastion_training.encoders.dequant_q4_0``).

    >>> blk = np.frombuffer(np.float16(0.5).tobytes() + bytes([0x98] * 16), dtype=np.uint8)
    >>> dequant(blk)[[0, 16]].tolist()
    [0.0, 0.5]
    """
    b = np.asarray(raw, dtype=np.uint8).reshape(-1, 18)
    d = b[:, :2].copy().view(np.float16).astype(np.float32)
    q = b[:, 2:]
    out = np.empty((len(b), 32), dtype=np.float32)
    out[:, :16] = (q & 15).astype(np.float32) - 8
    out[:, 16:] = (q >> 4).astype(np.float32) - 8
    return (out * d).reshape(-1)


def base_state(pack: Path, cfg: dict) -> dict[str, torch.Tensor]:
    """The packed base's tensors under transformers' ``bert.*`` names, as float32."""
    pk = np.load(Path(pack) / "base.npz")
    h, ff = cfg["hidden_size"], cfg["intermediate_size"]
    out = {}
    for key in pk.files:
        kind, name = key.split(":", 1)
        arr = dequant(pk[key]) if kind == "q4" else pk[key].astype(np.float32)
        if name in EMB_NAMES:
            shape = (-1, h) if name in ("emb.word", "emb.pos", "emb.type") else (-1,)
            out["bert." + EMB_NAMES[name]] = arr.reshape(shape)
            continue
        layer, part, suffix = name.split(".")
        if suffix == "w" and part not in ("aln", "oln"):
            arr = arr.reshape(ff if part == "fi" else h, -1)
        kind_name = "weight" if suffix == "w" else "bias"
        out[f"bert.encoder.layer.{int(layer[1:])}.{LAYER_NAMES[part]}.{kind_name}"] = arr
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in out.items()}


def init_state(pack: Path) -> dict[str, torch.Tensor]:
    """The checkpoint ``pack --init`` stored (``init.npz``: int8 rows + scales, float32 rest)."""
    pk = np.load(Path(pack) / "init.npz")
    out = {}
    for key in pk.files:
        kind, name = key.split(":", 1)
        if kind == "q8":
            out[name] = pk[key].astype(np.float32) * pk["s8:" + name][:, None]
        elif kind == "f32":
            out[name] = pk[key].astype(np.float32)
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in out.items()}


def start_state(pack: Path, cfg: dict) -> tuple[dict[str, torch.Tensor], bool]:
    """The weights a run starts from and whether they are a continuation's (``init.npz``)."""
    if (Path(pack) / "init.npz").is_file():
        return init_state(pack), True
    return base_state(pack, cfg), False


class Box(nn.Module):
    """A named container, so parameter names are transformers' (``bert.encoder.layer.0...``)."""


class Bert(nn.Module):
    """BERT (post-LN, GELU, absolute positions, token type 0) with a sequence head (``tags`` 0:
    pooler + 2-way classifier, as ``BertForSequenceClassification``) or a token head (``tags``
    > 0, as ``BertForTokenClassification``). Same parameter names as those classes."""

    def __init__(self, cfg: dict, tags: int = 0, p_drop: float = 0.1):
        super().__init__()
        h, ff = cfg["hidden_size"], cfg["intermediate_size"]
        eps = cfg["layer_norm_eps"]
        self.heads, self.p, self.tagger = cfg["num_attention_heads"], p_drop, tags > 0
        self.bert = Box()
        e = self.bert.embeddings = Box()
        e.word_embeddings = nn.Embedding(cfg["vocab_size"], h)
        e.position_embeddings = nn.Embedding(cfg["max_position_embeddings"], h)
        e.token_type_embeddings = nn.Embedding(cfg["type_vocab_size"], h)
        e.LayerNorm = nn.LayerNorm(h, eps=eps)
        layers = []
        for _ in range(cfg["num_hidden_layers"]):
            layer = Box()
            layer.attention = Box()
            layer.attention.self = Box()
            for name in ("query", "key", "value"):
                setattr(layer.attention.self, name, nn.Linear(h, h))
            layer.attention.output = Box()
            layer.attention.output.dense = nn.Linear(h, h)
            layer.attention.output.LayerNorm = nn.LayerNorm(h, eps=eps)
            layer.intermediate = Box()
            layer.intermediate.dense = nn.Linear(h, ff)
            layer.output = Box()
            layer.output.dense = nn.Linear(ff, h)
            layer.output.LayerNorm = nn.LayerNorm(h, eps=eps)
            layers.append(layer)
        self.bert.encoder = Box()
        self.bert.encoder.layer = nn.ModuleList(layers)
        heads = [nn.Linear(h, tags if self.tagger else 2)]
        if not self.tagger:
            self.bert.pooler = Box()
            self.bert.pooler.dense = nn.Linear(h, h)
            heads.append(self.bert.pooler.dense)
        self.classifier = heads[0]
        for lin in heads:
            nn.init.normal_(lin.weight, std=cfg.get("initializer_range", 0.02))
            nn.init.zeros_(lin.bias)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        e = self.bert.embeddings
        drop = self.p if self.training else 0.0
        pos = torch.arange(ids.shape[1], device=ids.device)
        x = e.word_embeddings(ids) + e.position_embeddings(pos)[None] + e.token_type_embeddings.weight[0]
        x = F.dropout(e.LayerNorm(x), drop, self.training)
        b, t, h = x.shape
        hd = h // self.heads
        keys = mask[:, None, None, :].bool()
        for layer in self.bert.encoder.layer:
            a = layer.attention.self
            q, k, v = (
                z.view(b, t, self.heads, hd).transpose(1, 2) for z in (a.query(x), a.key(x), a.value(x))
            )
            c = F.scaled_dot_product_attention(q, k, v, attn_mask=keys, dropout_p=drop)
            c = c.transpose(1, 2).reshape(b, t, h)
            o = layer.attention.output
            x = o.LayerNorm(x + F.dropout(o.dense(c), drop, self.training))
            f = F.gelu(layer.intermediate.dense(x))
            x = layer.output.LayerNorm(x + F.dropout(layer.output.dense(f), drop, self.training))
        if self.tagger:
            return self.classifier(F.dropout(x, drop, self.training))
        pooled = torch.tanh(self.bert.pooler.dense(x[:, 0]))
        return self.classifier(F.dropout(pooled, drop, self.training))


# ----------------------------------------------------------------------------- data


def unpack_ids(d, name: str) -> list[np.ndarray]:
    """Token id rows stored as low 16 bits + a packed 17th bit (trimmed vocabularies pass 65,536)."""
    lens = d[f"{name}_lens"]
    n = int(lens.sum())
    flat = d[f"{name}_lo"].astype(np.int64) | (np.unpackbits(d[f"{name}_hi"])[:n].astype(np.int64) << 16)
    offs = np.concatenate([[0], np.cumsum(lens)])
    return [flat[offs[i] : offs[i + 1]] for i in range(len(lens))]


def text_windows(n: int, size: int, cap: int, rng=None) -> list[tuple[int, int]]:
    """``bastion_training.train_injection.text_windows`` (a copy: no project imports here).

    >>> text_windows(10, 4, 8)
    [(0, 4), (2, 6), (4, 8), (6, 10)]
    """
    if n <= size:
        return [(0, n)]
    stride = max(1, size // 2)
    starts = list(range(0, n - size + 1, stride))
    if starts[-1] != n - size:
        starts.append(n - size)
    if len(starts) > cap:
        inner = starts[1:-1]
        k = max(0, cap - 2)
        if rng is not None:
            pick = sorted(rng.choice(len(inner), size=k, replace=False).tolist()) if k else []
        else:
            pick = [round((j + 1) * (len(inner) - 1) / (k + 1)) for j in range(k)]
        starts = [starts[0], *[inner[i] for i in pick], starts[-1]]
    return [(a, a + size) for a in starts]


def wrap(ids: np.ndarray) -> np.ndarray:
    return np.concatenate([[CLS_ID], ids, [SEP_ID]]).astype(np.int64)


def collate(rows, dev, labels=None):
    """Padded ids and mask (and labels: IGNORE outside content) of ``rows`` (already wrapped)."""
    t = max(len(r) for r in rows)
    ids = np.full((len(rows), t), PAD_ID, dtype=np.int64)
    mask = np.zeros((len(rows), t), dtype=np.int64)
    lab = np.full((len(rows), t), IGNORE, dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
        if labels is not None:
            lab[i, 1 : len(r) - 1] = labels[i]
    out = [torch.from_numpy(a).to(dev, non_blocking=True) for a in (ids, mask, lab)]
    return out if labels is not None else out[:2]


@torch.no_grad()
def forward_rows(model, rows, dev, amp: bool, bs: int = 256):
    """Model outputs for ``rows`` (wrapped ids): an (n, 2) array from the sequence head, a list of
    (len(row), tags) arrays from the token head."""
    out: list = [None] * len(rows)
    order = np.argsort([len(r) for r in rows])
    for s in range(0, len(rows), bs):
        idx = order[s : s + bs]
        ids, mask = collate([rows[i] for i in idx], dev)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            z = model(ids, mask).float().cpu().numpy()
        for j, i in enumerate(idx):
            out[i] = z[j, : len(rows[i])] if z.ndim == 3 else z[j]
    return out if not rows or out[0].ndim == 2 else np.stack(out)


def max_window_logits(model, content, size: int, cap: int, dev, amp: bool, rng=None):
    """(n, 2) logits of each text's highest-scoring window and that window's input row."""
    was = model.training
    model.eval()
    rows, owner = [], []
    for i, ids in enumerate(content):
        for a, b in text_windows(len(ids), size, cap, rng):
            rows.append(wrap(ids[a:b]))
            owner.append(i)
    logits = forward_rows(model, rows, dev, amp)
    model.train(was)
    margin = logits[:, 1] - logits[:, 0]
    best = np.full(len(content), -np.inf)
    out = np.zeros((len(content), 2), dtype=np.float32)
    pick = [None] * len(content)
    for r, i in enumerate(owner):
        if margin[r] > best[i]:
            best[i], out[i], pick[i] = margin[r], logits[r], rows[r]
    return out, pick


# ----------------------------------------------------------------------------- metrics


def roc_auc(y, s) -> float:
    """Rank AUC (ties averaged).

    >>> roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.75
    """
    from scipy.stats import rankdata

    y = np.asarray(y).astype(int)
    pos, neg = int(y.sum()), int(len(y) - y.sum())
    if not pos or not neg:
        return float("nan")
    ranks = rankdata(np.asarray(s, dtype=np.float64))
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def tpr_at_fpr(y, s, fpr: float) -> float:
    """Share of positives scored above the negatives' ``fpr`` quantile (strictly).

    >>> tpr_at_fpr(np.array([0] * 100 + [1, 1]), np.r_[np.arange(100) / 100, 0.995, 0.5], 0.01)
    0.5
    """
    y = np.asarray(y).astype(int)
    s = np.asarray(s, dtype=np.float64)
    neg = np.sort(s[y == 0])[::-1]
    if not len(neg) or not (y == 1).any():
        return float("nan")
    thr = neg[min(int(math.floor(fpr * len(neg))), len(neg) - 1)]
    return float((s[y == 1] > thr).mean())


def injection_metrics(y, margin, generated) -> dict[str, float]:
    m = {"auc": roc_auc(y, margin), "tpr1": tpr_at_fpr(y, margin, 0.01)}
    for name, sel in (("real", ~generated), ("generated", generated)):
        m[f"auc_{name}"] = roc_auc(y[sel], margin[sel])
        m[f"tpr1_{name}"] = tpr_at_fpr(y[sel], margin[sel], 0.01)
    m["acc"] = float(((margin > 0) == (y == 1)).mean())
    return m


def bio_spans(tags, names) -> set[tuple[int, int, str]]:
    """Token spans ``(start, end, label)`` of a BIO sequence; an ``I-`` after ``O`` or another
    label opens a span, as the runtime's decoder does.

    >>> sorted(bio_spans([1, 2, 0, 2, 2, 3, 4, 1], ["O", "B-P", "I-P", "B-L", "I-L"]))
    [(0, 2, 'P'), (3, 5, 'P'), (5, 7, 'L'), (7, 8, 'P')]
    """
    out, cur = set(), None
    for i, t in enumerate([*list(tags), 0]):
        tag = names[int(t)]
        label = tag[2:] if tag != "O" else None
        if cur and (tag == "O" or tag.startswith("B-") or label != cur[1]):
            out.add((cur[0], i, cur[1]))
            cur = None
        if label and cur is None:
            cur = (i, label)
    return out


@torch.no_grad()
def span_f1(model, rows, tags, names, dev, amp: bool) -> dict[str, float]:
    was = model.training
    model.eval()
    logits = forward_rows(model, [wrap(r) for r in rows], dev, amp)
    model.train(was)
    tp = fp = fn = 0
    for r, g_tags, z in zip(rows, tags, logits, strict=True):
        gold = bio_spans(g_tags, names)
        pred = bio_spans(z[1 : len(r) + 1].argmax(-1), names)
        tp, fp, fn = tp + len(gold & pred), fp + len(pred - gold), fn + len(gold - pred)
    p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
    return {"span_f1": 2 * p * r / max(1e-9, p + r), "precision": p, "recall": r}


# ----------------------------------------------------------------------------- output


def save_deltas(state, base, out: Path, limit: int = DELTA_FILE_BYTES) -> int:
    """Write ``state`` as int8 per-row deltas from ``base`` (2-D tensors the base has) and
    float32 (the rest) into ``delta_<k>.npz`` files of at most ``limit`` bytes; returns k.
    Fine-tuning moves weights by a small fraction of their size, so the rounding error of an
    int8 delta is far below that of the int8 model that ships."""
    chunk, size, k = {}, 0, 0

    def flush():
        nonlocal chunk, size, k
        if chunk:
            np.savez(Path(out) / f"delta_{k}.npz", **chunk)
            k, chunk, size = k + 1, {}, 0

    for name, w in state.items():
        w = w.float().cpu().numpy()
        if w.ndim == 2 and name in base:
            d = w - base[name].numpy()
            step = max(1, limit // (d.shape[1] + 4))
            for s in range(0, d.shape[0], step):
                blk = d[s : s + step]
                scale = np.abs(blk).max(axis=1) / 127.0
                scale[scale == 0] = 1.0
                q = np.clip(np.round(blk / scale[:, None]), -127, 127).astype(np.int8)
                if size + q.nbytes > limit:
                    flush()
                chunk[f"{name}|q|{s}"] = q
                chunk[f"{name}|s|{s}"] = scale.astype(np.float32)
                size += q.nbytes + scale.nbytes
        else:
            if size + w.nbytes > limit:
                flush()
            chunk[f"{name}|f"] = w.astype(np.float32)
            size += w.nbytes
    flush()
    return k


def load_deltas(run: Path, base: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The state ``save_deltas`` wrote, rebuilt on ``base``."""
    parts: dict[str, dict] = {}
    for f in sorted(Path(run).glob("delta_*.npz")):
        z = np.load(f)
        for key in z.files:
            name, kind, *rest = key.split("|")
            parts.setdefault(name, {})[(kind, int(rest[0]) if rest else 0)] = z[key]
    state = {k: v.clone() for k, v in base.items()}
    for name, pr in parts.items():
        if ("f", 0) in pr:
            state[name] = torch.from_numpy(pr[("f", 0)])
            continue
        starts = sorted(s for kind, s in pr if kind == "q")
        d = np.concatenate([pr[("q", s)].astype(np.float32) * pr[("s", s)][:, None] for s in starts])
        state[name] = base[name] + torch.from_numpy(d)
    return state


# ----------------------------------------------------------------------------- training


class Schedule:
    """Linear warm-up (6 %) and decay to zero; ``total`` can shrink once the step time is known."""

    def __init__(self, total: int):
        self.total = total
        self.warm = max(1, int(0.06 * total))

    def __call__(self, s: int) -> float:
        if s < self.warm:
            return s / self.warm
        return max(0.0, (self.total - s) / max(1, self.total - self.warm))


def run(args) -> dict:
    t0 = time.time()
    pack, out = Path(args.pack), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    dev = torch.device(args.device)
    amp = dev.type == "cuda"
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    cfg = json.loads((pack / "base_config.json").read_text())
    injection = args.task == "injection"
    if injection:
        d = np.load(pack / "data.npz")
        train, y, w = unpack_ids(d, "train"), d["train_y"].astype(np.int64), d["train_w"]
        val, vy, vgen = unpack_ids(d, "val"), d["val_y"].astype(np.int64), d["val_gen"].astype(bool)
        names: list[str] = []
    else:
        d = np.load(pack / "pii_data.npz")
        train, val = unpack_ids(d, "train"), unpack_ids(d, "val")
        y = np.split(d["train_tags"].astype(np.int64), np.cumsum(d["train_lens"])[:-1])
        vy = np.split(d["val_tags"].astype(np.int64), np.cumsum(d["val_lens"])[:-1])
        names = (pack / "pii_tags.txt").read_text(encoding="utf-8").split("\n")
    if args.subset:
        train, y, val, vy = train[: args.subset], y[: args.subset], val[: args.subset], vy[: args.subset]
        if injection:
            w, vgen = w[: args.subset], vgen[: args.subset]
    base, continued = start_state(pack, cfg)
    model = Bert(cfg, len(names))
    if continued:
        # a checkpoint may carry buffers the plain model lacks (position_ids); heads must fit
        base = {k: v for k, v in base.items() if k in model.state_dict()}
    missing, unexpected = model.load_state_dict(base, strict=False)
    new = (
        set()
        if continued
        else {k for k in model.state_dict() if k.startswith(("classifier.", "bert.pooler."))}
    )
    if set(missing) != new or unexpected:
        raise ValueError(f"start weights do not fit the model: missing {missing}, unexpected {unexpected}")
    model.to(dev).train()
    size = int(args.max_length) - 2
    per_epoch = math.ceil(len(train) / args.bs)
    planned = int(per_epoch * args.epochs)
    if args.max_steps:
        planned = min(planned, args.max_steps)
    sched_fn = Schedule(planned)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01, fused=amp)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, sched_fn)
    if injection:
        wt, yt = torch.tensor(w, dtype=torch.float32), torch.tensor(y)
    hist: list[dict] = []
    best, best_state, best_logits = -math.inf, None, None
    step, t_train, done = 0, time.time(), False

    def evaluate():
        if injection:
            lg, _ = max_window_logits(model, val, size, args.cap, dev, amp)
            m = injection_metrics(vy, lg[:, 1] - lg[:, 0], vgen)
            return m, m["tpr1_real"] + m["auc_real"], lg
        m = span_f1(model, val, vy, names, dev, amp)
        return m, m["span_f1"], None

    def record(m, sel, lg, loss_value):
        nonlocal best, best_logits, best_state
        m |= {"step": step, "epoch": step / per_epoch, "loss": loss_value, "t": time.time() - t0}
        hist.append(m)
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()}), flush=True)
        if sel > best:
            best, best_logits = sel, lg
            best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}

    if continued:
        record(*evaluate(), float("nan"))
    while not done:
        perm = rng.permutation(len(train))
        for s in range(0, len(perm), args.bs):
            batch = perm[s : s + args.bs]
            if injection:
                rows = [wrap(train[i]) if len(train[i]) <= size else None for i in batch]
                long_idx = [j for j, r in enumerate(rows) if r is None]
                if long_idx:
                    # multiple-instance learning, as train_injection: a long row trains on the
                    # window the current model scores highest
                    _, picks = max_window_logits(
                        model, [train[batch[j]] for j in long_idx], size, args.cap, dev, amp, rng
                    )
                    for j, r in zip(long_idx, picks, strict=True):
                        rows[j] = r
                ids, mask = collate(rows, dev)
                with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
                    logits = model(ids, mask)
                bw = wt[batch].to(dev)
                loss = (
                    F.cross_entropy(logits.float(), yt[batch].to(dev), reduction="none") * bw
                ).sum() / bw.sum()
            else:
                ids, mask, lab = collate([wrap(train[i]) for i in batch], dev, [y[i] for i in batch])
                with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
                    logits = model(ids, mask)
                loss = F.cross_entropy(
                    logits.float().reshape(-1, len(names)), lab.reshape(-1), ignore_index=IGNORE
                )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            if args.log_every and step % args.log_every == 0:
                # a slow device (a CPU) shows it is moving between evaluations
                print(
                    json.dumps(
                        {
                            "step": step,
                            "loss": round(float(loss.detach()), 4),
                            "t": round(time.time() - t0, 1),
                        }
                    ),
                    flush=True,
                )
            if step == 20:
                t_train = time.time()
            if step == 60 and not args.max_steps:
                # fit the schedule into the time budget, timed past the accelerator's warm-up
                per = (time.time() - t_train) / 40
                fit = int(args.budget_s / (per * 1.15))
                sched_fn.total = max(sched_fn.warm + 1, min(sched_fn.total, fit))
                print(f"step {per * 1000:.1f} ms; planned {planned}, total {sched_fn.total}", flush=True)
            if step % args.eval_every == 0 or step >= sched_fn.total:
                record(*evaluate(), float(loss.detach()))
            if step >= sched_fn.total:
                done = True
                break
    if injection:
        np.save(out / "val_logits.npy", best_logits.astype(np.float32))
    n = save_deltas(best_state, base, out)
    key = (lambda m: m["tpr1_real"] + m["auc_real"]) if injection else (lambda m: m["span_f1"])
    summary = {
        "task": args.task,
        "history": hist,
        "best": max(hist, key=key),
        "selected_by": "tpr1_real + auc_real" if injection else "span_f1",
        "continued": continued,
        "planned_steps": planned,
        "steps": step,
        "lr": args.lr,
        "bs": args.bs,
        "epochs": args.epochs,
        "seed": args.seed,
        "delta_files": n,
        "wall_s": time.time() - t0,
        "device": torch.cuda.get_device_name() if amp else "cpu",
        "torch": torch.__version__,
    }
    (out / "metrics.json").write_text(json.dumps(summary, indent=1))
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", choices=["injection", "pii"], required=True)
    ap.add_argument("--pack", required=True, help="folder written by bastion_training.gpu.pack")
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=float, default=3)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--bs", type=int, default=32)
    ap.add_argument("--max-length", type=int, default=256, help="injection 256, PII 128 (the packed windows)")
    ap.add_argument("--eval-every", type=int, default=400)
    ap.add_argument("--budget-s", type=float, default=300, help="training seconds the schedule is fitted to")
    ap.add_argument("--max-steps", type=int, default=0, help="a fixed schedule (no budget fitting)")
    ap.add_argument("--subset", type=int, default=0, help="first N rows only (a smoke run)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--cap", type=int, default=8, help="windows per long injection row")
    ap.add_argument("--device", default="cuda")
    ap.add_argument(
        "--log-every", type=int, default=100, help="print step, loss and time every N steps (0: off)"
    )
    summary = run(ap.parse_args(argv))
    print("done", json.dumps(summary["best"]), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
