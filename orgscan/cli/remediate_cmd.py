"""``orgscan remediate RUN_DIR``: show a run's remediation plan, or ``--apply`` it through boto3."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from orgscan.cli.common import EXIT_FINDINGS, EXIT_OK, maps_input_errors, terminal_text
from orgscan.cli.panels import ACCESS, choices, examples
from orgscan.errors import InputError
from orgscan.model import LockMode
from orgscan.remediation.model import RemediationSettings, Strategy

if TYPE_CHECKING:
    from orgscan.remediation.model import Plan

EPILOG = examples(
    "orgscan remediate reports/latest",
    "orgscan remediate reports/latest --strategy new-bucket --mode COMPLIANCE --days 365",
    "orgscan remediate reports/latest --apply --accounts 222222222222",
)


@maps_input_errors
def remediate(
    run_dir: Annotated[Path, typer.Argument(
        metavar="RUN_DIR", help="A run folder written by `orgscan scan`.")],
    apply: Annotated[bool, typer.Option(
        "--apply", metavar="", help="Execute the plan through boto3 (default: only show it).",
    )] = False,
    yes: Annotated[bool, typer.Option(
        "--yes", "-y", metavar="", help="Do not ask for confirmation.")] = False,
    accounts: Annotated[str | None, typer.Option(
        "--accounts", metavar="IDS",
        help="Only the steps of these accounts (comma-separated ids).")] = None,
    strategy: Annotated[Strategy | None, typer.Option(
        "--strategy", case_sensitive=False, metavar=choices(Strategy),
        help="Rebuild the plan with this strategy for unlocked buckets.  "
             "\\[default: the plan's, else enable-in-place]")] = None,
    mode: Annotated[LockMode | None, typer.Option(
        "--mode", case_sensitive=False, metavar=choices(LockMode),
        help="Rebuild the plan with this default retention mode.  "
             "\\[default: GOVERNANCE, or what the policy requires]")] = None,
    days: Annotated[int | None, typer.Option(
        "--days", metavar="DAYS", help="Rebuild the plan with this default retention in days.  "
                                       "\\[default: 90, or the policy's minimum]")] = None,
    role_name: Annotated[str, typer.Option(
        "--role-name", metavar="NAME", rich_help_panel=ACCESS,
        help="Role assumed in member accounts.")] = "OrganizationAccountAccessRole",
    external_id: Annotated[str | None, typer.Option(
        "--external-id", metavar="ID", rich_help_panel=ACCESS,
        help="External id for AssumeRole.")] = None,
    role_session_name: Annotated[str, typer.Option(
        "--role-session-name", metavar="NAME", rich_help_panel=ACCESS,
        help="Session name for AssumeRole.")] = "orgscan",
) -> None:
    """Show the remediation plan of RUN_DIR; with --apply, execute it account by account."""
    from orgscan.remediation.text import plan_text

    selected = _parse_accounts(accounts)
    plan = _load_or_build(run_dir, RemediationSettings(
        strategy=strategy or Strategy.ENABLE_IN_PLACE, mode=mode, days=days),
        rebuild=any(value is not None for value in (strategy, mode, days)))
    _check_selected(plan, selected)
    typer.echo(terminal_text(plan_text(plan, selected)), nl=False)
    if not apply:
        raise typer.Exit(EXIT_OK)
    steps = [step for entry in plan.entries for step in entry.steps
             if selected is None or step.account_id in selected]
    if not steps:
        typer.echo("Nothing to apply.")
        raise typer.Exit(EXIT_OK)
    if not yes:
        try:
            confirmed = typer.confirm(f"Apply {len(steps)} step(s)?", default=False)
        except typer.Abort:  # end of input (no terminal) answers 'no'
            confirmed = False
        if not confirmed:
            typer.echo("Not applied; nothing was changed.", err=True)
            raise typer.Exit(EXIT_FINDINGS)
    # Imported here: showing a plan needs no AWS machinery.
    from orgscan.aws.sessions import SessionFactory
    from orgscan.remediation.apply import apply_plan, write_apply_result
    from orgscan.remediation.text import apply_text

    sessions = SessionFactory(role_name=role_name, external_id=external_id,
                              role_session_name=role_session_name)
    sessions.identify()  # CredentialsError (exit 2) before anything is attempted
    result = apply_plan(plan, sessions, accounts=selected,
                        on_step=lambda o: typer.echo(terminal_text(
                            f"{o.status.value}: account {o.account_id} {o.operation} "
                            f"{o.bucket_name}")))
    path = write_apply_result(run_dir, result)
    typer.echo(terminal_text(apply_text(result)), nl=False)
    typer.echo(f"Result written to {path}")
    raise typer.Exit(EXIT_OK if result.ok else EXIT_FINDINGS)


def _parse_accounts(value: str | None) -> frozenset[str] | None:
    from orgscan.findings import ACCOUNT_ID_RE

    if value is None:
        return None
    ids = [item.strip() for item in value.split(",") if item.strip()]
    for account_id in ids:
        if not ACCOUNT_ID_RE.match(account_id):
            raise InputError(f"--accounts: {account_id!r:.40} is not a 12-digit AWS account id")
    if not ids:
        raise InputError("--accounts: no account id given")
    return frozenset(ids)


def _check_selected(plan: Plan, selected: frozenset[str] | None) -> None:
    """Every account given with --accounts must have a step in the plan: a typo, or an
    account whose buckets another account changes, must not read as "nothing to do"."""
    if selected is None:
        return
    acting = set(plan.accounts_with_steps())
    idle = sorted(selected - acting)
    if idle:
        choices = ", ".join(sorted(acting)) or "none"
        raise InputError(f"--accounts: {', '.join(idle)} has no step in this plan "
                         f"(accounts with steps: {choices})")


def _load_or_build(run_dir: Path, settings: RemediationSettings, *, rebuild: bool) -> Plan:
    from orgscan.findings import load_run
    from orgscan.remediation import build_plan
    from orgscan.remediation.planfile import PLAN_FILE, REMEDIATION_DIR, load_plan

    result = load_run(run_dir)  # FindingsFileError is an InputError: exit 2
    plan_path = run_dir / REMEDIATION_DIR / PLAN_FILE
    if rebuild or not plan_path.is_file():
        return build_plan(result, settings)
    plan = load_plan(plan_path)
    if plan.run_started_at != result.run.started_at:
        raise InputError(f"{plan_path} belongs to the scan started at {plan.run_started_at}, "
                         f"not to this run's findings.json ({result.run.started_at})")
    return plan
