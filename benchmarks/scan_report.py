"""The benchmark's measurements and its report: the JSON document ``python -m benchmarks.run
--json`` prints, and the aligned table it prints otherwise. ``benchmarks.run`` measures; this
module only shapes what was measured."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from benchmarks.bound import INTEGRITY_BUCKET_OPERATIONS, LowerBound
from benchmarks.startup import StartupTime, format_rows
from benchmarks.write_phase import WriteMeasurement
from orgscan.model import ScanResult


@dataclass
class Measurement:
    """One timed scan: what it cost and what it called."""

    wall_s: float
    cpu_s: float
    responder_cpu_s: float
    calls: dict[str, int]
    clients_created: int
    findings: int
    errors: int
    mismatches: int
    #: Size and lines of evidence/api-responses.jsonl.gz (recorded by every real scan).
    evidence_bytes: int = 0
    evidence_records: int = 0
    result: ScanResult | None = None

    @property
    def total_calls(self) -> int:
        """Requests sent."""
        return sum(self.calls.values())


def scan_report(
    args: argparse.Namespace,
    full: Measurement,
    bound: LowerBound,
    rss_before: float,
    rss_peak: float,
    ours: Measurement | None,
    naive: Measurement | None,
    regions: int,
) -> dict[str, Any]:
    """The benchmark's JSON document: the full scan against the bound, the slice against the
    naive scan when both ran; ``regions`` is how many regions were scanned."""
    scanned = bound.scanned_accounts
    bucket_calls = sum(
        n
        for op, n in full.calls.items()
        if op
        in (
            "s3.HeadBucket",
            "s3.GetObjectLockConfiguration",
            "s3.GetBucketVersioning",
            *INTEGRITY_BUCKET_OPERATIONS,
        )
    )
    report: dict[str, Any] = {
        "accounts": args.accounts,
        "scanned_accounts": scanned,
        "regions": regions,
        "latency_ms": args.latency_ms,
        "workers": args.workers,
        "backend": args.backend,
        "wall_s": full.wall_s,
        "cpu_s": full.cpu_s,
        "responder_cpu_s": full.responder_cpu_s,
        "scan_cpu_per_call_ms": 1000
        * (full.cpu_s - full.responder_cpu_s)
        / max(1, full.total_calls),
        "peak_rss_mb": rss_peak,
        "rss_before_scan_mb": rss_before,
        "accounts_per_s": scanned / full.wall_s,
        "calls_total": full.total_calls,
        "calls_per_operation": dict(sorted(full.calls.items())),
        "calls_per_account": full.total_calls / max(1, scanned),
        "calls_per_unique_bucket": bucket_calls / max(1, bound.unique_buckets),
        "unique_buckets": bound.unique_buckets,
        "clients_created": full.clients_created,
        "findings": full.findings,
        "findings_not_as_simulated": full.mismatches,
        "errors": full.errors,
        "evidence_bytes": full.evidence_bytes,
        "evidence_records": full.evidence_records,
        "needed_calls": bound.total_calls,
        "needed_calls_per_operation": dict(sorted(bound.calls.items())),
        "needed_calls_per_account": bound.calls_per_account,
        # One after the other: what follows the scan reads what the scan found.
        "bound_phases": [
            {
                "name": phase.name,
                "calls": sum(phase.calls.values()),
                "throughput_s": phase.throughput_s(bound.latency_s, bound.workers),
                "chain_calls": phase.chain,
                "chain_s": phase.chain * bound.latency_s,
                "bound_s": bound.phase_seconds(phase),
            }
            for phase in bound.phases
        ],
        "lower_bound_s": bound.seconds,
        "wall_over_bound": full.wall_s / bound.seconds if bound.seconds else None,
    }
    if ours is not None and naive is not None:
        report |= {
            "slice_accounts": args.naive_accounts,
            "slice_orgscan_wall_s": ours.wall_s,
            "slice_orgscan_calls": ours.total_calls,
            "slice_naive_wall_s": naive.wall_s,
            "slice_naive_calls": naive.total_calls,
            "slice_naive_clients_created": naive.clients_created,
            "speedup_over_naive": naive.wall_s / ours.wall_s,
        }
    return report


def write_report(write: WriteMeasurement, rss_peak: float) -> dict[str, Any]:
    """The write phase's part of the document."""
    return {
        "write_wall_s": write.wall_s,
        "write_cpu_s": write.cpu_s,
        "write_parts_cpu_s": write.parts_cpu_s,
        "write_files": write.files,
        "write_scripts": write.scripts,
        "write_mb": write.megabytes,
        "write_peak_rss_mb": rss_peak,
    }


def format_table(report: dict[str, Any]) -> str:
    """The report as an aligned two-column table."""
    rows: list[tuple[str, str]] = [
        (
            "organization",
            f"{report['accounts']} workload accounts ({report['scanned_accounts']} "
            f"scanned), {report['regions']} regions, backend {report['backend']}",
        ),
        ("latency / workers", f"{report['latency_ms']:g} ms per call, {report['workers']} workers"),
        ("wall", f"{report['wall_s']:.2f} s"),
        (
            "CPU",
            f"{report['cpu_s']:.2f} s (of which the simulated AWS "
            f"{report['responder_cpu_s']:.2f} s); scan {report['scan_cpu_per_call_ms']:.2f} "
            f"ms CPU per call",
        ),
        (
            "peak RSS",
            f"{report['peak_rss_mb']:.0f} MB ({report['rss_before_scan_mb']:.0f} MB "
            "before the scan)",
        ),
        ("accounts per second", f"{report['accounts_per_s']:.1f}"),
        (
            "findings",
            f"{report['findings']} ({report['findings_not_as_simulated']} not as "
            f"simulated), {report['errors']} errors",
        ),
        ("AWS calls", f"{report['calls_total']} (needed {report['needed_calls']})"),
        (
            "evidence file",
            f"{report['evidence_bytes'] / 1e6:.2f} MB gzip, "
            f"{report['evidence_records']} recorded responses",
        ),
    ]
    needed = report["needed_calls_per_operation"]
    for operation, count in report["calls_per_operation"].items():
        rows.append((f"  {operation}", f"{count} (needed {needed.get(operation, 0)})"))
    rows += [
        (
            "calls per account",
            f"{report['calls_per_account']:.2f} (needed {report['needed_calls_per_account']:.2f})",
        ),
        (
            "calls per unique bucket",
            f"{report['calls_per_unique_bucket']:.2f} ({report['unique_buckets']} buckets)",
        ),
        ("clients constructed", str(report["clients_created"])),
        (
            "lower bound",
            f"{report['lower_bound_s']:.2f} s, each phase's after the one before",
        ),
        *(
            (
                f"  {phase['name']}",
                f"{phase['bound_s']:.2f} s = max({phase['calls']} calls × latency ÷ workers "
                f"{phase['throughput_s']:.2f} s, chain of {phase['chain_calls']} calls "
                f"{phase['chain_s']:.2f} s)",
            )
            for phase in report["bound_phases"]
        ),
        (
            "wall ÷ lower bound",
            "n/a (no latency)"
            if report["wall_over_bound"] is None
            else f"{report['wall_over_bound']:.2f}",
        ),
    ]
    if "write_cpu_s" in report:
        rows += [
            (
                "write phase",
                f"{report['write_wall_s']:.2f} s wall, {report['write_cpu_s']:.2f} s "
                f"CPU: {report['write_files']} files ({report['write_scripts']} "
                f"scripts), {report['write_mb']:.1f} MB; peak RSS "
                f"{report['write_peak_rss_mb']:.0f} MB",
            ),
        ]
        rows += [
            (f"  {part}", f"{seconds:.2f} s CPU")
            for part, seconds in report["write_parts_cpu_s"].items()
        ]
    if "speedup_over_naive" in report:
        rows += [
            (
                f"naive, {report['slice_accounts']} accounts",
                f"{report['slice_naive_wall_s']:.2f} s, {report['slice_naive_calls']} calls, "
                f"{report['slice_naive_clients_created']} clients",
            ),
            (
                f"orgscan, same {report['slice_accounts']}",
                f"{report['slice_orgscan_wall_s']:.2f} s, {report['slice_orgscan_calls']} calls "
                "(discovery of the whole organization included)",
            ),
            ("speed-up over naive", f"{report['speedup_over_naive']:.1f}x"),
        ]
    if "startup" in report:
        rows += [
            (f"start-up: {name}", value)
            for name, value in format_rows([StartupTime(**t) for t in report["startup"]])
        ]
    if "load_average" in report:
        before, after = report["load_average"]
        rows.append(
            (
                "machine",
                f"{report['cpus']} CPUs, load average {before:.1f} before, {after:.1f} after",
            )
        )
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)
