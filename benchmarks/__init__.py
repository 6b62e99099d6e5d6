"""`make bench` (`python -m benchmarks`): performance numbers written to docs/benchmarks.md."""
