"""Reading the JSON files of a run folder (findings.json, plan.json, diff.json, the evidence
file's lines) safely, and the one type check their loaders (and the exceptions file's) share.

A run folder is read long after it was written, by scheduled jobs nobody watches, and anyone
with write access to the output folder can change it. So the reader bounds what it accepts: only
regular files, at most ``MAX_DOCUMENT_BYTES``, lines of a bounded length, integers of at most
``MAX_INT_DIGITS`` digits, no ``NaN``/``Infinity`` (nor a number that only fits as infinity,
``1e400``). Whatever breaks a bound is the caller's ``InputError``, one line.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import stat
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from orgscan.errors import InputError

#: The largest file read from a run folder. A 10,000-account organization with tamper paths,
#: integrity checks and pre-lock counts writes a findings.json of 147 MB (plan.json 73 MB);
#: reading it takes about 5x the file's size in memory. 256 MiB leaves room for such an
#: organization to grow by two thirds and bounds what a planted file can cost (~1.3 GB).
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
#: Integers in a run folder count days, regions or versions: 18 digits fit in 64 bits.
MAX_INT_DIGITS = 18
#: The times a run may have started or finished: none ran before 2000, and the workbook, a ZIP
#: archive, cannot date its entries from 2108 on (``report`` crashed on such a run).
EARLIEST_RUN_TIME = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_RUN_TIME = datetime(2100, 1, 1, tzinfo=UTC)


def read_regular_file(path: Path, max_bytes: int = MAX_DOCUMENT_BYTES) -> str:
    """The UTF-8 text of ``path``. ``OSError`` unless it is a regular file of at most
    ``max_bytes``: a FIFO would wait for a writer forever, a device such as /dev/zero never
    ends, and a huge file exhausts memory, so a file planted in a run folder could hang or kill
    a scheduled job. The file is checked through the descriptor it is read from."""
    # O_NONBLOCK: opening a FIFO must not wait for a writer before fstat can refuse it.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        if info.st_size > max_bytes:
            raise OSError(
                errno.EFBIG,
                f"{info.st_size:,} bytes, more than the {max_bytes:,} a run folder's file may have",
                str(path),
            )
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:  # grew while being read
        raise OSError(
            errno.EFBIG,
            f"more than the {max_bytes:,} bytes a run folder's file may have",
            str(path),
        )
    return data.decode("utf-8")


class _Implausible(ValueError):
    """A value no run folder holds: raised from the parser's hooks, reported as bad input."""


