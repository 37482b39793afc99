"""OMOTES core: orchestration and worker runtime for energy-system models.

Reusable open source (GPL-3.0-or-later). Knows nothing of users, Django or the frontend:
it sees jobs, workflows, workers and opaque fairness keys.
"""
