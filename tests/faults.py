"""Fault injection for scans against moto, through ``SessionFactory(configure_session=...)``.

A ``FaultInjector`` registers botocore event handlers on the scan's botocore session and aims
faults at single units of work, matched by service, operation, account, region and bucket:

- ``error``: an AWS error response built in the service's own wire format and returned from
  ``before-send``, so botocore parses it and its standard retry mode decides what to retry
  (throttling, 5xx) exactly as it would against AWS;
- ``fail_network``: an exception raised from ``before-send`` (connection refused, read timeout),
  which botocore retries as a transient failure;
- ``mutate``: a change to a parsed reply in ``after-call`` (missing keys, odd values);
- ``delay``: latency before a request is sent.

Every API call is recorded (``calls``, and each attempt in ``attempts``) with the account it
acts for: the caller's account when it is signed with the caller's own credentials, else the
account whose assumed-role credentials sign it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import botocore.session
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

_CALL_KEY = "reliability_call"
_ROLE_ACCOUNT = re.compile(r"^arn:[\w-]+:iam::(\d{12}):role/")


@dataclass(frozen=True)
class Call:
    """One API call as the scan made it (recorded before its first attempt)."""

    service: str
    operation: str
    account: str
    region: str
    protocol: str
    params: Mapping[str, Any]

    @property
    def bucket(self) -> str | None:
        """The ``Bucket`` parameter of an S3 call."""
        value = self.params.get("Bucket")
        return value if isinstance(value, str) else None


Match = Callable[[Call], bool]


def on(
    service: str | None = None,
    operation: str | None = None,
    *,
    account: str | None = None,
    region: str | None = None,
    bucket: str | None = None,
) -> Match:
    """A matcher: every given field must equal the call's (None matches anything)."""

    def matches(call: Call) -> bool:
        return (
            (service is None or call.service == service)
            and (operation is None or call.operation == operation)
            and (account is None or call.account == account)
            and (region is None or call.region == region)
            and (bucket is None or call.bucket == bucket)
        )

    return matches


@dataclass
class Rule:
    """A fault for the calls ``matches`` selects: the first ``times`` attempts (None: all)."""

    matches: Match
    act: Callable[[Call, Any], AWSResponse | None]
    times: int | None = None
    per_call: bool = False
    hits: int = 0

    def take(self, call: Call, context: dict[str, Any]) -> bool:
        """True when this attempt of ``call`` gets the fault (counts it)."""
        if not self.matches(call):
            return False
        if self.per_call:
            # The attempts of one call share its context: count them there.
            seen = context.setdefault("reliability_attempts", {})
            attempt = seen.get(id(self), 0)
            seen[id(self)] = attempt + 1
            if self.times is not None and attempt >= self.times:
                return False
        elif self.times is not None and self.hits >= self.times:
            return False
        self.hits += 1
        return True


class _Body:
    """The ``raw`` of a fake HTTP response: botocore only streams it."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def error_response(call: Call, url: str, code: str, status: int, message: str) -> AWSResponse:
    """An AWS error reply for ``call`` in its service's wire protocol."""
    headers = {"x-amzn-RequestId": "reliability-test"}
    if call.protocol != "json":
        code, message = escape(code), escape(message)
    if call.protocol == "json":
        headers["Content-Type"] = "application/x-amz-json-1.1"
        body = json.dumps({"__type": code, "message": message}).encode()
    elif call.protocol == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
            "</Error></Errors><RequestID>reliability-test</RequestID></Response>"
        ).encode()
    elif call.protocol == "query":
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>reliability-test</RequestId>"
            "</ErrorResponse>"
        ).encode()
    else:  # rest-xml (S3); a HEAD reply has no body, only the status
        body = (
            b""
            if call.operation == "HeadBucket"
            else (
                f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
                f"<Message>{message}</Message><RequestId>reliability-test</RequestId></Error>"
            ).encode()
        )
    return AWSResponse(url, status, HTTPHeaders.from_dict(headers), _Body(body))


