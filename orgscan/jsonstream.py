"""Writing large JSON documents and text pieces without holding them whole.

findings.json and plan.json of a 10,000-account run are 147 and 73 MB of text, from a document of
several times that in Python objects. ``LazyArray`` stands for the long array of such a
document and makes each element when the encoder reaches it; ``json_pieces`` encodes the
document as json.dumps(indent=2) would, piece by piece; ``utf8`` joins small pieces into
batches worth writing.

The standard library encodes indented JSON in pure Python only, through one generator per
level of nesting, every token passed up through each of them: 2.6 s for the findings.json of
10,000 accounts. ``json_pieces`` writes the same text, byte for byte, with one function call
per array or object, each element of the document's arrays made into one piece.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, Protocol, TypeVar

Item = TypeVar("Item")
Item_co = TypeVar("Item_co", covariant=True)

#: Pieces joined into one write: jinja2 and the JSON encoder yield a few characters at a time.
PIECES_PER_BATCH = 4096
#: Characters joined into one write at most (about a megabyte): 4,096 pieces of whole
#: findings would be tens of megabytes held twice, as text and as bytes.
BATCH_CHARACTERS = 1 << 20


class SizedItems(Protocol[Item_co]):
    """What a ``LazyArray`` reads its items through: their number, and one pass over them."""

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[Item_co]: ...


class LazyArray(list[Any], Generic[Item]):
    """A JSON array of ``convert(item)`` for each of ``items``, each made when it is encoded.

    Only for ``json_pieces``: json's indenting encoder (pure Python) reads a list through
    ``len`` and iteration alone. Anything else sees the empty list underneath (the C encoder,
    ``==``), so it is never handed out.
    """

    def __init__(self, items: SizedItems[Item], convert: Callable[[Item], Any]) -> None:
        super().__init__()
        self._items = items
        self._convert = convert

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        return (self._convert(item) for item in self._items)


def json_pieces(document: Any) -> Iterator[str]:
    """``json.dumps(document, indent=2, ensure_ascii=False) + "\\n"``, in pieces: the
    document's top level, and each element of its arrays (a ``LazyArray``'s made when it is
    reached) as one piece. ``TypeError`` as ``json.dumps`` raises it."""
    yield from _pieces(document, 0)
    yield "\n"


_INDENT = "  "


def _pieces(value: Any, level: int) -> Iterator[str]:
    # Streamed: the document itself, and the arrays that are its values. Anything else,
    # an element of those arrays included, is encoded whole.
    streamed = isinstance(value, list | tuple) or (level == 0 and isinstance(value, dict))
    if not streamed or level > 1 or not value:
        out: list[str] = []
        _encode(value, level, out)
        yield "".join(out)
        return
    first = "\n" + _INDENT * (level + 1)
    following = "," + first
    if isinstance(value, dict):
        yield "{"
        for key, item in value.items():
            yield f"{first}{_string(key if type(key) is str else _key(key))}: "
            first = following
            yield from _pieces(item, level + 1)
        yield "\n}"
        return
    yield "["
    for item in value:
        out = [first]
        first = following
        _encode(item, level + 1, out)
        yield "".join(out)
    yield "\n" + _INDENT * level + "]"


def _encode(value: Any, level: int, out: list[str]) -> None:
    """Append the text of ``value`` at nesting ``level`` to ``out`` (the rules of
    ``json.encoder._make_iterencode`` with ``indent=2``, in its order of checks)."""
    scalar = _scalar(value)
    if scalar is not None:
        out.append(scalar)
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        newline = "\n" + _INDENT * (level + 1)
        separator = "[" + newline
        for item in value:
            scalar = _scalar(item)
            if scalar is not None:
                out.append(separator + scalar)
            else:
                out.append(separator)
                _encode(item, level + 1, out)
            separator = "," + newline
        out.append("\n" + _INDENT * level + "]")
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        newline = "\n" + _INDENT * (level + 1)
        separator = "{" + newline
        for key, item in value.items():
            name = _string(key if type(key) is str else _key(key))
            scalar = _scalar(item)
            if scalar is not None:
                out.append(f"{separator}{name}: {scalar}")
            else:
                out.append(f"{separator}{name}: ")
                _encode(item, level + 1, out)
            separator = "," + newline
        out.append("\n" + _INDENT * level + "}")
    else:
        raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


def _scalar(value: Any) -> str | None:
    """The text of ``value`` when it is no array or object; None when it is (or is no JSON)."""
    kind = type(value)
    if kind is str:
        return _string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is int:
        return int.__repr__(value)
    if kind is list or kind is dict:
        return None
    # Subclasses (a StrEnum member is a str, an IntEnum's an int), in the encoder's order.
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    return None


_string: Callable[[str], str] = json.encoder.encode_basestring


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    text = _scalar(key)  # a number, true, false or null, as the encoder writes such keys
    if text is None:
        raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")
    return text


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == -float("inf"):
        return "-Infinity"
    return float.__repr__(value)


def utf8(pieces: Iterable[str], batch: int = PIECES_PER_BATCH) -> Iterator[bytes]:
    """``pieces`` encoded as UTF-8, ``batch`` of them at a time, or fewer once they reach
    ``BATCH_CHARACTERS``: a piece may be a few characters (jinja2) or a whole finding of
    several kilobytes (the JSON documents), and a batch must stay small either way."""
    waiting: list[str] = []
    size = 0
    for piece in pieces:
        waiting.append(piece)
        size += len(piece)
        if len(waiting) >= batch or size >= BATCH_CHARACTERS:
            yield "".join(waiting).encode("utf-8")
            waiting.clear()
            size = 0
    yield "".join(waiting).encode("utf-8")
