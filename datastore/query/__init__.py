"""Queries: the in-memory view of the current data and the answers built from it."""
