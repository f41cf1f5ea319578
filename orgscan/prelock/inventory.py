"""An exact count from the bucket's latest S3 Inventory report, when it lists retention.

A report is used when an enabled inventory configuration of the bucket writes CSV with the
``ObjectLockMode`` and ``ObjectLockRetainUntilDate`` fields. S3 delivers it under
``<destination prefix>/<source bucket>/<configuration id>/<YYYY-MM-DDTHH-MMZ>/manifest.json``;
the manifest names the gzip-compressed CSV data files (no header row, every value quoted, keys
URL-encoded) and ``fileSchema`` their columns. The latest dated folder is read. Anything that
makes the report unusable here -- no such configuration, ORC or Parquet, a manifest or data
file that cannot be read, or data files over the bounds below (each file is recorded whole
as evidence) -- answers None, and the caller samples instead.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import re
import zlib
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from botocore.exceptions import BotoCoreError, ClientError

from orgscan.prelock.times import iso, moment, protected
from orgscan.prelock_count import Prelock, PrelockSource

log = logging.getLogger(__name__)

RETENTION_FIELDS = frozenset({"ObjectLockMode", "ObjectLockRetainUntilDate"})
#: Bounds on what is read (and recorded as evidence): files of a manifest, bytes of each.
MAX_DATA_FILES = 20
MAX_DATA_FILE_BYTES = 4 * 1024 * 1024
#: A data file may expand to this much CSV; more is refused (a compression bomb).
MAX_DATA_TEXT_BYTES = 64 * 1024 * 1024
_DATED = re.compile(r"(?:^|/)(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}Z)/$")


class _Unusable(Exception):
    """The report cannot give the count; the message says why (for the log)."""


def from_inventory(
    client: Any, bucket: str, prefixes: tuple[str, ...], started: datetime
) -> Prelock | None:
    """The exact count of the latest usable inventory report of ``bucket``; None when there
    is none (the caller then samples)."""
    try:
        location = _configured_report(client, bucket)
        if location is None:
            return None
        rows = _rows(client, *location)
        return _count(rows, prefixes, started)
    except _Unusable as exc:
        log.info("bucket %s: inventory report not used: %s", bucket, exc)
    except (ClientError, BotoCoreError) as exc:
        log.info("bucket %s: inventory report not read (%s); sampling instead", bucket, exc)
    return None


def _configured_report(client: Any, bucket: str) -> tuple[str, str] | None:
    """(destination bucket, folder holding the dated reports) of the first enabled CSV
    configuration with the retention fields, by id; None without one."""
    reply = client.list_bucket_inventory_configurations(Bucket=bucket)
    configs = [c for c in reply.get("InventoryConfigurationList") or [] if isinstance(c, dict)]
    for config in sorted(configs, key=lambda c: str(c.get("Id"))):
        destination = (config.get("Destination") or {}).get("S3BucketDestination") or {}
        if (
            config.get("IsEnabled") is True
            and set(config.get("OptionalFields") or []) >= RETENTION_FIELDS
            and destination.get("Format") == "CSV"
            and isinstance(destination.get("Bucket"), str)
        ):
            target = destination["Bucket"].rsplit(":", 1)[-1]  # arn:aws:s3:::name
            prefix = str(destination.get("Prefix") or "").strip("/")
            folder = "/".join(part for part in (prefix, bucket, str(config.get("Id"))) if part)
            return target, folder + "/"
    return None


def _rows(client: Any, target: str, folder: str) -> list[dict[str, str]]:
    """Every row of the latest report under ``folder`` of ``target``, by column name."""
    listing = client.list_objects_v2(Bucket=target, Prefix=folder, Delimiter="/")
    dated = sorted(
        entry["Prefix"]
        for entry in listing.get("CommonPrefixes") or []
        if isinstance(entry, dict) and _DATED.search(str(entry.get("Prefix")))
    )
    if not dated:
        raise _Unusable(f"no report delivered under s3://{target}/{folder}")
    manifest = _json(_body(client, target, dated[-1] + "manifest.json"))
    if manifest.get("fileFormat") != "CSV":
        raise _Unusable(f"format {manifest.get('fileFormat')!r}, not CSV")
    columns = [name.strip() for name in str(manifest.get("fileSchema") or "").split(",")]
    files = [f for f in manifest.get("files") or [] if isinstance(f, dict)]
    if not set(columns) >= RETENTION_FIELDS or "Key" not in columns:
        raise _Unusable("the report's columns lack the key or the retention fields")
    if len(files) > MAX_DATA_FILES or any(
        not isinstance(f.get("size"), int) or f["size"] > MAX_DATA_FILE_BYTES for f in files
    ):
        raise _Unusable(f"more than {MAX_DATA_FILES} data files or one over the size bound")
    rows: list[dict[str, str]] = []
    for entry in files:
        text = _gunzip(_body(client, target, str(entry.get("key"))))
        for values in csv.reader(io.StringIO(text)):
            rows.append(dict(zip(columns, values, strict=False)))
    return rows


def _count(rows: list[dict[str, str]], prefixes: tuple[str, ...], started: datetime) -> Prelock:
    unprotected: list[datetime] = []
    kept: list[datetime] = []
    for row in rows:
        key = unquote_plus(row.get("Key", ""))
        if not key.startswith(prefixes) or row.get("IsDeleteMarker", "").lower() == "true":
            continue
        created = moment(row.get("LastModifiedDate")) or datetime.min.replace(tzinfo=started.tzinfo)
        is_kept = protected(
            row.get("ObjectLockMode"), row.get("ObjectLockRetainUntilDate"), started
        )
        (kept if is_kept else unprotected).append(created)
    return Prelock(
        PrelockSource.INVENTORY,
        checked=len(unprotected) + len(kept),
        unprotected=len(unprotected),
        oldest_unprotected=iso(min(unprotected)) if unprotected else None,
        oldest_protected=iso(min(kept)) if kept else None,
        prefixes=prefixes,
    )


def _body(client: Any, bucket: str, key: str) -> bytes:
    reply = client.get_object(Bucket=bucket, Key=key)
    body = reply.get("Body")
    data = body.read() if hasattr(body, "read") else body
    if not isinstance(data, bytes):
        raise _Unusable(f"s3://{bucket}/{key} answered no content")
    return data


def _json(data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _Unusable(f"manifest is not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise _Unusable("manifest is not a JSON object")
    return document


def _gunzip(data: bytes) -> str:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            text = stream.read(MAX_DATA_TEXT_BYTES + 1)
        if len(text) > MAX_DATA_TEXT_BYTES:
            raise _Unusable("a data file expands beyond the size bound")
        return text.decode("utf-8")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise _Unusable(f"data file is not gzip-compressed UTF-8 CSV ({exc})") from None
