"""``orgscan watch --once`` end to end in moto: demo organization, base scan, a change and its
event on the queue, then an incremental run that verifies and says what changed."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import boto3
from typer.testing import CliRunner

from orgscan.cli import app
from orgscan.cli.watch_cmd import _terminate_sets
from orgscan.diff import load_diff
from orgscan.evidence.recompute import recompute_run
from orgscan.findings import load_run
from orgscan.model import AccountVerdictCode, ReasonCode, RunKind
from orgscan.runs.folder import resolve_latest
from orgscan.runs.history import run_folders
from orgscan.watch.loop import Message, Watcher
from tests.watch.cloudtrail_events import (
    body,
    disable_key,
    put_object_lock_configuration,
    stop_logging,
)
from tests.watch.world import event_queue, queued, watched_demo


def _watch_once(queue_url: str, output: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        app,
        [
            "watch",
            "--queue-url",
            queue_url,
            "--output-dir",
            str(output),
            "--once",
            "--wait-seconds",
            "1",
            "--debounce",
            "0",
        ],
    )
    return result.exit_code, result.output


def _through_the_bus(event: dict[str, object], queue_url: str) -> None:
    """Deliver ``event`` as the templates do: a rule on the central bus sends it to SQS."""
    events = boto3.client("events", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    bus = events.create_event_bus(Name="orgscan-central")["EventBusArn"]
    events.put_rule(
        Name="to-queue",
        EventBusName="orgscan-central",
        EventPattern=json.dumps({"detail-type": ["AWS API Call via CloudTrail"]}),
    )
    events.put_targets(
        Rule="to-queue",
        EventBusName="orgscan-central",
        Targets=[{"Id": "queue", "Arn": arn["Attributes"]["QueueArn"]}],
    )
    reply = events.put_events(
        Entries=[
            {
                "EventBusName": bus,
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
            }
        ]
    )
    assert reply["FailedEntryCount"] == 0


def _without_ids_and_times(run_dir: Path) -> dict[str, object]:
    document = json.loads((run_dir / "findings.json").read_text())
    for key in ("run_id", "started_at", "finished_at", "command", "host"):
        document["run"].pop(key)
    for finding in document["findings"]:
        # moto answers a logging trail's last delivery with the second it is asked.
        finding.pop("latest_delivery_time")
    return document


def test_a_stopped_trail_on_the_queue_becomes_a_verified_incremental_run(tmp_path):
    output = tmp_path / "runs"
    with watched_demo(output) as world:
        base = world.full_scan()
        log_archive = world.simulated.log_archive_account_id
        queue_url = event_queue(world)
        world.client("cloudtrail", "log-archive").stop_logging(Name="log-archive-trail")
        # moto's copy of the event through the bus has no envelope account: the detail's
        # recipientAccountId names it, as in AWS.
        _through_the_bus(stop_logging("log-archive-trail", account=log_archive), queue_url)

        code, output_text = _watch_once(queue_url, output)
        assert code == 0, output_text
        run_dir = resolve_latest(output)
        assert run_dir is not None
        assert run_dir != base.run_dir
        assert queued(queue_url) == 0  # deleted once the folder was sealed
        assert (
            f"StopLogging in {log_archive}/us-east-1 on trail log-archive-trail -> rescanned "
            f"{log_archive} -> run {run_dir.name}: {log_archive} NOT_RECORDED"
        ) in output_text

        result = load_run(run_dir)
        assert result.run.kind is RunKind.INCREMENTAL
        assert result.run.based_on == base.run_dir.name
        verdicts = {a.account_id: a.verdict_code for a in result.accounts}
        assert verdicts[log_archive] is AccountVerdictCode.NOT_RECORDED
        assert recompute_run(run_dir) == []
        diff = load_diff(run_dir)
        assert diff is not None
        assert diff.old.folder == base.run_dir.name
        [entry] = [e for e in diff.accounts if e.account_id == log_archive]
        assert (entry.verdict_code_old, entry.verdict_code_new) == ("PROTECTED", "NOT_RECORDED")

        # The same event again (at least once delivery): the same content, ids and times aside.
        sqs = boto3.client("sqs", region_name="us-east-1")
        sqs.send_message(
            QueueUrl=queue_url,
            MessageBody=body(stop_logging("log-archive-trail", account=log_archive)),
        )
        code, _ = _watch_once(queue_url, output)
        assert code == 0
        again = resolve_latest(output)
        assert again is not None
        assert again != run_dir
        assert load_run(again).run.based_on == run_dir.name
        first, second = _without_ids_and_times(run_dir), _without_ids_and_times(again)
        assert first["findings"] == second["findings"]
        assert first["accounts"] == second["accounts"]


def test_a_shorter_retention_unprotects_every_account_writing_to_the_bucket(tmp_path):
    output = tmp_path / "runs"
    with watched_demo(output) as world:
        base = world.full_scan()
        log_archive = world.simulated.log_archive_account_id
        queue_url = event_queue(world)
        [central] = {t.bucket_name for t in world.simulated.trails if t.name == "log-archive-trail"}
        world.client("s3", "log-archive").put_object_lock_configuration(
            Bucket=central,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}},
            },
        )
        sqs = boto3.client("sqs", region_name="us-east-1")
        sqs.send_message(
            QueueUrl=queue_url,
            MessageBody=body(put_object_lock_configuration(central, 1, account=log_archive)),
        )
        sqs.send_message(QueueUrl=queue_url, MessageBody="{not an event")

        code, output_text = _watch_once(queue_url, output)
        assert code == 0, output_text
        assert "malformed: not JSON; left for the dead-letter queue" in output_text
        assert queued(queue_url) == 1  # the malformed one stays for the dead-letter queue

    run_dir = resolve_latest(output)
    assert run_dir is not None
    assert run_dir != base.run_dir
    result = load_run(run_dir)
    on_central = [f for f in result.findings if f.bucket_name == central]
    # The organization trail, log-archive's and identity-prod's trails all deliver there.
    assert len(on_central) == 3
    assert {f.reason_code for f in on_central} == {ReasonCode.RETENTION_TOO_SHORT}
    assert {f.retention_days for f in on_central} == {1}
    verdicts = {a.account_id: a.verdict_code for a in result.accounts}
    assert verdicts[log_archive] is AccountVerdictCode.UNPROTECTED
    assert recompute_run(run_dir) == []
    diff = load_diff(run_dir)
    assert diff is not None
    assert {e.trail_arn for e in diff.entries if e.diff_class.value == "new_failure"} == {
        f.trail_arn for f in on_central
    }


def test_a_disabled_key_rescans_the_key_owner_and_leaves_a_verified_run(tmp_path):
    output = tmp_path / "runs"
    with watched_demo(output) as world:
        base = world.full_scan()
        log_archive = world.simulated.log_archive_account_id
        queue_url = event_queue(world)
        # The demo has no trail key: this world adds one in log-archive and disables it.
        kms = world.client("kms", "log-archive")
        key = kms.create_key(Description="trail logs")["KeyMetadata"]
        kms.disable_key(KeyId=key["KeyId"])
        boto3.client("sqs", region_name="us-east-1").send_message(
            QueueUrl=queue_url, MessageBody=body(disable_key(key["Arn"], account=log_archive))
        )
        code, output_text = _watch_once(queue_url, output)
        assert code == 0, output_text
        assert f"DisableKey in {log_archive}/us-east-1 on key {key['Arn']} -> rescanned " in (
            output_text
        )
        assert queued(queue_url) == 0

    run_dir = resolve_latest(output)
    assert run_dir is not None
    assert run_dir != base.run_dir
    assert recompute_run(run_dir) == []
    result = load_run(run_dir)
    assert result.run.kind is RunKind.INCREMENTAL
    assert {a.account_id for a in result.accounts if a.scanned} == {
        a.account_id for a in base.result.accounts if a.scanned
    }


def test_once_on_an_empty_queue_exits_0_within_the_wait_and_writes_nothing(tmp_path):
    output = tmp_path / "runs"
    with watched_demo(output) as world:
        world.full_scan()
        queue_url = event_queue(world)
        began = time.monotonic()
        code, output_text = _watch_once(queue_url, output)
        took = time.monotonic() - began
    assert code == 0, output_text
    assert "0 incremental runs written" in output_text
    assert len(run_folders(output)) == 1
    assert took < 15  # one base check and one 1-second poll


def test_watch_without_a_base_run_is_bad_input(tmp_path):
    code, output_text = _watch_once("https://sqs.us-east-1.amazonaws.com/1/q", tmp_path)
    assert code == 2
    assert "no run to update" in output_text


class _OneMessageThenTerm:
    """A queue whose first poll returns one event and, meanwhile, SIGTERM arrives."""

    def __init__(self, message: Message, stop: threading.Event) -> None:
        self.message, self.stop = message, stop
        self.polls = 0
        self.deleted: list[Message] = []

    def receive(self, wait_seconds: int) -> list[Message]:
        self.polls += 1
        self.stop.set()
        return [self.message] if self.polls == 1 else []

    def delete(self, messages: Sequence[Message]) -> None:
        self.deleted.extend(messages)


def test_sigterm_finishes_the_run_folder_deletes_its_messages_and_stops(tmp_path):
    output = tmp_path / "runs"
    with watched_demo(output) as world:
        world.full_scan()
        log_archive = world.simulated.log_archive_account_id
        world.client("cloudtrail", "log-archive").stop_logging(Name="log-archive-trail")
        stop = threading.Event()
        event = Message("m-1", "r-1", body(stop_logging("log-archive-trail", account=log_archive)))
        queue = _OneMessageThenTerm(event, stop)
        summary = Watcher(queue, world.rescanner(), debounce=30).run(stop)
    assert queue.polls == 1  # no debounce wait and no further poll once stopped
    assert queue.deleted == [event]
    [run_dir] = summary.runs
    assert resolve_latest(output) == run_dir
    assert (run_dir / "manifest.json").is_file()


def test_sigterm_sets_the_watch_stop_flag():
    stop = threading.Event()
    with _terminate_sets(stop):
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.wait(5)
