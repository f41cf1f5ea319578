"""The tamper-path reads (contract 5.3) answered from the recorded evidence.

``verify --recompute`` hands ``ReplayClients`` to the same ``tamper.step`` the scan ran, so the
weakener rows and statuses are derived again by the same code from the same answers. A call
the scan did not make fails as a refusal would: the trail is then ERROR, as it would have been.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from orgscan.evidence.evidence_file import RecordedEvidence, request_key
from orgscan.evidence.replay import replayed

#: Paginated operations: the method name, the operation, and the answer's key that says
#: another page follows (the recorder numbers pages in ``request.page``).
_PAGINATED = {
    "get_account_authorization_details": ("GetAccountAuthorizationDetails", "Marker"),
    "list_policies_for_target": ("ListPoliciesForTarget", "NextToken"),
}


class ReplayClients:
    """Gives, for any account, a client answering the tamper-path reads it made in the scan."""

    def __init__(self, evidence: RecordedEvidence) -> None:
        self._evidence = evidence

    def client(self, account_id: str, service: str, region: str) -> ReplayTamperClient:
        """The recorded answers of ``account_id`` (any service, any region: the request names
        the bucket, key or target)."""
        del service, region  # the operation and its parameters identify the call
        return ReplayTamperClient(self._evidence, account_id)


class ReplayTamperClient:
    """Answers one account's tamper-path reads with what AWS answered it during the scan."""

    def __init__(self, evidence: RecordedEvidence, account_id: str) -> None:
        self._evidence = evidence
        self._account = account_id

    def answer(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        """The recorded answer to ``operation`` with exactly ``request``; its error raised."""
        key = (self._account, operation, request_key(request))
        return replayed(self._evidence.tamper_calls.get(key), operation)

    def get_bucket_policy(self, **request: Any) -> dict[str, Any]:
        """The recorded GetBucketPolicy answer."""
        return self.answer("GetBucketPolicy", request)

    def get_key_policy(self, **request: Any) -> dict[str, Any]:
        """The recorded GetKeyPolicy answer."""
        return self.answer("GetKeyPolicy", request)

    def list_parents(self, **request: Any) -> dict[str, Any]:
        """The recorded ListParents answer."""
        return self.answer("ListParents", request)

    def describe_policy(self, **request: Any) -> dict[str, Any]:
        """The recorded DescribePolicy answer."""
        return self.answer("DescribePolicy", request)

    def describe_organization(self, **request: Any) -> dict[str, Any]:
        """The recorded DescribeOrganization answer (the tamper step's own read)."""
        return self.answer("DescribeOrganization", request)

    def get_paginator(self, name: str) -> _ReplayPaginator:
        """A paginator replaying the recorded pages of ``name``."""
        operation, more = _PAGINATED[name]
        return _ReplayPaginator(self, operation, more)


class _ReplayPaginator:
    def __init__(self, client: ReplayTamperClient, operation: str, more: str) -> None:
        self._client = client
        self._operation = operation
        self._more = more

    def paginate(self, **request: Any) -> Iterator[dict[str, Any]]:
        """Page 0, 1, ... as recorded; a page an earlier one announces must be recorded too
        (a file cut short must not shorten the list of principals)."""
        number = 0
        while True:
            page = self._client.answer(self._operation, {**request, "page": number})
            yield page
            if not page.get(self._more):
                return
            number += 1
