"""Benchmarks: `make bench` (see bench/run.py); results in bench/RESULTS.md."""
