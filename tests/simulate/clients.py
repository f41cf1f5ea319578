"""Clients acting in an account of the simulated organization."""

from __future__ import annotations

from typing import Any

import boto3


def client_as(account_id: str, service: str, region: str = "us-east-1") -> Any:
    """A client acting in ``account_id`` (through the organization's access role)."""
    sts = boto3.client("sts", region_name="us-east-1")
    issued = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
        RoleSessionName="test",
    )["Credentials"]
    return boto3.client(  # type: ignore[call-overload]  # the stubs know only literal names
        service,
        region_name=region,
        aws_access_key_id=issued["AccessKeyId"],
        aws_secret_access_key=issued["SecretAccessKey"],
        aws_session_token=issued["SessionToken"],
    )
