"""``make bench``: scan a simulated organization with added latency and compare with the limit.

    python -m benchmarks.run [--accounts 300] [--latency-ms 100] [--workers 64] [--regions 17]
                             [--naive-accounts 20] [--backend fake|moto] [--seed 0]
                             [--startup-runs 20] [--json]

Builds ``orgscan.simulate``'s scale organization (``--accounts`` workload accounts, 1–3 trails
each, ~40% into the log-archive account's bucket), answers AWS calls from it (``fake``: the
in-process responder of ``orgscan.simulate.fakeaws``; ``moto``: moto's in-process mock, slow to
build and slow to answer), adds ``--latency-ms`` to every call, runs a full scan and prints wall and
CPU time, peak RSS, the calls made against the calls needed, and the lower bound. Then it writes
the scan's run folder (every format) and prints the write phase's wall and CPU time by part
(``--no-write`` skips it). A naive
sequential scan of a slice of ``--naive-accounts`` accounts is timed in the same run, against
orgscan scanning the same slice; and the start-up time of ``orgscan --help`` and ``--version``
(``benchmarks.startup``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import botocore.session

from benchmarks.bound import LowerBound, lower_bound
from benchmarks.instrument import CallRecorder, instrument
from benchmarks.naive import naive_scan
from benchmarks.startup import StartupTime, format_rows
from benchmarks.startup import measure as measure_startup
from benchmarks.write_phase import WriteMeasurement, measure_write, peak_rss_mb
from orgscan.aws.recorder import EVIDENCE_FILE, ResponseRecorder
from orgscan.aws.sessions import SessionFactory
from orgscan.config import ScanSettings
from orgscan.model import ReasonCode, ScanResult
from orgscan.simulate.fakeaws import FakeAws
from orgscan.simulate.scale import DEFAULT_REGIONS, scale_spec
from orgscan.simulate.spec import OrgSpec

HOME_REGION = "us-east-1"


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


@dataclass
class Backend:
    """Where AWS calls are answered: the session factory to scan with, and what to expect."""

    spec: OrgSpec
    ids: dict[str, str]
    expected: dict[str, ReasonCode]
    make_session: Callable[[CallRecorder], botocore.session.Session]
    responder_cpu: Callable[[], float]
    listing_gives_region: bool


def _fake_backend(spec: OrgSpec, latency_s: float) -> Backend:
    fake = FakeAws(spec)

    def make_session(recorder: CallRecorder) -> botocore.session.Session:
        session = botocore.session.Session()
        session.set_credentials("bench", "bench")
        session.set_config_variable("region", HOME_REGION)
        instrument(session, latency_s=latency_s, recorder=recorder, respond=fake.register)
        return session

    return Backend(
        spec=spec,
        ids=fake.ids,
        expected={arn: reason for arn, (_, reason) in fake.expected.items()},
        make_session=make_session,
        responder_cpu=lambda: fake.responder_seconds,
        listing_gives_region=True,
    )


@contextlib.contextmanager
def _moto_backend(spec: OrgSpec, latency_s: float, seed: int) -> Iterator[Backend]:
    from orgscan.simulate import demo_mock
    from orgscan.simulate.build import materialise
    from orgscan.simulate.mock import patched_environ

    # Without it moto loads thousands of AMIs on each account's first EC2 call.
    with (
        patched_environ({"MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}),
        demo_mock(region=HOME_REGION, seed=seed),
    ):
        started = time.perf_counter()
        org = materialise(spec)
        print(f"moto: organization built in {time.perf_counter() - started:.1f} s", file=sys.stderr)

        def make_session(recorder: CallRecorder) -> botocore.session.Session:
            session = botocore.session.Session()
            instrument(session, latency_s=latency_s, recorder=recorder, respond=None)
            return session

        yield Backend(
            spec=spec,
            ids=dict(org.accounts),
            expected=org.expected_reasons,
            make_session=make_session,
            responder_cpu=lambda: 0.0,
            listing_gives_region=False,
        )


def measure_scan(backend: Backend, workers: int, accounts: Sequence[str] = ()) -> Measurement:
    """Run one full scan (of ``accounts`` only, when given) and measure it."""
    from orgscan.prelock.step import count_prelock
    from orgscan.scan import scan_organization
    from orgscan.tamper.step import assess_run

    recorder = CallRecorder()
    # The evidence file is written as in a real run, so its cost is in the figures.
    evidence = ResponseRecorder()
    sessions = SessionFactory(
        max_pool_connections=workers, base_session=backend.make_session(recorder), recorder=evidence
    )
    settings = ScanSettings(workers=workers, policy=backend.spec.policy, accounts=tuple(accounts))
    responder_before = backend.responder_cpu()
    with tempfile.TemporaryDirectory(prefix="orgscan-bench-") as folder:
        evidence.start(Path(folder) / EVIDENCE_FILE)
        wall, cpu = time.perf_counter(), time.process_time()
        result = scan_organization(settings, sessions)
        # The run's tamper step, as the pipeline runs it while the evidence is recorded.
        assess_run(
            result,
            sessions,
            sessions.default_region,
            backend.ids.get(backend.spec.management.name),
            sessions.caller_account_id,
            (),
        )
        # The run's pre-lock count (contract 5.4) follows the scan, as in `orgscan scan`.
        with ThreadPoolExecutor(workers) as pool:
            result = count_prelock(result, sessions, settings.policy, pool)
        evidence_path = evidence.finish()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        evidence_bytes = evidence_path.stat().st_size if evidence_path else 0
    return Measurement(
        evidence_bytes=evidence_bytes,
        evidence_records=evidence.records,
        wall_s=wall,
        cpu_s=cpu,
        responder_cpu_s=backend.responder_cpu() - responder_before,
        calls=dict(recorder.calls),
        clients_created=sessions.clients_created,
        findings=len(result.findings),
        errors=len(result.errors),
        mismatches=_mismatches(result, backend.expected, accounts),
        result=result,
    )


def _mismatches(
    result: ScanResult, expected: dict[str, ReasonCode], accounts: Sequence[str]
) -> int:
    """Trails whose reason differs from the simulation's (missing or extra ones count too)."""
    got = {f.trail_arn: f.reason_code for f in result.findings}
    if accounts:  # a slice: every trail found must be as expected; the rest is not looked for
        return sum(1 for arn, reason in got.items() if expected.get(arn) != reason)
    keys = set(got) | set(expected)
    return sum(1 for arn in keys if got.get(arn) != expected.get(arn))


