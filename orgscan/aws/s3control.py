"""s3control clients that also work against an endpoint given as an IP address.

s3control puts the account id in front of the endpoint's host (``<account>.s3-control.<region>
.amazonaws.com``), also for a custom endpoint (``AWS_ENDPOINT_URL``). In front of an IP address
that label can never resolve (``123456789012.127.0.0.1``), so the request goes to the address
itself; the account travels in the ``x-amz-account-id`` header all the same.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from typing import Any


def send_to_ip_endpoints(client: Any) -> None:
    """Make ``client`` (s3control) drop the account label before an IP address host."""
    client.meta.events.register_first("before-sign.s3-control.*", _drop_account_label)


def _drop_account_label(request: Any, **_kwargs: Any) -> None:
    parts = urllib.parse.urlsplit(request.url)
    label, _, rest = str(parts.hostname or "").partition(".")
    try:
        ipaddress.ip_address(rest)
    except ValueError:
        return  # a name: AWS's own endpoints, or a custom one that resolves the label
    request.url = request.url.replace(f"{label}.{rest}", rest, 1)
