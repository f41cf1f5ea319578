"""Writing large JSON documents and text pieces without holding them whole.

findings.json and plan.json of a 10,000-account run are tens of MB of text, from a document of
several times that in Python objects. ``LazyArray`` stands for the long array of such a
document and makes each element when the encoder reaches it; ``json_pieces`` encodes the
document as json.dumps(indent=2) would, piece by piece; ``utf8`` joins small pieces into
batches worth writing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")

#: Pieces joined into one write: jinja2 and the JSON encoder yield a few characters at a time.
PIECES_PER_BATCH = 4096


class LazyArray(list[Any], Generic[Item]):
    """A JSON array of ``convert(item)`` for each of ``items``, each made when it is encoded.

    Only for ``json_pieces``: json's indenting encoder (pure Python) reads a list through
    ``len`` and iteration alone. Anything else sees the empty list underneath (the C encoder,
    ``==``), so it is never handed out.
    """

    def __init__(self, items: Sequence[Item], convert: Callable[[Item], Any]) -> None:
        super().__init__()
        self._items = items
        self._convert = convert

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        return (self._convert(item) for item in self._items)


def json_pieces(document: Any) -> Iterator[str]:
    """``json.dumps(document, indent=2, ensure_ascii=False) + "\\n"``, in pieces."""
    yield from json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(document)
    yield "\n"


def utf8(pieces: Iterable[str], batch: int = PIECES_PER_BATCH) -> Iterator[bytes]:
    """``pieces`` encoded as UTF-8, ``batch`` of them at a time."""
    waiting: list[str] = []
    for piece in pieces:
        waiting.append(piece)
        if len(waiting) >= batch:
            yield "".join(waiting).encode("utf-8")
            waiting.clear()
    yield "".join(waiting).encode("utf-8")
