"""Tests of the scanner core: rule, settings, discovery, the scan and the scan command."""
