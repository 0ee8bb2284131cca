"""Streaming output guard: release an LLM's answer chunk by chunk, redacted, and stop it on block.

Text is held back until it can no longer change a decision: the last ``holdback``
characters stay buffered, so a value up to that long (card, IBAN, e-mail, canary) is
always seen whole before any of it is released, and a release never cuts through a
finding. A check runs once ``check_every`` new characters have arrived (not per token:
each check is a model pass) and covers only the unreleased tail plus ``holdback``
characters of context, so the cost stays flat however long the answer gets. Canaries and
system-prompt leaks are looked for in the whole text so far, each step reading only what
is new (no model).

A token longer than ``holdback`` (a long JWT, an API key, base64: ASCII letters, digits and
``+/=_-.~%:`` without a break) is held back whole until it ends (up to 16 KiB), and the whole answer is checked before its
last part is released, so a block at the end still stops the stream. A value longer than
``holdback`` with spaces or newlines in it (a PEM block) can be partly released before it is
recognised; raise ``holdback`` if that matters more than latency.

A surrogate pair cut between two chunks (a JavaScript upstream slicing UTF-16 strings) is
joined back into its one character, and offsets count it as one; a lone surrogate left at
the end is refused as :meth:`Guard.check_output` refuses it (``InputError``).

>>> from bastion import Guard
>>> g = Guard.default(tasks=("pii",))
>>> events = list(guard_stream(g, ["mail me at jane.d", "oe@example.com please"], holdback=32))
>>> "".join(e.text for e in events if e.kind == "text")
'mail me at [REDACTED_EMAIL_ADDRESS] please'
>>> events[-1].kind, events[-1].result.action.value
('end', 'redact')
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bastion.canary import Canary, find_canaries
from bastion.conversation import add_output_findings
from bastion.errors import InputError
from bastion.leak import LeakConfig, LeakScanner
from bastion.redact import redact_text
from bastion.types import Action, CheckResult, Finding

if TYPE_CHECKING:
    from bastion.guard import Guard

DEFAULT_HOLDBACK = 128
DEFAULT_CHECK_EVERY = 48
# how much of one unbroken run (no space or newline) is held back waiting for its end
MAX_WORD_HOLD = 16_384
# characters of already-scanned text a canary check reads again: a canary written out
# (spaced, base64, hex) that straddles two steps is still seen whole
CANARY_OVERLAP = 2048
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """``text``: redacted text to send on; ``block``: stop, nothing more is released
    (``result`` says why); ``end``: the stream finished (``result`` is the whole answer's)."""

    kind: str
    text: str = ""
    result: CheckResult | None = None


class StreamGuard:
    """Incremental guard over one answer: :meth:`feed` chunks, then :meth:`close`.

    >>> from bastion import Guard
    >>> s = StreamGuard(Guard.default(tasks=("pii",)), holdback=16, check_every=8)
    >>> [e.kind for e in s.feed("hello there, this is fine ")] + [e.kind for e in s.close()]
    ['text', 'text', 'end']
    """

    def __init__(
        self,
        guard: Guard,
        *,
        holdback: int = DEFAULT_HOLDBACK,
        check_every: int = DEFAULT_CHECK_EVERY,
        system_prompt: str | None = None,
        canaries: Sequence[Canary | str] = (),
        leak_config: LeakConfig | None = None,
    ) -> None:
        for name, value in (("holdback", holdback), ("check_every", check_every)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"{name} must be a whole number of characters >= 1, got {value!r}")
        if system_prompt is not None and not isinstance(system_prompt, str):
            raise InputError(f"system_prompt must be str, got {type(system_prompt).__name__}")
        self.guard = guard
        self.holdback = holdback
        self.check_every = check_every
        self._checked = 0  # length of the text at the last check
        self.system_prompt = system_prompt
        self.canaries = tuple(canaries)
        self.leak_config = leak_config
        # the output policy's operators, as check_output writes values ("mask" masks here too)
        (self._default_op, self._label_ops), _ = guard._operators_for(guard.output_policy, None)
        self._leak_scan = LeakScanner(system_prompt, leak_config) if system_prompt else None
        self._canary_scanned = 0
        self._max_chars = guard.output_policy.max_chars
        self._text = ""
        # chunks since the last check, joined only when a check is due: appending each
        # chunk to one str copied the whole answer per chunk (quadratic in the chunk count)
        self._pending: list[str] = []
        self._length = 0
        # a high surrogate ending the last chunk: its low half may start the next one
        self._carry = ""
        # guard.check_output of the text from its start, while the text is that long: one
        # big chunk is checked once, not again by close() (the answer only ever grows)
        self._base: tuple[int, CheckResult] | None = None
        self._released = 0  # offset into the original text released so far
        # holding an unbroken token back until it ends: no check until a character ends it
        # (each check would read the whole run again, quadratic in its length)
        self._holding = False
        self._done = False
        self._closed = False

    @property
    def released_chars(self) -> int:
        return self._released

    def feed(self, chunk: str) -> list[StreamEvent]:
        """Add one chunk; returns the events it makes releasable (possibly none)."""
        if not isinstance(chunk, str):
            raise InputError(f"stream chunks must be str, got {type(chunk).__name__}")
        if self._closed:
            # after close() a caller still feeding has a bug worth hearing about: the text is dropped
            raise InputError("feed() after close(): the stream has ended and this chunk is not released")
        if self._done:
            return []  # blocked or over its cap: the rest of the answer is never released
        chunk = self._paired(chunk)
        if self._length + len(chunk) > self._max_chars:
            # checked before anything past the cap is released, as check_output would refuse it
            self._done = True
            raise InputError(
                f"the answer passed {self._max_chars} characters (output policy max_chars); stream stopped"
            )
        self._pending.append(chunk)
        self._length += len(chunk)
        # a model pass per token would cost ~10 ms each: check once enough new text is in
        if self._length - self._checked < self.check_every:
            return []
        if (
            self._holding
            and all(_token_char(c) for c in chunk)
            and self._length - self._released <= MAX_WORD_HOLD
        ):
            return []  # the held token goes on: nothing could be released yet
        return self._step(final=False)

    def close(self) -> list[StreamEvent]:
        """End of stream: check the whole answer, then release the rest (or block)."""
        already, self._closed = self._closed, True
        if self._done or already:
            return []
        if self._carry:
            # a high surrogate no low half followed: the checks refuse it as check_output does
            self._pending.append(self._carry)
            self._length += 1
            self._carry = ""
        if self._pending:
            self._text += "".join(self._pending)
            self._pending.clear()
        # the whole answer first: what the windowed checks could not see (a value longer than
        # a window) blocks here, before the rest is released, with offsets into the answer
        whole = self._whole(self._text)
        if whole.action is Action.BLOCK:
            self._done = True
            return [StreamEvent("block", "", whole)]
        events = self._step(final=True)
        if self._done:  # blocked on the last step
            return events
        self._done = True
        return [*events, StreamEvent("end", "", whole)]

    def _paired(self, chunk: str) -> str:
        """``chunk`` after the held-back high surrogate, with split surrogate pairs joined
        (``"\\ud83d" + "\\ude00"`` stays two lone halves in a Python string, which the
        detectors refuse); a trailing high surrogate is held for the next chunk."""
        if self._carry:
            chunk, self._carry = self._carry + chunk, ""
        if not _SURROGATE.search(chunk):
            return chunk
        if "\ud800" <= chunk[-1] <= "\udbff":
            chunk, self._carry = chunk[:-1], chunk[-1]
        return chunk.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")

    def _from_start(self, text: str) -> CheckResult:
        """``guard.check_output(text)``, reused while ``text`` is what was checked last."""
        if self._base is None or self._base[0] != len(text):
            self._base = (len(text), self.guard.check_output(text))
        return self._base[1]

    def _whole(self, text: str) -> CheckResult:
        """The output check of ``text`` as one answer, canaries and system-prompt leaks
        included (what ``guard.check_output(text, system_prompt=..., canaries=...)`` gives)."""
        result = self._from_start(text)
        if not (self.system_prompt or self.canaries):
            return result
        return add_output_findings(
            result,
            text,
            system_prompt=self.system_prompt,
            canaries=self.canaries,
            leak_config=self.leak_config,
        )

    def _leaked(self, *, final: bool = False) -> bool:
        # both read only what is new (plus an overlap for a canary split across steps), so
        # a long answer costs linear time
        if self.canaries:
            start = max(0, self._canary_scanned - CANARY_OVERLAP)
            self._canary_scanned = len(self._text)
            if find_canaries(self._text[start:], self.canaries):
                return True
        return self._leak_scan is not None and self._leak_scan.feed(self._text, final=final)

    def _step(self, *, final: bool) -> list[StreamEvent]:
        if self._pending:
            self._text += "".join(self._pending)
            self._pending.clear()
        text = self._text
        self._checked = len(text)
        self._holding = False
        limit = len(text) if final else len(text) - self.holdback
        if limit <= self._released and not final:
            return []
        ctx = max(0, self._released - self.holdback)
        result = self._from_start(text) if ctx == 0 else self.guard.check_output(text[ctx:])
        if result.action is Action.BLOCK or self._leaked(final=final):
            self._done = True
            # the whole answer's result, so the findings' offsets are the answer's (the
            # window's result has offsets into the window)
            whole = self._whole(text)
            return [StreamEvent("block", "", whole if whole.action is Action.BLOCK else result)]
        # only what the policy redacts: allowed findings (LOCATION by default) stay in clear
        spans = [f.shifted(f.start + ctx, f.end + ctx) for f in result.redactions]
        cut = _outside(spans, limit)
        if not final:
            # prefer to stop after whitespace so words are not split between events, but
            # never at a space inside a value ("4111 1111 ...", "Jane Doe")
            ws = max(text.rfind(" ", self._released, cut), text.rfind("\n", self._released, cut))
            if ws >= self._released:
                cut = _outside(spans, ws + 1)
            elif (
                _token_char(text[cut - 1 : cut])
                and _token_char(text[cut : cut + 1])
                and len(text) - self._released <= MAX_WORD_HOLD
            ):
                # inside one unbroken token longer than the holdback (a JWT, a key, base64):
                # hold it until it ends, so a check sees it whole before any of it goes out.
                # Only a token's characters: text in scripts written without spaces (Chinese,
                # Japanese) still streams.
                self._holding = True
                return []
        if cut <= self._released:
            return []
        # a finding that began in text already released (a later check read a longer value)
        # still has its unreleased part redacted
        part = [
            f.shifted(max(f.start, self._released) - self._released, f.end - self._released)
            for f in spans
            if f.end > self._released and f.end <= cut
        ]
        piece = text[self._released : cut]
        out = redact_text(piece, part, self._label_ops, self._default_op) if part else piece
        self._released = cut
        return [StreamEvent("text", out)]


# what tokens, keys and encodings are written with
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-.~%:")


def _token_char(ch: str) -> bool:
    """Whether ``ch`` may be part of a token, as the detectors will read it: a full-width or
    look-alike letter and an invisible character inside a JWT are part of it too (an
    ASCII-only test released most of such a token before the block)."""
    if ch == "":
        return False
    if ch in _TOKEN_CHARS:
        return True
    if ch.isascii():
        return False
    from bastion.normalize import _INVISIBLE, normalize

    if ord(ch) in _INVISIBLE:
        return True
    folded = normalize(ch).text
    return folded != "" and all(c in _TOKEN_CHARS for c in folded)


def _outside(spans: Sequence[Finding], cut: int) -> int:
    """``cut`` moved left until it lies in no span (spans are disjoint)."""
    for f in sorted(spans, key=lambda f: -f.start):
        if f.start < cut < f.end:
            cut = f.start
    return cut


def guard_stream(guard: Guard, chunks: Iterable[str], **options) -> Iterator[StreamEvent]:
    """Guard a synchronous stream of text chunks (see :class:`StreamGuard` for options)."""
    sg = StreamGuard(guard, **options)
    for chunk in chunks:
        events = sg.feed(chunk)
        yield from events
        if any(e.kind == "block" for e in events):
            return
    yield from sg.close()


async def aguard_stream(guard: Guard, chunks: AsyncIterable[str], **options) -> AsyncIterator[StreamEvent]:
    """Guard an async stream (``async for``); model work runs off the event loop."""
    sg = StreamGuard(guard, **options)
    # the guard's own bounded pool (max_workers), as its acheck uses
    async for chunk in chunks:
        events = await guard._workers.run(sg.feed, chunk)
        for e in events:
            yield e
        if any(e.kind == "block" for e in events):
            return
    for e in await guard._workers.run(sg.close):
        yield e


__all__ = [
    "DEFAULT_CHECK_EVERY",
    "DEFAULT_HOLDBACK",
    "StreamEvent",
    "StreamGuard",
    "aguard_stream",
    "guard_stream",
]
