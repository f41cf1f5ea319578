"""The Lambda handler: an SQS batch in, ``batchItemFailures`` out, the run sealed first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orgscan.cli import lambda_handler
from orgscan.evidence.recompute import recompute_run
from orgscan.findings import load_run
from orgscan.model import AccountVerdictCode, RunKind
from orgscan.runs.folder import resolve_latest
from tests.watch.cloudtrail_events import body, stop_logging
from tests.watch.world import watched_demo


@pytest.fixture
def fresh_handler() -> Iterator[None]:
    lambda_handler._rescanner.cache_clear()
    yield
    lambda_handler._rescanner.cache_clear()


def _record(message_id: str, text: str) -> dict[str, object]:
    # The record shape of an SQS event source mapping (Lambda developer guide, "Using Lambda
    # with Amazon SQS"), trimmed to what the handler reads plus the usual neighbours.
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": text,
        "attributes": {"ApproximateReceiveCount": "1"},
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:orgscan-watch-events",
        "awsRegion": "us-east-1",
    }


@pytest.mark.usefixtures("fresh_handler")
def test_the_handler_seals_a_run_and_names_only_the_records_to_retry(tmp_path, monkeypatch):
    output = tmp_path / "runs"
    monkeypatch.setenv("ORGSCAN_OUTPUT_DIR", str(output))
    monkeypatch.delenv("ORGSCAN_CONFIG", raising=False)
    with watched_demo(output) as world:
        base = world.full_scan()
        log_archive = world.simulated.log_archive_account_id
        world.client("cloudtrail", "log-archive").stop_logging(Name="log-archive-trail")
        event = {
            "Records": [
                _record("good", body(stop_logging("log-archive-trail", account=log_archive))),
                _record("bad", "{not json"),
            ]
        }
        response = lambda_handler.handler(event, None)

    assert response == {"batchItemFailures": [{"itemIdentifier": "bad"}]}
    run_dir = resolve_latest(output)
    assert run_dir is not None
    assert run_dir != base.run_dir
    assert (run_dir / "manifest.json").is_file()
    result = load_run(run_dir)
    assert result.run.kind is RunKind.INCREMENTAL
    assert {a.account_id: a.verdict_code for a in result.accounts}[
        log_archive
    ] is AccountVerdictCode.NOT_RECORDED
    assert recompute_run(run_dir) == []


@pytest.mark.usefixtures("fresh_handler")
def test_without_a_base_run_every_record_is_retried(tmp_path, monkeypatch):
    monkeypatch.setenv("ORGSCAN_OUTPUT_DIR", str(tmp_path))
    monkeypatch.delenv("ORGSCAN_CONFIG", raising=False)
    event = {"Records": [_record("a", body(stop_logging("t", account="111111111111")))]}
    with watched_demo(tmp_path):
        response = lambda_handler.handler(event, None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "a"}]}
