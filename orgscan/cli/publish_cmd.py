"""``orgscan publish RUN_DIR --security-hub``: import a run's findings into Security Hub.

Imported findings replace earlier ones with the same ids, so only a run that matches its manifest
and whose findings follow from its recorded AWS responses is sent (``orgscan.evidence.trust``).
Trails and accounts gone since the run last published from the same output folder are sent
archived (``orgscan.evidence.publish``); ``--per-account`` also imports each result into the
account it is about, through the scan role.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from orgscan.cli.common import fail, maps_input_errors, terminal_text
from orgscan.cli.exitcodes import ExitCode
from orgscan.cli.panels import examples
from orgscan.cli.runcheck import ForceOpt, trusted_findings
from orgscan.cli.scan_options import ScanOptions, with_some_scan_options
from orgscan.wording import plural

if TYPE_CHECKING:
    from orgscan.evidence.publish import PublishOutcome

EPILOG = examples(
    "orgscan publish reports/latest --security-hub",
    "orgscan publish reports/20261127T090411Z --security-hub --region eu-west-1",
    "orgscan publish reports/latest --security-hub --per-account",
)


@maps_input_errors
@with_some_scan_options("role_name", "external_id", "role_session_name")
def publish(
    access: ScanOptions,
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by `orgscan scan`.")],
    security_hub: Annotated[
        bool,
        typer.Option(
            "--security-hub",
            metavar="",  # a flag: typer would print <bool>
            help="Import the findings and account verdicts into AWS Security "
            "Hub (ASFF, BatchImportFindings, 100 a call); the default, and the only "
            "destination so far.",
        ),
    ] = True,
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            metavar="REGION",
            help="Security Hub region.  \\[default: the AWS configuration's]",
        ),
    ] = None,
    per_account: Annotated[
        bool,
        typer.Option(
            "--per-account",
            help="Also import each result into the account it is about (AwsAccountId = that "
            "account), through the scan role (--role-name, default the run's).",
        ),
    ] = False,
    force: ForceOpt = False,
) -> None:
    """Import RUN_DIR's findings into AWS Security Hub, as the caller's account (and, with
    --per-account, as each owner account): exit 0 when every finding was taken, 3 when some
    were refused or an import stopped, 1 when the run does not match its manifest or its
    findings do not follow from its recorded evidence."""
    from orgscan.aws.sessions import SessionFactory
    from orgscan.evidence import publish as core
    from orgscan.identifiers import DEFAULT_ROLE_NAME, DEFAULT_SESSION_NAME
    from orgscan.reports.asff_report import asff_findings

    del security_hub  # Security Hub is the only destination: the flag only names it
    result = trusted_findings(run_dir, purpose="publish it", recompute=True, force=force)
    role_name, external_id, session_name = (
        access.values[key] for key in ("role_name", "external_id", "role_session_name")
    )
    recorded_role = result.run.scope.role_name if result.run.scope else DEFAULT_ROLE_NAME
    sessions = SessionFactory(
        role_name=role_name or recorded_role,
        external_id=external_id,
        role_session_name=session_name or DEFAULT_SESSION_NAME,
    )
    identity = sessions.identify()  # no credentials: exit 2
    target = region or sessions.default_region
    folder = run_dir.resolve()
    key = core.importer_key(identity.partition, identity.account_id, target)
    previous = core.previous_run(folder.parent, key, folder.name)
    if previous.warning is not None:
        typer.echo(terminal_text(f"orgscan: warning: {previous.warning}"), err=True)
    archived = core.archived_findings(previous.result, result) if previous.result else []
    sending = asff_findings(result) + archived
    findings = core.for_importer(sending, identity.partition, target, identity.account_id)
    client = sessions.client(identity.account_id, "securityhub", target)
    try:
        outcome = core.publish_findings(client, findings)
    except core.PublishError as exc:
        raise fail(str(exc), ExitCode.INCOMPLETE) from None
    _refused(outcome)
    typer.echo(
        f"imported {outcome.imported} of {plural(len(findings), 'finding')} into Security Hub "
        f"({target}, account {identity.account_id}) in {plural(outcome.batches, 'call')}"
    )
    if archived:
        typer.echo(f"{len(archived)} of them archived: gone since {previous.name}")
    complete = not outcome.failed
    if per_account:
        complete = _per_account(sessions, sending, identity.partition, target) and complete
    if complete:
        core.record_published(folder.parent, key, folder.name)
    raise typer.Exit(ExitCode.OK if complete else ExitCode.INCOMPLETE)


def _per_account(sessions: Any, sending: list[dict[str, Any]], partition: str, region: str) -> bool:
    """Import each owner's findings into its own account; True when every one was taken."""
    from orgscan.aws.sessions import AssumeRoleError
    from orgscan.evidence.publish import PublishError, by_owner, for_importer, publish_findings

    caller = sessions.identify().account_id
    complete = True
    for owner, owned in by_owner(sending).items():
        if owner == caller:
            continue  # the central import above already put them there
        findings = for_importer(owned, partition, region, owner)
        try:
            outcome = publish_findings(sessions.client(owner, "securityhub", region), findings)
        except (AssumeRoleError, PublishError) as exc:
            typer.echo(terminal_text(f"account {owner}: not imported: {exc}"), err=True)
            complete = False
            continue
        _refused(outcome)
        complete = complete and not outcome.failed
        typer.echo(
            f"imported {outcome.imported} of {plural(len(findings), 'finding')} into Security Hub "
            f"({region}, account {owner}) in {plural(outcome.batches, 'call')}"
        )
    return complete


def _refused(outcome: PublishOutcome) -> None:
    for finding_id, code, message in outcome.failed:
        typer.echo(terminal_text(f"refused: {finding_id}: {code}: {message}"), err=True)
