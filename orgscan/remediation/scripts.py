"""Render one bash script per account from ``report_templates/remediation.sh.j2``.

Shell safety is structural: the environment has no autoescape (HTML escaping means nothing to
bash), but ``finalize`` refuses to print any value that did not pass through the ``shquote``
filter (``shlex.quote``) or the ``comment`` filter (control characters, newlines included,
become spaces, so free text cannot leave its comment line). A template that forgets a filter
fails to render instead of writing an unsafe script.

The environment and the compiled template are made once per process (``functools.cache``):
a run writes one script per account, and compiling per account cost ~50 ms each.
"""

from __future__ import annotations

import functools
import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from botocore import xform_name

from orgscan.remediation.lifecycle import OPERATION as LIFECYCLE_OPERATION
from orgscan.remediation.lifecycle import script_words
from orgscan.remediation.plan_model import (
    Check,
    Guard,
    GuardKind,
    Plan,
    PlanEntry,
    Service,
    Step,
)
from orgscan.remediation.safety import LiveRead, Precondition, preconditions
from orgscan.templates import template_dir

TEMPLATE = "remediation.sh.j2"
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
# Inside "...", bash still expands $ and `, and treats \ and " (and ! interactively) specially.
_DOUBLE_QUOTE_SPECIAL = re.compile(r'[$`\\"!]')
_CLI_SERVICE = {
    Service.S3: "s3api",
    Service.CLOUDTRAIL: "cloudtrail",
    Service.S3CONTROL: "s3control",
    Service.KMS: "kms",
}


class Shell(str):
    """Text that is safe to place in a bash script where the template puts it."""


class UnsafeInterpolation(TypeError):
    """A template printed a value without ``shquote`` or ``comment``."""


@functools.lru_cache(maxsize=4096)
def _quote(text: str) -> str:
    # Kept for the words every script repeats (aws, s3api, --region, the regions, the guard
    # functions' names): 1.6 million words at 10,000 accounts, most of them seen before.
    # Double quotes read better for a JMESPath query full of single quotes; they are used only
    # when the text holds none of the characters bash treats specially inside them.
    if "'" in text and not _DOUBLE_QUOTE_SPECIAL.search(text):
        return f'"{text}"'
    return shlex.quote(text)


def shquote(value: object) -> Shell:
    """``value`` as one shell word (``shlex.quote``, or plain double quotes where they are
    equally safe and easier to read)."""
    return Shell(_quote(str(value)))


def shwords(values: list[str]) -> Shell:
    """Each of ``values`` quoted, joined by spaces: an argument vector."""
    return Shell(" ".join(_quote(value) for value in values))


def comment(value: object) -> Shell:
    """``value`` made safe for the rest of a ``#`` comment line: no control characters."""
    return Shell(_CONTROL.sub(" ", str(value)))


def _finalize(value: object) -> object:
    if isinstance(value, Shell | int) and not isinstance(value, bool):
        return value
    raise UnsafeInterpolation(f"unquoted value in a shell template: {value!r:.60}")


def environment(folder: Path | None = None) -> jinja2.Environment:
    """The jinja2 environment for shell templates (see the module docstring)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder or template_dir()),
        autoescape=False,  # bash, not HTML: safety comes from the filters and finalize
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.filters.update(shquote=shquote, shwords=shwords, comment=comment)
    return env


def cli_argv(
    service: Service, operation: str, parameters: Mapping[str, Any], region: str
) -> list[str]:
    """The AWS CLI words for one API call (works with AWS CLI v1 and v2).

    Parameter names follow the CLI's own rule (``xform_name``); structures are passed as JSON,
    ``True`` becomes a bare flag.
    """
    argv = ["aws", _CLI_SERVICE[service], xform_name(operation, "-")]
    for name, value in parameters.items():
        flag = "--" + xform_name(name, "-")
        if isinstance(value, bool):
            argv.append(flag if value else "--no-" + flag[2:])
        elif isinstance(value, str | int):
            argv += [flag, str(value)]
        else:
            argv += [flag, json.dumps(value, separators=(",", ":"))]
    return [*argv, "--region", region]


def check_argv(service: Service, check: Check | Guard, region: str) -> list[str]:
    """The AWS CLI words of a step's read-only check or guard (prints ``True`` when the step
    is done, or when the guard must stop it)."""
    argv = cli_argv(service, check.operation, check.parameters, region)
    if check.condition is not None:
        argv += ["--query", check.condition, "--output", "text"]
    return argv


@dataclass(frozen=True)
class ScriptGuard:
    """One guard as the template shows it: the reason (for its comment) and the words that
    call the script's ``guard`` (a query) or ``replication_guard`` function."""

    reason: str
    words: list[str]


