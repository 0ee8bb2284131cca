"""The batch pipeline behind :meth:`Guard.check_many <bastion.guard.Guard.check_many>`.

A batch is read (``str`` or UTF-8, at most ``policy.max_chars``), measured against
``policy.max_tokens`` before any model runs, normalised, given to every detector at once
(plus the policy's deny terms), and then each text is decided on its own
(:mod:`bastion.decide`), so a text's result never depends on its batch-mates.

>>> from bastion.detectors import build_detector
>>> from bastion.policy import Policy
>>> p = Pipeline.of([build_detector("pii_regex")])
>>> pol = Policy()
>>> [r.redacted_text for r in p.run(["card 4111 1111 1111 1111"], pol, build_operators(pol, None), None, "raise")]
['card [REDACTED_CREDIT_CARD]']
"""

from __future__ import annotations

import dataclasses
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from numbers import Integral, Real
from types import MappingProxyType
from typing import Any

from bastion.decide import decide_pii, injection_verdict
from bastion.detectors.base import CountsTokens, Detector, calibration, token_counters
from bastion.errors import ConfigError, DetectorError, InputError, ModelLoadError
from bastion.normalize import Normalized, normalize
from bastion.policy import Policy
from bastion.policy_lists import DENY_DETECTOR, check_label
from bastion.redact import (
    Operator,
    Pseudonymize,
    Replace,
    Vault,
    build_operator,
    placeholder_spans,
    redact_with_tokens,
)
from bastion.threads import LocalPool
from bastion.types import INJECTION, Action, CheckResult, Finding

ERRORS = ("raise", "return")

# a policy's operators, built: (default operator, {label: operator})
Operators = tuple[Operator, dict[str, Operator]]


def coerce_text(value: Any) -> str:
    """Accept ``str`` or UTF-8 ``bytes``; anything else is an :class:`InputError`."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bytes | bytearray | memoryview):
        try:
            text = bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"input is not valid UTF-8 (byte {exc.start}: {exc.reason})") from None
    else:
        raise InputError(f"input must be str or UTF-8 bytes, got {type(value).__name__}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(f"input contains an unpaired surrogate at index {exc.start}") from None
    return text


def pseudonymises(policy: Policy) -> bool:
    """Whether any of the policy's operators pseudonymises (and so needs a vault)."""
    specs = [policy.default_operator, *policy.operators.values()]
    return any(
        (spec.get("type") if isinstance(spec, Mapping) else spec) in ("pseudonymize", "pseudonymise")
        or isinstance(spec, Pseudonymize)
        for spec in specs
    )


def build_operators(policy: Policy, vault: Vault | None) -> Operators:
    """The policy's operators, pseudonymising into ``vault`` (``None``: a fresh one)."""
    vault = vault if vault is not None else Vault()
    default = build_operator(policy.default_operator, vault=vault)
    return default, {k: build_operator(v, vault=vault) for k, v in policy.operators.items()}


def read_texts(texts: Sequence[Any], max_chars: int, errors: str) -> tuple[list[str], dict[int, InputError]]:
    """The texts as ``str`` and, with ``errors="return"``, the bad ones' errors by index
    (their text is then ``""``); with ``errors="raise"`` the first bad one raises."""
    failed: dict[int, InputError] = {}
    originals: list[str] = []
    for i, t in enumerate(texts):
        try:
            text = coerce_text(t)
            if len(text) > max_chars:
                raise InputError(
                    f"{'the text' if len(texts) == 1 else f'text {i}'} has {len(text)} characters, over the "
                    f"cap of {max_chars} (policy.max_chars; a config's policy: sets it)"
                )
        except InputError as exc:
            if errors == "raise":
                raise
            failed[i] = exc
            text = ""
        originals.append(text)
    return originals, failed


# NFKC writes some characters as many ("\ufdfa" is 18 letters, "…" three dots): the cap
# bounds the work on what the detectors read too, with room for ordinary ellipses and
# ligatures
EXPANSION_ALLOWANCE = 2


