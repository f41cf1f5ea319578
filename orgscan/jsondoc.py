"""Reading the JSON files of a run folder (findings.json, plan.json, diff.json) safely."""

from __future__ import annotations

import json
from typing import Any

from orgscan.errors import InputError


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
