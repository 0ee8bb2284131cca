"""The immutable, picklable mapping detectors put in ``Finding.explanation``.

``types.MappingProxyType`` cannot be pickled, and findings cross process boundaries
(``bastion scan`` runs detectors in worker processes), so explanations use this instead.

>>> why = Explanation(recognizer="credit_card", validator="luhn", valid=True)
>>> why["validator"], dict(why)
('luhn', {'recognizer': 'credit_card', 'validator': 'luhn', 'valid': True})
>>> import pickle; pickle.loads(pickle.dumps(why)) == why
True
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


class Explanation(Mapping[str, Any]):
    """A read-only ``str -> scalar`` mapping, in insertion order."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, Any] | None = None, /, **kw: Any) -> None:
        object.__setattr__(self, "_items", {**(items or {}), **kw})

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Explanation is immutable")

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(tuple(self._items.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._items) == dict(other)

    def __repr__(self) -> str:
        return f"Explanation({self._items!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Explanation, (dict(self._items),))


__all__ = ["Explanation"]
