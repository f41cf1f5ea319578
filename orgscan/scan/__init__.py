"""The scan: plan it (``planning``), run its work on an executor (``executors``), fold the
outcomes into a ``ScanResult`` (``coordinator``)."""

from orgscan.scan.coordinator import execute_scan, scan_organization

__all__ = ["execute_scan", "scan_organization"]
