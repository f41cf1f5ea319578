"""The write phase and the page at scale: how long each report takes, how big the page is, and
how fast headless Chromium shows it.

    python -m benchmarks.reports [--accounts 300 --accounts 3000] [--findings FILE ...]
                                 [--loads 5] [--json]

For each ``--accounts N`` a seeded scale organization is scanned through the in-process
responder (no latency) first; ``--findings`` reads a run's ``findings.json`` instead. Each
report format is rendered once and its CPU seconds and bytes printed; then ``report.html`` is
opened ``--loads`` times in the system's Chromium (skipped when Chromium or Playwright is
missing) and the medians of first contentful paint, DOMContentLoaded and the load event are
printed with the number of elements.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from orgscan.findings import dumps, loads
from orgscan.formats import available_formats
from orgscan.model import ScanResult
from orgscan.reports import ReportInputs

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
]


def scale_result(accounts: int, seed: int = 0) -> ScanResult:
    """A full scan of the seeded scale organization of ``accounts`` accounts (no latency)."""
    import botocore.session

    from orgscan.aws.sessions import SessionFactory
    from orgscan.config import ScanSettings
    from orgscan.scan import scan_organization
    from orgscan.simulate.fakeaws import FakeAws
    from orgscan.simulate.scale import scale_spec

    spec = scale_spec(accounts, seed=seed)
    session = botocore.session.Session()
    # The responder answers every call; the credentials only have to let botocore sign.
    session.set_credentials("bench", "bench")
    session.set_config_variable("region", "us-east-1")
    FakeAws(spec).register(session)
    sessions = SessionFactory(max_pool_connections=32, base_session=session)
    return scan_organization(ScanSettings(workers=32, policy=spec.policy), sessions)


def render_all(result: ScanResult, folder: Path) -> dict[str, dict[str, float]]:
    """Render every report format of ``result`` into ``folder``: CPU seconds and bytes each."""
    figures: dict[str, dict[str, float]] = {}
    inputs = ReportInputs(result=result)
    started = time.process_time()
    text = dumps(result)
    figures["findings.json"] = {"cpu_s": time.process_time() - started, "bytes": len(text)}
    for fmt in available_formats().values():
        if fmt.name == "json":
            continue
        started = time.process_time()
        data = fmt.render(inputs)
        figures[fmt.filename] = {"cpu_s": time.process_time() - started, "bytes": len(data)}
        (folder / fmt.filename).write_bytes(data)
    return figures


def find_chromium() -> str | None:
    """The system Chromium: ``$ORGSCAN_CHROMIUM`` or the usual command names."""
    configured = os.environ.get("ORGSCAN_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def page_timings(page_file: Path, loads_count: int) -> dict[str, float] | None:
    """Medians over ``loads_count`` fresh loads of ``page_file`` at 1400 x 900 (milliseconds)."""
    executable = find_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if executable is None:
        return None
    samples: dict[str, list[float]] = {"first_paint_ms": [], "dom_ready_ms": [], "load_ms": []}
    elements = 0.0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        for _ in range(loads_count):
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            page.goto(page_file.as_uri(), wait_until="load")
            timing: dict[str, Any] = page.evaluate(
                "() => { const n = performance.getEntriesByType('navigation')[0];"
                " const p = performance.getEntriesByName('first-contentful-paint')[0];"
                " return {paint: p ? p.startTime : null, ready: n.domContentLoadedEventEnd,"
                " load: n.loadEventEnd, elements: document.getElementsByTagName('*').length}; }"
            )
            samples["first_paint_ms"].append(float(timing["paint"] or 0.0))
            samples["dom_ready_ms"].append(float(timing["ready"]))
            samples["load_ms"].append(float(timing["load"]))
            elements = float(timing["elements"])
            context.close()
        browser.close()
    figures = {name: statistics.median(values) for name, values in samples.items()}
    figures["elements"] = elements
    return figures


def measure(label: str, result: ScanResult, loads_count: int) -> dict[str, Any]:
    """Every figure of one run."""
    with tempfile.TemporaryDirectory(prefix="orgscan-bench-") as folder:
        formats = render_all(result, Path(folder))
        page = page_timings(Path(folder) / "report.html", loads_count)
    return {
        "run": label,
        "accounts": len(result.accounts),
        "findings": len(result.findings),
        "formats": formats,
        "page": page,
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


def format_table(report: dict[str, Any]) -> str:
    """One run's figures as aligned text."""
    lines = [
        f"{report['run']}: {report['accounts']} accounts, {report['findings']} findings "
        f"(load average {report['load_average']:.1f})"
    ]
    for name, figures in report["formats"].items():
        megabytes = figures["bytes"] / 1e6
        lines.append(f"  {name:<14} {figures['cpu_s']:6.2f} s CPU  {megabytes:7.2f} MB")
    total = sum(figures["cpu_s"] for figures in report["formats"].values())
    lines.append(f"  {'all reports':<14} {total:6.2f} s CPU")
    page = report["page"]
    if page is None:
        lines.append("  page: no Chromium or Playwright, not measured")
    else:
        lines.append(
            f"  page: first contentful paint {page['first_paint_ms']:.0f} ms, "
            f"DOMContentLoaded {page['dom_ready_ms']:.0f} ms, load "
            f"{page['load_ms']:.0f} ms, {page['elements']:.0f} elements"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--accounts",
        type=int,
        action="append",
        default=[],
        help="scan a scale organization of this many accounts (repeatable)",
    )
    parser.add_argument(
        "--findings",
        type=Path,
        action="append",
        default=[],
        help="measure the reports of this findings.json (repeatable)",
    )
    parser.add_argument("--loads", type=int, default=5, help="page loads per run (median)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args(argv)
    if not args.accounts and not args.findings:
        args.accounts = [300, 3000]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Measure each run asked for and print the figures."""
    args = parse_args(argv)
    runs: list[tuple[str, ScanResult]] = [
        (str(path), loads(path.read_text(encoding="utf-8"))) for path in args.findings
    ]
    runs += [
        (f"scale organization, seed {args.seed}", scale_result(count, args.seed))
        for count in args.accounts
    ]
    reports = [measure(label, result, args.loads) for label, result in runs]
    if args.json:
        json.dump(reports, sys.stdout, indent=2)
        print()
    else:
        print("\n\n".join(format_table(report) for report in reports))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
