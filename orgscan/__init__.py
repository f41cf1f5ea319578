"""orgscan: audits an AWS Organization for Object Lock on its CloudTrail log buckets."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("orgscan")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
