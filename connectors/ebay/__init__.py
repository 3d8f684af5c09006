"""eBay: the Sell Inventory and Account APIs (aiohttp), legacy listings through
the Trading API (ebaysdk), seller onboarding, and an emulator for tests and
demos.

``transport`` owns auth, pacing, budgets, retries and error mapping;
``inventory`` implements :class:`connectors.base.MarketplaceConnector`;
``account`` sets up policies and the location; ``trading`` and ``legacy``
import and keep in sync listings made outside the Inventory model.
"""
