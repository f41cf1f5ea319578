"""Identifiers of AWS things orgscan reads or is given, and the names it uses by default.

One definition each, at the package root: configuration, findings files, plan files, the AWS
layer and the CLI all check account ids and role names the same way.
"""

from __future__ import annotations

import re

# ASCII digits only, and no trailing newline (which "$" would let through).
ACCOUNT_ID_RE = re.compile(r"^[0-9]{12}\Z")
# AWS ids and names are ASCII (re.ASCII: \w and \d are not Unicode); \Z, unlike $, refuses
# a trailing newline.
OU_ID_RE = re.compile(r"^(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32})\Z")
# A region name: a location prefix of two or more letters (``us``, ``eusc``), then words and a
# number: ``eu-west-1``, ``us-gov-west-1``, ``eusc-de-east-1`` (AWS European Sovereign Cloud,
# partition ``aws-eusc`` in botocore's endpoints data).
REGION_RE = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-\d{1,2}\Z", re.ASCII)
# A partition name as botocore's endpoints data spells them: aws, aws-cn, aws-us-gov,
# aws-iso-b, aws-eusc, ...
PARTITION_RE = re.compile(r"^aws(-[a-z]+){0,3}\Z", re.ASCII)
ROLE_NAME_RE = re.compile(r"^[\w+=,.@/-]{1,64}\Z", re.ASCII)
SESSION_NAME_RE = re.compile(r"^[\w+=,.@-]{2,64}\Z", re.ASCII)
EXTERNAL_ID_RE = re.compile(r"^[\w+=,.@:/-]{2,1224}\Z", re.ASCII)

# The role AWS Organizations creates in every account it creates; the usual one to scan with.
DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
# The AssumeRole session name, which CloudTrail records as who made the calls.
DEFAULT_SESSION_NAME = "orgscan"
# The prefix AWS Control Tower gives the trail and the log bucket it creates.
CONTROL_TOWER_PREFIX = "aws-controltower-"
