"""The wire format of the in-process responder (``orgscan.simulate.fakeaws``): the HTTP responses
botocore parses as AWS's own, and what the responder reads from a signed request."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

from botocore.awsrequest import AWSResponse

#: The access key ``AssumeRole`` hands out is this prefix and the account id, so that each
#: request says which account's credentials signed it.
KEY_PREFIX = "ASIAFAKE"


class _Body(bytes):
    """A response body botocore can read as if it came from a socket."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield bytes(self)


def body_text(body: Any) -> str:
    """A request body as text (botocore gives bytes, a string, or None)."""
    return body.decode() if isinstance(body, bytes) else str(body or "")


def signing_region(request: Any) -> str:
    """The region a request was sent to, from its endpoint (``service.<region>.amazonaws.com``)."""
    host = urllib.parse.urlsplit(request.url).hostname or ""
    return host.split(".")[1]


def bucket_name(url: str) -> str:
    """The bucket an S3 request names, in path style (``s3.…/bucket``) or virtual-host style."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if host.startswith("s3.") or host.startswith("s3-"):  # path style: /bucket
        return parts.path.lstrip("/").split("/", 1)[0]
    return host.partition(".s3.")[0]


def response(
    request: Any, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
) -> AWSResponse:
    """An HTTP response to ``request``."""
    all_headers: Any = {"Content-Type": content_type, "x-amzn-RequestId": "fake", **(headers or {})}
    return AWSResponse(request.url, status, all_headers, _Body(body))


def xml_reply(request: Any, namespace: str, operation: str, result: str) -> AWSResponse:
    """A query-protocol (STS) answer: ``result`` wrapped as ``<operation>Result``."""
    body = (
        f'<{operation}Response xmlns="{namespace}"><{operation}Result>{result}'
        f"</{operation}Result><ResponseMetadata><RequestId>fake</RequestId>"
        f"</ResponseMetadata></{operation}Response>"
    )
    return response(request, 200, body.encode(), "text/xml")


def json_reply(request: Any, reply: dict[str, Any]) -> AWSResponse:
    """A JSON-protocol (CloudTrail, Organizations) answer."""
    return response(request, 200, json.dumps(reply).encode(), "application/x-amz-json-1.1")


def json_error(request: Any, code: str, message: str) -> AWSResponse:
    """A JSON-protocol error."""
    body = json.dumps({"__type": code, "message": message}).encode()
    return response(request, 400, body, "application/x-amz-json-1.1")


def s3_error(request: Any, status: int, code: str, message: str) -> AWSResponse:
    """An S3 error document."""
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
        f"<Message>{message}</Message><RequestId>fake</RequestId></Error>"
    )
    return response(request, status, body.encode(), "application/xml")
