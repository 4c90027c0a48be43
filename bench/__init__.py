"""Benchmarks and the data generator they (and seed_demo) build on."""
