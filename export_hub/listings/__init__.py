"""Listings: one record per (product, marketplace, seller account), what was
sent, what came back, and the issues."""
