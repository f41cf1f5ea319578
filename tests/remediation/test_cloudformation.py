"""The scan role as a CloudFormation template for a service-managed StackSet: cfn-lint clean,
the scan role policy as shipped, trust in the management account and a delegated admin."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

cfnlint_api = pytest.importorskip("cfnlint.api")
cfnlint_decode = pytest.importorskip("cfnlint.decode")

from orgscan.aws.iam import SCAN_ROLE, policy_document  # noqa: E402

TEMPLATE = (
    Path(__file__).resolve().parents[2]
    / "configs"
    / "cloudformation"
    / "orgscan-scan-role-stackset.yaml"
)


def _template() -> dict[str, Any]:
    template, errors = cfnlint_decode.decode(str(TEMPLATE))
    assert not errors
    assert template is not None
    return dict(template)


def test_cfn_lint_passes():
    matches = cfnlint_api.lint_file(TEMPLATE)
    assert [str(match) for match in matches] == []


def test_the_role_carries_the_scan_role_policy_as_shipped():
    role = _template()["Resources"]["ScanRole"]["Properties"]
    [policy] = role["Policies"]
    # Equal as JSON: a drift between the template and scan-role-policy.json fails here.
    assert json.loads(json.dumps(policy["PolicyDocument"])) == policy_document(SCAN_ROLE)


def test_trust_names_the_management_account_and_an_optional_delegated_administrator():
    template = _template()
    [statement] = template["Resources"]["ScanRole"]["Properties"]["AssumeRolePolicyDocument"][
        "Statement"
    ]
    assert statement["Action"] == "sts:AssumeRole"
    condition, both, management_only = statement["Principal"]["AWS"]["Fn::If"]
    assert condition == "HasDelegatedAdministrator"
    assert management_only == {"Fn::Sub": "arn:${AWS::Partition}:iam::${ManagementAccountId}:root"}
    assert both == [
        management_only,
        {"Fn::Sub": "arn:${AWS::Partition}:iam::${DelegatedAdministratorAccountId}:root"},
    ]
    assert "StackSets never deploy into the management account" in template["Description"]
    assert set(template["Parameters"]) == {
        "ManagementAccountId",
        "DelegatedAdministratorAccountId",
        "RoleName",
        "ExternalId",
    }
