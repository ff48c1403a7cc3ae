"""Benchmarks: scripts that measure and record their figures in BENCHMARKS.md."""
