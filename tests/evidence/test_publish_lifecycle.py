"""``orgscan publish``: what is gone since the last publish is archived; ``--per-account``
imports each result into its owner's account (moto)."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from orgscan.evidence.publish import (
    PUBLISHED_FILE,
    archived_findings,
    importer_key,
    last_published,
    record_published,
)
from orgscan.findings import load_run
from orgscan.wording import plural
from tests.evidence.cli import run_cli
from tests.evidence.test_recompute import read_findings, reseal

CALLER = "123456789012"
EARLIER = "20261201T000000Z"
KEY = importer_key("aws", CALLER, "us-east-1")


@pytest.fixture
def security_hub(aws_env: None) -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("securityhub", region_name="us-east-1")


def stored(client: Any) -> dict[str, dict[str, Any]]:
    pages = client.get_paginator("get_findings").paginate()
    return {finding["Id"]: finding for page in pages for finding in page["Findings"]}


def earlier_run(demo_run: Path) -> Path:
    """A sealed run before ``demo_run`` with one more trail (scanned again, gone now), one
    more account (gone from the organization) and one trail of a region the new run did not
    scan (not assessed: not gone)."""
    folder = demo_run.parent / EARLIER
    shutil.copytree(demo_run, folder)
    document = read_findings(folder)
    base = document["findings"][0]
    retired = copy.deepcopy(base)
    retired.update(trail_arn=base["trail_arn"].rsplit("/", 1)[0] + "/retired")
    retired["trail_name"] = "retired"
    unseen = copy.deepcopy(base)
    unseen.update(
        trail_arn=f"arn:aws:cloudtrail:ap-southeast-2:{base['account_id']}:trail/far",
        trail_name="far",
        home_region="ap-southeast-2",
        is_multi_region=False,
    )
    gone_account = copy.deepcopy(next(a for a in document["accounts"] if a["verdict"]))
    gone_account.update(account_id="999999999999", name="closed-later")
    document["findings"] += [retired, unseen]
    document["accounts"].append(gone_account)
    document["run"]["run_id"] = EARLIER
    reseal(folder, document)
    return folder


def test_what_is_gone_since_the_last_publish_is_archived(security_hub: Any, demo_run: Path) -> None:
    earlier = earlier_run(demo_run)
    record_published(demo_run.parent, KEY, EARLIER)
    assert last_published(demo_run.parent, KEY) == EARLIER
    base = read_findings(earlier)["findings"][0]
    retired = f"orgscan/cloudtrail-bucket-object-lock/{base['trail_arn'].rsplit('/', 1)[0]}/retired"
    account = "orgscan/account-cloudtrail-protection/999999999999"
    expected = {retired, account}
    assert {f["Id"] for f in archived_findings(load_run(earlier), load_run(demo_run))} == expected

    code, out, err = run_cli("publish", str(demo_run), "--security-hub")
    assert code == 0, err
    current = len(json.loads((demo_run / "findings-asff.json").read_text())["Findings"])
    assert out.splitlines()[0].startswith(
        f"imported {current + 2} of {current + 2} findings into Security Hub"
    )
    assert out.splitlines()[1] == f"2 of them archived: gone since {EARLIER}"
    findings = stored(security_hub)
    states = {finding_id: f["RecordState"] for finding_id, f in findings.items()}
    assert {i for i, state in states.items() if state == "ARCHIVED"} == expected
    assert sum(state == "ACTIVE" for state in states.values()) == current
    assert not any(i.endswith("/far") for i in states)  # not scanned again: not gone
    # The record now names the run just published; the run folders are untouched.
    assert last_published(demo_run.parent, KEY) == demo_run.name
    assert json.loads((demo_run.parent / PUBLISHED_FILE).read_text())["targets"][KEY]["run"] == (
        demo_run.name
    )
    assert run_cli("verify", str(demo_run))[0] == 0
    # Published again: nothing is gone since itself.
    code, out, _ = run_cli("publish", str(demo_run), "--security-hub")
    assert code == 0
    assert "archived" not in out


def test_an_untrustworthy_earlier_run_archives_nothing_and_says_so(
    security_hub: Any, demo_run: Path
) -> None:
    earlier = earlier_run(demo_run)
    (earlier / "findings.json").write_text((earlier / "findings.json").read_text() + " ")
    record_published(demo_run.parent, KEY, EARLIER)
    code, out, err = run_cli("publish", str(demo_run), "--security-hub")
    assert code == 0, err
    assert err.startswith(f"orgscan: warning: nothing archived: {earlier}: does not match")
    assert "archived" not in out
    assert {f["RecordState"] for f in stored(security_hub).values()} == {"ACTIVE"}


def owner_findings(account_id: str) -> dict[str, dict[str, Any]]:
    """The findings Security Hub holds in ``account_id`` (read through the scan role)."""
    role = f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole"
    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=role, RoleSessionName="check"
    )["Credentials"]
    client = boto3.client(
        "securityhub",
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    return stored(client)


def test_per_account_imports_each_result_into_its_owner(security_hub: Any, demo_run: Path) -> None:
    code, out, err = run_cli("publish", str(demo_run), "--security-hub", "--per-account")
    assert code == 0, err
    asff = json.loads((demo_run / "findings-asff.json").read_text())["Findings"]
    owners: dict[str, set[str]] = {}
    for finding in asff:
        owners.setdefault(finding["ProductFields"]["orgscan/account_id"], set()).add(finding["Id"])
    members = sorted(owner for owner in owners if owner != CALLER)
    assert members
    lines = out.splitlines()
    assert lines[0].startswith(f"imported {len(asff)} of {len(asff)} findings")
    for member in members:
        n = len(owners[member])
        assert (
            f"imported {n} of {plural(n, 'finding')} into Security Hub (us-east-1, "
            f"account {member}) in 1 call"
        ) in lines
        held = owner_findings(member)
        assert set(held) == owners[member]
        assert {f["AwsAccountId"] for f in held.values()} == {member}
        assert {f["ProductArn"] for f in held.values()} == {
            f"arn:aws:securityhub:us-east-1:{member}:product/{member}/default"
        }
    # The central import is unchanged: every result, as the caller's.
    assert len(stored(security_hub)) == len(asff)
