"""Marketplace connectors: one package per marketplace behind the small
contract in :mod:`connectors.base`. Jobs and the web layer import the contract,
not a marketplace package."""
