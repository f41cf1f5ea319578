"""``evidence/api-responses.jsonl.gz``: the AWS responses the verdicts rest on, as they came.

``ResponseRecorder`` is handed to ``SessionFactory``; every call made through its clients whose
operation is in ``RECORDED_OPERATIONS`` is written as one JSON line: the account whose
credentials signed it, the region, the operation, the request parameters and either the
response or the error. Lines are compressed and written as the scan goes (one lock, no list
kept in memory), so a scan of 10,000 accounts costs no more memory than one of ten. The file
is written under a temporary name and renamed when the scan is over: a crash never leaves a
half file under the real name.

A write that fails (a full disk) does not stop the scan: the recorder keeps the first error,
writes nothing more, and ``finish`` raises it naming the file, once the temporary file is gone.
The run then ends with exit 4 and an incomplete run folder, not with a traceback.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import io
import json
import os
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from orgscan.errors import InputError
from orgscan.files import file_mode, naming, private_temp
from orgscan.jsondoc import bounded_lines, parse_json_text, typed_value
from orgscan.redaction import redact

EVIDENCE_FILE = "evidence/api-responses.jsonl.gz"
#: The operations whose answers decide a finding or an account verdict (contract 3a): per
#: trail DescribeTrails, GetTrailStatus, GetEventSelectors; per bucket its Object Lock
#: configuration, versioning and owner lookup (ListBuckets, HeadBucket). Recorded by name, so
#: a reader added later (trail health) is captured as soon as it calls.
RECORDED_OPERATIONS = frozenset(
    {
        "DescribeTrails",
        "GetTrailStatus",
        "GetEventSelectors",
        "GetObjectLockConfiguration",
        "GetBucketVersioning",
        "ListBuckets",
        "HeadBucket",
        # Tamper paths (contract 5.3): identity, bucket, key and organization policies.
        "GetAccountAuthorizationDetails",
        "GetBucketPolicy",
        "GetKeyPolicy",
        "ListParents",
        "ListPoliciesForTarget",
        "DescribePolicy",
        # Names the management account, which SCPs and RCPs never bind (re-derived on verify).
        "DescribeOrganization",
        # Log files written before the lock (contract 5.4): the inventory report (its
        # configuration, the dated folders, the manifest and data files) or the sample.
        "ListBucketInventoryConfigurations",
        "ListObjectsV2",
        "GetObject",
        "ListObjectVersions",
        "HeadObject",
        # Integrity beside the lock (contract 5.2): lifecycle, public access (the bucket's
        # and, through s3control, its account's), the trail's KMS key.
        "GetBucketLifecycleConfiguration",
        "GetBucketPolicyStatus",
        "GetPublicAccessBlock",
        "DescribeKey",
        "GetKeyRotationStatus",
    }
)
# Response headers that carry a fact a verdict uses (HeadBucket's region); the others are
# transport detail and are left out.
_KEPT_HEADERS = ("x-amz-bucket-region",)


class ResponseRecorder:
    """Writes recorded calls to a gzip-compressed JSON-lines file; thread-safe.

    Nothing is written until ``start``; ``finish`` closes and renames the file.
    """

    def __init__(self, operations: frozenset[str] = RECORDED_OPERATIONS) -> None:
        self._operations = operations
        self._lock = threading.Lock()
        self._raw: IO[bytes] | None = None
        self._gzip: gzip.GzipFile | None = None
        self._tmp: Path | None = None
        self._path: Path | None = None
        self._failure: OSError | None = None
        self.records = 0

    def start(self, path: Path, within: Path | None = None) -> None:
        """Begin writing into ``path`` (through a temporary file next to it; no folder between
        ``within``, the run folder, and it may be a symbolic link). ``OSError`` naming the file
        when it cannot be created."""
        try:
            fd, tmp = private_temp(path, within)
        except OSError as exc:
            raise naming(exc, path) from None
        with self._lock:
            self._raw = os.fdopen(fd, "wb")
            self._tmp, self._path, self._failure = tmp, path, None
            try:
                # mtime 0 and no file name in the header: the bytes depend only on the records.
                self._gzip = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0)
            except OSError as exc:
                self._failure = naming(exc, path)

    def wants(self, operation: str) -> bool:
        """True when calls of ``operation`` are recorded (and recording has started)."""
        return self._gzip is not None and operation in self._operations

    def record(
        self,
        account_id: str,
        region: str,
        operation: str,
        params: Mapping[str, Any],
        response: Mapping[str, Any] | None,
        error: ClientError | None,
    ) -> None:
        """Write one call: its response, or the error AWS answered."""
        line = {
            "account_id": account_id,
            "region": region,
            "operation": operation,
            "request": dict(params),
            "response": _clean_response(response)
            if error is None and response is not None
            else None,
            "error": _error_of(error) if error is not None else None,
        }
        # Credentials never reach a request's parameters (they travel in the signing
        # context), but an echoed error message might carry a token: redact the whole line.
        data = (
            redact(
                json.dumps(line, default=_json_default, ensure_ascii=False, sort_keys=True)
            ).encode("utf-8")
            + b"\n"
        )
        with self._lock:
            if self._gzip is not None and self._path is not None and self._failure is None:
                try:
                    self._gzip.write(data)
                except OSError as exc:
                    # Called from the scan's workers: the scan goes on, the run fails at the end.
                    self._failure = naming(exc, self._path)
                    return
                self.records += 1

    def finish(self) -> Path | None:
        """Close the file and give it its real name; return it (None if never started).

        ``OSError`` naming the file when a record or the closing could not be written: the
        temporary file is removed first."""
        with self._lock:
            if self._raw is None or self._tmp is None or self._path is None:
                return None
            try:
                if self._failure is not None:
                    raise self._failure
                assert self._gzip is not None
                self._gzip.close()
                self._raw.flush()
                os.fsync(self._raw.fileno())
                self._raw.close()
                os.chmod(self._tmp, file_mode())
                os.replace(self._tmp, self._path)
            except OSError as exc:
                self._discard()
                raise naming(exc, self._path) from None
            path, self._gzip, self._raw, self._tmp = self._path, None, None, None
            return path

    def abandon(self) -> None:
        """Close and delete an unfinished file (the run failed before it was written); never
        raises, as it runs while another error is on its way to the user."""
        with self._lock:
            self._discard()

    def _discard(self) -> None:
        # A full disk makes closing fail again (the compressor's tail, the buffered bytes):
        # the descriptor is closed all the same, and the file must go.
        for stream in (self._gzip, self._raw):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        if self._tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                self._tmp.unlink()
        self._gzip = self._raw = self._tmp = None


def _clean_response(response: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = {key: value for key, value in response.items() if key != "ResponseMetadata"}
    if isinstance(cleaned.get("Body"), StreamingBody):  # read by _body_read: kept whole
        cleaned["Body"] = _peek(cleaned["Body"])
    metadata = response.get("ResponseMetadata") or {}
    kept = _kept_metadata(metadata)
    if kept:
        cleaned["ResponseMetadata"] = kept
    return cleaned


def _peek(body: StreamingBody) -> bytes:
    """The bytes of a body ``_body_read`` made, left readable from the start."""
    stream = getattr(body, "_raw_stream", None)  # the BytesIO _body_read gave it
    return stream.getvalue() if isinstance(stream, io.BytesIO) else b""


def _kept_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    # The request id ties the answer to AWS's own records; the status and a few headers are
    # facts the scan used. Host ids, dates and the rest are left out.
    kept: dict[str, Any] = {}
    for key in ("RequestId", "HTTPStatusCode"):
        if metadata.get(key) is not None:
            kept[key] = metadata[key]
    headers = metadata.get("HTTPHeaders") or {}
    picked = {name: headers[name] for name in _KEPT_HEADERS if name in headers}
    if picked:
        kept["HTTPHeaders"] = picked
    return kept


def _error_of(error: ClientError) -> dict[str, Any]:
    body = error.response.get("Error") or {}
    return {
        "Code": str(body.get("Code") or ""),
        "Message": redact(str(body.get("Message") or "")),
        "ResponseMetadata": _kept_metadata(error.response.get("ResponseMetadata") or {}),
    }


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


#: The longest line read back. The largest the scan writes is a ListBuckets page of 1,000
#: buckets, about 150 KB; a line is refused once it grows past this, before it is held whole.
MAX_RECORD_BYTES = 8 * 1024 * 1024
#: The most an evidence file may expand to. 10,000 accounts write about 100 MB.
MAX_EVIDENCE_BYTES = 2 * 1024 * 1024 * 1024


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """Every record of an evidence file, one at a time, each with the fields ``record`` writes
    and of their types; ``ValueError`` (one line) for a damaged or implausible file.

    The file is decompressed a chunk at a time and each line parsed by the bounded JSON reader:
    the file may have been changed by anyone who could write the run folder.
    """
    try:
        with gzip.open(path, "rb") as handle:
            lines = bounded_lines(
                handle,
                "decompressed",
                InputError,
                max_line_bytes=MAX_RECORD_BYTES,
                max_total_bytes=MAX_EVIDENCE_BYTES,
            )
            for number, line in lines:
                where = f"line {number}"
                try:
                    text = line.decode("utf-8")
                except UnicodeDecodeError:
                    raise ValueError(f"{where}: not UTF-8") from None
                yield _typed_record(parse_json_text(text, where, InputError), where)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"cannot be read ({exc})") from None


def _typed_record(raw: Any, where: str) -> dict[str, Any]:
    """``raw`` when it is a recorded call: every field ``record`` writes, of its type."""
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: not a recorded call")
    try:
        for key in ("account_id", "region", "operation"):
            typed_value(raw, key, str)
        typed_value(raw, "request", dict, expected="an object")
        typed_value(raw, "response", dict, optional=True, expected="an object or null")
        error = typed_value(raw, "error", dict, optional=True, expected="an object or null")
        if error is not None:
            typed_value(error, "Code", str)
            typed_value(error, "Message", str)
            typed_value(error, "ResponseMetadata", dict, expected="an object")
    except KeyError as exc:
        raise ValueError(f"{where}: not a recorded call (no {exc})") from None
    except TypeError as exc:
        raise ValueError(f"{where}: {exc}") from None
    return raw


def recorded_call(
    call: Callable[..., Any],
    recorder: ResponseRecorder,
    account_id: str,
    meta: Any,
    method_name: str,
) -> Callable[..., Any]:
    """``call`` (a client method bound to an account), recording its answer when ``recorder``
    wants its operation; ``meta`` is the client's (operation names, region)."""
    operation = meta.method_to_api_mapping.get(method_name, "")
    if not recorder.wants(operation):
        return call
    region = str(meta.region_name)

    def recording(**kwargs: Any) -> Any:
        try:
            reply = call(**kwargs)
        except ClientError as exc:
            recorder.record(account_id, region, operation, kwargs, None, exc)
            raise
        if operation == "GetObject":
            reply = _body_read(reply)
        recorder.record(account_id, region, operation, kwargs, reply, None)
        return reply

    return recording


