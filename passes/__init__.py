"""Wallet pass building, signing and validation: plain data in, bytes and dicts out.

Nothing here knows about Flask or the database; the service depends on this package, never the
other way round.
"""
