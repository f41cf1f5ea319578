"""One place that hands out AWS clients for any account of the organization.

Why it looks like this: a scan of thousands of accounts across ~17 regions would need tens of
thousands of per-account clients, and creating a botocore client costs milliseconds of CPU under
the GIL (a new session per account costs more: it reloads service models). So clients are created
once per (service, region) from one botocore session, and each call carries the credentials of
the account it acts for: ``AccountClient`` adds them to the call, and a ``before-parameter-build``
handler moves them into the request's signing context (``request_credentials``), which botocore's
signer uses instead of the client's own credentials. Each member account gets refreshable
AssumeRole credentials (re-assumed before expiry), so a scan that outlives the 1-hour token keeps
working.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.credentials import Credentials, RefreshableCredentials
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
)

from orgscan.aws.calls import ACCOUNT_CONTEXT_KEY, CallStats
from orgscan.aws.loader import new_session, share_loader
from orgscan.aws.recorder import ResponseRecorder, recorded_call, recorded_paginator
from orgscan.aws.s3control import send_to_ip_endpoints
from orgscan.error_codes import TRANSIENT_CODES
from orgscan.errors import AwsUnavailableError, CredentialsError
from orgscan.identifiers import DEFAULT_ROLE_NAME, DEFAULT_SESSION_NAME
from orgscan.redaction import redact

# The keyword that carries an account's credentials through a call; removed before validation.
_CREDENTIALS_PARAM = "__orgscan_credentials"
_ACCOUNT_PARAM = "__orgscan_account"  # the account it acts for, for the log
_FALLBACK_REGION = "us-east-1"

ConfigureSession = Callable[[botocore.session.Session], None]


@dataclass(frozen=True)
class CallerIdentity:
    """Who runs the scan: ``sts:GetCallerIdentity`` of the base credentials."""

    account_id: str
    arn: str

    @property
    def partition(self) -> str:
        """``aws``, ``aws-cn`` or ``aws-us-gov``, taken from the caller's ARN."""
        parts = self.arn.split(":")
        return parts[1] if len(parts) > 1 and parts[1] else "aws"


class AssumeRoleError(Exception):
    """The role could not be assumed in an account; carries the AWS error code."""

    def __init__(self, account_id: str, error_code: str, message: str) -> None:
        super().__init__(f"{account_id}: {error_code}: {message}")
        self.account_id = account_id
        self.error_code = error_code
        self.message = message


def _move_credentials_to_signing_context(**kwargs: Any) -> None:
    """``before-parameter-build`` handler: the call's credentials sign this request only."""
    params: dict[str, Any] = kwargs["params"]
    credentials = params.pop(_CREDENTIALS_PARAM, None)
    if credentials is not None:
        kwargs["context"].setdefault("signing", {})["request_credentials"] = credentials
        kwargs["context"][ACCOUNT_CONTEXT_KEY] = params.pop(_ACCOUNT_PARAM, None)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _AccountCredentials(RefreshableCredentials):
    """AssumeRole credentials whose expiry is checked against a UTC clock.

    Every signature asks whether the credentials need refreshing; botocore's default clock,
    ``datetime.now(tzlocal())``, builds a ``tzlocal`` each time (~6% of the CPU of a call).
    The expiry is an aware datetime, so any aware clock compares the same.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("time_fetcher", _utc_now)
        super().__init__(*args, **kwargs)


class AccountClient:
    """A shared client bound to one account's credentials; used like a botocore client.

    Every operation (and every page of a paginator) is signed with ``credentials`` (None: the
    client's own, the caller's). With a ``recorder``, the calls it wants are recorded as made
    by ``account_id``.
    """

    def __init__(
        self,
        client: Any,
        credentials: Credentials | None,
        account_id: str = "",
        recorder: ResponseRecorder | None = None,
    ) -> None:
        self._client = client
        self._credentials = credentials
        self._account_id = account_id
        self._recorder = recorder
        # The caller's own account adds nothing: the shared client already signs as the caller.
        self._extra: dict[str, Any] = (
            {_CREDENTIALS_PARAM: credentials, _ACCOUNT_PARAM: account_id or None}
            if credentials is not None
            else {}
        )

    @property
    def meta(self) -> Any:
        """The underlying client's ``meta`` (region, config, events)."""
        return self._client.meta

    @property
    def exceptions(self) -> Any:
        """The underlying client's modelled exceptions."""
        return self._client.exceptions

    def get_paginator(self, operation_name: str) -> Any:
        """A paginator whose every page is signed with this account's credentials."""
        paginator = _AccountPaginator(self._client.get_paginator(operation_name), self._extra)
        if self._recorder is not None:
            return recorded_paginator(
                paginator, self._recorder, self._account_id, self._client.meta, operation_name
            )
        return paginator

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        extra = self._extra

        def call(**kwargs: Any) -> Any:
            return method(**kwargs, **extra)

        if self._recorder is not None:
            return recorded_call(call, self._recorder, self._account_id, self._client.meta, name)
        return call


