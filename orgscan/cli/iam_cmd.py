"""``orgscan iam-policy``: print the least-privilege IAM policies of the scan (and remediation)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from orgscan.cli.common import maps_input_errors
from orgscan.cli.panels import examples

EPILOG = examples(
    "orgscan iam-policy --management-account-id 111111111111 --external-id ORGSCAN-EXT",
    "orgscan iam-policy --remediation --json > policies.json",
)


@maps_input_errors
def iam_policy(
    management_account_id: Annotated[
        str | None,
        typer.Option(
            "--management-account-id",
            metavar="ID",
            help="The account orgscan runs from; fills the trust policy (then without "
            "--external-id its condition is dropped).",
        ),
    ] = None,
    external_id: Annotated[
        str | None,
        typer.Option(
            "--external-id", metavar="ID", help="The external id the scan passes to AssumeRole."
        ),
    ] = None,
    role_name: Annotated[
        str | None,
        typer.Option(
            "--role-name",
            metavar="NAME",
            help="The scan role's name, for the caller's sts:AssumeRole.",
        ),
    ] = None,
    partition: Annotated[
        str | None,
        typer.Option(
            "--partition",
            metavar="NAME",
            help="The partition the ARNs name (aws, aws-cn, aws-us-gov, aws-eusc, ...).  "
            "\\[default: the configured region's, else aws]",
        ),
    ] = None,
    remediation: Annotated[
        bool,
        typer.Option(
            "--remediation", metavar="", help="Also print what `orgscan remediate --apply` needs."
        ),
    ] = False,
    json_output: Annotated[
        bool,
        typer.Option(
            "--json",
            metavar="",
            help="One JSON object keyed by policy name (scan_role_policy, ...).",
        ),
    ] = False,
) -> None:
    """Print the IAM policies the scan role and the identity running orgscan need."""
    from orgscan.aws.iam import (
        ALL_POLICIES,
        FILLED_BY,
        REMEDIATION,
        SCAN_POLICIES,
        Placeholders,
        configured_partition,
        filled,
        unfilled,
    )

    values = Placeholders(
        management_account_id=management_account_id,
        external_id=external_id,
        role_name=role_name,
        partition=partition or configured_partition(),
    )
    chosen = ALL_POLICIES if remediation else SCAN_POLICIES
    documents = {policy: filled(policy, values) for policy in chosen}
    if json_output:
        typer.echo(
            json.dumps({policy.key: document for policy, document in documents.items()}, indent=2)
        )
    else:
        for number, (policy, document) in enumerate(documents.items()):
            if number:
                typer.echo("")
            typer.echo(f"# {policy.file_name}: {policy.purpose}")
            typer.echo(json.dumps(document, indent=2))
    left = unfilled(documents.values())
    if left:
        typer.echo(
            "note: placeholders left: " + ", ".join(f"{name} ({FILLED_BY[name]})" for name in left),
            err=True,
        )
    if not remediation:
        typer.echo(
            f"note: {REMEDIATION.file_name} (orgscan remediate --apply) is printed with "
            "--remediation",
            err=True,
        )
