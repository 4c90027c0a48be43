"""The load test (issue 8, point 3): `python -m bench.load`; see bench/README.md."""
