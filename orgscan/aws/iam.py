"""The least-privilege IAM policies orgscan needs, filled in for one organization.

The policies are JSON files shipped inside the package (``orgscan/iam_policies/``; the
repository's ``configs/iam/`` holds the same files for reading): one source of truth that
``orgscan iam-policy`` prints and the tests compare with every AWS call a scan makes.

- ``scan-role-policy.json``: what the scan role may do in every scanned account. The management
  account is scanned with the caller's own credentials, so the caller needs it too.
- ``scan-role-trust-policy.json``: who may assume the scan role (the management account).
- ``management-caller-policy.json``: what the identity running ``orgscan scan`` needs on top:
  reading the organization and assuming the scan role.
- ``remediation-policy.json``: what ``orgscan remediate --apply`` calls, in the accounts that
  must change something.

Placeholders (``<MANAGEMENT_ACCOUNT_ID>``, ``<EXTERNAL_ID>``, ``<SCAN_ROLE_NAME>``) are left in
the files on purpose: IAM rejects them, so an unfilled policy cannot be deployed by mistake.
ARNs start ``arn:<PARTITION>:``, always filled (``aws`` unless told otherwise): an ``arn:aws:``
policy names nothing in AWS China, GovCloud or the European Sovereign Cloud.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import botocore.session
from botocore.exceptions import BotoCoreError

from orgscan.errors import InputError
from orgscan.identifiers import ACCOUNT_ID_RE, EXTERNAL_ID_RE, PARTITION_RE, ROLE_NAME_RE

POLICY_PACKAGE_FOLDER = "iam_policies"
MANAGEMENT_ACCOUNT_ID = "<MANAGEMENT_ACCOUNT_ID>"
EXTERNAL_ID = "<EXTERNAL_ID>"
SCAN_ROLE_NAME = "<SCAN_ROLE_NAME>"
PARTITION = "<PARTITION>"
DEFAULT_PARTITION = "aws"


@dataclass(frozen=True)
class PolicyFile:
    """One policy file and what it is for."""

    file_name: str
    purpose: str

    @property
    def key(self) -> str:
        """The name of the policy in ``--json`` output (``scan_role_policy``)."""
        return self.file_name.removesuffix(".json").replace("-", "_")


SCAN_ROLE = PolicyFile(
    "scan-role-policy.json",
    "permissions of the scan role in every account; attach it to the "
    "identity running orgscan too (its own account is scanned with its own "
    "credentials)",
)
TRUST = PolicyFile(
    "scan-role-trust-policy.json", "trust policy of the scan role: who may assume it"
)
CALLER = PolicyFile(
    "management-caller-policy.json",
    "extra permissions of the identity running orgscan in the management "
    "account: read the organization, assume the scan role",
)
REMEDIATION = PolicyFile(
    "remediation-policy.json",
    "permissions `orgscan remediate --apply` needs in the accounts it "
    "changes (with the scan role's, or on a role of its own)",
)
SCAN_POLICIES = (SCAN_ROLE, TRUST, CALLER)
ALL_POLICIES = (*SCAN_POLICIES, REMEDIATION)


@dataclass(frozen=True)
class Placeholders:
    """Values to put into the policies; None leaves the placeholder in place."""

    management_account_id: str | None = None
    external_id: str | None = None
    role_name: str | None = None
    partition: str = DEFAULT_PARTITION

    def __post_init__(self) -> None:
        # The same checks as the scan's options: a policy must fit the scan that uses it.
        checks = (
            (
                "--management-account-id",
                self.management_account_id,
                ACCOUNT_ID_RE,
                "a 12-digit AWS account id",
            ),
            (
                "--external-id",
                self.external_id,
                EXTERNAL_ID_RE,
                "2-1224 of letters, digits, +=,.@:/_-",
            ),
            (
                "--role-name",
                self.role_name,
                ROLE_NAME_RE,
                "an IAM role name (1-64 of letters, digits, +=,.@_-/)",
            ),
            ("--partition", self.partition, PARTITION_RE, "an AWS partition (aws, aws-cn, ...)"),
        )
        for option, value, pattern, expected in checks:
            if value is not None and not pattern.match(value):
                raise InputError(f"{option}: expected {expected}, not {value!r:.60}")


def configured_partition() -> str:
    """The partition of the caller's configured region (``AWS_REGION``, the profile), from
    botocore's endpoint data: no call to AWS, so policies can be printed without credentials.
    ``aws`` when no region is configured or botocore does not know it."""
    session = botocore.session.get_session()
    region = session.get_config_variable("region")
    if not region:
        return DEFAULT_PARTITION
    try:
        return str(session.get_partition_for_region(region))
    except (BotoCoreError, ValueError):
        return DEFAULT_PARTITION


def policy_text(policy: PolicyFile) -> str:
    """The file's content exactly as shipped."""
    folder = resources.files("orgscan").joinpath(POLICY_PACKAGE_FOLDER)
    return folder.joinpath(policy.file_name).read_text(encoding="utf-8")


def policy_document(policy: PolicyFile) -> dict[str, Any]:
    """The file's content as a policy document."""
    document: dict[str, Any] = json.loads(policy_text(policy))
    return document


def policy_actions(document: Mapping[str, Any]) -> frozenset[str]:
    """Every action an ``Allow`` statement of ``document`` names."""
    actions: set[str] = set()
    for statement in document.get("Statement", []):
        if statement.get("Effect") != "Allow" or "Action" not in statement:
            continue
        action = statement["Action"]
        actions.update([action] if isinstance(action, str) else action)
    return frozenset(actions)


def filled(policy: PolicyFile, values: Placeholders) -> dict[str, Any]:
    """The policy with the given values in place of its placeholders (the partition always).

    Once the management account is given, the policy is meant for deployment: without an
    external id the trust policy's ``sts:ExternalId`` condition is dropped rather than left
    with a placeholder AWS would reject.
    """
    document = policy_document(policy)
    replacements = {
        MANAGEMENT_ACCOUNT_ID: values.management_account_id,
        EXTERNAL_ID: values.external_id,
        SCAN_ROLE_NAME: values.role_name,
        PARTITION: values.partition,
    }
    if values.management_account_id is not None and values.external_id is None:
        document = _without_external_id(document)
    result: dict[str, Any] = _replaced(
        document, {key: value for key, value in replacements.items() if value is not None}
    )
    return result


def _without_external_id(document: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(document)
    for statement in document.get("Statement", []):
        if EXTERNAL_ID in json.dumps(statement.get("Condition", {})):
            del statement["Condition"]
    return document


def _replaced(value: Any, replacements: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        for placeholder, text in replacements.items():
            value = value.replace(placeholder, text)
        return value
    if isinstance(value, list):
        return [_replaced(item, replacements) for item in value]
    if isinstance(value, dict):
        return {key: _replaced(item, replacements) for key, item in value.items()}
    return value


#: The option of ``orgscan iam-policy`` that fills each placeholder.
FILLED_BY = {
    MANAGEMENT_ACCOUNT_ID: "--management-account-id",
    EXTERNAL_ID: "--external-id",
    SCAN_ROLE_NAME: "--role-name",
}


def unfilled(documents: Iterable[Mapping[str, Any]]) -> list[str]:
    """The placeholders still in ``documents``, in ``FILLED_BY`` order, for a reminder."""
    text = "".join(json.dumps(document) for document in documents)
    return [name for name in FILLED_BY if name in text]
