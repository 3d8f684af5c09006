"""Orders from the marketplaces, their stock effects and their shipments.

``models`` (orders, lines, events, import cursors, shipments, notices),
``connect`` (the one seam that turns a seller account row into an
:class:`~connectors.base.OrdersConnector`), ``importer`` (incremental,
idempotent import in one transaction per seller), ``restock`` (what the sync
must push after stock moved), ``shipments`` (confirming a package on the
marketplace), ``queries`` (lists and filters), ``notify`` (e-mails), ``web``
and ``api`` (pages and ``/api/v1/orders``), ``cli`` (``export-hub orders``).

No buyer personal data is stored anywhere here: no names, addresses, e-mail
addresses or phone numbers; only the ship-to country and region, the items,
the amounts and the dates. The company reads the address in Seller Central or
Seller Hub, which every order links to.
"""
