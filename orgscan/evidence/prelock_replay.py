"""The pre-lock count's reads (contract 5.4) answered from the recorded evidence.

``verify --recompute`` hands ``PrelockReplay`` to the same ``prelock.step`` the scan ran, so
each PASS bucket's count is derived again by the same code from the same answers. A call the
scan did not make fails as an AWS error would: the count then differs, and the run with it.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from orgscan.evidence.evidence_file import RecordedEvidence, request_key
from orgscan.evidence.replay import replayed


class PrelockReplay:
    """Gives, for any account, a client answering the pre-lock reads it made in the scan."""

    def __init__(self, evidence: RecordedEvidence) -> None:
        self._evidence = evidence

    def client(self, account_id: str, service: str, region: str) -> ReplayObjects:
        """The recorded S3 answers of ``account_id`` (the request names the bucket)."""
        del service, region  # the operation and its parameters identify the call
        return ReplayObjects(self._evidence, account_id)


class ReplayObjects:
    """Answers one account's inventory and sample reads with the recorded calls made with
    exactly these parameters."""

    def __init__(self, evidence: RecordedEvidence, account_id: str) -> None:
        self._calls = evidence.object_calls
        self._account = account_id

    def answer(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        """The recorded answer to ``operation`` with exactly ``request``; its error raised."""
        return replayed(
            self._calls.get((self._account, operation, request_key(request))), operation
        )

    def list_bucket_inventory_configurations(self, **request: Any) -> dict[str, Any]:
        """The recorded ListBucketInventoryConfigurations answer."""
        return self.answer("ListBucketInventoryConfigurations", request)

    def list_objects_v2(self, **request: Any) -> dict[str, Any]:
        """The recorded ListObjectsV2 answer (an inventory report's dated folders)."""
        return self.answer("ListObjectsV2", request)

    def list_object_versions(self, **request: Any) -> dict[str, Any]:
        """The recorded ListObjectVersions answer."""
        return self.answer("ListObjectVersions", request)

    def head_object(self, **request: Any) -> dict[str, Any]:
        """The recorded HeadObject answer."""
        return self.answer("HeadObject", request)

    def get_object(self, **request: Any) -> dict[str, Any]:
        """The recorded GetObject answer, its body as the bytes the recorder kept (base64)."""
        reply = self.answer("GetObject", request)
        body = reply.get("Body")
        try:
            data = base64.b64decode(body, validate=True) if isinstance(body, str) else b""
        except (ValueError, binascii.Error):
            data = b""
        return {**reply, "Body": data}
