"""Support for the tests and benchmarks, not shipped (not in pyproject's package list).

``testing.throwaway`` starts a throwaway PostGIS server. Nothing in geo/, store/, ingest/,
matching/, maps/ or service/ may import this package (tests/test_layering.py checks it).
"""