def measure_naive(backend: Backend, account_ids: Sequence[str]) -> Measurement:
    """Time the naive sequential scan of ``account_ids``."""
    recorder = CallRecorder()
    session = boto3.Session(botocore_session=backend.make_session(recorder))
    responder_before = backend.responder_cpu()
    wall, cpu = time.perf_counter(), time.process_time()
    trails = naive_scan(session, account_ids, backend.spec.regions)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return Measurement(
        wall_s=wall,
        cpu_s=cpu,
        responder_cpu_s=backend.responder_cpu() - responder_before,
        calls=dict(recorder.calls),
        clients_created=recorder.total,
        findings=trails,
        errors=0,
        mismatches=0,
    )


def _slice(backend: Backend, size: int) -> list[str]:
    """The first ``size`` active workload accounts."""
    members = [a for a in backend.spec.members if a.in_organization and not a.closed and a.trails]
    return [backend.ids[a.name] for a in members[:size]]


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build, scan, compare; the report as plain values."""
    regions = _regions(args.regions)
    latency_s = args.latency_ms / 1000
    spec = scale_spec(args.accounts, regions=regions, seed=args.seed)
    load_before = os.getloadavg()[0]
    with contextlib.ExitStack() as stack:
        if args.backend == "moto":
            backend = stack.enter_context(_moto_backend(spec, latency_s, args.seed))
        else:
            backend = _fake_backend(spec, latency_s)
        rss_before = peak_rss_mb()
        full = measure_scan(backend, args.workers)
        rss_peak = peak_rss_mb()
        bound = lower_bound(
            spec,
            latency_s=latency_s,
            workers=args.workers,
            listing_gives_region=backend.listing_gives_region,
        )
        write = None
        if not args.no_write and full.result is not None:
            write = measure_write(full.result)
        full.result = None  # the slice scans below need the memory more
        write_rss_peak = peak_rss_mb()
        naive = ours = None
        if args.naive_accounts > 0:
            accounts = _slice(backend, args.naive_accounts)
            ours = measure_scan(backend, args.workers, accounts)
            naive = measure_naive(backend, accounts)
    report = _report(args, full, bound, rss_before, rss_peak, ours, naive)
    if args.startup_runs > 0:
        report["startup"] = [vars(t) for t in measure_startup(args.startup_runs)]
    if write is not None:
        report |= _write_report(write, write_rss_peak)
    # Other processes competing for the CPU slow a GIL-bound scan down: say how busy it was.
    report["load_average"] = [load_before, os.getloadavg()[0]]
    report["cpus"] = os.cpu_count()
    return report


def _regions(value: str) -> tuple[str, ...]:
    if value.isdigit():
        count = int(value)
        if not 1 <= count <= len(DEFAULT_REGIONS):
            raise SystemExit(f"--regions: a count from 1 to {len(DEFAULT_REGIONS)}")
        return DEFAULT_REGIONS[:count]
    return tuple(region.strip() for region in value.split(",") if region.strip())


def _report(
    args: argparse.Namespace,
    full: Measurement,
    bound: LowerBound,
    rss_before: float,
    rss_peak: float,
    ours: Measurement | None,
    naive: Measurement | None,
) -> dict[str, Any]:
    scanned = bound.scanned_accounts
    bucket_calls = sum(
        n
        for op, n in full.calls.items()
        if op in ("s3.HeadBucket", "s3.GetObjectLockConfiguration", "s3.GetBucketVersioning")
    )
    report: dict[str, Any] = {
        "accounts": args.accounts,
        "scanned_accounts": scanned,
        "regions": len(_regions(args.regions)),
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
        "bound_throughput_s": bound.throughput_s,
        "bound_chain_s": bound.chain_s,
        "bound_chain_calls": bound.chain,
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


def _write_report(write: WriteMeasurement, rss_peak: float) -> dict[str, Any]:
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
            f"{report['lower_bound_s']:.2f} s = max(needed calls × latency ÷ "
            f"workers {report['bound_throughput_s']:.2f} s, chain of "
            f"{report['bound_chain_calls']} calls {report['bound_chain_s']:.2f} s)",
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


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--accounts", type=int, default=300, help="workload accounts (300)")
    parser.add_argument(
        "--latency-ms", type=float, default=100.0, help="added to every AWS call (100)"
    )
    parser.add_argument("--workers", type=int, default=64, help="scan threads (64)")
    parser.add_argument(
        "--regions",
        default=str(len(DEFAULT_REGIONS)),
        help="how many of the default regions, or a comma-separated list (17)",
    )
    parser.add_argument(
        "--naive-accounts",
        type=int,
        default=20,
        help="accounts in the naive-scan comparison; 0 skips it (20)",
    )
    parser.add_argument(
        "--backend", choices=("fake", "moto"), default="fake", help="who answers AWS calls (fake)"
    )
    parser.add_argument("--seed", type=int, default=0, help="the organization's seed (0)")
    parser.add_argument(
        "--startup-runs",
        type=int,
        default=20,
        help="timed runs of `orgscan --help` and `--version`; 0 skips them (20)",
    )
    parser.add_argument(
        "--no-write", action="store_true", help="skip writing the run folder after the scan"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    if (
        args.accounts < 1
        or args.workers < 1
        or args.latency_ms < 0
        or args.naive_accounts < 0
        or args.startup_runs < 0
    ):
        parser.error("--accounts and --workers must be positive, the others not negative")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its report."""
    args = parse_args(argv)
    report = run(args)
    print(json.dumps(report, indent=2) if args.json else format_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