def _bounded_int(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > MAX_INT_DIGITS:
        raise _Implausible(f"a number of {len(digits)} digits ({text[:12]}...)")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 parses as inf: no run folder holds such a number
        raise _Implausible(f"{text[:12]} is too large a number")
    return value


def _no_constant(name: str) -> Any:
    raise _Implausible(f"{name} is not a JSON number")


def parse_json_text(text: str, source: str, error: type[InputError]) -> Any:
    """The document in ``text``; ``error`` (an ``InputError``) for anything that is not JSON
    text: a syntax error, nesting too deep to parse, a number too long to be plausible (Python
    refuses integers over 4,300 digits with a plain ``ValueError``), ``NaN`` or ``Infinity``,
    or a ``\\ud800`` escape (valid JSON, but no character, so no report or script could be
    written from it)."""
    try:
        document = json.loads(
            text,
            parse_int=_bounded_int,
            parse_float=_finite_float,
            parse_constant=_no_constant,
        )
    except _Implausible as exc:
        raise error(f"{source}: implausible value: {exc}") from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise error(f"{source}: not valid JSON ({exc})") from None
    try:
        # Element by element: the text of a whole 147 MB findings.json, and its bytes, would
        # be held at once beside the document.
        for part in _parts(document):
            json.dumps(part, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise error(
            f"{source}: holds a \\u escape that is not a character (a lone surrogate)"
        ) from None
    except RecursionError:
        raise error(f"{source}: nested too deeply") from None
    return document


#: JSON's whitespace, as the standard library's decoder skips it.
_WHITESPACE = re.compile(r"[ \t\n\r]*")
#: What can go wrong reading a document's text a value at a time: a syntax error, an
#: implausible value, a value nested too deeply, a lone surrogate, a value a maker refuses.
_READ_FAILURES = (ValueError, TypeError, KeyError, IndexError, RecursionError)


def streamed_object(
    text: str, makers: Mapping[str, Callable[[Any, int], Any]]
) -> tuple[dict[str, Any], dict[str, tuple[Any, ...]]] | None:
    """``text``'s top-level object, each array under a key of ``makers`` read an element at a
    time and made at once into ``makers[key](element, index)``: the whole document is never
    held beside what is made from it (at 10,000 accounts findings.json's document is 290 MB).

    Returns the object with those arrays left empty, and what was made of them; or None when
    anything is not as ``parse_json_text`` and the makers would have it (not an object, a
    syntax error, an implausible value, a lone surrogate, a maker's refusal): the caller then
    reads the text whole, which accepts and refuses exactly what it always did. A key given
    twice takes its last value, as ``json.loads`` does.
    """
    decoder = json.JSONDecoder(
        parse_int=_bounded_int, parse_float=_finite_float, parse_constant=_no_constant
    )
    try:
        return _read_object(text, decoder.raw_decode, makers)
    except (_Implausible, *_READ_FAILURES):
        return None


def _read_object(
    text: str,
    scan: Callable[[str, int], tuple[Any, int]],
    makers: Mapping[str, Callable[[Any, int], Any]],
) -> tuple[dict[str, Any], dict[str, tuple[Any, ...]]] | None:
    document: dict[str, Any] = {}
    made: dict[str, tuple[Any, ...]] = {}
    at = _skip(text, 0)
    if text[at : at + 1] != "{" or text[_skip(text, at + 1)] != '"':
        return None  # an empty object, or no object: read whole
    at += 1
    while True:
        at = _skip(text, at)
        if text[at] != '"':
            return None
        key, at = scan(text, at)
        at = _skip(text, at)
        if text[at] != ":":
            return None
        at = _skip(text, at + 1)
        if key in makers and text[at] == "[":
            items, at = _read_array(text, at + 1, scan, makers[key])
            document[key], made[key] = [], items
        else:
            document[key], at = scan(text, at)
            made.pop(key, None)
        _must_encode(key, document[key])
        at = _skip(text, at)
        if text[at] == "}":
            break
        if text[at] != ",":
            return None
        at += 1
    return (document, made) if _skip(text, at + 1) == len(text) else None


def _read_array(
    text: str,
    at: int,
    scan: Callable[[str, int], tuple[Any, int]],
    make: Callable[[Any, int], Any],
) -> tuple[tuple[Any, ...], int]:
    """The array whose first element is at ``at`` (after its ``[``), each element made as it
    is read; and where the text goes on after the array. ``ValueError`` for anything else."""
    items: list[Any] = []
    at = _skip(text, at)
    if text[at] == "]":
        return (), at + 1
    while True:
        element, at = scan(text, _skip(text, at))
        _must_encode(element)
        items.append(make(element, len(items)))
        at = _skip(text, at)
        if text[at] == "]":
            return tuple(items), at + 1
        if text[at] != ",":
            raise ValueError("not an array")
        at += 1


def _skip(text: str, at: int) -> int:
    """Where the text goes on after the whitespace at ``at``."""
    found = _WHITESPACE.match(text, at)
    return found.end() if found else at


def _must_encode(*values: Any) -> None:
    """``UnicodeEncodeError`` when a value holds a lone surrogate (see ``parse_json_text``)."""
    for value in values:
        json.dumps(value, ensure_ascii=False).encode("utf-8")


def _parts(document: Any) -> Iterator[Any]:
    """The document's top-level values, each of its arrays' elements one by one; its keys as
    a list of their own."""
    if isinstance(document, dict):
        yield list(document)
        for value in document.values():
            yield from value if isinstance(value, list) else (value,)
    elif isinstance(document, list):
        yield from document
    else:
        yield document


class ReadsBytes(Protocol):
    """A binary stream: a file, a ``GzipFile``, a ``BytesIO``."""

    def read(self, size: int, /) -> bytes:
        """At most ``size`` bytes; empty at the end."""
        ...


def bounded_lines(
    stream: ReadsBytes,
    source: str,
    error: type[InputError],
    *,
    max_line_bytes: int,
    max_total_bytes: int,
    chunk_bytes: int = 64 * 1024,
) -> Iterator[tuple[int, bytes]]:
    """``(line number, line)`` for every line of ``stream``, without its newline.

    ``stream`` is read ``chunk_bytes`` at a time (a ``GzipFile`` then decompresses no more than
    that), so a line is refused with ``error`` as soon as it grows past ``max_line_bytes``,
    before it is held whole, and the stream as soon as it passes ``max_total_bytes``: a small
    compressed file can expand to gigabytes on one line.
    """
    pending = bytearray()
    number = total = 0
    while chunk := stream.read(chunk_bytes):
        total += len(chunk)
        if total > max_total_bytes:
            raise error(f"{source}: more than the {max_total_bytes:,} bytes it may hold")
        *complete, rest = chunk.split(b"\n")
        for piece in complete:
            pending += piece
            number += 1
            _check_line(pending, number, max_line_bytes, source, error)
            yield number, bytes(pending)
            pending.clear()
        pending += rest
        _check_line(pending, number + 1, max_line_bytes, source, error)
    if pending:
        yield number + 1, bytes(pending)


def _check_line(
    line: bytearray, number: int, max_line_bytes: int, source: str, error: type[InputError]
) -> None:
    if len(line) > max_line_bytes:
        raise error(
            f"{source}: line {number} is longer than the {max_line_bytes:,} bytes a line may have"
        )


def implausible_time(text: str) -> str | None:
    """What is wrong with ``text`` as a run's time: None when it is an ISO-8601 time from
    ``EARLIEST_RUN_TIME`` up to ``LATEST_RUN_TIME`` (naive times are UTC), or no time at all
    (readers show such text as it is); else one phrase saying why it is implausible."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if EARLIEST_RUN_TIME <= moment < LATEST_RUN_TIME:
        return None
    return (
        f"is {text!r:.40}, not a time from {EARLIEST_RUN_TIME.year} to {LATEST_RUN_TIME.year - 1}"
    )


def typed_value(
    obj: Mapping[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    *,
    optional: bool = False,
    expected: str | None = None,
) -> Any:
    """``obj[key]`` when it is a ``kind`` (or null, when ``optional``).

    ``KeyError`` when the key is missing; ``TypeError`` naming the key, what was expected
    (``expected``, else the type names) and what was found otherwise. ``true``/``false`` are
    never accepted where a number is: ``bool`` is an ``int`` in Python, not in the file.
    """
    value = obj[key]
    if value is None and optional:
        return None
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        wanted = expected or " or ".join(k.__name__ for k in kinds) + (
            " or null" if optional else ""
        )
        raise TypeError(f"{key!r} must be {wanted}, not {value!r:.60}")
    return value
