"""The watch as an SQS event source mapping's Lambda function sees it: a batch of records in,
the records to retry out (``batchItemFailures``, with ``ReportBatchItemFailures`` on the
mapping).

Lambda deletes the records not named; those named come back and, after the queue's
``maxReceiveCount``, go to its dead-letter queue. So every record ``handle_batch`` leaves — an
event orgscan cannot act on, or a rescan that failed — is named, and the run folder is sealed
before the function returns, as the watch deletes only after the seal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from orgscan.watch.incremental import Rescanner
from orgscan.watch.loop import Message, handle_batch


def batch_item_failures(
    event: Mapping[str, Any], rescanner: Rescanner, say: Callable[[str], None]
) -> dict[str, list[dict[str, str]]]:
    """Handle the SQS records of a Lambda ``event`` as one incremental run; the response
    naming every record to retry."""
    records = event.get("Records")
    if not isinstance(records, list):
        records = []
    messages = [_message(record) for record in records if isinstance(record, dict)]
    outcome = handle_batch(messages, rescanner, say)
    return {"batchItemFailures": [{"itemIdentifier": m.message_id} for m in outcome.left]}


def _message(record: Mapping[str, Any]) -> Message:
    """One SQS record of a Lambda event; a body that is not text reads as malformed."""
    body = record.get("body")
    return Message(
        message_id=str(record.get("messageId", "")),
        receipt=str(record.get("receiptHandle", "")),
        body=body if isinstance(body, str) else "",
    )
