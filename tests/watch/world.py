"""The demo organization as a watched world: built in moto, scanned once into an output folder
(the base run), then changed by a test and rescanned incrementally."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from orgscan.aws.recorder import ResponseRecorder
from orgscan.aws.sessions import SessionFactory
from orgscan.config import ScanSettings, build_settings
from orgscan.pipeline import RunOutcome, run
from orgscan.scan.executors import make_executor
from orgscan.simulate import SimulatedOrg, build_demo_org, demo_mock
from orgscan.simulate.denials import scp_denials
from orgscan.watch.incremental import Rescanner
from tests.core.scanning import demo_settings
from tests.simulate.clients import client_as


@dataclass(frozen=True)
class World:
    """The simulated organization, the settings of its full scan and the sessions to scan it."""

    simulated: SimulatedOrg
    settings: ScanSettings
    sessions: SessionFactory

    def account(self, name: str) -> str:
        """The id of the account called ``name``."""
        return self.simulated.accounts[name]

    def client(self, service: str, account_name: str, region: str = "us-east-1") -> Any:
        """A boto3 client acting in the member account ``account_name``."""
        return client_as(self.account(account_name), service, region)

    def full_scan(self) -> RunOutcome:
        """A full scan into the output folder (the base run of what follows)."""
        return run(
            self.settings,
            self.sessions,
            make_executor(4, serial=False),
            command=["orgscan", "scan"],
            exit_code=lambda result: 0,
        )

    def rescanner(self) -> Rescanner:
        """Incremental runs of this world's output folder."""
        return Rescanner(
            settings=self.settings,
            sessions=self.sessions,
            executor=lambda: make_executor(4, serial=False),
            command=("orgscan", "watch"),
            judge=lambda result: 0,
        )


@contextmanager
def watched_demo(output_dir: Path) -> Iterator[World]:
    """The demo organization in moto, with settings writing into ``output_dir``."""
    with demo_mock():
        simulated = build_demo_org()
        settings = build_settings(
            None, {**demo_settings(simulated, workers=4), "output_dir": output_dir}
        )
        sessions = SessionFactory(
            max_pool_connections=settings.workers,
            recorder=ResponseRecorder(),
            configure_session=scp_denials(simulated.scp_denied),
        )
        yield World(simulated, settings, sessions)


def event_queue(world: World) -> str:
    """A queue in the management account, as the central stack makes it; its URL."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    # A short visibility timeout: a message left for the dead-letter queue is seen again soon.
    return str(
        sqs.create_queue(QueueName="orgscan-events", Attributes={"VisibilityTimeout": "2"})[
            "QueueUrl"
        ]
    )


def queued(queue_url: str) -> int:
    """How many messages the queue holds, visible or in flight."""
    attributes = boto3.client("sqs", region_name="us-east-1").get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )
