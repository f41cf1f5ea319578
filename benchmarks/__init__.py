"""Benchmarks of orgscan's scan against a simulated organization (``python -m benchmarks.run``)."""
