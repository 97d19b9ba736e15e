"""Loyalty rules: enrolment, the points ledger, tiers. No HTTP here; callers commit."""
