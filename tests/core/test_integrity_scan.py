"""A scan reads each integrity fact once, with its owner's credentials, in its region: a key
by the account its ARN names, in the key's region; a bucket's lifecycle and public access by
the bucket's owner; an account's Block Public Access by that account."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from orgscan.aws.sessions import SessionFactory
from orgscan.config import build_settings
from orgscan.model import IntegrityCode, ScanResult, Status
from orgscan.scan import scan_organization
from orgscan.simulate.fakeaws_wire import KEY_PREFIX
from tests.fake_org import fake_demo

#: operation -> (signing account, signing region) -> calls
Calls = dict[str, Counter[tuple[str, str]]]
_SIGNED = re.compile(r"Credential=([^/]+)/\d+/([^/]+)/")
_INTEGRITY = {
    "DescribeKey",
    "GetKeyRotationStatus",
    "GetPublicAccessBlock",
    "GetBucketLifecycleConfiguration",
    "GetBucketPolicyStatus",
}


def _scan() -> tuple[ScanResult, Calls, dict[str, str]]:
    calls: Calls = {}

    def record(request: Any, event_name: str, **_: Any) -> None:
        service, operation = event_name.split(".")[1:3]
        if operation not in _INTEGRITY:
            return
        auth = request.headers.get("Authorization") or b""
        found = _SIGNED.search(auth.decode() if isinstance(auth, bytes) else str(auth))
        assert found is not None
        key, region = found.groups()
        signer = key[len(KEY_PREFIX) :] if key.startswith(KEY_PREFIX) else "caller"
        calls.setdefault(f"{service}.{operation}", Counter())[(signer, region)] += 1

    with fake_demo() as org:
        settings = build_settings(None, {"regions": list(org.regions), "workers": 4})
        sessions = SessionFactory(
            configure_session=lambda session: session.register(
                "before-send",
                record,  # type: ignore[arg-type]  # botocore passes keywords
                unique_id="integrity-calls",
                unique_id_uses_count=False,
            )
        )
        result = scan_organization(settings, sessions)
        return result, calls, dict(org.accounts)


def test_each_fact_is_read_once_by_its_owner_in_its_region() -> None:
    result, calls, ids = _scan()
    keys = {f.kms_key_arn: f for f in result.findings if f.kms_key_arn}
    assert len(keys) == 2
    expected_keys = Counter((arn.split(":")[4], arn.split(":")[3]) for arn in keys)
    assert calls["kms.DescribeKey"] == expected_keys
    assert calls["kms.GetKeyRotationStatus"] == expected_keys
    read = {f.bucket_name: f for f in result.findings if f.mfa_delete is not None}
    owners = Counter((f.bucket_account_id or "", f.bucket_region or "") for f in read.values())
    assert calls["s3.GetBucketLifecycleConfiguration"] == owners
    assert calls["s3.GetBucketPolicyStatus"] == owners
    assert calls["s3.GetPublicAccessBlock"] == owners
    # The account-level block: once per account that owns a trail bucket, as itself.
    assert sorted(signer for signer, _ in calls["s3-control.GetPublicAccessBlock"]) == sorted(
        {f.bucket_account_id for f in read.values() if f.bucket_account_id}
    )
    assert max(calls["s3-control.GetPublicAccessBlock"].values()) == 1
    # What the demo shows: a disabled key fails, a rotating one passes.
    analytics = keys[next(arn for arn in keys if ids["analytics-prod"] in arn)]
    assert analytics.kms_key_state == "Disabled"
    assert [c.status for c in analytics.integrity if c.check is IntegrityCode.KMS_KEY] == [
        Status.FAIL
    ]