def _body_read(reply: Any) -> Any:
    """A GetObject answer whose body is read into memory, so that the record holds the
    content (base64) and the caller still reads it as a stream. Only what the scan reads
    whole is fetched this way (inventory manifests and bounded data files)."""
    body = reply.get("Body")
    if body is None or not hasattr(body, "read"):
        return reply
    data = body.read()
    return {**reply, "Body": StreamingBody(io.BytesIO(data), len(data))}


def recorded_paginator(
    paginator: Any, recorder: ResponseRecorder, account_id: str, meta: Any, method_name: str
) -> Any:
    """``paginator``, recording every page (``request.page`` counts from 0) and the error of
    a failing page, when ``recorder`` wants its operation."""
    operation = meta.method_to_api_mapping.get(method_name, "")
    if not recorder.wants(operation):
        return paginator
    return _RecordedPaginator(paginator, recorder, account_id, str(meta.region_name), operation)


class _RecordedPaginator:
    def __init__(
        self,
        paginator: Any,
        recorder: ResponseRecorder,
        account_id: str,
        region: str,
        operation: str,
    ) -> None:
        self._paginator = paginator
        self._recorder = recorder
        self._where = (account_id, region, operation)

    def paginate(self, **kwargs: Any) -> Iterator[Any]:
        pages = iter(self._paginator.paginate(**kwargs))
        number = 0
        while True:
            params = {**kwargs, "page": number}
            try:
                page = next(pages)
            except StopIteration:
                return
            except ClientError as exc:
                self._recorder.record(*self._where, params, None, exc)
                raise
            self._recorder.record(*self._where, params, page, None)
            number += 1
            yield page
