"""The scan: plan it (``planning``), run its units of work (``units``) through a work queue
(``workqueue``) on an executor (``executors``), record what was learned (``ledger``), search for
the owners of buckets outside the scope (``owners``); ``coordinator`` routes the outcomes."""

from orgscan.scan.coordinator import execute_scan, scan_organization

__all__ = ["execute_scan", "scan_organization"]
