"""The repository's tools (not part of the installed package): ``numpy_coverage`` writes
docs/numpy_coverage.md."""