class FaultInjector:
    """Faults, latency and reply changes for one scan; pass ``configure`` as
    ``configure_session``. Thread-safe: handlers run on the scan's worker threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._mutators: list[tuple[Match, Callable[[dict[str, Any]], None]]] = []
        self._delays: list[tuple[Match, float]] = []
        self._key_owner: dict[str, str] = {}
        self.caller_account = ""
        self.calls: list[Call] = []
        self.attempts: list[Call] = []
        #: Every access key, secret and session token AssumeRole handed out.
        self.issued_secrets: list[str] = []

    # ------------------------------------------------------------------ declaring faults

    def error(
        self,
        matches: Match,
        code: str,
        status: int = 400,
        *,
        times: int | None = None,
        per_call: bool = False,
        message: str | Callable[[Any], str] = "injected by the reliability tests",
    ) -> Rule:
        """Answer matching attempts with the AWS error ``code`` (HTTP ``status``); ``message``
        may be a function of the signed request, as when AWS echoes parts of it."""

        def act(call: Call, request: Any) -> AWSResponse:
            text = message(request) if callable(message) else message
            return error_response(call, request.url, code, status, text)

        return self._add(Rule(matches, act, times, per_call))

    def fail_network(
        self, matches: Match, kind: str, *, times: int | None = None, per_call: bool = False
    ) -> Rule:
        """Make matching attempts fail before a reply: ``connect`` refused or ``read`` timeout."""
        exception = {"connect": EndpointConnectionError, "read": ReadTimeoutError}[kind]

        def act(call: Call, request: Any) -> AWSResponse:
            raise exception(endpoint_url=request.url)

        return self._add(Rule(matches, act, times, per_call))

    def mutate(self, matches: Match, change: Callable[[dict[str, Any]], None]) -> None:
        """Apply ``change`` to the parsed reply of every matching call (each page)."""
        self._mutators.append((matches, change))

    def delay(self, matches: Match, seconds: float) -> None:
        """Sleep ``seconds`` before each matching attempt is sent."""
        self._delays.append((matches, seconds))

    def _add(self, rule: Rule) -> Rule:
        self._rules.append(rule)
        return rule

    # ------------------------------------------------------------------ what happened

    def operations(self) -> set[str]:
        """``service:Operation`` of every call made."""
        return {f"{call.service}:{call.operation}" for call in self.calls}

    # ------------------------------------------------------------------ botocore handlers

    def configure(self, session: botocore.session.Session) -> None:
        """Register the handlers on the scan's botocore session."""
        session.register("before-parameter-build.*.*", self._record_call)  # type: ignore[arg-type]  # botocore passes keywords; its stub admits only **kwargs
        # First, so that a fault answers before moto's in-process mock does.
        session.get_component("event_emitter").register_first("before-send.*.*", self._before_send)
        session.register("after-call.*.*", self._after_call)  # type: ignore[arg-type]  # botocore passes keywords; its stub admits only **kwargs

    def _account_of(self, context: dict[str, Any]) -> str:
        credentials = context.get("signing", {}).get("request_credentials")
        if credentials is None:
            return self.caller_account
        key = credentials.get_frozen_credentials().access_key
        with self._lock:
            return self._key_owner.get(key, "unknown")

    def _record_call(
        self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        # Runs after SessionFactory's own handler, so the call's credentials are in context.
        call = Call(
            service=model.service_model.service_name,
            operation=model.name,
            account=self._account_of(context),
            region=str(context.get("client_region")),
            protocol=model.service_model.protocol,
            params=dict(params),
        )
        context[_CALL_KEY] = call
        with self._lock:
            self.calls.append(call)

    def _before_send(self, request: Any, **_: Any) -> AWSResponse | None:
        context = request.context or {}
        call: Call | None = context.get(_CALL_KEY)
        if call is None:
            return None
        with self._lock:
            self.attempts.append(call)
            pause = sum(seconds for matches, seconds in self._delays if matches(call))
            rule = next((rule for rule in self._rules if rule.take(call, context)), None)
        if pause:
            time.sleep(pause)
        return rule.act(call, request) if rule is not None else None

    def _after_call(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        call: Call | None = context.get(_CALL_KEY)
        if call is None or "Error" in parsed:
            return
        if call.operation == "GetCallerIdentity":
            self.caller_account = str(parsed.get("Account", ""))
        elif call.operation == "AssumeRole":
            self._remember_assumed(call, parsed)
        for matches, change in self._mutators:
            if matches(call):
                change(parsed)

    def _remember_assumed(self, call: Call, parsed: dict[str, Any]) -> None:
        found = _ROLE_ACCOUNT.match(str(call.params.get("RoleArn", "")))
        credentials = parsed.get("Credentials") or {}
        with self._lock:
            if found and "AccessKeyId" in credentials:
                self._key_owner[credentials["AccessKeyId"]] = found.group(1)
            self.issued_secrets += [
                str(credentials[key])
                for key in ("AccessKeyId", "SecretAccessKey", "SessionToken")
                if key in credentials
            ]
