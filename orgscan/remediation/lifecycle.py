"""The LIFECYCLE fix (contract §5.2): the lifecycle expirations that delete a trail's log files
sooner than they must be kept (the policy's minimum, or the bucket's default retention when
longer: the check's FAIL and WARN) are raised to that, inside the bucket's live lifecycle
configuration.

``PutBucketLifecycleConfiguration`` replaces every rule of the bucket, and which rules reach the
log files depends on each trail's ``S3KeyPrefix``, which findings.json does not record. So the
plan names the bucket, its owner, the trails and the minimum (``Step.minimum_days``), and the
document is made when the step runs (``lifecycle_merge``): each trail is read by its owner
(``GetTrail``; only those still delivering to the bucket count), then the bucket's lifecycle.
On every enabled rule that reaches a trail's log files (``rule_reaches``: the check's own
test), an ``Expiration.Days`` or ``NoncurrentVersionExpiration.NoncurrentDays`` shorter than
the minimum becomes the minimum. Everything else goes back as it was, merged by rule ID: other
rules, other fields, rules on other prefixes, expirations on a date (advice only: which date is
the owner's call), expired delete marker clean-up, and expirations already as long. Nothing
shorter left, or no lifecycle configuration at all, is "already done": a plan older than a
longer expiration leaves it.

A script has only the AWS CLI: the same merge is a JMESPath query on
``get-bucket-lifecycle-configuration`` whose output is the input of
``put-bucket-lifecycle-configuration`` (``script_words``).
"""

from __future__ import annotations

from orgscan.remediation.plan_model import Service, Step

OPERATION = "PutBucketLifecycleConfiguration"
#: The expirations a rule may set in days, as (field, key); a date or the delete-marker
#: clean-up is something else.
DAYS_FIELDS = (("Expiration", "Days"), ("NoncurrentVersionExpiration", "NoncurrentDays"))


def lifecycle_step(
    owner: str, region: str, bucket: str, minimum: int, fixes: tuple[str, ...]
) -> Step:
    """Raise the expirations of ``bucket`` that reach the log files of the trails ``fixes``
    to ``minimum`` days, by the bucket's owner in its region."""
    return Step(
        account_id=owner,
        region=region,
        service=Service.S3,
        operation=OPERATION,
        parameters={"Bucket": bucket, "ExpectedBucketOwner": owner},
        description=(
            f"Raise every expiration of bucket {bucket}'s enabled lifecycle rules that reach "
            f"the trails' log files to at least {minimum} days, keeping every other rule and "
            "field as it is."
        ),
        fixes=fixes,
        minimum_days=minimum,
    )


def lifecycle_explanation(
    bucket: str, owner: str, region: str, minimum: int, shortest: int | None
) -> str:
    """What the step changes, as known from the findings: the shortest expiration before and
    ``minimum`` (the days the log files must be kept) after, with the commands that read and
    write the configuration."""
    read = (
        f"aws s3api get-bucket-lifecycle-configuration --bucket {bucket} "
        f"--expected-bucket-owner {owner} --region {region}"
    )
    text = (
        f"A lifecycle rule of bucket {bucket} deletes log files after {shortest} days; they "
        f"must be kept {minimum} days (the policy's minimum or the bucket's default retention, "
        "the longer). Every Expiration.Days and "
        f"NoncurrentVersionExpiration.NoncurrentDays of an enabled rule reaching the trails' "
        f"log files goes from {shortest} (or whatever below {minimum} it is by then) to "
        f"{minimum} days, merged by rule ID into the live configuration (the rule IDs are read "
        "then): every other rule and field is kept, and a longer expiration is left. Read it "
        f"with: {read}. It is written with: aws s3api put-bucket-lifecycle-configuration "
        f"--bucket {bucket} --expected-bucket-owner {owner} --cli-input-json <the merged "
        f"configuration> --region {region}."
    )
    if shortest == 0:
        text += (
            " A rule expires them on a date: orgscan leaves dates alone; move that date or "
            "remove the expiration by hand."
        )
    return text


# ---------------------------------------------------------------------- the script

#: In ``reach_query``: where the script puts a trail's log folder (checked to need no escape).
LOGS_MARK = "@LOGS@"
#: In the done and merge queries: where the script puts the reach tests of its trails, joined
#: by ``||``.
REACHES_MARK = "@REACHES@"
# The rule's prefix and whether it needs tags, as collect.integrity._filter reads them (valid
# rules have either a Filter or the legacy Prefix, never both).
_RULE_PREFIX = "(Filter.And.Prefix || Filter.Prefix || Prefix || '')"
_TAGGED = "(Filter.And.Tags || Filter.Tag)"


def reach_query() -> str:
    """JMESPath, on one rule: true when its prefix reaches the log folder ``LOGS_MARK``."""
    logs = f"'{LOGS_MARK}'"
    return f"(starts_with({logs}, {_RULE_PREFIX}) || starts_with({_RULE_PREFIX}, {logs}))"


def _number(value: int) -> str:
    # No backquotes: bash would read them as command substitution in the script's words.
    return f"to_number('{value}')"


def _reaching() -> str:
    return f"Status == 'Enabled' && !{_TAGGED} && ({REACHES_MARK})"


def done_query(minimum: int) -> str:
    """JMESPath on GetBucketLifecycleConfiguration: true when no enabled rule reaching the log
    folders expires anything in fewer than ``minimum`` days."""
    below = " || ".join(f"{field}.{key} < {_number(minimum)}" for field, key in DAYS_FIELDS)
    return f"!(Rules[?{_reaching()} && ({below})])"


def merge_query(minimum: int) -> str:
    """JMESPath on GetBucketLifecycleConfiguration: the ``--cli-input-json`` of
    put-bucket-lifecycle-configuration (without the bucket), every expiration reaching the log
    folders shorter than ``minimum`` raised to it, everything else as it was."""
    days = _number(minimum)
    # JMESPath has no empty object (but in backquotes, which bash would expand): where nothing
    # changes, a rule is merged with its own Status, the document with a key set again later.
    raises = ", ".join(
        f"({_reaching()} && {field}.{key} < {days} && {{{field}: merge({field}, {{{key}: "
        f"{days}}})}}) || {{Status: Status}}"
        for field, key in DAYS_FIELDS
    )
    size = "TransitionDefaultMinimumObjectSize"
    return (
        f"merge(({size} && {{{size}: {size}}}) || {{LifecycleConfiguration: Rules}}, "
        f"{{LifecycleConfiguration: {{Rules: Rules[*].merge(@, {raises})}}}})"
    )


def script_words(step: Step) -> list[str]:
    """The arguments of the script's ``lifecycle_raise`` for ``step``: step-independent reads
    and queries, then each trail's ARN and home region."""
    minimum = step.minimum_days or 0
    words = [
        step.region,
        str(step.parameters["Bucket"]),
        str(step.parameters["ExpectedBucketOwner"]),
        reach_query(),
        done_query(minimum),
        merge_query(minimum),
    ]
    for arn in step.fixes:
        words += [arn, arn.split(":")[3]]
    return words
