"""orgscan: audits an AWS Organization for Object Lock on its CloudTrail log buckets."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # Looked up on first use: importlib.metadata costs ~60 ms, a tenth of the start-up budget
    # of `orgscan --help`, and most commands never need the version.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("orgscan")
        except PackageNotFoundError:  # running from a source tree that was never installed
            return "0.0.0+unknown"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
