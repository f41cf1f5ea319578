"""orgscan: audits an AWS Organization for Object Lock on its CloudTrail log buckets."""

# The one place the version is written: pyproject.toml reads it from here (setuptools'
# dynamic version), so `orgscan --version` needs no importlib.metadata look-up (~40 ms).
__version__ = "0.1.0"

__all__ = ["__version__"]
