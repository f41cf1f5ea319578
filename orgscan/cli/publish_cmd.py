"""``orgscan publish RUN_DIR --security-hub``: import a run's findings into Security Hub."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orgscan.cli.common import fail, maps_input_errors, terminal_text
from orgscan.cli.exitcodes import ExitCode
from orgscan.cli.panels import examples

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
) -> None:
    """Import RUN_DIR's findings into AWS Security Hub, as the caller's account: exit 0 when
    every finding was taken, 3 when some were refused or the import stopped, 1 when the run's
    findings.json no longer matches its manifest."""
    from orgscan.aws.sessions import SessionFactory
    from orgscan.evidence.manifest import findings_match
    from orgscan.evidence.publish import PublishError, for_importer, publish_findings
    from orgscan.findings import load_run
    from orgscan.reports.asff_report import asff_findings

    if not security_hub:
        raise fail("name where to publish: --security-hub")
    mismatch = findings_match(run_dir)
    if mismatch is not None:
        raise fail(f"{run_dir}: {mismatch}; refusing to publish it", ExitCode.FINDINGS)
    result = load_run(run_dir)  # not a run folder: exit 2
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
