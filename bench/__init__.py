"""Benchmarks: scripts that print figures, run on demand (see docs/benchmarks.md)."""
