"""``orgscan remediate RUN_DIR``: show a run's remediation plan, or ``--apply`` it through boto3.

The run folder must first match its manifest (``orgscan.evidence.trust``), and ``--apply`` also
re-derives its findings from the recorded AWS responses. The plan shown and applied is always
rebuilt from those findings; a ``remediation/plan.json`` that differs from it is refused (it is
input, not authority). ``--retro-lock`` adds the plan's S3 Batch Operations jobs to what
``--apply`` does, ``--guardrails`` the run's SCPs and RCPs; COMPLIANCE jobs are asked about
once more, and ``--yes`` answers that question only beside an explicit ``--mode COMPLIANCE``.
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
from orgscan.wording import plural

if TYPE_CHECKING:
    from orgscan.remediation.apply import StepOutcome
    from orgscan.remediation.plan_model import Step

EPILOG = examples(
    "orgscan remediate reports/latest",
    "orgscan remediate reports/latest --strategy new-bucket --mode COMPLIANCE --days 365",
    "orgscan remediate reports/latest --apply --accounts 222222222222",
    "orgscan remediate reports/latest --apply --retro-lock --guardrails",
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
    retro_lock: Annotated[
        bool,
        typer.Option(
            "--retro-lock",
            metavar="",
            help="With --apply, also create the S3 Batch Operations jobs that put retention on "
            "log files written before the lock (charged per object; GOVERNANCE unless --mode "
            "COMPLIANCE). With --iam-policy, add their permissions and the jobs' role.",
        ),
    ] = False,
    guardrails: Annotated[
        bool,
        typer.Option(
            "--guardrails",
            metavar="",
            help="With --apply, also create the run's guardrail SCPs and RCPs and attach them "
            "at the root (from the management account); a root takes 5 of each type, and a "
            "set that does not fit is refused before anything is created.",
        ),
    ] = False,
    force: ForceOpt = False,
) -> None:
    """Show the remediation plan of RUN_DIR; with --apply, execute it account by account."""
    # Imported when the command runs: `orgscan --help` must not load the plan machinery
    # (pandas, jinja2) nor botocore.
    from orgscan.aws.sessions import SessionFactory
    from orgscan.remediation.guardrail_apply import guardrails_text, run_guardrails
    from orgscan.remediation.iam_policy import remediation_policy, retro_lock_roles
    from orgscan.remediation.planfile import plan_to_dict
    from orgscan.remediation.text import apply_text, plan_text, policy_preview_text
    from orgscan.remediation.workflow import apply_remediation, plan_remediation, preview

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
    planned = plan_remediation(
        run_dir,
        result,
        RemediationSettings(strategy=strategy or Strategy.ENABLE_IN_PLACE, mode=mode, days=days),
        rebuild=any(value is not None for value in (strategy, mode, days)),
        accounts=selected,
        # for accounts without steps, a policy that allows nothing is the answer
        check_accounts=not iam_policy,
        retro_lock=retro_lock,
        guardrails=tuple(run_guardrails(result)) if guardrails else (),
    )
    plan = planned.plan
    if iam_policy:
        policy = remediation_policy(plan, selected, planned.kinds)
        if retro_lock:  # the caller's policy beside the role the jobs run as
            document = {
                "caller_policy": policy,
                "retro_lock_roles": retro_lock_roles(plan, selected),
            }
            typer.echo(json.dumps(document, indent=2))
        else:
            typer.echo(json.dumps(policy, indent=2))
        raise typer.Exit(ExitCode.OK)
    if json_output:
        if not apply:
            typer.echo(json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False))
            raise typer.Exit(ExitCode.OK)
    else:
        typer.echo(terminal_text(plan_text(plan, selected, result)), nl=False)
    if not apply:
        raise typer.Exit(ExitCode.OK)
    if guardrails and not json_output:
        typer.echo(
            terminal_text(guardrails_text(planned.guardrails))
            if planned.guardrails
            else "Guardrails: this run found no tamper path an SCP or RCP can close."
        )
    if not planned.steps and not planned.guardrails:
        typer.echo(
            json.dumps({"plan": plan_to_dict(plan), "apply": None}, indent=2)
            if json_output
            else "Nothing to apply."
        )
        raise typer.Exit(ExitCode.OK)
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
    if planned.changes_policies:
        previews = preview(planned, sessions)
        if not json_output:
            typer.echo(terminal_text(policy_preview_text(previews)), nl=False)
    work = plural(len(planned.steps), "step") + (
        f" and {plural(len(planned.guardrails), 'guardrail policy', 'guardrail policies')}"
        if planned.guardrails
        else ""
    )
    if not yes and not _confirmed(f"Apply {work}?"):
        typer.echo("Not applied; nothing was changed.", err=True)
        raise typer.Exit(ExitCode.FINDINGS)
    _confirm_compliance_jobs(
        planned.steps, explicit=yes and mode is LockMode.COMPLIANCE, ask=not json_output
    )
    done = apply_remediation(planned, sessions, on_step=None if json_output else _say_step)
    if json_output:
        typer.echo(
            json.dumps(
                {
                    "plan": plan_to_dict(plan),
                    "apply": done.applied.to_dict(),
                    "result_file": str(done.record),
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        typer.echo(terminal_text(apply_text(done.applied)), nl=False)
        typer.echo(f"Result written to {done.record}")
    raise typer.Exit(ExitCode.OK if done.applied.ok else ExitCode.FINDINGS)


def _confirm_compliance_jobs(steps: tuple[Step, ...], *, explicit: bool, ask: bool) -> None:
    """Ask once more before creating COMPLIANCE jobs: nobody can undo them. ``--yes`` answers
    only together with an explicit ``--mode COMPLIANCE`` (a plan file's COMPLIANCE is not
    enough); without a terminal to ask, the apply stops with exit 2 before anything runs."""
    jobs = [
        step
        for step in steps
        if step.operation == "CreateJob"
        and step.parameters["Operation"]["S3PutObjectRetention"]["Retention"]["Mode"]
        == LockMode.COMPLIANCE.value
    ]
    if not jobs or explicit:
        return
    if not ask:
        raise InputError("COMPLIANCE retro-lock jobs with --json need --mode COMPLIANCE --yes")
    typer.echo(
        f"{plural(len(jobs), 'retro-lock job')} put COMPLIANCE retention on existing log files: "
        "nobody, not even the root user, can shorten or remove it, and those files cannot "
        "be deleted, until it ends."
    )
    if not _confirmed(f"Create {plural(len(jobs), 'job')} in COMPLIANCE mode?"):
        raise InputError(
            "COMPLIANCE retro-lock jobs were not confirmed; nothing was changed (give "
            "--mode COMPLIANCE --yes to confirm them without a question)"
        )


def _confirmed(question: str) -> bool:
    """The person's answer; end of input (no terminal) answers 'no'."""
    try:
        return typer.confirm(question, default=False)
    except typer.Abort:
        return False


def _say_step(outcome: StepOutcome) -> None:
    """One line per step as it is applied."""
    typer.echo(
        terminal_text(
            f"{outcome.status.value}: account {outcome.account_id} {outcome.operation} "
            f"{outcome.resource or outcome.bucket_name}"
        )
    )
    for note in outcome.notes:
        if note.startswith("job "):  # a Batch Operations job: its id and how to follow it
            typer.echo(terminal_text(f"    {note}"))


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
