"""``orgscan remediate RUN_DIR``: show a run's remediation plan, or ``--apply`` it through boto3.

The run folder must first match its manifest (``orgscan.evidence.trust``), and ``--apply`` also
re-derives its findings from the recorded AWS responses. The plan shown and applied is always
rebuilt from those findings; a ``remediation/plan.json`` that differs from it is refused (it is
input, not authority).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from orgscan.cli.common import maps_input_errors, terminal_text
from orgscan.cli.exitcodes import ExitCode
from orgscan.cli.panels import choices, examples
from orgscan.cli.runcheck import ForceOpt, trusted_findings
from orgscan.cli.scan_options import ScanOptions, with_some_scan_options
from orgscan.errors import InputError
from orgscan.identifiers import ACCOUNT_ID_RE, DEFAULT_ROLE_NAME, DEFAULT_SESSION_NAME
from orgscan.model import LockMode
from orgscan.remediation.plan_model import RemediationSettings, Strategy

if TYPE_CHECKING:
    from orgscan.model import ScanResult
    from orgscan.remediation.plan_model import Plan

EPILOG = examples(
    "orgscan remediate reports/latest",
    "orgscan remediate reports/latest --strategy new-bucket --mode COMPLIANCE --days 365",
    "orgscan remediate reports/latest --apply --accounts 222222222222",
)


@maps_input_errors
@with_some_scan_options("role_name", "external_id", "role_session_name")
def remediate(
    access: ScanOptions,
    run_dir: Annotated[
        Path, typer.Argument(metavar="RUN_DIR", help="A run folder written by `orgscan scan`.")
    ],
    apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            metavar="",
            help="Execute the plan through boto3 (default: only show it).",
        ),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", metavar="", help="Do not ask for confirmation.")
    ] = False,
    accounts: Annotated[
        str | None,
        typer.Option(
            "--accounts",
            metavar="IDS",
            help="Only the steps of these accounts (comma-separated ids).",
        ),
    ] = None,
    strategy: Annotated[
        Strategy | None,
        typer.Option(
            "--strategy",
            case_sensitive=False,
            metavar=choices(Strategy),
            help="Rebuild the plan with this strategy for unlocked buckets.  "
            "\\[default: the plan's, else enable-in-place]",
        ),
    ] = None,
    mode: Annotated[
        LockMode | None,
        typer.Option(
            "--mode",
            case_sensitive=False,
            metavar=choices(LockMode),
            help="Rebuild the plan with this default retention mode.  "
            "\\[default: GOVERNANCE, or what the policy requires]",
        ),
    ] = None,
    days: Annotated[
        int | None,
        typer.Option(
            "--days",
            metavar="DAYS",
            help="Rebuild the plan with this default retention in days.  "
            "\\[default: 90, or the policy's minimum]",
        ),
    ] = None,
    json_output: Annotated[
        bool,
        typer.Option(
            "--json", metavar="", help="Print the plan (and, with --apply, the result) as JSON."
        ),
    ] = False,
    iam_policy: Annotated[
        bool,
        typer.Option(
            "--iam-policy",
            metavar="",
            help="Print the IAM policy applying this plan (or the steps of --accounts) needs: "
            "only its actions, on its buckets and trails; then exit.",
        ),
    ] = False,
    force: ForceOpt = False,
) -> None:
    """Show the remediation plan of RUN_DIR; with --apply, execute it account by account."""
    # Imported here: `orgscan --help` must not load the plan machinery (pandas, jinja2).
    from orgscan.remediation.iam_policy import remediation_policy
    from orgscan.remediation.planfile import plan_to_dict
    from orgscan.remediation.text import apply_text, plan_text, policy_preview_text

    selected = _parse_accounts(accounts)
    if apply and json_output and not yes:
        raise InputError("--json with --apply needs --yes (there is no prompt to answer)")
    # Nothing is planned from a folder that is not what the scan wrote (exit 1; not a run
    # folder, exit 2); before changing AWS, the findings must also follow from its evidence.
    result = trusted_findings(
        run_dir,
        purpose="apply its remediation" if apply else "plan its remediation",
        recompute=apply,
        force=force,
    )
    plan = _load_or_build(
        run_dir,
        result,
        RemediationSettings(strategy=strategy or Strategy.ENABLE_IN_PLACE, mode=mode, days=days),
        rebuild=any(value is not None for value in (strategy, mode, days)),
    )
    if iam_policy:  # for accounts without steps, a policy that allows nothing is the answer
        typer.echo(json.dumps(remediation_policy(plan, selected), indent=2))
        raise typer.Exit(ExitCode.OK)
    _check_selected(plan, selected)
    if json_output:
        if not apply:
            typer.echo(json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False))
            raise typer.Exit(ExitCode.OK)
    else:
        typer.echo(terminal_text(plan_text(plan, selected)), nl=False)
    if not apply:
        raise typer.Exit(ExitCode.OK)
    steps = [
        step
        for entry in plan.entries
        for step in entry.steps
        if selected is None or step.account_id in selected
    ]
    if not steps:
        typer.echo(
            json.dumps({"plan": plan_to_dict(plan), "apply": None}, indent=2)
            if json_output
            else "Nothing to apply."
        )
        raise typer.Exit(ExitCode.OK)
    # Imported here: showing a plan needs no AWS machinery.
    from orgscan.aws.sessions import SessionFactory
    from orgscan.remediation.apply import apply_plan, write_apply_result
    from orgscan.remediation.merged_policy import preview_policies

    role_name, external_id, role_session_name = (
        access.values[key] for key in ("role_name", "external_id", "role_session_name")
    )
    sessions = SessionFactory(
        role_name=DEFAULT_ROLE_NAME if role_name is None else role_name,
        external_id=external_id,
        role_session_name=(
            DEFAULT_SESSION_NAME if role_session_name is None else role_session_name
        ),
    )
    if any(step.operation == "PutBucketPolicy" for step in steps):
        sessions.identify()  # CredentialsError (exit 2) before anything is read
        previews = preview_policies(plan, sessions, accounts=selected)
        if not json_output:
            typer.echo(terminal_text(policy_preview_text(previews)), nl=False)
    if not yes:
        try:
            confirmed = typer.confirm(f"Apply {len(steps)} step(s)?", default=False)
        except typer.Abort:  # end of input (no terminal) answers 'no'
            confirmed = False
        if not confirmed:
            typer.echo("Not applied; nothing was changed.", err=True)
            raise typer.Exit(ExitCode.FINDINGS)
    sessions.identify()  # CredentialsError (exit 2) before anything is attempted
    applied = apply_plan(
        plan,
        sessions,
        accounts=selected,
        on_step=None
        if json_output
        else lambda o: typer.echo(
            terminal_text(
                f"{o.status.value}: account {o.account_id} {o.operation} "
                f"{o.resource or o.bucket_name}"
            )
        ),
    )
    path = write_apply_result(run_dir, applied)
    if json_output:
        typer.echo(
            json.dumps(
                {"plan": plan_to_dict(plan), "apply": applied.to_dict(), "result_file": str(path)},
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        typer.echo(terminal_text(apply_text(applied)), nl=False)
        typer.echo(f"Result written to {path}")
    raise typer.Exit(ExitCode.OK if applied.ok else ExitCode.FINDINGS)


def _parse_accounts(value: str | None) -> frozenset[str] | None:
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
        raise InputError(
            f"--accounts: {', '.join(idle)} has no step in this plan "
            f"(accounts with steps: {choices})"
        )


def _load_or_build(
    run_dir: Path, result: ScanResult, settings: RemediationSettings, *, rebuild: bool
) -> Plan:
    """The plan rebuilt from ``findings.json``: with the options given, else with the settings
    of ``remediation/plan.json``, which must then hold exactly the rebuilt plan."""
    from orgscan.remediation import build_plan
    from orgscan.remediation.planfile import PLAN_FILE, REMEDIATION_DIR, load_plan
    from orgscan.remediation.safety import plan_differences, unsafe_steps

    plan_path = run_dir / REMEDIATION_DIR / PLAN_FILE
    if rebuild or not plan_path.is_file():
        plan = build_plan(result, settings)
    else:
        given = load_plan(plan_path)
        if given.run_started_at != result.run.started_at:
            raise InputError(
                f"{plan_path} belongs to the scan started at "
                f"{given.run_started_at}, not to this run's findings.json "
                f"({result.run.started_at})"
            )
        plan = build_plan(result, given.settings)
        differences = plan_differences(given, plan)
        if differences:
            raise InputError(
                f"{plan_path} differs from the plan rebuilt from findings.json in "
                f"{'; '.join(differences[:3])}{' ...' if len(differences) > 3 else ''}; it "
                "was changed after the scan (or written by another orgscan version) and is "
                "not used. Give --strategy, --mode or --days to plan from findings.json alone"
            )
    problems = unsafe_steps(plan, result)
    if problems:  # the rebuilt plan never has any: this guards against a defect, not input
        raise InputError(f"the plan would do what orgscan never does: {problems[0]}")
    return plan
