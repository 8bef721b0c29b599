"""The repository's tools (not part of the installed package): ``numpy_coverage`` writes
docs/numpy_coverage.md; ``nist_strd`` reads the NIST StRD regression problems kept in
tests/data/nist_strd."""