@dataclass(frozen=True)
class ScriptStep:
    """One step as the template shows it."""

    number: int
    entry: PlanEntry
    step: Step
    argv: list[str]
    check: list[str] | None
    expect: str
    absent: str
    #: The error codes of the check that mean "done" (``Check.done_codes``), space-separated.
    done: str
    preconditions: tuple[ScriptGuard, ...]
    guards: tuple[ScriptGuard, ...]
    before: tuple[str, ...]
    after: tuple[str, ...]

    @property
    def runner(self) -> Shell:
        """The script function that runs the call: ``run``, or for a Batch Operations job
        ``run_job``, which prints the new job's id and the command that follows it."""
        if self.step.operation != "CreateJob":
            return Shell("run")
        return Shell(f"run_job {shwords([self.step.account_id, self.step.region])}")

    @property
    def lifecycle(self) -> Shell | None:
        """For a lifecycle step: the call of the script's ``lifecycle_raise``, which reads,
        merges and writes the configuration itself; None for any other step."""
        if self.step.operation != LIFECYCLE_OPERATION:
            return None
        return shwords(["lifecycle_raise", str(self.number), *script_words(self.step)])

    @property
    def apply_only(self) -> str:
        """Why the script stops instead of making the call, when only ``orgscan remediate
        --apply`` can (a bucket policy edited as read when the step runs); else empty."""
        parameters = self.step.parameters
        if self.step.operation != "PutBucketPolicy" or "Policy" in parameters:
            return ""
        owner = parameters.get("ExpectedBucketOwner", self.step.account_id)
        return (
            "the bucket policy allows everyone and a script cannot edit its JSON. Read it "
            f"with: aws s3api get-bucket-policy --bucket {parameters['Bucket']} "
            f"--expected-bucket-owner {owner} --region {self.step.region}; put it back without "
            'the statements that allow Principal "*" (or AWS "*") without a Condition, or run '
            "orgscan remediate --apply, which takes out only those"
        )

    @property
    def guard_list(self) -> Shell:
        """The step's live preconditions, then its guards, as one ``&&`` list, every word
        quoted (empty when there is nothing to read before the call)."""
        calls = [*self.preconditions, *self.guards]
        return Shell(" \\\n    && ".join(shwords(call.words) for call in calls))


def _script_guard(number: int, step: Step, guard: Guard) -> ScriptGuard:
    if guard.kind is GuardKind.REPLICATION_UNLOCKED:
        words = [
            "replication_guard",
            str(number),
            guard.reason,
            str(guard.parameters.get("Bucket", "")),
            str(guard.parameters.get("ExpectedBucketOwner", step.account_id)),
            step.region,
        ]
    else:
        words = [
            "guard",
            str(number),
            guard.reason,
            " ".join(guard.absent_codes),
            *check_argv(step.service, guard, step.region),
        ]
    return ScriptGuard(reason=guard.reason, words=words)


def _read_words(read: LiveRead) -> list[str]:
    if read.check.done_codes:  # the script's any_holds reads no such codes
        raise ValueError(f"a live precondition's read has done codes: {read.check.operation}")
    return [" ".join(read.check.absent_codes), *check_argv(read.service, read.check, read.region)]