class _AccountPaginator:
    def __init__(self, paginator: Any, extra: dict[str, Any]) -> None:
        self._paginator = paginator
        self._extra = extra

    def paginate(self, **kwargs: Any) -> Any:
        return self._paginator.paginate(**kwargs, **self._extra)


class SessionFactory:
    """Clients for any account: the caller's own credentials for the caller's account, a
    refreshable AssumeRole session (``role_name``, ``external_id``) for every other one.

    Thread-safe. Clients are cached per (service, region) and shared by all accounts.
    """

    def __init__(
        self,
        *,
        role_name: str = DEFAULT_ROLE_NAME,
        external_id: str | None = None,
        role_session_name: str = DEFAULT_SESSION_NAME,
        max_pool_connections: int = 16,
        max_attempts: int | None = None,
        duration_seconds: int = 3600,
        configure_session: ConfigureSession | None = None,
        base_session: botocore.session.Session | None = None,
        recorder: ResponseRecorder | None = None,
    ) -> None:
        self.role_name = role_name
        self.external_id = external_id
        self.role_session_name = role_session_name
        #: Records the AWS answers verdicts rest on (``evidence/api-responses.jsonl.gz``).
        self.recorder = recorder
        self._duration_seconds = duration_seconds
        # Every session of the process parses botocore's data files once (orgscan.aws.loader).
        self._session = share_loader(base_session) if base_session else new_session()
        # Tokens of the global STS endpoint are refused in opt-in regions unless the account
        # issues v2 tokens, and that failure looks like "region not enabled": stay regional.
        self._session.set_config_variable("sts_regional_endpoints", "regional")
        self._session.register("before-parameter-build.*.*", _move_credentials_to_signing_context)
        #: Calls, retries and throttling per service, for the run's log.
        self.calls = CallStats()
        self.calls.register(self._session)
        if configure_session is not None:
            configure_session(self._session)
        # Without max_attempts botocore's own settings apply (AWS_MAX_ATTEMPTS, the profile).
        self._config = Config(
            max_pool_connections=max(10, max_pool_connections),
            retries={"total_max_attempts": max_attempts} if max_attempts else None,
            # botocore waits 60 s for each; a read-only API call that has not answered in
            # this time will not, and the retry budget is better spent on a new attempt.
            connect_timeout=10,
            read_timeout=30,
            user_agent_extra="orgscan",
        )
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str], Any] = {}
        self._credentials: dict[str, RefreshableCredentials] = {}
        self._account_locks: dict[str, threading.Lock] = {}
        self._identity: CallerIdentity | None = None
        self.clients_created = 0

    # ------------------------------------------------------------------ identity

    @property
    def default_region(self) -> str:
        """The region of the caller's configuration, or us-east-1."""
        region = self._session.get_config_variable("region")
        return str(region) if region else _FALLBACK_REGION

    def identify(self) -> CallerIdentity:
        """Who the caller is; raises ``CredentialsError`` when there are no usable credentials."""
        if self._identity is None:
            try:
                reply = self.shared_client("sts", self.default_region).get_caller_identity()
            except ProfileNotFound as exc:  # a typo in AWS_PROFILE: bad input, not "try later"
                raise CredentialsError(
                    f"AWS profile {exc.kwargs.get('profile')!r:.80} not "
                    "found in the AWS config or credentials file"
                ) from None
            except PartialCredentialsError as exc:
                raise CredentialsError(f"incomplete AWS credentials: {redact(str(exc))}") from None
            except NoCredentialsError:
                raise CredentialsError(
                    "no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID, "
                    "or run `aws configure`)"
                ) from None
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "Unknown")
                if code in TRANSIENT_CODES:  # the credentials were never judged
                    raise AwsUnavailableError(
                        f"cannot identify the caller: AWS STS answered {code}; try again later"
                    ) from None
                raise CredentialsError(f"AWS rejected the credentials ({code})") from None
            except BotoCoreError as exc:  # no answer at all: the network or the endpoint
                raise AwsUnavailableError(
                    f"cannot identify the caller: {redact(str(exc))}"
                ) from None
            self._identity = CallerIdentity(account_id=reply["Account"], arn=reply["Arn"])
        return self._identity

    @property
    def caller_account_id(self) -> str:
        """The caller's account id."""
        return self.identify().account_id

    @property
    def caller_arn(self) -> str:
        """The caller's ARN."""
        return self.identify().arn

    def available_regions(self, service: str, partition: str) -> list[str]:
        """Regions botocore knows for ``service`` in ``partition``."""
        return list(self._session.get_available_regions(service, partition_name=partition))

    # ------------------------------------------------------------------ clients

    def client(self, account_id: str, service: str, region: str) -> Any:
        """A client acting as ``account_id`` in ``region``.

        For a member account the role is assumed on first use; ``AssumeRoleError`` tells why it
        could not be.
        """
        shared = self.shared_client(service, region)
        if account_id == self.caller_account_id:
            if self.recorder is None:
                return shared
            return AccountClient(shared, None, account_id, self.recorder)
        return AccountClient(shared, self.credentials_for(account_id), account_id, self.recorder)

    def credentials_for(self, account_id: str) -> RefreshableCredentials:
        """Refreshable AssumeRole credentials for ``account_id`` (assumed once, then cached)."""
        cached = self._credentials.get(account_id)
        if cached is not None:
            return cached
        with self._lock:
            account_lock = self._account_locks.setdefault(account_id, threading.Lock())
        # One AssumeRole per account even when many threads ask at once.
        with account_lock:
            cached = self._credentials.get(account_id)
            if cached is not None:
                return cached

            def fetch() -> dict[str, Any]:
                return self._assume_role(account_id)

            credentials = _AccountCredentials.create_from_metadata(
                metadata=fetch(), refresh_using=fetch, method="sts-assume-role"
            )
            self._credentials[account_id] = credentials
            return credentials

    def role_arn(self, account_id: str) -> str:
        """The ARN of the scan role in ``account_id``."""
        partition = self.identify().partition
        return f"arn:{partition}:iam::{account_id}:role/{self.role_name}"

    def _assume_role(self, account_id: str) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "RoleArn": self.role_arn(account_id),
            "RoleSessionName": self.role_session_name,
            "DurationSeconds": self._duration_seconds,
        }
        if self.external_id:
            kwargs["ExternalId"] = self.external_id
        try:
            reply = self.shared_client("sts", self.default_region).assume_role(**kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise AssumeRoleError(
                account_id, error.get("Code", "Unknown"), redact(str(error.get("Message", exc)))
            ) from None
        except BotoCoreError as exc:
            raise AssumeRoleError(account_id, type(exc).__name__, redact(str(exc))) from None
        creds = reply["Credentials"]
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": creds["Expiration"].isoformat(),
        }

    def shared_client(self, service: str, region: str) -> Any:
        """The one client of ``service`` in ``region``, signing as the caller unless a call
        carries other credentials (``AccountClient``); created on first use."""
        key = (service, region)
        client = self._clients.get(key)
        if client is not None:
            return client
        # botocore sessions are not thread-safe: create clients one at a time.
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._session.create_client(
                    service, region_name=region, config=self._config
                )
                if service == "s3control":
                    send_to_ip_endpoints(client)
                self._clients[key] = client
                self.clients_created += 1
            return client
