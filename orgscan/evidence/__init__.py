"""Audit evidence: what makes a run folder evidence an auditor can check.

``runinfo`` states what the run was asked to do (id, scope, command line, host); ``manifest``
ties every file of the folder to its SHA-256; ``recompute`` re-derives the findings from the AWS
responses the scan recorded (``orgscan.aws.recorder``), reading them through ``evidence_file``
and replaying them through the scan's own readers (``replay``, ``tamper_replay``,
``prelock_replay``; ``tamper_diff`` compares the tamper paths); ``trust`` decides whether a run
folder may be acted on; ``bucket`` and ``bucket_copy`` copy a finished run folder into an S3
bucket under Object Lock; ``publish`` sends the results to Security Hub.
"""
