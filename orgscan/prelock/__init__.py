"""Log files written before the lock (contract 5.4): counted per PASS bucket, once.

``inventory`` counts every version from an existing S3 Inventory report with the Object Lock
fields; ``sample`` reads a bounded sample with ``HeadObject`` otherwise; ``step`` runs one of
them per bucket, for the scan (AWS) and ``verify --recompute`` (the recorded answers) alike.
"""