def refuse_expanded(
    norms: Sequence[Normalized], failed: dict[int, InputError], max_chars: int, errors: str
) -> None:
    """Refuse a text whose normalised form is over ``EXPANSION_ALLOWANCE`` x ``max_chars``
    (20,000 "\ufdfa" once took 185 s under a cap meant to bound it), as :func:`read_texts`
    refuses a long text: raised, or recorded in ``failed``."""
    cap = EXPANSION_ALLOWANCE * max_chars
    for i, n in enumerate(norms):
        if i in failed or len(n.text) <= cap:
            continue
        exc = InputError(
            f"{'the text' if len(norms) == 1 else f'text {i}'} reads as {len(n.text)} characters once "
            f"normalised (NFKC expands some characters), over {EXPANSION_ALLOWANCE} x the cap of "
            f"{max_chars} (policy.max_chars)"
        )
        if errors == "raise":
            raise exc
        failed[i] = exc


_KINDS = ("model", "rules", "fallback")
_CATEGORIES = ("pii", INJECTION)


def _check_detectors(detectors: Sequence[Any]) -> None:
    """Refuse what would otherwise fail later or, worse, be silently ignored: a category
    typo ("PII") dropped every finding, a kind typo hid a fallback from ``degraded``."""
    names: set[str] = set()
    for n, det in enumerate(detectors):
        if not isinstance(det, Detector):
            hint = f": pass build_detector({det!r})" if isinstance(det, str) else ""
            raise ConfigError(
                f"detector {n} is a {type(det).__name__}, not a detector (name, category, version, kind, "
                f"detect(texts)){hint}"
            )
        if not isinstance(det.name, str) or not det.name:
            raise ConfigError(f"detector {n}: name must be a non-empty string, got {det.name!r}")
        if det.name == DENY_DETECTOR:
            # the policy's deny terms go by this name: past thresholds, disabled_labels,
            # the allow list and label_actions, and so would this detector's findings
            raise ConfigError(
                f"detector {n}: the name {DENY_DETECTOR!r} is reserved for the policy's deny_terms"
            )
        if det.version is not None and not isinstance(det.version, str):
            # it is reported as is (model_versions, /readyz)
            raise ConfigError(
                f"detector {det.name!r}: version must be a string or None, got {type(det.version).__name__}"
            )
        if det.category not in _CATEGORIES:
            raise ConfigError(
                f"detector {det.name!r}: category must be 'pii' or 'injection', got {det.category!r}"
            )
        if det.kind not in _KINDS:
            raise ConfigError(
                f"detector {det.name!r}: kind must be one of {', '.join(_KINDS)}, got {det.kind!r}"
            )
        if det.name in names:
            raise ConfigError(
                f"two detectors are named {det.name!r}: versions, thresholds and merging go by name"
            )
        names.add(det.name)


