"""``orgscan publish RUN_DIR --security-hub``: import a run's findings into Security Hub.

Imported findings replace earlier ones with the same ids, so only a run that matches its manifest
and whose findings follow from its recorded AWS responses is sent (``orgscan.evidence.trust``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orgscan.cli.common import fail, maps_input_errors, terminal_text
from orgscan.cli.exitcodes import ExitCode
from orgscan.cli.panels import examples
from orgscan.cli.runcheck import ForceOpt, trusted_findings

EPILOG = examples(
    "orgscan publish reports/latest --security-hub",
    "orgscan publish reports/20261127T090411Z --security-hub --region eu-west-1",
)


@maps_input_errors
def publish(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by `orgscan scan`.")],
    security_hub: Annotated[
        bool,
        typer.Option(
            "--security-hub",
            help="Import the findings and account verdicts into AWS Security "
            "Hub (ASFF, BatchImportFindings, 100 a call).",
        ),
    ] = False,
    region: Annotated[
        str | None,
        typer.Option("--region", help="Security Hub region.  \\[default: the AWS configuration's]"),
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Import RUN_DIR's findings into AWS Security Hub, as the caller's account: exit 0 when
    every finding was taken, 3 when some were refused or the import stopped, 1 when the run
    does not match its manifest or its findings do not follow from its recorded evidence."""
    from orgscan.aws.sessions import SessionFactory
    from orgscan.evidence.publish import PublishError, for_importer, publish_findings
    from orgscan.reports.asff_report import asff_findings

    if not security_hub:
        raise fail("name where to publish: --security-hub")
    result = trusted_findings(run_dir, purpose="publish it", recompute=True, force=force)
    sessions = SessionFactory()
    identity = sessions.identify()  # no credentials: exit 2
    target = region or sessions.default_region
    findings = for_importer(asff_findings(result), identity.partition, target, identity.account_id)
    client = sessions.client(identity.account_id, "securityhub", target)
    try:
        outcome = publish_findings(client, findings)
    except PublishError as exc:
        raise fail(str(exc), ExitCode.INCOMPLETE) from None
    for finding_id, code, message in outcome.failed:
        typer.echo(terminal_text(f"refused: {finding_id}: {code}: {message}"), err=True)
    typer.echo(
        f"imported {outcome.imported} of {len(findings)} findings into Security Hub "
        f"({target}, account {identity.account_id}) in {outcome.batches} call(s)"
    )
    raise typer.Exit(ExitCode.INCOMPLETE if outcome.failed else ExitCode.OK)
