"""Recommendations, coverage and growth: pure computations over frames and arrays.

No SQL and no Flask here: candidates come through a small protocol that ``store`` implements
and ``service`` wires in (ARCHITECTURE.md).
"""