def _checked_output(det: Detector, batch: Sequence[str], results: Any) -> list[list[Finding]]:
    """``results`` as the contract says, or a :class:`DetectorError` naming the detector:
    one list of findings per text, offsets inside the text, a real score in [0, 1] (a NaN
    score compared false against every cut and let an attack through), and the detector's
    own name, category and a policy-style label in each finding: cuts, thresholds and
    exemptions are looked up by ``f.detector`` (another name silently got the 0.5 default),
    the verdict by ``f.category``, and a placeholder is built from ``f.label`` (a
    ``<person_1>`` token could never be restored)."""
    name = det.name
    if not isinstance(results, Sequence) or isinstance(results, str | bytes):
        raise DetectorError(f"detector {name} returned a {type(results).__name__}, not one list per text")
    if len(results) != len(batch):
        raise DetectorError(f"detector {name} returned {len(results)} results for {len(batch)} texts")
    for row, text in zip(results, batch, strict=True):
        if not isinstance(row, Sequence) or isinstance(row, str | bytes):
            raise DetectorError(f"detector {name} returned a {type(row).__name__} for a text, not a list")
        n = len(text)
        for f in row:
            if not isinstance(f, Finding):
                raise DetectorError(f"detector {name} returned a {type(f).__name__}, not a Finding")
            try:
                check_label(f.label, f"detector {name}")
            except ConfigError:
                # not the label itself: a broken detector may have put the text there
                raise DetectorError(
                    f"detector {name} returned a label that is not upper-case letters, digits and _ "
                    "(at most 64), as policy labels are"
                ) from None
            if f.detector != name:
                raise DetectorError(
                    f"detector {name}: its {f.label} finding names another detector (Finding.detector "
                    "must be the detector's name: the policy's cuts and thresholds go by it)"
                )
            if f.category != det.category:
                raise DetectorError(
                    f"detector {name} (category {det.category}): {f.label} has category {f.category!r}"
                )
            # numbers.* so numpy scalars (np.int64 offsets, np.float32 scores) pass as before;
            # bool is an Integral too, and False/True are no offsets
            if not (
                isinstance(f.start, Integral)
                and isinstance(f.end, Integral)
                and not isinstance(f.start, bool)
                and not isinstance(f.end, bool)
            ):
                raise DetectorError(
                    f"detector {name}: {f.label} offsets {f.start!r}, {f.end!r} are not integers"
                )
            if not 0 <= f.start <= f.end <= n:
                raise DetectorError(
                    f"detector {name}: {f.label} at [{f.start}:{f.end}) is not inside the text (length {n})"
                )
            score = f.score
            if (
                isinstance(score, bool)
                or not isinstance(score, Real)
                or not (math.isfinite(score) and 0.0 <= score <= 1.0)
            ):
                raise DetectorError(f"detector {name}: {f.label} score {score!r} is not a number in [0, 1]")
    return list(results)


def _inside_any(f: Finding, holes: Sequence[tuple[int, int]]) -> bool:
    """A PII finding wholly inside one of ``holes`` (pseudonym tokens; see
    :func:`~bastion.redact.placeholder_spans`); deny terms and injection findings never are."""
    if f.category != "pii" or f.detector == DENY_DETECTOR:
        return False
    return any(s <= f.start and f.end <= e for s, e in holes)


_WINDOW = re.compile(r"\[([0-9]{1,12}):([0-9]{1,12})\)")


def _to_original(n: Normalized, found: Sequence[Finding]) -> list[Finding]:
    out = []
    for f in found:
        s, e = n.to_original(f.start, f.end)
        g = f if (s, e) == (f.start, f.end) else f.shifted(s, e)
        # an explanation's window is an offset pair too (the model's window, wider than
        # the span): in the normalised text it pointed past the end of the original
        # (read from the detector's own finding: shifted() already renamed a window equal to the span)
        why = f.explanation
        window = why.get("window") if isinstance(why, Mapping) else None
        m = _WINDOW.fullmatch(window) if isinstance(window, str) else None
        if m is not None and not n.identity:
            ws, we = n.to_original(int(m.group(1)), int(m.group(2)))
            if g.explanation is None or g.explanation.get("window") != f"[{ws}:{we})":
                from bastion.detectors.explanation import Explanation

                g = dataclasses.replace(g, explanation=Explanation({**why, "window": f"[{ws}:{we})"}))
        out.append(g)
    return out


def refuse_over_budget(
    counters: Sequence[CountsTokens],
    norms: Sequence[Normalized],
    failed: dict[int, InputError],
    budget: int,
    errors: str,
) -> None:
    """Refuse texts whose model token count is over ``policy.max_tokens``, before any
    model runs (a text is checked whole or not at all): raised, or put in ``failed``."""
    todo = [i for i, n in enumerate(norms) if i not in failed and n.text.strip()]
    if not todo:
        return
    worst = [0] * len(norms)
    for det in counters:
        for i, n in zip(todo, det.count_tokens([norms[i].text for i in todo]), strict=True):
            worst[i] = max(worst[i], int(n))
    for i in todo:
        if worst[i] > budget:
            exc = InputError(
                f"{'the text' if len(norms) == 1 else f'text {i}'} has {worst[i]} model tokens, over the "
                f"compute budget of {budget} "
                "(policy.max_tokens)"
            )
            if errors == "raise":
                raise exc
            failed[i] = exc


