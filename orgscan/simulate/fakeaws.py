"""A fast, in-process stand-in for AWS that answers from an organization's description.

moto spends milliseconds of CPU on every call (its first EC2 call in an account takes most of a
second: it builds default VPCs in every region), and that time would be measured as orgscan's.
``FakeAws`` answers instead, from an ``OrgSpec`` (``orgscan.simulate``'s description of an
organization), with the bytes AWS would send: XML for STS, EC2 and S3, JSON for CloudTrail and
Organizations. It answers on botocore's ``before-send`` event, i.e. after the request has been
built, its endpoint resolved and signed, and before any socket: everything botocore does for a
real call still happens (serialisation, signing, response parsing, retries), only the network
is skipped. Nothing can leak to AWS: an operation it does not know raises.

It behaves as AWS does where that matters to a scan: resources are kept apart per account by the
credentials a request is signed with (``AssumeRole`` hands out keys naming the account), S3
reads of another account's bucket are denied, ``DescribeTrails`` lists shadow trails (multi-region
trails homed elsewhere, and the organization trail in every member account), ``ListBuckets``
gives each bucket's region, ``DescribeTrails`` in a region an SCP denies the account (as
``orgscan.simulate.denials`` does in moto) is an explicit-deny AccessDenied, and Organizations
pages its lists 20 at a time. Because it needs no moto state, an organization of thousands of
accounts is ready in milliseconds.

The pieces: ``fakeaws_index`` (the description indexed by id, name and ARN), ``fakeaws_accounts``
(STS, EC2's regions, Organizations), ``fakeaws_resources`` (CloudTrail, S3),
``fakeaws_policies`` (the tamper-path reads: IAM, bucket policies, SCPs and RCPs) and
``fakeaws_wire`` (the bytes of a response). This module holds them together and answers on
the event.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

from botocore.awsrequest import AWSResponse

from orgscan.model import ReasonCode
from orgscan.simulate import MOTO_DEFAULT_ACCOUNT_ID
from orgscan.simulate.build import _describe
from orgscan.simulate.fakeaws_accounts import ACCOUNT_ANSWERS
from orgscan.simulate.fakeaws_index import ORGANIZATION_ID, index_org
from orgscan.simulate.fakeaws_integrity import INTEGRITY_ANSWERS
from orgscan.simulate.fakeaws_policies import POLICY_ANSWERS
from orgscan.simulate.fakeaws_resources import RESOURCE_ANSWERS
from orgscan.simulate.fakeaws_wire import KEY_PREFIX
from orgscan.simulate.spec import (
    BucketSpec,
    OrgSpec,
    SimulatedOrg,
    TrailSpec,
    bucket_reason,
    skip_reason,
)

_CREDENTIAL_RE = re.compile(r"Credential=([^/]+)/")


class FakeAws:
    """Answers every AWS call a scan (or a naive scan) makes, for the organization ``spec``.

    ``register(botocore_session)`` installs it on a session; ``ids`` maps account names to ids;
    ``expected`` holds the reason code a full scan must give each trail (by ARN), derived from
    the description alone; ``responder_seconds`` is the CPU time spent answering, so that a
    measurement can tell it apart from the scan's own.
    """

    def __init__(self, spec: OrgSpec, *, management_id: str = MOTO_DEFAULT_ACCOUNT_ID) -> None:
        self.spec = spec
        self.management_id = management_id
        self._index = index_org(spec, management_id)
        self.ids = self._index.ids
        self.expected = self._expected()
        self._lock = threading.Lock()
        self.responder_seconds = 0.0
        self._answers = ACCOUNT_ANSWERS | RESOURCE_ANSWERS | POLICY_ANSWERS | INTEGRITY_ANSWERS

    def _expected(self) -> dict[str, tuple[TrailSpec, ReasonCode]]:
        """Trail ARN → (trail, reason code) for every trail a full scan must report."""
        owners = {
            bucket.name: (account, bucket)
            for account in self.spec.all_accounts
            for bucket in account.buckets
        }
        expected: dict[str, tuple[TrailSpec, ReasonCode]] = {}
        for account in self.spec.all_accounts:
            for trail in account.trails:
                if skip_reason(account, trail, self.spec.regions) is not None:
                    continue
                owner, bucket = owners.get(trail.bucket, (None, None))
                readable = owner is not None and owner.in_organization and not owner.closed
                arn = (
                    f"arn:aws:cloudtrail:{trail.home_region}:{self.ids[account.name]}:trail/"
                    f"{trail.name}"
                )
                expected[arn] = (trail, bucket_reason(bucket, readable, self.spec.policy))
        return expected

    def bucket(self, name: str) -> BucketSpec | None:
        """The existing bucket called ``name``, or None (never created, or deleted)."""
        found = self._index.buckets.get(name)
        return found.spec if found else None

    def simulated_org(self) -> SimulatedOrg:
        """The organization as a scan through this responder must see it: ids, structure and
        expected findings, as ``materialise`` describes one it built in moto."""
        return _describe(self.spec, ORGANIZATION_ID, self.ids, self.spec.management.name)

    def register(self, session: Any) -> None:
        """Answer every request of clients made from the botocore ``session``."""
        session.register("before-send", self._respond)

    # ------------------------------------------------------------------ dispatch

    def _respond(self, request: Any, event_name: str, **_: Any) -> AWSResponse:
        started = time.thread_time()
        try:
            operation = event_name.split(".", 1)[1]
            answer = self._answers.get(operation)
            if answer is None:
                raise NotImplementedError(f"the fake AWS does not answer {operation}")
            return answer(self._index, request, self._caller(request))
        finally:
            spent = time.thread_time() - started
            with self._lock:
                self.responder_seconds += spent

    def _caller(self, request: Any) -> str:
        auth = request.headers.get("Authorization") or b""
        text = auth.decode() if isinstance(auth, bytes) else str(auth)
        match = _CREDENTIAL_RE.search(text)
        key = match.group(1) if match else ""
        return key[len(KEY_PREFIX) :] if key.startswith(KEY_PREFIX) else self.management_id
