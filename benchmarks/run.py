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

from benchmarks.bound import lower_bound
from benchmarks.instrument import CallRecorder, instrument
from benchmarks.naive import naive_scan
from benchmarks.scan_report import Measurement, format_table, scan_report, write_report
from benchmarks.startup import measure as measure_startup
from benchmarks.write_phase import measure_write, peak_rss_mb
from orgscan.aws.recorder import EVIDENCE_FILE, ResponseRecorder
from orgscan.aws.sessions import SessionFactory
from orgscan.config import ScanSettings
from orgscan.model import ReasonCode, ScanResult
from orgscan.simulate.fakeaws import FakeAws
from orgscan.simulate.scale import DEFAULT_REGIONS, scale_spec
from orgscan.simulate.spec import OrgSpec

HOME_REGION = "us-east-1"


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
    from orgscan.pipeline import read_after_scan
    from orgscan.scan import scan_organization

    recorder = CallRecorder()
    # The evidence file is written as in a real run, so its cost is in the figures.
    evidence = ResponseRecorder()
    sessions = SessionFactory(
        max_pool_connections=workers, base_session=backend.make_session(recorder), recorder=evidence
    )
    settings = ScanSettings(workers=workers, policy=backend.spec.policy, accounts=tuple(accounts))
    responder_before = backend.responder_cpu()
    management = backend.ids.get(backend.spec.management.name)
    with tempfile.TemporaryDirectory(prefix="orgscan-bench-") as folder:
        evidence.start(Path(folder) / EVIDENCE_FILE)
        wall, cpu = time.perf_counter(), time.process_time()
        # One executor for the scan and what follows it, as `orgscan scan` runs them: the
        # tamper paths and the pre-lock count (contracts 5.3, 5.4) read at the same time.
        with ThreadPoolExecutor(workers, thread_name_prefix="orgscan") as pool:
            result = scan_organization(settings, sessions, pool)
            result = read_after_scan(result, settings, sessions, pool, management)
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
    report = scan_report(args, full, bound, rss_before, rss_peak, ours, naive, len(regions))
    if args.startup_runs > 0:
        report["startup"] = [vars(t) for t in measure_startup(args.startup_runs)]
    if write is not None:
        report |= write_report(write, write_rss_peak)
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
