"""Helpers shared by the test suites (passes and app)."""
