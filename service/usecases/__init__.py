"""The use cases: the questions the product answers, in plain Python (no Flask, no click)."""
