"""``--evidence-bucket``: where a sealed run folder is copied, ``s3://BUCKET[/PREFIX]``.

The setting's value and its parsing live with the configuration that reads them; the copying
itself is ``orgscan.evidence.bucket``'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orgscan.errors import InputError

# S3 bucket naming rules: 3-63 of lower-case letters, digits, dots and hyphens.
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")


@dataclass(frozen=True)
class EvidenceBucket:
    """Where run folders are copied: ``s3://bucket/prefix``; each run goes under its id."""

    bucket: str
    prefix: str = ""

    def key(self, run_id: str, relative: str) -> str:
        """The object key of one file of a run."""
        return "/".join(part for part in (self.prefix, run_id, relative) if part)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"


def parse_evidence_bucket(value: str) -> EvidenceBucket:
    """``s3://BUCKET[/PREFIX]`` as an ``EvidenceBucket``; ``InputError`` for anything else."""
    match = re.match(r"^s3://([^/]+)/?(.*)\Z", value.strip())
    if match is None or not _BUCKET_RE.match(match.group(1)):
        raise InputError(f"{value!r:.80} is not s3://BUCKET/PREFIX with a valid bucket name")
    prefix = match.group(2).strip("/")
    if any(part in ("", ".", "..") for part in prefix.split("/")) and prefix:
        raise InputError(f"{value!r:.80}: the prefix has an empty, . or .. part")
    return EvidenceBucket(bucket=match.group(1), prefix=prefix)
