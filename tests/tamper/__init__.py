"""Tests of the tamper-path evaluation (contract 5.3)."""
