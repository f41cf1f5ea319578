"""Tamper paths (contract v3 section 5.3): who can weaken the protection of a trail's logs.

``policydoc`` reads IAM policy documents into statements, ``evaluate`` decides, locally and
without AWS, which principals may take the weakening actions and what would block them.
"""
