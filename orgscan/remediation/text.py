"""The plan as text for a terminal (``orgscan remediate`` prints it before anything else)."""

from __future__ import annotations

import json

from orgscan.model import ScanResult
from orgscan.remediation.apply import ApplyResult, StepStatus
from orgscan.remediation.merged_policy import MergedPolicy
from orgscan.remediation.plan_model import EntryKind, Plan, PlanEntry
from orgscan.remediation.ranking import first_action, first_action_text, rank_plan
from orgscan.wording import plural


def plan_text(
    plan: Plan, accounts: frozenset[str] | None = None, result: ScanResult | None = None
) -> str:
    """A readable rendering of ``plan``; with ``accounts``, only entries touching them.

    With the run's ``result``, the entries come in the plan's ranking (the one the page and the
    Remediation sheet show), those without steps last, after a line saying what to run first.
    """
    ranked = rank_plan(plan, result) if result is not None else ()
    ordered = [r.entry for r in ranked] + [e for e in plan.entries if not ranked or not e.steps]
    entries = [
        e
        for e in ordered
        if accounts is None
        or {s.account_id for s in e.steps} & accounts
        or (not e.steps and e.acting_account_id in accounts)
    ]
    actionable = sum(1 for e in entries if e.steps and e.kind is EntryKind.BUCKET)
    trails = sum(1 for e in entries if e.steps and e.kind is EntryKind.RECORDING)
    bucket_entries = sum(1 for e in entries if e.kind is EntryKind.BUCKET)
    retro = sum(1 for e in entries if e.steps and e.kind is EntryKind.RETRO_LOCK)
    lines = [
        f"Remediation plan for the scan started at {plan.run_started_at}",
        f"Default retention: {plan.retention.mode.value} for {plan.retention.days} days; "
        f"strategy for unlocked buckets: {plan.settings.strategy.value}.",
        f"{plural(actionable, 'bucket')} to change, {bucket_entries - actionable} without steps."
        + (
            f" {plural(trails, 'trail')} to change so that every account is recorded."
            if trails
            else ""
        )
        + (
            f" {plural(retro, 'bucket')} with log files from before the lock to protect "
            "(created only with --retro-lock)."
            if retro
            else ""
        ),
    ]
    shown = {id(entry) for entry in entries}  # by identity: entries compare deeply
    action = first_action(tuple(r for r in ranked if id(r.entry) in shown))
    if action is not None:
        lines.append("Run " + _escaped(first_action_text(action, "below")))
    for number, entry in enumerate(entries, start=1):
        lines += ["", *_entry_lines(number, entry, plan)]
    order = [a for a in plan.account_order() if accounts is None or a in accounts]
    if order:
        lines += ["", "Accounts in the order they must apply: " + ", ".join(order)]
    return "\n".join(lines) + "\n"


def _entry_lines(number: int, entry: PlanEntry, plan: Plan) -> list[str]:
    acting = entry.acting_account_id or "nobody (see below)"
    name = plan.account_names.get(entry.acting_account_id or "")
    if name:
        acting += f" ({_one_line(name)})"
    strategy = entry.strategy.value if entry.strategy else "no steps"
    if entry.kind is EntryKind.RECORDING:
        trail = entry.findings[0] if entry.findings else "an organization trail to create"
        gaps = ", ".join(why.value for why in entry.gaps)
        lines = [
            f"[{number}] trail {_escaped(trail)}: recording ({gaps}) of account(s) "
            f"{', '.join(entry.accounts)}; acting account {acting}"
        ]
    elif entry.kind is EntryKind.INTEGRITY:
        check = entry.check.value if entry.check else "integrity"
        lines = [
            f"[{number}] bucket {_escaped(entry.bucket_name)}: integrity {check} in "
            f"{entry.region or 'unknown region'}; acting account {acting}"
        ]
    elif entry.kind is EntryKind.RETRO_LOCK:
        lines = [
            f"[{number}] bucket {_escaped(entry.bucket_name)} in {entry.region}: retro-lock, "
            f"log files written before the lock (only with --retro-lock); acting account {acting}"
        ]
    else:
        lines = [
            f"[{number}] bucket {_escaped(entry.bucket_name)} in "
            f"{entry.region or 'unknown region'}: {strategy}; acting account {acting}"
        ]
    lines += [
        f"    finding {code.value}: {_escaped(arn)}"
        for arn, code in zip(entry.findings, entry.reason_codes, strict=True)
    ]
    lines.append(f"    {_escaped(entry.explanation)}")
    lines += [f"    warning: {_escaped(warning)}" for warning in entry.warnings]
    for index, step in enumerate(entry.steps, start=1):
        # Whole, never cut: what is shown is exactly what is sent.
        parameters = json.dumps(dict(step.parameters), separators=(",", ":"))
        lines.append(
            f"    {index}. account {step.account_id} {step.region} "
            f"{step.service.value}:{step.operation} {parameters}"
        )
        if step.operation == "PutBucketPolicy":
            lines += _policy_lines(step.parameters.get("Policy"))
    return lines


def _policy_lines(policy: object) -> list[str]:
    # The policy as a reader checks it: orgscan's statements, one per block. --apply merges
    # them by Sid into the bucket's current policy; the apply record holds what was sent.
    try:
        document = json.loads(policy) if isinstance(policy, str) else None
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return []
    text = json.dumps(document, indent=2, ensure_ascii=False)
    return [
        "       the bucket policy's statements (merged by Sid into any policy the bucket "
        "has when applied; every other statement is kept):",
        *(f"       {line}" for line in text.splitlines()),
    ]


def policy_preview_text(previews: list[tuple[str, MergedPolicy | str]]) -> str:
    """The bucket policies ``--apply`` will write, as read and merged just now."""
    lines = []
    for bucket, preview in previews:
        if isinstance(preview, str):
            lines.append(
                f"Bucket policy of {bucket}: cannot be previewed, the step will stop "
                f"({_one_line(preview)})"
            )
            continue
        state = "will be written" if preview.changes else "is already in place, unchanged"
        if preview.changes and preview.empty:
            state = "will be deleted, no statement being left"
        lines.append(f"Bucket policy of {bucket} {state} (read and merged by Sid just now):")
        lines += [f"    {note}" for note in preview.notes]
        lines += [
            f"    {line}"
            for line in json.dumps(preview.document, indent=2, ensure_ascii=False).splitlines()
        ]
    return "\n".join(lines) + "\n" if lines else ""


def apply_text(result: ApplyResult) -> str:
    """A summary of an apply: one line per step not simply applied, then the counts."""
    lines = []
    for outcome in result.outcomes:
        if outcome.status in (StepStatus.FAILED, StepStatus.NOT_RUN):
            detail = f"{outcome.error_code}: " if outcome.error_code else ""
            lines.append(
                f"{outcome.status.value}: account {outcome.account_id} "
                f"{outcome.operation} on {outcome.bucket_name}: "
                f"{detail}{_one_line(outcome.message or '')}"
            )
        lines += [_one_line(note) for note in outcome.notes if note.startswith("job ")]
    counts = {status: sum(o.status is status for o in result.outcomes) for status in StepStatus}
    lines.append(", ".join(f"{count} {status.value}" for status, count in counts.items()))
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    # Names and messages come from AWS: no control characters (terminal escapes) get through.
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def _escaped(text: str) -> str:
    # Names from a findings.json stay on their line, control characters shown as escapes
    # (\n, \x1b): a planted name can neither forge a line of the plan nor drive the terminal.
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
