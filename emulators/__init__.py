"""Loopback emulators of Amazon SP-API and eBay's APIs.

Test and demo infrastructure, not part of the production path: they keep
state, enforce rate limits and validate requests as the marketplaces do, so
the real connectors can be exercised without reaching Amazon or eBay. Only
tests, benchmarks and the demo wiring import them.
"""
