"""``orgscan remediate`` without the terminal: the plan of a trusted run, rebuilt from its
findings and checked, the steps of the accounts chosen, then applied and recorded.

Two calls, because a person confirms in between: ``plan_remediation`` (nothing read from AWS)
and ``apply_remediation`` (identifies the caller, checks the record can be written, applies,
writes the record). Retro-lock jobs are applied only when asked for (``retro_lock``), and the
run's guardrail policies only when ``guardrails`` holds them: both go beyond fixing a
bucket (a charge per object, a policy over every account). Both return values and raise the
domain errors of ``orgscan.errors``: ``InputError`` for a plan that cannot be used or accounts
without steps, ``CredentialsError`` before anything is read, ``EvidenceWriteError`` when the
record cannot be written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from orgscan.aws.sessions import SessionFactory
from orgscan.errors import InputError
from orgscan.files import real_folder, write_failure
from orgscan.model import ScanResult
from orgscan.remediation.apply import (
    ApplyResult,
    StepOutcome,
    apply_plan,
    write_apply_result,
)
from orgscan.remediation.guardrail_apply import apply_guardrails
from orgscan.remediation.merged_policy import MergedPolicy, preview_policies
from orgscan.remediation.plan import build_plan
from orgscan.remediation.plan_model import APPLIED_KINDS, EntryKind, Plan, RemediationSettings, Step
from orgscan.remediation.planfile import PLAN_FILE, REMEDIATION_DIR, load_plan
from orgscan.remediation.safety import plan_differences, unsafe_steps
from orgscan.tamper.guardrails import Guardrail


@dataclass(frozen=True)
class PlannedRemediation:
    """A run's plan and the steps of the accounts chosen (all of them when ``accounts`` is
    ``None``) and of the entry ``kinds`` applied, in the plan's order; and the guardrail
    policies to create and attach (none unless asked for)."""

    run_dir: Path
    plan: Plan
    accounts: frozenset[str] | None
    steps: tuple[Step, ...]
    kinds: tuple[EntryKind, ...] = APPLIED_KINDS
    guardrails: tuple[Guardrail, ...] = ()

    @property
    def changes_policies(self) -> bool:
        """Whether a step merges statements into a bucket policy (shown before confirming)."""
        return any(step.operation == "PutBucketPolicy" for step in self.steps)


@dataclass(frozen=True)
class AppliedRemediation:
    """What applying did, and the file in the run folder that records it."""

    applied: ApplyResult
    record: Path


def plan_remediation(
    run_dir: Path,
    result: ScanResult,
    settings: RemediationSettings,
    *,
    rebuild: bool,
    accounts: frozenset[str] | None = None,
    check_accounts: bool = True,
    retro_lock: bool = False,
    guardrails: tuple[Guardrail, ...] = (),
) -> PlannedRemediation:
    """The plan of the trusted run ``result`` (read from ``run_dir``) and its steps for
    ``accounts`` (with ``retro_lock``, its retro-lock jobs too). With ``check_accounts``,
    every account given must have a step: a typo, or an account whose buckets another
    account changes, must not read as "nothing to do"."""
    plan = _load_or_build(run_dir, result, settings, rebuild=rebuild)
    if check_accounts:
        _check_selected(plan, accounts)
    kinds = APPLIED_KINDS + ((EntryKind.RETRO_LOCK,) * retro_lock)
    steps = tuple(
        step
        for entry in plan.entries
        if entry.kind in kinds
        for step in entry.steps
        if accounts is None or step.account_id in accounts
    )
    return PlannedRemediation(run_dir, plan, accounts, steps, kinds, guardrails)


def preview(
    planned: PlannedRemediation, sessions: SessionFactory
) -> list[tuple[str, MergedPolicy | str]]:
    """The bucket policies the plan's steps would write, merged with what is there now;
    ``CredentialsError`` (exit 2) before anything is read."""
    sessions.identify()
    return preview_policies(planned.plan, sessions, accounts=planned.accounts)


def apply_remediation(
    planned: PlannedRemediation,
    sessions: SessionFactory,
    on_step: Callable[[StepOutcome], None] | None = None,
) -> AppliedRemediation:
    """Apply the planned steps account by account and record the result in the run folder.
    ``CredentialsError`` and ``EvidenceWriteError`` (the record could not be written) are
    raised before any step runs; a record that fails after the steps is ``EvidenceWriteError``
    saying they were applied."""
    sessions.identify()  # CredentialsError (exit 2) before anything is attempted
    _check_record_folder(planned.run_dir)  # exit 4 before anything is attempted
    applied = apply_plan(
        planned.plan, sessions, accounts=planned.accounts, on_step=on_step, kinds=planned.kinds
    )
    if planned.guardrails:
        guarded = apply_guardrails(
            planned.guardrails,
            sessions,
            sessions.caller_account_id,
            sessions.default_region,
            on_step=on_step,
        )
        applied = replace(applied, outcomes=applied.outcomes + tuple(guarded))
    try:
        record = write_apply_result(planned.run_dir, applied)
    except OSError as exc:
        outcome = "the steps above were applied but not recorded"
        raise write_failure(exc, outcome, planned.run_dir) from None
    return AppliedRemediation(applied, record)


def _check_selected(plan: Plan, selected: frozenset[str] | None) -> None:
    """``InputError`` naming the accounts given that have no step in ``plan``."""
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


def _check_record_folder(run_dir: Path) -> None:
    """``EvidenceWriteError`` (exit 4) when the apply record could not be written into
    ``RUN_DIR/remediation/`` (a symbolic link there is never followed): checked before any
    step runs, so a change is never made without its record."""
    try:
        real_folder(run_dir / REMEDIATION_DIR, within=run_dir)
    except OSError as exc:
        raise write_failure(exc, "nothing was applied", run_dir) from None


def _load_or_build(
    run_dir: Path, result: ScanResult, settings: RemediationSettings, *, rebuild: bool
) -> Plan:
    """The plan rebuilt from ``findings.json``: with the options given, else with the settings
    of ``remediation/plan.json``, which must then hold exactly the rebuilt plan."""
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
