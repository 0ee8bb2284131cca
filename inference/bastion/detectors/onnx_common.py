"""Loading and running a shipped ONNX model folder with onnxruntime + tokenizers only.

A model folder holds ``model.onnx``, ``tokenizer.json`` and ``manifest.json``::

    {"name": "injection", "version": "...", "task": "text-classification",
     "labels": [...], "max_length": 256, "stride": 128, "thresholds": {...},
     "files": {"model.onnx": "<sha256>", "tokenizer.json": "<sha256>"}, ...}

Every file listed is verified against its sha256 at load: a silently swapped or
truncated model is a security problem for a guard, not just a quality one. The graph's
inputs and outputs are then checked against the manifest (names, ranks, number of labels)
and one probe window is run, so a validly hashed but wrong model fails at load with
:class:`ModelLoadError` instead of raising on every request.

Batch invariance: the shipped graphs quantise activations dynamically
(``DynamicQuantizeLinear``), which picks ONE scale and zero point for the whole input
tensor, i.e. over every row of a batch and its padding. A window scored next to other
texts therefore got a different score than alone (0.9725 vs 0.9988 for the same prompt).
:meth:`OnnxTextModel.run_rows` runs each window as its own batch of one, unpadded, so a
text's score depends on that text only. On a CPU this costs nothing measurable (see
``benchmarks/bench_latency.py``, "batch-of-1 vs batched").

A graph rewritten to per-row activation scales (``bastion_training.rowquant``) has no such
coupling; its manifest says ``"batch_invariant": true``. The claim is tested at load
(:func:`check_batch_invariance`: two probe rows alone and in one padded batch) and a
graph that fails it is refused. On such a graph :func:`window_batches` runs short windows
(up to :data:`BATCH_TOKEN_CAP` tokens) in padded length batches, with results equal to
running each alone up to float summation order; longer windows still run alone.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bastion.errors import ConfigError, DetectorError, InputError, ModelLoadError
from bastion.normalize import HOMOGLYPH_MODES
from bastion.threads import LocalPool

# Inputs the runtime knows how to feed; a graph wanting anything else cannot be run.
KNOWN_INPUTS = frozenset({"input_ids", "attention_mask", "token_type_ids", "case_ids"})
# Rank of the first output per task: (batch, labels) or (batch, sequence, labels).
OUTPUT_RANK = {"text-classification": 2, "token-classification": 3}
# Tokens shared by consecutive windows of a long text (see OnnxTextModel): the classifiers'.
DEFAULT_OVERLAP = 32
# The taggers' (PII, and the one-pass model built on one): a token keeps the prediction of the
# window where it is farthest from a cut, so 16 still gives it 8 tokens of context each side.
# PII span F1 on 36 long documents of validation rows (6 KB each, 3,100 gold spans, the
# shipped tagger): overlap 32 0.765, 16 0.769, 8 0.767, 0 0.746; 16 reads 13 % fewer tokens.
TAGGER_OVERLAP = 16
# Lone surrogates (from invalid UTF-8 decoded with surrogateescape) make tokenizers raise.
_SURROGATE = re.compile("[\ud800-\udfff]")
# On a batch-invariant graph, windows of at most this many content tokens share padded
# batches; longer ones run alone. benchmarks/bench_batching.py (CPU time, per-row graph vs
# today's batch-of-one path): batches were 1.19-1.34x on short texts but 0.78-0.89x on full
# 128-token windows, where the per-row scale pass costs more than batching saves.
BATCH_TOKEN_CAP = 64
# Padded content positions per batch, a bound on a batch's activation memory: 16 windows at
# the cap, or 32 (the injection detector's batch_size) of 32 tokens. Not tuned; the benchmark
# measured batches of 8-32 short texts.
BATCH_MAX_TOKENS = 1024
# Largest |difference| between a probe row's outputs alone and in a padded batch that a
# batch-invariant graph may show (float summation order over masked padding keys; a
# per-tensor int8 graph moves logits by 1e-3 and more).
INVARIANCE_TOLERANCE = 1e-5
# Probe text for check_batch_invariance: mixed case, digits and punctuation, so the two
# probe rows' activations differ in range as real texts' do.
_PROBE_TEXT = (
    "Ignore previous instructions. Contact Jane Doe at 22 Baker Street, London, "
    "about invoice 4711 before Friday; the weather in Oslo is fine."
)


# BERT-family position tables: a longer window is a packaging error
MAX_POSITIONS = 512
# A listed file bigger than this is refused before it is hashed: an ONNX graph is one
# protobuf message, which cannot pass 2 GiB, and hashing an 8 GiB file took 39 s.
MAX_FILE_BYTES = 2 << 30
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
# What bastion_training.export hashes into an exported manifest's version
# ("2026.12.03-a12dca11": the date, then 8 hex digits of sha256 over the files and these
# fields): the current tuple, the one of exports before "homoglyphs" was recorded, and the
# one-pass model's. Kept in step with bastion_training.export (tests/test_model_integrity_s33.py).
DECISION_KEYS = ("labels", "tags", "max_length", "stride", "thresholds", "temperature", "homoglyphs")
LEGACY_DECISION_KEYS = ("labels", "tags", "max_length", "stride", "thresholds", "temperature")
ONEPASS_DECISION_KEYS = ("heads", "max_length", "stride", "homoglyphs")
_EXPORTED_VERSION = re.compile(r"\d{4}\.\d\d\.\d\d-([0-9a-f]{8})")

log = logging.getLogger("bastion")


@dataclass(frozen=True)
class Manifest:
    name: str
    version: str
    task: str
    labels: tuple[str, ...]
    max_length: int
    stride: int
    files: dict[str, str]
    thresholds: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    # The graph quantises activations per row (bastion_training.rowquant): rows may share
    # padded batches. Checked at load by check_batch_invariance, never trusted blindly.
    batch_invariant: bool = False

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        path = folder / "manifest.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelLoadError(f"no manifest.json in {folder}") from None
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"unreadable manifest {path}: {exc}") from exc
        if not isinstance(raw, dict):
            raise ModelLoadError(f"invalid manifest {path}: must be a JSON object, got {type(raw).__name__}")
        invariant = raw.get("batch_invariant", False)
        if not isinstance(invariant, bool):
            raise ModelLoadError(f"invalid manifest {path}: batch_invariant must be true or false")
        for key in ("max_length", "stride"):
            value = raw.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                # 127.9 was read as 127 without a word
                raise ModelLoadError(f"invalid manifest {path}: {key} must be an integer, got {value!r}")
        for key in ("name", "version", "task", "labels", "max_length", "files"):
            if key not in raw:
                raise ModelLoadError(f"invalid manifest {path}: missing field {key!r}")
        version = raw["version"]
        if not isinstance(version, str) or not version.strip():
            # model_versions and audit records report it: None or {} there means nothing
            raise ModelLoadError(
                f"invalid manifest {path}: version must be a non-empty string, got {version!r}"
            )
        known = {
            "name",
            "version",
            "task",
            "labels",
            "max_length",
            "stride",
            "files",
            "thresholds",
            "batch_invariant",
        }
        try:
            manifest = cls(
                name=str(raw["name"]),
                version=version,
                task=str(raw["task"]),
                labels=_labels_field(raw["labels"], path),
                max_length=int(raw["max_length"]),
                stride=int(raw.get("stride", int(raw["max_length"]) // 2)),
                files=_files_field(raw["files"], path),
                thresholds=thresholds_field(raw.get("thresholds"), f"{path}: thresholds"),
                extra={k: v for k, v in raw.items() if k not in known},
                batch_invariant=invariant,
            )
        except (TypeError, ValueError) as exc:  # "max_length": null
            raise ModelLoadError(f"invalid manifest {path}: {exc}") from exc
        if exported_digest_ok(raw) is False:
            # not refused: a hand edit of a decision field may be deliberate, but the version
            # that model_versions and audit records carry then describes another model
            log.warning(
                "bastion: %s was edited after export: its version %s no longer matches its files "
                "and decision fields (labels, thresholds, max_length, ...); give it a new version",
                path,
                version,
            )
        return manifest

    def __post_init__(self) -> None:
        # checked here, where the folder is named: past this point a bad value would surface
        # as a policy error about a setting the user never wrote
        bad = {k: v for k, v in self.thresholds.items() if not 0.0 <= v <= 1.0}
        if bad:
            raise ModelLoadError(
                f"invalid manifest of model {self.name!r}: thresholds must be in [0, 1], got {bad}"
            )
        if not 2 < self.max_length <= MAX_POSITIONS or not 0 < self.stride <= self.max_length:
            raise ModelLoadError(
                f"invalid manifest of model {self.name!r}: max_length {self.max_length} / stride {self.stride} "
                f"(max_length must be 3..{MAX_POSITIONS}, stride 1..max_length)"
            )


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_files(folder: Path, files: dict[str, str]) -> None:
    """:class:`ModelLoadError` unless every file ``files`` names is a regular file in
    ``folder`` (not past :data:`MAX_FILE_BYTES`) with that sha256; an unreadable one is a
    ModelLoadError too, never a raw :class:`OSError`."""
    folder = Path(folder)
    for name, expected in files.items():
        p = folder / plain_file_name(name, folder / "manifest.json")
        size = _listed_file_size(p)
        if size > MAX_FILE_BYTES:
            raise ModelLoadError(
                f"{p} is {size:,} bytes, more than any model file can be ({MAX_FILE_BYTES:,}): not the listed file"
            )
        try:
            actual = sha256_of(p)
        except OSError as exc:
            raise ModelLoadError(f"cannot read {p}: {exc.strerror or exc}") from exc
        if not isinstance(expected, str) or actual != expected.lower():
            shown_digest = expected[:12] if isinstance(expected, str) else repr(expected)
            raise ModelLoadError(f"sha256 mismatch for {p}: manifest {shown_digest}…, file {actual[:12]}…")


def _listed_file_size(p: Path) -> int:
    """The size of listed file ``p``; :class:`ModelLoadError` saying what is wrong when it is
    not a readable regular file (a directory, a device, a broken or looping link)."""
    try:
        st = p.stat()
    except FileNotFoundError:
        if p.is_symlink():
            raise ModelLoadError(f"{p} is listed in the manifest but is a broken link") from None
        raise ModelLoadError(f"{p} is listed in the manifest but missing") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ModelLoadError(f"{p} is listed in the manifest but is a link loop") from exc
        raise ModelLoadError(f"cannot read {p}: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(st.st_mode):
        raise ModelLoadError(f"{p} is listed in the manifest but is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise ModelLoadError(f"{p} is listed in the manifest but is not a regular file (a device or pipe)")
    return st.st_size


def has_manifest(folder: str | os.PathLike[str]) -> bool:
    """Whether ``folder`` holds a ``manifest.json``. A folder that cannot be read (EACCES:
    copied with a restrictive umask, owned by another service user) is a
    :class:`ModelLoadError`: the model is there but unusable, not absent, and
    ``Path.is_file`` would raise a raw PermissionError."""
    try:
        return (Path(folder) / "manifest.json").is_file()
    except OSError as exc:
        raise ModelLoadError(f"cannot read {folder}: {exc.strerror or exc}") from exc


def plain_file_name(name: Any, where: Path | str) -> str:
    """``name`` when it names a file inside the model folder; :class:`ModelLoadError` for
    a path (``/etc/passwd``, ``../pii/model.onnx``): a manifest lists its own folder's
    files, and hashing any file the process can read would leak its digest in the error."""
    if (
        not isinstance(name, str)
        or name in ("", ".", "..")
        or any(c in name for c in "/\\\x00")
        or os.path.isabs(name)
    ):
        raise ModelLoadError(
            f"invalid manifest {where}: files must name files in the model folder, got {name!r}"
        )
    return name


def _labels_field(value: Any, path: Path) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise ModelLoadError(f"invalid manifest {path}: labels must be a list of strings, got {value!r:.200}")
    dup = sorted({x for x in value if value.count(x) > 1})
    if dup:
        # a second "B-EMAIL_ADDRESS" silently renamed the class before it
        raise ModelLoadError(f"invalid manifest {path}: labels must be distinct, {dup} appear twice")
    return tuple(value)


def _files_field(value: Any, path: Path) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ModelLoadError(
            f"invalid manifest {path}: files must map file names to sha256 digests, got {type(value).__name__}"
        )
    out: dict[str, str] = {}
    for name, digest in value.items():
        plain_file_name(name, path)
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
            raise ModelLoadError(
                f"invalid manifest {path}: files[{name!r}] must be a sha256 digest (64 hex digits), "
                f"got {digest!r:.80}"
            )
        out[name] = digest.lower()
    return out


def thresholds_field(value: Any, where: str) -> dict[str, float]:
    """A manifest's ``thresholds`` (``where`` names the file and field) as label -> float;
    :class:`ModelLoadError` unless a mapping of names to numbers in [0, 1]."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ModelLoadError(f"{where} must be a mapping of label to number, got {type(value).__name__}")
    out: dict[str, float] = {}
    for k, v in value.items():
        if not isinstance(k, str) or isinstance(v, bool) or not isinstance(v, int | float):
            # a string "0.5" was read as a number, a list crashed with AttributeError
            raise ModelLoadError(f"{where} must map label names to numbers, got {k!r}: {v!r:.80}")
        if not 0.0 <= float(v) <= 1.0:
            raise ModelLoadError(f"{where} must be in [0, 1], got {{{k!r}: {v!r}}}")
        out[k] = float(v)
    return out


