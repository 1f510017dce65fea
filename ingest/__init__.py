"""Readers for each source format, the demo data set, and idempotent loading through store/."""