@dataclass(frozen=True)
class Pipeline:
    """A Guard's detectors and what follows from them, worked out once: the reasons the
    Guard is degraded, the model versions, the detectors whose pieces merge
    (``joinable``), the token counters (``max_tokens``) and the calibrated cut-offs."""

    detectors: tuple[Detector, ...]
    degraded_reasons: tuple[str, ...]
    model_versions: Mapping[str, str]
    joinable: frozenset[str]
    token_counters: tuple[CountsTokens, ...]
    calibration: Mapping[str, Mapping[str, float]]
    # Runs the model detectors side by side when there are several (see _detect).
    pool: LocalPool | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(
        cls, detectors: Sequence[Detector], degraded_reasons: Sequence[str] = (), *, parallel: bool = True
    ) -> Pipeline:
        detectors = tuple(detectors)
        _check_detectors(detectors)
        reasons = [*degraded_reasons]
        reasons += [f"{d.name}: fallback detector in use" for d in detectors if d.kind == "fallback"]
        n_models = sum(d.kind == "model" for d in detectors)
        return cls(
            detectors,
            tuple(reasons),
            MappingProxyType({d.name: d.version for d in detectors if d.kind == "model"}),
            frozenset(d.name for d in detectors if d.kind == "model"),
            token_counters(detectors),
            calibration(detectors),
            LocalPool(n_models, "bastion-model") if parallel and n_models > 1 else None,
        )

    def run(
        self,
        texts: Sequence[Any],
        pol: Policy,
        ops: Operators,
        vault: Vault | None,
        errors: str,
        per_text: Callable[[], tuple[Operators, Vault]] | None = None,
    ) -> list[CheckResult | InputError]:
        """Check a batch under ``pol`` (already resolved); a bad text's place holds its
        :class:`InputError` with ``errors="return"``. ``per_text``: operators and a vault
        of each text's own (a pseudonymising call without a shared vault), so a text's
        tokens never depend on the batch it came in."""
        t0 = time.perf_counter()
        originals, failed = read_texts(texts, pol.max_chars, errors)
        norms = [normalize(t) for t in originals]
        refuse_expanded(norms, failed, pol.max_chars, errors)
        if pol.max_tokens is not None:
            refuse_over_budget(self.token_counters, norms, failed, pol.max_tokens, errors)
        active = [i for i, n in enumerate(norms) if i not in failed and n.text.strip()]
        raw, thresholds = self._detect(norms, active, pol)
        per_text_ms = (time.perf_counter() - t0) * 1000.0 / max(1, len(originals))
        out: list[CheckResult | InputError] = []
        for i in range(len(originals)):
            if i in failed:
                out.append(failed[i])  # only with errors="return"
                continue
            row_ops, row_vault = per_text() if per_text is not None else (ops, vault)
            out.append(self._result(originals[i], raw[i], pol, row_ops, thresholds, per_text_ms, row_vault))
        return out

    def _detect(
        self, norms: Sequence[Normalized], active: Sequence[int], pol: Policy
    ) -> tuple[list[list[Finding]], dict[str, float]]:
        """Every detector's findings (original offsets) per text, and the injection cut of
        each injection detector."""
        raw: list[list[Finding]] = [[] for _ in norms]
        thresholds: dict[str, float] = {}
        # A model sees text folded the way it was trained (its manifest's "homoglyphs"); the
        # rules and older models see the default fold, which every Normalized here has.
        views: dict[str, tuple[list[Normalized], tuple[str, ...]]] = {}

        def view(det: Detector) -> tuple[list[Normalized], tuple[str, ...]]:
            mode = getattr(det, "homoglyphs", "all")
            if mode not in views:
                ns = [
                    norms[i] if mode == "all" else normalize(norms[i].original, homoglyphs=mode)
                    for i in active
                ]
                # a tuple: a detector that cleaned its texts in place would blind every
                # detector after it (the shipped models read the same batch)
                views[mode] = (ns, tuple(n.text for n in ns))
            return views[mode]

        import contextvars

        from bastion.detectors.text_cache import call_scope

        # onnxruntime releases the GIL, so two model sessions (each with its share of the
        # cores, see config.shipped_parts) finish sooner side by side than one after the
        # other, and the rules run meanwhile in this thread. Results keep detector order.
        # The one-pass model's two detectors share its outputs within this call only (its
        # scope, which each pool task sees through its own copy of this context): a cache
        # shared across calls would let one caller time another's texts.
        outs: list[Future[list[list[Finding]]] | list[list[Finding]] | None] = [None] * len(self.detectors)
        with call_scope():
            if active and self.pool is not None:
                for k, det in enumerate(self.detectors):
                    if det.kind == "model":
                        ctx = contextvars.copy_context()
                        outs[k] = self.pool.submit(ctx.run, det.detect, view(det)[1])
            for k, det in enumerate(self.detectors):
                if det.category == INJECTION:
                    thresholds[det.name] = pol.injection_threshold_for(det.name)
                if not active:
                    continue
                out = outs[k]
                seen, batch = view(det)
                try:
                    results = (
                        det.detect(batch) if out is None else out.result() if isinstance(out, Future) else out
                    )
                except (DetectorError, ModelLoadError):
                    raise
                except Exception as exc:
                    # the type only: a detector's message may quote the text it was given. A
                    # bastion error too: an InputError or ConfigError raised inside detect()
                    # is the server's fault, not the caller's (the API answered 422 "invalid
                    # policy override" with the text in it)
                    raise DetectorError(f"detector {det.name} failed: {type(exc).__name__}") from exc
                results = _checked_output(det, batch, results)
                for i, norm, found in zip(active, seen, results, strict=True):
                    raw[i] += _to_original(norm, found)
        if pol.deny_terms:
            # on the normalised text like every detector (a zero-width space or a homoglyph
            # does not hide a term), read further as the regex rules read it (deny_findings):
            # a struck-through or U+2011-hyphenated term the rules would catch must not leak
            for i in active:
                raw[i] += _to_original(norms[i], pol.deny_findings(norms[i].text))
        return raw, thresholds

    def _result(
        self,
        text: str,
        found: list[Finding],
        pol: Policy,
        ops: Operators,
        thresholds: Mapping[str, float],
        latency_ms: float,
        vault: Vault | None,
    ) -> CheckResult:
        holes = placeholder_spans(text) if "<" in text or "[REDACTED_" in text else []
        if holes:
            found = [f for f in found if not _inside_any(f, holes)]
        redacted_pii, allowed_pii = decide_pii(text, found, pol, self.joinable)
        inj = injection_verdict(text, found, pol, thresholds)
        action = pol.injection_action if inj.flagged else Action.ALLOW
        for f in redacted_pii:
            if f.action is not None and f.action.severity > action.severity:
                action = f.action
        default_op, per_label = ops
        spans = list(redacted_pii)
        if inj.flagged and pol.injection_action is Action.REDACT:
            # "redact" for an injection means its window goes, always as a plain placeholder
            # (a pseudonym would be restored into the answer, attack and all)
            spans += [f for f in inj.findings if f.end > f.start]
            per_label = {**per_label, **{f.label: Replace() for f in inj.findings}}
        redacted, tokens = (
            redact_with_tokens(text, spans, per_label, default_op or Replace()) if spans else (text, ())
        )
        return CheckResult(
            action=action,
            injection_score=inj.score,
            is_injection=inj.flagged,
            findings=inj.findings + tuple(sorted(redacted_pii + allowed_pii, key=lambda f: (f.start, f.end))),
            redacted_text=redacted,
            degraded=bool(self.degraded_reasons),
            model_versions=self.model_versions,
            latency_ms=latency_ms,
            degraded_reasons=self.degraded_reasons,
            pseudonyms=tokens,
            injection_threshold=inj.threshold,
            vault=vault if tokens else None,
            injection_allowed_by=inj.allowed_by,
        )
