"""The watch's CloudFormation templates: cfn-lint clean, forwarding exactly the events orgscan
watches, Organizations events only from us-east-1, the central bus open to the organization
only, the queues to the central rule only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orgscan.watch.events import EVENT_SOURCES, WATCHED_EVENTS, Target

cfnlint_api = pytest.importorskip("cfnlint.api")
cfnlint_decode = pytest.importorskip("cfnlint.decode")

TEMPLATES = Path(__file__).resolve().parents[2] / "configs" / "cloudformation"
FORWARDER = TEMPLATES / "orgscan-watch-forwarder-stackset.yaml"
CENTRAL = TEMPLATES / "orgscan-watch-central.yaml"


def _template(path: Path) -> dict[str, Any]:
    template, errors = cfnlint_decode.decode(str(path))
    assert not errors
    assert template is not None
    return dict(template)


@pytest.mark.parametrize("path", [FORWARDER, CENTRAL], ids=lambda path: path.name)
def test_cfn_lint_passes(path):
    assert [str(match) for match in cfnlint_api.lint_file(path)] == []


def test_the_forwarder_sends_exactly_the_watched_events_and_organizations_only_from_us_east_1():
    template = _template(FORWARDER)
    pattern = template["Resources"]["ForwardRule"]["Properties"]["EventPattern"]
    assert pattern["detail-type"] == ["AWS API Call via CloudTrail"]
    condition, in_global, elsewhere = pattern["detail"]["eventName"]["Fn::If"]
    assert condition == "InGlobalEventsRegion"
    assert sorted(in_global) == sorted(WATCHED_EVENTS)
    regional = [name for name, target in WATCHED_EVENTS.items() if target != Target.ORGANIZATION]
    assert sorted(elsewhere) == sorted(regional)
    _, sources_global, sources_elsewhere = pattern["detail"]["eventSource"]["Fn::If"]
    assert sorted(sources_global) == sorted(EVENT_SOURCES.values())
    assert EVENT_SOURCES[Target.ORGANIZATION] not in sources_elsewhere
    assert template["Parameters"]["GlobalEventsRegion"]["Default"] == "us-east-1"
    assert "only to us-east-1" in template["Description"]
    assert "StackSets never deploy into the management account" in template["Description"]
    [target] = template["Resources"]["ForwardRule"]["Properties"]["Targets"]
    assert target["RoleArn"] == {"Fn::GetAtt": ["ForwardRole", "Arn"]}
    [statement] = template["Resources"]["ForwardRole"]["Properties"]["Policies"][0][
        "PolicyDocument"
    ]["Statement"]
    assert statement["Action"] == "events:PutEvents"
    assert statement["Resource"] == {"Ref": "CentralEventBusArn"}


def test_the_central_bus_takes_events_from_the_organization_only():
    policy = _template(CENTRAL)["Resources"]["CentralBusPolicy"]["Properties"]["Statement"]
    assert policy["Action"] == "events:PutEvents"
    assert policy["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": {"Ref": "OrganizationId"}}
    }


def test_both_queues_take_messages_from_the_central_rule_only_and_undeliverable_ones_redrive():
    resources = _template(CENTRAL)["Resources"]
    for name, queue in (
        ("EventQueuePolicy", "EventQueue"),
        ("DeadLetterQueuePolicy", "DeadLetterQueue"),
    ):
        [statement] = resources[name]["Properties"]["PolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": "events.amazonaws.com"}
        assert statement["Resource"] == {"Fn::GetAtt": [queue, "Arn"]}
        assert statement["Condition"] == {
            "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["ToQueueRule", "Arn"]}}
        }
    redrive = resources["EventQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    [target] = resources["ToQueueRule"]["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["EventQueue", "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    assert resources["ToQueueRule"]["Properties"]["EventBusName"] == {"Ref": "CentralBus"}
