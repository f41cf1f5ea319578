"""Audit evidence: what makes a run folder evidence an auditor can check.

``runinfo`` states what the run was asked to do (id, scope, command line, host); ``manifest``
ties every file of the folder to its SHA-256; ``recorder`` keeps the AWS responses the verdicts
rest on and ``recompute`` re-derives the findings from them; ``bucket`` copies a finished run
folder into an S3 bucket under Object Lock; ``controls`` maps the check to framework
requirements.
"""
