"""eBay: the Sell Inventory and Account APIs (aiohttp) and legacy listings
through the Trading API (ebaysdk).

``transport`` owns auth, pacing, budgets, retries and error mapping;
``inventory`` implements :class:`connectors.base.MarketplaceConnector`;
``account`` sets up policies and the location; ``trading`` and ``legacy``
read listings made outside the Inventory model, revise them and migrate them.
"""
