"""Deterministic merging of PII findings from several detectors.

Rules, in order:
1. Adjacent or overlapping pieces with the same label from the same detector, separated
   by nothing or one whitespace character, are joined (a model tagging "Jane" and
   "Doe" separately still yields one PERSON span). Validated findings are never joined,
   and ``joinable`` limits joining to some detectors: the Guard joins only model pieces,
   since two regex e-mails one space apart are two values, not one.
2. When ``joinable`` names the model detectors, a model finding lying entirely inside a
   rule finding (regex + validator) is dropped: the model tagged part of a value the
   rules saw whole ("1952-11" of "1952-11-21", "Tr0ub4dor" of "Tr0ub4dor&3x", "jane" of
   "jane+tag@example.com"), so the rule's label and span are the better answer. The
   other way round only for phones: a rule's phone reading without a context word inside
   a model's ADDRESS is a postcode or house number, and the address stays.
3. Overlapping findings are resolved greedily by priority: a validated finding
   (checksum, structural rule) beats an unvalidated one; then the higher score; then
   the longer span; then the earlier start, label and detector name (total order, so the
   result never depends on input order).
4. The losers' characters are not given back: each kept finding grows to cover the parts
   of the findings it beat that no other kept finding covers, so redacting the result
   covers the union of every detected span. Kept findings stay disjoint.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable

from bastion.types import Finding

_JOINABLE_GAP = {"", " ", "\t", "\u00a0"}
# a line break ends a name or a place (a list of people, one per line, is many people);
# only a postal address runs over lines
_JOINABLE_GAP_ADDRESS = _JOINABLE_GAP | {"\n"}


def _join_adjacent(
    findings: list[Finding], text: str | None, joinable: Collection[str] | None
) -> list[Finding]:
    out: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.detector, f.label, f.start, f.end)):
        prev = out[-1] if out else None
        if (
            prev is not None
            and (joinable is None or f.detector in joinable)
            and not prev.validated
            and not f.validated
            and prev.detector == f.detector
            and prev.label == f.label
            and f.start >= prev.start
            and f.start - prev.end <= 1
            and (
                f.start <= prev.end
                or text is None
                or text[prev.end : f.start]
                in (_JOINABLE_GAP_ADDRESS if f.label == "ADDRESS" else _JOINABLE_GAP)
            )
        ):
            out[-1] = Finding(
                prev.label,
                prev.start,
                max(prev.end, f.end),
                max(prev.score, f.score),
                prev.detector,
                prev.category,
                False,
            )
        else:
            out.append(f)
    return out


def _priority(f: Finding) -> tuple:
    return (not f.validated, -f.score, -f.length, f.start, f.label, f.detector)


def _drop_contained_model(findings: list[Finding], joinable: Collection[str]) -> list[Finding]:
    """Drop model findings that lie entirely inside a rule finding (O(n log n))."""
    rules = sorted((f.start, f.end) for f in findings if f.detector not in joinable)
    if not rules or len(rules) == len(findings):
        return findings
    starts = [s for s, _ in rules]
    reach: list[int] = []
    far = -1
    for _, e in rules:
        far = max(far, e)
        reach.append(far)
    out = []
    for f in findings:
        if f.detector in joinable:
            i = bisect.bisect_right(starts, f.start)
            if i > 0 and reach[i - 1] >= f.end:
                continue
        out.append(f)
    return out


# A context-free phone reading (a context word lifts a phone to 0.95) that lies inside a
# model's postal address is its postcode or house number ("01310-200", a Brazilian CEP):
# validated, it would win and then grow over the whole address, labelled PHONE_NUMBER.
_PHONE_IN_ADDRESS_MAX_SCORE = 0.9


def _drop_phones_in_addresses(findings: list[Finding], joinable: Collection[str]) -> list[Finding]:
    addresses = sorted((f.start, f.end) for f in findings if f.label == "ADDRESS" and f.detector in joinable)
    if not addresses:
        return findings
    starts = [s for s, _ in addresses]

    def inside(f: Finding) -> bool:
        i = bisect.bisect_right(starts, f.start)
        return i > 0 and addresses[i - 1][1] >= f.end

    return [
        f
        for f in findings
        if not (
            f.label == "PHONE_NUMBER"
            and f.detector not in joinable
            and f.score < _PHONE_IN_ADDRESS_MAX_SCORE
            and inside(f)
        )
    ]


def _cover_losers(kept: list[Finding], losers: list[Finding], text: str | None = None) -> list[Finding]:
    """Grow the (disjoint, start-sorted) kept findings over the uncovered parts of losers.

    A loser overlapping kept[i..j] hands its left overhang to kept[i], its right overhang
    to kept[j], and the gaps between kept[i..j] to the finding left of each gap, unless a
    gap is only separators (no letter or digit: the "," between two cells of a CSV row the
    model tagged as one span), which carries nothing to hide and would merge two values and
    a column into one redaction. Gap fills are counted with a difference array, so many
    wide losers stay O(n log n).
    """
    if not losers or not kept:
        return kept
    n = len(kept)
    starts = [f.start for f in kept]
    ends = [f.end for f in kept]
    new_start = starts[:]
    new_end = ends[:]
    fill = [0] * (n + 1)
    for d in losers:
        i = bisect.bisect_right(ends, d.start)  # first kept ending after d starts
        j = bisect.bisect_left(starts, d.end) - 1  # last kept starting before d ends
        if i > j:
            continue  # cannot happen for a loser (it overlapped a kept finding); be safe
        new_start[i] = min(new_start[i], d.start)
        new_end[j] = max(new_end[j], d.end)
        if j > i:
            fill[i] += 1
            fill[j] -= 1
    out: list[Finding] = []
    running = 0
    prev_end = -1
    for k, f in enumerate(kept):
        running += fill[k]
        end = new_end[k]
        if (
            running > 0
            and k + 1 < n
            and starts[k + 1] > end
            and (text is None or any(c.isalnum() for c in text[end : starts[k + 1]]))
        ):
            end = starts[k + 1]
        start = max(new_start[k], prev_end)
        if start != f.start or end != f.end:
            f = f.shifted(start, end)
        out.append(f)
        prev_end = end
    return out


def merge_findings(
    findings: Iterable[Finding],
    text: str | None = None,
    *,
    joinable: Collection[str] | None = None,
    union: bool = True,
) -> list[Finding]:
    """Join same-label pieces, drop every finding that overlaps a higher-priority one,
    and (``union``) grow the winners over what the losers covered.

    Returns disjoint findings sorted by start offset; with ``union`` their spans cover
    every input span.

    >>> a = Finding("CREDIT_CARD", 0, 16, 0.9, "regex", validated=True)
    >>> b = Finding("PHONE_NUMBER", 0, 10, 0.95, "ner")
    >>> [f.label for f in merge_findings([a, b])]
    ['CREDIT_CARD']
    >>> dob = Finding("DATE_OF_BIRTH", 8, 18, 0.85, "regex")
    >>> part = Finding("DATE_OF_BIRTH", 8, 15, 0.99, "ner")
    >>> [(f.start, f.end, f.detector) for f in merge_findings([dob, part], joinable={"ner"})]
    [(8, 18, 'regex')]
    """
    items = [f for f in findings if f.end > f.start]
    items = _join_adjacent(items, text, joinable)
    if joinable is not None:
        items = _drop_contained_model(items, joinable)
        items = _drop_phones_in_addresses(items, joinable)
    # Kept spans never overlap, so sorted by start they are also sorted by end: a new
    # candidate only needs checking against its two neighbours (O(n log n), not O(n²),
    # which matters for a megabyte of log lines with tens of thousands of findings).
    starts: list[int] = []
    kept: list[Finding] = []
    losers: list[Finding] = []
    for f in sorted(items, key=_priority):
        i = bisect.bisect_left(starts, f.start)
        if (i < len(kept) and kept[i].start < f.end) or (i > 0 and kept[i - 1].end > f.start):
            losers.append(f)
            continue
        starts.insert(i, f.start)
        kept.insert(i, f)
    return _cover_losers(kept, losers, text) if union else kept


# Labels whose value is a container of other values: a URL carries e-mails, tokens and
# passwords in its query and authority.
CONTAINER_LABELS = frozenset({"URL"})


def merge_split(findings: Iterable[Finding], text: str) -> list[Finding]:
    """Resolve overlaps like :func:`merge_findings` without joins, except that a container
    (:data:`CONTAINER_LABELS`) yields to every finding inside it and keeps the parts of it
    they leave, as findings of its own label (a part without a letter or digit is dropped):
    a URL that holds an e-mail and a token comes out as URL pieces around an
    ``EMAIL_ADDRESS`` and an ``API_KEY``. Every finding's text is then its own value (an
    allow-list entry for the e-mail cannot release the rest of the URL, and ``mask`` or
    ``hash`` act on the right characters), and redacting them all still covers every
    character any of them found. Meant for one detector's cluster of overlapping
    findings (quadratic in the number of containers, which is small).

    >>> t = "see https://x.io/?u=jo@example.com&k=1 ok"
    >>> url = Finding("URL", 4, 38, 0.6, "regex")
    >>> mail = Finding("EMAIL_ADDRESS", 20, 34, 0.9, "regex")
    >>> [(f.label, t[f.start:f.end]) for f in merge_split([url, mail], t)]
    [('URL', 'https://x.io/?u='), ('EMAIL_ADDRESS', 'jo@example.com'), ('URL', '&k=1')]
    """
    items = [f for f in findings if f.end > f.start]
    containers = [f for f in items if f.label in CONTAINER_LABELS]
    out = merge_findings([f for f in items if f.label not in CONTAINER_LABELS], text, joinable=())
    covered = [(f.start, f.end) for f in out]
    for f in sorted(containers, key=_priority):
        pieces = [(f.start, f.end)]
        for a, b in covered:
            pieces = [p for s, e in pieces for p in ((s, min(e, a)), (max(s, b), e)) if p[1] > p[0]]
        whole = pieces == [(f.start, f.end)]
        for s, e in pieces:
            if whole or any(c.isalnum() for c in text[s:e]):
                out.append(f if whole else f.shifted(s, e))
                covered.append((s, e))
    return sorted(out, key=lambda f: (f.start, f.end))
