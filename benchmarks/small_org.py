"""``orgscan scan`` end to end on a small organization, against the AWS latency it cannot avoid.

    python -m benchmarks.small_org [--accounts 20] [--latency-ms 100] [--runs 3]
                                   [--format json] [--workers 64]

Each run is the whole command in a fresh interpreter: start-up, imports, discovery, the scan,
the run folder and its seal. The seeded scale organization of ``--accounts`` accounts is
answered by the in-process responder after ``--latency-ms`` per call, as in ``make bench``. The
figure to read is the wall time ÷ the lower bound of the scan (``benchmarks/bound.py``: the
calls the work needs × latency ÷ workers, or the longest chain of dependent calls): what a
small organization pays beyond its AWS calls. CPU is the child's.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.bound import lower_bound
from orgscan.simulate.scale import scale_spec

ROOT = Path(__file__).resolve().parents[1]

# The child: every botocore session (SessionFactory's) answered by the responder after the
# latency, then `orgscan scan` as a user runs it.
_CHILD = """
import sys
import botocore.session
from benchmarks.instrument import CallRecorder, instrument
from orgscan.cli import app
from orgscan.simulate.fakeaws import FakeAws
from orgscan.simulate.scale import scale_spec

accounts, latency_s, out, formats, workers = sys.argv[1:6]
spec = scale_spec(int(accounts))
fake = FakeAws(spec)
make_session = botocore.session.get_session

def get_session(env_vars=None):
    session = make_session(env_vars)
    instrument(session, latency_s=float(latency_s), recorder=CallRecorder(), respond=fake.register)
    return session

botocore.session.get_session = get_session
app(args=["scan", "--regions", ",".join(spec.regions), "--output-dir", out, "--format", formats,
          "--workers", workers, "--quiet", "--fail-on", "never"], prog_name="orgscan")
"""

_FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def measure_run(accounts: int, latency_s: float, formats: str, workers: int) -> tuple[float, float]:
    """One ``orgscan scan`` in a fresh interpreter: its wall and CPU seconds."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))},
        **_FAKE_ENVIRONMENT,
        "PYTHONPATH": str(ROOT),
    }
    with tempfile.TemporaryDirectory(prefix="orgscan-small-") as out:
        argv = [str(accounts), str(latency_s), out, formats, str(workers)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _CHILD, *argv], env=env, cwd=ROOT)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1, 3):
        raise SystemExit(f"orgscan scan exited {done.returncode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``--runs`` scans and print each one's wall, CPU and wall ÷ lower bound."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.small_org", description=__doc__)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--format", default="json", help="orgscan scan --format")
    parser.add_argument("--workers", type=int, default=64)
    args = parser.parse_args(argv)
    latency_s = args.latency_ms / 1000
    bound = lower_bound(scale_spec(args.accounts), latency_s=latency_s, workers=args.workers)
    print(
        f"{args.accounts} accounts, {args.latency_ms:g} ms, --format {args.format}: "
        f"{bound.total_calls} needed calls, lower bound {bound.seconds:.2f} s"
    )
    for run in range(1, args.runs + 1):
        wall, cpu = measure_run(args.accounts, latency_s, args.format, args.workers)
        print(
            f"run {run}: wall {wall:.2f} s, CPU {cpu:.2f} s, "
            f"wall ÷ bound {wall / bound.seconds:.2f} (load average {os.getloadavg()[0]:.1f})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
