"""How a refusal must look: exit 2 (bad input; 4 for a write failure) and one line on stderr,
or one error raised."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def assert_clean_refusal(result: Any, *words: str, code: int = 2) -> None:
    """Exit ``code`` (2, bad input) with exactly one line on stderr that names the problem."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("orgscan: error: ")
    for word in words:
        assert word in lines[0]
    assert "Traceback" not in result.output


def refusal(expected: type[Exception], function: Callable[..., Any], *args: Any) -> str | None:
    """The message of the ``expected`` error ``function(*args)`` raises (None: no error).
    Any other exception propagates and fails the test."""
    try:
        function(*args)
    except expected as exc:
        return str(exc)
    return None
