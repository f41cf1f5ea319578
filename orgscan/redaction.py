"""Keep credentials out of text that came from AWS before it is stored, logged or shown.

Some AWS error messages echo parts of the request: a signature mismatch answers with the
canonical request AWS expected, signed headers included, so the caller's session token comes
back as text. Every AWS error message orgscan keeps passes through ``redact`` first.
"""

from __future__ import annotations

import re

_CANONICAL_REQUEST = re.compile(
    r"\s*The Canonical String for this request should have been.*", re.DOTALL
)
_SECURITY_TOKEN = re.compile(r"(?i)(x-amz-security-token\s*[:=]\s*)[^\s&'\"<]+")
_ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")


def redact(text: str) -> str:
    """``text`` without the request AWS echoed, session tokens or access key ids."""
    text = _CANONICAL_REQUEST.sub(
        " (the canonical request AWS echoed is left out: it holds credentials)", text
    )
    text = _SECURITY_TOKEN.sub(r"\1[redacted]", text)
    return _ACCESS_KEY_ID.sub("[access key id]", text)
