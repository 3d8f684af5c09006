"""Seller accounts on the marketplaces: onboarding (OAuth), encrypted tokens,
the onboarding checklist."""
