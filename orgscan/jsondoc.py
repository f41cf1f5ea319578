"""Reading the JSON files of a run folder (findings.json, plan.json, diff.json) safely, and
the one type check their loaders (and the exceptions file's) share."""

from __future__ import annotations

import errno
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from orgscan.errors import InputError


def read_regular_file(path: Path) -> str:
    """The UTF-8 text of ``path``. ``OSError`` unless it is a regular file: a FIFO would wait
    for a writer forever and a device such as /dev/zero never ends, so a file planted in a run
    folder could hang a scheduled job."""
    if path.exists() and not path.is_file():
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    return path.read_text(encoding="utf-8")


def parse_json_text(text: str, source: str, error: type[InputError]) -> Any:
    """The document in ``text``; ``error`` (an ``InputError``) for anything that is not JSON
    text: a syntax error, nesting too deep to parse, or a ``\\ud800`` escape (valid JSON, but no
    character, so no report or script could be written from it)."""
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise error(f"{source}: not valid JSON ({exc})") from None
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise error(f"{source}: holds a \\u escape that is not a character "
                    "(a lone surrogate)") from None
    except RecursionError:
        raise error(f"{source}: nested too deeply") from None
    return document


def typed_value(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], *,
                optional: bool = False, expected: str | None = None) -> Any:
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
        wanted = expected or " or ".join(k.__name__ for k in kinds) + (" or null" if optional
                                                                        else "")
        raise TypeError(f"{key!r} must be {wanted}, not {value!r:.60}")
    return value
