"""Run against moto: the in-process mock the demo needs, and seeding for repeatable ids.

moto draws account ids, organization and OU ids from one random generator. Seeding it right
before an organization is built makes every id and ARN the same on every run, in-process or in a
moto server (which exposes the seed at ``POST /moto-api/seed?a=N``).
"""

from __future__ import annotations

import os
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from orgscan.errors import InputError

#: The seed of the demo organization; any fixed number works, this one is simply ours.
DEMO_SEED = 20261127
#: Variables that would send an in-process mock's requests elsewhere or pick other credentials.
CLEARED_AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    # moto would answer every request as this one account: no per-account isolation left.
    "MOTO_ACCOUNT_ID",
)


def seed_moto(seed: int, endpoint_url: str | None = None) -> None:
    """Seed moto's random generator: the in-process one, or a moto server's at ``endpoint_url``.

    ``endpoint_url`` defaults to ``AWS_ENDPOINT_URL`` when that is set (the caller talks to a
    server), else the in-process generator is seeded.
    """
    endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        from moto.moto_api._internal import mock_random

        mock_random.seed(seed)
        return
    _post(endpoint, f"/moto-api/seed?a={int(seed)}")


def reset_moto_server(endpoint_url: str) -> None:
    """Clear every resource of the moto server at ``endpoint_url``."""
    _post(endpoint_url, "/moto-api/reset")


def _post(endpoint: str, path: str) -> None:
    parsed = urllib.parse.urlsplit(endpoint)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InputError(f"not a moto server endpoint: {endpoint!r}")
    url = f"{parsed.scheme}://{parsed.netloc}{path}"
    request = urllib.request.Request(url, data=b"", method="POST")
    # The scheme is checked above: only http(s) reaches urlopen.
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


@contextmanager
def patched_environ(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or, for None, remove) environment variables, and restore them all afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def fake_aws_environment(region: str = "us-east-1") -> dict[str, str]:
    """Fake credentials (moto's account 123456789012) and ``region``, with every way to reach a
    real AWS account or a slow default switched off: the environment of the demo and the tests.
    """
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        # Never wait for an instance metadata service that is not there.
        "AWS_EC2_METADATA_DISABLED": "true",
        # moto loads thousands of AMIs per account on its first EC2 call; only regions are asked.
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    }


@contextmanager
def demo_mock(*, region: str = "us-east-1", seed: int = DEMO_SEED) -> Iterator[None]:
    """Run the body inside moto's in-process ``mock_aws`` with the environment the demo needs.

    Inside: fake credentials (moto's default account 123456789012), ``AWS_DEFAULT_REGION``,
    cross-account S3 reads denied (``MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS=false``, as in AWS
    without a bucket policy, so buckets must be read with their owner's credentials), the
    user's AWS profile, config files, endpoint and retry settings switched off so nothing real
    is reached, moto's default AMIs not loaded (EC2 is only asked for regions), and moto's
    random generator seeded. Every variable is restored on exit.
    """
    from moto import mock_aws

    environment: dict[str, str | None] = dict.fromkeys(CLEARED_AWS_VARIABLES)
    environment |= fake_aws_environment(region)
    environment["MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS"] = "false"
    with patched_environ(environment), mock_aws():
        seed_moto(seed)  # AWS_ENDPOINT_URL is cleared here: this seeds the in-process mock
        yield
