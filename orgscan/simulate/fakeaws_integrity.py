"""The in-process responder's answers to the integrity reads (contract 5.2): a bucket's
lifecycle, policy status and Block Public Access, an account's Block Public Access (s3control),
a trail's KMS key. Each answers as moto does for the same description."""

from __future__ import annotations

import json
from typing import Any

from botocore.awsrequest import AWSResponse

from orgscan.facts import BLOCK_SETTINGS
from orgscan.simulate.build_integrity import LOG_PREFIX
from orgscan.simulate.fakeaws_index import Answer, FakeIndex
from orgscan.simulate.fakeaws_resources import fake_bucket_policy, readable_bucket
from orgscan.simulate.fakeaws_wire import body_text, json_error, json_reply, response, s3_error

_S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
_S3CONTROL_NS = "http://awss3control.amazonaws.com/doc/2018-08-20/"


def _xml(request: Any, body: str) -> AWSResponse:
    return response(request, 200, body.encode(), "application/xml")


def _block_xml(namespace: str) -> str:
    settings = "".join(f"<{name}>true</{name}>" for name in sorted(BLOCK_SETTINGS))
    tag = "PublicAccessBlockConfiguration"
    return f'<{tag} xmlns="{namespace}">{settings}</{tag}>'


def _no_block(request: Any) -> AWSResponse:
    return s3_error(
        request,
        404,
        "NoSuchPublicAccessBlockConfiguration",
        "The public access block configuration was not found",
    )


def _get_lifecycle(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    bucket, error = readable_bucket(index, request, caller)
    if error is not None:
        return error
    assert bucket is not None
    days = bucket.spec.lifecycle_days
    if days is None:
        return s3_error(
            request,
            404,
            "NoSuchLifecycleConfiguration",
            "The lifecycle configuration does not exist",
        )
    rule = (
        f"<Rule><ID>expire-logs</ID><Filter><Prefix>{LOG_PREFIX}</Prefix></Filter>"
        f"<Status>Enabled</Status><Expiration><Days>{days}</Days></Expiration></Rule>"
    )
    return _xml(
        request, f'<LifecycleConfiguration xmlns="{_S3_NS}">{rule}</LifecycleConfiguration>'
    )


def _get_policy_status(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    bucket, error = readable_bucket(index, request, caller)
    if error is not None:
        return error
    assert bucket is not None
    if fake_bucket_policy(index, bucket.spec.name) is None:
        return s3_error(request, 404, "NoSuchBucketPolicy", "The bucket policy does not exist")
    public = "true" if bucket.spec.public else "false"  # only the public one grants anyone
    return _xml(
        request, f'<PolicyStatus xmlns="{_S3_NS}"><IsPublic>{public}</IsPublic></PolicyStatus>'
    )


def _get_bucket_block(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    bucket, error = readable_bucket(index, request, caller)
    if error is not None:
        return error
    assert bucket is not None
    if not bucket.spec.block_public_access:
        return _no_block(request)
    return _xml(request, _block_xml(_S3_NS))


def _get_account_block(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    account = index.accounts.get(caller)
    if account is None or not account.block_public_access:
        return _no_block(request)
    return _xml(request, _block_xml(_S3CONTROL_NS))  # the configuration is the payload


def _key(index: FakeIndex, request: Any, caller: str) -> tuple[str, AWSResponse | None]:
    """The key a request names, when the caller owns it; else moto's answer (it looks keys
    up in the caller's own account only)."""
    arn = str(json.loads(body_text(request.body)).get("KeyId", ""))
    if arn not in index.keys or arn.split(":")[4] != caller:
        return arn, json_error(request, "NotFoundException", f"Key '{arn}' does not exist")
    return arn, None


def _describe_key(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    arn, error = _key(index, request, caller)
    if error is not None:
        return error
    spec = index.keys[arn]
    metadata = {
        "AWSAccountId": caller,
        "KeyId": arn.rsplit("/", 1)[1],
        "Arn": arn,
        "Description": spec.name,
        "Enabled": spec.state == "Enabled",
        "KeyState": spec.state,
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyManager": "CUSTOMER",
        "Origin": "AWS_KMS",
    }
    return json_reply(request, {"KeyMetadata": metadata})


def _get_key_rotation(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    arn, error = _key(index, request, caller)
    if error is not None:
        return error
    return json_reply(request, {"KeyRotationEnabled": index.keys[arn].rotation})


def _get_key_policy(index: FakeIndex, request: Any, caller: str) -> AWSResponse:
    _, error = _key(index, request, caller)
    if error is not None:
        return error
    statement = {
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{caller}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    policy = {"Version": "2012-10-17", "Id": "key-default-1", "Statement": [statement]}
    return json_reply(request, {"Policy": json.dumps(policy), "PolicyName": "default"})


#: Operation -> answer, for the operations of this module.
INTEGRITY_ANSWERS: dict[str, Answer] = {
    "s3.GetBucketLifecycleConfiguration": _get_lifecycle,
    "s3.GetBucketPolicyStatus": _get_policy_status,
    "s3.GetPublicAccessBlock": _get_bucket_block,
    "s3-control.GetPublicAccessBlock": _get_account_block,
    "kms.DescribeKey": _describe_key,
    "kms.GetKeyRotationStatus": _get_key_rotation,
    "kms.GetKeyPolicy": _get_key_policy,  # moto's default key policy (tamper paths)
}