def exported_digest_ok(raw: Mapping[str, Any]) -> bool | None:
    """Whether an exported manifest's version still matches its content (the digest
    ``bastion_training.export.write_model_folder`` puts in it); ``None`` for a version that
    is not of that form (hand-written, a test's), which carries no digest to check.

    >>> exported_digest_ok({"version": "tiny-1"}) is None
    True
    """
    m = _EXPORTED_VERSION.fullmatch(str(raw.get("version", "")))
    if m is None:
        return None
    for keys in (DECISION_KEYS, LEGACY_DECISION_KEYS, ONEPASS_DECISION_KEYS):
        behaviour = {k: raw.get(k) for k in keys}
        blob = json.dumps([raw.get("files"), behaviour], sort_keys=True).encode()
        if hashlib.sha256(blob).hexdigest().startswith(m.group(1)):
            return True
    return False


class OnnxTextModel:
    """An ONNX encoder plus its tokenizer, with sliding windows over long inputs.

    Windows hold ``max_length - 2`` content tokens (plus [CLS]/[SEP]) and advance by
    :attr:`stride` tokens, so nothing at the end of a long document is truncated away.

    ``overlap`` caps how many tokens consecutive windows share: the stride is
    ``max(manifest stride, content - overlap)``. The shipped manifests overlap windows by
    half (every token of a long text ran twice); an overlap of 32 tokens still puts any
    span of up to 32 tokens wholly inside one window and gives every token at least 16
    tokens of context on each side, at 1.15x (injection) / 1.34x (PII) the work of one
    pass instead of 2x; taggers default to :data:`TAGGER_OVERLAP` (16: 1.15x the work of
    one pass, the same span F1 on long documents). ``overlap=None`` keeps the manifest's
    stride.

    ``workers`` > 1 runs that many windows at once (each still alone, so results do not
    change; onnxruntime releases the GIL): on a small CPU several one-thread runs side by
    side do more work than one run spread over every core (``threads``).

    :attr:`batch_invariant` is true when the manifest says so and the graph passed
    :func:`check_batch_invariance` at load; short windows are then batched
    (:func:`window_batches`).
    """

    def __init__(
        self,
        folder: str | os.PathLike[str],
        *,
        threads: int | None = None,
        verify: bool = True,
        overlap: int | None = None,
        workers: int = 1,
    ) -> None:
        # option mistakes are configuration errors, not a broken model
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise ConfigError(f"workers must be an integer >= 1, got {workers!r}")
        if threads is not None and (not isinstance(threads, int) or isinstance(threads, bool) or threads < 1):
            raise ConfigError(f"threads must be an integer >= 1, got {threads!r}")
        self.workers = workers
        self.pool = LocalPool(workers, "bastion-window") if workers > 1 else None
        self.folder = Path(folder)
        self.manifest = Manifest.load(self.folder)
        if "model.onnx" not in self.manifest.files or "tokenizer.json" not in self.manifest.files:
            raise ModelLoadError(f"manifest in {self.folder} must list model.onnx and tokenizer.json")
        if verify:
            verify_files(self.folder, self.manifest.files)
        self.tokenizer = _load_tokenizer(self.folder)
        self.cls_id = self._special("[CLS]", "<s>")
        self.sep_id = self._special("[SEP]", "</s>")
        self.pad_id = self._special("[PAD]", "<pad>")
        self.session = _open_session(self.folder / "model.onnx", threads)
        self.input_names = {i.name for i in self.session.get_inputs()}
        content = self.manifest.max_length - 2
        if content < 8 or not 0 < self.manifest.stride <= content:
            raise ModelLoadError(f"bad max_length/stride in {self.folder}/manifest.json")
        if overlap is not None and overlap < 0:
            raise ModelLoadError(f"overlap must be >= 0, got {overlap}")
        self.stride = (
            self.manifest.stride if overlap is None else max(self.manifest.stride, content - overlap)
        )
        self._check_graph()
        # The homoglyph folding the model was trained with (bastion.normalize); the Guard
        # gives it text normalised the same way. Manifests without the key predate it: "all".
        self.homoglyphs = str(self.manifest.extra.get("homoglyphs", "all"))
        if self.homoglyphs not in HOMOGLYPH_MODES:
            raise ModelLoadError(
                f"{self.folder}/manifest.json: homoglyphs must be one of {HOMOGLYPH_MODES}, "
                f"got {self.homoglyphs!r}"
            )
        self.batch_invariant = False
        if self.manifest.batch_invariant:
            check_batch_invariance(self)
            self.batch_invariant = True

    def _check_graph(self) -> None:
        """Refuse a graph that does not fit the manifest (:func:`check_graph`); a subclass
        with other outputs checks its own."""
        check_graph(self)

    def _special(self, *names: str) -> int:
        for n in names:
            i = self.tokenizer.token_to_id(n)
            if i is not None:
                return int(i)
        raise ModelLoadError(f"tokenizer in {self.folder} lacks special token {names[0]}")

    @property
    def content_length(self) -> int:
        return self.manifest.max_length - 2

    def encode(self, texts: Sequence[str]):
        return self.tokenizer.encode_batch(list(texts), add_special_tokens=False)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Content tokens per text (what a token budget is measured in)."""
        return [len(e.ids) for e in self.encode(without_surrogates(texts))]

    def windows(self, n_tokens: int) -> list[tuple[int, int]]:
        """Token ranges [s, e) covering ``n_tokens`` content tokens."""
        return sliding_windows(n_tokens, self.content_length, self.stride)

    def feeds(self, rows: Sequence[Sequence[int]], extra: dict[str, Sequence[Sequence[int]]] | None = None):
        """Pad content-token rows to one batch, adding [CLS]/[SEP]; ``extra`` inputs get 0 at specials."""
        width = max(len(r) for r in rows) + 2
        n = len(rows)
        ids = np.full((n, width), self.pad_id, dtype=np.int64)
        mask = np.zeros((n, width), dtype=np.int64)
        for i, r in enumerate(rows):
            ids[i, 0] = self.cls_id
            ids[i, 1 : len(r) + 1] = r
            ids[i, len(r) + 1] = self.sep_id
            mask[i, : len(r) + 2] = 1
        feeds: dict[str, np.ndarray] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        for name, values in (extra or {}).items():
            arr = np.zeros((n, width), dtype=np.int64)
            for i, v in enumerate(values):
                arr[i, 1 : len(v) + 1] = v
            feeds[name] = arr
        return feeds

    def run(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        """The graph's first output for ``feeds``."""
        return self.run_outputs(feeds)[0]

    def run_outputs(
        self, feeds: dict[str, np.ndarray], names: Sequence[str] | None = None
    ) -> list[np.ndarray]:
        """The graph's outputs ``names`` (``None``: all) for ``feeds``; feeds the graph does
        not take (``token_type_ids`` on a model without them) are left out. A runtime
        failure (out of memory, a kernel error) is a :class:`DetectorError` with the
        runtime's own message: the Guard's wrapper names only the exception type, since a
        detector's message may quote its text, and "RuntimeException" alone says nothing."""
        try:
            return self.session.run(names, {k: v for k, v in feeds.items() if k in self.input_names})
        except Exception as exc:  # onnxruntime raises its own exception types
            raise DetectorError(
                f"model {self.manifest.name!r} failed in onnxruntime: {runtime_message(exc)}"
            ) from exc

    def _run_quiet(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """:meth:`run_outputs` with the runtime's own error log off, for load-time probes
        that may fail by design (onnxruntime would print a red line before the clean error)."""
        import onnxruntime as ort

        opts = ort.RunOptions()
        opts.log_severity_level = 4
        return self.session.run(None, {k: v for k, v in feeds.items() if k in self.input_names}, opts)

    def _probe(self, names: Sequence[str] | None = None) -> list[np.ndarray]:
        """The outputs ``names`` (``None``: all) for one tiny window run at load, as
        :class:`ModelLoadError` if the graph cannot run it: symbolic dims and dtypes are only
        known by running."""
        case = {"case_ids": [[0] * 3]} if "case_ids" in self.input_names else None
        try:
            return [out[0] for out in self.run_outputs(self.feeds([[self.cls_id] * 3], case), names)]
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelLoadError(f"{self.folder / 'model.onnx'}: probe inference failed: {exc}") from exc

    def run_rows(
        self, rows: Sequence[Sequence[int]], extra: dict[str, Sequence[Sequence[int]]] | None = None
    ) -> list[np.ndarray]:
        """Logits per row, each row run as its own unpadded batch of one.

        Dynamic int8 quantisation computes one activation scale over the whole input
        tensor, so batching rows (and their padding) makes a row's output depend on the
        others. One row per run makes it depend on that row only.
        """
        out = []
        for i, row in enumerate(rows):
            one = {name: [values[i]] for name, values in (extra or {}).items()}
            out.append(self.run(self.feeds([row], one))[0])
        return out


def check_graph(model: OnnxTextModel) -> None:
    """Refuse a graph that does not fit the manifest, before any request reaches it."""
    where = model.folder / "model.onnx"
    task = model.manifest.task
    if task not in OUTPUT_RANK:
        raise ModelLoadError(
            f"{model.folder}: unknown task {task!r} in manifest; known: {sorted(OUTPUT_RANK)}"
        )
    graph_input_names(model.session.get_inputs(), where)
    outputs = model.session.get_outputs()
    rank = OUTPUT_RANK[task]
    n_labels = len(model.manifest.labels)
    if not outputs or len(outputs[0].shape) != rank:
        got = len(outputs[0].shape) if outputs else 0
        raise ModelLoadError(f"{where}: output rank {got}, a {task} model needs {rank}")
    last = outputs[0].shape[-1]
    if isinstance(last, int) and last != n_labels:
        raise ModelLoadError(f"{where}: the graph has {last} labels, the manifest lists {n_labels}")
    probe = model._probe()[0]
    want = (n_labels,) if rank == 2 else (5, n_labels)
    if probe.shape != want or not np.issubdtype(probe.dtype, np.floating):
        raise ModelLoadError(
            f"{where}: probe output {probe.dtype}{list(probe.shape)}, expected float{list(want)} "
            f"for {n_labels} manifest labels"
        )
    check_vocabulary(model)


def check_vocabulary(model: OnnxTextModel) -> None:
    """:class:`ModelLoadError` unless the tokenizer's ids are exactly the graph's embedding
    rows. A full window of the tokenizer's last id must run: a tokenizer with more pieces
    than the graph has rows, or a max_length past its position table, fails here, at load,
    not on the first request that reaches them. And the id after it must not: a graph that
    takes it has rows the tokenizer never produces, i.e. the tokenizer is another model's
    with a smaller vocabulary, whose ids point at other words (in the one-pass folder that
    silently turned injection detection off)."""
    where = model.folder / "model.onnx"
    vocab = model.tokenizer.get_vocab_size()
    row = [vocab - 1] * (model.manifest.max_length - 2)  # feeds adds [CLS] and [SEP]
    case = {"case_ids": [[0] * len(row)]} if "case_ids" in model.input_names else None
    try:
        model._run_quiet(model.feeds([row], case))
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ModelLoadError(
            f"{where}: a full window ({model.manifest.max_length} tokens, token id {vocab - 1}) does not run: "
            "the tokenizer, the manifest's max_length and the graph do not fit together"
        ) from exc
    past = [vocab] * 3
    try:
        model._run_quiet(model.feeds([past], {"case_ids": [[0] * 3]} if case else None))
    except Exception:  # noqa: BLE001 - the expected outcome: no embedding row for that id
        return
    raise ModelLoadError(
        f"{where}: the graph has embedding rows past the tokenizer's {vocab:,} pieces: "
        f"{model.folder / 'tokenizer.json'} is another model's tokenizer (a smaller vocabulary "
        "maps text to the wrong ids)"
    )


def runtime_message(exc: BaseException) -> str:
    """``exc``'s type and the first line of its message, cut to 300 characters, a
    Gather index (a token id of the text) masked.

    >>> runtime_message(RuntimeError("idx=82565 must be within [-61298,61297]\\nmore"))
    'RuntimeError: idx=… must be within [-61298,61297]'
    """
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = re.sub(r"idx=-?\d+", "idx=…", text)[:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def check_batch_invariance(model: OnnxTextModel, tolerance: float = INVARIANCE_TOLERANCE) -> float:
    """The largest difference between two probe rows' outputs run alone and together in one
    padded batch; :class:`ModelLoadError` when it exceeds ``tolerance``.

    Run at load for a manifest that claims ``batch_invariant``: a graph that still
    quantises activations per tensor would let one text's score move with its batch-mates,
    so the claim is a packaging defect, not something to run with. Every graph output is
    compared, over the row's own positions only (padding positions are never read).

    >>> check_batch_invariance(OnnxTextModel("converted/pii"))  # doctest: +SKIP
    0.0
    """
    where = model.folder / "model.onnx"
    rows = _probe_rows(model)
    case = "case_ids" in model.input_names

    def outputs(batch: list[list[int]]) -> list[np.ndarray]:
        extra = {"case_ids": [[0] * len(r) for r in batch]} if case else None
        return model.run_outputs(model.feeds(batch, extra))

    try:
        alone = [outputs([r]) for r in rows]
        together = outputs(rows)
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ModelLoadError(f"{where}: batch-invariance probe failed to run: {exc}") from exc
    worst = 0.0
    for i, single in enumerate(alone):
        for one, many in zip(single, together, strict=True):
            got = many[i]
            if one.ndim >= 3:  # per-token output: the row's own positions
                got = got[: one.shape[1]]
            if got.shape != one.shape[1:]:
                raise ModelLoadError(
                    f"{where}: batch-invariance probe output shapes differ: "
                    f"{list(one.shape[1:])} alone, {list(got.shape)} in a batch"
                )
            worst = max(worst, float(np.max(np.abs(got.astype(np.float64) - one[0]), initial=0.0)))
    if not worst <= tolerance:
        raise ModelLoadError(
            f"{model.folder}/manifest.json claims batch_invariant, but a row's outputs in a padded "
            f"batch differ from the row alone by {worst:.3g} (tolerance {tolerance:g}): the graph "
            "quantises activations over the whole batch. Convert it with "
            "bastion_training.rowquant, or remove the flag"
        )
    return worst


def _probe_rows(model: OnnxTextModel) -> list[list[int]]:
    """Two content-token rows of different lengths (3 and up to 24 tokens) for
    :func:`check_batch_invariance`, cut from :data:`_PROBE_TEXT` (repeated when a tiny
    vocabulary makes it short)."""
    ids = list(model.encode([_PROBE_TEXT])[0].ids) or [model.cls_id]
    long_n = min(model.content_length, 24)
    stream = ids * (1 + (3 + long_n) // len(ids))
    return [stream[:3], stream[3 : 3 + long_n]]


def _load_tokenizer(folder: Path) -> Any:
    """The folder's ``tokenizer.json``, with truncation and padding off (windows and
    :meth:`OnnxTextModel.feeds` do both)."""
    from tokenizers import Tokenizer

    try:
        tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    except Exception as exc:  # tokenizers raises plain Exception subclasses
        raise ModelLoadError(f"cannot load tokenizer in {folder}: {exc}") from exc
    tok.no_truncation()
    tok.no_padding()
    return tok


def _open_session(path: Path, threads: int | None) -> Any:
    """An onnxruntime CPU session on ``path`` using ``threads`` intra-op threads."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        opts.intra_op_num_threads = int(threads)
    opts.inter_op_num_threads = 1
    # A Guard runs two sessions back to back. With spinning on, the idle session's
    # threads keep busy-waiting while the other runs: on 2 cores both models were ~1.7x
    # slower together than alone.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ModelLoadError(f"onnxruntime cannot load {path}: {exc}") from exc


def graph_input_names(inputs: Sequence[Any], where: Path) -> set[str]:
    """The names of a graph's ``inputs``; :class:`ModelLoadError` unless the runtime feeds
    every one of them, they include ``input_ids`` and ``attention_mask`` and each is a
    ``(batch, sequence)`` matrix."""
    names = {i.name for i in inputs}
    missing = {"input_ids", "attention_mask"} - names
    unknown = names - KNOWN_INPUTS
    if missing or unknown:
        raise ModelLoadError(
            f"{where}: graph inputs {sorted(names)} do not fit the runtime "
            f"(missing {sorted(missing)}, unknown {sorted(unknown)})"
        )
    for i in inputs:
        if len(i.shape) != 2:
            raise ModelLoadError(f"{where}: input {i.name} has rank {len(i.shape)}, expected 2")
    return names


def checked_texts(texts: Sequence[str], who: str) -> list[str]:
    """``texts`` ready for the tokenizer: :class:`InputError` for one that is not a ``str``,
    lone surrogates replaced (same length, so offsets still index the caller's text)."""
    for t in texts:
        if not isinstance(t, str):
            raise InputError(f"{who} expects str texts, got {type(t).__name__}")
    return without_surrogates(texts)


def without_surrogates(texts: Sequence[str]) -> list[str]:
    r"""``texts`` with each lone surrogate replaced by U+FFFD.

    >>> without_surrogates(["a\udcffb"]) == ["a\ufffdb"]
    True
    """
    return [_SURROGATE.sub("\ufffd", t) for t in texts]


def text_windows(model: OnnxTextModel, encoding: Any) -> list[tuple[int, int]]:
    """The token windows ``[s, e)`` the model reads of one encoded text (none for an empty text)."""
    return [(s, e) for s, e in model.windows(len(encoding.ids)) if e > s]


def char_ranges(encoding: Any, windows: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The character range ``[start, end)`` each token window of ``encoding`` read."""
    offs = encoding.offsets
    return [(offs[s][0], offs[e - 1][1]) for s, e in windows]


def window_batches(
    model: Any, lengths: Sequence[int], *, batch_invariant: bool = True, batch_size: int = 1, workers: int = 1
) -> list[list[int]]:
    """Indices of windows of ``lengths`` content tokens, grouped into the runs
    :func:`window_probs` makes, shortest first.

    ``batch_invariant`` (what a detector asks for): on a model whose graph passed
    :func:`check_batch_invariance` (``model.batch_invariant``), windows of up to
    :data:`BATCH_TOKEN_CAP` tokens go in :func:`length_batches` of at most ``batch_size``
    rows and :data:`BATCH_MAX_TOKENS` positions and longer ones alone; on any other model
    every window runs alone. Not ``batch_invariant``: every window in padded length
    batches, the older way, kept to measure the difference. ``workers``: the model's window
    pool; the short windows are cut into at least that many runs, so one batch does not
    leave the other workers idle (one batch of 16 on one thread was slower than 16 single
    windows on two).

    >>> from types import SimpleNamespace
    >>> window_batches(SimpleNamespace(batch_invariant=False), [9, 3, 120], batch_size=8)
    [[1], [0], [2]]
    >>> window_batches(SimpleNamespace(batch_invariant=True), [9, 3, 120, 8], batch_size=8)
    [[1], [3, 0], [2]]
    >>> window_batches(SimpleNamespace(batch_invariant=True), [9, 9, 9, 9], batch_size=8, workers=2)
    [[0, 1], [2, 3]]
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    if not batch_invariant:
        return length_batches(lengths, batch_size)
    if not getattr(model, "batch_invariant", False) or batch_size <= 1:
        return [[i] for i in order]
    short = [i for i in order if lengths[i] <= BATCH_TOKEN_CAP]
    per_run = min(batch_size, max(1, -(-len(short) // max(1, workers))))
    grouped = length_batches([lengths[i] for i in short], per_run, max_tokens=BATCH_MAX_TOKENS)
    return [[short[j] for j in batch] for batch in grouped] + [
        [i] for i in order if lengths[i] > BATCH_TOKEN_CAP
    ]


def window_probs(
    model: OnnxTextModel,
    rows: Sequence[Sequence[int]],
    extra: dict[str, Sequence[Sequence[int]]] | None = None,
    *,
    batch_invariant: bool = True,
    batch_size: int = 1,
) -> Iterator[tuple[list[int], np.ndarray]]:
    """Class probabilities of content-token window ``rows``, as ``(indices into rows,
    probabilities)`` per run, shortest rows first, in the runs :func:`window_batches`
    plans (``batch_invariant``, ``batch_size``: see there).

    >>> [(batch, p.shape) for batch, p in window_probs(model, [[7, 8], [9]])]  # doctest: +SKIP
    [([1], (1, 2)), ([0], (1, 2))]
    """
    batches = window_batches(
        model,
        [len(r) for r in rows],
        batch_invariant=batch_invariant,
        batch_size=batch_size,
        workers=getattr(model, "workers", 1),
    )
    for batch, logits in _run_batches(model, rows, extra, batches, model.run):
        yield batch, softmax(logits.astype(np.float64))


def window_outputs(
    model: OnnxTextModel,
    rows: Sequence[Sequence[int]],
    extra: dict[str, Sequence[Sequence[int]]] | None,
    names: Sequence[str],
    *,
    batch_size: int = 1,
) -> Iterator[tuple[list[int], list[np.ndarray]]]:
    """The graph outputs ``names`` (raw, batch first) of window ``rows``, as ``(indices
    into rows, outputs)`` per run: batch invariant, in the runs of :func:`window_batches`.

    >>> [b for b, _ in window_outputs(model, [[7, 8], [9]], None, ["seq_logits"])]  # doctest: +SKIP
    [[1], [0]]
    """
    batches = window_batches(
        model, [len(r) for r in rows], batch_size=batch_size, workers=getattr(model, "workers", 1)
    )
    yield from _run_batches(model, rows, extra, batches, lambda feeds: model.run_outputs(feeds, names))


def _run_batches(
    model: OnnxTextModel,
    rows: Sequence[Sequence[int]],
    extra: dict[str, Sequence[Sequence[int]]] | None,
    batches: list[list[int]],
    run: Any,
) -> Iterator[tuple[list[int], Any]]:
    """``run(feeds)`` of each batch of ``rows``, on the model's window pool when it has one."""

    def one(batch: list[int]) -> Any:
        chunk = [rows[j] for j in batch]
        more = {name: [values[j] for j in batch] for name, values in extra.items()} if extra else None
        return run(model.feeds(chunk, more))

    pool = getattr(model, "pool", None)
    runs = pool.map(one, batches) if pool is not None and len(batches) > 1 else map(one, batches)
    yield from zip(batches, runs, strict=True)


def sliding_windows(n_tokens: int, size: int, stride: int) -> list[tuple[int, int]]:
    """Token ranges ``[s, e)`` of at most ``size`` tokens advancing by ``stride``.

    >>> sliding_windows(10, 4, 2)
    [(0, 4), (2, 6), (4, 8), (6, 10)]
    """
    if n_tokens <= size:
        return [(0, n_tokens)]
    out, s = [], 0
    while True:
        e = min(s + size, n_tokens)
        out.append((s, e))
        if e == n_tokens:
            return out
        s += stride


def length_batches(
    lengths: Sequence[int], max_batch: int, max_padding: float = 0.15, max_tokens: int | None = None
) -> list[list[int]]:
    """Indices of ``lengths`` grouped into batches of similar length, shortest first.

    A padded position costs as much as a real token (the matmuls run over the whole
    padded batch), and on a CPU a bigger batch buys little: on eval texts of 10–100
    tokens, batches of 16 were ~60% padding and ran at half the speed of batches cut
    by length. A batch is closed when adding the next (longer) row would make more than
    ``max_padding`` of its positions padding, at ``max_batch`` rows, or when its padded
    positions (rows x longest) would pass ``max_tokens``.

    >>> length_batches([5, 50, 6, 52, 5], max_batch=8)
    [[0, 4, 2], [1, 3]]
    >>> length_batches([5, 5, 5, 5], max_batch=8, max_tokens=10)
    [[0, 1], [2, 3]]
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    out: list[list[int]] = []
    cur: list[int] = []
    real = 0
    for i in order:
        n = max(int(lengths[i]), 1)
        too_wide = max_tokens is not None and n * (len(cur) + 1) > max_tokens
        if cur and (len(cur) >= max_batch or too_wide or (real + n) < (1 - max_padding) * n * (len(cur) + 1)):
            out.append(cur)
            cur, real = [], 0
        cur.append(i)
        real += n
    if cur:
        out.append(cur)
    return out


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    z = x - x.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)