def _unreadable_here(reads: list[LiveRead]) -> str:
    # A script holds one account's credentials: S3 and CloudTrail refuse it another
    # account's bucket configuration or trail, so those reads are left to --apply.
    named = "; ".join(
        f"{read.check.operation} on "
        f"{read.check.parameters.get('Bucket', read.check.parameters.get('Name'))} "
        f"(account {read.account_id})"
        for read in reads
    )
    return (
        f"not checked from this account, which may not read it: {named}. "
        "orgscan remediate --apply reads it with that account's role"
    )


def _script_preconditions(
    number: int, account_id: str, condition: Precondition
) -> list[ScriptGuard]:
    own = [read for read in condition.reads if read.account_id == account_id]
    others = [read for read in condition.reads if read.account_id != account_id]
    unchecked = _unreadable_here(others) if others else ""
    if condition.any_of and own:
        words = ["any_holds", str(number), condition.reason, unchecked, *_read_words(own[0])]
        for read in own[1:]:
            words += ["--or", *_read_words(read)]
        return [ScriptGuard(reason=f"stops if {condition.reason}", words=words)]
    # Holds when no read prints True: the guard function's rule, one read at a time.
    calls = [
        ScriptGuard(
            reason=f"stops if {condition.reason}",
            words=["guard", str(number), condition.reason, *_read_words(read)],
        )
        for read in own
    ]
    if others:
        calls.append(ScriptGuard(reason=unchecked, words=["unchecked", str(number), unchecked]))
    return calls


def script_steps(plan: Plan, account_id: str) -> list[ScriptStep]:
    """The steps of ``account_id`` with their CLI form and cross-account ordering notes."""
    rows = []
    for number, (entry, step) in enumerate(plan.steps_for(account_id), start=1):
        acting = entry.acting_account_id
        others = tuple(dict.fromkeys(s.account_id for s in entry.steps if s.account_id != acting))
        # The bucket's account goes first; the trails' owners follow (Plan.account_order).
        before = (acting,) if acting and account_id != acting else ()
        after = others if account_id == acting else ()
        check = step.check
        argv = cli_argv(step.service, step.operation, step.parameters, step.region)
        if step.operation == "CreateJob":
            argv += ["--query", "JobId", "--output", "text"]  # run_job reads the id
        rows.append(
            ScriptStep(
                number=number,
                entry=entry,
                step=step,
                argv=argv,
                check=None if check is None else check_argv(step.service, check, step.region),
                expect="True" if check is not None and check.condition is not None else "",
                absent="" if check is None else " ".join(check.absent_codes),
                done="" if check is None else " ".join(check.done_codes),
                preconditions=tuple(
                    call
                    for condition in preconditions(entry, step)
                    for call in _script_preconditions(number, account_id, condition)
                ),
                guards=tuple(_script_guard(number, step, guard) for guard in step.guards),
                before=before,
                after=after,
            )
        )
    return rows


@functools.cache
def _default_template() -> jinja2.Template:
    return environment().get_template(TEMPLATE)


def render_script(plan: Plan, account_id: str, env: jinja2.Environment | None = None) -> str:
    """The remediation script of ``account_id`` (empty plan part: a script that does nothing)."""
    steps = script_steps(plan, account_id)
    template = env.get_template(TEMPLATE) if env is not None else _default_template()
    return template.render(
        account_id=account_id,
        account_name=plan.account_names.get(account_id),
        run_started_at=plan.run_started_at,
        steps=steps,
        total=len(steps),
        before=sorted({a for row in steps for a in row.before}),
        after=sorted({a for row in steps for a in row.after}),
        # Entries that only say what to read (a trail CloudTrail cannot deliver for): their
        # commands go in the account's script as comments.
        advice=plan.advice_for(account_id),
    )
